"""The storage seam: everything a library keeps, behind one interface that
every engine implements, and the batch that carries one operation's writes.

What crosses the seam is domain data, never an engine's types: a face, a photo
record, a person or an entry of the corrections log is a plain dict of its
fields with its `id` (a face also with its `vector`, a float32 numpy array,
when asked for); library settings and facts (folders, the recogniser, the
highest person id) are one `meta` dict.

Writes go through `Batch`: one operation (a correction, an indexing flush, a
re-clustering) collects all it changes in one batch, and the journal
(`faceorganizer.store.journal`) applies it all or nothing.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Protocol

import numpy as np

_ID_NAMESPACE = uuid.UUID("5d0c8e8a-7f3b-4a53-9f44-3c1f0f7e6a10")

#: Face fields an engine indexes for its filters.
FACE_INDEXED = {"image_id": "keyword", "path": "keyword", "cluster_id": "integer", "not_a_face": "bool"}
#: Photo fields an engine indexes for its filters.
PHOTO_INDEXED = {"path": "keyword", "folder": "keyword", "folders": "keyword", "version.file_key": "keyword"}


def stable_id(*parts: object) -> str:
    """A UUID derived from `parts`: the same inputs give the same id."""
    return str(uuid.uuid5(_ID_NAMESPACE, "\x1f".join(str(p) for p in parts)))


@dataclass
class Batch:
    """All that one operation writes. Fields set on existing records are
    merged into them; records put are replaced whole; deletes win over puts
    of the same id. Applying a batch twice gives the same result as once,
    which is what lets the journal finish an interrupted one."""

    faces: dict[str, tuple[np.ndarray, dict]] = field(default_factory=dict)
    face_fields: dict[str, dict] = field(default_factory=dict)
    faces_deleted: set[str] = field(default_factory=set)
    photos: dict[str, dict] = field(default_factory=dict)
    photo_fields: dict[str, dict] = field(default_factory=dict)
    photos_deleted: set[str] = field(default_factory=set)
    people: dict[int, tuple[np.ndarray, dict]] = field(default_factory=dict)
    people_fields: dict[int, dict] = field(default_factory=dict)
    people_deleted: set[int] = field(default_factory=set)
    log: dict[int, dict] = field(default_factory=dict)
    log_fields: dict[int, dict] = field(default_factory=dict)
    log_deleted: set[int] = field(default_factory=set)
    meta: dict[str, Any] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))

    def set_face_fields(self, face_ids: Iterable[str], values: dict) -> None:
        """Set the same fields on many faces (a face not yet written gets
        them in its record)."""
        for face_id in face_ids:
            if face_id in self.faces:
                self.faces[face_id][1].update(values)
            else:
                self.face_fields.setdefault(face_id, {}).update(values)

    def delete_faces(self, face_ids: Iterable[str]) -> None:
        for face_id in face_ids:
            self.faces.pop(face_id, None)
            self.face_fields.pop(face_id, None)
            self.faces_deleted.add(face_id)

    def to_json(self) -> dict:
        """A JSON-able form (vectors as base64 float32), for the journal."""
        return {
            "faces": {k: [_encode(v), p] for k, (v, p) in self.faces.items()},
            # Grouped by values: a merge gives thousands of faces the same fields.
            "face_field_groups": group_by_values(self.face_fields),
            "faces_deleted": sorted(self.faces_deleted),
            "photos": self.photos,
            "photo_fields": self.photo_fields,
            "photos_deleted": sorted(self.photos_deleted),
            "people": {str(k): [_encode(v), p] for k, (v, p) in self.people.items()},
            "people_fields": {str(k): p for k, p in self.people_fields.items()},
            "people_deleted": sorted(self.people_deleted),
            "log": {str(k): e for k, e in self.log.items()},
            "log_fields": {str(k): e for k, e in self.log_fields.items()},
            "log_deleted": sorted(self.log_deleted),
            "meta": self.meta,
        }

    @classmethod
    def from_json(cls, data: dict) -> Batch:
        return cls(
            faces={k: (_decode(v), p) for k, (v, p) in data["faces"].items()},
            face_fields=({i: values for values, ids in data["face_field_groups"] for i in ids}
                         if "face_field_groups" in data else data["face_fields"]),  # journals before the groups
            faces_deleted=set(data["faces_deleted"]),
            photos=data["photos"],
            photo_fields=data["photo_fields"],
            photos_deleted=set(data["photos_deleted"]),
            people={int(k): (_decode(v), p) for k, (v, p) in data["people"].items()},
            people_fields={int(k): p for k, p in data["people_fields"].items()},
            people_deleted=set(data["people_deleted"]),
            log={int(k): e for k, e in data["log"].items()},
            log_fields={int(k): e for k, e in data.get("log_fields", {}).items()},  # journals before it had none
            log_deleted=set(data["log_deleted"]),
            meta=data["meta"],
        )


class Store(Protocol):
    """What every engine provides. Reads return dicts of fields with their
    `id`; a field stored as null may come back missing."""

    #: "edge", "local" or "server".
    engine: str
    #: The length of a face vector.
    dim: int
    #: Where the engine keeps its files (None for a server).
    path: Path | None
    #: Free disk space (bytes) the engine needs to write safely.
    reserve: int

    def meta(self) -> dict[str, Any]:
        """The library's settings and facts."""

    def count_faces(self, assigned: bool = False, unassigned: bool = False) -> int:
        """How many faces: all, those of a person, or those of no person that
        the user did not mark as no face."""

    def get_faces(self, ids: Sequence[str], *, vectors: bool = False,
                  fields: Sequence[str] | None = None) -> list[dict]:
        """The faces with these ids that exist, in no particular order."""

    def iter_faces(self, *, image_id: str | None = None, cluster_id: int | None = None,
                   unassigned: bool = False, vectors: bool = False,
                   fields: Sequence[str] | None = None) -> Iterator[dict]:
        """Every face, or those of one photo, one person, or of no person."""

    def search_faces(self, vector: np.ndarray, top_k: int, threshold: float | None = None) -> list[dict]:
        """The most similar faces, best first, each with its `score` (cosine)."""

    def get_photos(self, ids: Sequence[str]) -> list[dict]: ...

    def iter_photos(self, *, under: str | None = None, folder: str | None = None,
                    file_keys: Sequence[str] | None = None) -> Iterator[dict]:
        """Every photo record, or those anywhere under a folder, directly in
        a folder, or of these files (`version.file_key`)."""

    def iter_people(self) -> Iterator[dict]:
        """Every person record (`id` is the person id)."""

    def iter_log(self, fields: Sequence[str] | None = None) -> Iterator[dict]:
        """Every entry of the corrections log (`id` is its sequence number)."""

    def get_log(self, ids: Sequence[int]) -> list[dict]: ...

    def apply(self, batch: Batch) -> None:
        """Write a batch (not atomic by itself: see the journal)."""

    def flush(self) -> None:
        """Make everything written so far durable."""

    def clear(self) -> None:
        """Remove every record (the engine's files stay)."""

    def close(self) -> None: ...


