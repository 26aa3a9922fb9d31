"""Decode photos for face analysis: upright, only as large as needed, and with a
clear reason whenever a file cannot be read.

A photo is opened read-only and decoded once. JPEGs far larger than needed are
decoded at 1/2, 1/4 or 1/8 scale by libjpeg itself (`Image.draft`), which is
several times faster than a full decode followed by a resize.
"""

from __future__ import annotations

import io
import os
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from faceorganizer.errors import ImageLoadError

try:  # HEIC/HEIF (iPhone photos) through the optional extra `faceorganizer[heif]`.
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF_SUPPORTED = True
except ImportError:
    HEIF_SUPPORTED = False

#: Photos above this many pixels are refused before they are decoded: a
#: decompression bomb (or a 30000x30000 scan) would take gigabytes of memory.
MAX_PIXELS = 180_000_000

# We enforce MAX_PIXELS ourselves, with a message for the user; Pillow's own
# check would warn below it and raise above 2 * Image.MAX_IMAGE_PIXELS.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS // 2
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)

PHOTO_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".webp", ".tif", ".tiff", ".bmp", ".gif"}
    | ({".heic", ".heif", ".hif"} if HEIF_SUPPORTED else set())
)

#: EXIF orientations that swap width and height.
_TRANSPOSING_ORIENTATIONS = {5, 6, 7, 8}

ImageInput = Union[str, os.PathLike, bytes, Image.Image, np.ndarray]


@dataclass(frozen=True)
class Photo:
    """A decoded photo, upright, possibly reduced in size.

    Attributes:
        pixels: RGB uint8 array, H x W x 3, upright (EXIF orientation applied).
        width, height: size of the upright photo at full resolution.
        scale: `pixels` size divided by the full size (1.0 when not reduced).
    """

    pixels: np.ndarray
    width: int
    height: int

    @property
    def scale(self) -> float:
        return self.pixels.shape[1] / self.width


def is_photo_path(path: str | os.PathLike) -> bool:
    """Whether the file name has a photo suffix we can decode."""
    return os.path.splitext(path)[1].lower() in PHOTO_SUFFIXES


def load_photo(source: ImageInput, max_side: int = 1280) -> Photo:
    """Decode `source` upright, with its longer side at most `max_side` pixels
    (a large JPEG comes out between half of that and `max_side`).

    `source` is a path, the bytes of an encoded image, a PIL image or an RGB
    uint8 array. Raises ImageLoadError with a reason a user can act on.
    """
    if isinstance(source, np.ndarray):
        return _photo_from_array(source, max_side)
    if isinstance(source, Image.Image):
        return _decode(source, source, max_side)
    if isinstance(source, (bytes, bytearray, memoryview)):
        if not len(source):
            raise ImageLoadError("<bytes>", "empty data")
        return _open_and_decode(io.BytesIO(source), "<bytes>", max_side)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        try:
            if path.stat().st_size == 0:
                raise ImageLoadError(path, "empty file (0 bytes)")
            with open(path, "rb") as fp:
                return _open_and_decode(fp, path, max_side)
        except FileNotFoundError:
            raise ImageLoadError(path, "file not found") from None
        except IsADirectoryError:
            raise ImageLoadError(path, "is a folder, not a photo") from None
        except PermissionError:
            raise ImageLoadError(path, "permission denied (the file is not readable)") from None
    raise TypeError(f"cannot load a photo from {type(source).__name__}")


def _open_and_decode(fp, name, max_side: int) -> Photo:
    try:
        image = Image.open(fp)
    except UnidentifiedImageError:
        kind = _sniff(fp)
        if kind:
            raise ImageLoadError(name, f"corrupt {kind} file (its header cannot be read)") from None
        raise ImageLoadError(name, "not an image, or an image format we cannot read") from None
    except Image.DecompressionBombError:
        raise ImageLoadError(name, f"image too large (over {MAX_PIXELS // 1_000_000} megapixels)") from None
    except OSError as exc:
        kind = _sniff(fp)
        what = f"corrupt {kind} file" if kind else "cannot read the file"
        raise ImageLoadError(name, f"{what} ({exc})") from None
    with image:
        return _decode(image, name, max_side)


_SIGNATURES = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG", "PNG"),
    (b"GIF8", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)


def _sniff(fp) -> str | None:
    """The format a file's first bytes claim, for a better message when it fails."""
    try:
        fp.seek(0)
        head = fp.read(16)
    except (OSError, ValueError):
        return None
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    return next((kind for magic, kind in _SIGNATURES if head.startswith(magic)), None)


def _decode(image: Image.Image, name, max_side: int) -> Photo:
    try:
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise ImageLoadError(
                name,
                f"image too large ({width}x{height}, {width * height / 1e6:.0f} megapixels;"
                f" the limit is {MAX_PIXELS // 1_000_000})",
            )
        if width == 0 or height == 0:
            raise ImageLoadError(name, "image has no pixels")
        orientation = image.getexif().get(0x0112, 1)
        ratio = max_side / max(width, height)
        if ratio < 1 and image.format == "JPEG" and image.mode in ("RGB", "L", "YCbCr", "CMYK"):
            # libjpeg scales by 1/2, 1/4 or 1/8 while decoding, never below the
            # request: asking for half of max_side gives between that and max_side.
            ratio /= 2
            image.draft("RGB", (max(1, int(width * ratio)), max(1, int(height * ratio))))
        image.load()
        if getattr(image, "n_frames", 1) > 1:
            image.seek(0)
        if orientation != 1:
            image = ImageOps.exif_transpose(image)
        if orientation in _TRANSPOSING_ORIENTATIONS:
            width, height = height, width
        image = _to_rgb(image)
        if max(image.size) > max_side:
            image.thumbnail((max_side, max_side), Image.Resampling.BILINEAR, reducing_gap=2.0)
        pixels = np.asarray(image)
    except ImageLoadError:
        raise
    except Image.DecompressionBombError:
        raise ImageLoadError(name, f"image too large (over {MAX_PIXELS // 1_000_000} megapixels)") from None
    except OSError as exc:
        message = str(exc)
        if "truncated" in message:
            raise ImageLoadError(name, "truncated file (the photo is incomplete)") from None
        raise ImageLoadError(name, f"corrupt or unreadable image data ({message})") from None
    except (SyntaxError, ValueError, EOFError, IndexError, struct.error) as exc:
        raise ImageLoadError(name, f"corrupt image data ({exc or type(exc).__name__})") from None
    except MemoryError:
        raise ImageLoadError(name, "not enough memory to decode this image") from None
    return Photo(pixels=pixels, width=width, height=height)


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        # Transparent areas become white, not black, as most viewers show them.
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        return background
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(image, dtype=np.float32)
        peak = max(float(array.max()), 1.0)
        image = Image.fromarray((array * (255.0 / peak)).astype(np.uint8), "L")
    return image.convert("RGB")


def _photo_from_array(array: np.ndarray, max_side: int) -> Photo:
    if array.dtype != np.uint8 or array.ndim not in (2, 3):
        raise ImageLoadError("<array>", "expected an RGB uint8 array of shape H x W x 3")
    if array.ndim == 2:
        array = np.stack([array] * 3, axis=-1)
    elif array.shape[2] == 4:
        array = array[:, :, :3]
    elif array.shape[2] != 3:
        raise ImageLoadError("<array>", "expected an RGB uint8 array of shape H x W x 3")
    return _decode(Image.fromarray(np.ascontiguousarray(array), "RGB"), "<array>", max_side)
