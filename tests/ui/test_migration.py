"""A library that outgrew qdrant-client's local mode: the window offers to
move it to Qdrant Edge, and after the move the same people are shown."""

from __future__ import annotations

import pytest

from faceorganizer.library import FaceLibrary
from faceorganizer.store import ENGINE_ENV
from faceorganizer.ui import migration

from .gestures import people_state


@pytest.fixture
def local_library(tmp_path, analyzer, make_photos, monkeypatch):
    monkeypatch.setenv(ENGINE_ENV, "local")
    folder = tmp_path / "library"
    with FaceLibrary(folder, analyzer=analyzer) as library:
        library.index_directory(make_photos("t1", "t1", 3)[0].parent)
        library.rename(library.people()[0].cluster_id, "Anna")
        faces = library.count()
    monkeypatch.delenv(ENGINE_ENV)
    return folder, faces


def test_a_big_local_library_is_offered_the_move_and_keeps_its_people(qtbot, open_window, local_library,
                                                                       monkeypatch):
    folder, faces = local_library
    monkeypatch.setattr(migration, "OFFER_FROM", faces)  # as if it held 20,000 faces
    window = open_window(folder)
    assert window.migration_offer is None  # the tests' window is not interactive: it never asks
    before = people_state(window)

    window.migration_offer = migration.offer(window, window.info, window.client.call)
    box = window.migration_offer
    assert box.isVisible() and f"{faces:,} faces" in box.text()
    assert window.info.engine == "local"
    with qtbot.waitSignal(window.client.worker.opened, timeout=120_000) as opened:
        next(b for b in box.buttons() if b.text() == "Move now").click()
    assert opened.args[0].engine == "edge" and opened.args[0].face_count == faces
    qtbot.waitUntil(lambda: window.status_message.text().startswith("Moved "), timeout=60_000)
    assert f"Moved {faces} faces" in window.status_message.text()
    qtbot.waitUntil(lambda: people_state(window) == before, timeout=30_000)
    assert window.people_model.item(0).name == "Anna"
    assert (folder / "edge").is_dir()


def test_only_a_big_local_library_is_offered_the_move():
    from faceorganizer.protocol import LibraryInfo

    assert migration.worth_offering(LibraryInfo(".", ".", engine="local", face_count=25_000))
    assert not migration.worth_offering(LibraryInfo(".", ".", engine="local", face_count=5_000))
    assert not migration.worth_offering(LibraryInfo(".", ".", engine="edge", face_count=500_000))
