"""The review queue as the library service keeps it for the window.

Computing every open question (faceorganizer.review.questions) reads the
whole library, so the queue is computed once per library generation (each
write makes a new one) and kept. An answer drops at once the questions
naming a person or face it changed, so the next question shows without
waiting; the service computes the queue again when it is idle.

This module imports no Qt.
"""

from __future__ import annotations

import numpy as np

from faceorganizer import review
from faceorganizer.humanize import count
from faceorganizer.people import ChangeSet
from faceorganizer.protocol import FaceItem, Question
from faceorganizer.suggestions import MERGE, PAIR, Suggestion

#: Questions sent to the window at a time (it skips among them).
HEAD = 20
#: Faces shown of each side of a question.
FACES_SHOWN = 6


class ReviewQueue:
    """The open questions of one library, kept between its writes."""

    def __init__(self) -> None:
        self._questions: list[Suggestion] | None = None
        self._generation: int | None = None

    @property
    def computed(self) -> bool:
        return self._questions is not None

    def stale(self, library) -> bool:
        """Whether the library was written since the queue was computed."""
        return self._generation != library.generation

    def refresh(self, library) -> None:
        self._questions = review.questions(library)
        self._generation = library.generation

    def questions(self, library) -> list[Suggestion]:
        """The queue, computed now if it never was (else as last computed,
        less what changed since)."""
        if self._questions is None:
            self.refresh(library)
        return self._questions

    def find(self, library, question_id: str) -> Suggestion:
        for s in self.questions(library):
            if s.id == question_id:
                return s
        return review.find(library, question_id)

    def changed(self, change: ChangeSet) -> None:
        """Drop the questions that name a person or face `change` touched."""
        if self._questions is None:
            return
        people, faces = change.cluster_ids, set(change.faces_after)
        self._questions = [s for s in self._questions
                           if not ({s.person, s.candidate} & people or {s.face_id, s.other_face} & faces)]

    def head(self, library) -> tuple[list[Question], int]:
        """The first questions as the window shows them, and how many are open."""
        queue = self.questions(library)
        return [question(library, s) for s in queue[:HEAD]], len(queue)


def question(library, s: Suggestion) -> Question:
    """A question in the window's words, with the faces to compare."""
    catalog = library.catalog
    if s.kind == PAIR:
        left, right = [s.face_id], [s.other_face]
        return Question(s.id, "Same person?", "A face of no person", "A face of no person",
                        _items(library, left), _items(library, right))
    # The person asked about on the left: a merge's named (else bigger) person, an assign's person.
    person, other = (s.candidate, s.person) if s.kind == MERGE else (s.person, s.candidate)
    if s.kind == MERGE and _name(library, other) and not _name(library, person):
        person, other = other, person
    name = _name(library, person)
    text = f"Is this {name}?" if name else "Same person?"
    if s.kind == MERGE:
        right, right_label = best_faces(library, other), _label(library, other)
    else:
        right = [s.face_id]
        right_label = ("A face of no person" if other is None
                       else f"A face of {_name(library, other) or 'an unnamed person'}")
    return Question(s.id, text, _label(library, person), right_label,
                    _items(library, best_faces(library, person)), _items(library, right))


def best_faces(library, cluster_id: int, shown: int = FACES_SHOWN) -> list[str]:
    """The faces most like the rest of their person, the most typical first."""
    catalog = library.catalog
    rows = catalog.rows_of(cluster_id)
    similarity = catalog.similarity_to_person(rows, cluster_id)
    return [catalog.ids[r] for r in rows[np.argsort(-similarity, kind="stable")[:shown]]]


def _name(library, cluster_id: int) -> str | None:
    state = library.catalog.people.get(cluster_id)
    return state.name if state else None


def _label(library, cluster_id: int) -> str:
    """"Anna · 128 faces", "Unnamed · 5 faces"."""
    return f"{_name(library, cluster_id) or 'Unnamed'} · {count(library.catalog.face_count(cluster_id), 'face')}"


def _items(library, face_ids: list[str]) -> list[FaceItem]:
    paths = library.paths_of(face_ids)
    return [FaceItem(f, paths.get(f)) for f in face_ids]
