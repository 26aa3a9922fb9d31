"""The photo viewer: the whole photo, upright, with every face boxed and named;
left and right walk through the photos of the person it was opened from."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QPointF, QRectF, QRunnable, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QColor, QFont, QImage, QImageReader, QKeySequence, QPainter, QPen, QShortcut
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from faceorganizer.protocol import PhotoInfo

#: Photos are shown at most this large (longer side), decoded off the GUI thread.
_MAX_SIDE = 2400


class _Loaded(QObject):
    done = Signal(str, QImage)


class _LoadPhoto(QRunnable):
    def __init__(self, path: str, signal: _Loaded):
        super().__init__()
        self.path, self.signal = path, signal

    def run(self) -> None:
        reader = QImageReader(self.path)
        reader.setAutoTransform(True)  # EXIF orientation: upright, as indexed
        size = reader.size()
        if size.isValid() and max(size.width(), size.height()) > _MAX_SIDE:
            reader.setScaledSize(size.scaled(QSize(_MAX_SIDE, _MAX_SIDE), Qt.AspectRatioMode.KeepAspectRatio))
        self.signal.done.emit(self.path, reader.read())


class PhotoCanvas(QWidget):
    faceClicked = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.info: PhotoInfo | None = None
        self.image = QImage()
        self.setMinimumSize(480, 360)

    def _geometry(self) -> tuple[QRectF, float]:
        """Where the photo is drawn, and full-size pixels to widget pixels."""
        if self.image.isNull() or not self.info or not self.info.size[0]:
            return QRectF(), 0.0
        width, height = self.info.size
        scale = min(self.width() / width, self.height() / height)
        w, h = width * scale, height * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h), scale

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(20, 20, 22))
        target, scale = self._geometry()
        if target.isEmpty():
            painter.setPen(QColor(200, 200, 200))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Loading…" if self.info else "")
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.drawImage(target, self.image)
        font = QFont(self.font())
        font.setWeight(QFont.Weight.DemiBold)
        painter.setFont(font)
        for face in self.info.faces:
            x1, y1, x2, y2 = face.bbox
            box = QRectF(target.x() + x1 * scale, target.y() + y1 * scale, (x2 - x1) * scale, (y2 - y1) * scale)
            current = face.face_id == self.info.face_id
            colour = QColor(255, 204, 0) if current else QColor(255, 255, 255, 220)
            painter.setPen(QPen(colour, 3 if current else 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(box, 6, 6)
            label = face.name or "Unnamed"
            metrics = painter.fontMetrics()
            text_w = metrics.horizontalAdvance(label) + 12
            tag = QRectF(box.center().x() - text_w / 2, box.bottom() + 4, text_w, metrics.height() + 4)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(0, 0, 0, 170))
            painter.drawRoundedRect(tag, 5, 5)
            painter.setPen(colour)
            painter.drawText(tag, Qt.AlignmentFlag.AlignCenter, label)

    def mousePressEvent(self, event) -> None:
        target, scale = self._geometry()
        if target.isEmpty():
            return
        point: QPointF = event.position()
        for face in self.info.faces:
            x1, y1, x2, y2 = face.bbox
            box = QRectF(target.x() + x1 * scale, target.y() + y1 * scale, (x2 - x1) * scale, (y2 - y1) * scale)
            if box.contains(point):
                self.faceClicked.emit(face.face_id)
                return


class PhotoViewer(QDialog):
    """Signals: navigate(face_id) for the previous or next photo,
    faceClicked, hideAllFaces(face_id) for the photo shown."""

    navigate = Signal(str)
    faceClicked = Signal(str)
    hideAllFaces = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Photo")
        self.resize(1100, 800)
        self.info: PhotoInfo | None = None
        self.key = None
        self.canvas = PhotoCanvas()
        self.canvas.faceClicked.connect(self.faceClicked)
        self.previous_button = QPushButton("◀ Previous")
        self.next_button = QPushButton("Next ▶")
        self.hide_all_button = QPushButton("Hide all faces of this photo")
        self.hide_all_button.setToolTip("A crowd, a stage: its faces of no named person go to the Ignored list")
        self.hide_all_button.clicked.connect(lambda: self.info and self.hideAllFaces.emit(self.info.face_id))
        self.caption = QLabel("")
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.previous_button.clicked.connect(lambda: self._go(self.info.previous_face))
        self.next_button.clicked.connect(lambda: self._go(self.info.next_face))
        bar = QHBoxLayout()
        bar.addWidget(self.previous_button)
        bar.addWidget(self.caption, 1)
        bar.addWidget(self.hide_all_button)
        bar.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 8)
        layout.addWidget(self.canvas, 1)
        layout.addLayout(bar)
        QShortcut(QKeySequence(Qt.Key.Key_Left), self, lambda: self._go(self.info and self.info.previous_face))
        QShortcut(QKeySequence(Qt.Key.Key_Right), self, lambda: self._go(self.info and self.info.next_face))
        self._loaded = _Loaded()
        self._loaded.done.connect(self._on_loaded)
        self._pool = QThreadPool(self)

    def show_photo(self, info: PhotoInfo, key) -> None:
        same_photo = self.info is not None and self.info.path == info.path
        self.info, self.key = info, key
        self.canvas.info = info
        if not same_photo:
            self.canvas.image = QImage()
            self._pool.start(_LoadPhoto(info.path, self._loaded))
        name = Path(info.path).name
        position, total = info.position
        self.caption.setText(f"{name}  ·  {position} of {total}" if total else name)
        self.setWindowTitle(name)
        self.previous_button.setEnabled(info.previous_face is not None)
        self.next_button.setEnabled(info.next_face is not None)
        self.canvas.update()
        self.show()
        self.raise_()

    def _on_loaded(self, path: str, image: QImage) -> None:
        if self.info is not None and path == self.info.path:
            self.canvas.image = image
            if image.isNull():
                self.caption.setText(f"{Path(path).name} cannot be shown (moved or unreadable?)")
            self.canvas.update()

    def _go(self, face_id: str | None) -> None:
        if face_id:
            self.navigate.emit(face_id)

    def closeEvent(self, event) -> None:
        self._pool.waitForDone()
        super().closeEvent(event)
