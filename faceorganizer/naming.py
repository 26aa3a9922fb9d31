"""Naming one face, as a user does on its box in the photo viewer.

A face of an unnamed person names that person (all its faces are one
person's, as far as the user has said nothing else). Otherwise the name says
who this face is: it moves to the person of that name, or to a new person of
that name, and never returns by itself to the person it left.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from faceorganizer.errors import CorrectionError
from faceorganizer.people import ChangeSet, FaceState, PersonState, with_rejected

if TYPE_CHECKING:
    from faceorganizer.library import FaceLibrary


def person_named(library: FaceLibrary, name: str) -> int | None:
    """The person with faces who has this name (whatever its case), if any."""
    catalog = library.catalog
    return next((cid for cid, state in catalog.people.items()
                 if state.name and state.name.casefold() == name.casefold() and catalog.face_count(cid)), None)


def name_face(library: FaceLibrary, face_id: str, name: str) -> ChangeSet:
    """Say who the face `face_id` is (see the module's docstring)."""
    name = (name or "").strip()
    if not name:
        raise CorrectionError("Type the name of the person this face is.")
    state = library._state(face_id)
    catalog = library.catalog
    named = person_named(library, name)
    if named is not None:
        if named == state.cluster_id:
            return ChangeSet("Nothing to change")
        return library.reassign_faces([face_id], named)
    current = catalog.people.get(state.cluster_id) if state.cluster_id is not None else None
    if state.cluster_id is not None and not (current and current.name):
        return library.rename(state.cluster_id, name)
    new = catalog.next_cluster_id()
    people = {new: PersonState(name=name, confirmed=True)}
    rejected = state.rejected
    if state.cluster_id is not None:
        people[state.cluster_id] = library._confirmed_state(state.cluster_id)
        rejected = with_rejected(state, state.cluster_id).rejected
    photo = Path(library.paths_of([face_id]).get(face_id) or "").name or "a photo"
    return library._commit(f"Name a face of {photo} '{name}'", {face_id: FaceState(new, True, rejected)}, people,
                           result=new)
