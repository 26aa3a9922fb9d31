"""Start the desktop application (and its screenshot mode)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QSize, QTimer
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from faceorganizer.service.launch import Started
from faceorganizer.ui import resources
from faceorganizer.ui.mainwindow import MainWindow
from faceorganizer.ui.worker import LibraryClient

#: The screenshot is taken at the latest this long after the start (ms).
_SCREENSHOT_TIMEOUT = 180_000
_SCREENSHOT_SIZE = QSize(1360, 860)


def application() -> QApplication:
    _ignore_the_qt_of_opencv()
    # The GUI thread's Python waits for the GIL each time it comes back from
    # Qt; while the worker threads run Python (the embedded store is pure
    # Python) each wait may last the whole switch interval, 5 ms by default.
    sys.setswitchinterval(0.001)
    # Qt's raster engine hands big fills and image scalings to a pool of
    # threads and waits for them: with both cores busy indexing, the GUI
    # thread waited there for most of its pauses. Read once, before any paint.
    os.environ.setdefault("QT_NO_GUI_THREADPOOL", "1")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("faceorganizer")
    app.setApplicationName("faceorganizer")
    app.setApplicationDisplayName("faceorganizer")
    app.setDesktopFileName("faceorganizer")
    app.setWindowIcon(resources.app_icon())
    app.setStyle("Fusion")
    apply_palette(app)
    QGuiApplication.styleHints().colorSchemeChanged.connect(lambda _: apply_palette(app))
    return app


def _ignore_the_qt_of_opencv() -> None:
    """Importing cv2 (insightface does, in the library service) points Qt at
    OpenCV's own Qt 5 plugins and fonts; a process started from one that did
    inherits that. This one runs PySide6's Qt."""
    for name in ("QT_QPA_PLATFORM_PLUGIN_PATH", "QT_QPA_FONTDIR"):
        if "cv2" in Path(os.environ.get(name, "")).parts:
            del os.environ[name]


def dark_mode() -> bool:
    """The system's choice ($FACEORGANIZER_THEME=dark|light overrides it)."""
    forced = os.environ.get("FACEORGANIZER_THEME", "").lower()
    if forced in ("dark", "light"):
        return forced == "dark"
    from PySide6.QtCore import Qt

    return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark


def apply_palette(app: QApplication) -> None:
    palette = app.style().standardPalette()
    if dark_mode():
        colours = {
            QPalette.ColorRole.Window: "#202124", QPalette.ColorRole.WindowText: "#e8eaed",
            QPalette.ColorRole.Base: "#18191b", QPalette.ColorRole.AlternateBase: "#2a2b2e",
            QPalette.ColorRole.Text: "#e8eaed", QPalette.ColorRole.Button: "#2d2e31",
            QPalette.ColorRole.ButtonText: "#e8eaed", QPalette.ColorRole.Highlight: "#3a6bd0",
            QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.ToolTipBase: "#2d2e31",
            QPalette.ColorRole.ToolTipText: "#e8eaed", QPalette.ColorRole.PlaceholderText: "#9aa0a6",
            QPalette.ColorRole.Mid: "#3c3d40", QPalette.ColorRole.Link: "#7aa7ff",
        }
    else:
        colours = {
            QPalette.ColorRole.Window: "#f6f7f9", QPalette.ColorRole.Base: "#ffffff",
            QPalette.ColorRole.AlternateBase: "#eef2fb", QPalette.ColorRole.Highlight: "#2b66d9",
            QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.PlaceholderText: "#6b7280",
            QPalette.ColorRole.Mid: "#dfe3ea", QPalette.ColorRole.Link: "#2f6ae0",
            QPalette.ColorRole.Text: "#1f2328", QPalette.ColorRole.WindowText: "#1f2328",
        }
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    muted = QColor(palette.color(QPalette.ColorRole.PlaceholderText))
    muted.setAlpha(150)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText, QPalette.ColorRole.Text):
        palette.setColor(QPalette.ColorGroup.Disabled, role, muted)
    app.setPalette(palette)
    app.setStyleSheet(resources.style_sheet())


class Screenshot:
    """Save the window as a PNG once the people and their thumbnails are in,
    then quit."""

    def __init__(self, app: QApplication, window: MainWindow, path: Path):
        self.app, self.window, self.path = app, window, path
        window.resize(_SCREENSHOT_SIZE)  # whatever the screen
        self.settled = 0
        self.timer = QTimer()
        self.timer.setInterval(250)
        self.timer.timeout.connect(self._check)
        self.timer.start()
        QTimer.singleShot(_SCREENSHOT_TIMEOUT, self._take)

    def _ready(self) -> bool:
        w = self.window
        if w.damaged.isVisible():
            return True
        return (
            w.info is not None and w.people_loaded and not w.job_running and not w.initial_folders
            and (w.browser.faces_loaded or not w.browser.people) and w.thumbnails.is_idle()
        )

    def _check(self) -> None:
        if not self._ready():
            self.settled = 0
            return
        # Painting asks for thumbnails: settle only once a paint asked for none.
        self.window.grab()
        self.settled += 1
        if self.settled >= 3 and self.window.thumbnails.is_idle():
            self._take()

    def _take(self) -> None:
        if not self.timer.isActive():
            return
        self.timer.stop()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.window.grab().save(str(self.path))
        print(f"saved {self.path}", file=sys.stderr)
        self.window.close()


def run(folders: list[str], library: str | None = None, qdrant_url: str | None = None,
        screenshot: str | None = None, started: Started | None = None) -> int:
    """Open the window (indexing `folders`, which are added to the library),
    on the service process `started`, or on a new one."""
    app = application()
    client = LibraryClient(started=started)
    window = MainWindow(client, folders, library_dir=library, qdrant_url=qdrant_url,
                        interactive=screenshot is None)
    shot = Screenshot(app, window, Path(screenshot)) if screenshot else None
    window.errors.install()
    window.show()
    code = app.exec()
    window.errors.uninstall()
    del shot
    return 1 if window.failed else code
