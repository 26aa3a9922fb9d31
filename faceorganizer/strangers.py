"""Strangers in bulk: the unnamed people of a few faces (passers-by, a crowd
behind the people who matter), or every face of one photo (a crowd, a stage)
that is of no named person, hidden in one undoable correction.

A hidden person holds its faces: grouping keeps it whole, a new face most
like it joins it and so stays hidden, and suggestions never propose it (see
faceorganizer.suggestions), until the user shows it again.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from faceorganizer.errors import FaceOrganizerError
from faceorganizer.humanize import count
from faceorganizer.people import ChangeSet

if TYPE_CHECKING:
    from faceorganizer.library import FaceLibrary


def strangers(library: FaceLibrary, max_faces: int) -> list[int]:
    """The people shown with no name and at most `max_faces` faces."""
    return [p.cluster_id for p in library.people() if not p.name and p.face_count <= max_faces]


def hide_strangers(library: FaceLibrary, max_faces: int) -> ChangeSet:
    """Hide every unnamed person of at most `max_faces` faces, as one
    correction; a named person is never touched."""
    if isinstance(max_faces, bool) or not isinstance(max_faces, int) or max_faces < 1:
        raise FaceOrganizerError(f"The number of faces {max_faces!r} is not a whole number of 1 or more.")
    found = strangers(library, max_faces)
    if not found:
        return ChangeSet(f"No unnamed person has {count(max_faces, 'face')} or fewer")
    people = "unnamed person" if len(found) == 1 else "unnamed people"
    return library.hide(found, description=f"Hide {len(found):,} {people} of {count(max_faces, 'face')} or fewer")


def ignore_photo(library: FaceLibrary, face_id: str) -> ChangeSet:
    """Ignore the faces of the photo of `face_id` that are of no named person
    and not ignored yet: they become one new hidden person, in one correction."""
    photo = library.get_face(face_id)
    keep = {p.cluster_id for p in library.people(include_hidden=True) if p.name or p.hidden}
    faces = [f["id"] for f in library.faces_in_photo(photo["image_id"])
             if f["cluster_id"] not in keep and not f["not_a_face"]]
    name = Path(photo["path"] or "").name or "this photo"
    if not faces:
        return ChangeSet(f"Every face of {name} is named or ignored already")
    return library.reassign_faces(faces, None, hidden=True, description=f"Ignore {count(len(faces), 'face')} of {name}")
