"""The grids (people and faces), their tiles, and the drop zones that appear
while faces are dragged."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPoint, QRect, QRectF, QSize, QSizeF, Qt, Signal
from PySide6.QtGui import QColor, QDrag, QFont, QPainter, QPainterPath, QPalette, QPen, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCompleter,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from faceorganizer.humanize import count
from faceorganizer.ui.models import FACES_MIME, CountRole, ids_from_mime
from faceorganizer.ui.thumbnails import RADIUS

#: The drag image: a face this big (px), this far below and right of the cursor.
_DRAG_SIDE = 64
_DRAG_OFFSET = 24


class TileDelegate(QStyledItemDelegate):
    """A square face with rounded corners; for people, the name (a muted
    "Unnamed" when there is none) and the face count below it."""

    def __init__(self, view: GridView, with_text: bool):
        super().__init__(view)
        self.view = view
        self.with_text = with_text
        self.names: list[str] = []

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        side = self.view.thumb_size
        text = 2 * option.fontMetrics.height() + 10 if self.with_text else 0
        return QSize(side + 12, side + 12 + text)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        palette = option.palette
        rect = option.rect
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        side = self.view.thumb_size
        square = QRectF(rect.x() + (rect.width() - side) / 2, rect.y() + 6, side, side)

        if selected:
            highlight = QColor(palette.color(QPalette.ColorRole.Highlight))
            highlight.setAlpha(70)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(highlight)
            painter.drawRoundedRect(QRectF(rect).adjusted(1, 1, -1, -1), RADIUS, RADIUS)

        tile = index.model().tile(index.row(), side, self.view.devicePixelRatioF())
        if tile is not None:
            if tile.deviceIndependentSize().width() == side:
                painter.drawPixmap(square.topLeft(), tile)
            else:  # made for another size: the grid is being zoomed
                painter.drawPixmap(square.toRect(), tile)
        else:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(palette.color(QPalette.ColorRole.Mid))
            painter.drawRoundedRect(square, RADIUS, RADIUS)

        if self.view.drop_row == index.row():
            pen = QPen(palette.color(QPalette.ColorRole.Highlight), 4)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(square.adjusted(2, 2, -2, -2), RADIUS, RADIUS)
        elif selected:
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Highlight), 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(square.adjusted(1, 1, -1, -1), RADIUS, RADIUS)

        if self.with_text:
            self._paint_text(painter, option, index, square)
        if option.state & QStyle.StateFlag.State_HasFocus and self.view.hasFocus():
            pen = QPen(palette.color(QPalette.ColorRole.Highlight), 1, Qt.PenStyle.DotLine)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(QRectF(rect).adjusted(2, 2, -2, -2), RADIUS, RADIUS)
        painter.restore()

    def _paint_text(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex, square: QRectF):
        palette = option.palette
        metrics = option.fontMetrics
        line = metrics.height()
        top = int(square.bottom()) + 4
        name_rect = QRect(option.rect.x() + 4, top, option.rect.width() - 8, line)
        name = index.data(Qt.ItemDataRole.EditRole)
        font = QFont(option.font)
        if name:
            font.setWeight(QFont.Weight.DemiBold)
            painter.setPen(palette.color(QPalette.ColorRole.Text))
        else:
            font.setItalic(True)
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            name = "Unnamed"
        painter.setFont(font)
        painter.drawText(name_rect, Qt.AlignmentFlag.AlignHCenter,
                         painter.fontMetrics().elidedText(name, Qt.TextElideMode.ElideRight, name_rect.width()))
        faces = index.data(CountRole)
        small = QFont(option.font)
        small.setPointSizeF(max(7.0, option.font.pointSizeF() * 0.88))
        painter.setFont(small)
        painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
        count_rect = QRect(name_rect.x(), top + line, name_rect.width(), line)
        painter.drawText(count_rect, Qt.AlignmentFlag.AlignHCenter, count(faces, "face"))

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: QModelIndex) -> QWidget:
        editor = QLineEdit(parent)
        editor.setPlaceholderText("Name")
        editor.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        completer = QCompleter(sorted(set(self.names), key=str.casefold), editor)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        editor.setCompleter(completer)
        return editor

    def setEditorData(self, editor: QLineEdit, index: QModelIndex) -> None:
        # A new people list (every second while indexing) changes every row:
        # it must not take back what the user typed.
        if not editor.isModified():
            super().setEditorData(editor, index)

    def updateEditorGeometry(self, editor: QWidget, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        top = option.rect.y() + 6 + self.view.thumb_size + 2
        editor.setGeometry(option.rect.x() + 2, top, option.rect.width() - 4, editor.sizeHint().height())


class GridView(QListView):
    """A grid of face tiles (QListView in icon mode), zoomable with Ctrl+wheel.

    Signals dragStarted/dragFinished bracket a drag that starts here.
    """

    dragStarted = Signal()
    dragFinished = Signal()
    zoomed = Signal(int)

    def __init__(self, thumb_size: int, with_text: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.thumb_size = thumb_size
        self.drop_row = -1
        self.placeholder = ""
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(256)
        self.setSpacing(4)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(False)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDragDropOverwriteMode(True)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.delegate = TileDelegate(self, with_text)
        self.setItemDelegate(self.delegate)

    def set_placeholder(self, text: str) -> None:
        """What an empty grid says."""
        self.placeholder = text
        self.viewport().update()

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if self.placeholder and not self.model().rowCount():
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            rect = self.viewport().rect().adjusted(24, 24, -24, -24)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.placeholder)
            painter.end()

    def setAcceptDrops(self, on: bool) -> None:
        # Drops land on the viewport, the widget under the cursor.
        super().setAcceptDrops(on)
        self.viewport().setAcceptDrops(on)

    def set_thumb_size(self, size: int) -> None:
        self.thumb_size = max(64, min(256, size))
        self.scheduleDelayedItemsLayout()
        self.viewport().update()

    def wheelEvent(self, event) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            step = 16 if event.angleDelta().y() > 0 else -16
            self.set_thumb_size(self.thumb_size + step)
            self.zoomed.emit(self.thumb_size)
            event.accept()
            return
        super().wheelEvent(event)

    def startDrag(self, actions) -> None:
        indexes = [i for i in self.selectedIndexes() if self.model().flags(i) & Qt.ItemFlag.ItemIsDragEnabled]
        if not indexes:
            return
        drag = QDrag(self)
        drag.setMimeData(self.model().mimeData(indexes))
        pixmap, hotspot = self.drag_image(indexes)
        drag.setPixmap(pixmap)
        drag.setHotSpot(hotspot)
        self.dragStarted.emit()
        try:
            drag.exec(actions, self.defaultDropAction())
        finally:
            self.dragFinished.emit()

    def drag_image(self, indexes: list[QModelIndex]) -> tuple[QPixmap, QPoint]:
        """What follows the cursor in a drag, and the cursor's place on it: the
        first face and how many there are, below and to the right of the
        cursor, so that the target under it (a drop zone's label) stays in sight."""
        rows = sorted({i.row() for i in indexes})
        ratio = self.devicePixelRatioF()
        pixmap = QPixmap((QSizeF(_DRAG_OFFSET + _DRAG_SIDE + 12, _DRAG_OFFSET + _DRAG_SIDE) * ratio).toSize())
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        square = QRectF(_DRAG_OFFSET, _DRAG_OFFSET, _DRAG_SIDE, _DRAG_SIDE)
        path = QPainterPath()
        path.addRoundedRect(square, RADIUS, RADIUS)
        face = self.model().thumbnail(rows[0])
        painter.setOpacity(0.9)
        if face is not None and not face.isNull():
            painter.setClipPath(path)
            painter.drawPixmap(square.toRect(), face)
            painter.setClipping(False)
        else:
            painter.fillPath(path, self.palette().color(QPalette.ColorRole.Mid))
        if len(rows) > 1:
            text = f"{len(rows):,}"
            font = QFont(self.font())
            font.setBold(True)
            painter.setFont(font)
            width = max(22, painter.fontMetrics().horizontalAdvance(text) + 12)
            badge = QRectF(square.right() + 12 - width, square.top() - 6, width, 22)
            painter.setOpacity(1.0)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(self.palette().color(QPalette.ColorRole.Highlight))
            painter.drawRoundedRect(badge, 11, 11)
            painter.setPen(self.palette().color(QPalette.ColorRole.HighlightedText))
            painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)
        painter.end()
        return pixmap, QPoint(0, 0)

    def dragMoveEvent(self, event) -> None:
        super().dragMoveEvent(event)
        index = self.indexAt(event.position().toPoint())
        row = index.row() if index.isValid() and event.isAccepted() else -1
        if row != self.drop_row:
            self.drop_row = row
            self.viewport().update()

    def dragLeaveEvent(self, event) -> None:
        super().dragLeaveEvent(event)
        self._clear_drop()

    def dropEvent(self, event) -> None:
        super().dropEvent(event)
        self._clear_drop()

    def _clear_drop(self) -> None:
        if self.drop_row != -1:
            self.drop_row = -1
            self.viewport().update()


