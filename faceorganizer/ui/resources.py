"""The application's icons and style sheet, from the faceorganizer.resources
package data. Line icons are drawn in the palette's text colour, so they
suit the light and the dark palette alike."""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer


def _data(name: str) -> bytes:
    return files("faceorganizer.resources").joinpath(name).read_bytes()


def style_sheet() -> str:
    return _data("style.qss").decode()


@lru_cache(maxsize=None)
def app_icon() -> QIcon:
    return _render(_data("faceorganizer.svg"), (16, 24, 32, 48, 64, 128, 256))


def icon(name: str, palette: QPalette) -> QIcon:
    """A line icon in the text colour, and in the highlighted text colour when selected."""
    return _line_icon(name, palette.color(QPalette.ColorRole.WindowText).name(),
                      palette.color(QPalette.ColorRole.HighlightedText).name())


@lru_cache(maxsize=None)
def _line_icon(name: str, colour: str, selected_colour: str) -> QIcon:
    svg = files("faceorganizer.resources.icons").joinpath(f"{name}.svg").read_text()
    sizes = (16, 20, 24, 32, 48)
    result = _render(svg.replace("#STROKE", colour).encode(), sizes)
    return _render(svg.replace("#STROKE", selected_colour).encode(), sizes, result, QIcon.Mode.Selected)


def _render(svg: bytes, sizes, result: QIcon | None = None, mode: QIcon.Mode = QIcon.Mode.Normal) -> QIcon:
    renderer = QSvgRenderer(QByteArray(svg))
    result = QIcon() if result is None else result
    for size in sizes:
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter, QRectF(0, 0, size, size))
        painter.end()
        result.addPixmap(pixmap, mode)
    return result
