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
