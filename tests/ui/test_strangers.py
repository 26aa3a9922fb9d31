"""Strangers hidden in bulk from the window (Edit > Hide strangers…, the
viewer's Hide all faces of this photo), the Ignored list and Take back."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QInputDialog

from faceorganizer.library import FaceLibrary

from .gestures import click_tile, select_person


def test_hide_strangers_hides_the_unnamed_people_of_few_faces(qtbot, open_window, indexed_library):
    with FaceLibrary(indexed_library) as library:
        anna = library.people()[0]
        library.rename(anna.cluster_id, "Anna")
    window = open_window(indexed_library)

    def shown() -> list[tuple[str, int]]:
        return sorted((p.name or "", p.face_count) for p in window.browser.people if not p.hidden)

    before = shown()
    assert len(before) == len(indexed_library.people) and all(n == 3 for _, n in before)

    def answer():
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, QInputDialog) and dialog.intValue() == 2
        dialog.setIntValue(3)
        dialog.accept()

    QTimer.singleShot(0, answer)
    window.actions.hide_strangers.trigger()
    qtbot.waitUntil(lambda: shown() == [("Anna", 3)], timeout=20_000)
    assert window.status_message.text() == f"Hide {len(before) - 1} unnamed people of 3 faces or fewer"
    window.undo()
    qtbot.waitUntil(lambda: shown() == before, timeout=20_000)


def test_take_back_shows_an_ignored_person_again(qtbot, open_window, indexed_library):
    window = open_window(indexed_library)
    stranger = window.people_model.item(0).cluster_id
    window.people_view.setCurrentIndex(window.people_model.index(0))
    window.actions.hide.trigger()
    qtbot.waitUntil(lambda: stranger not in [p.cluster_id for p in window.people_model.items()], timeout=20_000)
    assert window.sidebar.scope_items["hidden"].text(0).startswith("Ignored")
    window.actions.show_hidden.trigger()
    qtbot.waitUntil(lambda: [p.cluster_id for p in window.people_model.items()] == [stranger], timeout=20_000)
    assert window.people_pane.title.text().startswith("Ignored people")
    select_person(qtbot, window, 0)
    window.actions.take_back.trigger()
    qtbot.waitUntil(lambda: window.people_model.rowCount() == 0, timeout=20_000)
    assert not next(p for p in window.browser.people if p.cluster_id == stranger).hidden


@pytest.mark.qt_log_ignore("This plugin does not support raise")  # the viewer comes to the front; offscreen cannot
def test_the_viewer_hides_all_faces_of_its_photo(qtbot, open_window, indexed_library):
    window = open_window(indexed_library)
    select_person(qtbot, window, 0)
    click_tile(qtbot, window.faces_view, 0)
    window.actions.open_photo.trigger()
    qtbot.waitUntil(lambda: window.browser.viewer is not None and window.browser.viewer.isVisible(), timeout=20_000)
    viewer = window.browser.viewer
    faces = len(viewer.info.faces)
    name = Path(viewer.info.path).name
    qtbot.mouseClick(viewer.hide_all_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.status_message.text() == f"Ignore {faces} faces of {name}", timeout=20_000)
    qtbot.waitUntil(lambda: [p.face_count for p in window.browser.people if p.hidden] == [faces], timeout=20_000)
    qtbot.waitUntil(lambda: sum(p.face_count for p in window.browser.people if not p.hidden)
                    == sum(n for _, n in indexed_library.people) - faces, timeout=20_000)
