"""The storage seam: one contract, every embedded engine; and the journal that
makes every write all or nothing, checked by killing a real process at every
write of a correction."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from faceorganizer.library import FaceLibrary
from faceorganizer.store import Batch, Journal, journal_files, open_store, stable_id
from faceorganizer.store import journal as journal_module

from conftest import copy_library

pytestmark = pytest.mark.engines


def unit(seed: int) -> np.ndarray:
    vector = np.random.default_rng(seed).normal(size=512).astype(np.float32)
    return vector / np.linalg.norm(vector)


@pytest.fixture
def store(tmp_path, engine):
    store = open_store(tmp_path / "lib", engine=engine)
    yield store
    store.close()


def test_the_engine_asked_for_is_the_one_used_and_kept(tmp_path, engine):
    store = open_store(tmp_path / "lib", engine=engine)
    assert store.engine == engine
    store.close()
    reopened = open_store(tmp_path / "lib")
    assert reopened.engine == engine
    reopened.close()


def test_what_a_batch_writes_reads_back_and_survives_reopening(tmp_path, store):
    faces = {stable_id("face", i): (unit(i), {"image_id": f"photo-{i // 2}", "cluster_id": i % 3 or None,
                                              "bbox": [1.0, 2.0, 3.0, 4.0]}) for i in range(10)}
    store.apply(Batch(
        faces=faces,
        photos={stable_id("photo", 1): {"path": "/p/a/1.jpg", "folder": "/p/a", "folders": ["/p/a", "/p", "/"],
                                       "version": {"file_key": "1:2"}}},
        people={1: (unit(100), {"name": "Anna", "face_count": 3}), 2: (unit(101), {"name": None})},
        log={1: {"description": "Merge", "undone": False, "change": {"faces_before": {}}}},
        meta={"folders": ["/p"], "highest_id": 2},
    ))
    ids = list(faces)
    store.apply(Batch(face_fields={ids[0]: {"cluster_id": 7, "pinned": True}}, faces_deleted={ids[9]},
                      people_fields={1: {"hidden": True}}, people_deleted={2}, log_fields={1: {"undone": True}},
                      meta={"recognizer": "w600k"}))
    store.flush()

    def check(store):
        assert store.count_faces() == 9
        [first] = store.get_faces([ids[0]], vectors=True)
        assert first["cluster_id"] == 7 and first["pinned"] is True and first["image_id"] == "photo-0"
        np.testing.assert_allclose(first["vector"], unit(0), atol=1e-6)
        assert {f["id"] for f in store.iter_faces(image_id="photo-1")} == {ids[2], ids[3]}
        assert {f["id"] for f in store.iter_faces(cluster_id=1)} == {ids[1], ids[4], ids[7]}
        assert {f["id"] for f in store.iter_faces(unassigned=True)} == {ids[3], ids[6]}
        assert [f.get("pinned") for f in store.iter_faces(fields=["pinned"]) if f["id"] == ids[0]] == [True]
        hits = store.search_faces(unit(4), 3)
        assert hits[0]["id"] == ids[4] and hits[0]["score"] == pytest.approx(1.0, abs=1e-5)
        assert len(hits) == 3 and store.search_faces(unit(4), 10, threshold=0.5)[0]["id"] == ids[4]
        [photo] = store.iter_photos(under="/p")
        assert photo["path"] == "/p/a/1.jpg"
        assert [p["id"] for p in store.iter_photos(folder="/p/a")] == [photo["id"]]
        assert [p["id"] for p in store.iter_photos(file_keys=["1:2", "9:9"])] == [photo["id"]]
        assert list(store.iter_photos(folder="/p")) == []
        assert store.get_photos([photo["id"], stable_id("nothing")]) == [photo]
        assert [(p["id"], p["name"], p["hidden"]) for p in store.iter_people()] == [(1, "Anna", True)]
        assert [e["description"] for e in store.iter_log(fields=["description"])] == ["Merge"]
        assert store.get_log([1])[0]["change"] == {"faces_before": {}} and store.get_log([1])[0]["undone"] is True
        assert store.meta() == {"folders": ["/p"], "highest_id": 2, "recognizer": "w600k"}

    check(store)
    store.close()
    reopened = open_store(tmp_path / "lib")
    check(reopened)
    reopened.clear()
    assert reopened.count_faces() == 0 and list(reopened.iter_people()) == [] and list(reopened.iter_log()) == []
    assert reopened.meta()["folders"] == ["/p"]
    reopened.close()


def test_journals_left_by_a_killed_process_are_finished_at_open_oldest_first(tmp_path, store):
    journal = Journal(store, tmp_path)
    journal.write(Batch(faces={stable_id("a"): (unit(1), {"cluster_id": 1})}))
    assert journal.pending == 1 and journal_files(tmp_path)
    journal.sync()
    assert journal.pending == 0 and not journal_files(tmp_path)
    # A process killed after its journals were complete, before the batches were applied:
    left = [Batch(face_fields={stable_id("a"): {"cluster_id": 2}}, people={2: (unit(2), {"name": "Ben"})}),
            Batch(face_fields={stable_id("a"): {"cluster_id": 3}})]
    for number, batch in enumerate(left, start=9):
        (tmp_path / f"journal-{number:06d}.json").write_text(json.dumps(batch.to_json()))
    assert Journal(store, tmp_path).recover()
    assert store.get_faces([stable_id("a")])[0]["cluster_id"] == 3
    assert [p["name"] for p in store.iter_people()] == ["Ben"]
    assert not journal_files(tmp_path)


def test_the_journal_syncs_by_itself_before_its_files_grow_long_to_apply_again(tmp_path, store, monkeypatch):
    monkeypatch.setattr(journal_module, "SYNC_BYTES", 100_000)
    journal = Journal(store, tmp_path)
    waiting = []  # bytes of the journals waiting after each write
    for i in range(0, 1_000, 10):
        journal.write(Batch(faces={stable_id("face", j): (unit(j), {"image_id": "photo"}) for j in range(i, i + 10)}))
        if not journal.pending:
            break
        waiting.append(sum(path.stat().st_size for path in journal_files(tmp_path)))
        assert store.count_faces() == 0  # committed; applied when the library reads or is idle
    assert not journal_files(tmp_path) and store.count_faces() == 10 * (len(waiting) + 1)  # applied, durable
    assert len(waiting) > 1 and waiting[-1] < 100_000 <= waiting[-1] + waiting[0]  # once past the bound


# -- kill -9 at every write of a correction ---------------------------------------

_KILLER = """
import os, signal, sys
from faceorganizer.library import FaceLibrary
from faceorganizer.store.{module} import {cls}

