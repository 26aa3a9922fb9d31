"""The values every correction deals in: a face's and a person's state, a
person as listed, and the ChangeSet an operation returns (faces and people
before and after, so it can be undone), with its compact JSON form for the
corrections log.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace

#: Face payload fields that record the user's corrections.
PINNED = "pinned"  # the user placed this face in its person
REJECTED = "rejected_clusters"  # people this face must never join again
NOT_A_FACE = "not_a_face"  # a false detection the user dropped
REFUSED_FACES = "refused_faces"  # faces the user said are not the same person as this one


@dataclass(frozen=True)
class FaceState:
    """The person-related state of one face, as a correction sets it."""

    cluster_id: int | None
    pinned: bool = False
    rejected: tuple[int, ...] = ()
    not_a_face: bool = False
    refused_faces: tuple[str, ...] = ()

    def payload(self) -> dict:
        return {
            "cluster_id": self.cluster_id,
            PINNED: self.pinned,
            REJECTED: list(self.rejected),
            NOT_A_FACE: self.not_a_face,
            REFUSED_FACES: list(self.refused_faces),
        }


@dataclass(frozen=True)
class PersonState:
    """What the user says of a person: its name, whether it is hidden, its cover
    face, whether the user has confirmed it (named or corrected it), and its
    birthday (ISO 8601 date)."""

    name: str | None = None
    hidden: bool = False
    cover_face_id: str | None = None
    confirmed: bool = False
    born: str | None = None


@dataclass(frozen=True)
class Person:
    """A person as listed: id, what the user said, and its face count."""

    cluster_id: int
    name: str | None
    face_count: int
    hidden: bool = False
    cover_face_id: str | None = None
    confirmed: bool = False
    born: str | None = None


@dataclass
class ChangeSet:
    """What one operation changed: faces and people, before and after.

    `apply(change_set.inverse())` undoes it and `apply(change_set)` redoes it.
    A person state of None means the person does not exist (yet, or any more).
    `result` is what the operation returns by contract (a merged person's id,
    the new ids of a split, ...). `confirmed`: the faces of each person this
    change confirmed for the first time, as the user vouched for them; the
    faces themselves are not written (a confirmed person holds its faces),
    but a repair that lost the faces' people gives them back from it.
    """

    description: str
    faces_before: dict[str, FaceState] = field(default_factory=dict)
    faces_after: dict[str, FaceState] = field(default_factory=dict)
    people_before: dict[int, PersonState | None] = field(default_factory=dict)
    people_after: dict[int, PersonState | None] = field(default_factory=dict)
    result: object = None
    confirmed: dict[int, list[str]] = field(default_factory=dict)

    def inverse(self) -> ChangeSet:
        return ChangeSet(
            self.description,
            self.faces_after, self.faces_before,
            self.people_after, self.people_before,
            self.result,
        )

    @property
    def cluster_ids(self) -> set[int]:
        """Every person this change touched (gained, lost or changed)."""
        ids = set(self.people_after) | set(self.people_before)
        for states in (self.faces_before, self.faces_after):
            ids.update(s.cluster_id for s in states.values() if s.cluster_id is not None)
        return ids

    def __bool__(self) -> bool:
        return bool(self.faces_after or self.people_after)

    def to_json(self) -> str:
        """A compact JSON text, for the corrections log (`result` is left
        out): the faces grouped by their before and after states, so a merge
        of thousands of faces is a list of ids and two states."""
        moves: dict[tuple, list[str]] = {}
        for face_id, after in self.faces_after.items():
            moves.setdefault((self.faces_before[face_id], after), []).append(face_id)
        return json.dumps({
            "description": self.description,
            "faces": [[_face_json(before), _face_json(after), ids] for (before, after), ids in moves.items()],
            "people_before": {str(c): _person_json(s) for c, s in self.people_before.items()},
            "people_after": {str(c): _person_json(s) for c, s in self.people_after.items()},
            "confirmed": {str(c): ids for c, ids in self.confirmed.items()},
        }, separators=(",", ":"))

    @classmethod
    def from_json(cls, data: str | dict) -> ChangeSet:
        """The change-set of `to_json`'s text (or of the face-by-face dict
        that libraries written before it keep)."""
        if isinstance(data, str):
            data = json.loads(data)
        if "faces" in data:
            faces_before, faces_after = {}, {}
            for before, after, ids in data["faces"]:
                before, after = _face_state(before), _face_state(after)
                for face_id in ids:
                    faces_before[face_id], faces_after[face_id] = before, after
        else:
            faces_before = {f: _face_state(s) for f, s in data["faces_before"].items()}
            faces_after = {f: _face_state(s) for f, s in data["faces_after"].items()}
        return cls(
            data["description"], faces_before, faces_after,
            {int(c): None if s is None else PersonState(**s) for c, s in data["people_before"].items()},
            {int(c): None if s is None else PersonState(**s) for c, s in data["people_after"].items()},
            confirmed={int(c): ids for c, ids in data.get("confirmed", {}).items()},
        )


def _face_json(state: FaceState) -> list:
    refused = [list(state.refused_faces)] if state.refused_faces else []
    return [state.cluster_id, state.pinned, list(state.rejected), state.not_a_face, *refused]


def _face_state(data: list) -> FaceState:
    return FaceState(data[0], data[1], tuple(data[2]), data[3], tuple(data[4]) if len(data) > 4 else ())


def _person_json(state: PersonState | None) -> dict | None:
    return None if state is None else asdict(state)


def with_rejected(state: FaceState, cluster_id: int) -> FaceState:
    return replace(state, rejected=tuple(sorted(set(state.rejected) | {cluster_id})))
