"""The photo of the viewer, drawn with every face boxed and named, zoomed and
panned with the wheel, a drag and +/-, and a box drawn with the mouse round
a face the detector missed.

Positions in the photo are pixels of the upright photo at full size (as the
library stores boxes), whatever size the image was decoded at.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QMouseEvent, QPainter, QPen, QWheelEvent
from PySide6.QtWidgets import QWidget

from faceorganizer.protocol import PhotoFace, PhotoInfo

#: Zoom: 1 fits the photo in the window; each wheel notch or +/- multiplies by _ZOOM_STEP.
_MAX_ZOOM = 8.0
_ZOOM_STEP = 1.25
#: A drawn box smaller than this on screen (pixels) is a slip of the mouse, not a box.
_MIN_DRAWN = 10

_CURRENT = QColor(255, 204, 0)
_NAMED = QColor(255, 255, 255, 230)
_NOBODY = QColor(120, 200, 255)


def label_of(face: PhotoFace) -> str:
    """What a face's box says: its person's name or "Unnamed", with their age
    on the photo when their birthday is known ("Anna, 7"); for a face of no
    one, a question."""
    if face.cluster_id is None:
        return "Who is this?"
    name = face.name or "Unnamed"
    return name if face.age is None else f"{name}, {face.age}"


class PhotoCanvas(QWidget):
    """Signals: faceClicked(face_id) on a box; tagClicked(face_id, tag rect)
    on a face's name tag; boxDrawn(box in photo pixels, rect on screen) when
    a box is drawn in drawing mode; contextRequested(face_id or "", global pos)."""

    faceClicked = Signal(str)
    tagClicked = Signal(str, QRectF)
    boxDrawn = Signal(tuple, QRectF)
    contextRequested = Signal(str, object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.info: PhotoInfo | None = None
        self.image = QImage()
        self.message = ""  # instead of the photo: "Loading…", or why it cannot be shown
        self.zoom = 1.0
        self.pan = QPointF()
        self.drawing = False  # a drag draws a box instead of panning
        self.pending_box: tuple[float, float, float, float] | None = None  # drawn, waiting for its name
        self._press: QPointF | None = None
        self._pan_start = QPointF()
        self._drag_now: QPointF | None = None
        self.setMinimumSize(480, 360)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Photo")

    # -- geometry ------------------------------------------------------------------

    def photo_rect(self) -> tuple[QRectF, float]:
        """Where the photo is drawn, and full-size photo pixels to widget pixels."""
        if self.image.isNull() or not self.info or not self.info.size[0]:
            return QRectF(), 0.0
        width, height = self.info.size
        scale = min(self.width() / width, self.height() / height) * self.zoom
        w, h = width * scale, height * scale
        return QRectF((self.width() - w) / 2 + self.pan.x(), (self.height() - h) / 2 + self.pan.y(), w, h), scale

    def to_widget(self, box) -> QRectF:
        target, scale = self.photo_rect()
        x1, y1, x2, y2 = box
        return QRectF(target.x() + x1 * scale, target.y() + y1 * scale, (x2 - x1) * scale, (y2 - y1) * scale)

    def to_photo(self, rect: QRectF) -> tuple[float, float, float, float]:
        """A rectangle on screen in photo pixels, within the photo."""
        target, scale = self.photo_rect()
        width, height = self.info.size
        x1, x2 = sorted(((rect.left() - target.x()) / scale, (rect.right() - target.x()) / scale))
        y1, y2 = sorted(((rect.top() - target.y()) / scale, (rect.bottom() - target.y()) / scale))
        return (round(max(0.0, x1)), round(max(0.0, y1)), round(min(width, x2)), round(min(height, y2)))

    def tag_rect(self, face: PhotoFace) -> QRectF:
        """The name tag under a face's box."""
        box = self.to_widget(face.bbox)
        metrics = self.fontMetrics()
        width = metrics.horizontalAdvance(label_of(face)) + 14
        return QRectF(box.center().x() - width / 2, box.bottom() + 4, width, metrics.height() + 6)

    def set_zoom(self, zoom: float, around: QPointF | None = None) -> None:
        """Zoom keeping the photo's point under `around` (the centre by default) in place."""
        zoom = min(_MAX_ZOOM, max(1.0, zoom))
        target, scale = self.photo_rect()
        if not scale:
            return
        around = around if around is not None else QPointF(self.width() / 2, self.height() / 2)
        point = (around - target.topLeft()) / scale
        self.zoom = zoom
        _, new_scale = self.photo_rect()
        width, height = self.info.size
        self.pan = around - point * new_scale - QPointF((self.width() - width * new_scale) / 2,
                                                          (self.height() - height * new_scale) / 2)
        self._keep_in_view()
        self.update()

    def zoom_by(self, steps: float, around: QPointF | None = None) -> None:
        self.set_zoom(self.zoom * _ZOOM_STEP ** steps, around)

    def fit(self) -> None:
        self.zoom, self.pan = 1.0, QPointF()
        self.update()

    def _keep_in_view(self) -> None:
        """No empty margin where the zoomed photo could fill the window."""
        target, _ = self.photo_rect()
        limit_x = max(0.0, (target.width() - self.width()) / 2)
        limit_y = max(0.0, (target.height() - self.height()) / 2)
        self.pan = QPointF(min(limit_x, max(-limit_x, self.pan.x())), min(limit_y, max(-limit_y, self.pan.y())))

    # -- painting ------------------------------------------------------------------

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(20, 20, 22))
        target, _ = self.photo_rect()
        if target.isEmpty():
            painter.setPen(QColor(200, 200, 200))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.message)
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.drawImage(target, self.image)
        font = QFont(self.font())
        font.setWeight(QFont.Weight.DemiBold)
        painter.setFont(font)
        for face in self.info.faces:
            current = face.face_id == self.info.face_id
            colour = _CURRENT if current else (_NAMED if face.name else _NOBODY)
            painter.setPen(QPen(colour, 3 if current else 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(self.to_widget(face.bbox), 6, 6)
            tag = self.tag_rect(face)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(0, 0, 0, 180))
            painter.drawRoundedRect(tag, 5, 5)
            painter.setPen(colour)
            painter.drawText(tag, Qt.AlignmentFlag.AlignCenter, label_of(face))
        drawn = self._drawn_rect()
        if drawn is not None:
            painter.setPen(QPen(_CURRENT, 2, Qt.PenStyle.DashLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(drawn, 6, 6)

    def _drawn_rect(self) -> QRectF | None:
        if self._press is not None and self._drag_now is not None and self.drawing:
            return QRectF(self._press, self._drag_now).normalized()
        return self.to_widget(self.pending_box) if self.pending_box else None

    # -- mouse ---------------------------------------------------------------------

    def face_at(self, point: QPointF) -> tuple[PhotoFace | None, bool]:
        """The face whose tag (True) or box (False) is at `point`; tags first, the smallest box first."""
        if self.info is None or self.photo_rect()[0].isEmpty():
            return None, False
        for face in self.info.faces:
            if self.tag_rect(face).contains(point):
                return face, True
        boxes = [f for f in self.info.faces if self.to_widget(f.bbox).contains(point)]
        return (min(boxes, key=lambda f: self.to_widget(f.bbox).width()) if boxes else None), False

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self.photo_rect()[0].isEmpty():
            return
        point = event.position()
        self._press, self._drag_now = point, None
        if self.drawing:
            return
        face, on_tag = self.face_at(point)
        if face is not None:
            self._press = None
            if on_tag:
                self.tagClicked.emit(face.face_id, self.tag_rect(face))
            else:
                self.faceClicked.emit(face.face_id)
            return
        self._pan_start = QPointF(self.pan)
        if self.zoom > 1.0:
            self.setCursor(Qt.CursorShape.ClosedHandCursor)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._press is None:
            face, _ = self.face_at(event.position())
            self.setCursor(Qt.CursorShape.CrossCursor if self.drawing else
                           Qt.CursorShape.PointingHandCursor if face else Qt.CursorShape.ArrowCursor)
            return
        self._drag_now = event.position()
        if not self.drawing and self.zoom > 1.0:
            self.pan = self._pan_start + (self._drag_now - self._press)
            self._keep_in_view()
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self._press is None:
            return
        rect = QRectF(self._press, event.position()).normalized()
        self._press, self._drag_now = None, None
        self.unsetCursor()
        if self.drawing and min(rect.width(), rect.height()) >= _MIN_DRAWN:
            box = self.to_photo(rect)
            if min(box[2] - box[0], box[3] - box[1]) > 0:
                self.pending_box = box
                self.boxDrawn.emit(box, self.to_widget(box))
        self.update()

    def contextMenuEvent(self, event) -> None:
        face, _ = self.face_at(QPointF(event.pos()))
        self.contextRequested.emit(face.face_id if face else "", event.globalPos())

    def wheelEvent(self, event: QWheelEvent) -> None:
        self.zoom_by(event.angleDelta().y() / 120, event.position())

    def resizeEvent(self, event) -> None:
        self._keep_in_view()
        super().resizeEvent(event)
