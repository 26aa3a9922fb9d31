"""FaceLibrary's people half: clustering, incremental assignment and every
correction a user makes by hand.

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

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date

import numpy as np

from faceorganizer.ages import birthday_description, parse_birthday
from faceorganizer.clustering import DEFAULT_THRESHOLD, SUPPORT, WEAK_MARGIN, Constraints, group_faces
from faceorganizer.errors import CorrectionError, DuplicateNameError, FaceNotFoundError, PersonNotFoundError
from faceorganizer.humanize import count
from faceorganizer.people import (
    ChangeSet,
    FaceCatalog,
    FaceState,
    Person,
    PersonState,
    with_rejected,
)
from faceorganizer.refusals import Refusal, refusal_states
from faceorganizer.store import Batch

#: A stored confidence is rewritten only when it moved by at least this much.
_CONFIDENCE_STEP = 0.02


class PeopleOperations:
    """Mixed into FaceLibrary, which provides `store`, `_store(batch)`,
    `check_writable()`, `corrections`, `catalog_store`, `_meta`,
    `settings` and `_catalog`."""

    # -- state -----------------------------------------------------------------

    @property
    def catalog(self) -> FaceCatalog:
        """Every face's vector and person, loaded on first use (see
        faceorganizer.catalog_store)."""
        if self._catalog is None:
            self._catalog = self.catalog_store.load(self._meta)
        return self._catalog

    @property
    def cluster_threshold(self) -> float:
        """The similarity threshold in force: the setting, else the one the
        library was last clustered with, else the default."""
        if self.settings.cluster_threshold is not None:
            return self.settings.cluster_threshold
        return float(self._meta.get("cluster_threshold", DEFAULT_THRESHOLD))

    # -- reading people ----------------------------------------------------------

    def people(self, include_hidden: bool = False) -> list[Person]:
        """The people, named first, then the biggest first.

        Until the catalog is needed (a correction, grouping), the list comes
        from the people's own records, which every write keeps in step with
        their faces: a library of 100,000 faces lists its people without
        reading its faces."""
        if self._catalog is None:
            people = [
                Person(int(r["id"]), r.get("name"), int(r.get("face_count") or 0), bool(r.get("hidden")),
                       r.get("cover_face_id"), bool(r.get("confirmed")), r.get("born"))
                for r in self.store.iter_people()
            ]
            people = [p for p in people if p.face_count]
        else:
            people = [self._person(cluster_id) for cluster_id in self._catalog.cluster_ids()]
        result = [p for p in people if include_hidden or not p.hidden]
        result.sort(key=lambda p: (p.name is None, -p.face_count, (p.name or "").casefold(), p.cluster_id))
        return result

    def unassigned_count(self) -> int:
        """How many faces belong to no person (and are faces)."""
        if self._catalog is None:
            return self.store.count_faces(unassigned=True)
        return len(self._catalog.unassigned_rows())

    def get_person(self, cluster_id: int) -> Person:
        if not self.catalog.face_count(cluster_id):
            raise PersonNotFoundError(cluster_id)
        return self._person(cluster_id)

    def _person(self, cluster_id: int) -> Person:
        state = self.catalog.people.get(cluster_id, PersonState())
        return Person(
            cluster_id, state.name, self.catalog.face_count(cluster_id),
            state.hidden, state.cover_face_id, state.confirmed, state.born,
        )

    def get_cluster(self, cluster_id: int) -> dict:
        """{"cluster_id", "name", "face_count", "faces": [payloads]} (the seed's contract)."""
        person = self.get_person(cluster_id)
        faces = self.store.get_faces(self.catalog.face_ids_of(cluster_id))
        return {"cluster_id": cluster_id, "name": person.name, "face_count": len(faces), "faces": faces}

    def faces_of(self, cluster_id: int) -> list[str]:
        """The person's face ids, least sure first (lowest similarity to the rest)."""
        catalog = self.catalog
        rows = catalog.rows_of(cluster_id)
        order = np.argsort(catalog.similarity_to_person(rows, cluster_id), kind="stable")
        return [catalog.ids[r] for r in rows[order]]

    def unassigned_faces(self) -> list[str]:
        """Faces of no person (strangers seen once, or taken out by the user)."""
        catalog = self.catalog
        return [catalog.ids[r] for r in catalog.unassigned_rows()]

    # -- corrections -------------------------------------------------------------

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
        merged = set(ids)
        faces: dict[str, FaceState] = {}
        for cid in sources:
            for face_id in catalog.face_ids_of(cid):
                state = catalog.state(face_id)
                rejected = tuple(r for r in state.rejected if r not in merged)
                faces[face_id] = replace(state, cluster_id=target, pinned=True, rejected=rejected)
        # Faces that refused a source now refuse the merged person (unless they are in it).
        for row, rejected in list(catalog.rejected.items()):
            face_id = catalog.ids[row]
            if face_id in faces or not rejected & set(sources):
                continue
            state = catalog.state(face_id)
            refused = rejected - merged if state.cluster_id == target else (rejected - set(sources)) | {target}
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
        self.corrections.mark(seq, change, undo, batch)
        done = self.apply(change.inverse() if undo else change, batch=batch)
        done.description = f"{'Undo' if undo else 'Redo'} {_lower_first(change.description)}"
        return done

    def history(self) -> list[dict]:
        """The corrections log, newest first: `seq`, `time` (ISO 8601, UTC),
        `description`, and whether it is `undone`."""
        return self.corrections.history()

    # -- clustering ----------------------------------------------------------------

    def cluster_all(self, threshold: float | None = None) -> int:
        """Group every face into people again, keeping the user's corrections;
        returns the number of people."""
        self.recluster(threshold)
        return len(self.catalog.cluster_ids())

    def recluster(self, threshold: float | None = None) -> ChangeSet:
        """`cluster_all`, returning the change-set (so it can be undone)."""
        self.check_writable()
        batch = Batch()
        if threshold is not None:
            batch.meta["cluster_threshold"] = float(threshold)
        threshold = self.cluster_threshold if threshold is None else threshold
        catalog = self.catalog
        rows = catalog.usable_rows()
        labels = self._group(rows, threshold)
        clusters, confidence = self._name_groups(rows, labels)
        faces_before = {}
        faces_after = {}
        updates = {}
        stored = catalog.confidence
        for row, cluster, conf in zip(rows.tolist(), clusters.tolist(), confidence.tolist()):
            face_id = catalog.ids[row]
            state = catalog.state(face_id)
            new_cluster = None if cluster < 0 else cluster
            moved = state.cluster_id != new_cluster
            if moved:
                faces_before[face_id] = state
                faces_after[face_id] = replace(state, cluster_id=new_cluster)
            if moved or _confidence_moved(stored[row], conf):
                updates[face_id] = {"cluster_id": new_cluster, "cluster_confidence": conf}
                stored[row] = np.nan if conf is None else conf
        batch.face_fields.update(updates)
        before_people = self._people_snapshot(faces_before, faces_after)
        for face_id, state in faces_after.items():
            catalog.set_state(face_id, state)
        after_people = self._sync_people(set(before_people) | _clusters(faces_after.values()), batch)
        self._store(batch)
        return ChangeSet("Re-cluster", faces_before, faces_after, before_people, after_people)

    def _group(self, rows: np.ndarray, threshold: float) -> np.ndarray:
        """Group the faces at `rows` under the user's constraints."""
        catalog = self.catalog
        photo = np.unique(np.asarray(catalog.image_ids, dtype=object)[rows].astype(str), return_inverse=True)[1]
        pinned = np.where(catalog.held()[rows], catalog.cluster[rows], -1)
        local = {row: i for i, row in enumerate(rows.tolist())}
        rejected = {local[row]: set(r) for row, r in catalog.rejected.items() if row in local}
        refused = [(local[row], local[other]) for row, faces in catalog.refused_faces.items() if row in local
                   for face_id in faces if (other := catalog.row.get(face_id)) in local and row < other]
        return group_faces(catalog.vectors[rows], Constraints(photo, pinned, rejected, refused), threshold)

    def _name_groups(self, rows: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A person id per face (-1: unassigned) and its mean similarity to the
        rest of its group. A group keeps the id of its pinned faces, else the
        id most of its faces had (biggest groups choose first), else a new id;
        a group smaller than the minimum is no person, unless pinned."""
        catalog = self.catalog
        vectors = catalog.vectors[rows]
        old = catalog.cluster[rows]
        pinned = catalog.held()[rows]
        clusters = np.full(len(rows), -1, dtype=np.int64)
        confidence = np.full(len(rows), np.nan)
        order = np.argsort(labels, kind="stable")
        bounds = np.flatnonzero(np.diff(labels[order])) + 1
        groups = sorted(np.split(order, bounds), key=len, reverse=True)
        claimed = set()
        for group in groups:
            if pinned[group].any():
                claimed.add(int(old[group][pinned[group]][0]))
        next_id = catalog.next_cluster_id()
        for group in groups:
            if pinned[group].any():
                cluster = int(old[group][pinned[group]][0])
            elif len(group) < self.settings.min_faces:
                continue
            else:
                forbidden = set().union(*(catalog.rejected.get(int(rows[i]), set()) for i in group))
                votes = Counter(int(c) for c in old[group] if c >= 0 and c not in claimed and c not in forbidden)
                if votes:
                    cluster = votes.most_common(1)[0][0]
                else:
                    cluster, next_id = next_id, next_id + 1
                claimed.add(cluster)
            clusters[group] = cluster
            if len(group) > 1:
                total = vectors[group].sum(axis=0)
                confidence[group] = (vectors[group] @ total - 1.0) / (len(group) - 1)
        confidence = np.where(np.isnan(confidence), None, np.round(confidence, 3))
        return clusters, confidence

    def _people_of_new_faces(self, analyses, carried: dict[str, FaceState] | None = None) -> dict[str, dict]:
        """The person of each new face, found before its first write: the
        person it resembles most by the rule of `group_faces` (one strong edge
        to its faces, or two weak ones); never a person already in the same
        photo. Faces indexed again keep the person and corrections they had
        (`carried`: those of the faces they replace).
        """
        catalog = self.catalog
        threshold = self.cluster_threshold
        known = {**{f: catalog.state(f) for a in analyses for f, _ in a.faces if f in catalog.row},
                 **(carried or {})}
        fresh = [(a, face_id, face) for a in analyses for face_id, face in a.faces if face_id not in known]
        scores = _person_scores(catalog, np.stack([f.embedding for _, _, f in fresh]), threshold) if fresh else []
        options = {face_id: found for (_, face_id, _), found in zip(fresh, scores)}
        result: dict[str, dict] = {}
        for a in analyses:
            taken = set()
            pairs = []
            for face_id, _ in a.faces:
                if face_id in known:
                    state = known[face_id]
                    result[face_id] = {**state.payload(), "cluster_confidence": None}
                    taken.add(state.cluster_id)
                    continue
                result[face_id] = {**FaceState(None).payload(), "cluster_confidence": None}
                pairs += [(score, face_id, cluster) for score, cluster in options[face_id]]
            for score, face_id, cluster in sorted(pairs, reverse=True):
                if result[face_id]["cluster_id"] is not None or cluster in taken:
                    continue
                if a.image_id in catalog.photos_of(cluster):
                    continue
                result[face_id].update(cluster_id=cluster, cluster_confidence=round(score, 3))
                taken.add(cluster)
        return result

    def _group_unassigned(self, face_ids: Sequence[str], batch: Batch, regroup: Iterable[int] = ()) -> set[int]:
        """Let new unassigned faces form people with the unassigned faces they
        resemble, once a group reaches the minimum size. Only the new faces'
        neighbourhood is grouped, not the library.

        `regroup`: people formed earlier this way (during the same indexing
        run) whose faces are grouped again with the rest, so that a run
        grouped in steps ends as if grouped at once. The writes go to `batch`
        (faces not written yet are written with their person).

        Returns the people formed.
        """
        catalog = self.catalog
        threshold = self.cluster_threshold
        rows = [row for f in face_ids
                if (row := catalog.row.get(f)) is not None and catalog.cluster[row] < 0 and not catalog.not_a_face[row]]
        for cid in regroup:
            state = catalog.people.get(cid)
            if state is None or not state.confirmed:
                rows.extend(catalog.rows_of(cid).tolist())
        new = np.unique(np.asarray(rows, dtype=np.int64))
        if not len(new):
            return set()
        pool = catalog.unassigned_rows()
        candidates = np.union1d(new, _near(catalog.vectors, new, pool, threshold))
        candidates = np.union1d(candidates, _near(catalog.vectors, candidates, pool, threshold))
        labels = self._group(candidates, threshold)
        clusters, confidence = self._name_groups(candidates, labels)
        faces_before, faces_after, updates = {}, {}, {}
        for row, cluster, conf in zip(candidates.tolist(), clusters.tolist(), confidence.tolist()):
            face_id = catalog.ids[row]
            state = catalog.state(face_id)
            new_cluster = None if cluster < 0 else cluster
            if new_cluster != state.cluster_id or _confidence_moved(catalog.confidence[row], conf):
                faces_before[face_id] = state
                faces_after[face_id] = replace(state, cluster_id=new_cluster)
                updates[face_id] = {"cluster_id": new_cluster, "cluster_confidence": conf}
        if not updates:
            return set()
        for face_id, values in updates.items():
            batch.set_face_fields([face_id], values)
        for face_id, state in faces_after.items():
            catalog.set_state(face_id, state)
            catalog.set_confidence(face_id, updates[face_id]["cluster_confidence"])
        self._sync_people(_clusters(faces_before.values()) | _clusters(faces_after.values()), batch)
        return _clusters(faces_after.values())

    # -- writing -------------------------------------------------------------------

    def _commit(
        self,
        description: str,
        faces: dict[str, FaceState],
        people: dict[int, PersonState | None],
        result: object = None,
        *,
        batch: Batch | None = None,
        record: bool = True,
    ) -> ChangeSet:
        """Write face and person states as one batch (with `batch`'s other
        writes), and the change in the corrections log when `record`; return
        what changed."""
        catalog = self.catalog
        batch = batch or Batch()
        before = {f: catalog.state(f) for f in faces if f in catalog.row}
        faces = {f: s for f, s in faces.items() if f in before and before[f] != s}
        before = {f: before[f] for f in faces}
        people_before = self._people_snapshot(before, faces, people)
        for face_id, state in faces.items():
            confidence = 1.0 if state.pinned and state.cluster_id is not None else None
            batch.face_fields[face_id] = {**state.payload(), "cluster_confidence": confidence}
            catalog.set_state(face_id, state)
            catalog.set_confidence(face_id, confidence)
        for cid, state in people.items():
            if state is None:
                catalog.people.pop(cid, None)
            else:
                catalog.people[cid] = state
        people_after = self._sync_people(set(people_before), batch)
        change = ChangeSet(description, before, faces, people_before, people_after, result)
        if record and change:
            change.confirmed = {
                cid: catalog.face_ids_of(cid) for cid, state in people_after.items()
                if state and state.confirmed and not (people_before.get(cid) and people_before[cid].confirmed)
            }
            self.corrections.record(change, batch)
        self._store(batch)
        return change

    def _people_snapshot(self, before, after, people=()) -> dict[int, PersonState | None]:
        """The current state of every person these face changes and person
        changes touch (None for a person that does not exist)."""
        catalog = self.catalog
        ids = _clusters(before.values()) | _clusters(after.values()) | set(people)
        return {
            cid: catalog.people.get(cid, PersonState() if catalog.face_count(cid) else None)
            for cid in ids
        }

    def _sync_people(self, cluster_ids: Iterable[int], batch: Batch) -> dict[int, PersonState | None]:
        """Write these people's records to `batch` (mean vector, face count,
        cover face; deleted when they have no faces left)."""
        catalog = self.catalog
        put, gone, states = {}, [], {}
        for cid in cluster_ids:
            size = catalog.face_count(cid)
            if not size:
                state = catalog.people.get(cid)
                if state is not None and (state.confirmed or state.name or state.hidden):
                    # What the user said of a person outlives its faces for a
                    # while (their photos re-indexed, moved, or taken away).
                    batch.people_fields[cid] = {"face_count": 0, "cover_face_id": None}
                    states[cid] = catalog.people[cid] = replace(state, cover_face_id=None)
                    continue
                catalog.people.pop(cid, None)
                gone.append(cid)
                states[cid] = None
                continue
            state = catalog.people.get(cid, PersonState())
            members = catalog.rows_of(cid)
            if state.cover_face_id is None or catalog.row.get(state.cover_face_id) not in set(members.tolist()):
                best = members[np.argmax(catalog.similarity_to_person(members, cid))]
                state = replace(state, cover_face_id=catalog.ids[best])
            catalog.people[cid] = state
            states[cid] = state
            mean = catalog.mean(cid)
            put[cid] = (
                mean / max(float(np.linalg.norm(mean)), 1e-12),
                {"name": state.name, "hidden": state.hidden, "cover_face_id": state.cover_face_id,
                 "confirmed": state.confirmed, "face_count": size, "born": state.born},
            )
        batch.people.update(put)
        batch.people_deleted.update(gone)
        highest = max(put, default=0)
        if highest > catalog.highest_id:
            # Ids are never handed out twice: an undo must find its person's id free.
            catalog.highest_id = highest
            batch.meta["highest_id"] = highest
        return states

    # -- helpers -------------------------------------------------------------------

    def _state(self, face_id: str) -> FaceState:
        if face_id not in self.catalog.row:
            raise FaceNotFoundError(face_id)
        return self.catalog.state(face_id)

    def _check_member(self, face_ids: Sequence[str], cluster_id: int) -> None:
        strangers = [f for f in face_ids if self._state(f).cluster_id != cluster_id]
        if strangers:
            raise CorrectionError(
                f"{count(len(strangers), 'face')} ({', '.join(strangers[:3])}{'...' * (len(strangers) > 3)}) "
                f"{'is' if len(strangers) == 1 else 'are'} not a face of {self._names([cluster_id])}."
            )

    def _confirmed_state(self, cluster_id: int) -> PersonState:
        return replace(self.catalog.people.get(cluster_id, PersonState()), confirmed=True)

    def _names(self, cluster_ids: Sequence[int]) -> str:
        """People as the user sees them: "'Anna'", "an unnamed person (5 faces)"."""
        names = []
        for cid in cluster_ids:
            state = self.catalog.people.get(cid)
            if state and state.name:
                names.append(f"'{state.name}'")
            else:
                names.append(f"an unnamed person ({count(self.catalog.face_count(cid), 'face')})")
        if len(names) > 3:
            return f"{', '.join(names[:3])} and {len(names) - 3} more"
        return " and ".join(names) if len(names) <= 2 else f"{', '.join(names[:-1])} and {names[-1]}"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _confidence_moved(stored: float, confidence: float | None) -> bool:
    """Whether a face's confidence changed enough to be written again (a
    library grouped again without changes writes nothing)."""
    if confidence is None or np.isnan(stored):
        return (confidence is None) != bool(np.isnan(stored))
    return abs(confidence - stored) >= _CONFIDENCE_STEP


def _clusters(states: Iterable[FaceState]) -> set[int]:
    return {s.cluster_id for s in states if s.cluster_id is not None}


_CANDIDATES = 64


def _person_scores(catalog: FaceCatalog, vectors: np.ndarray, threshold: float) -> list[list[tuple[float, int]]]:
    """For each of `vectors`, (score, person) of the people it may join, by
    the rule of `group_faces`: one strong edge to the person's faces, or
    SUPPORT weak ones. The score is its best similarity to the person.

    One matrix product for the whole batch, over the catalog's vectors in
    place (no copy of the library's vectors per face)."""
    assigned = (catalog.cluster >= 0) & catalog.alive
    candidates = int(assigned.sum())
    if not candidates:
        return [[] for _ in vectors]
    top = min(_CANDIDATES, candidates)
    result = []
    for start in range(0, len(vectors), 256):
        sims = vectors[start : start + 256] @ catalog.vectors.T
        sims[:, ~assigned] = -np.inf
        best = np.argpartition(-sims, top - 1, axis=1)[:, :top]
        for row, nearest in zip(sims, best):
            by_person: dict[int, list[float]] = {}
            for i in nearest[row[nearest] >= threshold - WEAK_MARGIN].tolist():
                by_person.setdefault(int(catalog.cluster[i]), []).append(float(row[i]))
            result.append([
                (max(values), cluster)
                for cluster, values in by_person.items()
                if max(values) >= threshold or len(values) >= SUPPORT
            ])
    return result


def _near(vectors: np.ndarray, rows: np.ndarray, pool: np.ndarray, threshold: float) -> np.ndarray:
    """The rows of `pool` at least `threshold` similar to one of `rows`."""
    if not len(rows) or not len(pool):
        return np.zeros(0, dtype=np.int64)
    hit = np.zeros(len(pool), dtype=bool)
    pool_vectors = vectors[pool]
    for start in range(0, len(rows), 1024):
        hit |= (vectors[rows[start : start + 1024]] @ pool_vectors.T >= threshold).any(axis=0)
    return pool[hit]
