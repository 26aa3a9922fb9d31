"""Faults a library meets, each on a real store: a damaged part of the store,
set aside without costing the other parts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from faceorganizer.library import FaceLibrary

from conftest import photo_variant

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
    part = named_library / ("edge/records/segments" if engine == "edge" else "qdrant/collection/faceorganizer-people")
    biggest = max((p for p in part.rglob("*") if p.is_file() and "payload" in str(p) or p.suffix == ".sqlite"),
                  key=lambda p: p.stat().st_blocks)
    with open(biggest, "r+b") as f:
        f.seek(min(64, biggest.stat().st_size // 4))
        f.write(bytes(range(256)) * 16)
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
