"""Starting the window in the environments it meets."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage


def test_the_window_ignores_the_qt_plugins_of_opencv(tmp_path, indexed_library):
    """Importing cv2 (insightface does) points QT_QPA_PLATFORM_PLUGIN_PATH at
    OpenCV's own Qt 5 plugins; a process started from such a one inherits it."""
    opencv_qt = Path(next(iter(importlib.util.find_spec("cv2").submodule_search_locations))) / "qt"
    assert (opencv_qt / "plugins").is_dir()
    shot = tmp_path / "shot.png"
    result = subprocess.run(
        [sys.executable, "-m", "faceorganizer", "gui", "--library", str(indexed_library), "--screenshot", str(shot)],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_DEBUG_PLUGINS": "1",
             "QT_QPA_PLATFORM_PLUGIN_PATH": str(opencv_qt / "plugins"), "QT_QPA_FONTDIR": str(opencv_qt / "fonts")},
    )
    assert result.returncode == 0, result.stderr
    assert not QImage(str(shot)).isNull()
    assert str(opencv_qt) not in result.stderr  # Qt never looked there


def test_the_window_makes_every_qt_type_as_pyside_loads():
    """PySide 6.11 makes a Qt type when Python first names it, on that
    thread: made by a thread of the thumbnail pool while the GUI thread ran
    Python, it crashed the window at its start (SIGSEGV, 1 start in 40 under
    load). The window's process has them all made as PySide loads."""
    probe = "import faceorganizer.ui.app, PySide6.QtGui as gui; print('QImageReader' in vars(gui), len(vars(gui)))"
    env = {k: v for k, v in os.environ.items() if k != "PYSIDE6_OPTION_LAZY"}
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
    made, count = result.stdout.split()
    assert made == "True" and int(count) > 200
