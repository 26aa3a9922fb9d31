"""Strangers in bulk: the unnamed people of a few faces (passers-by, a crowd
behind the people who matter) hidden in one undoable correction.

A hidden person holds its faces: grouping keeps it whole, a new face most
like it joins it and so stays hidden, and suggestions never propose it (see
faceorganizer.suggestions), until the user shows it again.
"""

from __future__ import annotations

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
