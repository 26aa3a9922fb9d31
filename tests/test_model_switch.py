"""Switching a library's recognition model, on real photos: the "other
model" is the bundled recogniser with its vectors rotated by a fixed random
orthogonal matrix, so its vectors mean nothing to the old ones yet group the
same. After the switch every name, person, refusal and hidden person is
kept, matched faces keep their ids, every vector is the new model's, a new
photo of a named person joins them, and the old model is refused; a switch
killed part way goes on when run again, to the same result."""

from __future__ import annotations

import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from faceorganizer.cli import main
from faceorganizer.config import Settings
from faceorganizer.errors import FaceOrganizerError
from faceorganizer.faces import LARGE_MODELS, SMALL_MODELS
from faceorganizer.library import FaceLibrary
from faceorganizer.model_staging import STAGING
from faceorganizer.strangers import ignore_photo

from conftest import photo_variant


@pytest.fixture
def corrected_library(tmp_path, sample_photos, analyzer):
    """Two shots of t1.jpg's six people and yaoming.jpg, corrected: two
    people named, two others merged, a face refusing its person, yaoming's
    face ignored (a hidden person). Closed; its folder."""
    photos = tmp_path / "photos"
    photos.mkdir()
    for seed in (0, 1):
        photo_variant(sample_photos["t1"], photos / f"t1-{seed}.jpg", seed)
    shutil.copy(sample_photos["yaoming"], photos / "yaoming.jpg")
    folder = tmp_path / "library"
    with FaceLibrary(folder, analyzer=analyzer) as library:
        library.index_directory(photos)
        pairs = [p.cluster_id for p in library.people() if p.face_count == 2]
        assert len(pairs) == 6
        library.rename(pairs[0], "Anna")
        library.rename(pairs[1], "Ben")
        library.merge_clusters(pairs[2:4])
        library.not_this_person([library.faces_of(pairs[4])[0]])
        [yao] = [f for f in library.iter_faces() if f["path"].endswith("yaoming.jpg")]
        ignore_photo(library, yao["id"])
    return folder


def state(library: FaceLibrary) -> dict[str, tuple]:
    """Each face's person as the user sees it (name, hidden) and its corrections."""
    people = {p.cluster_id: (p.name, p.hidden) for p in library.people(include_hidden=True)}
    return {f["id"]: (people.get(f["cluster_id"]), f["cluster_id"], bool(f.get("pinned")),
                      tuple(f.get("rejected_clusters") or ()), bool(f.get("not_a_face")))
            for f in library.iter_faces()}


def vectors(library: FaceLibrary) -> dict[str, np.ndarray]:
    """Every face's vector as the store holds it."""
    return {f["id"]: f["vector"] for f in library.store.iter_faces(vectors=True, fields=[])}


def check_switched(folder: Path, before: dict, old_vectors: dict, rotation: np.ndarray, sample_photos,
                   tmp_path: Path) -> None:
    """The library in `folder` is on the rotated model, with everything the user said kept."""
    with FaceLibrary(folder) as library:
        assert state(library) == before
        new_vectors = vectors(library)
        assert new_vectors.keys() == old_vectors.keys()
        for face_id, vector in old_vectors.items():
            np.testing.assert_allclose(new_vectors[face_id], vector @ rotation, atol=2e-3)
        assert library.analyzer.model_names[1] == LARGE_MODELS[1]
        # A new photo of the named people joins them: grouping holds on the new vectors.
        named = {p.name: p.face_count for p in library.people() if p.name}
        more = tmp_path / "more"
        more.mkdir()
        photo_variant(sample_photos["t1"], more / "t1-2.jpg", 2)
        library.index_directory(more)
        assert {p.name: p.face_count for p in library.people() if p.name} == {
            name: faces + 1 for name, faces in named.items()}
    assert not (folder / STAGING).exists()
    (tmp_path / "no-models").mkdir()  # so the bundled, unrotated model
    with pytest.raises(FaceOrganizerError, match="cannot be compared"):
        FaceLibrary(folder, settings=Settings(model_dir=str(tmp_path / "no-models")))


def test_switching_keeps_names_people_refusals_and_hidden_faces(
        corrected_library, rotated_models, rotation, sample_photos, analyzer, tmp_path):
    folder = corrected_library
    with FaceLibrary(folder, analyzer=analyzer) as library:
        before, old_vectors = state(library), vectors(library)
        ben = next(p.cluster_id for p in library.people() if p.name == "Ben")

        def rename_meanwhile(done: int, total: int) -> None:
            if done == 1:  # a correction while the switch runs, on the old vectors
                library.rename(ben, "Benjamin")

        report = library.switch_models(rotated_models, rename_meanwhile)
        assert report.completed and report.photos == 3
        assert (report.matched, report.new, report.listed) == (len(before), 0, [])
    before = {face_id: (("Benjamin", False), *rest) if person == ("Ben", False) else (person, *rest)
              for face_id, (person, *rest) in before.items()}
    check_switched(folder, before, old_vectors, rotation, sample_photos, tmp_path)


