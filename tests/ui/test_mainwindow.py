"""The window on a real library: what the user sees after each gesture."""

from __future__ import annotations

import subprocess
import sys

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from faceorganizer.protocol import UNASSIGNED, AddFolders, Index
from faceorganizer.ui.models import FACES_MIME, PEOPLE_MIME, ThumbnailRole, _mime

from conftest import library_held_elsewhere

from .gestures import drop, people_state, select_person, shown_faces, wait_change


def test_the_window_shows_people_with_names_counts_and_thumbnails(qtbot, open_window, indexed_library):
    window = open_window(indexed_library)
    model = window.people_model
    assert [model.index(r).data(Qt.ItemDataRole.AccessibleTextRole) for r in range(model.rowCount())] == \
        [f"Unnamed, {count} faces" for _, count in indexed_library.people]
    assert window.faces_model.rowCount() == indexed_library.people[0][1]
    # Thumbnails arrive off the GUI thread.
    qtbot.waitUntil(lambda: all(model.thumbnail(r) is not None for r in range(model.rowCount())), timeout=10_000)
    assert not model.index(0).data(ThumbnailRole).isNull()
    assert window.people_pane.currentIndex() == 1


def test_drop_faces_on_a_person_moves_them_and_undo_redo_restore(qtbot, open_window, indexed_library):
    window = open_window(indexed_library)
    source = select_person(qtbot, window, 0)
    before = people_state(window)
    face_ids = [window.faces_model.item(0).face_id]
    target = window.people_model.item(1).cluster_id
    wait_change(qtbot, window, lambda: drop(window.people_view, _mime(FACES_MIME, face_ids), 1),
                lambda: face_ids[0] not in shown_faces(window))
    counts = {p.cluster_id: p.face_count for p in window.browser.people}
    assert counts[source] == 2 and counts[target] == 4
    assert window.undo_action.text().startswith("Undo move 1 face to")
    after = people_state(window)

    window.undo_action.trigger()
    qtbot.waitUntil(lambda: people_state(window) == before, timeout=20_000)
    qtbot.waitUntil(lambda: face_ids[0] in shown_faces(window), timeout=10_000)
    window.redo_action.trigger()
    qtbot.waitUntil(lambda: people_state(window) == after, timeout=20_000)


def test_drop_a_person_on_a_person_merges_and_the_target_keeps_its_name(qtbot, open_window, indexed_library):
    window = open_window(indexed_library)
    target = window.people_model.item(0).cluster_id
    wait_change(qtbot, window, lambda: window.corrections.rename(target, "Anna"))
    assert window.people_model.item(0).name == "Anna"
    row = next(r for r in range(window.people_model.rowCount()) if window.people_model.item(r).cluster_id != target)
    source = window.people_model.item(row).cluster_id
    anna_row = window.people_model.row_of(target)
    wait_change(qtbot, window, lambda: drop(window.people_view, _mime(PEOPLE_MIME, [source]), anna_row))
    people = {p.cluster_id: p for p in window.browser.people}
    assert source not in people
    assert people[target].name == "Anna" and people[target].face_count == 6
    assert window.people_model.rowCount() == len(indexed_library.people) - 1
    assert window.undo_action.text().startswith("Undo merge ") and "'Anna'" in window.undo_action.text()
    # A person dropped on itself is refused.
    assert not window.people_model.canDropMimeData(_mime(PEOPLE_MIME, [target]), Qt.DropAction.MoveAction,
                                                   -1, 0, window.people_model.index(anna_row))


def test_drop_zones_new_person_and_not_a_face(qtbot, open_window, indexed_library):
    window = open_window(indexed_library)
    source = select_person(qtbot, window, 0)
    faces = [window.faces_model.item(r).face_id for r in range(2)]
    bar = window.drop_bar
    wait_change(qtbot, window, lambda: bar.new_person.dropped.emit(faces[:1]),
                lambda: shown_faces(window) == faces[:1])
    assert len(window.browser.people) == len(indexed_library.people) + 1
    assert {p.cluster_id: p.face_count for p in window.browser.people}[source] == 2

    select_person(qtbot, window, window.people_model.row_of(source))
    remaining = window.faces_model.item(0).face_id
    mime = _mime(FACES_MIME, [remaining])
    position = QPointF(bar.not_a_face.rect().center())
    done = window.corrections_seen + 1
    QApplication.sendEvent(bar.not_a_face, QDragEnterEvent(
        position.toPoint(), Qt.DropAction.MoveAction, mime, Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier))
    QApplication.sendEvent(bar.not_a_face, QDropEvent(
        position, Qt.DropAction.MoveAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))
    qtbot.waitUntil(lambda: window.corrections_seen == done, timeout=20_000)
    qtbot.waitUntil(lambda: remaining not in shown_faces(window), timeout=10_000)
    assert {p.cluster_id: p.face_count for p in window.browser.people}[source] == 1
    assert "not a face" in window.undo_action.text()


