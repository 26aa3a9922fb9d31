"""Small faces in big photos: recall by face size, and whether the faces found
join the right person.

    python benchmarks/small_faces.py [--shared DIR] [--photos N]

Builds 12 MP group photos (4000x3000 JPEGs): the face of each labelled
`faces-dev/personNN/` photo, cut with its hair and shoulders, pasted at 32,
40, 48, 64, 96 or 128 px (the box's shorter side) onto large backgrounds (the
sample photos of scikit-image, enlarged, with sensor noise). Each photo is
indexed into a fresh library twice, without and with the closer look for small
faces, and the figures are printed side by side:

- found: a face of the library's whose box overlaps the pasted one
  (intersection over union >= 0.3);
- joins: the face found is most like (cosine) the person's faces in their
  other photos, and at least as like as the library's grouping threshold;
- cost: seconds per photo of the whole indexing, of the clock and of the
  processor (all threads; on a busy machine the clock's figure varies more).
"""

from __future__ import annotations

import argparse
import importlib.util
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from faceorganizer.config import Settings
from faceorganizer.faces import FaceAnalyzer
from faceorganizer.images import load_photo
from faceorganizer.library import FaceLibrary
from faceorganizer.xmp import iou

SIZES = (32, 40, 48, 64, 96, 128)
BACKGROUNDS = ("coffee.png", "rocket.jpg", "chelsea.png", "motorcycle_left.png", "grass.png", "brick.png")
WIDTH, HEIGHT = 4000, 3000


def largest_face(analyzer: FaceAnalyzer, path: Path):
    """The photo, decoded whole, and its largest face (None if none)."""
    photo = load_photo(path, max_side=100_000)
    faces = analyzer.analyze(photo)
    return photo, max(faces, key=lambda f: f.size, default=None)


def build_photos(analyzer: FaceAnalyzer, shared: Path, target: Path, count: int):
    """`count` group photos in `target`; returns the pasted faces (photo
    name, person, size, box) and each person's reference vectors."""
    sources = []  # (person, photo pixels, face)
    references: dict[str, list[np.ndarray]] = {}
    for folder in sorted(shared.glob("person*")):
        for path in sorted(folder.glob("*.jpg")):
            photo, face = largest_face(analyzer, path)
            if face is not None:
                sources.append((folder.name, photo.pixels, face, path.name))
                references.setdefault(folder.name, []).append((path.name, face.embedding))
    backgrounds = Path(next(iter(importlib.util.find_spec("skimage").submodule_search_locations))) / "data"
    rng = np.random.default_rng(15)
    pasted = []
    for n in range(count):
        canvas = Image.open(backgrounds / BACKGROUNDS[n % len(BACKGROUNDS)]).convert("RGB")
        canvas = canvas.resize((WIDTH, HEIGHT), Image.Resampling.BICUBIC)
        for slot in range(12):  # a 4 x 3 grid, each face somewhere in its cell
            person, pixels, face, name = sources[rng.integers(len(sources))]
            size = SIZES[(slot + n) % len(SIZES)]
            x1, y1, x2, y2 = face.bbox
            zoom = size / face.size
            margin = 0.8 * max(x2 - x1, y2 - y1)
            left, top = max(0, int(x1 - margin)), max(0, int(y1 - margin))
            right, bottom = min(pixels.shape[1], int(x2 + margin)), min(pixels.shape[0], int(y2 + margin))
            cut = Image.fromarray(pixels[top:bottom, left:right])
            cut = cut.resize((max(1, round(cut.width * zoom)), max(1, round(cut.height * zoom))),
                             Image.Resampling.LANCZOS)
            cell_x, cell_y = (slot % 4) * WIDTH // 4, (slot // 4) * HEIGHT // 3
            x = cell_x + int(rng.integers(0, max(1, WIDTH // 4 - cut.width)))
            y = cell_y + int(rng.integers(0, max(1, HEIGHT // 3 - cut.height)))
            canvas.paste(cut, (x, y))
            box = (x + (x1 - left) * zoom, y + (y1 - top) * zoom, x + (x2 - left) * zoom, y + (y2 - top) * zoom)
            pasted.append((f"group{n:02d}.jpg", person, name, size, box))
        noisy = np.asarray(canvas, dtype=np.int16) + rng.normal(0, 4, (HEIGHT, WIDTH, 1)).astype(np.int16)
        Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(target / f"group{n:02d}.jpg", quality=90)
    return pasted, references


def evaluate(library: FaceLibrary, pasted, references, threshold: float) -> dict[int, tuple[int, int, int]]:
    """For each size: (pasted, found, found and joining the right person)."""
    faces: dict[str, list[tuple[tuple, np.ndarray]]] = {}
    catalog = library.catalog
    for face in library.iter_faces():
        vector = catalog.vectors[catalog.row[face["id"]]]
        faces.setdefault(Path(face["path"]).name, []).append((face["bbox"], vector))
    people = sorted(references)
    counts = {size: [0, 0, 0] for size in SIZES}
    for photo, person, source, size, box in pasted:
        counts[size][0] += 1
        matches = [(iou(box, bbox), vector) for bbox, vector in faces.get(photo, [])]
        best = max(matches, key=lambda m: m[0], default=(0.0, None))
        if best[0] < 0.3:
            continue
        counts[size][1] += 1
        likeness = [max((float(vector @ best[1]) for name, vector in references[p] if (p, name) != (person, source)),
                        default=-1.0) for p in people]
        top = int(np.argmax(likeness))
        counts[size][2] += people[top] == person and likeness[top] >= threshold
    return {size: tuple(c) for size, c in counts.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared")
    parser.add_argument("--photos", type=int, default=12)
    args = parser.parse_args()
    analyzer = FaceAnalyzer()
    with tempfile.TemporaryDirectory() as root:
        folder = Path(root) / "photos"
        folder.mkdir()
        pasted, references = build_photos(analyzer, args.shared / "faces-dev", folder, args.photos)
        print(f"{args.photos} photos of {WIDTH}x{HEIGHT}, {len(pasted)} faces pasted")
        results = {}
        for small_faces in (False, True):
            settings = Settings(small_faces=small_faces)
            with FaceLibrary(Path(root) / f"lib-{small_faces}", settings=settings, analyzer=analyzer) as lib:
                started, cpu = time.perf_counter(), time.process_time()
                lib.index_directory(folder)
                seconds = (time.perf_counter() - started, time.process_time() - cpu)
                results[small_faces] = (evaluate(lib, pasted, references, lib.cluster_threshold), seconds,
                                        lib.count())
    print(f"{'size px':>8}{'pasted':>8}{'found, first look':>19}{'joins':>7}{'found, closer look':>20}{'joins':>7}")
    totals = np.zeros((2, 3), int)
    for size in SIZES:
        row = f"{size:8d}{results[False][0][size][0]:8d}"
        for k, small_faces in enumerate((False, True)):
            n, found, joins = results[small_faces][0][size]
            row += f"{found / n:18.0%} {joins / n:6.0%}" if k == 0 else f"{found / n:19.0%} {joins / n:6.0%}"
            if size >= 40:
                totals[k] += (n, found, joins)
        print(row)
    for k, small_faces in enumerate((False, True)):
        n, found, joins = totals[k]
        _, seconds, count = results[small_faces]
        print(f"{'closer look' if small_faces else 'first look only':16}: 40-128 px {found / n:.1%} found,"
              f" {joins / n:.1%} join their person; {seconds[0] / args.photos:.2f} s per photo"
              f" ({seconds[1] / args.photos:.2f} s of processor), {count} faces in all")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
