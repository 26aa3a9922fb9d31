"""Grouping faces into people: the whole library again (`regroup_all`), a
person for each new face before its first write (`people_of_new_faces`), and
new unassigned faces forming people among themselves (`group_unassigned`),
always under the user's corrections (faceorganizer.clustering's
constraints) and with the people's ids kept where the faces stay together.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace

import numpy as np

from faceorganizer.changes import ChangeSet, FaceState
from faceorganizer.clustering import SUPPORT, WEAK_MARGIN, Constraints, group_faces
from faceorganizer.people import FaceCatalog
from faceorganizer.people_records import clusters_of, people_snapshot, sync_people
from faceorganizer.store import Batch

#: A stored confidence is rewritten only when it moved by at least this much.
_CONFIDENCE_STEP = 0.02


class Grouping:
    """The grouping of a catalog's faces with one similarity threshold and
    minimum person size. It changes the catalog and writes to the batch it
    is given; the library stores the batch."""

    def __init__(self, catalog: FaceCatalog, threshold: float, min_faces: int):
        self.catalog = catalog
        self.threshold = threshold
        self.min_faces = min_faces

    def regroup_all(self, batch: Batch) -> ChangeSet:
        """Group every face again, keeping the user's corrections; the writes
        go to `batch`, the change-set (so it can be undone) is returned."""
        catalog = self.catalog
        rows = catalog.usable_rows()
        labels = self.group(rows)
        clusters, confidence = self.name_groups(rows, labels)
        faces_before = {}
        faces_after = {}
        updates = {}
        stored = catalog.confidence
        ids = [catalog.ids[row] for row in rows.tolist()]
        for row, face_id, state, cluster, conf in zip(rows.tolist(), ids, catalog.states(ids), clusters.tolist(),
                                                      confidence.tolist()):
            new_cluster = None if cluster < 0 else cluster
            moved = state.cluster_id != new_cluster
            if moved:
                faces_before[face_id] = state
                faces_after[face_id] = replace(state, cluster_id=new_cluster)
            if moved or _confidence_moved(stored[row], conf):
                updates[face_id] = {"cluster_id": new_cluster, "cluster_confidence": conf}
                stored[row] = np.nan if conf is None else conf
        batch.face_fields.update(updates)
        before_people = people_snapshot(catalog, faces_before, faces_after)
        catalog.set_states(faces_after)
        after_people = sync_people(catalog, set(before_people) | clusters_of(faces_after.values()), batch)
        return ChangeSet("Re-cluster", faces_before, faces_after, before_people, after_people)

    def group(self, rows: np.ndarray) -> np.ndarray:
        """Group the faces at `rows` under the user's constraints."""
        catalog = self.catalog
        photo = np.unique(np.asarray(catalog.image_ids, dtype=object)[rows].astype(str), return_inverse=True)[1]
        pinned = np.where(catalog.held()[rows], catalog.cluster[rows], -1)
        local = {row: i for i, row in enumerate(rows.tolist())}
        rejected = {local[row]: set(r) for row, r in catalog.rejected.items() if row in local}
        refused = [(local[row], local[other]) for row, faces in catalog.refused_faces.items() if row in local
                   for face_id in faces if (other := catalog.row.get(face_id)) in local and row < other]
        return group_faces(catalog.vectors[rows], Constraints(photo, pinned, rejected, refused), self.threshold)

    def name_groups(self, rows: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A person id per face (-1: unassigned) and its mean similarity to the
        rest of its group. A group keeps the id of its pinned faces, else the
        id most of its faces had (biggest groups choose first), else a new id;
        a group smaller than the minimum is no person, unless pinned."""
        catalog = self.catalog
        vectors = catalog.vectors[rows]
        old = catalog.cluster[rows]
        pinned = catalog.held()[rows]
        clusters = np.full(len(rows), -1, dtype=np.int64)
        confidence = np.full(len(rows), np.nan)
        order = np.argsort(labels, kind="stable")
        bounds = np.flatnonzero(np.diff(labels[order])) + 1
        groups = sorted(np.split(order, bounds), key=len, reverse=True)
        claimed = set()
        for group in groups:
            if pinned[group].any():
                claimed.add(int(old[group][pinned[group]][0]))
        next_id = catalog.next_cluster_id()
        for group in groups:
            if pinned[group].any():
                cluster = int(old[group][pinned[group]][0])
            elif len(group) < self.min_faces:
                continue
            else:
                forbidden = set().union(*(catalog.rejected.get(int(rows[i]), set()) for i in group))
                votes = Counter(int(c) for c in old[group] if c >= 0 and c not in claimed and c not in forbidden)
                if votes:
                    cluster = votes.most_common(1)[0][0]
                else:
                    cluster, next_id = next_id, next_id + 1
                claimed.add(cluster)
            clusters[group] = cluster
            if len(group) > 1:
                total = vectors[group].sum(axis=0)
                confidence[group] = (vectors[group] @ total - 1.0) / (len(group) - 1)
        confidence = np.where(np.isnan(confidence), None, np.round(confidence, 3))
        return clusters, confidence

    def people_of_new_faces(self, analyses, carried: dict[str, FaceState] | None = None) -> dict[str, dict]:
        """The person of each new face, found before its first write: the
        person it resembles most by the rule of `group_faces` (one strong edge
        to its faces, or two weak ones); never a person already in the same
        photo. Faces indexed again keep the person and corrections they had
        (`carried`: those of the faces they replace).
        """
        catalog = self.catalog
        known = {**{f: catalog.state(f) for a in analyses for f, _ in a.faces if f in catalog.row},
                 **(carried or {})}
        fresh = [(a, face_id, face) for a in analyses for face_id, face in a.faces if face_id not in known]
        scores = _person_scores(catalog, np.stack([f.embedding for _, _, f in fresh]), self.threshold) if fresh else []
        options = {face_id: found for (_, face_id, _), found in zip(fresh, scores)}
        result: dict[str, dict] = {}
        for a in analyses:
            taken = set()
            pairs = []
            for face_id, _ in a.faces:
                if face_id in known:
                    state = known[face_id]
                    result[face_id] = {**state.payload(), "cluster_confidence": None}
                    taken.add(state.cluster_id)
                    continue
                result[face_id] = {**FaceState(None).payload(), "cluster_confidence": None}
                pairs += [(score, face_id, cluster) for score, cluster in options[face_id]]
            for score, face_id, cluster in sorted(pairs, reverse=True):
                if result[face_id]["cluster_id"] is not None or cluster in taken:
                    continue
                if a.image_id in catalog.photos_of(cluster):
                    continue
                result[face_id].update(cluster_id=cluster, cluster_confidence=round(score, 3))
                taken.add(cluster)
        return result

    def group_unassigned(self, face_ids: Sequence[str], batch: Batch, regroup: Iterable[int] = ()) -> set[int]:
        """Let new unassigned faces form people with the unassigned faces they
        resemble, once a group reaches the minimum size. Only the new faces'
        neighbourhood is grouped, not the library.

        `regroup`: people formed earlier this way (during the same indexing
        run) whose faces are grouped again with the rest, so that a run
        grouped in steps ends as if grouped at once. The writes go to `batch`
        (faces not written yet are written with their person).

        Returns the people formed.
        """
        catalog = self.catalog
        rows = [row for f in face_ids
                if (row := catalog.row.get(f)) is not None and catalog.cluster[row] < 0 and not catalog.not_a_face[row]]
        for cid in regroup:
            state = catalog.people.get(cid)
            if state is None or not state.confirmed:
                rows.extend(catalog.rows_of(cid).tolist())
        new = np.unique(np.asarray(rows, dtype=np.int64))
        if not len(new):
            return set()
        pool = catalog.unassigned_rows()
        candidates = np.union1d(new, _near(catalog.vectors, new, pool, self.threshold))
        candidates = np.union1d(candidates, _near(catalog.vectors, candidates, pool, self.threshold))
        labels = self.group(candidates)
        clusters, confidence = self.name_groups(candidates, labels)
        faces_before, faces_after, updates = {}, {}, {}
        ids = [catalog.ids[row] for row in candidates.tolist()]
        for row, face_id, state, cluster, conf in zip(candidates.tolist(), ids, catalog.states(ids),
                                                      clusters.tolist(), confidence.tolist()):
            new_cluster = None if cluster < 0 else cluster
            if new_cluster != state.cluster_id or _confidence_moved(catalog.confidence[row], conf):
                faces_before[face_id] = state
                faces_after[face_id] = replace(state, cluster_id=new_cluster)
                updates[face_id] = {"cluster_id": new_cluster, "cluster_confidence": conf}
        if not updates:
            return set()
        for face_id, values in updates.items():
            batch.set_face_fields([face_id], values)
        catalog.set_states(faces_after)
        catalog.set_confidences({face_id: updates[face_id]["cluster_confidence"] for face_id in faces_after})
        sync_people(catalog, clusters_of(faces_before.values()) | clusters_of(faces_after.values()), batch)
        return clusters_of(faces_after.values())


def _confidence_moved(stored: float, confidence: float | None) -> bool:
    """Whether a face's confidence changed enough to be written again (a
    library grouped again without changes writes nothing)."""
    if confidence is None or np.isnan(stored):
        return (confidence is None) != bool(np.isnan(stored))
    return abs(confidence - stored) >= _CONFIDENCE_STEP



_CANDIDATES = 64


def _person_scores(catalog: FaceCatalog, vectors: np.ndarray, threshold: float) -> list[list[tuple[float, int]]]:
    """For each of `vectors`, (score, person) of the people it may join, by
    the rule of `group_faces`: one strong edge to the person's faces, or
    SUPPORT weak ones. The score is its best similarity to the person.

    One matrix product for the whole batch, over the catalog's vectors in
    place (no copy of the library's vectors per face)."""
    assigned = (catalog.cluster >= 0) & catalog.alive
    if not assigned.any():
        return [[] for _ in vectors]
    result = []
    for start in range(0, len(vectors), 256):
        sims = vectors[start : start + 256] @ catalog.vectors.T
        # The faces near enough to count, then the _CANDIDATES nearest of
        # them: a partition of those few, not of every face in the library.
        rows, near = np.nonzero((sims >= threshold - WEAK_MARGIN) & assigned)
        bounds = np.searchsorted(rows, np.arange(len(sims) + 1))
        for row, first, last in zip(sims, bounds[:-1].tolist(), bounds[1:].tolist()):
            nearest = near[first:last]
            if len(nearest) > _CANDIDATES:
                nearest = nearest[np.argpartition(-row[nearest], _CANDIDATES - 1)[:_CANDIDATES]]
            by_person: dict[int, list[float]] = {}
            for i in nearest.tolist():
                by_person.setdefault(int(catalog.cluster[i]), []).append(float(row[i]))
            result.append([
                (max(values), cluster)
                for cluster, values in by_person.items()
                if max(values) >= threshold or len(values) >= SUPPORT
            ])
    return result


def _near(vectors: np.ndarray, rows: np.ndarray, pool: np.ndarray, threshold: float) -> np.ndarray:
    """The rows of `pool` at least `threshold` similar to one of `rows`."""
    if not len(rows) or not len(pool):
        return np.zeros(0, dtype=np.int64)
    hit = np.zeros(len(pool), dtype=bool)
    pool_vectors = vectors[pool]
    for start in range(0, len(rows), 1024):
        hit |= (vectors[rows[start : start + 1024]] @ pool_vectors.T >= threshold).any(axis=0)
    return pool[hit]
