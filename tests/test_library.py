"""FaceLibrary on the real models, a real local-mode Qdrant and real photos."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import faceorganizer.analysis as analysis_module
import faceorganizer.indexing as indexing_module
import faceorganizer.library as library_module
from faceorganizer.config import Settings
from faceorganizer.errors import (
    FaceOrganizerError,
    FaceNotFoundError,
    FilterRejectedError,
    ImageLoadError,
    LibraryLockedError,
    NoFaceDetectedError,
)
from faceorganizer.library import FaceLibrary
from faceorganizer.library_settings import check_recognizer

from conftest import write_huge_png

pytestmark = pytest.mark.engines


def _faces_by_photo(library) -> dict[str, list[dict]]:
    result: dict[str, list[dict]] = {}
    for face in library.iter_faces():
        result.setdefault(os.path.basename(face["path"]), []).append(face)
    return result


def _iou(a, b) -> float:
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    area = lambda r: (r[2] - r[0]) * (r[3] - r[1])  # noqa: E731
    return inter / (area(a) + area(b) - inter)


def test_index_directory_finds_the_faces(library, photo_folder):
    report = library.index_directory(photo_folder)
    assert (report.seen, report.indexed, report.failed) == (2, 2, [])
    faces = _faces_by_photo(library)
    assert len(faces["t1.jpg"]) == 6
    assert 15 <= len(faces["players.jpg"]) <= 24
    assert report.faces_found == library.count() == 6 + len(faces["players.jpg"])
    for name, size in (("t1.jpg", Image.open(photo_folder / "t1.jpg").size),
                       ("players.jpg", Image.open(photo_folder / "players.jpg").size)):
        for face in faces[name]:
            assert os.path.isabs(face["path"])
            x1, y1, x2, y2 = face["bbox"]
            assert 0 <= x1 < x2 <= size[0] and 0 <= y1 < y2 <= size[1]
            assert face["cluster_id"] is None
            assert library.thumbnail_path(face["id"]).is_file()


def test_thumbnails_show_the_face(library, photo_folder):
    library.index_directory(photo_folder)
    face = _faces_by_photo(library)["t1.jpg"][0]
    thumb = Image.open(library.thumbnail_path(face["id"]))
    assert thumb.size[0] == thumb.size[1] >= 128
    # A face in its own thumbnail is found again, big and central.
    found = library.analyzer.analyze(library_module.load_photo(library.thumbnail_path(face["id"])))
    assert found and max(f.size for f in found) > thumb.size[0] / 3


def test_exif_rotated_copy_gives_boxes_on_the_upright_faces(library, tmp_path, sample_photos):
    upright = Image.open(sample_photos["t1"])
    exif = Image.Exif()
    exif[0x0112] = 8  # stored a quarter turn clockwise; viewers turn it back
    folder = tmp_path / "rotated"
    folder.mkdir()
    upright.transpose(Image.Transpose.ROTATE_270).save(folder / "t1-rotated.jpg", quality=95, exif=exif)
    shutil.copy(sample_photos["t1"], folder / "t1.jpg")
    library.index_directory(folder)
    faces = _faces_by_photo(library)
    assert len(faces["t1-rotated.jpg"]) == len(faces["t1.jpg"]) == 6
    for face in faces["t1-rotated.jpg"]:
        assert max(_iou(face["bbox"], other["bbox"]) for other in faces["t1.jpg"]) > 0.8


def test_search_with_a_recropped_rescaled_face_finds_it_first(library, photo_folder, tmp_path):
    library.index_directory(photo_folder)
    target = _faces_by_photo(library)["t1.jpg"][2]
    x1, y1, x2, y2 = target["bbox"]
    w, h = x2 - x1, y2 - y1
    crop = Image.open(photo_folder / "t1.jpg").crop(
        (int(x1 - 0.6 * w), int(y1 - 0.5 * h), int(x2 + 0.4 * w), int(y2 + 0.7 * h))
    )
    query = tmp_path / "query.png"
    crop.resize((crop.width * 2, crop.height * 2), Image.Resampling.BICUBIC).save(query)
    results = library.search(query, top_k=5)
    assert results[0].face_id == target["id"]
    assert results[0].score > 0.8
    assert results[0].path == target["path"]
    assert results[1].score < 0.5


def test_search_by_face_id_leaves_the_face_out(library, photo_folder):
    library.index_directory(photo_folder)
    face = next(library.iter_faces())
    results = library.search(face["id"], top_k=3)
    assert len(results) == 3
    assert face["id"] not in {r.face_id for r in results}
    assert results == sorted(results, key=lambda r: -r.score)
    with pytest.raises(FaceNotFoundError):
        library.search("00000000-0000-0000-0000-000000000000")


def test_search_finds_the_same_faces_in_memory_as_in_the_store(library, photo_folder, analyzer):
    library.index_directory(photo_folder)
    faces = _faces_by_photo(library)
    query = faces["t1.jpg"][0]["id"]
    library.remove_image(faces["players.jpg"][0]["image_id"])
    # Indexing loaded every face's vector: this search scores them in memory.
    in_memory = library.search(query, top_k=6, threshold=0.0)
    library.close()
    reopened = FaceLibrary(library.folder, analyzer=analyzer)
    try:
        assert reopened._catalog is None  # nothing has loaded the vectors: the store scans
        from_store = reopened.search(query, top_k=6, threshold=0.0)
    finally:
        reopened.close()
    assert [r.face_id for r in in_memory] == [r.face_id for r in from_store]
    assert [r.score for r in in_memory] == pytest.approx([r.score for r in from_store], abs=1e-5)
    assert [r.path for r in in_memory] == [r.path for r in from_store]
    assert all(r.path.endswith("t1.jpg") and 0.0 <= r.score for r in in_memory)  # the removed photo's faces are gone
    assert 0 < len(in_memory) < len(faces["t1.jpg"])


def test_second_index_of_unchanged_folder_decodes_nothing(library, photo_folder, monkeypatch):
    first = library.index_directory(photo_folder)
    decoded = []
    real_load = analysis_module.load_photo
    monkeypatch.setattr(analysis_module, "load_photo", lambda *a, **k: decoded.append(a) or real_load(*a, **k))
    second = library.index_directory(photo_folder)
    assert decoded == []
    assert (second.seen, second.unchanged, second.indexed) == (2, 2, 0)
    assert library.count() == first.faces_found


def test_a_rescan_of_an_unchanged_folder_never_loads_the_face_models(tmp_path, photo_folder):
    """Nothing to analyse: neither the models nor the libraries that run them
    (onnxruntime, OpenCV, insightface) are loaded."""
    import subprocess
    import sys

    library_dir = tmp_path / "lib"
    with FaceLibrary(library_dir) as lib:
        lib.index_directory(photo_folder)
    script = (
        "import sys\n"
        "from faceorganizer.library import FaceLibrary\n"
        f"lib = FaceLibrary({str(library_dir)!r})\n"
        f"report = lib.index_directory({str(photo_folder)!r})\n"
        "assert (report.unchanged, report.indexed) == (2, 0), report\n"
        "assert lib._analyzer is None\n"
        "print(sorted(m for m in ('onnxruntime', 'cv2', 'insightface') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_each_photo_file_is_indexed_once_whatever_links_lead_to_it(library, tmp_path, sample_photos):
    """A symlink or a hard link to a photo, or a folder reached twice, gives
    the photo's faces once."""
    folder = tmp_path / "photos"
    (folder / "album").mkdir(parents=True)
    shutil.copy(sample_photos["t1"], folder / "t1.jpg")
    (folder / "album" / "t1-link.jpg").symlink_to(folder / "t1.jpg")
    os.link(folder / "t1.jpg", folder / "album" / "t1-hardlink.jpg")
    other = tmp_path / "elsewhere"
    other.mkdir()
    os.link(folder / "t1.jpg", other / "t1-copy-by-link.jpg")
    (other / "t1-symlink.jpg").symlink_to(folder / "t1.jpg")

    first = library.index_directory(folder)
    second = library.index_directory(other)
    assert library.count() == 6
    assert (first.indexed, first.duplicates) == (1, 2)
    assert (second.indexed, second.duplicates) == (0, 2)
    [path] = {f["path"] for f in library.iter_faces()}
    assert path.startswith(str(folder)) and not Path(path).is_symlink()
    again = library.index_directory(folder)
    assert (again.indexed, again.unchanged, again.duplicates, library.count()) == (0, 1, 2, 6)


