"""The settings dialog: it changes what the user changed, and nothing else;
the grouping settings are the library's, the same for the command line."""

from __future__ import annotations

import json
import subprocess
import sys

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from faceorganizer.ui.app import application
from faceorganizer.ui.settings import SettingsDialog, load_settings


def answer_settings(window, answer) -> None:
    """Open File > Settings and let `answer(dialog)` fill it in and close it."""
    def fill_in():
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, SettingsDialog)
        answer(dialog)

    QTimer.singleShot(0, fill_in)
    window.actions.settings.trigger()


def library_settings(library) -> dict:
    """What `faceorganizer settings --json` says of the library."""
    done = subprocess.run([sys.executable, "-m", "faceorganizer", "settings", "--library", str(library), "--json"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_ok_with_nothing_changed_keeps_the_settings(qtbot, open_window, indexed_library):
    window = open_window(indexed_library)
    before = load_settings()
    shown = []
    answer_settings(window, lambda dialog: (shown.append(dialog.threshold.text()), dialog.accept()))
    assert shown == ["0.475"]  # the library's threshold
    assert load_settings() == before == window.settings
    window.close()
    assert library_settings(indexed_library)["cluster_threshold"] == 0.475  # not 0.47


def test_changed_settings_are_the_librarys_for_the_command_line_too(qtbot, open_window, indexed_library, engine):
    window = open_window(indexed_library)

    def change(dialog):
        dialog.threshold.setValue(0.512)
        dialog.min_faces.setValue(3)
        dialog.accept()

    answer_settings(window, change)
    qtbot.waitUntil(lambda: window.info.settings.cluster_threshold == 0.512, timeout=20_000)
    shown = []
    answer_settings(window, lambda dialog: (shown.append((dialog.threshold.text(), dialog.min_faces.value())),
                                            dialog.reject()))
    assert shown == [("0.512", 3)]
    window.close()
    assert library_settings(indexed_library) == {
        "cluster_threshold": 0.512, "min_faces": 3, "min_face_size": 20, "engine": engine}
    assert not [key for key in QSettings().allKeys() if key.startswith(("people/", "faces/"))]


def test_settings_an_older_window_kept_move_into_the_library(qtbot, open_window, indexed_library):
    application()  # its names choose the settings file: before it, QSettings() is pytest-qt's
    QSettings().setValue("people/min_faces", 4)
    window = open_window(indexed_library)
    qtbot.waitUntil(lambda: window.info.settings.min_faces == 4, timeout=20_000)
    window.close()
    assert library_settings(indexed_library)["min_faces"] == 4
    assert QSettings().value("people/min_faces") is None


def test_face_models_chosen_in_the_settings_switch_the_library_in_the_background(
        qtbot, open_window, indexed_library, rotated_models):
    window = open_window(indexed_library)
    assert "w600k_mbf.onnx" in window.info.models

    def choose(dialog):
        dialog.models.setText(str(rotated_models))
        dialog.accept()

    answer_settings(window, choose)
    qtbot.waitUntil(lambda: "w600k_r50.onnx" in window.info.models, timeout=120_000)
    qtbot.waitUntil(lambda: window.status.message.text().startswith("Switched to"), timeout=20_000)
    qtbot.waitUntil(lambda: sorted((p.name or "", p.face_count) for p in window.browser.people) == sorted(
        (name or "", faces) for name, faces in indexed_library.people), timeout=20_000)
