"""The Photos view's grid: whole photos, upright, under year and month headers
with their counts, newest first, as a person's page or a folder shows them.

The grid is painted, not made of one item per photo: 5,000 photos are laid
out in a few milliseconds, only the tiles on screen are drawn, and only their
thumbnails are asked for (made and cached on disk off the GUI thread by
ui.thumbnails.PhotoThumbnailLoader)."""

from __future__ import annotations

import bisect
from datetime import date
from itertools import groupby
from pathlib import Path
from typing import NamedTuple

from PySide6.QtCore import QEvent, QPoint, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QAccessible, QAccessibleEvent, QFont, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import QAbstractScrollArea, QToolTip

from faceorganizer.ages import age_on
from faceorganizer.changes import Person
from faceorganizer.humanize import count
from faceorganizer.photos import DatedPhoto
from faceorganizer.ui.thumbnails import PhotoThumbnailLoader, ThumbnailLoader

#: A tile's side about (tiles grow or shrink a little to fill the width), the
#: gap between tiles, the margin round the grid (logical px).
TILE, GAP, MARGIN = 140, 4, 8
#: Header heights: a year's, a month's.
_YEAR_HEIGHT, _MONTH_HEIGHT = 44, 30
#: People badges on a tile: at most this many, this large.
_BADGES, _BADGE = 4, 24

_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"]


class Section(NamedTuple):
    """A header over photos[start:stop]: a year (level 0) or a month (level 1)."""

    level: int
    title: str
    start: int
    stop: int


def sections(photos: list[DatedPhoto]) -> list[Section]:
    """The year and month headers of photos sorted newest first, each year
    before its months; photos of unknown date, last, under one header."""
    years = [p.taken[:4] if p.taken else None for p in photos]
    found = []
    for year, indices in groupby(range(len(photos)), key=years.__getitem__):
        indices = list(indices)
        found.append(Section(0, year or "Date unknown", indices[0], indices[-1] + 1))
        if year is None:
            continue
        for month, days in groupby(indices, key=lambda i: int(photos[i].taken[5:7])):
            days = list(days)
            found.append(Section(1, _MONTHS[month - 1], days[0], days[-1] + 1))
    return found


class _Row(NamedTuple):
    """A line of the laid-out grid: a header (section) or tiles start..stop."""

    y: int
    height: int
    section: Section | None
    start: int = 0
    stop: int = 0


