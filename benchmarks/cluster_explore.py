"""Clustering rules side by side: which rule and threshold group faces best.

    python benchmarks/cluster_explore.py [--shared DIR] [--cache DIR] [--k K] [--rebuild]

The evaluation sets of cluster_quality.py (faces-dev, hard, distractors, and
family, where each faces-dev-family person folder is one class) are indexed
once; their vectors, photo ids and labels are kept in `CACHE/embeddings.npz`
so that reruns take seconds. Every rule runs on the same sparse graph the
product can afford at 100,000 faces: each face's `k` nearest neighbours (from
blocked matrix products), and none merges two faces of one photo (a
cannot-link constraint: a photo shows a person once).

For each rule and threshold it prints BCubed precision / recall / F per set
(and, for family, the clusters that mix people), then a summary: per rule, the
thresholds at which faces-dev, hard and distractors all reach precision >= 0.98
and F >= 0.95, and the best threshold by the lowest F over those three sets.
"""

from __future__ import annotations

import argparse
import heapq
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np

from cluster_quality import (
    ALL_SETS,
    BASELINES,
    REPO,
    EvalSet,
    Scores,
    evaluation_set,
    immich_recognition,
    score,
)
from faceorganizer.faces import FaceAnalyzer

MAIN_SETS = ("faces-dev", "hard", "distractors")
THRESHOLDS = np.round(np.arange(0.25, 0.701, 0.025), 3)
TARGET_P, TARGET_F = 0.98, 0.95
SEED = 7


# -- data ---------------------------------------------------------------------------


def load_sets(shared: Path, cache: Path, rebuild: bool) -> dict[str, EvalSet]:
    """The evaluation sets, from the cache or indexed afresh (and cached)."""
    path = cache / "embeddings.npz"
    if path.is_file() and not rebuild:
        data = np.load(path)
        return {
            name: EvalSet(
                name,
                [str(i) for i in data[f"{name}/ids"]],
                data[f"{name}/vectors"],
                data[f"{name}/image_ids"],
                data[f"{name}/labels"],
                [str(c) for c in data[f"{name}/classes"]],
            )
            for name in ALL_SETS
        }
    analyzer = FaceAnalyzer()
    sets, arrays = {}, {}
    for name in ALL_SETS:
        with evaluation_set(name, shared, cache, analyzer) as (data, _lib):
            sets[name] = data
        arrays.update(
            {
                f"{name}/ids": np.asarray(data.ids),
                f"{name}/vectors": data.vectors,
                f"{name}/image_ids": data.image_ids,
                f"{name}/labels": data.labels,
                f"{name}/classes": np.asarray(data.classes),
            }
        )
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(path, **arrays)
    return sets


@dataclass
class Graph:
    """Each face's `k` nearest neighbours, most similar first, and its photo.

    `edges` lists every neighbour pair once (i < j) with its similarity,
    most similar first."""

    neighbours: np.ndarray
    sims: np.ndarray
    photos: np.ndarray
    edges: list[tuple[float, int, int]]

    @property
    def size(self) -> int:
        return len(self.photos)


def knn_graph(vectors: np.ndarray, image_ids: np.ndarray, k: int, block: int = 2048) -> Graph:
    """The k-NN graph by blocked matrix products: memory O(block x N)."""
    n = len(vectors)
    k = min(k, n - 1)
    neighbours = np.empty((n, k), dtype=np.int64)
    sims = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, block):
        rows = vectors[start : start + block] @ vectors.T
        rows[np.arange(len(rows)), np.arange(start, start + len(rows))] = -np.inf
        top = np.argpartition(-rows, k - 1, axis=1)[:, :k]
        top_sims = np.take_along_axis(rows, top, axis=1)
        order = np.argsort(-top_sims, axis=1)
        neighbours[start : start + block] = np.take_along_axis(top, order, axis=1)
        sims[start : start + block] = np.take_along_axis(top_sims, order, axis=1)
    pairs = {}
    for i in range(n):
        for j, s in zip(neighbours[i].tolist(), sims[i].tolist()):
            pairs[min(i, j), max(i, j)] = s
    edges = sorted(((s, i, j) for (i, j), s in pairs.items()), reverse=True)
    _, photos = np.unique(image_ids, return_inverse=True)
    return Graph(neighbours, sims, photos, edges)


