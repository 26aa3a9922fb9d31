"""Face and photo thumbnails for the grids, read from the library's thumbnail
cache on a thread pool (never on the GUI thread), kept in memory, and
announced in batches so a screenful of faces causes a few repaints, not one
each. A photo's thumbnail is made there the first time it is shown.

A grid's face tile (the face scaled to the tile, its corners rounded) is made
on the pool too: made on the GUI thread, the tiles of a screenful of faces
scrolled into view cost a repaint about 45 ms."""

from __future__ import annotations

import functools
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QRectF, QRunnable, QSize, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QImage, QImageReader, QPainter, QPainterPath, QPixmap

from faceorganizer.errors import ImageLoadError
from faceorganizer.threads import lower_thread_priority
from faceorganizer.thumbs import PHOTO_THUMB_SIZE, photo_thumbnail

#: Thumbnails kept in memory (about 150 KB each at 192 px), and tiles of as many faces.
_CACHE_SIZE = 4000
#: The corner radius of a face tile (logical px).
RADIUS = 12

#: A tile's size: its side (logical px) and the screen's device pixel ratio.
TileSize = tuple[int, float]


def read_tile(path: str, side: int, ratio: float) -> QImage:
    """The face thumbnail at `path` as a tile of `side` logical pixels, for a
    screen of `ratio` device pixels to one, its corners rounded.

    Decoded straight to the tile's size, in one call that lets go of Python's
    lock; the corners are then one composition with a mask. (Scaling and
    clipping with QPainter holds the lock throughout: on a thread of the pool
    it kept the GUI thread waiting tens of milliseconds.)"""
    pixels = round(side * ratio)
    reader = QImageReader(path)
    reader.setScaledSize(QSize(pixels, pixels))
    image = reader.read()
    if image.isNull():
        return image
    image = image.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
    painter = QPainter(image)
    painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_DestinationIn)
    painter.drawImage(0, 0, _corners(pixels, RADIUS * ratio))
    painter.end()
    image.setDevicePixelRatio(ratio)
    return image


@functools.cache
def _corners(pixels: int, radius: float) -> QImage:
    """A square mask of `pixels`, opaque but for its rounded corners."""
    mask = QImage(pixels, pixels, QImage.Format.Format_ARGB32_Premultiplied)
    mask.fill(Qt.GlobalColor.transparent)
    painter = QPainter(mask)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    path = QPainterPath()
    path.addRoundedRect(QRectF(0, 0, pixels, pixels), radius, radius)
    painter.fillPath(path, Qt.GlobalColor.black)
    painter.end()
    return mask


class _Emitter(QObject):
    done = Signal(str, object, QImage)  # key, tile size (None: the thumbnail itself), image


class _Load(QRunnable):
    """Run `read()` for a thumbnail or a tile (a null image when it cannot be had)."""

    def __init__(self, key: str, size: TileSize | None, read: Callable[[], QImage], emitter: _Emitter):
        super().__init__()
        self.key, self.size, self.read, self.emitter = key, size, read, emitter

    def run(self) -> None:
        _behind_the_window()
        try:
            image = self.read()
        except (ImageLoadError, OSError):
            image = QImage()
        self.emitter.done.emit(self.key, self.size, image)


_pool_thread = threading.local()


def _behind_the_window() -> None:
    """Run this thread of the pool at nice 10, as the library's process, once.

    Two threads decoding beside indexing left the GUI thread a third of a
    core to paint with at nice 0, and still waiting for a core at nice 5: the
    pool's threads are woken by the GUI thread, so Linux keeps them on its
    core (measured on 2 cores: the GUI thread and both of them on one for a
    quarter of a second, the library's process alone on the other). Sharing
    a core with two threads at nice 5, the GUI thread has 60% of it; at nice
    10, 82%."""
    if not getattr(_pool_thread, "niced", False):
        _pool_thread.niced = True
        lower_thread_priority(10)


class ThumbnailLoader(QObject):
    """pixmap(face_id) gives the thumbnail, tile(face_id, side, ratio) its
    tile, or None while they load; `loaded` then lists the face ids whose
    thumbnail or tile arrived since the last batch."""

    loaded = Signal(object)  # [face id]

    def __init__(self, folder: Path | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.folder = Path(folder) if folder else None
        self._cache: OrderedDict[str, QPixmap] = OrderedDict()
        self._tiles: OrderedDict[str, dict[TileSize, QPixmap]] = OrderedDict()
        self._pending: set[tuple[str, TileSize | None]] = set()
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
        self._tiles.clear()
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
        self._load(face_id, None, self._reader(face_id))
        return None

    def tile(self, face_id: str, side: int, ratio: float) -> QPixmap | None:
        """The face's tile of `side` logical pixels for a screen of `ratio`;
        while it is made, a tile of another size when there is one (to be
        scaled: a grid being zoomed), else None."""
        tiles = self._tiles.get(face_id, {})
        tile = tiles.get((side, ratio))
        if tile is not None:
            self._tiles.move_to_end(face_id)
            return tile
        path = self._file(face_id)
        self._load(face_id, (side, ratio), lambda: read_tile(path, side, ratio))
        return next(iter(tiles.values()), None)

    def _load(self, key: str, size: TileSize | None, read: Callable[[], QImage]) -> None:
        if (key, size) not in self._pending and key not in self._missing and self.folder is not None:
            self._pending.add((key, size))
            self._pool.start(_Load(key, size, read, self._emitter))

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

    def _on_done(self, face_id: str, size: TileSize | None, image: QImage) -> None:
        self._pending.discard((face_id, size))
        if image.isNull():
            self._missing.add(face_id)
            return
        if size is None:
            self._cache[face_id] = QPixmap.fromImage(image)
            if len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        else:
            self._tiles.setdefault(face_id, {})[size] = QPixmap.fromImage(image)
            self._tiles.move_to_end(face_id)
            if len(self._tiles) > _CACHE_SIZE:
                self._tiles.popitem(last=False)
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
