"""People's records as the faces make them: which people a change of faces
touches, and the write of those people's records (mean vector, face count,
cover face; gone when no face is left) that every correction and every
grouping ends with.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import numpy as np

from faceorganizer.changes import FaceState, PersonState
from faceorganizer.people import FaceCatalog
from faceorganizer.store import Batch


def people_snapshot(catalog: FaceCatalog, before, after, people=()) -> dict[int, PersonState | None]:
    """The current state of every person these face changes and person
    changes touch (None for a person that does not exist)."""
    ids = clusters_of(before.values()) | clusters_of(after.values()) | set(people)
    return {
        cid: catalog.people.get(cid, PersonState() if catalog.face_count(cid) else None)
        for cid in ids
    }


def sync_people(catalog: FaceCatalog, cluster_ids: Iterable[int], batch: Batch) -> dict[int, PersonState | None]:
    """Write these people's records to `batch` (mean vector, face count,
    cover face; deleted when they have no faces left)."""
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


def clusters_of(states: Iterable[FaceState]) -> set[int]:
    """The people these face states are in."""
    return {s.cluster_id for s in states if s.cluster_id is not None}
