"""The photos of people and of folders, newest first, each with its faces:
what `faceorganizer photos` prints and what the window's Photos view shows.

Which photos a person is in comes from the face catalog kept in memory; only
the photo records and face boxes of those photos are read from the store, by
id, so a person's photos cost the same in a library of 1,000 faces or of
100,000. A folder's photos are every photo record under it, faces or not.

This module imports no Qt.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from faceorganizer.errors import PersonNotFoundError

if TYPE_CHECKING:
    from faceorganizer.library import FaceLibrary


class FaceBox(NamedTuple):
    """A face of a photo: its id, its person (None: no one), its box in the
    upright photo's pixels."""

    face_id: str
    person: int | None
    bbox: tuple[float, float, float, float]


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


def photos(library: FaceLibrary, people: Sequence[int] = (), folder: str | Path | None = None) -> list[DatedPhoto]:
    """The photos all of `people` are in (any photo when none), only those
    under `folder` when given, newest first; photos of unknown date last.

    Raises PersonNotFoundError for a person with no faces."""
    under = str(Path(folder).expanduser().resolve()) if folder is not None else None
    if people:
        records = [r for r in library.store.get_photos(sorted(_photos_with_all(library, people)))
                   if under is None or under in r.get("folders", ())]
    else:
        records = list(library.store.iter_photos(under=under))
    return newest_first(_dated(library, records))


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


def _dated(library: FaceLibrary, records: Iterable[dict]) -> list[DatedPhoto]:
    """Photo records as DatedPhotos, with their faces (not those the user
    said are no face) and each face's person as the catalog has it now."""
    catalog = library.catalog
    records = [r for r in records if r.get("path")]
    face_ids = [f for r in records for f in r.get("face_ids", ())
                if f in catalog.row and not catalog.not_a_face[catalog.row[f]]]
    boxes = {f["id"]: tuple(f["bbox"]) for f in library.store.get_faces(face_ids, fields=["bbox"])}
    cluster = catalog.cluster
    listed = []
    for r in records:
        faces = []
        for face_id in r.get("face_ids", ()):
            if face_id in boxes:
                person = int(cluster[catalog.row[face_id]])
                faces.append(FaceBox(face_id, person if person >= 0 else None, boxes[face_id]))
        listed.append(DatedPhoto(r["id"], r["path"], r.get("taken"), r.get("taken_from") if r.get("taken") else None,
                                 (int(r.get("width") or 0), int(r.get("height") or 0)), tuple(faces)))
    return listed


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
        "faces": [{"face_id": f.face_id, "person": f.person, "bbox": list(f.bbox)} for f in photo.faces],
    }
