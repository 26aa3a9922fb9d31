"""What a user does to the window, and what the tests read back from it."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication


def people_state(window) -> list:
    return sorted((p.cluster_id, p.name, p.face_count, p.hidden) for p in window.browser.people)


def drop(view, mime, row: int) -> None:
    """Drag `mime` over the tile at `row` of `view` and drop it, as Qt's drag
    and drop delivers it."""
    position = QPointF(view.visualRect(view.model().index(row, 0)).center())
    actions = Qt.DropAction.MoveAction
    target = view.viewport()
    for event in (
        QDragEnterEvent(position.toPoint(), actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier),
        QDragMoveEvent(position.toPoint(), actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier),
        QDropEvent(position, actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier),
    ):
        event.setDropAction(Qt.DropAction.MoveAction)  # the user's choice (the platform's, offscreen)
        event.ignore()  # as Qt delivers them: a view accepts what it can take
        QApplication.sendEvent(target, event)


def wait_change(qtbot, window, action, shown=lambda: True):
    """Run `action`, wait for its change-set, then until the people grid has
    changed and `shown()` holds."""
    before = people_state(window)
    done = window.corrections_seen + 1
    action()
    # (Worker signals are waited for through what the window did with them:
    # qtbot.waitSignal would run its callback on the worker thread.)
    qtbot.waitUntil(lambda: window.corrections_seen == done, timeout=20_000)
    qtbot.waitUntil(lambda: people_state(window) != before and shown(), timeout=20_000)


def shown_faces(window) -> list[str]:
    return [f.face_id for f in window.faces_model.items()]


def shown_people(window) -> list[int]:
    return [p.cluster_id for p in window.people_model.items()]


def select_person(qtbot, window, row: int) -> int:
    person = window.people_model.item(row)
    window.people_view.setCurrentIndex(window.people_model.index(row))
    qtbot.waitUntil(lambda: window.browser.current_key == person.cluster_id
                    and window.faces_model.rowCount() == person.face_count, timeout=10_000)
    return person.cluster_id


def click_tile(qtbot, view, row: int, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """A left click on the tile at `row` (it takes the focus, as a click does)."""
    view.setFocus()
    rect = view.visualRect(view.model().index(row))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())


def activate(qtbot, window) -> None:
    """Make the window the active one: shortcuts only reach an active window."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5_000)
