"""The corrections a user makes by hand, as methods of FaceLibrary (through
PeopleOperations, which provides what they stand on: the catalog,
`get_person`, `_commit` and the checks), and undo and redo over the
corrections log.

Each correction returns a ChangeSet; `apply(change_set.inverse())` undoes it.
A correction confirms the people it touches: grouping never takes a
confirmed person apart nor gives it another id, and keeps with it every face
it holds (also faces that joined it later by themselves, until the user takes
them out). A face the user moved is pinned to its new person, and a face taken
out of a person (moved elsewhere, or "not this person") records that person
among the ones it must never join again. Names, hidden and confirmed flags and
cover faces live in the people's records; everything else in the faces'
payloads. So every correction survives re-clustering, new photos and restarts,
and writes only what it changes: moving one face writes that face and two
people.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date

from faceorganizer.ages import birthday_description, parse_birthday
from faceorganizer.changes import ChangeSet, FaceState, PersonState, with_rejected
from faceorganizer.errors import CorrectionError, DuplicateNameError
from faceorganizer.humanize import count
from faceorganizer.refusals import Refusal, refusal_states
from faceorganizer.store import Batch


class PeopleCorrections:
    """Every correction and its undo. Mixed into PeopleOperations, which
    provides `catalog`, `get_person`, `_commit`, `_state`, `_check_member`,
    `_confirmed_state`, `_names`, `check_writable()` and `corrections`."""

    def merge_clusters(self, cluster_ids: Sequence[int], target: int | None = None) -> ChangeSet:
        """Merge people into `target` (the first id by default), which keeps
        its id and name (or takes the first source's name if it has none)."""
        ids = list(dict.fromkeys(int(c) for c in cluster_ids))
        target = int(target) if target is not None else ids[0] if ids else None
        sources = [c for c in ids if c != target]
        if target is None or not sources:
            raise CorrectionError("A merge needs at least two different people.")
        for cid in (target, *sources):
            self.get_person(cid)
        catalog = self.catalog
        merged, moved_from = set(ids), set(sources)
        faces: dict[str, FaceState] = {}
        moved: dict[FaceState, FaceState] = {}  # most faces share a few states
        for cid in sources:
            members = catalog.face_ids_of(cid)
            for face_id, state in zip(members, catalog.states(members)):
                if state not in moved:
                    rejected = tuple(r for r in state.rejected if r not in merged)
                    moved[state] = replace(state, cluster_id=target, pinned=True, rejected=rejected)
                faces[face_id] = moved[state]
        # Faces that refused a source now refuse the merged person (unless they are in it).
        for row, rejected in list(catalog.rejected.items()):
            face_id = catalog.ids[row]
            if face_id in faces or not rejected & moved_from:
                continue
            state = catalog.state(face_id)
            refused = rejected - merged if state.cluster_id == target else (rejected - moved_from) | {target}
            faces[face_id] = replace(state, rejected=tuple(sorted(refused)))
        target_state = catalog.people.get(target, PersonState())
        name = target_state.name or next(
            (catalog.people[c].name for c in sources if c in catalog.people and catalog.people[c].name), None
        )
        people: dict[int, PersonState | None] = {c: None for c in sources}
        born = target_state.born or next(
            (catalog.people[c].born for c in sources if c in catalog.people and catalog.people[c].born), None
        )
        people[target] = replace(target_state, name=name, born=born, confirmed=True)
        description = f"Merge {self._names(sources)} into {self._names([target])}"
        return self._commit(description, faces, people, result=target)

    def split_cluster(self, cluster_id: int, face_groups: Sequence[Sequence[str]]) -> ChangeSet:
        """Make each group of the person's faces a new person; result: the new ids."""
        self.get_person(cluster_id)
        face_groups = [list(dict.fromkeys(group)) for group in face_groups]
        if not any(face_groups):
            raise CorrectionError("A split needs the faces to take off; no faces were given.")
        for group in face_groups:
            self._check_member(group, cluster_id)
        catalog = self.catalog
        faces: dict[str, FaceState] = {}
        people: dict[int, PersonState | None] = {cluster_id: self._confirmed_state(cluster_id)}
        new_ids = []
        next_id = catalog.next_cluster_id()
        for group in filter(None, face_groups):
            new_id, next_id = next_id, next_id + 1
            new_ids.append(new_id)
            people[new_id] = PersonState(confirmed=True)
            for face_id in group:
                faces[face_id] = replace(catalog.state(face_id), cluster_id=new_id, pinned=True)
        description = f"Split {count(sum(map(len, face_groups)), 'face')} off {self._names([cluster_id])}"
        return self._commit(description, faces, people, result=new_ids)

    def reassign_faces(self, face_ids: Sequence[str], target_cluster_id: int | None, *,
                       hidden: bool = False, description: str | None = None) -> ChangeSet:
        """Move faces to a person (a new one when target is None; `hidden`:
        a new one hidden at once). They stay there, and never return by
        themselves to the people they left."""
        catalog = self.catalog
        people: dict[int, PersonState | None] = {}
        if target_cluster_id is None:
            target = catalog.next_cluster_id()
            people[target] = PersonState(hidden=hidden, confirmed=True)
        else:
            target = int(target_cluster_id)
            self.get_person(target)
        faces: dict[str, FaceState] = {}
        sources = set()
        for face_id in face_ids:
            state = self._state(face_id)
            if state.cluster_id == target:
                continue
            rejected = set(state.rejected) - {target}
            if state.cluster_id is not None:
                sources.add(state.cluster_id)
                rejected.add(state.cluster_id)
            faces[face_id] = replace(state, cluster_id=target, pinned=True, rejected=tuple(sorted(rejected)),
                                     not_a_face=False)
        moved = len(faces)
        into = "a new person" if target_cluster_id is None else self._names([target])
        # The moved faces belong with the target's faces: the target is
        # confirmed as a whole, so no later grouping takes it apart.
        for cid in sources | ({target} if target_cluster_id is not None else set()):
            people[cid] = self._confirmed_state(cid)
        description = description or f"Move {count(moved, 'face')} to {into}"
        return self._commit(description, faces, people, result=target)

    def reassign_face(self, face_id: str, target_cluster_id: int | None) -> ChangeSet:
        """Move one face to a person (the seed's contract)."""
        return self.reassign_faces([face_id], target_cluster_id)

    def not_this_person(self, face_ids: Sequence[str]) -> ChangeSet:
        """Take faces out of their person: they become unassigned and never
        join that person again."""
        faces: dict[str, FaceState] = {}
        people: dict[int, PersonState | None] = {}
        for face_id in face_ids:
            state = self._state(face_id)
            if state.cluster_id is None:
                continue
            source = state.cluster_id
            if source not in people:
                people[source] = self._confirmed_state(source)
            faces[face_id] = replace(with_rejected(state, source), cluster_id=None, pinned=False)
        description = f"Take {count(len(face_ids), 'face')} out of {self._names(list(people))}"
        return self._commit(description, faces, people)

    def not_a_face(self, face_ids: Sequence[str]) -> ChangeSet:
        """Mark false detections: they leave their person and every list."""
        faces = {}
        for face_id in face_ids:
            state = self._state(face_id)
            faces[face_id] = replace(state, cluster_id=None, pinned=False, not_a_face=True)
        return self._commit(f"Mark {count(len(faces), 'detection')} as not a face", faces, {})

    def refuse(self, refusal: Refusal) -> ChangeSet:
        """Record a no (faces are not a person, a person is not another, two
        faces are not one person) as one correction that every later
        grouping keeps and undo takes back; see faceorganizer.refusals."""
        self.check_writable()
        description, faces, people = refusal_states(self.catalog, refusal, self._names)
        return self._commit(description, faces, people)

    def rename(self, cluster_id: int, name: str | None, allow_duplicate: bool = False) -> ChangeSet:
        """Name a person (None or "" removes the name). Naming confirms it.

        A name another person has already is refused (DuplicateNameError: they
        are likely one person, to merge) unless `allow_duplicate`."""
        person = self.get_person(cluster_id)
        name = (name or "").strip() or None
        if name and not allow_duplicate:
            taken = next((cid for cid, state in self.catalog.people.items()
                          if cid != cluster_id and state.name and state.name.casefold() == name.casefold()), None)
            if taken is not None:
                raise DuplicateNameError(
                    f"Another person is already named '{self.catalog.people[taken].name}' (person {taken}). "
                    f"If they are one person, merge them: faceorganizer merge {taken} {cluster_id}."
                )
        state = replace(self._confirmed_state(cluster_id), name=name)
        if person.name:
            description = f"Rename '{person.name}' to '{name}'" if name else f"Remove the name '{person.name}'"
        elif name:
            description = f"Name {self._names([cluster_id])} '{name}'"
        else:
            return ChangeSet("Nothing to change")
        return self._commit(description, {}, {cluster_id: state})

    def set_birthday(self, cluster_id: int, born: str | date | None) -> ChangeSet:
        """Give a person a birthday (an ISO 8601 date; None clears it), kept
        in the library only; undoable like a rename."""
        person = self.get_person(cluster_id)
        born = parse_birthday(born)
        if born == person.born:
            return ChangeSet("Nothing to change")
        state = replace(self.catalog.people.get(cluster_id, PersonState()), born=born)
        return self._commit(birthday_description(self._names([cluster_id]), born), {}, {cluster_id: state})

    def hide(self, cluster_ids: Iterable[int], hidden: bool = True, description: str | None = None) -> ChangeSet:
        """Hide people from the people list (or show them again); `description`
        says it in the corrections log instead of their names."""
        ids = [int(c) for c in cluster_ids]
        people: dict[int, PersonState | None] = {}
        for cid in ids:
            self.get_person(cid)
            people[cid] = replace(self._confirmed_state(cid), hidden=hidden)
        verb = "Hide" if hidden else "Show"
        return self._commit(description or f"{verb} {self._names(ids)}", {}, people)

    def set_cover(self, cluster_id: int, face_id: str) -> ChangeSet:
        """Choose the face that represents the person."""
        self.get_person(cluster_id)
        self._check_member([face_id], cluster_id)
        state = replace(self.catalog.people.get(cluster_id, PersonState()), cover_face_id=face_id)
        return self._commit(f"Change the photo of {self._names([cluster_id])}", {}, {cluster_id: state})

    def apply(self, change_set: ChangeSet, *, batch: Batch | None = None) -> ChangeSet:
        """Bring faces and people to the change-set's after-states (undo with
        `apply(cs.inverse())`, redo with `apply(cs)`). Not recorded in the
        corrections log: `undo` and `redo` are the log's own."""
        return self._commit(change_set.description, change_set.faces_after, change_set.people_after,
                            result=change_set.result, batch=batch, record=False)

    def undo(self) -> ChangeSet | None:
        """Undo the newest correction not undone yet (None: nothing to undo)."""
        return self._walk_log(undo=True)

    def redo(self) -> ChangeSet | None:
        """Redo the oldest correction undone (None: nothing to redo)."""
        return self._walk_log(undo=False)

    def _walk_log(self, undo: bool) -> ChangeSet | None:
        self.check_writable()
        found = self.corrections.next_undo() if undo else self.corrections.next_redo()
        if found is None:
            return None
        seq, change = found
        batch = Batch()
        self.corrections.mark(seq, undo, batch)
        done = self.apply(change.inverse() if undo else change, batch=batch)
        done.description = f"{'Undo' if undo else 'Redo'} {_lower_first(change.description)}"
        return done

    def history(self) -> list[dict]:
        """The corrections log, newest first: `seq`, `time` (ISO 8601, UTC),
        `description`, and whether it is `undone`."""
        return self.corrections.history()


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]
