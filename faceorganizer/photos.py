"""The photos of people and of folders, newest first, each with its faces:
what `faceorganizer photos` prints and what the window's Photos view shows.

Which photos a person is in, and each face's person, come from the face
catalog kept in memory. The photos' paths and dates are read from the store
by id, or, in the long-lived library service, from a `PhotoTable`: a copy in
memory that the library's writes keep up to date, so that a person's 5,000
photos are listed without reading the store at all.

This module imports no Qt.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from faceorganizer.errors import PersonNotFoundError

if TYPE_CHECKING:
    from faceorganizer.library import FaceLibrary
    from faceorganizer.store.base import Batch

#: The fields of a photo record a listing needs.
_FIELDS = ("path", "taken", "taken_from", "width", "height", "folders", "face_ids")


class FaceBox(NamedTuple):
    """A face of a photo: its id, its person (None: no one), its box in the
    upright photo's pixels (None when the listing was asked without boxes)."""

    face_id: str
    person: int | None
    bbox: tuple[float, float, float, float] | None


class DatedPhoto(NamedTuple):
    """A photo as listed (a tuple: lists of 5,000 cross the service's pipe fast).

    `taken` is ISO 8601, None for a photo indexed before dates were kept (its
    folder's next rescan reads it); `taken_from` says where it came from:
    "exif", "digitized" (EXIF's date of digitising) or "file" (the file's
    modification time)."""

    image_id: str
    path: str
    taken: str | None
    taken_from: str | None
    size: tuple[int, int]
    faces: tuple[FaceBox, ...]


class PhotoTable:
    """Every photo record's listing fields in memory: read from the store a
    slice at a time (`load`, while the service has nothing else to do), and
    kept up to date meanwhile and then by each batch the library writes."""

    def __init__(self, library: FaceLibrary):
        self.library = library
        self.records: dict[str, dict] = {}  # photo id -> fields
        self.complete = False
        self._reading: Iterator[dict] | None = None
        library.write_listeners.append(self.apply)

    def load(self, seconds: float | None = None) -> None:
        """Read more records: for about `seconds`, or all that are left."""
        if self.complete:
            return
        if self._reading is None:
            self._reading = self.library.store.iter_photos()
        deadline = None if seconds is None else time.monotonic() + seconds
        for record in self._reading:
            self.records.setdefault(record["id"], _listing_fields(record))  # (a later write already applied)
            if deadline is not None and time.monotonic() > deadline:
                return
        self.complete, self._reading = True, None

    def apply(self, batch: Batch) -> None:
        if self._reading is None and not self.complete:
            return  # nothing read yet: the reading will see the batch
        for image_id, record in batch.photos.items():
            self.records[image_id] = _listing_fields(record)
        for image_id, fields in batch.photo_fields.items():
            if image_id in self.records:
                self.records[image_id].update(_listing_fields(fields, only_given=True))
        for image_id in batch.photos_deleted:
            self.records.pop(image_id, None)

    def get(self, ids: Iterable[str]) -> list[dict]:
        self.load()
        return [{"id": i, **self.records[i]} for i in ids if i in self.records]

    def under(self, folder: str | None) -> list[dict]:
        self.load()
        return [{"id": i, **r} for i, r in self.records.items() if folder is None or folder in r["folders"]]


def _listing_fields(record: dict, only_given: bool = False) -> dict:
    if only_given:
        return {k: record[k] for k in _FIELDS if k in record}
    return {**{k: record.get(k) for k in _FIELDS}, "folders": tuple(record.get("folders") or ()),
            "face_ids": tuple(record.get("face_ids") or ())}


def photos(library: FaceLibrary, people: Sequence[int] = (), folder: str | Path | None = None, *,
           table: PhotoTable | None = None, boxes: bool = True) -> list[DatedPhoto]:
    """The photos all of `people` are in (any photo when none), only those
    under `folder` when given, newest first; photos of unknown date last.
    Records come from `table` when given, else from the store; `boxes`
    False leaves the faces' boxes out (they are in the store only).

    Raises PersonNotFoundError for a person with no faces."""
    under = str(Path(folder).expanduser().resolve()) if folder is not None else None
    if people:
        ids = sorted(_photos_with_all(library, people))
        records = [r for r in (table.get(ids) if table else library.store.get_photos(ids))
                   if under is None or under in r.get("folders", ())]
    else:
        records = table.under(under) if table else list(library.store.iter_photos(under=under))
    return newest_first(_dated(library, records, boxes))


def _photos_with_all(library: FaceLibrary, people: Sequence[int]) -> set[str]:
    """The ids of the photos that hold a face of each of `people`."""
    catalog = library.catalog
    shared: set[str] | None = None
    for person in people:
        if not catalog.face_count(person):
            raise PersonNotFoundError(person)
        theirs = catalog.photos_of(person).keys()
        shared = set(theirs) if shared is None else shared & theirs
    return shared or set()


def _dated(library: FaceLibrary, records: Iterable[dict], boxes: bool) -> list[DatedPhoto]:
    """Photo records as DatedPhotos, with their faces (not those the user
    said are no face) and each face's person as the catalog has it now."""
    catalog = library.catalog
    rows, cluster, not_a_face = catalog.row, catalog.cluster, catalog.not_a_face
    records = [r for r in records if r.get("path")]
    face_ids = [f for r in records for f in r.get("face_ids") or () if f in rows and not not_a_face[rows[f]]]
    if boxes:
        box_of = {f["id"]: tuple(f["bbox"]) for f in library.store.get_faces(face_ids, fields=["bbox"])}
    else:
        box_of = dict.fromkeys(face_ids)
    listed = []
    for r in records:
        faces = []
        for face_id in r.get("face_ids") or ():
            if face_id in box_of:
                person = int(cluster[rows[face_id]])
                faces.append(FaceBox(face_id, person if person >= 0 else None, box_of[face_id]))
        listed.append(DatedPhoto(r["id"], r["path"], r.get("taken"), r.get("taken_from") if r.get("taken") else None,
                                 (int(r.get("width") or 0), int(r.get("height") or 0)), tuple(faces)))
    return listed


def plain(listed: Iterable[DatedPhoto]) -> list[tuple]:
    """Photos as plain tuples, which pickle several times faster (5,000
    photos cross the service's pipe in a few milliseconds): `from_plain`
    makes them DatedPhotos again."""
    return [(*photo[:5], tuple(map(tuple, photo.faces))) for photo in listed]


def from_plain(rows: Iterable[tuple]) -> list[DatedPhoto]:
    """DatedPhotos again; their faces stay (face_id, person, bbox) tuples,
    to be unpacked (a FaceBox each would cost the window 100 ms for 5,000
    photos)."""
    return list(map(DatedPhoto._make, rows))


def newest_first(listed: Iterable[DatedPhoto]) -> list[DatedPhoto]:
    """Newest first by the date and time on the camera's clock (offsets from
    UTC left aside, as a photo album orders them), then by path; photos of
    unknown date last."""
    ordered = sorted(listed, key=lambda p: p.path)
    ordered.sort(key=lambda p: p.taken[:19] if p.taken else "", reverse=True)
    return ordered


def photo_json(photo: DatedPhoto) -> dict:
    """A photo as `faceorganizer photos --json` prints it."""
    return {
        "path": photo.path,
        "taken": photo.taken[:19] if photo.taken else None,
        "taken_from": photo.taken_from,
        "faces": [{"face_id": f.face_id, "person": f.person, "bbox": list(f.bbox) if f.bbox else None}
                  for f in photo.faces],
    }
