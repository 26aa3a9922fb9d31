"""Face thumbnails for the grids, read from the library's thumbnail cache on a
thread pool (never on the GUI thread), kept in memory, and announced in
batches so a screenful of faces causes a few repaints, not one each."""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QImage, QPixmap

#: Thumbnails kept in memory (about 150 KB each at 192 px).
_CACHE_SIZE = 4000


class _Emitter(QObject):
    done = Signal(str, QImage)


class _Load(QRunnable):
    def __init__(self, face_id: str, path: Path, emitter: _Emitter):
        super().__init__()
        self.face_id, self.path, self.emitter = face_id, path, emitter

    def run(self) -> None:
        image = QImage(str(self.path))
        self.emitter.done.emit(self.face_id, image)


class ThumbnailLoader(QObject):
    """pixmap(face_id) gives the thumbnail, or None while it loads; `loaded`
    then lists the face ids that arrived since the last batch."""

    loaded = Signal(object)  # [face id]

    def __init__(self, folder: Path | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.folder = Path(folder) if folder else None
        self._cache: OrderedDict[str, QPixmap] = OrderedDict()
        self._pending: set[str] = set()
        self._arrived: list[str] = []
        self._missing: set[str] = set()
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(2)
        self._emitter = _Emitter()
        self._emitter.done.connect(self._on_done, Qt.ConnectionType.QueuedConnection)
        self._flush = QTimer(self)
        self._flush.setSingleShot(True)
        self._flush.setInterval(30)
        self._flush.timeout.connect(self._announce)

    def set_folder(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._cache.clear()
        self._missing.clear()

    def path(self, face_id: str) -> Path:
        return self.folder / face_id[:2] / f"{face_id}.jpg"

    def pixmap(self, face_id: str) -> QPixmap | None:
        pixmap = self._cache.get(face_id)
        if pixmap is not None:
            self._cache.move_to_end(face_id)
            return pixmap
        if face_id not in self._pending and face_id not in self._missing and self.folder is not None:
            self._pending.add(face_id)
            self._pool.start(_Load(face_id, self.path(face_id), self._emitter))
        return None

    def is_idle(self) -> bool:
        return not self._pending and not self._arrived

    def wait(self) -> None:
        """Block until the running loads are done (for tests and shutdown)."""
        self._pool.waitForDone()

    def _on_done(self, face_id: str, image: QImage) -> None:
        self._pending.discard(face_id)
        if image.isNull():
            self._missing.add(face_id)
            return
        self._cache[face_id] = QPixmap.fromImage(image)
        if len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)
        self._arrived.append(face_id)
        if not self._flush.isActive():
            self._flush.start()

    def _announce(self) -> None:
        arrived, self._arrived = self._arrived, []
        if arrived:
            self.loaded.emit(arrived)
