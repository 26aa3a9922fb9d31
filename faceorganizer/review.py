"""Review: the queue of questions whose answers fix the most faces, and the
answers.

The queue holds faceorganizer.suggestions' merges (each pair of people once,
asked about the smaller) and faceorganizer.face_questions' questions about
faces, ordered by expected gain: the faces a yes puts right times the chance
of a yes. A yes is the
library's own correction (`merge_clusters`, `reassign_faces`). A no is one
too, a refusal (faceorganizer.refusals), which no later grouping crosses and
no later question asks again; undo takes it back.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from faceorganizer.ages import without_faces_before_birth
from faceorganizer.errors import FaceOrganizerError
from faceorganizer.face_questions import face_suggestions
from faceorganizer.humanize import count
from faceorganizer.people import ChangeSet, FaceCatalog
from faceorganizer.refusals import FacesApart, FacesNotPerson, PeopleApart
from faceorganizer.suggestions import (
    ASSIGN,
    MERGE,
    PAIR,
    Suggestion,
    merge_suggestions,
    representatives,
)

#: A question is asked only when a yes is at least this likely.
MIN_SCORE = 0.02
#: The most a question about one face can gain: the one face.
FACE_GAIN = 1.0


class SuggestionNotFoundError(FaceOrganizerError):
    """No open question has this id (answered, or the people changed)."""


def questions(library, limit: int | None = None) -> list[Suggestion]:
    """Every open question of the library, the biggest expected gain first.
    A pair of people is asked about once, as the smaller of the two."""
    *_, queue = staged_questions(library.catalog)
    queue = without_faces_before_birth(library, queue)
    return queue[:limit] if limit else queue


def staged_questions(catalog: FaceCatalog) -> Iterator[list[Suggestion]]:
    """The queue in two steps, each best first: the questions about people
    (quick: one per pair of people), then every question. A question about
    a face puts at most one face right, so the questions about people that
    gain more (`sure_head`) lead the whole queue too: they can be asked
    before the rest is known."""
    summary = representatives(catalog)
    merges: dict[tuple[int, int], Suggestion] = {}
    for found in merge_suggestions(catalog, summary=summary).values():
        for s in found:
            small, large = sorted((s.person, s.candidate), key=lambda c: (catalog.face_count(c), c))
            if (small, large) not in merges or s.score > merges[small, large].score:
                merges[small, large] = replace(s, person=small, candidate=large)
    about_people = _ordered(merges.values())
    yield about_people
    about_faces: dict[str, Suggestion] = {}
    for s in face_suggestions(catalog, summary).values():
        if s.id not in about_faces or s.score > about_faces[s.id].score:
            about_faces[s.id] = s
    yield _ordered([*about_people, *about_faces.values()])


def sure_head(about_people: list[Suggestion]) -> list[Suggestion]:
    """The questions about people that lead the whole queue (see `staged_questions`)."""
    return [s for s in about_people if s.gain > FACE_GAIN]


def _ordered(found) -> list[Suggestion]:
    return sorted((s for s in found if s.score >= MIN_SCORE), key=lambda s: (-s.gain, -s.score, s.id))


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
    """No: the piece asked about is not the other person, the face not the
    person, or the two faces not one person, from now on."""
    if s.kind == PAIR:
        return library.refuse(FacesApart(s.face_id, s.other_face))
    if s.kind == ASSIGN:
        return library.refuse(FacesNotPerson((s.face_id,), s.person))
    return library.refuse(PeopleApart(s.person, s.candidate))
