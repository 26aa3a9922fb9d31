"""Naming a person from the keyboard, the menu and the pencil button."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QApplication, QLineEdit

from .gestures import activate, click_tile, select_person, shown_people


def name_editor(qtbot, window) -> QLineEdit:
    """The name editor that opened on a people tile, with the focus."""
    view = window.people_view
    qtbot.waitUntil(lambda: view.state() == QAbstractItemView.State.EditingState, timeout=5_000)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit) and view.isAncestorOf(editor)
    return editor


def type_name(qtbot, window, name: str) -> None:
    """Type `name` in the name editor that opened on a people tile, then Return."""
    editor = name_editor(qtbot, window)
    qtbot.keyClicks(editor, name)
    qtbot.keyClick(editor, Qt.Key.Key_Return)


def name_of(window, cluster_id: int) -> str | None:
    return next(p.name for p in window.browser.people if p.cluster_id == cluster_id)


def test_f2_in_the_faces_pane_names_the_person_shown(qtbot, open_window, indexed_library):
    window = open_window(indexed_library)
    activate(qtbot, window)
    person = select_person(qtbot, window, 1)
    click_tile(qtbot, window.faces_view, 0)
    assert window.faces_view.hasFocus()
    qtbot.keyClick(window.faces_view, Qt.Key.Key_F2)
    type_name(qtbot, window, "Anna")
    qtbot.waitUntil(lambda: name_of(window, person) == "Anna", timeout=20_000)
    assert window.faces_pane.title.text() == "Anna"


def test_the_pencil_button_names_the_person_shown(qtbot, open_window, indexed_library):
    window = open_window(indexed_library)
    activate(qtbot, window)
    person = select_person(qtbot, window, 2)
    click_tile(qtbot, window.faces_view, 0)
    qtbot.mouseClick(window.faces_pane.rename_button, Qt.MouseButton.LeftButton)
    type_name(qtbot, window, "Ben")
    qtbot.waitUntil(lambda: name_of(window, person) == "Ben", timeout=20_000)


def test_edit_rename_with_a_face_selected_names_the_person_shown(qtbot, open_window, indexed_library):
    window = open_window(indexed_library)
    activate(qtbot, window)
    person = select_person(qtbot, window, 0)
    click_tile(qtbot, window.faces_view, 1)
    window.actions.rename.trigger()
    type_name(qtbot, window, "Carla")
    qtbot.waitUntil(lambda: name_of(window, person) == "Carla", timeout=20_000)


def test_a_taken_name_answered_no_names_both(qtbot, open_window, indexed_library, monkeypatch):
    """Naming a person with a name another has asks whether they are one
    person; No gives both the name (the library refuses a duplicate unless
    told, so the window must tell it)."""
    from PySide6.QtWidgets import QMessageBox

    window = open_window(indexed_library)
    activate(qtbot, window)
    first = select_person(qtbot, window, 0)
    window.corrections.rename(first, "Dana")
    qtbot.waitUntil(lambda: name_of(window, first) == "Dana", timeout=20_000)
    second = select_person(qtbot, window, 1)
    asked = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *args, **kwargs: asked.append(args) or QMessageBox.StandardButton.No)
    window.corrections.rename(second, "dana")
    qtbot.waitUntil(lambda: name_of(window, second) == "dana", timeout=20_000)
    assert asked and name_of(window, first) == "Dana"


def test_a_new_people_list_keeps_the_name_being_typed_for_its_person(qtbot, open_window, indexed_library):
    """The people list comes again while a name is typed (every second while
    indexing, and once after the window opens), here with the tiles in a new
    order: the typing stays, and Return names the person it was typed for."""
    window = open_window(indexed_library)
    activate(qtbot, window)
    person = select_person(qtbot, window, 1)
    other = shown_people(window)[2]
    window.actions.rename.trigger()
    editor = name_editor(qtbot, window)
    qtbot.keyClicks(editor, "Carla")
    window.corrections.rename(other, "Ada")  # named people come first: the tiles move
    qtbot.waitUntil(lambda: shown_people(window)[0] == other, timeout=20_000)
    assert editor.text() == "Carla"
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: name_of(window, person) == "Carla", timeout=20_000)
    assert name_of(window, other) == "Ada"
