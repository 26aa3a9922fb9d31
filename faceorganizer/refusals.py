"""Refusals: the user's "no", a correction like any other.

Three kinds, each one entry of the corrections log (so undo takes it back and
check/repair keep it, as it lives in the faces' own records in the store):

- `FacesNotPerson`: these faces are not this person. Each face refuses the
  person (`rejected_clusters`), which no later grouping lets it join.
- `PeopleApart`: this person is not that one. The first person's faces
  refuse the second, and both people are confirmed, so no later grouping
  joins them (a grouping never joins two confirmed people).
- `FacesApart`: two faces are not one person. Each names the other
  (`refused_faces`); a grouping treats them as faces of one photo.

A question answered no is never asked again: faceorganizer.suggestions skips
what the faces refuse.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from faceorganizer.errors import CorrectionError, FaceNotFoundError, PersonNotFoundError
from faceorganizer.humanize import count
from faceorganizer.people import FaceCatalog, FaceState, PersonState, with_rejected


@dataclass(frozen=True)
class FacesNotPerson:
    """`faces` are not `person`."""

    faces: tuple[str, ...]
    person: int


@dataclass(frozen=True)
class PeopleApart:
    """`person` is not the same person as `other`."""

    person: int
    other: int


@dataclass(frozen=True)
class FacesApart:
    """Faces `first` and `second` are not one person."""

    first: str
    second: str


Refusal = FacesNotPerson | PeopleApart | FacesApart


def refusal_states(
    catalog: FaceCatalog, refusal: Refusal, names: Callable[[Sequence[int]], str]
) -> tuple[str, dict[str, FaceState], dict[int, PersonState]]:
    """The correction's description (`names` says people in the user's
    words), the faces' new states and the people's."""
    if isinstance(refusal, FacesApart):
        first, second = _state(catalog, refusal.first), _state(catalog, refusal.second)
        if refusal.first == refusal.second:
            raise CorrectionError(f"Face {refusal.first} cannot be refused as another face than itself.")
        if first.cluster_id is not None and first.cluster_id == second.cluster_id:
            raise CorrectionError(
                f"Faces {refusal.first} and {refusal.second} are both in {names([first.cluster_id])}: "
                "take one of them out of that person first."
            )
        faces = {refusal.first: _with_refused_face(first, refusal.second),
                 refusal.second: _with_refused_face(second, refusal.first)}
        return "Two faces are not one person", faces, {}
    if isinstance(refusal, PeopleApart):
        _check_person(catalog, refusal.person)
        _check_person(catalog, refusal.other)
        if refusal.person == refusal.other:
            raise CorrectionError(f"{_upper_first(names([refusal.person]))} cannot be refused as itself.")
        faces = {f: with_rejected(catalog.state(f), refusal.other) for f in catalog.face_ids_of(refusal.person)}
        description = (f"{_upper_first(names([refusal.person]))} is not the same person as "
                       f"{names([refusal.other])}")
        return description, faces, {c: _confirmed(catalog, c) for c in (refusal.person, refusal.other)}
    _check_person(catalog, refusal.person)
    states = {f: _state(catalog, f) for f in dict.fromkeys(refusal.faces)}
    inside = [f for f, state in states.items() if state.cluster_id == refusal.person]
    if inside:
        raise CorrectionError(
            f"{count(len(inside), 'face')} ({', '.join(inside[:3])}{'...' * (len(inside) > 3)}) "
            f"{'is' if len(inside) == 1 else 'are'} in {names([refusal.person])}: take "
            f"{'it' if len(inside) == 1 else 'them'} out instead."
        )
    faces = {f: with_rejected(state, refusal.person) for f, state in states.items()}
    subject = f"{count(len(states), 'face')} {'is' if len(states) == 1 else 'are'}"
    return f"{subject} not {names([refusal.person])}", faces, {refusal.person: _confirmed(catalog, refusal.person)}


def _state(catalog: FaceCatalog, face_id: str) -> FaceState:
    if face_id not in catalog.row:
        raise FaceNotFoundError(face_id)
    return catalog.state(face_id)


def _check_person(catalog: FaceCatalog, cluster_id: int) -> None:
    if not catalog.face_count(cluster_id):
        raise PersonNotFoundError(cluster_id)


def _confirmed(catalog: FaceCatalog, cluster_id: int) -> PersonState:
    return replace(catalog.people.get(cluster_id, PersonState()), confirmed=True)


def _with_refused_face(state: FaceState, face_id: str) -> FaceState:
    return replace(state, refused_faces=tuple(sorted(set(state.refused_faces) | {face_id})))


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]
