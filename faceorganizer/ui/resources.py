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
    return _line_icon(name, palette.color(QPalette.ColorRole.WindowText).name())


@lru_cache(maxsize=None)
def _line_icon(name: str, colour: str) -> QIcon:
    svg = files("faceorganizer.resources.icons").joinpath(f"{name}.svg").read_text()
    return _render(svg.replace("#STROKE", colour).encode(), (16, 20, 24, 32, 48))


def _render(svg: bytes, sizes) -> QIcon:
    renderer = QSvgRenderer(QByteArray(svg))
    result = QIcon()
    for size in sizes:
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter, QRectF(0, 0, size, size))
        painter.end()
        result.addPixmap(pixmap)
    return result
