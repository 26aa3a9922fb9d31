"""Group faces into people: pure computation on vectors, no store.

The similarity graph comes from top-k neighbour lists computed with blocked
float32 matrix products (exact up to EXACT_LIMIT faces, from an inverted file
above), never from one store query per face. Faces are grouped by a
two-threshold rule on that graph (see `group_faces`): a strong edge joins two
groups, weak edges only in numbers. It was chosen by measurement against
connected components (the seed's rule, which chains look-alikes), average
linkage, mutual k-NN, Chinese Whispers, Louvain and density rules: see
benchmarks/cluster_quality.py and benchmarks/cluster_explore.py.

Constraints, applied during grouping:
- cannot-link: two faces of one photo are never one person; a face is never
  joined to a person the user took it out of; two people the user confirmed
  (whose faces are pinned) are never joined by the algorithm;
- must-link: the pinned faces of one person end as one group.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: Default similarity (cosine, -1..1) of a strong edge: one is enough to join.
DEFAULT_THRESHOLD = 0.475
#: Weak edges are at least threshold - WEAK_MARGIN similar ...
WEAK_MARGIN = 0.05
#: ... and SUPPORT of them are needed to join two groups.
SUPPORT = 2
#: Neighbours per face in the similarity graph.
DEFAULT_K = 32
#: Smallest group that becomes a person (unless the user confirmed it).
DEFAULT_MIN_FACES = 3

_BLOCK = 2048


def knn(vectors: np.ndarray, k: int = DEFAULT_K, min_similarity: float = -1.0) -> tuple[np.ndarray, np.ndarray]:
    """The k most similar other rows of `vectors` (unit vectors) for each row.

    Returns (indices, similarities), each N x k, best first; an entry below
    `min_similarity` has index -1. Exact up to EXACT_LIMIT rows; above, the
    candidates come from an inverted file (spherical k-means cells, each face
    compared with the faces of its NPROBE nearest cells), and every candidate
    is scored exactly.
    """
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n = len(vectors)
    k = max(0, min(k, n - 1))
    if n <= EXACT_LIMIT:
        indices, sims = _exact_knn(vectors, k)
    else:
        indices, sims = _ivf_knn(vectors, k)
    indices[sims < min_similarity] = -1
    return indices, sims


#: Up to this many faces, neighbours are found by comparing every pair.
EXACT_LIMIT = 12_000
#: Cells an inverted-file search looks in, per face.
NPROBE = 6


def top_k(block: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Column indices and values of the k largest entries of each row, best first."""
    if k >= block.shape[1]:
        top = np.argsort(-block, axis=1)[:, :k]
        return top, np.take_along_axis(block, top, axis=1)
    top = np.argpartition(-block, k - 1, axis=1)[:, :k]
    values = np.take_along_axis(block, top, axis=1)
    order = np.argsort(-values, axis=1)
    return np.take_along_axis(top, order, axis=1), np.take_along_axis(values, order, axis=1)