kill_at = int(sys.argv[2])
calls = 0

def counted(original):
    def write(*args, **kwargs):
        global calls
        calls += 1
        if calls == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return original(*args, **kwargs)
    return staticmethod(write) if isinstance(original, staticmethod) else write

for name in ("_put", "_set_fields", "_delete", "flush"):
    setattr({cls}, name, counted({cls}.__dict__[name]))

library = FaceLibrary(sys.argv[1])
{operation}
library.close()  # the correction is committed; closing applies it to the engine and syncs
print("finished", calls)
"""


def _people(library) -> dict:
    return {p.cluster_id: (p.name, frozenset(library.catalog.face_ids_of(p.cluster_id)))
            for p in library.people(include_hidden=True)}


@pytest.mark.parametrize("operation", ["merge", "reassign"])
def test_a_kill_at_any_write_leaves_a_correction_whole_or_absent(tmp_path, analyzer, make_photos, engine,
                                                                  operation):
    original = tmp_path / "original"
    with FaceLibrary(original, analyzer=analyzer) as library:
        library.index_directory(make_photos("shots", "t1", 8)[0].parent)
        people = [p.cluster_id for p in library.people()]
        library.rename(people[0], "Anna")
        before = _people(library)
    if operation == "merge":
        code = f"library.merge_clusters([{people[1]}, {people[0]}, {people[2]}])"
    else:
        code = f"library.reassign_faces(library.faces_of({people[0]})[:6], {people[3]})"
    module, cls = ("edge", "EdgeStore") if engine == "edge" else ("local", "QdrantClientStore")
    script = _KILLER.format(module=module, cls=cls, operation=code)

    # The writes the correction makes when nothing stops it, and what it leaves.
    copy = tmp_path / "complete"
    copy_library(original, copy)
    done = subprocess.run([sys.executable, "-c", script, str(copy), "0"], capture_output=True, text=True, check=True)
    writes = int(done.stdout.split()[-1])
    assert writes >= 3
    with FaceLibrary(copy, analyzer=analyzer) as library:
        after = _people(library)
    assert after != before

    for kill_at in range(1, writes + 1):
        trial = tmp_path / f"kill-{kill_at}"
        copy_library(original, trial)
        killed = subprocess.run([sys.executable, "-c", script, str(trial), str(kill_at)], capture_output=True, text=True)
        assert killed.returncode == -9, killed.stderr
        with FaceLibrary(trial, analyzer=analyzer) as library:
            state = _people(library)
            assert state in (before, after), f"kill at write {kill_at} of {writes} left a half-done {operation}"
            assert "Anna" in {name for name, _ in state.values()}
        with FaceLibrary(trial, analyzer=analyzer) as library:
            assert _people(library) == state  # what the first open shows is what is stored


def test_undo_and_redo_survive_a_restart(tmp_path, analyzer, make_photos):
    folder = tmp_path / "lib"
    with FaceLibrary(folder, analyzer=analyzer) as library:
        library.index_directory(make_photos("shots", "t1", 4)[0].parent)
        a, b = [p.cluster_id for p in library.people()][:2]
        library.rename(a, "Anna")
        named = _people(library)
        library.merge_clusters([a, b])
        merged = _people(library)
    with FaceLibrary(folder, analyzer=analyzer) as library:
        assert [e["description"] for e in library.history()][:1] == [
            "Merge an unnamed person (4 faces) into 'Anna'"]
        assert library.undo().description == "Undo merge an unnamed person (4 faces) into 'Anna'"
        assert _people(library) == named
    with FaceLibrary(folder, analyzer=analyzer) as library:
        assert _people(library) == named
        assert library.history()[0]["undone"] is True
        library.redo()
        assert _people(library) == merged
        library.undo()
        library.undo()  # the rename
        assert all(name is None for name, _ in _people(library).values())
        assert library.undo() is None
        library.redo()
        assert "Anna" in {name for name, _ in _people(library).values()}
        # A new correction drops what could have been redone.
        library.hide([a])
        assert library.redo() is None
        assert [e["description"] for e in library.history()] == [
            "Hide 'Anna'", "Name an unnamed person (4 faces) 'Anna'"]
    with FaceLibrary(folder, analyzer=analyzer) as library:
        assert [e["description"] for e in library.history()] == [
            "Hide 'Anna'", "Name an unnamed person (4 faces) 'Anna'"]
        assert library.undo().description == "Undo hide 'Anna'"


_MIGRATE_KILLER = """
import os, signal, sys
import faceorganizer.store.migrate as migrate
from faceorganizer.store.{module} import {cls}
from faceorganizer.cli import main

