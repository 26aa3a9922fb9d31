"""Face and photo thumbnails for the grids, read from the library's thumbnail
cache on a thread pool (never on the GUI thread), kept in memory, and
announced in batches so a screenful of faces causes a few repaints, not one
each. A photo's thumbnail is made there the first time it is shown."""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QSize, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QImage, QPixmap

from faceorganizer.errors import ImageLoadError
from faceorganizer.thumbs import PHOTO_THUMB_SIZE, photo_thumbnail

#: Thumbnails kept in memory (about 150 KB each at 192 px).
_CACHE_SIZE = 4000


class _Emitter(QObject):
    done = Signal(str, QImage)


class _Load(QRunnable):
    """Run `read()` for a thumbnail (a null image when it cannot be had)."""

    def __init__(self, key: str, read: Callable[[], QImage], emitter: _Emitter):
        super().__init__()
        self.key, self.read, self.emitter = key, read, emitter

    def run(self) -> None:
        try:
            image = self.read()
        except (ImageLoadError, OSError):
            image = QImage()
        self.emitter.done.emit(self.key, image)


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
        return Path(self._file(face_id))

    def _file(self, face_id: str) -> str:
        """The thumbnail's file name (a str: pathlib costs a tile of a scrolled grid more than reading it)."""
        return f"{self.folder}{os.sep}{face_id[:2]}{os.sep}{face_id}.jpg"

    def pixmap(self, face_id: str) -> QPixmap | None:
        pixmap = self._cache.get(face_id)
        if pixmap is not None:
            self._cache.move_to_end(face_id)
            return pixmap
        if face_id not in self._pending and face_id not in self._missing and self.folder is not None:
            self._pending.add(face_id)
            self._pool.start(_Load(face_id, self._reader(face_id), self._emitter))
        return None

    def missing(self, key: str) -> bool:
        """Whether the thumbnail could not be had (its file is gone or unreadable)."""
        return key in self._missing

    def _reader(self, key: str) -> Callable[[], QImage]:
        """What reads a thumbnail, on a thread of the pool."""
        path = self._file(key)
        return lambda: QImage(path)

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


class PhotoThumbnailLoader(ThumbnailLoader):
    """Whole-photo thumbnails by photo id (`sources` gives each one's file),
    kept in `<folder>/<2 hex digits>/<photo id>.jpg` and made when missing or
    older than their photo, then scaled to fit `fit` (device pixels) on the
    pool, so that a grid draws them as they are. A photo that cannot be read
    stays without one."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent=parent)
        self.sources: dict[str, str] = {}
        self.fit, self.ratio = QSize(PHOTO_THUMB_SIZE, PHOTO_THUMB_SIZE), 1.0

    def set_fit(self, fit: QSize, ratio: float) -> None:
        """Thumbnails to fit `fit` (logical pixels, on a screen of `ratio`
        device pixels to one) from now on; those in memory are dropped."""
        if (fit, ratio) != (self.fit, self.ratio):
            self.fit, self.ratio = fit, ratio
            self._cache.clear()

    def _reader(self, key: str) -> Callable[[], QImage]:
        folder, source, fit, ratio = self.folder, self.sources[key], self.fit, self.ratio

        def read() -> QImage:
            image = QImage(str(photo_thumbnail(folder, key, source))).scaled(
                fit * ratio, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
            image.setDevicePixelRatio(ratio)
            return image

        return read