def test_a_switch_killed_part_way_goes_on_when_run_again(
        corrected_library, rotated_models, rotation, sample_photos, analyzer, tmp_path):
    folder = corrected_library
    crowd = tmp_path / "crowd"  # photos of 20 faces, so that the switch takes long enough to be killed
    crowd.mkdir()
    for i in range(4):
        shutil.copy(sample_photos["players"], crowd / f"players-{i}.jpg")
    with FaceLibrary(folder, analyzer=analyzer) as library:
        library.index_directory(crowd)
        before, old_vectors = state(library), vectors(library)
    # On a terminal, the progress bar shows each photo as it is done.
    terminal, progress_out = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "faceorganizer", "models", "use", str(rotated_models), "--library", str(folder)],
        stdout=subprocess.DEVNULL, stderr=progress_out)
    os.close(progress_out)
    shown = b""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not re.search(rb" [1-6]/7 photos", shown):
        if select.select([terminal], [], [], 1.0)[0]:
            try:
                shown += os.read(terminal, 4096)
            except OSError:  # the command ended
                break
    process.send_signal(signal.SIGKILL)
    process.wait()
    os.close(terminal)
    assert process.returncode == -signal.SIGKILL, f"the switch ended before it could be killed: {shown!r}"
    with FaceLibrary(folder) as library:
        assert state(library) == before  # still on the old model, whole
        assert library.models_in_use().pending.recognizer == LARGE_MODELS[1]

    assert main(["models", "use", str(rotated_models), "--library", str(folder)]) == 0
    check_switched(folder, before, old_vectors, rotation, sample_photos, tmp_path)


def test_faces_of_photos_that_cannot_be_read_come_from_their_thumbnails_or_hold_the_switch(
        tmp_path, sample_photos, analyzer, rotated_models, rotation):
    photos, away = tmp_path / "photos", tmp_path / "unplugged"
    photos.mkdir()
    away.mkdir()
    for name in ("gdp", "yaoming"):
        shutil.copy(sample_photos[name], photos / f"{name}.jpg")
    folder = tmp_path / "library"
    with FaceLibrary(folder, analyzer=analyzer) as library:
        library.index_directory(photos)
        old_vectors = vectors(library)
        [yao] = [f["id"] for f in library.iter_faces() if f["path"].endswith("yaoming.jpg")]
        lost = next(f["id"] for f in library.iter_faces() if f["path"].endswith("gdp.jpg"))
        library.thumbnails.path(lost).unlink()
    for name in ("gdp", "yaoming"):
        (photos / f"{name}.jpg").rename(away / f"{name}.jpg")

    with FaceLibrary(folder) as library:
        report = library.switch_models(rotated_models)
        assert not report.completed and "Not switched" in report.summary()
        gdp, yaoming = str(photos / "gdp.jpg"), str(photos / "yaoming.jpg")
        assert [entry for entry in report.listed if entry[0] == yaoming] == [
            (yaoming, "no person", "embedded from its thumbnail")]
        assert [how for photo, _, how in report.listed if photo == gdp and how.startswith("not embedded")]
        assert library.models_in_use().models.recognizer == SMALL_MODELS[1]  # still the old vectors
        assert vectors(library).keys() == old_vectors.keys()

    (away / "gdp.jpg").rename(photos / "gdp.jpg")  # the drive is back
    with FaceLibrary(folder) as library:
        report = library.switch_models(rotated_models)
        assert report.completed, report.summary()
        assert library.models_in_use().models.recognizer == LARGE_MODELS[1]
        new_vectors = vectors(library)
    np.testing.assert_allclose(new_vectors[lost], old_vectors[lost] @ rotation, atol=2e-3)
    assert float(new_vectors[yao] @ (old_vectors[yao] @ rotation)) > 0.8  # the same face, from its thumbnail


def test_the_window_switches_models_as_a_job_and_a_correction_meanwhile_holds(
        corrected_library, rotated_models, analyzer):
    from faceorganizer.protocol import Call, JobFinished, Open, Opened, Progress, Rename, Reply, SwitchModels
    from faceorganizer.service import LibraryService

    with FaceLibrary(corrected_library, analyzer=analyzer) as library:
        anna = next(p.cluster_id for p in library.people() if p.name == "Anna")
    sent: list = []
    waiting = [Call(2, Rename(anna, "Anna Maria"))]  # arrives while the switch runs
    service = LibraryService(sent.append, lambda: waiting.pop() if waiting else None, threading.Event())
    service.dispatch(Call(1, Open(str(corrected_library))))
    assert SMALL_MODELS[1] in [m for m in sent if isinstance(m, Opened)][-1].info.models
    service.dispatch(Call(3, SwitchModels(str(rotated_models))))
    try:
        assert [m for m in sent if isinstance(m, Progress)][-1].done == 3
        [finished] = [m for m in sent if isinstance(m, JobFinished)]
        assert finished.job == "models" and finished.summary.startswith("Switched to"), finished
        assert [m.call_id for m in sent if isinstance(m, Reply) and m.failure is None] == [1, 2, 3]
        assert LARGE_MODELS[1] in [m for m in sent if isinstance(m, Opened)][-1].info.models  # opened again on it
        assert "Anna Maria" in [p.name for p in service.library.people()]
    finally:
        service._close(None, say=False)