kill_at = int(sys.argv[2])
calls = 0

def counted(original):
    def call(*args):
        global calls
        calls += 1
        if calls == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return original(*args)
    return call

{cls}.apply = counted({cls}.apply)  # the copy's writes
migrate.os.replace = counted(os.replace)
sys.exit(main(["migrate", "--engine", "{target}", "--library", sys.argv[1]]))
"""


def test_a_library_moves_between_engines_whole_and_a_kill_leaves_it_whole(tmp_path, analyzer, make_photos, engine):
    """Every face, vector, person, name and correction is carried over and
    checked; killed at any write of the copy, the library opens whole on one
    engine or the other; undo works after the move."""
    target = "local" if engine == "edge" else "edge"
    original = tmp_path / "original"
    with FaceLibrary(original, analyzer=analyzer) as library:
        library.index_directory(make_photos("shots", "t1", 3)[0].parent)
        a, b = [p.cluster_id for p in library.people()][:2]
        library.rename(a, "Anna")
        library.merge_clusters([a, b])
        before = _people(library)
        faces = {f["id"]: f for f in library.iter_faces()}
        history = library.history()

    def contents(folder):
        with FaceLibrary(folder, analyzer=analyzer) as library:
            return (library.store.engine, _people(library), {f["id"]: f for f in library.iter_faces()},
                    library.history())

    module, cls = ("edge", "EdgeStore") if target == "edge" else ("local", "QdrantClientStore")
    # os.replace is counted wherever it is called: the new store's settings
    # file and the switch's renames.
    script = _MIGRATE_KILLER.format(module=module, cls=cls, target=target)
    ended_on = {}
    for kill_at in range(1, 11):  # each write of the copy and each rename, then one more: not killed
        trial = tmp_path / f"kill-{kill_at}"
        copy_library(original, trial)
        done = subprocess.run([sys.executable, "-c", script, str(trial), str(kill_at)], capture_output=True,
                              text=True)
        assert done.returncode in (0, -9), done.stderr
        engine_now, people, faces_now, history_now = contents(trial)
        ended_on[done.returncode == 0] = ended_on.get(done.returncode == 0, set()) | {engine_now}
        assert (people, history_now) == (before, history)
        assert faces_now.keys() == faces.keys()
        assert all(faces_now[f]["cluster_id"] == faces[f]["cluster_id"] for f in faces)
    assert ended_on == {False: {engine, target}, True: {target}}
    assert "copied and checked" in done.stdout and list(trial.glob("*.retired"))
    with FaceLibrary(trial, analyzer=analyzer) as library:
        library.undo()
        assert "Anna" in {name for name, _ in _people(library).values()}
        assert len(library.people()) == len(before) + 1
