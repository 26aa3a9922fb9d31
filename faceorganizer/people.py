"""People: the in-memory view of who is who (`FaceCatalog`).

`FaceCatalog` mirrors, after one scroll of the store, each face's vector and
the fields clustering needs (photo, person, whether the user placed it, the
people it must never join, whether it is a false detection), plus per person
the sum of its vectors and its photos. Qdrant stays the source of truth: the
catalog is rebuilt from it when a library opens and changed only together
with the store, by the library. The states and change-sets every
correction deals in live in faceorganizer.changes, and are importable from
here too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from faceorganizer.changes import (
    NOT_A_FACE,
    PINNED,
    REFUSED_FACES,
    REJECTED,
    ChangeSet,
    FaceState,
    Person,
    PersonState,
    with_rejected,
)
from faceorganizer.snapshot import CatalogFields

__all__ = [
    "NOT_A_FACE", "PINNED", "REFUSED_FACES", "REJECTED",
    "ChangeSet", "FaceCatalog", "FaceState", "Person", "PersonState", "with_rejected",
]


class FaceCatalog:
    """Every face's vector and clustering fields, by row, in memory.

    Rows are never reused: a removed face's row is marked dead, and the arrays
    are rebuilt when the library is opened again.
    """

    def __init__(self, dim: int = 512):
        self.dim = dim
        self.ids: list[str] = []
        self.row: dict[str, int] = {}
        self.image_ids: list[str] = []
        self.paths: dict[str, str] = {}  # photo id -> path (a photo's id is made from its path: never stale)
        self._vectors = np.zeros((0, dim), dtype=np.float32)
        self._cluster = np.zeros(0, dtype=np.int64)
        self._confidence = np.zeros(0, dtype=np.float32)
        self._pinned = np.zeros(0, dtype=bool)
        self._not_a_face = np.zeros(0, dtype=bool)
        self._alive = np.zeros(0, dtype=bool)
        self.rejected: dict[int, set[int]] = {}
        self.refused_faces: dict[int, set[str]] = {}
        self.people: dict[int, PersonState] = {}
        self.highest_id = 0  # the highest person id ever written to the store
        self._sums: dict[int, np.ndarray] = {}
        self._counts: dict[int, int] = {}
        self._photos: dict[int, Counter[str]] = {}

    # -- arrays, trimmed to the rows in use -------------------------------------

    @property
    def vectors(self) -> np.ndarray:
        return self._vectors[: len(self.ids)]

    @property
    def cluster(self) -> np.ndarray:
        return self._cluster[: len(self.ids)]

    @property
    def confidence(self) -> np.ndarray:
        """The cluster_confidence stored for each face (NaN: none)."""
        return self._confidence[: len(self.ids)]

    @property
    def pinned(self) -> np.ndarray:
        return self._pinned[: len(self.ids)]

    @property
    def not_a_face(self) -> np.ndarray:
        return self._not_a_face[: len(self.ids)]

    @property
    def alive(self) -> np.ndarray:
        return self._alive[: len(self.ids)]

    def snapshot(self) -> FaceCatalog:
        """A copy to read on another thread while this catalog changes. The
        vectors are shared (new faces go to rows past the copy's; only a face
        indexed again under its id has its vector rewritten in place); the
        rest is copied."""
        copy = FaceCatalog(self.dim)
        count = len(self.ids)
        copy.ids, copy.row, copy.image_ids = list(self.ids), dict(self.row), list(self.image_ids)
        copy.paths = dict(self.paths)
        copy._vectors = self._vectors[:count]
        for name in ("_cluster", "_confidence", "_pinned", "_not_a_face", "_alive"):
            setattr(copy, name, getattr(self, name)[:count].copy())
        copy.rejected, copy.refused_faces = dict(self.rejected), dict(self.refused_faces)
        copy.people, copy.highest_id = dict(self.people), self.highest_id
        copy._sums = {c: total.copy() for c, total in self._sums.items()}
        copy._counts = dict(self._counts)
        copy._photos = {c: Counter(photos) for c, photos in self._photos.items()}
        return copy

    # -- faces -------------------------------------------------------------------

    def load(self, ids: Sequence[str], vectors: np.ndarray, fields: CatalogFields) -> None:
        """Fill an empty catalog with these faces at once (as `add` would, in
        a fraction of its time), leaving room for the faces to come.
        `vectors` holds the faces' vectors in its first rows; when it has
        more rows (see `room_for`), the catalog takes the array as it is and
        fills those as faces come, else it copies it to a bigger one."""
        if self.ids:
            raise ValueError("load fills an empty catalog")
        count = len(ids)
        if len(vectors) > count:  # an array with room: kept as it is
            capacity, self._vectors = len(vectors), vectors
        else:
            capacity = count + room_for(count)
            self._vectors = np.empty((capacity, self.dim), dtype=np.float32)
            self._vectors[:count] = vectors
        self.ids = list(ids)
        self.row = {face_id: row for row, face_id in enumerate(self.ids)}
        self.image_ids = list(fields.image_ids)
        self.paths = dict(fields.paths)
        self._cluster = _filled(capacity, fields.cluster, -1)
        self._confidence = _filled(capacity, fields.confidence, np.nan)
        self._pinned = _filled(capacity, fields.pinned, False)
        self._not_a_face = _filled(capacity, fields.not_a_face, False)
        self._alive = _filled(capacity, np.ones(count, dtype=bool), False)
        self.rejected = {row: set(people) for row, people in fields.rejected.items()}
        self.refused_faces = {row: set(faces) for row, faces in fields.refused_faces.items()}
        self._join(np.arange(count))

    def fields(self) -> tuple[list[str], CatalogFields]:
        """(ids, fields) of every face, as `load` takes them."""
        rows = np.flatnonzero(self.alive)
        renumbered = {row: i for i, row in enumerate(rows.tolist())}
        image_ids = [self.image_ids[r] for r in rows]
        return [self.ids[r] for r in rows], CatalogFields(
            image_ids, self.cluster[rows], self.confidence[rows],
            self.pinned[rows], self.not_a_face[rows],
            {renumbered[row]: set(people) for row, people in self.rejected.items() if row in renumbered},
            {renumbered[row]: set(faces) for row, faces in self.refused_faces.items() if row in renumbered},
            {i: self.paths[i] for i in dict.fromkeys(image_ids) if i in self.paths},
        )

    def add(self, ids: Sequence[str], vectors: np.ndarray, payloads: Sequence[dict]) -> None:
        """Add faces (or replace faces with the same id)."""
        fresh = [i for i, face_id in enumerate(ids) if face_id not in self.row]
        for i, face_id in enumerate(ids):
            if face_id in self.row:
                self._set_row(self.row[face_id], np.asarray(vectors[i]), payloads[i])
        if not fresh:
            return
        start, needed = len(self.ids), len(self.ids) + len(fresh)
        if needed > len(self._vectors):
            capacity = max(needed, int(len(self._vectors) * 1.5) + 1024)
            self._vectors = _grow(self._vectors, capacity)
            self._cluster = _grow(self._cluster, capacity, -1)
            self._confidence = _grow(self._confidence, capacity, np.nan)
            self._pinned = _grow(self._pinned, capacity, False)
            self._not_a_face = _grow(self._not_a_face, capacity, False)
            self._alive = _grow(self._alive, capacity, False)
        for offset, i in enumerate(fresh):
            row = start + offset
            self.ids.append(ids[i])
            self.row[ids[i]] = row
            self.image_ids.append(payloads[i].get("image_id", ""))
            if payloads[i].get("path"):
                self.paths[self.image_ids[-1]] = payloads[i]["path"]
            self._cluster[row] = -1
            self._set_row(row, np.asarray(vectors[i]), payloads[i])

    def _set_row(self, row: int, vector: np.ndarray, payload: dict) -> None:
        self._leave([row])
        self._vectors[row] = vector
        self._alive[row] = True
        self._pinned[row] = bool(payload.get(PINNED))
        self._not_a_face[row] = bool(payload.get(NOT_A_FACE))
        confidence = payload.get("cluster_confidence")
        self._confidence[row] = np.nan if confidence is None else confidence
        _keep(self.rejected, row, payload.get(REJECTED))
        _keep(self.refused_faces, row, payload.get(REFUSED_FACES))
        cluster = payload.get("cluster_id")
        self._cluster[row] = -1 if cluster is None else int(cluster)
        self._join([row])

    def remove(self, ids: Iterable[str]) -> None:
        rows = [row for row in (self.row.pop(face_id, None) for face_id in ids) if row is not None]
        self._leave(rows)
        self._alive[rows] = False
        self._cluster[rows] = -1
        for row in rows:
            self.rejected.pop(row, None)
            self.refused_faces.pop(row, None)

    def move_to_photo(self, face_ids: Iterable[str], image_id: str, path: str) -> None:
        """Faces whose photo file moved to `path` (and so changed id)."""
        rows = [self.row[f] for f in face_ids if f in self.row]
        self.paths[image_id] = path
        self._leave(rows)
        for row in rows:
            self.image_ids[row] = image_id
        self._join(rows)

    def paths_of(self, face_ids: Iterable[str]) -> dict[str, str | None]:
        """The photo path of each of these faces it has."""
        return {f: self.paths.get(self.image_ids[row]) for f in face_ids if (row := self.row.get(f)) is not None}

    def state(self, face_id: str) -> FaceState:
        return self.states([face_id])[0]

    def states(self, face_ids: Sequence[str]) -> list[FaceState]:
        """The states of these faces, in order (see `_states`)."""
        rows = [self.row[f] for f in face_ids]
        return _states(rows, zip(self._cluster[rows].tolist(), self._pinned[rows].tolist(),
                                 self._not_a_face[rows].tolist()), self.rejected, self.refused_faces)

    def set_states(self, states: dict[str, FaceState]) -> None:
        """Give faces these states, all at once (a merge moves thousands)."""
        rows = [self.row[f] for f in states]
        self._leave(rows)
        values = list(states.values())
        self._cluster[rows] = [-1 if s.cluster_id is None else s.cluster_id for s in values]
        self._pinned[rows] = [s.pinned for s in values]
        self._not_a_face[rows] = [s.not_a_face for s in values]
        for row, state in zip(rows, values):
            _keep(self.rejected, row, state.rejected)
            _keep(self.refused_faces, row, state.refused_faces)
        self._join(rows)

    def set_confidences(self, values: dict[str, float | None]) -> None:
        rows = [self.row[f] for f in values]
        self._confidence[rows] = [np.nan if v is None else v for v in values.values()]

    def rows_of(self, cluster_id: int) -> np.ndarray:
        return np.flatnonzero((self.cluster == cluster_id) & self.alive)

    def face_ids_of(self, cluster_id: int) -> list[str]:
        return [self.ids[r] for r in self.rows_of(cluster_id)]

    def unassigned_rows(self) -> np.ndarray:
        return np.flatnonzero((self.cluster < 0) & self.alive & ~self.not_a_face)

    def held(self) -> np.ndarray:
        """Per face, whether the user's corrections hold it in its person:
        the user placed it there (pinned), or confirmed the person."""
        confirmed = [cid for cid, state in self.people.items() if state.confirmed]
        return self.pinned | (np.isin(self.cluster, confirmed) & self.alive)

    def usable_rows(self) -> np.ndarray:
        """Rows of faces that take part in clustering: alive and not dropped."""
        return np.flatnonzero(self.alive & ~self.not_a_face)

    # -- per-person sums, kept up to date as faces come and go ------------------

    def _join(self, rows: Sequence[int]) -> None:
        """Count these faces (rows) in their people's sums and photos."""
        for cluster, members in _by_person(self._cluster, self._alive, rows):
            total = self._vectors[members].sum(axis=0, dtype=np.float64)
            if cluster in self._sums:
                self._sums[cluster] += total
                self._counts[cluster] += len(members)
            else:
                self._sums[cluster] = total
                self._counts[cluster] = len(members)
            self._photos.setdefault(cluster, Counter()).update(map(self.image_ids.__getitem__, members.tolist()))

    def _leave(self, rows: Sequence[int]) -> None:
        """Take these faces (rows) out of their people's sums and photos."""
        for cluster, members in _by_person(self._cluster, self._alive, rows):
            if cluster not in self._counts:
                continue
            self._counts[cluster] -= len(members)
            if self._counts[cluster] <= 0:
                del self._counts[cluster], self._sums[cluster], self._photos[cluster]
                continue
            self._sums[cluster] -= self._vectors[members].sum(axis=0, dtype=np.float64)
            photos = self._photos[cluster]
            for image_id, n in Counter(map(self.image_ids.__getitem__, members.tolist())).items():
                left = photos[image_id] - n
                if left > 0:
                    photos[image_id] = left
                else:
                    del photos[image_id]

    def face_count(self, cluster_id: int) -> int:
        return self._counts.get(cluster_id, 0)

    def cluster_ids(self) -> list[int]:
        return list(self._counts)

    def mean(self, cluster_id: int) -> np.ndarray:
        return (self._sums[cluster_id] / self._counts[cluster_id]).astype(np.float32)

    def photos_of(self, cluster_id: int) -> Counter[str]:
        """The photos the person has faces in (a Counter: photo -> faces)."""
        return self._photos.get(cluster_id, Counter())

    def person_matrix(self) -> tuple[list[int], np.ndarray, np.ndarray]:
        """(ids, sums P x dim, counts P) of every person with faces."""
        ids = list(self._counts)
        if not ids:
            return [], np.zeros((0, self.dim)), np.zeros(0)
        return (
            ids,
            np.stack([self._sums[c] for c in ids]),
            np.array([self._counts[c] for c in ids], dtype=np.float64),
        )

    def similarity_to_person(self, rows: np.ndarray, cluster_id: int) -> np.ndarray:
        """Mean cosine similarity of each face to the other faces of the person."""
        count = self.face_count(cluster_id)
        if count == 0:
            return np.zeros(len(rows), dtype=np.float32)
        total = self._vectors[rows] @ self._sums[cluster_id].astype(np.float32)
        members = self._cluster[rows] == cluster_id
        # A member's own vector (norm 1) is part of the sum: leave it out.
        own = np.where(members, 1.0, 0.0)
        others = np.maximum(count - members.astype(np.int64), 1)
        return ((total - own) / others).astype(np.float32)

    def next_cluster_id(self) -> int:
        """An id no person has had: above every id in use, refused by a face,
        or ever written to the store (`highest_id`)."""
        used = set(self._counts) | set(self.people) | {c for refused in self.rejected.values() for c in refused}
        return max(max(used, default=0), self.highest_id) + 1


