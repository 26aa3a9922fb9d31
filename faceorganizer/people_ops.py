"""FaceLibrary's people half: reading people, grouping them (through
faceorganizer.grouping's `Grouping`), every correction (the methods of
faceorganizer.people_corrections) and the one write they all end with,
`_commit`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

import numpy as np

from faceorganizer.changes import ChangeSet, FaceState, Person, PersonState
from faceorganizer.clustering import DEFAULT_THRESHOLD
from faceorganizer.errors import CorrectionError, FaceNotFoundError, PersonNotFoundError
from faceorganizer.grouping import Grouping
from faceorganizer.humanize import count
from faceorganizer.people import FaceCatalog
from faceorganizer.people_corrections import PeopleCorrections
from faceorganizer.people_records import people_snapshot, sync_people
from faceorganizer.store import Batch


class PeopleOperations(PeopleCorrections):
    """Mixed into FaceLibrary, which provides `store`, `_store(batch)`,
    `check_writable()`, `corrections`, `catalog_store`, `_meta`,
    `settings` and `_catalog`. The corrections themselves are
    PeopleCorrections'; grouping is a `Grouping` made for each call."""

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
        change = self._grouping(threshold).regroup_all(batch)
        self._store(batch)
        return change

    def _grouping(self, threshold: float | None = None) -> Grouping:
        """The grouping of this library's faces, with `threshold` or the one in force."""
        threshold = self.cluster_threshold if threshold is None else threshold
        return Grouping(self.catalog, threshold, self.settings.min_faces)

    def _people_of_new_faces(self, analyses, carried: dict[str, FaceState] | None = None) -> dict[str, dict]:
        """The person of each new face, found before its first write (see
        `Grouping.people_of_new_faces`)."""
        return self._grouping().people_of_new_faces(analyses, carried)

    def _group_unassigned(self, face_ids: Sequence[str], batch: Batch, regroup: Iterable[int] = ()) -> set[int]:
        """Let new unassigned faces form people (see `Grouping.group_unassigned`)."""
        return self._grouping().group_unassigned(face_ids, batch, regroup)

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
        known = [f for f in faces if f in catalog.row]
        before = dict(zip(known, catalog.states(known)))
        faces = {f: s for f, s in faces.items() if f in before and before[f] != s}
        before = {f: before[f] for f in faces}
        people_before = people_snapshot(catalog, before, faces, people)
        # One record of fields per state: a merge's thousands of faces share one, and are one write.
        fields: dict[FaceState, dict] = {}
        for face_id, state in faces.items():
            if state not in fields:
                confidence = 1.0 if state.pinned and state.cluster_id is not None else None
                fields[state] = {**state.payload(), "cluster_confidence": confidence}
            batch.face_fields[face_id] = fields[state]
        catalog.set_states(faces)
        catalog.set_confidences({f: fields[s]["cluster_confidence"] for f, s in faces.items()})
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

    def _sync_people(self, cluster_ids: Iterable[int], batch: Batch) -> dict[int, PersonState | None]:
        """Write these people's records to `batch` (see people_records.sync_people)."""
        return sync_people(self.catalog, cluster_ids, batch)

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
