"""Face thumbnails, cut once at indexing time and kept in the library folder, so
that a grid of thousands of faces never decodes an original photo."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from PIL import Image

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
        image = Image.fromarray(square_crop(pixels, box))
        image = image.resize((THUMB_SIZE, THUMB_SIZE), Image.Resampling.LANCZOS)
        target = self.path(face_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fp:
                image.save(fp, "JPEG", quality=88)
            os.replace(tmp, target)
        except BaseException:
            os.unlink(tmp)
            raise
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
    x1, y1, x2, y2 = box
    side = min(max(x2 - x1, y2 - y1) * _CONTEXT, width, height)
    side = max(side, 1.0)
    cx = min(max((x1 + x2) / 2, side / 2), width - side / 2)
    cy = min(max((y1 + y2) / 2, side / 2), height - side / 2)
    left, top = int(round(cx - side / 2)), int(round(cy - side / 2))
    size = max(1, int(round(side)))
    return np.ascontiguousarray(pixels[top : top + size, left : left + size])
