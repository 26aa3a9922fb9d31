"""Review: the queue of questions whose answers fix the most faces, and the
answers.

The queue holds faceorganizer.suggestions' merges (each pair of people once,
asked about the smaller) and its questions about faces, ordered by expected
gain: the faces a yes puts right times the chance of a yes. A yes is the
library's own correction (`merge_clusters`, `reassign_faces`). A no is one
too: the faces asked about refuse the other person for good
(`rejected_clusters`), which no later grouping crosses and no later question
asks again; it is in the corrections log, so undo takes it back. A no to two
faces of no person is kept apart (see REFUSED_FACE_PAIRS).
"""

from __future__ import annotations

import json
import os
from dataclasses import replace

from faceorganizer.ages import without_faces_before_birth
from faceorganizer.errors import FaceOrganizerError
from faceorganizer.humanize import count
from faceorganizer.people import ChangeSet, FaceCatalog, with_rejected
from faceorganizer.store import Batch
from faceorganizer.suggestions import ASSIGN, MERGE, PAIR, Suggestion, face_suggestions, merge_suggestions

#: A question is asked only when a yes is at least this likely.
MIN_SCORE = 0.02
#: A no to "are these two faces of no person one person?" is kept in this file
#: of the library folder until the store has a place for it: a face's
#: refusals (`rejected_clusters`) name people, and these faces have none. So
#: this no alone is not in the corrections log, and undo does not take it back.
REFUSED_FACE_PAIRS = "refused-face-pairs.json"


class SuggestionNotFoundError(FaceOrganizerError):
    """No open question has this id (answered, or the people changed)."""


def refused_face_pairs(library) -> set[frozenset[str]]:
    """The pairs of faces of no person the user said are not one person."""
    path = library.folder / REFUSED_FACE_PAIRS
    if not path.is_file():
        return set()
    return {frozenset(pair) for pair in json.loads(path.read_text(encoding="utf-8"))}


def _refuse_face_pair(library, pair: frozenset[str]) -> None:
    library.check_writable()
    pairs = sorted(sorted(p) for p in refused_face_pairs(library) | {pair})
    path = library.folder / REFUSED_FACE_PAIRS
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(pairs), encoding="utf-8")
    os.replace(partial, path)


def questions(library, limit: int | None = None) -> list[Suggestion]:
    """Every open question of the library, the biggest expected gain first.
    A pair of people is asked about once, as the smaller of the two."""
    catalog = library.catalog
    merges: dict[tuple[int, int], Suggestion] = {}
    for found in merge_suggestions(catalog).values():
        for s in found:
            small, large = sorted((s.person, s.candidate), key=lambda c: (catalog.face_count(c), c))
            if (small, large) not in merges or s.score > merges[small, large].score:
                merges[small, large] = replace(s, person=small, candidate=large)
    about_faces: dict[str, Suggestion] = {}
    for s in face_suggestions(catalog, refused_face_pairs(library)).values():
        if s.id not in about_faces or s.score > about_faces[s.id].score:
            about_faces[s.id] = s
    queue = [s for s in [*merges.values(), *about_faces.values()] if s.score >= MIN_SCORE]
    queue = without_faces_before_birth(library, queue)
    queue.sort(key=lambda s: (-s.gain, -s.score, s.id))
    return queue[:limit] if limit else queue


def find(library, suggestion_id: str) -> Suggestion:
    """The open question with this id."""
    for s in questions(library):
        if s.id == suggestion_id:
            return s
    raise SuggestionNotFoundError(
        f"No open question has the id {suggestion_id!r}: it was answered, or the people it names changed. "
        "List the open ones with: faceorganizer suggest"
    )


def describe(catalog: FaceCatalog, s: Suggestion) -> str:
    """The question in the user's words."""
    if s.kind == MERGE:
        return (f"Is {person_label(catalog, s.person)} the same person as "
                f"{person_label(catalog, s.candidate)}? score {s.score:.2f}")
    if s.kind == PAIR:
        return f"Are faces {s.face_id} and {s.other_face} (of no person) one person? score {s.score:.2f}"
    where = "of no person" if s.candidate is None else f"now in {person_label(catalog, s.candidate)}"
    return f"Is face {s.face_id} ({where}) {person_label(catalog, s.person)}? score {s.score:.2f}"


def person_label(catalog: FaceCatalog, cluster_id: int) -> str:
    """"'Ben' (12 faces)", "an unnamed person (5 faces)"."""
    state = catalog.people.get(cluster_id)
    faces = count(catalog.face_count(cluster_id), "face")
    return f"'{state.name}' ({faces})" if state and state.name else f"an unnamed person ({faces})"


# -- answers ----------------------------------------------------------------------


def accept(library, s: Suggestion) -> ChangeSet:
    """Yes: merge the two people (a named one, else the bigger, keeps its id),
    or move the face to the person."""
    if s.kind == ASSIGN:
        return library.reassign_faces([s.face_id], s.person)
    if s.kind == PAIR:
        return library.reassign_faces([s.face_id, s.other_face], None)
    catalog = library.catalog

    def keeps(cid: int) -> tuple:
        state = catalog.people.get(cid)
        return bool(state and state.name), catalog.face_count(cid), -cid

    target = max((s.person, s.candidate), key=keeps)
    return library.merge_clusters([target, s.person if target == s.candidate else s.candidate])


def reject(library, s: Suggestion) -> ChangeSet:
    """No: the faces of the piece asked about refuse the other person from now
    on, a correction in the log that undo takes back (two faces of no person:
    see REFUSED_FACE_PAIRS)."""
    catalog = library.catalog
    if s.kind == PAIR:
        _refuse_face_pair(library, frozenset((s.face_id, s.other_face)))
        return ChangeSet(f"Faces {s.face_id} and {s.other_face} are not one person")
    if s.kind == ASSIGN:
        faces, other = [s.face_id], s.person
        description = f"Face {s.face_id} is not {person_label(catalog, s.person)}"
    else:
        faces, other = catalog.face_ids_of(s.person), s.candidate
        description = (f"{_upper_first(person_label(catalog, s.person))} is not the same person as "
                       f"{person_label(catalog, s.candidate)}")
    before = {f: catalog.state(f) for f in faces}
    change = ChangeSet(description, before, {f: with_rejected(state, other) for f, state in before.items()})
    batch = Batch()
    library.check_writable()
    library.corrections.record(change, batch)
    return library.apply(change, batch=batch)


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]
