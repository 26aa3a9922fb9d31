"""The review queue as the library service keeps it for the window.

Computing every open question (faceorganizer.review) reads the whole
library: seconds at 100,000 faces. So the service never waits for it. The
queue is computed on a thread of its own, from a snapshot of the library's
catalog, whenever the library was written since (each write makes a new
generation); the questions about people come first (those that lead the
queue are known in a fraction of the time), then the whole queue. An answer,
or any change, drops at once the questions naming a person or face it
changed, so the next question shows without waiting.

This module imports no Qt.
"""

from __future__ import annotations

import logging
import threading

import numpy as np

from faceorganizer.humanize import count
from faceorganizer.people import ChangeSet, FaceCatalog
from faceorganizer.protocol import FaceItem, Question
from faceorganizer.ages import without_faces_before_birth
from faceorganizer.review import SuggestionNotFoundError, staged_questions, sure_head
from faceorganizer.suggestions import MERGE, PAIR, Suggestion

log = logging.getLogger(__name__)

#: Questions sent to the window at a time (it skips among them).
HEAD = 20
#: Faces shown of each side of a question.
FACES_SHOWN = 6


class ReviewQueue:
    """The open questions of one library, kept between its writes.

    The service thread calls every method; the computing thread only leaves
    its results (under a lock) for `collect`."""

    def __init__(self) -> None:
        self._questions: list[Suggestion] | None = None  # None: never computed
        self.complete = False  # False: only the questions that lead the queue are known
        self._generation: str | None = None  # of the library the queue was computed from
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._result: tuple[int, list[Suggestion], bool] | None = None
        self._since: list[ChangeSet] = []  # changes made since the snapshot of the last computation

    @property
    def computed(self) -> bool:
        return self._questions is not None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def refresh(self, library) -> None:
        """Compute the queue anew on a thread if the library was written since
        it was last computed (and no computation is running)."""
        if self.running or self._generation == library.generation:
            return
        self._since = []
        self._thread = threading.Thread(target=self._compute, args=(library.catalog.snapshot(), library.generation),
                                        name="faceorganizer-review", daemon=True)
        self._thread.start()

    def collect(self) -> bool:
        """Take what the thread computed since the last call; True if the queue changed."""
        with self._lock:
            result, self._result = self._result, None
        if result is None:
            return False
        generation, queue, complete = result
        if not complete and self.computed:
            return False  # the queue as last computed, less what changed since, until the new one is whole
        for change in self._since:
            queue = _without(queue, change)
        self._questions, self.complete = queue, complete
        if complete:
            self._generation = generation
        return True

    def wait(self) -> None:
        """Until the running computation is done (`collect` then takes it)."""
        if self._thread is not None:
            self._thread.join()

    def changed(self, change: ChangeSet) -> None:
        """Drop the questions that name a person or face `change` touched
        (from the queue kept, and from the one being computed once it comes)."""
        self._since.append(change)
        if self._questions is not None:
            self._questions = _without(self._questions, change)

    def find(self, question_id: str) -> Suggestion:
        """The open question with this id, of those kept."""
        for s in self._questions or []:
            if s.id == question_id:
                return s
        raise SuggestionNotFoundError("this question was answered already, or the people it names changed since.")

    def head(self, library) -> tuple[list[Question], int | None]:
        """The first questions as the window shows them, and how many are open
        (None: not counted yet)."""
        queue = without_faces_before_birth(library, self._questions or [])
        return [question(library, s) for s in queue[:HEAD]], len(queue) if self.complete else None

    def _compute(self, catalog: FaceCatalog, generation: str) -> None:
        try:
            stages = staged_questions(catalog)
            about_people = next(stages)
            with self._lock:
                self._result = (generation, sure_head(about_people), False)
            queue = next(stages)
        except Exception:  # a bug: no questions until the library changes, and the window lives on
            log.exception("cannot compute the review questions")
            queue = []
        with self._lock:
            self._result = (generation, queue, True)


def _without(queue: list[Suggestion], change: ChangeSet) -> list[Suggestion]:
    people, faces = change.cluster_ids, set(change.faces_after)
    return [s for s in queue if not ({s.person, s.candidate} & people or {s.face_id, s.other_face} & faces)]


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
