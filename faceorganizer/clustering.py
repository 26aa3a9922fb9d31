"""Group faces into people: pure computation on vectors, no store.

The similarity graph comes from exact top-k neighbour lists computed with
blocked float32 matrix products (one pass over the vectors, no per-face store
query). Faces are then grouped by average linkage on that sparse graph: two
groups join when the mean similarity over *all* pairs of their faces (a pair
that is not among the neighbours counts as 0) reaches the threshold. Unlike
connected components (single linkage), one accidental strong edge cannot chain
two people together; the rule is measured against the alternatives in
benchmarks/cluster_quality.py and benchmarks/cluster_explore.py.

Constraints, applied during grouping:
- cannot-link: two faces of one photo are never one person; a face is never
  joined to a person the user took it out of; two people the user confirmed
  (whose faces are pinned) are never joined by the algorithm;
- must-link: the pinned faces of one person end as one group.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

import numpy as np

#: Default similarity threshold of the average linkage (cosine, -1..1).
DEFAULT_THRESHOLD = 0.32
#: Neighbours per face in the similarity graph.
DEFAULT_K = 32
#: Smallest group that becomes a person (unless the user confirmed it).
DEFAULT_MIN_FACES = 3

_BLOCK = 2048


def knn(vectors: np.ndarray, k: int = DEFAULT_K, queries: np.ndarray | None = None,
        min_similarity: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """The k most similar rows of `vectors` for each query row (each vector
    itself when `queries` is None, leaving out the row itself).

    Returns (indices, similarities), each queries x k, best first; entries
    below `min_similarity` have index -1. Blocked, so memory stays at
    block x N floats.
    """
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    self_query = queries is None
    queries = vectors if self_query else np.ascontiguousarray(queries, dtype=np.float32)
    n, m = len(vectors), len(queries)
    k = min(k, n - 1 if self_query else n)
    indices = np.full((m, max(k, 0)), -1, dtype=np.int64)
    sims = np.zeros((m, max(k, 0)), dtype=np.float32)
    if k <= 0:
        return indices, sims
    for start in range(0, m, _BLOCK):
        block = queries[start : start + _BLOCK] @ vectors.T
        if self_query:
            rows = np.arange(len(block))
            block[rows, start + rows] = -np.inf
        top = np.argpartition(-block, k - 1, axis=1)[:, :k]
        top_sims = np.take_along_axis(block, top, axis=1)
        order = np.argsort(-top_sims, axis=1)
        top = np.take_along_axis(top, order, axis=1)
        top_sims = np.take_along_axis(top_sims, order, axis=1)
        top[top_sims < min_similarity] = -1
        indices[start : start + len(block)] = top
        sims[start : start + len(block)] = top_sims
    return indices, sims


@dataclass
class Constraints:
    """What the grouping must respect, by face row.

    Attributes:
        photo: a photo number per face; faces of one photo are never joined.
        pinned: the person a face was placed in by the user, or -1.
        rejected: for some faces, the people they must never join.
    """

    photo: np.ndarray
    pinned: np.ndarray
    rejected: dict[int, set[int]] = field(default_factory=dict)

    @classmethod
    def none(cls, n: int) -> Constraints:
        return cls(np.arange(n), np.full(n, -1, dtype=np.int64))


def group_faces(
    vectors: np.ndarray,
    constraints: Constraints | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    k: int = DEFAULT_K,
) -> np.ndarray:
    """Group faces by constrained average linkage; a group number per face.

    Two groups join, most similar pair first, while the mean cosine similarity
    over all pairs of their faces is at least `threshold`. That mean is exact
    and cheap: it is the dot product of the groups' vector sums divided by the
    product of their sizes. The top-k graph only proposes which groups to
    compare. Faces that join nothing stay in groups of one.
    """
    n = len(vectors)
    constraints = constraints or Constraints.none(n)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    vectors = np.asarray(vectors, dtype=np.float32)
    idx, sims = knn(vectors, k, min_similarity=threshold)
    merger = _Merger(vectors, constraints)
    rows = np.repeat(np.arange(n), idx.shape[1])
    keep = idx.ravel() >= 0
    heap = list(zip((-sims.ravel()[keep]).tolist(), rows[keep].tolist(), idx.ravel()[keep].tolist()))
    heapq.heapify(heap)
    merger.run(heap, threshold)
    # The pinned faces of a person are one person (must-link), joined only
    # now: a person the user merged from two looks (as a child and as an
    # adult, say) is compared with new faces look by look, not as one average.
    first: dict[int, int] = {}
    for row in np.flatnonzero(constraints.pinned >= 0).tolist():
        person = int(constraints.pinned[row])
        if person in first:
            merger.union(merger.find(first[person]), merger.find(row))
        else:
            first[person] = row
    return merger.labels()


class _Merger:
    """Union-find over faces with, at each root, the group's vector sum, size,
    photos and constraints."""

    def __init__(self, vectors: np.ndarray, constraints: Constraints):
        n = len(vectors)
        self.parent = np.arange(n)
        self.sums = vectors.astype(np.float64)
        self.size = np.ones(n, dtype=np.int64)
        self.photos: list[set[int]] = [{int(p)} for p in constraints.photo]
        self.person = constraints.pinned.astype(np.int64).copy()
        self.forbidden: list[set[int]] = [constraints.rejected.get(i, set()) for i in range(n)]
        self.neighbours: list[set[int]] = [set() for _ in range(n)]

    def find(self, i: int) -> int:
        parent = self.parent
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return root

    def average(self, a: int, b: int) -> float:
        return float(self.sums[a] @ self.sums[b]) / (self.size[a] * self.size[b])

    def compatible(self, a: int, b: int) -> bool:
        pa, pb = self.person[a], self.person[b]
        if pa >= 0 and pb >= 0 and pa != pb:
            return False
        if pa in self.forbidden[b] or pb in self.forbidden[a]:
            return False
        small, large = sorted((self.photos[a], self.photos[b]), key=len)
        return small.isdisjoint(large)

    def union(self, a: int, b: int) -> int:
        """Join groups a and b; returns the new root."""
        if a == b:
            return a
        if len(self.photos[a]) + len(self.neighbours[a]) < len(self.photos[b]) + len(self.neighbours[b]):
            a, b = b, a
        self.parent[b] = a
        self.sums[a] += self.sums[b]
        self.size[a] += self.size[b]
        self.photos[a] |= self.photos[b]
        if self.person[a] < 0:
            self.person[a] = self.person[b]
        if self.forbidden[b]:
            self.forbidden[a] = self.forbidden[a] | self.forbidden[b]
        self.neighbours[a] |= self.neighbours[b]
        self.photos[b] = self.neighbours[b] = set()
        return a

    def run(self, heap: list[tuple[float, int, int]], threshold: float) -> None:
        """Merge best-first from a heap of (-similarity, i, j) candidates."""
        for _, i, j in heap:
            self.neighbours[i].add(j)
            self.neighbours[j].add(i)
        while heap:
            neg, i, j = heapq.heappop(heap)
            a, b = self.find(i), self.find(j)
            if a == b:
                continue
            average = self.average(a, b)
            if average < threshold:
                continue
            if average < -neg - 1e-6:
                # The groups grew since this was queued: queue their current mean.
                heapq.heappush(heap, (-average, a, b))
                continue
            if not self.compatible(a, b):
                continue
            small = b if len(self.neighbours[b]) < len(self.neighbours[a]) else a
            others = {self.find(x) for x in self.neighbours[small]}
            root = self.union(a, b)
            # The merged group is compared again with the smaller side's neighbours.
            others.discard(root)
            if others:
                candidates = np.fromiter(others, dtype=np.int64, count=len(others))
                means = (self.sums[candidates] @ self.sums[root]) / (self.size[candidates] * self.size[root])
                for other, mean in zip(candidates.tolist(), means.tolist()):
                    if mean >= threshold:
                        heapq.heappush(heap, (-mean, root, other))

    def labels(self) -> np.ndarray:
        roots = np.fromiter((self.find(i) for i in range(len(self.parent))), dtype=np.int64,
                            count=len(self.parent))
        return np.unique(roots, return_inverse=True)[1]
