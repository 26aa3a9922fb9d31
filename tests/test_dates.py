"""When each photo was taken: read at indexing (EXIF, else the file's time) and
kept with the photo; libraries indexed before get dates on their next rescan."""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image

from faceorganizer.library import FaceLibrary

DATE_TAKEN, DATE_DIGITIZED, OFFSET_TAKEN = 0x9003, 0x9004, 0x9011


def with_exif_dates(source: Path, target: Path, **dates: str) -> Path:
    """A copy of a photo whose EXIF holds `dates` (taken=, digitized=, offset=)."""
    tags = {"taken": DATE_TAKEN, "digitized": DATE_DIGITIZED, "offset": OFFSET_TAKEN}
    with Image.open(source) as image:
        exif = image.getexif()
        exif.get_ifd(0x8769).update({tags[name]: value for name, value in dates.items()})
        image.save(target, "JPEG", quality=92, exif=exif)
    return target


def file_date(path: Path) -> str:
    return datetime.fromtimestamp(path.stat().st_mtime).astimezone().isoformat(timespec="seconds")


def test_a_photo_s_date_is_when_it_was_taken_else_digitized_else_its_file_s(library, tmp_path, sample_photos):
    folder = tmp_path / "photos"
    folder.mkdir()
    taken = with_exif_dates(sample_photos["t1"], folder / "taken.jpg", taken="2019:07:14 15:03:22",
                            offset="+02:00", digitized="2019:07:20 09:00:00")
    digitized = with_exif_dates(sample_photos["gdp"], folder / "digitized.jpg", digitized="2004:01:02 03:04:05")
    unset_clock = with_exif_dates(sample_photos["yaoming"], folder / "unset.jpg", taken="0000:00:00 00:00:00")
    plain = folder / "plain.jpg"
    shutil.copy(sample_photos["players"], plain)
    os.utime(plain, (1_500_000_000, 1_500_000_000))

    report = library.index_directory(folder)

    assert report.indexed == 4
    assert library.photo_dates(folder) == {
        str(taken): ("2019-07-14T15:03:22+02:00", "exif"),
        str(digitized): ("2004-01-02T03:04:05", "digitized"),
        str(unset_clock): (file_date(unset_clock), "file"),
        str(plain): (file_date(plain), "file"),
    }
    assert library.photo_dates(tmp_path / "elsewhere") == {}


@pytest.mark.engines
def test_a_library_indexed_before_gets_dates_on_its_next_rescan_without_analysing_faces_again(
    tmp_path, analyzer, sample_photos
):
    """A photo stored without its date (as `add_analysed_photo` stores it, and
    as libraries indexed before dates were kept hold them) gets it at the next
    rescan, without the face models; an unchanged photo is not read again."""
    from faceorganizer.images import load_photo

    folder = tmp_path / "photos"
    folder.mkdir()
    photo = with_exif_dates(sample_photos["t1"], folder / "t1.jpg", taken="2019:07:14 15:03:22")
    faces = [{"bbox": f.bbox, "det_score": f.det_score, "landmarks": f.landmarks, "embedding": f.embedding}
             for f in analyzer.analyze(load_photo(photo))]
    with FaceLibrary(tmp_path / "lib") as lib:
        face_ids = lib.add_analysed_photo(photo, (1280, 886), faces)
        assert lib.photo_dates() == {}

        report = lib.index_directory(folder)

        assert (report.unchanged, report.indexed) == (1, 0)
        assert lib.photo_dates() == {str(photo): ("2019-07-14T15:03:22", "exif")}
        assert sorted(f["face_id"] for f in lib.iter_faces()) == sorted(face_ids)
        assert lib._analyzer is None

        # The same bytes but another date, its size and time kept: the photo
        # is unchanged to indexing, which keeps the date it read.
        st = photo.stat()
        with_exif_dates(sample_photos["t1"], photo, taken="2020:08:15 16:04:23")
        assert photo.stat().st_size == st.st_size
        os.utime(photo, ns=(st.st_atime_ns, st.st_mtime_ns))
        lib.index_directory(folder)
        assert lib.photo_dates() == {str(photo): ("2019-07-14T15:03:22", "exif")}
