"""What the window shows when something goes wrong: an unexpected error
(a dialog with the sentence and its details to copy; the window keeps
working) and a damaged library (named, and repaired by a button)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication

from faceorganizer.protocol import AddFolders, ListFaces
from faceorganizer.store.edge import EdgeStore
from faceorganizer.store.local import QdrantClientStore
from faceorganizer.ui.panes.status import CONTINUE

from conftest import copy_library, fill

from .gestures import people_state, wait_change


def test_an_unexpected_error_of_the_library_shows_its_details_and_the_window_keeps_working(
        qtbot, open_window, indexed_library):
    window = open_window(indexed_library)
    window.errors.interactive = True
    window.client.call(ListFaces(key=[1]))  # a list is no person id: a bug in the window, as it would be
    qtbot.waitUntil(lambda: window.errors.dialog is not None and window.errors.dialog.isVisible(), timeout=20_000)
    dialog = window.errors.dialog
    assert dialog.message.text() == "Could not list the faces: unexpected error: TypeError: unhashable type: 'list'"
    dialog.copy_button.click()
    assert dialog.isVisible()  # copying does not close it
    assert QGuiApplication.clipboard().text().startswith("Traceback (most recent call last):")
    assert "TypeError: unhashable type: 'list'" in QGuiApplication.clipboard().text()
    dialog.close()

    anna, ben = (window.people_model.item(row).cluster_id for row in (0, 1))
    wait_change(qtbot, window, lambda: window.corrections.merge_into([ben], anna))
    assert ben not in [p.cluster_id for p in window.browser.people]


def test_an_error_in_the_window_itself_shows_a_dialog_and_the_window_keeps_working(
        qtbot, open_window, indexed_library):
    window = open_window(indexed_library)
    window.errors.interactive = True
    window.errors.install()
    try:
        def broken() -> None:
            raise RuntimeError("the zoom slider has no step")

        QTimer.singleShot(0, broken)
        qtbot.waitUntil(lambda: window.errors.dialog is not None and window.errors.dialog.isVisible(),
                        timeout=10_000)
    finally:
        window.errors.uninstall()
    assert window.errors.dialog.message.text() == (
        "The window met an unexpected error: RuntimeError: the zoom slider has no step")
    assert "in broken" in window.errors.dialog.details
    window.errors.dialog.close()
    before = people_state(window)
    anna = window.people_model.item(0).cluster_id
    wait_change(qtbot, window, lambda: window.corrections.rename(anna, "Anna"))
    assert people_state(window) != before


@pytest.mark.engines
def test_a_damaged_library_is_named_and_the_repair_button_brings_every_face_back(
        qtbot, open_window, indexed_library, engine):
    window = open_window(indexed_library)
    before = sorted(count for _, count in indexed_library.people)
    window.close()
    store = indexed_library / ("edge/faces" if engine == "edge" else "qdrant/collection/faceorganizer-faces")
    biggest = max((p for p in store.rglob("*") if p.is_file()), key=lambda p: p.stat().st_blocks)
    biggest.write_bytes(b"")

    window = open_window(indexed_library, wait_ready=False)
    qtbot.waitUntil(window.damaged.isVisible, timeout=60_000)
    text = window.damaged.message.text()
    assert f"The library {indexed_library} is damaged" in text
    assert f"faceorganizer check --repair --library {indexed_library}" in text
    assert not window.failed and window.isVisible()

    window.damaged.repair_button.click()
    qtbot.waitUntil(window.cancel_button.isVisible, timeout=20_000)  # its progress shows
    qtbot.waitUntil(lambda: window.status_message.text().startswith("Repaired: "), timeout=300_000)
    assert not window.damaged.isVisible()
    assert "6 photos analysed again" in window.status_message.text()
    qtbot.waitUntil(lambda: sorted(p.face_count for p in window.browser.people) == before, timeout=60_000)
    assert list(indexed_library.glob("damaged-*"))


@pytest.mark.engines
def test_a_disk_full_while_indexing_is_said_and_continue_finishes_once_space_is_back(
        qtbot, open_window, indexed_library, make_photos, small_disk, engine):
    library = small_disk / "library"
    copy_library(indexed_library, library)
    window = open_window(library)
    faces = sum(count for _, count in indexed_library.people) + window.browser.unassigned_count
    more = make_photos("more", "t1", 6, first_seed=10)[0].parent
    reserve = (EdgeStore if engine == "edge" else QdrantClientStore).reserve
    filler = fill(small_disk, reserve + 2**19)  # room to add the folder, not to index its photos

    window.client.call(AddFolders((str(more),)))
    qtbot.waitUntil(lambda: window.status_message.text().startswith("⚠"), timeout=60_000)
    assert window.status_message.text().startswith(
        f"⚠ Could not index the photos: the disk holding the library {library} is full (")
    assert window.status_link.isVisible() and ">Continue<" in window.status_link.text()
    assert not window.cancel_button.isVisible()

    filler.unlink()
    window.status.linkActivated.emit(CONTINUE)
    qtbot.waitUntil(lambda: window.status_message.text().startswith("Indexed: "), timeout=300_000)
    assert window.status_message.text().startswith("Indexed: 6 photos, 36 faces found")
    assert str(more) in window.sidebar_folders()
    qtbot.waitUntil(lambda: sum(p.face_count for p in window.browser.people)
                    + window.browser.unassigned_count == faces + 36, timeout=60_000)
