"""The settings dialog: it changes what the user changed, and nothing else."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from faceorganizer.ui.settings import SettingsDialog, load_settings


def answer_settings(window, answer) -> None:
    """Open File > Settings and let `answer(dialog)` fill it in and close it."""
    def fill_in():
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, SettingsDialog)
        answer(dialog)

    QTimer.singleShot(0, fill_in)
    window.settings_action.trigger()


def test_ok_with_nothing_changed_keeps_the_settings(qtbot, open_window, indexed_library):
    window = open_window(indexed_library)
    before = load_settings()
    shown = []
    answer_settings(window, lambda dialog: (shown.append(dialog.threshold.text()), dialog.accept()))
    assert shown == ["0.475"]  # the library's threshold
    assert load_settings() == before == window.settings
    assert window.settings.core.cluster_threshold is None  # still the library's own


def test_a_changed_threshold_is_kept_as_typed(qtbot, open_window, indexed_library):
    window = open_window(indexed_library)

    def set_threshold(dialog):
        dialog.threshold.setValue(0.512)
        dialog.accept()

    answer_settings(window, set_threshold)
    assert window.settings.core.cluster_threshold == 0.512
    assert load_settings().core.cluster_threshold == 0.512
    shown = []
    answer_settings(window, lambda dialog: (shown.append(dialog.threshold.text()), dialog.reject()))
    assert shown == ["0.512"]