def _exact_knn(vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    n = len(vectors)
    indices = np.full((n, k), -1, dtype=np.int64)
    sims = np.full((n, k), -np.inf, dtype=np.float32)
    if k == 0:
        return indices, sims
    for start in range(0, n, _BLOCK):
        block = vectors[start : start + _BLOCK] @ vectors.T
        rows = np.arange(len(block))
        block[rows, start + rows] = -np.inf  # not its own neighbour
        indices[start : start + len(block)], sims[start : start + len(block)] = top_k(block, k)
    return indices, sims


def _ivf_knn(vectors: np.ndarray, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    n, _ = vectors.shape
    cells = max(16, int(np.sqrt(n)))
    centroids = _spherical_kmeans(vectors, cells, seed)
    # Each face lives in its nearest cell and looks in its NPROBE nearest.
    probes = np.empty((n, NPROBE), dtype=np.int64)
    for start in range(0, n, 8192):
        scores = vectors[start : start + 8192] @ centroids.T
        probes[start : start + 8192] = top_k(scores, NPROBE)[0]
    home = probes[:, 0]
    members = np.argsort(home, kind="stable")
    bounds = np.searchsorted(home[members], np.arange(cells + 1))
    # The candidates: NPROBE x k a face (int32 and float32: at 100,000 faces
    # the biggest arrays of a clustering, 77 MB each).
    cand_idx = np.full((n, NPROBE, k), -1, dtype=np.int32)
    cand_sim = np.full((n, NPROBE, k), -np.inf, dtype=np.float32)
    for probe in range(NPROBE):
        queries_by_cell = np.argsort(probes[:, probe], kind="stable")
        query_bounds = np.searchsorted(probes[queries_by_cell, probe], np.arange(cells + 1))
        for cell in range(cells):
            database = members[bounds[cell] : bounds[cell + 1]]
            queries = queries_by_cell[query_bounds[cell] : query_bounds[cell + 1]]
            if not len(database) or not len(queries):
                continue
            for start in range(0, len(queries), _BLOCK):
                chunk = queries[start : start + _BLOCK]
                block = vectors[chunk] @ vectors[database].T
                block[chunk[:, None] == database[None, :]] = -np.inf
                top, values = top_k(block, min(k, len(database)))
                cand_idx[chunk, probe, : top.shape[1]] = database[top]
                cand_sim[chunk, probe, : top.shape[1]] = values
    cand_idx = cand_idx.reshape(n, -1)
    cand_sim = cand_sim.reshape(n, -1)
    indices = np.empty((n, k), dtype=np.int64)
    sims = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, 8192):  # in slices: the sort's own arrays stay small
        part = slice(start, start + 8192)
        top, sims[part] = top_k(cand_sim[part], k)
        indices[part] = np.take_along_axis(cand_idx[part], top, axis=1)
    return indices, sims


def _spherical_kmeans(vectors: np.ndarray, cells: int, seed: int, iterations: int = 8) -> np.ndarray:
    """Cell centres (unit vectors) fitted on a sample of the vectors."""
    rng = np.random.default_rng(seed)
    sample = vectors[rng.choice(len(vectors), min(len(vectors), cells * 64), replace=False)]
    centroids = sample[rng.choice(len(sample), cells, replace=False)].copy()
    for _ in range(iterations):
        assignment = np.argmax(sample @ centroids.T, axis=1)
        sums = np.zeros_like(centroids)
        np.add.at(sums, assignment, sample)
        empty = ~sums.any(axis=1)
        sums[empty] = sample[rng.choice(len(sample), int(empty.sum()), replace=False)]
        centroids = sums / np.linalg.norm(sums, axis=1, keepdims=True)
    return centroids


@dataclass
class Constraints:
    """What the grouping must respect, by face row.

    Attributes:
        photo: a photo number per face; faces of one photo are never joined.
        pinned: the person a face was placed in by the user, or -1.
        rejected: for some faces, the people they must never join.
        refused: pairs of faces the user said are not one person (never in
            one group, as if they shared a photo).
    """

    photo: np.ndarray
    pinned: np.ndarray
    rejected: dict[int, set[int]] = field(default_factory=dict)
    refused: list[tuple[int, int]] = field(default_factory=list)

    @classmethod
    def none(cls, n: int) -> Constraints:
        return cls(np.arange(n), np.full(n, -1, dtype=np.int64))


def group_faces(
    vectors: np.ndarray,
    constraints: Constraints | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    k: int = DEFAULT_K,
) -> np.ndarray:
    """Group faces by the two-threshold rule; a group number per face.

    1. Strong edges (similarity >= `threshold`) join their groups, best
       first (single linkage), unless a constraint forbids it.
    2. Weak edges (>= threshold - WEAK_MARGIN) join two groups only when at
       least SUPPORT of them connect the pair: one middling edge, the usual
       way a stranger or a look-alike chains two people, is not enough.
       Repeated until nothing joins.
    3. The pinned faces of a person end as one group (must-link); only now,
       so that a person the user merged from two looks (as a child and as an
       adult, say) is compared with new faces look by look.
    Faces that join nothing stay in groups of one.
    """
    n = len(vectors)
    constraints = constraints or Constraints.none(n)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    weak = threshold - WEAK_MARGIN
    idx, sims = knn(np.asarray(vectors, dtype=np.float32), k, min_similarity=weak)
    first, second, similarity = _edges(idx, sims)
    groups = _Groups(constraints)
    strong = similarity >= threshold
    for i, j in zip(first[strong].tolist(), second[strong].tolist()):
        a, b = groups.find(i), groups.find(j)
        if a != b and groups.compatible(a, b):
            groups.union(a, b)

    weak_first, weak_second, weak_sims = first[~strong], second[~strong], similarity[~strong]
    joined = True
    while joined:
        joined = False
        links: dict[tuple[int, int], list[float]] = {}
        for i, j, s in zip(weak_first.tolist(), weak_second.tolist(), weak_sims.tolist()):
            a, b = groups.find(i), groups.find(j)
            if a != b:
                link = links.setdefault((min(a, b), max(a, b)), [0, 0.0])
                link[0] += 1
                link[1] += s
        for (a, b), (count, _) in sorted(links.items(), key=lambda kv: (-kv[1][0], -kv[1][1])):
            if count < SUPPORT:
                break
            a, b = groups.find(a), groups.find(b)
            if a != b and groups.compatible(a, b):
                groups.union(a, b)
                joined = True

    anchor: dict[int, int] = {}
    for row in np.flatnonzero(constraints.pinned >= 0).tolist():
        person = int(constraints.pinned[row])
        if person in anchor:
            groups.union(groups.find(anchor[person]), groups.find(row))
        else:
            anchor[person] = row
    return groups.labels()


def _edges(idx: np.ndarray, sims: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each neighbour pair once (i < j), most similar first."""
    n = len(idx)
    rows = np.repeat(np.arange(n), idx.shape[1])
    cols = idx.ravel()
    keep = cols >= 0
    a, b = np.minimum(rows[keep], cols[keep]), np.maximum(rows[keep], cols[keep])
    pairs, first = np.unique(a * n + b, return_index=True)
    similarity = sims.ravel()[keep][first]
    order = np.argsort(-similarity, kind="stable")
    return pairs[order] // n, pairs[order] % n, similarity[order]


class _Groups:
    """Union-find over faces, with at each root the group's photos, its pinned
    person (or -1) and the people its faces must not join."""

    def __init__(self, constraints: Constraints):
        n = len(constraints.photo)
        self.parent = np.arange(n)
        self.photos: list[set[int]] = [{int(p)} for p in constraints.photo]
        for pair, (a, b) in enumerate(constraints.refused):  # photos are >= 0: a refusal is a photo of its own
            self.photos[a].add(-1 - pair)
            self.photos[b].add(-1 - pair)
        self.person = constraints.pinned.astype(np.int64).copy()
        self.forbidden: list[set[int]] = [set(constraints.rejected.get(i, ())) for i in range(n)]
        # The photos of all the groups that belong to a pinned person: they
        # become one group at the end, so a face joining one of them must
        # not share a photo with any of them.
        self.person_photos: dict[int, set[int]] = {}
        for row in np.flatnonzero(self.person >= 0).tolist():
            self.person_photos.setdefault(int(self.person[row]), set()).update(self.photos[row])

    def find(self, i: int) -> int:
        parent = self.parent
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return root

    def compatible(self, a: int, b: int) -> bool:
        pa, pb = int(self.person[a]), int(self.person[b])
        if pa >= 0 and pb >= 0:
            return pa == pb  # two looks of one person: the user said so
        if pa in self.forbidden[b] or pb in self.forbidden[a]:
            return False
        if pa >= 0:
            return self.person_photos[pa].isdisjoint(self.photos[b])
        if pb >= 0:
            return self.person_photos[pb].isdisjoint(self.photos[a])
        small, large = sorted((self.photos[a], self.photos[b]), key=len)
        return small.isdisjoint(large)

    def union(self, a: int, b: int) -> None:
        """Join group b into a, keeping the bigger photo set's root."""
        if len(self.photos[a]) < len(self.photos[b]):
            a, b = b, a
        self.parent[b] = a
        self.photos[a] |= self.photos[b]
        self.photos[b] = set()
        if self.person[a] < 0:
            self.person[a] = self.person[b]
        if self.person[a] >= 0:
            self.person_photos[int(self.person[a])] |= self.photos[a]
        if self.forbidden[b]:
            self.forbidden[a] |= self.forbidden[b]

    def labels(self) -> np.ndarray:
        n = len(self.parent)
        roots = np.fromiter((self.find(i) for i in range(n)), dtype=np.int64, count=n)
        return np.unique(roots, return_inverse=True)[1]