#: A filter condition, neutral of engines: ("match", key, value or list of
#: values) or ("empty", key, None); a record passes when all conditions hold.
Condition = tuple[str, str, Any]


def face_conditions(image_id: str | None = None, cluster_id: int | None = None,
                    unassigned: bool = False) -> list[Condition]:
    """The conditions of `Store.iter_faces`."""
    return [*([("match", "image_id", image_id)] if image_id is not None else []),
            *([("match", "cluster_id", cluster_id)] if cluster_id is not None else []),
            *([("empty", "cluster_id", None)] if unassigned else [])]


def photo_conditions(under: str | None = None, folder: str | None = None,
                     file_keys: Sequence[str] | None = None) -> list[Condition]:
    """The conditions of `Store.iter_photos`."""
    return [*([("match", "folders", under)] if under is not None else []),
            *([("match", "folder", folder)] if folder is not None else []),
            *([("match", "version.file_key", list(file_keys))] if file_keys is not None else [])]


def group_by_values(updates: dict) -> list[tuple[dict, list]]:
    """Records to set fields on, grouped by identical values: (values, ids),
    so that a merge of 9,000 faces is one write, not 9,000."""
    groups: dict[str, tuple[dict, list]] = {}
    keys: dict[int, str] = {}  # records given one dict of values (a merge's) are grouped without comparing it
    for point_id, values in updates.items():
        key = keys.get(id(values))
        if key is None:
            key = keys[id(values)] = repr(sorted(values.items()))
        groups.setdefault(key, (values, []))[1].append(point_id)
    return list(groups.values())


def as_record(point_id, payload: dict | None, vector) -> dict:
    """An engine's point as a record that crosses the seam."""
    data = dict(payload or {})
    data["id"] = point_id if isinstance(point_id, int) else str(point_id)
    if vector is not None:
        data["vector"] = np.asarray(vector, dtype=np.float32)
    return data


def damage_of(exc: Exception) -> str:
    """What an engine's error on a file it cannot read says, in a line."""
    text = " ".join(str(exc).split()).replace("Service runtime error: ", "")
    return text[:300] if text else type(exc).__name__


def _encode(vector: np.ndarray) -> str:
    return base64.b64encode(np.asarray(vector, dtype=np.float32).tobytes()).decode("ascii")


def _decode(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype=np.float32).copy()
