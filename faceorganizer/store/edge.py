"""The embedded engine for libraries of any size: Qdrant Edge (`qdrant-edge-py`),
Qdrant's own engine in process, with on-disk segments and a write-ahead log.

It opens a library of 100,000 faces in a fraction of a second, where local
mode reads every point into Python, and writes a correction in milliseconds
(benchmarks/library_scale.py). In `<library>/edge/`: the `faces` shard
(512-d cosine vectors and their fields), the `records` shard (photos, people
and the corrections log, told apart by `kind`; Edge wants a vector config,
so theirs is a 1-d dummy never filled), and `meta.json`, the library's
settings and facts, replaced atomically. Two shards, not one per kind: each
shard grows its files in steps of 32 MB.

One handle per shard and process: a second open fails at once, which the
library's own lock keeps from happening.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import qdrant_edge as qe

from faceorganizer.errors import LibraryDamagedError, LibraryLockedError
from faceorganizer.store.base import (
    FACE_INDEXED,
    PHOTO_INDEXED,
    Batch,
    Condition,
    as_record,
    damage_of,
    face_conditions,
    group_by_values,
    photo_conditions,
    stable_id,
)

_PAGE = 10_000
_WRITE_BATCH = 1_000
_SCHEMA = {"keyword": qe.PayloadSchemaType.Keyword, "integer": qe.PayloadSchemaType.Integer,
           "bool": qe.PayloadSchemaType.Bool}
#: How records of each kind keep their own id in the records shard.
_KEY = {"person": "person_id", "log": "seq"}


class EdgeStore:
    """The library in Qdrant Edge shards under `path`."""

    engine = "edge"
    #: Free disk space below which nothing is written (see the journal): Edge
    #: grows a shard's files 32 MB at a time, and a page it cannot write on a
    #: full disk kills the process (SIGBUS) instead of raising an error.
    reserve = 256 * 2**20

    def __init__(self, path: Path, dim: int = 512):
        self.path = path
        self.dim = dim
        self._meta_path = path / "meta.json"
        self._shards: list[qe.EdgeShard] = []
        try:
            self.faces = self._open("faces", dim, qe.Distance.Cosine, FACE_INDEXED)
            self.records = self._open("records", 1, qe.Distance.Dot, {**PHOTO_INDEXED, "kind": "keyword"})
            self._drop_person_means()
        except BaseException:
            self.close()
            raise

    def _drop_person_means(self) -> None:
        """Take out the mean faces that people's records held until 2026-12
        (see `apply`), once: a library written before keeps them otherwise."""
        people = qe.Filter(must=[_condition("match", "kind", "person")])
        records, _ = self.records.scroll(qe.ScrollRequest(limit=1, filter=people, with_payload=["centroid"]))
        if records and "centroid" in records[0].payload:
            ids = [r["id"] for r in self._scroll(self.records, [("match", "kind", "person")], False, [])]
            self.records.update(qe.UpdateOperation.delete_payload(ids, ["centroid"]))
            self.records.flush()

    def _open(self, name: str, size: int, distance, indexed: dict[str, str]) -> qe.EdgeShard:
        folder = self.path / name
        try:
            if (folder / "segments").exists():
                shard = qe.EdgeShard.load(str(folder))
            else:
                shutil.rmtree(folder, ignore_errors=True)  # a creation that never finished
                config = qe.EdgeConfig(vectors=qe.EdgeVectorParams(size=size, distance=distance))
                shard = qe.EdgeShard.create(str(folder), config)
            missing = {key: kind for key, kind in indexed.items() if key not in shard.info().payload_schema}
            for key, kind in missing.items():
                shard.update(qe.UpdateOperation.create_field_index(key, _SCHEMA[kind]))
            if missing:
                shard.flush()
        except Exception as exc:  # Edge raises untyped errors
            if "WouldBlock" in str(exc):
                raise LibraryLockedError(f"The face store in {self.path} is already open") from None
            raise
        self._shards.append(shard)
        return shard

    # -- reading ---------------------------------------------------------------

    def meta(self) -> dict[str, Any]:
        try:
            return json.loads(self._meta_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except ValueError as exc:  # JSON or UTF-8 garbled
            raise LibraryDamagedError(self.path.parent, f"{self._meta_path} cannot be read ({exc})") from None

    def count_faces(self, assigned=False, unassigned=False) -> int:
        query_filter = None
        if assigned:
            query_filter = qe.Filter(must_not=[_condition("empty", "cluster_id", None)])
        elif unassigned:
            query_filter = qe.Filter(must=[_condition("empty", "cluster_id", None)])
        try:
            count = self.faces.count(qe.CountRequest(exact=True, filter=query_filter))
            if unassigned:
                # qdrant-edge-py 0.9 matches True as the integer 1, so never a
                # boolean: the not-a-face ones are counted by a facet.
                facet = self.faces.facet(qe.FacetRequest(key="not_a_face", limit=2, exact=True, filter=query_filter))
                count -= sum(hit.count for hit in facet.hits if hit.value is True)
            return count
        except Exception as exc:
            raise self._damaged(exc) from exc

    def get_faces(self, ids, *, vectors=False, fields=None) -> list[dict]:
        return self._get(self.faces, ids, vectors, fields)

    def iter_faces(self, *, image_id=None, cluster_id=None, unassigned=False, vectors=False,
                   fields=None) -> Iterator[dict]:
        return self._scroll(self.faces, face_conditions(image_id, cluster_id, unassigned), vectors, fields)

    def search_faces(self, vector, top_k, threshold=None) -> list[dict]:
        try:
            hits = self.faces.query(qe.QueryRequest(
                query=qe.Query.Nearest(np.asarray(vector, dtype=np.float32).tolist()), limit=top_k,
                score_threshold=threshold, with_payload=True, with_vector=False,
            ))
        except Exception as exc:
            raise self._damaged(exc) from exc
        return [dict(as_record(hit.id, hit.payload, hit.vector), score=hit.score) for hit in hits]

    def get_photos(self, ids) -> list[dict]:
        return [_without_kind(r) for r in self._get(self.records, ids, False, None)]

    def iter_photos(self, *, under=None, folder=None, file_keys=None) -> Iterator[dict]:
        conditions = [("match", "kind", "photo"), *photo_conditions(under, folder, file_keys)]
        return map(_without_kind, self._scroll(self.records, conditions, False, None))

    def iter_people(self) -> Iterator[dict]:
        return self._own_ids("person", self._scroll(self.records, [("match", "kind", "person")], False, None))

    def iter_log(self, fields=None) -> Iterator[dict]:
        fields = None if fields is None else [*fields, "seq"]
        return self._own_ids("log", self._scroll(self.records, [("match", "kind", "log")], False, fields))

    def get_log(self, ids) -> list[dict]:
        return list(self._own_ids("log", self._get(self.records, [_record_id("log", i) for i in ids], False, None)))

    @staticmethod
    def _own_ids(kind: str, records) -> Iterator[dict]:
        """Records of a kind with their own (integer) ids."""
        for record in records:
            record["id"] = record.pop(_KEY[kind])
            yield _without_kind(record)

    def _get(self, shard, ids: Sequence, vectors: bool, fields) -> list[dict]:
        ids = list(ids)
        if not ids:
            return []
        with_payload = list(fields) if fields is not None else True
        records = []
        try:
            for start in range(0, len(ids), _PAGE):
                records += shard.retrieve(ids[start:start + _PAGE], with_payload=with_payload, with_vector=vectors)
        except Exception as exc:
            raise self._damaged(exc) from exc
        return [as_record(r.id, r.payload, r.vector) for r in records]

    def _scroll(self, shard, conditions: list[Condition], vectors: bool, fields) -> Iterator[dict]:
        query_filter = qe.Filter(must=[_condition(*c) for c in conditions]) if conditions else None
        with_payload = list(fields) if fields is not None else True
        offset = None
        while True:
            try:
                records, offset = shard.scroll(qe.ScrollRequest(
                    offset=offset, limit=_PAGE, filter=query_filter, with_payload=with_payload, with_vector=vectors,
                ))
            except Exception as exc:
                raise self._damaged(exc) from exc
            for record in records:
                yield as_record(record.id, record.payload, record.vector)
            if offset is None:
                return

    def _damaged(self, exc: Exception) -> LibraryDamagedError:
        return LibraryDamagedError(self.path.parent, damage_of(exc))

    # -- writing ---------------------------------------------------------------

    def apply(self, batch: Batch) -> None:
        self._put(self.faces, {k: v for k, (v, _) in batch.faces.items()}, {k: p for k, (_, p) in batch.faces.items()})
        self._set_fields(self.faces, batch.face_fields)
        self._delete(self.faces, batch.faces_deleted)
        records = {k: {**p, "kind": "photo"} for k, p in batch.photos.items()}
        # A person's mean face is not kept: people are compared in memory,
        # never searched in the store, and 512 numbers in each person's
        # fields made reading the people at open cost 0.15 s at 100,000 faces.
        records.update((_record_id("person", k), {**p, "kind": "person", "person_id": k})
                       for k, (_, p) in batch.people.items())
        records.update((_record_id("log", k), {**e, "kind": "log", "seq": k}) for k, e in batch.log.items())
        self._put(self.records, None, records)
        self._set_fields(self.records, {**batch.photo_fields,
                                        **{_record_id("person", k): p for k, p in batch.people_fields.items()},
                                        **{_record_id("log", k): p for k, p in batch.log_fields.items()}})
        self._delete(self.records, [*batch.photos_deleted, *(_record_id("person", k) for k in batch.people_deleted),
                                    *(_record_id("log", k) for k in batch.log_deleted)])
        if batch.meta:
            tmp = self._meta_path.with_name("meta.json.tmp")
            with open(tmp, "w", encoding="utf-8") as out:
                json.dump({**self.meta(), **batch.meta}, out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self._meta_path)

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
        for shard in self._shards:
            shard.flush()

    def clear(self) -> None:
        for shard in self._shards:
            self._delete(shard, [r["id"] for r in self._scroll(shard, [], False, [])])
        self.flush()

    def close(self) -> None:
        for shard in self._shards:
            shard.close()
        self._shards.clear()


def _point_id(value) -> int | str:
    return value if isinstance(value, int) else str(value)


def _json_safe(payload: dict) -> dict:
    """Edge takes JSON values only: numpy numbers become Python's."""
    return {k: v.item() if isinstance(v, np.generic) else v for k, v in payload.items()}


def _record_id(kind: str, key: int) -> str:
    return stable_id(kind, key)


def _without_kind(record: dict) -> dict:
    record.pop("kind", None)
    return record


def _condition(kind: str, key: str, value):
    if kind == "empty":
        return qe.IsEmptyCondition(key=key)
    if isinstance(value, list):
        return qe.FieldCondition(key=key, match=qe.MatchAny(any=value))
    return qe.FieldCondition(key=key, match=qe.MatchValue(value=value))