def test_people_form_during_a_first_import_not_only_at_its_end(library, make_photos, monkeypatch):
    """The first faces written already belong to people: a user watching a
    first import sees people within seconds."""
    monkeypatch.setattr(indexing_module, "_FLUSH_PHOTOS", 4)
    monkeypatch.setattr(indexing_module, "_FLUSH_SECONDS", 3600)  # a slow first photo flushes alone otherwise
    folder = make_photos("shots", "t1", 8)[0].parent
    seen_during_run = []
    library.index_directory(folder, on_photo=lambda _: seen_during_run.append(len(library.people())))
    assert seen_during_run[0] == 6


def test_touched_file_is_reindexed_alone_and_deleted_file_forgotten(library, photo_folder, monkeypatch):
    library.index_directory(photo_folder)
    before = _faces_by_photo(library)
    old_t1_ids = {f["id"] for f in before["t1.jpg"]}

    stat = (photo_folder / "t1.jpg").stat()
    os.utime(photo_folder / "t1.jpg", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    decoded = []
    real_load = analysis_module.load_photo
    monkeypatch.setattr(analysis_module, "load_photo", lambda src, **k: decoded.append(src) or real_load(src, **k))
    report = library.index_directory(photo_folder)
    assert [os.path.basename(p) for p in decoded] == ["t1.jpg"]
    assert (report.indexed, report.unchanged) == (1, 1)
    after = _faces_by_photo(library)
    assert len(after["t1.jpg"]) == 6 and not ({f["id"] for f in after["t1.jpg"]} & old_t1_ids)
    assert len(after["players.jpg"]) == len(before["players.jpg"])
    for face_id in old_t1_ids:
        assert not library.thumbnail_path(face_id).exists()

    (photo_folder / "players.jpg").unlink()
    report = library.index_directory(photo_folder)
    assert report.removed == 1
    assert set(_faces_by_photo(library)) == {"t1.jpg"}
    assert library.count() == 6


def test_bad_files_are_reported_and_good_photos_indexed(library, photo_folder, sample_photos):
    good = sample_photos["t1"].read_bytes()
    (photo_folder / "truncated.jpg").write_bytes(good[: len(good) // 2])
    (photo_folder / "corrupt.jpg").write_bytes(good[:4] + os.urandom(3000))
    (photo_folder / "empty.jpg").write_bytes(b"")
    (photo_folder / "notes.jpg").write_text("not a photo")
    write_huge_png(photo_folder / "huge.png")
    before = {p.name: p.read_bytes() for p in photo_folder.iterdir()}

    report = library.index_directory(photo_folder)
    reasons = {os.path.basename(path): reason for path, reason in report.failed}
    assert set(reasons) == {"truncated.jpg", "corrupt.jpg", "empty.jpg", "notes.jpg", "huge.png"}
    assert "truncated" in reasons["truncated.jpg"]
    assert "corrupt JPEG" in reasons["corrupt.jpg"]
    assert "empty" in reasons["empty.jpg"]
    assert "not an image" in reasons["notes.jpg"]
    assert "too large" in reasons["huge.png"]
    assert report.indexed == 2 and set(_faces_by_photo(library)) == {"t1.jpg", "players.jpg"}
    assert {p.name: p.read_bytes() for p in photo_folder.iterdir()} == before

    # Unchanged bad files are not tried again, but still reported.
    again = library.index_directory(photo_folder)
    assert again.failed == [] and len(again.still_failing) == 5 and again.unchanged == 2


def test_a_photo_named_in_another_encoding_is_named_as_failed_and_the_rest_indexed(
        tmp_path, analyzer, photo_folder, sample_photos):
    """Names from an old camera or archive in Latin-1: Python carries their
    bytes as lone surrogates, which no store or terminal takes."""
    latin1 = os.fsdecode(b"caf\xe9.jpg")
    shutil.copy(sample_photos["yaoming"], photo_folder / latin1)
    (photo_folder / os.fsdecode(b"\xe9t\xe9")).mkdir()
    shutil.copy(sample_photos["yaoming"], photo_folder / os.fsdecode(b"\xe9t\xe9") / "yao.jpg")
    (photo_folder / "Zoë").mkdir()
    shutil.copy(sample_photos["gdp"], photo_folder / "Zoë" / "gdp.jpg")
    with FaceLibrary(tmp_path / "library", analyzer=analyzer) as library:
        report = library.index_directory(photo_folder)
        assert sorted(report.badly_named) == [
            (f"{photo_folder}/caf\ufffd.jpg", "its name is not UTF-8 text: rename it to index it"),
            (f"{photo_folder}/\ufffdt\ufffd/yao.jpg", "its name is not UTF-8 text: rename it to index it"),
        ]
        assert report.indexed == 3  # t1.jpg, players.jpg and Zoë/gdp.jpg
        assert library.index_batch([photo_folder / latin1]) == [[]]
        with pytest.raises(ImageLoadError, match="not UTF-8"):
            library.index(photo_folder / latin1)
        gdp = library.paths_of(library.unassigned_faces() + [f for p in library.people()
                                                             for f in library.faces_of(p.cluster_id)])
    with FaceLibrary(tmp_path / "library", analyzer=analyzer) as library:  # the catalog snapshot has the paths
        assert library.paths_of(list(gdp)) == gdp
        assert sum(path.endswith("Zoë/gdp.jpg") for path in gdp.values()) == 5
        assert library.index_directory(photo_folder).unchanged == 3


def test_a_photo_that_turns_bad_keeps_its_faces(library, photo_folder):
    library.index_directory(photo_folder)
    data = (photo_folder / "t1.jpg").read_bytes()
    (photo_folder / "t1.jpg").write_bytes(data[: len(data) // 3])
    report = library.index_directory(photo_folder)
    assert [os.path.basename(p) for p, _ in report.failed] == ["t1.jpg"]
    assert len(_faces_by_photo(library)["t1.jpg"]) == 6


def test_index_single_photo_and_its_errors(tmp_path, analyzer, sample_photos):
    with FaceLibrary(tmp_path / "lib", analyzer=analyzer) as library:
        ids = library.index(sample_photos["gdp"])
        assert len(ids) >= 3 and library.count() == len(ids)
        assert library.index(sample_photos["gdp"]) == ids  # the same photo again replaces itself
        assert library.count() == len(ids)

        blank = tmp_path / "blank.png"
        Image.new("RGB", (640, 480), (90, 120, 150)).save(blank)
        with pytest.raises(NoFaceDetectedError):
            library.index(blank)
        with pytest.raises(ImageLoadError, match="not found"):
            library.index(tmp_path / "missing.jpg")
        array_ids = library.index(np.asarray(Image.open(sample_photos["yaoming"]).convert("RGB")))
        assert len(array_ids) == 1 and library.get_face(array_ids[0])["path"] is None

    strict = Settings(min_face_size=400)
    with FaceLibrary(tmp_path / "strict", analyzer=analyzer, settings=strict) as library:
        with pytest.raises(FilterRejectedError):
            library.index(sample_photos["t1"])
        assert library.count() == 0


def test_index_batch_skips_what_it_cannot_read(library, sample_photos, tmp_path):
    missing = tmp_path / "missing.jpg"
    progress = []
    results = library.index_batch(
        [sample_photos["t1"], missing, sample_photos["yaoming"]],
        on_progress=lambda done, total: progress.append((done, total)),
    )
    assert [len(r) for r in results] == [6, 0, 1]
    assert progress[0] == (0, 3) and progress[-1] == (3, 3)


def test_get_remove_remove_image_clear(library, photo_folder):
    library.index_directory(photo_folder)
    faces = _faces_by_photo(library)
    face = faces["t1.jpg"][0]
    assert library.get_face(face["id"])["bbox"] == face["bbox"]

    library.remove(face["id"])
    with pytest.raises(FaceNotFoundError):
        library.get_face(face["id"])
    assert not library.thumbnail_path(face["id"]).exists()
    # A face the user removed does not come back when its photo is indexed again.
    library.index(photo_folder / "t1.jpg")
    assert len(_faces_by_photo(library)["t1.jpg"]) == 5

    library.remove_image(faces["players.jpg"][0]["image_id"])
    assert set(_faces_by_photo(library)) == {"t1.jpg"}
    assert library.count() == 5

    library.clear()
    assert library.count() == 0
    # After clear, the folder is indexed again from scratch.
    assert library.index_directory(photo_folder).indexed == 2


def test_cancel_keeps_what_is_done(library, tmp_path, sample_photos):
    import threading

    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(24):
        shutil.copy(sample_photos["t1"], folder / f"copy{i:02d}.jpg")
    cancel = threading.Event()

    def progress(done, total):
        if done >= 3:
            cancel.set()

    report = library.index_directory(folder, on_progress=progress, cancel=cancel)
    assert report.cancelled and 3 <= report.indexed < 24
    assert library.count() == 6 * report.indexed
    rest = library.index_directory(folder)
    assert rest.unchanged == report.indexed and rest.indexed == 24 - report.indexed
    assert library.count() == 6 * 24


def test_unreadable_and_missing_folders(library, tmp_path):
    report = library.index_directory(tmp_path / "nope")
    assert report.unreadable_folders and "no such folder" in report.unreadable_folders[0][1]
    empty = tmp_path / "empty"
    empty.mkdir()
    report = library.index_directory(empty)
    assert (report.seen, report.indexed, report.failed) == (0, 0, [])


def test_second_open_of_a_library_is_refused(library, tmp_path, analyzer):
    with pytest.raises(LibraryLockedError, match="in use by another faceorganizer"):
        FaceLibrary(library.folder, analyzer=analyzer)
    # The first one still works.
    assert library.count() == 0


def test_faces_survive_reopening(tmp_path, analyzer, photo_folder):
    with FaceLibrary(tmp_path / "lib", analyzer=analyzer) as library:
        library.index_directory(photo_folder)
        count = library.count()
    with FaceLibrary(tmp_path / "lib", analyzer=analyzer) as library:
        assert library.count() == count
        assert library.index_directory(photo_folder).unchanged == 2


def test_unreadable_file_is_reported(analyzer, sample_photos):
    """A photo the user may not read: 'permission denied', the rest indexed.

    Root reads every file, so as root the indexing runs with the effective
    user id of 'nobody', in a folder outside pytest's private temp folders."""
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="faceorganizer-perm-"))
    try:
        os.chmod(root, 0o777)
        folder = root / "photos"
        folder.mkdir()
        shutil.copy(sample_photos["t1"], folder / "t1.jpg")
        shutil.copy(sample_photos["gdp"], folder / "secret.jpg")
        os.chmod(folder / "secret.jpg", 0)
        for path in (folder, folder / "t1.jpg"):
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
        as_nobody = os.geteuid() == 0
        if as_nobody:
            os.seteuid(65534)
        try:
            with FaceLibrary(root / "lib", analyzer=analyzer) as library:
                report = library.index_directory(folder)
        finally:
            if as_nobody:
                os.seteuid(0)
        [(path, reason)] = report.failed
        assert os.path.basename(path) == "secret.jpg" and reason.startswith("permission denied")
        assert report.indexed == 1 and report.faces_found == 6
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_a_library_keeps_to_one_recognizer(library, sample_photos):
    library.index(sample_photos["yaoming"])
    assert library.store.meta()["recognizer"] == "w600k_mbf.onnx"
    with pytest.raises(FaceOrganizerError, match="cannot be compared"):
        check_recognizer(library, "w600k_r50.onnx")


def test_folders_are_kept_and_removing_one_forgets_its_faces(library, photo_folder, tmp_path, sample_photos):
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(sample_photos["gdp"], other / "gdp.jpg")
    assert library.add_folders([photo_folder, other, photo_folder]) == [str(photo_folder), str(other)]
    for folder in library.folders():
        library.index_directory(folder)
    before = library.count()
    forgotten = library.remove_folder(other)
    assert forgotten > 0 and library.count() == before - forgotten
    assert library.folders() == [str(photo_folder)]
    assert set(_faces_by_photo(library)) == {"t1.jpg", "players.jpg"}
    assert (other / "gdp.jpg").exists()


def test_photos_analysed_elsewhere_join_the_library_as_indexed_ones(library, photo_folder, analyzer):
    """add_analysed_photo stores the faces with their boxes and groups them
    into people just as indexing would."""
    from faceorganizer.images import load_photo

    t1 = photo_folder / "t1.jpg"
    photo = load_photo(t1, max_side=1280)
    faces = [{"bbox": f.bbox, "det_score": f.det_score, "landmarks": f.landmarks, "embedding": f.embedding}
             for f in analyzer.analyze(photo)]
    first = library.add_analysed_photo(t1, (photo.width, photo.height), faces)
    again = library.add_analysed_photo(photo_folder / "players.jpg", (10, 10), faces)  # the same six people
    assert len(first) == len(again) == 6 and library.count() == 12
    assert len(library.people()) == 6 and all(p.face_count == 2 for p in library.people())
    stored = library.get_face(first[0])
    assert stored["path"] == str(t1) and stored["bbox"] == pytest.approx(list(faces[0]["bbox"]), abs=0.1)
    assert library.index_directory(photo_folder).unchanged == 2  # their files are known as indexed


@pytest.mark.parametrize("damage", ["deleted", "cut short", "garbled", "foreign"])
def test_the_vector_cache_is_only_a_cache(tmp_path, analyzer, photo_folder, damage):
    """Whatever happened to the vector cache beside the store, a library
    opens with every face's vector, and groups its people as before."""
    folder = tmp_path / "library"
    with FaceLibrary(folder, analyzer=analyzer) as lib:
        lib.index_directory(photo_folder)
        lib.cluster_all()
        expected = {p.cluster_id: set(lib.catalog.face_ids_of(p.cluster_id)) for p in lib.people()}
    cache = folder / "vectors.cache"
    data = cache.read_bytes()
    if damage == "deleted":
        cache.unlink()
    elif damage == "cut short":
        cache.write_bytes(data[: len(data) * 2 // 3])
    elif damage == "garbled":
        cache.write_bytes(data[:100] + bytes(255 - b for b in data[100:4000]) + data[4000:])
    else:
        cache.write_bytes(b"not a cache of ours" * 100)
    for _ in range(2):  # the second open reads the cache the first one mended
        with FaceLibrary(folder, analyzer=analyzer) as lib:
            catalog = lib.catalog
            stored = {f["id"]: f["vector"] for f in lib.store.iter_faces(vectors=True, fields=[])}
            assert sorted(catalog.ids) == sorted(stored)
            for face_id, vector in stored.items():
                assert np.array_equal(catalog.vectors[catalog.row[face_id]], vector)
            lib.cluster_all()
            assert {p.cluster_id: set(catalog.face_ids_of(p.cluster_id)) for p in lib.people()} == expected


def test_an_edge_library_written_with_people_means_opens_with_its_people_and_sheds_the_means(tmp_path):
    """Until 2026-12 each person's record held its mean face (512 numbers),
    which made reading the people at open slow; such a library keeps its
    people, and the means go at its first open."""
    import qdrant_edge as qe

    from faceorganizer.store import Batch, open_store, stable_id

    unit = np.ones(512, np.float32) / np.sqrt(512)
    store = open_store(tmp_path / "lib", engine="edge")
    store.apply(Batch(people={1: (unit, {"name": "Anna", "face_count": 3}), 2: (unit, {"name": None})}))
    ids = [stable_id("person", person_id) for person_id in (1, 2)]  # the points of people's records
    for point in ids:
        store.records.update(qe.UpdateOperation.set_payload([point], {"centroid": unit.tolist()}))
    store.flush()
    store.close()

    reopened = open_store(tmp_path / "lib")
    assert sorted((p["id"], p["name"]) for p in reopened.iter_people()) == [(1, "Anna"), (2, None)]
    payloads = [r.payload for r in reopened.records.retrieve(ids, with_payload=True, with_vector=False)]
    assert payloads and all("centroid" not in payload for payload in payloads)
    reopened.close()
