"""Photo loading: formats, EXIF orientation, reduced-scale decoding, bad files."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from faceorganizer.errors import ImageLoadError
from faceorganizer.images import load_photo

from conftest import write_huge_png


@pytest.fixture(scope="module")
def t1(sample_photos):
    return Image.open(sample_photos["t1"]).convert("RGB")


@pytest.mark.parametrize(
    "fmt, mode", [("PNG", "RGB"), ("PNG", "RGBA"), ("PNG", "L"), ("WEBP", "RGB"), ("TIFF", "RGB"),
                  ("BMP", "RGB"), ("GIF", "P"), ("JPEG", "L"), ("JPEG", "CMYK")]
)
def test_formats_decode_to_rgb(tmp_path, t1, fmt, mode):
    path = tmp_path / f"photo.{fmt.lower()}"
    t1.convert(mode).save(path, fmt)
    photo = load_photo(path)
    assert photo.pixels.dtype == np.uint8
    assert photo.pixels.shape == (t1.height, t1.width, 3)
    assert (photo.width, photo.height) == t1.size


def test_gif_first_frame(tmp_path, t1):
    path = tmp_path / "anim.gif"
    frames = [t1.convert("P"), Image.new("P", t1.size, 0)]
    frames[0].save(path, save_all=True, append_images=frames[1:])
    photo = load_photo(path)
    assert photo.pixels.mean() > 20  # the photo, not the black second frame


def test_exif_orientation_is_applied(tmp_path, t1):
    # Stored rotated a quarter turn; orientation 6 tells viewers to turn it back.
    rotated = t1.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "rotated.jpg"
    rotated.save(path, "JPEG", quality=95, exif=exif)
    photo = load_photo(path)
    assert (photo.width, photo.height) == t1.size
    assert photo.pixels.shape[:2] == (t1.height, t1.width)
    difference = np.abs(photo.pixels.astype(int) - np.asarray(t1, dtype=int)).mean()
    assert difference < 8


def test_big_jpeg_is_decoded_reduced(tmp_path, t1):
    path = tmp_path / "big.jpg"
    t1.resize((4000, 2770)).save(path, "JPEG", quality=90)
    photo = load_photo(path, max_side=1280)
    assert (photo.width, photo.height) == (4000, 2770)
    assert max(photo.pixels.shape[:2]) <= 1280
    assert photo.scale == pytest.approx(photo.pixels.shape[1] / 4000)


def test_bytes_and_array_inputs(sample_photos, t1):
    data = sample_photos["t1"].read_bytes()
    assert load_photo(data).pixels.shape == (t1.height, t1.width, 3)
    assert load_photo(np.asarray(t1)).pixels.shape == (t1.height, t1.width, 3)


def _bad_files(tmp_path, sample_photos):
    good = sample_photos["t1"].read_bytes()
    # A JPEG signature, then noise where the headers should be.
    corrupt = good[:4] + np.random.default_rng(0).integers(0, 256, 4000, dtype=np.uint8).tobytes()
    files = {
        "truncated.jpg": good[: len(good) // 2],
        "empty.jpg": b"",
        "text.jpg": b"this is not a photo\n" * 20,
        "corrupt.jpg": corrupt,
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    return {name: tmp_path / name for name in files}


@pytest.mark.parametrize(
    "name, reason",
    [("truncated.jpg", "truncated"), ("empty.jpg", "empty"), ("text.jpg", "not an image"),
     ("corrupt.jpg", "corrupt JPEG")],
)
def test_bad_files_raise_with_reason(tmp_path, sample_photos, name, reason):
    path = _bad_files(tmp_path, sample_photos)[name]
    with pytest.raises(ImageLoadError) as info:
        load_photo(path)
    assert reason in info.value.reason
    assert str(path) in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(ImageLoadError, match="not found"):
        load_photo(tmp_path / "nope.jpg")


def test_huge_png_is_refused_without_decoding(tmp_path):
    path = tmp_path / "huge.png"
    write_huge_png(path)
    with pytest.raises(ImageLoadError, match="too large"):
        load_photo(path)


def test_decompression_bomb_in_bytes():
    buffer = io.BytesIO()
    Image.new("L", (1, 1)).save(buffer, "PNG")
    # Same file with the size in its header raised to 20000 x 20000.
    data = bytearray(buffer.getvalue())
    data[16:24] = (20000).to_bytes(4, "big") * 2
    with pytest.raises(ImageLoadError):
        load_photo(bytes(data))


def test_heic(tmp_path, t1):
    pytest.importorskip("pillow_heif")
    from faceorganizer.images import HEIF_SUPPORTED, is_photo_path

    assert HEIF_SUPPORTED and is_photo_path("IMG_0001.HEIC")
    path = tmp_path / "photo.heic"
    t1.save(path, "HEIF", quality=90)
    photo = load_photo(path)
    assert (photo.width, photo.height) == t1.size
