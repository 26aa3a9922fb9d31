"""A cache of face vectors beside the store, so that a library of 100,000
faces has every vector in memory a fraction of a second after it opens.

The store stays the only source of truth: the cache holds copies of vectors
that never change (a face's id is made from its photo's version, so a face
whose photo changed is a new face), it is read only for faces the store
holds, and it can be deleted at any time. Reading 100,000 vectors through an
engine's Python API costs seconds (a Python float for every number); the
cache is one file read in tens of milliseconds.

The file is a header (`MAGIC`, the dimension) and then chunks, each appended
whole: the number of faces, their ids (36 ASCII bytes each), their vectors
(float32), and a CRC-32 of both. A chunk that was cut short or garbled ends
the file where it starts; a face written again later in the file takes its
newer vector.
"""

from __future__ import annotations

import logging
import os
import struct
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

#: The cache's file in the library folder.
VECTORS = "vectors.cache"
MAGIC = b"faceorganizer vectors 1\n"
_ID_BYTES = 36  # a face id is a UUID in its 36-character text form
_COUNT = struct.Struct("<I")
_HEADER = len(MAGIC) + _COUNT.size


class VectorCache:
    """The face vectors cached in the file at `path` (of `dim` floats each)."""

    def __init__(self, path: Path, dim: int, writable: bool = True):
        self.path = path
        self.dim = dim
        self.writable = writable
        self.rows = 0  # the chunks' rows, live or not (for compaction)

    def load(self, room: int = 0) -> tuple[list[str], np.ndarray]:
        """(ids, vectors) of every face in the cache, in the order written,
        each id once with its newest vector. `vectors` has `room` more rows
        after the faces' (not filled): a catalog keeps the array as it is
        and takes those rows for the faces to come.

        Each chunk is read straight into the array, and its CRC taken
        there: 100,000 vectors are read without a copy (each fresh copy of
        200 MB cost this machine about 0.1 s)."""
        empty = np.zeros((room, self.dim), dtype=np.float32)
        try:
            file = open(self.path, "rb")
        except FileNotFoundError:
            return [], empty
        with file:
            size = os.fstat(file.fileno()).st_size
            header = file.read(_HEADER)
            if (len(header) < _HEADER or header[: len(MAGIC)] != MAGIC
                    or _COUNT.unpack_from(header, len(MAGIC))[0] != self.dim):
                self._truncate(0)
                return [], empty
            row_bytes = _ID_BYTES + 4 * self.dim
            vectors = np.empty(((size - _HEADER) // row_bytes + room, self.dim), dtype=np.float32)
            ids: list[str] = []
            offset = _HEADER
            while offset + _COUNT.size <= size:
                (count,) = _COUNT.unpack(file.read(_COUNT.size))
                end = offset + _COUNT.size + count * row_bytes + 4
                if end > size:
                    break
                text = file.read(count * _ID_BYTES)
                rows = vectors[len(ids) : len(ids) + count]
                file.readinto(memoryview(rows).cast("B"))
                if file.read(4) != _COUNT.pack(zlib.crc32(rows, zlib.crc32(text))):
                    break
                text = text.decode("ascii")
                ids += [text[i : i + _ID_BYTES] for i in range(0, len(text), _ID_BYTES)]
                offset = end
        if offset < size:
            log.warning("the face vector cache %s is cut short at byte %d: the rest is read from the store",
                        self.path, offset)
            self._truncate(offset)
        self.rows = len(ids)
        if len(set(ids)) < len(ids):  # faces written again: keep each id's last row
            last = {face_id: row for row, face_id in enumerate(ids)}
            keep = np.fromiter(sorted(last.values()), dtype=np.int64)
            ids = [ids[row] for row in keep]
            vectors = np.concatenate([vectors[keep], empty])
        return ids, vectors[: len(ids) + room]

    def append(self, ids: Sequence[str], vectors: np.ndarray) -> None:
        """Add faces' vectors (a cache that cannot be written is left as it is)."""
        if not self.writable or not len(ids):
            return
        body = "".join(ids).encode("ascii") + np.ascontiguousarray(vectors, dtype=np.float32).tobytes()
        if len(body) != len(ids) * (_ID_BYTES + 4 * self.dim):
            raise ValueError("face ids of the vector cache are UUIDs in text form")
        try:
            with open(self.path, "ab") as out:
                if out.tell() == 0:
                    out.write(MAGIC + _COUNT.pack(self.dim))
                out.write(_COUNT.pack(len(ids)) + body + _COUNT.pack(zlib.crc32(body)))
        except OSError as exc:  # a cache: the store has every vector
            log.warning("cannot write the face vector cache %s: %s", self.path, exc)
            return
        self.rows += len(ids)

    def rewrite(self, ids: Sequence[str], vectors: np.ndarray) -> None:
        """Replace the cache with these faces only (dropping removed faces)."""
        if not self.writable:
            return
        self._truncate(0)
        self.rows = 0
        self.append(ids, vectors)

    def _truncate(self, size: int) -> None:
        if self.writable:
            try:
                with open(self.path, "r+b") as out:
                    out.truncate(size)
            except OSError as exc:
                log.warning("cannot write the face vector cache %s: %s", self.path, exc)
