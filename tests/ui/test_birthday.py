"""A person's birthday from the window: the header's button sets it, shows it,
and undo takes it back; the person's faces tell their age on each photo."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from faceorganizer.ui.birthday import BirthdayDialog
from faceorganizer.ui.photo_canvas import label_of

from .gestures import activate, select_person


def born_of(window, cluster_id: int) -> str | None:
    return next(p.born for p in window.browser.people if p.cluster_id == cluster_id)


def answer_birthday_dialog(qtbot, day: QDate) -> None:
    """Once the birthday dialog opens: choose `day` and press Save."""

    def answer():
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, BirthdayDialog)
        dialog.date.setDate(day)
        save = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save)
        qtbot.mouseClick(save, Qt.MouseButton.LeftButton)

    QTimer.singleShot(200, answer)


def test_the_header_sets_a_birthday_and_undo_takes_it_back(qtbot, open_window, indexed_library):
    window = open_window(indexed_library)
    activate(qtbot, window)
    person = select_person(qtbot, window, 0)
    button = window.faces_pane.birthday_button
    assert button.isVisible() and button.text() == "Add birthday"
    answer_birthday_dialog(qtbot, QDate(2012, 6, 15))
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: born_of(window, person) == "2012-06-15", timeout=20_000)
    qtbot.waitUntil(lambda: button.text() == "Born 15 June 2012", timeout=5_000)
    # The photos' dates are their files' (today): the age on each is today's.
    today = date.today()
    age = today.year - 2012 - ((today.month, today.day) < (6, 15))
    model = window.faces_model
    qtbot.waitUntil(lambda: model.rowCount() > 0 and f"{age} years old in this photo" in (
        model.data(model.index(0), Qt.ItemDataRole.ToolTipRole) or ""), timeout=20_000)
    # The viewer's box says it too.
    window.browser.open_face(model.items()[0].face_id)
    qtbot.waitUntil(lambda: window.browser.viewer is not None and window.browser.viewer.info is not None
                    and f"Unnamed, {age}" in map(label_of, window.browser.viewer.info.faces), timeout=20_000)
    window.browser.viewer.close()
    # And the person's Photos.
    qtbot.mouseClick(window.faces_pane.photos_button, Qt.MouseButton.LeftButton)
    grid = window.photos.grid
    qtbot.waitUntil(lambda: window.photos.loaded and bool(grid.photos), timeout=20_000)
    assert f"Unnamed, {age}" in grid._describe(grid.photos[0])
    qtbot.mouseClick(window.faces_pane.faces_button, Qt.MouseButton.LeftButton)
    window.actions.undo.trigger()
    qtbot.waitUntil(lambda: born_of(window, person) is None, timeout=20_000)
    qtbot.waitUntil(lambda: button.text() == "Add birthday", timeout=5_000)
