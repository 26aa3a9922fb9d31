"""Small faces in big photos: a group photo of 12 MP whose faces are 48-88 px
(built from the packaged t1.jpg, whose six faces are large) gains them on a
closer look, and they join the people of t1's own faces."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from PIL import Image

from faceorganizer.config import Settings
from faceorganizer.images import load_photo
from faceorganizer.library import FaceLibrary

#: px, the shorter side of each pasted face's box: the first look finds the
#: largest at most, which tells it to look closer.
SIZES = (48, 56, 64, 72, 80, 88)


def group_photo(analyzer, source, target):
    """A 4000x3000 JPEG: each face of `source`, cut with its hair and scaled
    so its box is one of SIZES, on a plain wall; returns the pasted boxes."""
    photo = load_photo(source, max_side=100_000)
    rng = np.random.default_rng(0)
    ramp = np.linspace(90, 170, 4000, dtype=np.float32)[None, :, None]
    wall = ramp + rng.normal(0, 3, (3000, 4000, 3)).astype(np.float32)
    canvas = Image.fromarray(np.clip(wall, 0, 255).astype(np.uint8))
    boxes = []
    for k, face in enumerate(analyzer.detect(photo)):
        x1, y1, x2, y2 = face.bbox
        margin = 0.8 * max(x2 - x1, y2 - y1)
        left, top = max(0, int(x1 - margin)), max(0, int(y1 - margin))
        right, bottom = min(photo.width, int(x2 + margin)), min(photo.height, int(y2 + margin))
        zoom = SIZES[k % len(SIZES)] / face.size
        cut = Image.fromarray(photo.pixels[top:bottom, left:right])
        cut = cut.resize((round(cut.width * zoom), round(cut.height * zoom)), Image.Resampling.LANCZOS)
        x, y = 600 + (k % 3) * 1100, 900 + (k // 3) * 900
        canvas.paste(cut, (x, y))
        boxes.append((x + (x1 - left) * zoom, y + (y1 - top) * zoom, x + (x2 - left) * zoom, y + (y2 - top) * zoom))
    canvas.save(target, "JPEG", quality=92)
    return boxes


@pytest.fixture
def group_folder(tmp_path, analyzer, sample_photos):
    """t1.jpg and a 12 MP group photo of its six faces at 48-88 px."""
    folder = tmp_path / "photos"
    folder.mkdir()
    shutil.copy(sample_photos["t1"], folder / "t1.jpg")
    boxes = group_photo(analyzer, sample_photos["t1"], folder / "group.jpg")
    assert len(boxes) == 6
    return folder


def faces_by_photo(library) -> dict[str, list[dict]]:
    faces: dict[str, list[dict]] = {}
    for face in library.iter_faces():
        faces.setdefault(face["path"].rsplit("/", 1)[-1], []).append(face)
    return faces


def test_the_small_faces_of_a_big_group_photo_are_found_and_join_their_people(tmp_path, analyzer, group_folder):
    with FaceLibrary(tmp_path / "first-look", analyzer=analyzer, settings=Settings(small_faces=False)) as lib:
        lib.index_directory(group_folder)
        assert len(faces_by_photo(lib).get("group.jpg", [])) < 6  # what the first look alone finds
    with FaceLibrary(tmp_path / "library", analyzer=analyzer) as lib:
        lib.index_directory(group_folder)
        faces = faces_by_photo(lib)
        small = faces["group.jpg"]
        assert len(small) == 6
        assert all(min(f["bbox"][2] - f["bbox"][0], f["bbox"][3] - f["bbox"][1]) < 100 for f in small)
        # Each small face is in the person of the same face in t1.jpg: six people of two faces.
        people = {f["cluster_id"] for f in small}
        assert len(people) == 6 and None not in people
        assert people == {f["cluster_id"] for f in faces["t1.jpg"]}


def test_find_small_faces_adds_the_missed_faces_and_keeps_everything_else(tmp_path, analyzer, group_folder):
    with FaceLibrary(tmp_path / "library", analyzer=analyzer, settings=Settings(small_faces=False)) as lib:
        lib.index_directory(group_folder)
        first_look = len(faces_by_photo(lib).get("group.jpg", []))
        assert first_look < 6
        # Anna: the face whose copy in the group photo is the largest the first look misses (80 px).
        pasted = analyzer.detect(load_photo(group_folder / "t1.jpg", max_side=100_000))[SIZES.index(80)].bbox
        anna_face = min(faces_by_photo(lib)["t1.jpg"],
                        key=lambda f: abs(f["bbox"][0] - pasted[0]) + abs(f["bbox"][1] - pasted[1]))["id"]
        anna = lib.reassign_faces([anna_face], None).result
        lib.rename(anna, "Anna")
        before = {f["id"]: f["cluster_id"] for f in lib.iter_faces()}

        report = lib.find_small_faces()
        assert report.indexed == 2 and report.faces_found == 6 - first_look
        after = {f["id"]: f["cluster_id"] for f in lib.iter_faces()}
        assert set(before) <= set(after)  # every face keeps its id...
        assert all(after[f] == before[f] for f in before if before[f] is not None)  # ...and its person
        assert lib.get_person(anna).name == "Anna"
        assert lib.get_person(anna).face_count == 2  # her face in the group photo joined her
        assert len(faces_by_photo(lib)["group.jpg"]) == 6
        assert lib.find_small_faces().indexed == 0  # looked at once is enough


def test_index_small_faces_on_the_command_line(tmp_path, analyzer, group_folder, capsys):
    from faceorganizer.cli import main

    library = str(tmp_path / "library")
    with FaceLibrary(library, analyzer=analyzer, settings=Settings(small_faces=False)) as lib:
        lib.index_directory(group_folder)
        first_look = lib.count()
    assert main(["index", "--library", library, "--small-faces"]) == 0
    out = capsys.readouterr().out
    assert f"Looked closer at 2 photos: {12 - first_look} faces found" in out
    with pytest.raises(SystemExit) as info:
        main(["index", "--library", library])
    assert info.value.code == 2


def test_the_window_s_find_small_faces_runs_as_a_job(tmp_path, analyzer, group_folder):
    """File > Find small faces: the service's job reports its progress, the
    faces found, and the people as they are now."""
    import threading

    from faceorganizer.protocol import Call, FindSmallFaces, JobFinished, Open, PeopleChanged, Progress
    from faceorganizer.service import LibraryService

    library = tmp_path / "library"
    with FaceLibrary(library, analyzer=analyzer, settings=Settings(small_faces=False)) as lib:
        lib.index_directory(group_folder)
        first_look = lib.count()
    sent: list = []
    service = LibraryService(sent.append, lambda: None, threading.Event())
    service.dispatch(Call(1, Open(str(library))))
    service.dispatch(Call(2, FindSmallFaces()))
    try:
        [finished] = [m for m in sent if isinstance(m, JobFinished)]
        assert finished.job == "small-faces"
        assert finished.summary.startswith(f"Looked closer: 2 photos, {12 - first_look} faces found")
        assert [m for m in sent if isinstance(m, Progress)][-1].done == 2
        assert sum(p.face_count for p in [m for m in sent if isinstance(m, PeopleChanged)][-1].people) == 12
    finally:
        service._close(None, say=False)