def test_keyboard_not_this_person_and_unassigned_list(qtbot, open_window, indexed_library):
    window = open_window(indexed_library)
    select_person(qtbot, window, 0)
    window.faces_view.setFocus()
    window.faces_view.selectionModel().select(window.faces_model.index(0),
                                              window.faces_view.selectionModel().SelectionFlag.Select)
    face = window.faces_model.item(0).face_id
    wait_change(qtbot, window, window.actions.not_person.trigger)
    assert window.browser.unassigned_count == 1
    window.browser.set_scope(UNASSIGNED)
    qtbot.waitUntil(lambda: shown_faces(window) == [face], timeout=10_000)
    assert window.faces_pane.title.text() == "Unassigned faces"


def test_indexing_in_the_worker_fills_the_grid_and_cancel_stops_it(qtbot, open_window, tmp_path, make_photos):
    empty = tmp_path / "fresh"
    window = open_window(empty)
    assert window.people_pane.currentIndex() == 0  # the invitation to add a folder
    assert window.people_pane.empty_button.isVisible() and not window.faces_pane.isVisible()
    assert window.sidebar_folders() == []

    # Worker signals reach test code before the window has handled them:
    # wait for what the window shows.
    folder = make_photos("new", "t1", 2)[0].parent
    window.client.call(AddFolders((str(folder),)))
    qtbot.waitUntil(lambda: "Indexed: 2 photos, 12 faces found" in window.status_message.text(), timeout=60_000)
    qtbot.waitUntil(lambda: window.people_model.rowCount() == 6, timeout=10_000)
    assert window.people_pane.currentIndex() == 1
    assert window.sidebar_folders() == [str(folder)]

    many = make_photos("many", "players", 16)[0].parent
    window.client.call(AddFolders((str(many),)))
    qtbot.waitUntil(lambda: window.cancel_button.isVisible() and window.progress_bar.value() > 0, timeout=60_000)
    assert window.status.progress_title.text() == "Indexing many"
    assert "photos" in window.status.progress_label.text() and "faces" in window.status.progress_label.text()
    window.cancel_button.click()
    assert window.status.progress_title.text() == "Stopping…"
    qtbot.waitUntil(lambda: window.status_message.text().startswith("Stopped"), timeout=60_000)
    assert not window.cancel_button.isVisible()


def test_a_library_open_elsewhere_gives_a_message(qtbot, open_window, indexed_library):
    with library_held_elsewhere(indexed_library):
        window = open_window(indexed_library, wait_ready=False)
        qtbot.waitUntil(lambda: window.failed, timeout=20_000)
        assert not window.isVisible()


def test_screenshot_mode(tmp_path, indexed_library):
    shot = tmp_path / "shot.png"
    result = subprocess.run(
        [sys.executable, "-m", "faceorganizer", "gui", "--library", str(indexed_library), "--screenshot", str(shot)],
        capture_output=True, text=True, timeout=300,
        env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.returncode == 0, result.stderr
    from PySide6.QtGui import QImage

    image = QImage(str(shot))
    assert image.width() >= 1000 and image.height() >= 600


def test_closing_the_window_while_indexing_stops_the_library_service(qtbot, open_window, tmp_path, make_photos):
    import time

    window = open_window(tmp_path / "lib")
    many = make_photos("many", "players", 20)[0].parent
    window.client.call(AddFolders((str(many),)))
    window.client.call(Index((str(many),)))  # a second job, queued behind the first
    qtbot.waitUntil(lambda: window.cancel_button.isVisible(), timeout=60_000)
    started = time.monotonic()
    window.close()
    assert not window.client.is_running()
    assert time.monotonic() - started < 20
