"""Where the window was: its size, place, pane widths and zoom, kept per
user with QSettings and fitted to the screen it opens on."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QRect, QSettings, QSize
from PySide6.QtWidgets import QMainWindow, QSplitter

#: The window's size at its first start, if the screen has room.
DEFAULT_SIZE = QSize(1360, 860)

#: Room for the window frame (title bar, borders) before the window is shown.
_FRAME_ALLOWANCE = QSize(16, 48)


def restore(window: QMainWindow, splitter: QSplitter, zoomable: dict) -> None:
    """Bring back the window's last size, place and pane widths, and the zoom
    of each grid in `zoomable` ({key: view}), which is kept as it changes."""
    stored = QSettings()
    geometry = stored.value("window/geometry")
    if not (isinstance(geometry, QByteArray) and window.restoreGeometry(geometry)):
        window.resize(DEFAULT_SIZE)
        fit_to_screen(window, center=True)
    else:
        fit_to_screen(window, center=False)
    state = stored.value("window/splitter")
    if isinstance(state, QByteArray):
        splitter.restoreState(state)
    for key, view in zoomable.items():
        size = stored.value(key)
        if size is not None:
            view.set_thumb_size(int(size))
        view.zoomed.connect(lambda value, key=key: QSettings().setValue(key, value))


def save(window: QMainWindow, splitter: QSplitter) -> None:
    stored = QSettings()
    stored.setValue("window/geometry", window.saveGeometry())
    stored.setValue("window/splitter", splitter.saveState())


def fit_to_screen(window: QMainWindow, center: bool) -> None:
    """Keep the window, with its frame, within the screen's free area."""
    available = window.screen().availableGeometry()
    frame = window.frameGeometry().size() - window.size()
    if frame.isEmpty():  # not shown yet: what window frames usually take
        frame = _FRAME_ALLOWANCE
    size = window.size().boundedTo(available.size() - frame).expandedTo(window.minimumSizeHint())
    window.resize(size)
    outer = QRect(window.pos(), size + frame)
    if center:
        outer.moveCenter(available.center())
    outer.moveLeft(max(available.left(), min(outer.left(), available.right() + 1 - outer.width())))
    outer.moveTop(max(available.top(), min(outer.top(), available.bottom() + 1 - outer.height())))
    window.move(outer.topLeft())