class ElidedLabel(QLabel):
    """One line of text that ends in "…" when its pane is too narrow for it,
    rather than widen the pane (and the window)."""

    def minimumSizeHint(self) -> QSize:
        return QSize(self.fontMetrics().horizontalAdvance("…") * 3, super().minimumSizeHint().height())

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        rect = self.contentsRect()
        text = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, rect.width())
        self.style().drawItemText(painter, rect, self.alignment(), self.palette(), self.isEnabled(), text,
                                  self.foregroundRole())


class DropZone(QLabel):
    """A target for dragged faces ("New person", "Not this person", "Not a face")."""

    dropped = Signal(object)  # [face id]

    def __init__(self, text: str, tip: str, parent: QWidget | None = None):
        super().__init__(text, parent)
        self.setObjectName("dropZone")
        self.setToolTip(tip)
        self.setAccessibleName(text)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setAcceptDrops(True)
        self.setMinimumHeight(56)
        self.setProperty("hovered", False)

    def _set_hovered(self, hovered: bool) -> None:
        self.setProperty("hovered", hovered)
        self.style().unpolish(self)
        self.style().polish(self)

    def dragEnterEvent(self, event) -> None:
        if ids_from_mime(event.mimeData(), FACES_MIME):
            event.acceptProposedAction()
            self._set_hovered(True)
        else:
            event.ignore()

    def dragLeaveEvent(self, event) -> None:
        self._set_hovered(False)

    def dropEvent(self, event) -> None:
        self._set_hovered(False)
        ids = ids_from_mime(event.mimeData(), FACES_MIME)
        if ids:
            event.acceptProposedAction()
            self.dropped.emit(ids)


class DropBar(QWidget):
    """The drop zones, in a row along the bottom of the faces pane."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 8)
        self.new_person = DropZone("+ New person", "Make these faces a new person")
        self.not_this_person = DropZone("Not this person", "Take these faces out of this person for good")
        self.not_a_face = DropZone("Not a face", "These are not faces: drop them from the library")
        for zone in (self.new_person, self.not_this_person, self.not_a_face):
            layout.addWidget(zone)

