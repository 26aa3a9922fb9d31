"""Undo and redo: the keys, the Edit menu's texts and the status bar's link."""

from __future__ import annotations

import re
import subprocess
import sys

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence

from .gestures import activate, people_state, wait_change


def press(qtbot, widget, sequence: QKeySequence) -> None:
    combination = sequence[0]
    qtbot.keyClick(widget, combination.key(), combination.keyboardModifiers())


def test_the_platform_redo_keys_redo(qtbot, open_window, indexed_library):
    window = open_window(indexed_library)
    activate(qtbot, window)
    person = window.people_model.item(0).cluster_id
    before = people_state(window)
    wait_change(qtbot, window, lambda: window.corrections.rename(person, "Anna"))
    after = people_state(window)
    window.people_view.setFocus()
    # (Not the keyboard's own Redo key: QTest cannot type it.)
    redo_keys = [k for k in QKeySequence.keyBindings(QKeySequence.StandardKey.Redo)
                 if k.count() == 1 and k[0].keyboardModifiers() != Qt.KeyboardModifier.NoModifier]
    assert QKeySequence("Ctrl+Shift+Z") in redo_keys  # the key the issue pressed
    for key in redo_keys:
        press(qtbot, window.people_view, QKeySequence(QKeySequence.StandardKey.Undo))
        qtbot.waitUntil(lambda: people_state(window) == before, timeout=20_000)
        press(qtbot, window.people_view, key)
        qtbot.waitUntil(lambda: people_state(window) == after, timeout=20_000)


def test_the_status_bar_offers_undo_only_for_the_action_it_reports(qtbot, open_window, indexed_library):
    window = open_window(indexed_library)
    anna = window.people_model.item(0).cluster_id
    wait_change(qtbot, window, lambda: window.corrections.rename(anna, "Anna"))
    other = window.people_model.item(1).cluster_id
    wait_change(qtbot, window, lambda: window.corrections.merge_into([other], anna))
    message = window.status_message.text()
    assert message.startswith("Merge ") and message.endswith("into 'Anna'")
    assert not re.search(r"person \d", message + window.undo_action.text())
    assert window.status_link.isVisible() and window.status_link.text().endswith(">Undo</a>")
    merged = people_state(window)

    window.status_link.linkActivated.emit("undo")
    qtbot.waitUntil(lambda: other in [p.cluster_id for p in window.browser.people], timeout=20_000)
    assert window.status_message.text() == f"Undone: {message}"
    assert window.status_link.text().endswith(">Redo</a>")  # not Undo: it would undo the rename
    window.status_link.linkActivated.emit("redo")
    qtbot.waitUntil(lambda: people_state(window) == merged, timeout=20_000)
    assert window.status_message.text() == f"Redone: {message}"

    window.actions.rescan.trigger()
    qtbot.waitUntil(lambda: window.status_message.text().startswith("Indexed"), timeout=60_000)
    assert not window.status_link.isVisible()
    assert window.undo_action.isEnabled()  # the merge can still be undone from the Edit menu


def test_undo_outlives_the_window_and_agrees_with_the_command_line(qtbot, open_window, indexed_library):
    """The corrections log is the library's: a merge made in one window is
    undone by `faceorganizer undo`, redone and undone by the next window."""
    window = open_window(indexed_library)
    before = people_state(window)
    anna, ben = (window.people_model.item(row).cluster_id for row in (0, 1))
    wait_change(qtbot, window, lambda: window.corrections.merge_into([ben], anna))
    merged = people_state(window)
    assert window.undo_action.text().startswith("Undo merge ")
    window.close()

    undone = subprocess.run([sys.executable, "-m", "faceorganizer", "undo", "--library", str(indexed_library)],
                            capture_output=True, text=True, timeout=120)
    assert undone.returncode == 0 and undone.stdout.startswith("Undo merge "), undone.stderr

    window = open_window(indexed_library)
    assert people_state(window) == before
    assert window.redo_action.isEnabled() and window.redo_action.text().startswith("Redo merge ")
    window.redo_action.trigger()
    qtbot.waitUntil(lambda: people_state(window) == merged, timeout=20_000)
    window.close()

    window = open_window(indexed_library)  # a new window, a new library process
    assert people_state(window) == merged
    assert window.undo_action.text().startswith("Undo merge ")
    window.undo_action.trigger()
    qtbot.waitUntil(lambda: people_state(window) == before, timeout=20_000)
    assert window.status_message.text().startswith("Undone: Merge ")