class PhotoGrid(QAbstractScrollArea):
    """Signals: `photoActivated(DatedPhoto)` on a double-click or Enter."""

    photoActivated = Signal(object)

    def __init__(self, thumbnails: PhotoThumbnailLoader, faces: ThumbnailLoader):
        super().__init__()
        self.thumbnails, self.faces = thumbnails, faces
        self.photos: list[DatedPhoto] = []
        self.people: dict[int, Person] = {}
        self.badges = False
        self.current = -1
        self._sections: list[Section] = []
        self._rows: list[_Row] = []
        self._row_ys: list[int] = []
        self._tiles: dict[int, tuple[int, int]] = {}  # photo -> (row, column)
        self._columns, self._tile = 1, TILE
        self._placeholder = ""
        self.setAccessibleName("Photos")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setFrameShape(QAbstractScrollArea.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.verticalScrollBar().setSingleStep(TILE // 2)
        thumbnails.loaded.connect(lambda _: self.viewport().update())
        faces.loaded.connect(lambda _: self.badges and self.viewport().update())

    # -- content ------------------------------------------------------------------------

    def set_photos(self, photos: list[DatedPhoto], *, badges: bool = False, people: dict[int, Person] | None = None,
                   placeholder: str = "") -> None:
        """Show these photos (newest first); `badges` marks each with its
        people, as listed in `people`; `placeholder` is said when there are none."""
        kept = self.photos[self.current].image_id if 0 <= self.current < len(self.photos) else None
        self.photos, self.badges, self.people = photos, badges, people or {}
        self._placeholder = placeholder
        self.thumbnails.sources.update((p.image_id, p.path) for p in photos)
        self._sections = sections(photos)
        self.current = next((i for i, p in enumerate(photos) if p.image_id == kept), -1) if kept else -1
        self._announce()
        self._layout()
        self.viewport().update()

    def section_titles(self) -> list[str]:
        """The headers as they read: 'December 2021 · 3 photos'."""
        return [self._header_text(s) for s in self._sections]

    def tile_rect(self, index: int) -> QRect:
        """Where photo `index` is drawn, in viewport coordinates."""
        row, column = self._tiles[index]
        y = self._rows[row].y - self.verticalScrollBar().value()
        return QRect(MARGIN + column * (self._tile + GAP), y, self._tile, self._tile)

    def visible_photos(self) -> list[int]:
        """The photos on screen, in order."""
        return [i for row in self._visible_rows() if row.section is None for i in range(row.start, row.stop)]

    # -- layout -------------------------------------------------------------------------

    def _layout(self) -> None:
        width = self.viewport().width() - 2 * MARGIN
        self._columns = max(1, round((width + GAP) / (TILE + GAP)))
        self._tile = max(48, (width - GAP * (self._columns - 1)) // self._columns)
        self.thumbnails.set_fit(QSize(self._tile, self._tile), self.devicePixelRatioF())
        rows, tiles, y = [], {}, MARGIN
        for k, section in enumerate(self._sections):
            height = _YEAR_HEIGHT if section.level == 0 else _MONTH_HEIGHT
            rows.append(_Row(y, height, section))
            y += height
            if section.level == 0 and k + 1 < len(self._sections) and self._sections[k + 1].level == 1:
                continue  # a year's photos are under its months
            for start in range(section.start, section.stop, self._columns):
                stop = min(start + self._columns, section.stop)
                for i in range(start, stop):
                    tiles[i] = (len(rows), i - start)
                rows.append(_Row(y, self._tile + GAP, None, start, stop))
                y += self._tile + GAP
        self._rows, self._tiles = rows, tiles
        self._row_ys = [row.y for row in rows]
        bar = self.verticalScrollBar()
        bar.setRange(0, max(0, y + MARGIN - self.viewport().height()))
        bar.setPageStep(self.viewport().height())

    def _visible_rows(self) -> list[_Row]:
        top = self.verticalScrollBar().value()
        first = max(0, bisect.bisect_right(self._row_ys, top) - 1)
        last = bisect.bisect_right(self._row_ys, top + self.viewport().height())
        return self._rows[first:last]

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._layout()

    def scrollContentsBy(self, _dx: int, _dy: int) -> None:
        self.viewport().update()

    # -- painting -----------------------------------------------------------------------

    def paintEvent(self, event) -> None:
        painter = QPainter(self.viewport())
        palette = self.palette()
        if not self.photos:
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(self.viewport().rect().adjusted(24, 24, -24, -24),
                             Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap,
                             self._placeholder)
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        top = self.verticalScrollBar().value()
        for row in self._visible_rows():
            y = row.y - top
            if row.section is not None:
                self._paint_header(painter, row.section, QRect(MARGIN, y, self.viewport().width() - 2 * MARGIN,
                                                               row.height))
                continue
            for i in range(row.start, row.stop):
                self._paint_tile(painter, i, self.tile_rect(i))

    def _header_text(self, section: Section) -> str:
        return f"{section.title}  ·  {count(section.stop - section.start, 'photo')}"

    def _paint_header(self, painter: QPainter, section: Section, rect: QRect) -> None:
        font = QFont(self.font())
        font.setWeight(QFont.Weight.DemiBold)
        if section.level == 0:
            font.setPointSizeF(font.pointSizeF() * 1.35)
        painter.setFont(font)
        painter.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        painter.drawText(rect.adjusted(2, 0, 0, -6), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom,
                         self._header_text(section))

    def _paint_tile(self, painter: QPainter, index: int, rect: QRect) -> None:
        photo = self.photos[index]
        palette = self.palette()
        painter.fillRect(rect, palette.color(QPalette.ColorRole.AlternateBase))
        pixmap = self.thumbnails.pixmap(photo.image_id)
        if pixmap is not None:
            size = pixmap.deviceIndependentSize().toSize()
            target = QRect(QPoint(0, 0), size.scaled(rect.size(), Qt.AspectRatioMode.KeepAspectRatio)
                           if size.width() > rect.width() or size.height() > rect.height() else size)
            target.moveCenter(rect.center())
            painter.drawPixmap(target, pixmap)
        elif self.thumbnails.missing(photo.image_id):
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(rect.adjusted(6, 6, -6, -6), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                             f"{Path(photo.path).name}\ncannot be shown")
        if self.badges:
            self._paint_badges(painter, photo, rect)
        if index == self.current:
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Highlight), 3))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(QRectF(rect).adjusted(1.5, 1.5, -1.5, -1.5))

    def _paint_badges(self, painter: QPainter, photo: DatedPhoto, rect: QRect) -> None:
        """Round crops of the people's faces along the tile's bottom, and +N for more."""
        faces = [face_id for face_id, person, _box in photo.faces if person is not None]
        x, y = rect.left() + 4, rect.bottom() - 4 - _BADGE
        for face_id in faces[:_BADGES]:
            circle = QRectF(x, y, _BADGE, _BADGE)
            path = QPainterPath()
            path.addEllipse(circle)
            painter.save()
            painter.setClipPath(path)
            painter.fillRect(circle, self.palette().color(QPalette.ColorRole.Mid))
            pixmap = self.faces.pixmap(face_id)
            if pixmap is not None:
                painter.drawPixmap(circle.toRect(), pixmap)
            painter.restore()
            painter.setPen(QPen(Qt.GlobalColor.white, 1.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(circle)
            x += _BADGE + 3
        if len(faces) > _BADGES:
            more = QRectF(x, y, _BADGE + 6, _BADGE)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(Qt.GlobalColor.black)
            painter.setOpacity(0.6)
            painter.drawRoundedRect(more, _BADGE / 2, _BADGE / 2)
            painter.setOpacity(1.0)
            painter.setPen(Qt.GlobalColor.white)
            painter.drawText(more, Qt.AlignmentFlag.AlignCenter, f"+{len(faces) - _BADGES}")

    # -- input --------------------------------------------------------------------------

    def photo_at(self, point: QPoint) -> int:
        """The photo under a viewport point, or -1."""
        for row in self._visible_rows():
            if row.section is None:
                for i in range(row.start, row.stop):
                    if self.tile_rect(i).contains(point):
                        return i
        return -1

    def set_current(self, index: int) -> None:
        if not self.photos:
            return
        self.current = max(0, min(index, len(self.photos) - 1))
        self._announce()
        rect = self.tile_rect(self.current)
        bar = self.verticalScrollBar()
        if rect.top() < 0:
            bar.setValue(bar.value() + rect.top() - MARGIN)
        elif rect.bottom() > self.viewport().height():
            bar.setValue(bar.value() + rect.bottom() - self.viewport().height() + MARGIN)
        self.viewport().update()

    def mousePressEvent(self, event) -> None:
        index = self.photo_at(event.position().toPoint())
        if index >= 0:
            self.set_current(index)

    def mouseDoubleClickEvent(self, event) -> None:
        index = self.photo_at(event.position().toPoint())
        if index >= 0:
            self.photoActivated.emit(self.photos[index])

    def keyPressEvent(self, event) -> None:
        key, i = event.key(), self.current
        moves = {Qt.Key.Key_Left: i - 1, Qt.Key.Key_Right: i + 1, Qt.Key.Key_Home: 0,
                 Qt.Key.Key_End: len(self.photos) - 1}
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Down) and i >= 0:
            row, column = self._tiles[i]
            step = -1 if key == Qt.Key.Key_Up else 1
            tile_rows = [r for r in range(row + step, len(self._rows) if step > 0 else -1, step)
                         if self._rows[r].section is None]
            if tile_rows:
                target = self._rows[tile_rows[0]]
                moves[key] = min(target.start + column, target.stop - 1)
        if key in moves:
            self.set_current(moves[key] if i >= 0 else 0)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and i >= 0:
            self.photoActivated.emit(self.photos[i])
        else:
            super().keyPressEvent(event)

    def viewportEvent(self, event) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            index = self.photo_at(event.pos())
            if index >= 0:
                QToolTip.showText(event.globalPos(), self._describe(self.photos[index]), self)
            else:
                QToolTip.hideText()
            return True
        return super().viewportEvent(event)

    def _announce(self) -> None:
        """The grid's accessible name says the photo chosen: the tiles are
        painted, so a screen reader hears each as the keys move to it."""
        if 0 <= self.current < len(self.photos):
            described = self._describe(self.photos[self.current]).replace("\n", ", ")
            name = f"Photo {self.current + 1} of {len(self.photos)}: {described}"
        else:
            name = f"Photos ({count(len(self.photos), 'photo')})"
        if name != self.accessibleName():
            self.setAccessibleName(name)
            QAccessible.updateAccessibility(QAccessibleEvent(self, QAccessible.Event.NameChanged))

    def _describe(self, photo: DatedPhoto) -> str:
        """A photo's name, date and people, for its tooltip."""
        parts = [Path(photo.path).name]
        if photo.taken:
            day = date.fromisoformat(photo.taken[:10])
            parts.append(f"{day.day} {_MONTHS[day.month - 1]} {day.year}"
                         + (" (file date)" if photo.taken_from == "file" else ""))
        people = sorted({self._who(person, photo) for _face, person, _box in photo.faces if person is not None})
        if people:
            parts.append(", ".join(people))
        return "\n".join(parts)

    def _who(self, cluster_id: int, photo: DatedPhoto) -> str:
        """A person in a photo: their name, and their age then when their birthday is known ("Anna, 7")."""
        person = self.people.get(cluster_id)
        name = (person.name if person else None) or "Unnamed"
        age = age_on(person, photo.taken) if person else None
        return name if age is None else f"{name}, {age}"

    def sizeHint(self) -> QSize:
        return QSize(3 * (TILE + GAP) + 2 * MARGIN, 400)