def _filled(capacity: int, values: np.ndarray, fill) -> np.ndarray:
    """An array of `capacity` items: `values`, then `fill`."""
    array = np.full(capacity, fill, dtype=values.dtype)
    array[: len(values)] = values
    return array


def _grow(array: np.ndarray, capacity: int, fill=0) -> np.ndarray:
    shape = (capacity, *array.shape[1:])
    grown = np.full(shape, fill, dtype=array.dtype)
    grown[: len(array)] = array
    return grown


def _keep(sets: dict, row: int, values) -> None:
    """Keep a face's refusals in `sets` (by row), or none when `values` is empty."""
    if values:
        sets[row] = set(values)
    else:
        sets.pop(row, None)


def _states(rows: Sequence[int], plain: Iterable[tuple[int, bool, bool]], rejected: dict[int, set[int]],
            refused: dict[int, set[str]]) -> list[FaceState]:
    """The states of faces from their rows and (person, pinned, not a face).
    Faces that refused nothing share one state object per such triple: a
    merge reads thousands of faces, of a few states."""
    shared: dict[tuple, FaceState] = {}
    result = []
    for row, (cluster, pinned, not_a_face) in zip(rows, plain):
        if row in rejected or row in refused:
            result.append(FaceState(None if cluster < 0 else cluster, pinned, tuple(sorted(rejected.get(row, ()))),
                                    not_a_face, tuple(sorted(refused.get(row, ())))))
            continue
        state = shared.get((cluster, pinned, not_a_face))
        if state is None:
            state = shared[cluster, pinned, not_a_face] = FaceState(None if cluster < 0 else cluster, pinned,
                                                                     not_a_face=not_a_face)
        result.append(state)
    return result

def _by_person(cluster: np.ndarray, alive: np.ndarray, rows: Sequence[int]) -> list[tuple[int, np.ndarray]]:
    """The rows of living faces of a person among `rows` (by the catalog's
    `cluster` and `alive` arrays), grouped: (person, rows)."""
    rows = np.asarray(rows, dtype=np.int64)
    rows = rows[(cluster[rows] >= 0) & alive[rows]]
    if not len(rows):
        return []
    clusters = cluster[rows]
    order = np.argsort(clusters, kind="stable")
    rows, clusters = rows[order], clusters[order]
    starts = np.flatnonzero(np.r_[True, clusters[1:] != clusters[:-1]])
    return [(int(clusters[start]), part) for start, part in zip(starts, np.split(rows, starts[1:]))]


def room_for(count: int) -> int:
    """The rows a catalog of `count` faces keeps free for the faces to come."""
    return max(1024, count // 8)
