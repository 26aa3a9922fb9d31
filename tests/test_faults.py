"""Faults a library meets, each on a real store: a damaged part of the store
set aside without costing the other parts; a disk that is or becomes full."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from faceorganizer.library import FaceLibrary

from conftest import fill, photo_variant

pytestmark = pytest.mark.engines


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "faceorganizer", *args], capture_output=True, text=True, timeout=300)


def _listed(library: Path, what: str) -> list[dict]:
    done = run(what, "--library", str(library), "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def named_library(tmp_path, sample_photos, analyzer, engine) -> Path:
    """Three shots of the six people of t1.jpg, grouped, one of them named Anna."""
    photos = tmp_path / "photos"
    photos.mkdir()
    for seed in range(3):
        photo_variant(sample_photos["t1"], photos / f"t1-{seed}.jpg", seed)
    with FaceLibrary(tmp_path / "library", analyzer=analyzer, engine=engine) as library:
        library.index_directory(photos)
        library.rename(library.people()[0].cluster_id, "Anna")
    return tmp_path / "library"


def test_a_garbled_people_part_costs_no_face(named_library, engine):
    """The part of the store holding the people garbled: the library says it is
    damaged; check --repair keeps every face (and, where the corrections log
    is a part of its own, every name) without analysing a photo again."""
    faces = {f["face_id"] for f in _listed(named_library, "faces")}
    if engine == "edge":  # every byte Edge keeps of the records' payloads and where they lie
        garbled = [p for p in (named_library / "edge/records/segments").rglob("payload_storage/*") if p.is_file()]
    else:
        garbled = list((named_library / "qdrant/collection/faceorganizer-people").glob("*.sqlite"))
    for path in garbled:
        with open(path, "r+b") as f:
            f.seek(min(64, path.stat().st_size // 4))
            f.write(bytes(range(256)) * 256)
    damaged = run("people", "--library", str(named_library))
    assert damaged.returncode == 3 and "is damaged" in damaged.stderr, damaged.stderr

    repaired = run("check", "--repair", "--library", str(named_library))
    assert repaired.returncode == 0, repaired.stderr
    assert f"{len(faces)} faces" in repaired.stdout and "lost: " in repaired.stdout, repaired.stdout
    analysed = "0 photos" if engine == "local" else "3 photos"  # Edge keeps the photo records with the people
    assert f"{analysed} analysed again" in repaired.stdout, repaired.stdout
    assert {f["face_id"] for f in _listed(named_library, "faces")} == faces
    if engine == "local":
        assert "Anna" in {p["name"] for p in _listed(named_library, "people")}
    checked = run("check", "--library", str(named_library))
    assert checked.returncode == 0, repaired.stdout + checked.stdout + checked.stderr


def _reserve(engine: str) -> int:
    from faceorganizer.store.edge import EdgeStore
    from faceorganizer.store.local import QdrantClientStore

    return (EdgeStore if engine == "edge" else QdrantClientStore).reserve


def test_a_full_disk_refuses_a_large_import_before_it_starts_and_corrections_then_both_continue(
        small_disk, make_photos, engine):
    """Too little room for a folder's photos: `index` says the disk is full
    before analysing one; on a full disk a rename says so too. Nothing is
    half written; with space freed both go through, each face once."""
    library = small_disk / "library"
    assert run("index", "--library", str(library), str(make_photos("t1", "t1", 3)[0].parent)).returncode == 0
    people = _listed(library, "people")
    faces = _listed(library, "faces")
    many = make_photos("gdp", "gdp", 12)[0].parent

    filler = fill(small_disk, _reserve(engine) + 2**19)  # room for a rename, not for 12 photos' faces
    refused = run("index", "--library", str(library), str(many))
    assert refused.returncode == 1, refused.stderr
    assert f"The disk holding the library {library} is full (" in refused.stderr, refused.stderr
    assert "MB free" in refused.stderr and "Traceback" not in refused.stderr
    assert _listed(library, "faces") == faces
    filler.unlink()

    filler = fill(small_disk, _reserve(engine) - 2**20)
    rename = run("rename", "--library", str(library), str(people[0]["cluster_id"]), "Anna")
    assert rename.returncode == 1 and "is full (" in rename.stderr and "Traceback" not in rename.stderr
    assert _listed(library, "people") == people
    filler.unlink()

    assert run("rename", "--library", str(library), str(people[0]["cluster_id"]), "Anna").returncode == 0
    assert run("index", "--library", str(library), str(many)).returncode == 0
    after = _listed(library, "faces")
    assert len({f["face_id"] for f in after}) == len(after) > len(faces)
    assert {Path(f["path"]).parent for f in after} == {Path(faces[0]["path"]).parent, many}
    assert "Anna" in {p["name"] for p in _listed(library, "people")}


def test_a_disk_another_program_fills_while_indexing_is_named_and_nothing_is_lost(
        small_disk, tmp_path, make_photos, engine):
    """Another program takes the last byte while `index` writes (the engine's
    own write fails, past the reserve): the message says the disk is full,
    no traceback, nothing said damaged; with space freed, every face once."""
    few = make_photos("a", "t1", 3)[0].parent
    many = make_photos("b", "t1", 24, first_seed=3)[0].parent
    reference = tmp_path / "reference"
    assert run("index", "--library", str(reference), str(few), str(many)).returncode == 0
    expected = sorted(f["face_id"] for f in _listed(reference, "faces"))
    library = small_disk / "library"
    assert run("index", "--library", str(library), str(few)).returncode == 0

    used = shutil.disk_usage(small_disk).used
    indexing = subprocess.Popen([sys.executable, "-m", "faceorganizer", "index", "--library", str(library), str(many)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while shutil.disk_usage(small_disk).used == used and indexing.poll() is None:
        time.sleep(0.05)  # until it writes
    filler = fill(small_disk, 0)
    _, stderr = indexing.communicate(timeout=600)
    assert indexing.returncode == 1, stderr
    assert f"The disk holding the library {library} is full (" in stderr, stderr
    assert "Traceback" not in stderr and "damaged" not in stderr and "unexpected" not in stderr, stderr
    opened = run("people", "--library", str(library))
    assert "Traceback" not in opened.stderr and ("is full (" in opened.stderr or opened.returncode == 0), opened.stderr

    filler.unlink()
    assert run("index", "--library", str(library), str(few), str(many)).returncode == 0
    assert sorted(f["face_id"] for f in _listed(library, "faces")) == expected
