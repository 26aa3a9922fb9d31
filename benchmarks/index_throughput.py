"""Photos per second: faceorganizer's indexing against InsightFace's own pipeline.

    python benchmarks/index_throughput.py FOLDER
    python benchmarks/index_throughput.py --make-12mp DIR [--count N]   # build a test folder

The peer is InsightFace's `FaceAnalysis` (cv2.imread, then `app.get(img)`)
with the same two models faceorganizer uses (SCRFD-500M and w600k
MobileFaceNet, det_size 640x640), over the same photos in the same run.
faceorganizer's figure is the whole of `index_directory`: decoding, detection,
embedding, thumbnails and the writes to a fresh library (the default engine).

The two take turns, `--rounds` times each, so that other work on the machine
weighs on both alike; the ratio printed is the median of the rounds'. Both run
at the background priority indexing gives its workers (nice 10): the peer at
normal priority would get more of a busy machine than the indexing it is
compared with.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import faceorganizer  # noqa: F401  before numpy, as the program imports them: it sets numpy's thread timeout
import numpy as np


def photo_files(folder: Path) -> list[Path]:
    from faceorganizer.images import is_photo_path

    return sorted(p for p in folder.rglob("*") if p.is_file() and is_photo_path(p))


def insightface_peer(models: Path, first: Path) -> Callable[[list[Path]], tuple[float, int]]:
    """InsightFace's FaceAnalysis, loaded and warmed up; returns its timed run."""
    import cv2
    from insightface.app import FaceAnalysis

    from faceorganizer.faces import SMALL_MODELS, bundled_model_dir

    pack = models / "models" / "buffalo_vectron"
    pack.mkdir(parents=True)
    for name in SMALL_MODELS:
        os.symlink(bundled_model_dir() / name, pack / name)
    app = FaceAnalysis(name="buffalo_vectron", root=str(models), providers=["CPUExecutionProvider"])
    app.prepare(ctx_id=-1, det_size=(640, 640))
    app.get(cv2.imread(str(first)))

    def run(files: list[Path]) -> tuple[float, int]:
        faces = 0
        started = time.perf_counter()
        for path in files:
            img = cv2.imread(str(path))
            if img is not None:
                faces += len(app.get(img))
        return time.perf_counter() - started, faces

    return run


def faceorganizer_indexing(first: Path) -> Callable[[Path], tuple[float, int]]:
    """faceorganizer's models, loaded and warmed up; returns a timed
    `index_directory` of a folder into a new library."""
    from faceorganizer.faces import FaceAnalyzer
    from faceorganizer.images import load_photo
    from faceorganizer.library import FaceLibrary

    analyzer = FaceAnalyzer()
    analyzer.analyze(load_photo(first))

    def run(folder: Path) -> tuple[float, int]:
        with tempfile.TemporaryDirectory() as root, FaceLibrary(Path(root) / "lib", analyzer=analyzer) as lib:
            started = time.perf_counter()
            report = lib.index_directory(folder)
            return time.perf_counter() - started, report.faces_found

    return run


def make_12mp(target: Path, count: int) -> None:
    """JPEGs of 4000x3000 (12 MP), each a 2x2 mosaic of real photos with faces."""
    import importlib.util

    from PIL import Image

    from faceorganizer.faces import bundled_model_dir

    insightface_dir = Path(next(iter(importlib.util.find_spec("insightface").submodule_search_locations)))
    sources = [
        insightface_dir / "data" / "images" / "t1.jpg",
        bundled_model_dir() / "players.jpg",
        bundled_model_dir() / "gdp.jpg",
        bundled_model_dir() / "yaoming.jpg",
    ]
    shared = Path(__file__).resolve().parents[2] / "shared" / "faces-dev"
    if shared.is_dir():
        sources += sorted(shared.rglob("*.jpg"))
    images = [Image.open(p).convert("RGB") for p in sources]
    rng = np.random.default_rng(0)
    target.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        canvas = Image.new("RGB", (4000, 3000))
        for j, (x, y) in enumerate([(0, 0), (2000, 0), (0, 1500), (2000, 1500)]):
            tile = images[rng.integers(len(images))].copy()
            scale = min(2000 / tile.width, 1500 / tile.height)
            tile = tile.resize((int(tile.width * scale), int(tile.height * scale)), Image.Resampling.BICUBIC)
            canvas.paste(tile, (x + (2000 - tile.width) // 2, y + (1500 - tile.height) // 2))
        # Sensor noise: a real 12 MP photo has fine detail everywhere, which is
        # what makes it slow to decode (3-6 MB as a JPEG, like these).
        pixels = np.asarray(canvas, dtype=np.int16) + rng.normal(0, 6, (3000, 4000, 1)).astype(np.int16)
        canvas = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
        canvas.save(target / f"photo{i:03d}.jpg", "JPEG", quality=92)
    print(f"wrote {count} photos of 4000x3000 to {target}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--make-12mp", action="store_true", help="build FOLDER of 12 MP test photos first")
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3, help="turns each takes (default 3)")
    args = parser.parse_args()
    if args.make_12mp:
        make_12mp(args.folder, args.count)
    files = photo_files(args.folder)
    if not files:
        print(f"no photos in {args.folder}", file=sys.stderr)
        return 1
    megapixels = np.mean([_megapixels(p) for p in files])
    print(f"{len(files)} photos, {megapixels:.1f} MP on average, {os.cpu_count()} cores,"
          f" load average {os.getloadavg()[0]:.1f}")
    os.nice(10)
    with tempfile.TemporaryDirectory() as models:
        peer = insightface_peer(Path(models), files[0])
        ours = faceorganizer_indexing(files[0])
        print(f"{'':8}{'InsightFace photos/s':>22}{'faces':>7}{'faceorganizer photos/s':>24}{'faces':>7}{'ratio':>8}")
        ratios = []
        for round_ in range(1, args.rounds + 1):
            peer_s, peer_faces = peer(files)
            ours_s, our_faces = ours(args.folder)
            ratios.append(peer_s / ours_s)
            print(f"{f'round {round_}':8}{len(files) / peer_s:22.2f}{peer_faces:7d}"
                  f"{len(files) / ours_s:24.2f}{our_faces:7d}{ratios[-1]:7.2f}x")
    print(f"ratio faceorganizer / InsightFace: {statistics.median(ratios):.2f}x (median of {len(ratios)} rounds)")
    return 0


def _megapixels(path: Path) -> float:
    from PIL import Image

    with Image.open(path) as image:
        return image.width * image.height / 1e6


if __name__ == "__main__":
    raise SystemExit(main())