# -- helpers --------------------------------------------------------------------------


def cannot_link_repair(graph: Graph, clusters: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """For rules that ignore the constraint: in a cluster holding several faces
    of one photo, keep the one most like the rest of the cluster; the others
    become unassigned."""
    clusters = clusters.copy()
    for cid in np.unique(clusters[clusters >= 0]):
        members = np.flatnonzero(clusters == cid)
        photos = graph.photos[members]
        if len(np.unique(photos)) == len(members):
            continue
        affinity = (vectors[members] @ vectors[members].sum(0)) - 1.0
        for photo in np.unique(photos):
            same = members[photos == photo]
            if len(same) > 1:
                keep = same[np.argmax(affinity[np.isin(members, same)])]
                clusters[same[same != keep]] = -1
    return clusters


def drop_small(clusters: np.ndarray, min_size: int) -> np.ndarray:
    """Clusters with fewer than `min_size` faces become unassigned."""
    clusters = clusters.copy()
    ids, counts = np.unique(clusters[clusters >= 0], return_counts=True)
    clusters[np.isin(clusters, ids[counts < min_size])] = -1
    return clusters


def threshold_nx(graph: Graph, t: float) -> nx.Graph:
    g = nx.Graph()
    g.add_nodes_from(range(graph.size))
    g.add_weighted_edges_from((i, j, s) for s, i, j in graph.edges if s >= t)
    return g


# -- rules ------------------------------------------------------------------------------


def single_linkage(graph: Graph, t: float) -> np.ndarray:
    """Connected components with cannot-link: union-find over the edges >= t,
    strongest first, skipping a union that would join two faces of one photo."""
    parent = list(range(graph.size))
    photos = [{int(p)} for p in graph.photos]

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for s, i, j in graph.edges:
        if s < t:
            break
        a, b = root(i), root(j)
        if a == b or not photos[a].isdisjoint(photos[b]):
            continue
        if len(photos[a]) < len(photos[b]):
            a, b = b, a
        parent[b] = a
        photos[a] |= photos[b]
    return np.asarray([root(i) for i in range(graph.size)])


def mutual_knn(graph: Graph, t: float, m: int) -> np.ndarray:
    """Single linkage with cannot-link over mutual m-nearest-neighbour edges only."""
    near = {(i, int(j)) for i in range(graph.size) for j in graph.neighbours[i, :m]}
    kept = [(s, i, j) for s, i, j in graph.edges if (i, j) in near and (j, i) in near]
    return single_linkage(Graph(graph.neighbours, graph.sims, graph.photos, kept), t)


def average_linkage(graph: Graph, t: float, missing: str = "zero") -> np.ndarray:
    """Agglomerative average linkage with cannot-link on the sparse graph.

    Two clusters' linkage is the sum of their edge similarities divided by
    |A| * |B| (missing="zero": a pair outside the k-NN graph counts 0, exact
    when k >= cluster sizes) or by the number of edges between them
    (missing="skip": the mean of the known pairs). The best pair merges while
    its linkage is >= t, unless the clusters share a photo: then never (they
    only grow).
    """
    size = [1] * graph.size
    members = [[i] for i in range(graph.size)]
    photos = [{int(p)} for p in graph.photos]
    links: list[dict[int, list[float]]] = [{} for _ in range(graph.size)]  # [sum, count]
    for s, i, j in graph.edges:
        links[i][j] = [s, 1]
        links[j][i] = [s, 1]
    version = [0] * graph.size
    alive = [True] * graph.size

    def value(a: int, b: int) -> float:
        total, count = links[a][b]
        return total / (size[a] * size[b] if missing == "zero" else count)

    heap = [(-value(i, j), i, j, 0, 0) for s, i, j in graph.edges]
    heapq.heapify(heap)
    while heap:
        neg, a, b, va, vb = heapq.heappop(heap)
        if -neg < t:
            break
        if not (alive[a] and alive[b]) or version[a] != va or version[b] != vb:
            continue
        if not photos[a].isdisjoint(photos[b]):
            continue
        if size[a] < size[b]:
            a, b = b, a
        alive[b] = False
        size[a] += size[b]
        members[a] += members[b]
        members[b] = []
        photos[a] |= photos[b]
        del links[a][b]
        for c, (total, count) in links[b].items():
            if c == a:
                continue
            del links[c][b]
            link = links[a].setdefault(c, [0.0, 0])
            link[0] += total
            link[1] += count
            links[c][a] = link
        links[b] = {}
        version[a] += 1
        for c in links[a]:
            heapq.heappush(heap, (-value(a, c), a, c, version[a], version[c]))
    clusters = np.empty(graph.size, dtype=np.int64)
    for cid, faces in enumerate(members):
        clusters[faces] = cid
    return clusters


def chinese_whispers(graph: Graph, t: float, iterations: int = 20) -> np.ndarray:
    """Chinese Whispers on the edges >= t (seeded), then cannot-link repair."""
    rng = np.random.default_rng(SEED)
    adjacency: list[list[tuple[int, float]]] = [[] for _ in range(graph.size)]
    for s, i, j in graph.edges:
        if s >= t:
            adjacency[i].append((j, s))
            adjacency[j].append((i, s))
    labels = np.arange(graph.size)
    for _ in range(iterations):
        changed = False
        for i in rng.permutation(graph.size):
            if not adjacency[i]:
                continue
            votes: dict[int, float] = {}
            for j, s in adjacency[i]:
                votes[labels[j]] = votes.get(labels[j], 0.0) + s
            best = max(votes, key=votes.get)
            if best != labels[i]:
                labels[i], changed = best, True
        if not changed:
            break
    return labels


def louvain(graph: Graph, t: float, resolution: float = 1.0) -> np.ndarray:
    """Louvain communities (seeded) of the graph of edges >= t weighted by similarity."""
    clusters = np.full(graph.size, -1)
    communities = nx.community.louvain_communities(
        threshold_nx(graph, t), weight="weight", resolution=resolution, seed=SEED
    )
    for cid, members in enumerate(communities):
        clusters[list(members)] = cid
    return clusters


def core_linkage(graph: Graph, t: float, min_pts: int) -> np.ndarray:
    """A DBSCAN-like rule: a core face has at least min_pts - 1 neighbours >= t;
    cores join by single linkage with cannot-link; every other face joins the
    cluster of its most similar core neighbour >= t when that cluster does not
    hold its photo yet, and stays unassigned otherwise."""
    strong = graph.sims >= t
    core = strong.sum(1) >= min_pts - 1
    kept = [(s, i, j) for s, i, j in graph.edges if core[i] and core[j]]
    clusters = single_linkage(Graph(graph.neighbours, graph.sims, graph.photos, kept), t)
    clusters[~core] = -1
    taken = {(c, p) for c, p in zip(clusters[core].tolist(), graph.photos[core].tolist())}
    for i in np.flatnonzero(~core):
        for j, s in zip(graph.neighbours[i], graph.sims[i]):
            if s < t:
                break
            if core[j] and (clusters[j], graph.photos[i]) not in taken:
                clusters[i] = clusters[j]
                taken.add((clusters[j], graph.photos[i]))
                break
    return clusters


def two_threshold(graph: Graph, t: float, strong: float = 0.45, m: int = 2) -> np.ndarray:
    """Single linkage with cannot-link over the edges >= `strong`; then, over
    the weaker edges >= t, two clusters merge only when at least `m` edges
    join them (most-linked pairs first, repeated until nothing merges)."""
    strong = max(strong, t)
    clusters = single_linkage(graph, strong)
    weak = [(s, i, j) for s, i, j in graph.edges if t <= s < strong]
    photos: dict[int, set[int]] = {}
    for i, c in enumerate(clusters.tolist()):
        photos.setdefault(c, set()).add(int(graph.photos[i]))
    parent = {c: c for c in photos}

    def root(c: int) -> int:
        while parent[c] != c:
            c = parent[c]
        return c

    merged = True
    while merged:
        merged = False
        counts: dict[tuple[int, int], list[float]] = {}
        for s, i, j in weak:
            a, b = sorted((root(clusters[i]), root(clusters[j])))
            if a != b:
                count = counts.setdefault((a, b), [0, 0.0])
                count[0] += 1
                count[1] += s
        for (a, b), (count, _) in sorted(counts.items(), key=lambda kv: (-kv[1][0], -kv[1][1])):
            a, b = root(a), root(b)
            if count >= m and a != b and photos[a].isdisjoint(photos[b]):
                parent[b] = a
                photos[a] |= photos.pop(b)
                merged = True
    return np.asarray([root(c) for c in clusters.tolist()])


def supported(graph: Graph, clusters: np.ndarray, t: float, strong: float = 0.45, m: int = 2) -> np.ndarray:
    """A face stays in its cluster only when it has an edge >= `strong` into
    it, or at least `m` edges >= t; otherwise it becomes unassigned. Stops a
    one-off stranger hanging on to a person by one middling edge."""
    best = np.zeros(graph.size)
    count = np.zeros(graph.size, dtype=np.int64)
    for s, i, j in graph.edges:
        if s < t:
            break
        if clusters[i] == clusters[j]:
            best[[i, j]] = np.maximum(best[[i, j]], s)
            count[[i, j]] += 1
    clusters = clusters.copy()
    clusters[(best < strong) & (count < m)] = -1
    return clusters


# -- evaluation --------------------------------------------------------------------------


@dataclass
class Rule:
    """A clustering rule: `run(graph, vectors, t)` gives each face's cluster (-1: unassigned)."""

    name: str
    run: Callable[[Graph, np.ndarray, float], np.ndarray]
    needs: str


def rules() -> list[Rule]:
    sparse = "sparse k-NN graph"

    def repaired(cluster: Callable[[Graph, float], np.ndarray], support: bool = False):
        def run(g: Graph, v: np.ndarray, t: float) -> np.ndarray:
            clusters = cannot_link_repair(g, cluster(g, t), v)
            return supported(g, clusters, t) if support else clusters

        return run

    return [
        Rule("single linkage + CL", lambda g, v, t: single_linkage(g, t), sparse),
        Rule("average linkage + CL", lambda g, v, t: average_linkage(g, t), sparse + ", exact if k >= cluster size"),
        Rule("average linkage + CL, min 3", lambda g, v, t: drop_small(average_linkage(g, t), 3), sparse),
        Rule("mean-of-known-edges linkage + CL", lambda g, v, t: average_linkage(g, t, "skip"), sparse),
        Rule("mutual 10-NN + CL", lambda g, v, t: mutual_knn(g, t, 10), sparse),
        Rule("core (min 3) + CL", lambda g, v, t: core_linkage(g, t, 3), sparse),
        Rule("two-threshold (0.45; 2 weak edges) + CL", lambda g, v, t: two_threshold(g, t), sparse),
        Rule("chinese whispers + repair", repaired(chinese_whispers), sparse),
        Rule("chinese whispers + repair + support", repaired(chinese_whispers, True), sparse),
        Rule("louvain + repair", repaired(louvain), sparse + "; networkx louvain is pure Python"),
        Rule("louvain + repair + support", repaired(louvain, True), sparse + "; networkx louvain is pure Python"),
        Rule("immich min 3 (no CL)", lambda g, v, t: immich_recognition(v, 1 - t, 3), "per-face top-k search"),
    ]


def impure(clusters: np.ndarray, labels: np.ndarray) -> int:
    """Clusters holding scored faces of more than one class."""
    scored = (labels >= 0) & (clusters >= 0)
    pairs = np.unique(np.stack([clusters[scored], labels[scored]]), axis=1)
    _, counts = np.unique(pairs[0], return_counts=True)
    return int((counts > 1).sum())


def fmt(s: Scores) -> str:
    return f"{s.bcubed_p:.3f} {s.bcubed_r:.3f} {s.bcubed_f:.3f}"


def evaluate(sets: dict[str, EvalSet], graphs: dict[str, Graph]) -> None:
    baseline = {
        name: {m: score(run(data), data.labels) for m, run in BASELINES.items()} for name, data in sets.items()
    }
    print("\nbaselines (all pairs), BCubed P R F:")
    for method in BASELINES:
        print(f"  {method:<18}" + "".join(f"  {n}: {fmt(baseline[n][method])}" for n in sets))
    bar = {n: max(s.bcubed_f for s in baseline[n].values()) for n in MAIN_SETS}
    summary = []
    for rule in rules():
        print(f"\n== {rule.name}   [{rule.needs}]")
        print(f"{'t':>6}" + "".join(f"  {n + ' P R F':<21}" for n in sets) + " mixed")
        good, best = [], None
        for t in THRESHOLDS:
            results = {}
            for name, data in sets.items():
                clusters = rule.run(graphs[name], data.vectors, float(t))
                results[name] = (score(clusters, data.labels), impure(clusters, data.labels))
            ok = all(results[n][0].bcubed_p >= TARGET_P and results[n][0].bcubed_f >= TARGET_F for n in MAIN_SETS)
            print(
                f"{t:6.3f}" + "".join(f"  {fmt(s):<21}" for s, _ in results.values())
                + f" {results['family'][1]:5d}" + ("  ok" if ok else "")
            )
            if ok:
                good.append(float(t))
            worst = min(results[n][0].bcubed_f for n in MAIN_SETS)
            if ok and (best is None or worst > best[1]):
                best = (float(t), worst, results)
        summary.append((rule, good, best))
    print("\n== summary: thresholds where faces-dev, hard and distractors all reach"
          f" P >= {TARGET_P} and F >= {TARGET_F}; best t by the lowest F of the three")
    print("   the better baseline's F: " + ", ".join(f"{n} {bar[n]:.3f}" for n in MAIN_SETS))
    for rule, good, best in summary:
        if not best:
            print(f"{rule.name:<40} none")
            continue
        _, _, results = best
        beats = all(results[n][0].bcubed_f >= bar[n] for n in MAIN_SETS)
        print(
            f"{rule.name:<40} ok at {_ranges(good)}; best t={best[0]:.3f}: "
            + ", ".join(f"{n} {fmt(results[n][0])}" for n in sets)
            + f", family mixed {results['family'][1]}" + ("" if beats else "  (below a baseline)")
        )


def _ranges(values: list[float], step: float = 0.025) -> str:
    """[0.3, 0.325, 0.35, 0.5] -> '0.300-0.350, 0.500'."""
    runs: list[list[float]] = []
    for v in values:
        if runs and v - runs[-1][-1] <= step + 1e-9:
            runs[-1].append(v)
        else:
            runs.append([v])
    return ", ".join(f"{r[0]:.3f}-{r[-1]:.3f}" if len(r) > 1 else f"{r[0]:.3f}" for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "faceorganizer-cluster-explore"
    )
    parser.add_argument("--k", type=int, default=30, help="neighbours per face in the graph")
    parser.add_argument("--rebuild", action="store_true", help="index the sets again")
    args = parser.parse_args()
    sets = load_sets(args.shared, args.cache, args.rebuild)
    graphs = {name: knn_graph(data.vectors, data.image_ids, args.k) for name, data in sets.items()}
    for name, data in sets.items():
        print(f"{name}: {len(data.ids)} faces, {int((data.labels >= 0).sum())} scored, {len(data.classes)} classes")
    evaluate(sets, graphs)


if __name__ == "__main__":
    main()
