"""Face thumbnails, cut once at indexing time and kept in the library folder, so
that a grid of thousands of faces never decodes an original photo; and
whole-photo thumbnails, made the first time a photo is shown and kept there
too."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from faceorganizer.images import load_photo

#: Side of a square face thumbnail in pixels (tiles show them at up to 2x DPI).
THUMB_SIZE = 192
#: The thumbnail shows this much around the face box, as a multiple of its size.
_CONTEXT = 1.5


class ThumbnailCache:
    """JPEG files `<folder>/<2 hex digits>/<face_id>.jpg`."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def path(self, face_id: str) -> Path:
        return self.folder / face_id[:2] / f"{face_id}.jpg"

    def write(self, face_id: str, pixels: np.ndarray, box: tuple[float, float, float, float]) -> Path:
        """Cut the face at `box` (in `pixels` coordinates) and store it atomically."""
        import cv2  # (indexing has it loaded; a command that only reads does without)

        crop = square_crop(pixels, box)
        # OpenCV's resize: a face about the tile's size takes 0.15 ms instead of
        # Pillow's Lanczos' 1.5 ms (thumbnails were a twentieth of indexing's
        # time), a big one a third of it. Bicubic when the crop is at most
        # twice the tile (within half a grey level of Lanczos), else the
        # average of the pixels each tile pixel covers (bicubic would alias).
        shrunk = THUMB_SIZE / crop.shape[0] < 0.5
        resized = cv2.resize(crop, (THUMB_SIZE, THUMB_SIZE),
                             interpolation=cv2.INTER_AREA if shrunk else cv2.INTER_CUBIC)
        target = self.path(face_id)
        _save_jpeg(Image.fromarray(resized), target, quality=88)
        return target

    def remove(self, face_ids: Iterable[str]) -> None:
        for face_id in face_ids:
            try:
                self.path(face_id).unlink()
            except FileNotFoundError:
                pass

    def clear(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def square_crop(pixels: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    """A square around the face with some context, kept inside the photo."""
    height, width = pixels.shape[:2]
    left, top, side = thumbnail_square(box, width, height)
    left, top = int(round(left)), int(round(top))
    size = max(1, int(round(side)))
    return np.ascontiguousarray(pixels[top : top + size, left : left + size])


def thumbnail_square(box: Sequence[float], width: float, height: float) -> tuple[float, float, float]:
    """(left, top, side) of the square a face's thumbnail shows, in the
    pixels of the photo (`width` x `height`) that `box` is in."""
    x1, y1, x2, y2 = box
    side = min(max(x2 - x1, y2 - y1) * _CONTEXT, width, height)
    side = max(side, 1.0)
    cx = min(max((x1 + x2) / 2, side / 2), width - side / 2)
    cy = min(max((y1 + y2) / 2, side / 2), height - side / 2)
    return cx - side / 2, cy - side / 2, side


#: Longer side of a whole-photo thumbnail in pixels (tiles show them at up to 2x DPI).
PHOTO_THUMB_SIZE = 320


def photo_thumbnail(folder: Path, image_id: str, source: str | os.PathLike) -> Path:
    """The thumbnail of a whole photo, upright, kept as
    `<folder>/<2 hex digits>/<image_id>.jpg`: made from `source` when there is
    none yet or the photo file changed since. Raises ImageLoadError when the
    photo cannot be read."""
    target = Path(folder) / image_id[:2] / f"{image_id}.jpg"
    try:
        if target.stat().st_mtime_ns >= os.stat(source).st_mtime_ns:
            return target
    except FileNotFoundError:
        pass
    photo = load_photo(source, max_side=2 * PHOTO_THUMB_SIZE)
    image = Image.fromarray(photo.pixels)
    image.thumbnail((PHOTO_THUMB_SIZE, PHOTO_THUMB_SIZE), Image.Resampling.LANCZOS)
    _save_jpeg(image, target)
    return target


def _save_jpeg(image: Image.Image, target: Path, quality: int = 85) -> None:
    """Write a JPEG atomically: a reader never sees half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fp:
            image.save(fp, "JPEG", quality=quality)
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise
