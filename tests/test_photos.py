"""`faceorganizer photos`: the photos of people or of a folder, newest first,
with their faces, as a user runs it."""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from faceorganizer.cli import main
from faceorganizer.library import FaceLibrary

from conftest import copy_library, dated_copy, photo_variant

#: The left part of t1.jpg, which holds three of its six people.
_LEFT = (0, 0, 640, 886)
#: The file time of the shot without EXIF (local time).
_FILE_TIME = datetime(2020, 3, 4, 5, 6, 7)


@pytest.fixture(scope="module")
def dated_library(tmp_path_factory, sample_photos, analyzer) -> tuple[str, Path]:
    """Shots of t1's six people (2019, a file of 2020 without EXIF, 2021),
    the left three alone (2022), and gdp's people (2018)."""
    root = tmp_path_factory.mktemp("dated")
    folder, other = root / "photos", root / "photos" / "trip"
    other.mkdir(parents=True)
    for seed, taken in enumerate(["2019:07:01 09:00:00", None, "2021:12:24 18:30:00"]):
        shot = photo_variant(sample_photos["t1"], root / f"variant-{seed}.jpg", seed)
        dated_copy(shot, folder / f"t1-{seed}.jpg", taken)
    os.utime(folder / "t1-1.jpg", (_FILE_TIME.timestamp(),) * 2)
    dated_copy(sample_photos["t1"], folder / "left.jpg", "2022:05:01 12:00:00", crop=_LEFT)
    for seed in range(2):
        shot = photo_variant(sample_photos["gdp"], root / f"gdp-{seed}.jpg", seed)
        dated_copy(shot, other / f"gdp-{seed}.jpg", f"2018:01:0{seed + 1} 08:00:00")
    library = root / "library"
    with FaceLibrary(library, analyzer=analyzer) as lib:
        lib.index_directory(folder)
        lib.cluster_all()
    return str(library), folder


def _run(capsys, *args: str) -> list[dict]:
    capsys.readouterr()
    assert main(["photos", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _faces_of(capsys, library: str, person: int) -> list[dict]:
    capsys.readouterr()
    assert main(["faces", "--library", library, "--person", str(person), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _people_in(photos: list[dict], name: str) -> set[int]:
    photo = next(p for p in photos if Path(p["path"]).name == name)
    return {f["person"] for f in photo["faces"]} - {None}


def test_a_persons_photos_are_exactly_those_with_their_faces_newest_first(dated_library, capsys):
    library, _folder = dated_library
    everything = _run(capsys, "--library", library)
    left_person = min(_people_in(everything, "left.jpg"))

    photos = _run(capsys, "--library", library, "--person", str(left_person))

    assert sorted(p["path"] for p in photos) == sorted({f["path"] for f in _faces_of(capsys, library, left_person)})
    assert [Path(p["path"]).name for p in photos] == ["left.jpg", "t1-2.jpg", "t1-1.jpg", "t1-0.jpg"]
    assert [(p["taken"], p["taken_from"]) for p in photos] == [
        ("2022-05-01T12:00:00", "exif"),
        ("2021-12-24T18:30:00", "exif"),
        (_FILE_TIME.isoformat(), "file"),  # no EXIF: the file's time, and it says so
        ("2019-07-01T09:00:00", "exif"),
    ]
    for photo in photos:
        assert left_person in {f["person"] for f in photo["faces"]}
        assert all(set(f) == {"face_id", "person", "bbox"} and len(f["bbox"]) == 4 for f in photo["faces"])
    assert len(photos[1]["faces"]) == 6 and len(photos[0]["faces"]) == 3


def test_several_people_give_the_photos_they_are_all_in(dated_library, capsys):
    library, _folder = dated_library
    everything = _run(capsys, "--library", library)
    left_person = min(_people_in(everything, "left.jpg"))
    right_person = min(_people_in(everything, "t1-0.jpg") - _people_in(everything, "left.jpg"))
    gdp_person = min(_people_in(everything, "gdp-0.jpg"))

    both = _run(capsys, "--library", library, "--person", str(left_person), "--person", str(right_person))
    assert [Path(p["path"]).name for p in both] == ["t1-2.jpg", "t1-1.jpg", "t1-0.jpg"]
    assert _run(capsys, "--library", library, "--person", str(left_person), "--person", str(gdp_person)) == []


def test_a_folders_photos_and_a_person_in_a_folder(dated_library, capsys):
    library, folder = dated_library
    everything = _run(capsys, "--library", library)
    assert [Path(p["path"]).name for p in everything] == [
        "left.jpg", "t1-2.jpg", "t1-1.jpg", "t1-0.jpg", "gdp-1.jpg", "gdp-0.jpg"]
    trip = _run(capsys, "--library", library, "--folder", str(folder / "trip"))
    assert [Path(p["path"]).name for p in trip] == ["gdp-1.jpg", "gdp-0.jpg"]
    left_person = min(_people_in(everything, "left.jpg"))
    assert _run(capsys, "--library", library, "--person", str(left_person), "--folder", str(folder / "trip")) == []


def test_text_output_and_an_unknown_person(dated_library, capsys):
    library, _folder = dated_library
    capsys.readouterr()
    assert main(["photos", "--library", library]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[0].startswith("2022-05-01 12:00:00  exif       3 faces · people ")
    assert "2020-03-04 05:06:07  file" in out
    assert err.strip() == "6 photos"
    assert main(["photos", "--library", library, "--person", "9999"]) == 1
    assert "9999" in capsys.readouterr().err


def test_the_services_table_in_memory_follows_indexing_as_the_store_does(dated_library, tmp_path, analyzer):
    from faceorganizer.photos import PhotoTable, photos

    library, folder = dated_library
    copy_library(Path(library), tmp_path / "library")
    shutil.copytree(folder, tmp_path / "photos")
    moved = tmp_path / "photos"
    with FaceLibrary(tmp_path / "library", analyzer=analyzer) as lib:
        lib.index_directory(moved)  # the folder moved: its photos follow it
        table = PhotoTable(lib)
        table.load(seconds=0)  # a first slice: the indexing below finds it part read

        def both() -> tuple[list, list]:
            from_store = [p._replace(faces=tuple(f._replace(bbox=None) for f in p.faces))
                          for p in photos(lib, folder=moved)]
            return from_store, photos(lib, folder=moved, table=table, boxes=False)

        from_store, from_table = both()
        assert from_table == from_store and len(from_table) == 6
        assert len(photos(lib, table=table, boxes=False)) == 12
        (moved / "t1-0.jpg").rename(moved / "renamed.jpg")
        (moved / "trip" / "gdp-0.jpg").unlink()
        dated_copy(moved / "left.jpg", moved / "trip" / "left-again.jpg", "2023:01:01 10:00:00")
        lib.index_directory(moved)
        from_store, from_table = both()
        assert from_table == from_store
        assert [Path(p.path).name for p in from_table] == [
            "left-again.jpg", "left.jpg", "t1-2.jpg", "t1-1.jpg", "renamed.jpg", "gdp-1.jpg"]
        person = min(f.person for f in from_table[0].faces if f.person is not None)
        lib.remove(from_table[0].faces[0].face_id)
        assert photos(lib, [person], table=table, boxes=False) == [
            p._replace(faces=tuple(f._replace(bbox=None) for f in p.faces)) for p in photos(lib, [person])]
