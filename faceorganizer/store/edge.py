"""The embedded engine for libraries of any size: Qdrant Edge (`qdrant-edge-py`),
Qdrant's own engine in process, with on-disk segments and a write-ahead log.

Measured at 100,000 faces (benchmarks/store_engines.py): it opens in a third
of a second where local mode takes 15-19 s, and a correction's writes take
milliseconds. One shard per kind of record, in `<library>/edge/`: faces
(512-d cosine), people (their mean face), photos and the corrections log
(no vectors; Edge wants a vector config, so theirs is a 1-d dummy never
filled), and `meta`, one record holding the library's settings and facts.

One handle per shard and process: a second open fails at once, which the
library's own lock keeps from happening.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import qdrant_edge as qe

from faceorganizer.errors import LibraryLockedError
from faceorganizer.store.base import FACE_INDEXED, PHOTO_INDEXED, Batch, as_record, group_by_values

_SHARDS = ("faces", "people", "photos", "log", "meta")
_PAGE = 10_000
_WRITE_BATCH = 1_000
_META_ID = 0
_SCHEMA = {"keyword": qe.PayloadSchemaType.Keyword, "integer": qe.PayloadSchemaType.Integer}


class EdgeStore:
    """The library in Qdrant Edge shards under `path`."""

    engine = "edge"

    def __init__(self, path: Path, dim: int = 512):
        self.path = path
        self.dim = dim
        self._shards: dict[str, qe.EdgeShard] = {}
        try:
            for name in _SHARDS:
                self._shards[name] = self._open(name)
        except BaseException:
            self.close()
            raise
        self.faces, self.people, self.photos = self._shards["faces"], self._shards["people"], self._shards["photos"]
        self.log, self._meta = self._shards["log"], self._shards["meta"]

    def _open(self, name: str) -> qe.EdgeShard:
        folder = self.path / name
        try:
            if (folder / "segments").exists():
                return qe.EdgeShard.load(str(folder))
            shutil.rmtree(folder, ignore_errors=True)  # a creation that never finished
            size, distance = (self.dim, qe.Distance.Cosine) if name in ("faces", "people") else (1, qe.Distance.Dot)
            shard = qe.EdgeShard.create(str(folder), qe.EdgeConfig(vectors=qe.EdgeVectorParams(size=size, distance=distance)))
        except RuntimeError as exc:
            if "WouldBlock" in str(exc):
                raise LibraryLockedError(f"The face store in {self.path} is already open") from None
            raise
        indexed = FACE_INDEXED if name == "faces" else PHOTO_INDEXED if name == "photos" else {}
        for key, kind in indexed.items():
            shard.update(qe.UpdateOperation.create_field_index(key, _SCHEMA[kind]))
        shard.flush()
        return shard

    # -- reading ---------------------------------------------------------------

    def meta(self) -> dict[str, Any]:
        records = self._meta.retrieve([_META_ID], with_payload=True, with_vector=False)
        return dict(records[0].payload or {}) if records else {}

    def count_faces(self) -> int:
        return self.faces.count(qe.CountRequest(exact=True))

    def get_faces(self, ids, *, vectors=False, fields=None) -> list[dict]:
        return self._get(self.faces, ids, vectors, fields)

    def iter_faces(self, *, image_id=None, cluster_id=None, unassigned=False, vectors=False,
                   fields=None) -> Iterator[dict]:
        conditions = []
        if image_id is not None:
            conditions.append(_match("image_id", image_id))
        if cluster_id is not None:
            conditions.append(_match("cluster_id", cluster_id))
        if unassigned:
            conditions.append(qe.IsEmptyCondition(key="cluster_id"))
        return self._scroll(self.faces, conditions, vectors, fields)

    def search_faces(self, vector, top_k, threshold=None) -> list[dict]:
        hits = self.faces.query(qe.QueryRequest(
            query=qe.Query.Nearest(np.asarray(vector, dtype=np.float32).tolist()), limit=top_k,
            score_threshold=threshold, with_payload=True, with_vector=False,
        ))
        return [dict(as_record(hit.id, hit.payload, hit.vector), score=hit.score) for hit in hits]

    def get_photos(self, ids) -> list[dict]:
        return self._get(self.photos, ids, False, None)

    def iter_photos(self, *, under=None, folder=None, file_keys=None) -> Iterator[dict]:
        conditions = []
        if under is not None:
            conditions.append(_match("folders", under))
        if folder is not None:
            conditions.append(_match("folder", folder))
        if file_keys is not None:
            conditions.append(_match("version.file_key", list(file_keys)))
        return self._scroll(self.photos, conditions, False, None)

    def iter_people(self) -> Iterator[dict]:
        return self._scroll(self.people, [], False, None)

    def iter_log(self, fields=None) -> Iterator[dict]:
        return self._scroll(self.log, [], False, fields)

    def get_log(self, ids) -> list[dict]:
        return self._get(self.log, ids, False, None)

    @staticmethod
    def _get(shard, ids: Sequence, vectors: bool, fields) -> list[dict]:
        ids = list(ids)
        if not ids:
            return []
        with_payload = list(fields) if fields is not None else True
        records = []
        for start in range(0, len(ids), _PAGE):
            records += shard.retrieve(ids[start:start + _PAGE], with_payload=with_payload, with_vector=vectors)
        return [as_record(r.id, r.payload, r.vector) for r in records]

    @staticmethod
    def _scroll(shard, conditions: list, vectors: bool, fields) -> Iterator[dict]:
        query_filter = qe.Filter(must=conditions) if conditions else None
        with_payload = list(fields) if fields is not None else True
        offset = None
        while True:
            records, offset = shard.scroll(qe.ScrollRequest(
                offset=offset, limit=_PAGE, filter=query_filter, with_payload=with_payload, with_vector=vectors,
            ))
            for record in records:
                yield as_record(record.id, record.payload, record.vector)
            if offset is None:
                return

    # -- writing ---------------------------------------------------------------

    def apply(self, batch: Batch) -> None:
        self._put(self.faces, {k: v for k, (v, _) in batch.faces.items()}, {k: p for k, (_, p) in batch.faces.items()})
        self._set_fields(self.faces, batch.face_fields)
        self._delete(self.faces, batch.faces_deleted)
        self._put(self.photos, None, batch.photos)
        self._set_fields(self.photos, batch.photo_fields)
        self._delete(self.photos, batch.photos_deleted)
        self._put(self.people, {k: v for k, (v, _) in batch.people.items()},
                  {k: p for k, (_, p) in batch.people.items()})
        self._set_fields(self.people, batch.people_fields)
        self._delete(self.people, batch.people_deleted)
        self._put(self.log, None, batch.log)
        self._delete(self.log, batch.log_deleted)
        if batch.meta:
            self._put(self._meta, None, {_META_ID: {**self.meta(), **batch.meta}})

    @staticmethod
    def _put(shard, vectors: dict | None, payloads: dict) -> None:
        ids = list(payloads)
        for start in range(0, len(ids), _WRITE_BATCH):
            points = [
                qe.Point(_point_id(i), np.asarray(vectors[i], dtype=np.float32).tolist() if vectors else {},
                         _json_safe(payloads[i]))
                for i in ids[start:start + _WRITE_BATCH]
            ]
            shard.update(qe.UpdateOperation.upsert_points(points))

    @staticmethod
    def _set_fields(shard, updates: dict) -> None:
        """Set fields, one operation per group of records given the same values."""
        for values, ids in group_by_values(updates):
            ids = [_point_id(i) for i in ids]
            for start in range(0, len(ids), _WRITE_BATCH):
                shard.update(qe.UpdateOperation.set_payload(ids[start:start + _WRITE_BATCH], _json_safe(values)))

    @staticmethod
    def _delete(shard, ids) -> None:
        ids = [_point_id(i) for i in ids]
        for start in range(0, len(ids), _WRITE_BATCH):
            shard.update(qe.UpdateOperation.delete_points(ids[start:start + _WRITE_BATCH]))

    def flush(self) -> None:
        for shard in self._shards.values():
            shard.flush()

    def clear(self) -> None:
        for name in ("faces", "people", "photos", "log"):
            shard = self._shards[name]
            ids = [r["id"] for r in self._scroll(shard, [], False, [])]
            self._delete(shard, ids)
        self.flush()

    def close(self) -> None:
        for shard in self._shards.values():
            shard.close()
        self._shards.clear()


def _point_id(value) -> int | str:
    return value if isinstance(value, int) else str(value)


def _json_safe(payload: dict) -> dict:
    """Edge takes JSON values only: numpy numbers become Python's."""
    return {k: v.item() if isinstance(v, np.generic) else v for k, v in payload.items()}


def _match(key: str, value):
    if isinstance(value, (list, tuple, set, frozenset)):
        return qe.FieldCondition(key=key, match=qe.MatchAny(any=list(value)))
    return qe.FieldCondition(key=key, match=qe.MatchValue(value=value))
