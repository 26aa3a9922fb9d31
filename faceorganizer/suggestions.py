"""Suggestions: who is likely who, computed from the library's FaceCatalog
(on demand, so as fresh as its faces and corrections). faceorganizer.review
turns them into the queue of questions and their answers.

- merge: for every person, the people most likely the same person. Each
  person is summarised by a few representative faces (its most typical face,
  then in turn the face least like those chosen, so a child's and an adult's
  looks both stay); a pair is scored by how well the smaller one's faces each
  find a match among the other's, not by the people's mean faces; two people
  who share a photo (a photo shows a person once), who were refused, or whom
  the user named differently are never suggested. A hidden person (the user
  ignores them: a stranger) is never suggested, nor are their faces asked about.
- assign and pair: for each face of no person, and each face more like
  another person's faces than its own person's, the person or the face of no
  person it is best matched with (a pair: a yes makes the two a person); see
  faceorganizer.face_questions.

A suggestion's `score` is the chance that the answer is yes (`odds`): a
logistic of the similarity and of the margin by which the match beats the
next best of either side; `fixes` is the faces a yes puts right.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from faceorganizer.people import FaceCatalog

MERGE = "merge"
ASSIGN = "assign"
PAIR = "pair"

#: Faces that summarise a person.
REPRESENTATIVES = 12
#: Merge candidates kept per person.
CANDIDATES = 5
#: The chance of a yes: a logistic of the similarity (even at MIDPOINT when
#: nothing else competes, SLOPE wide) plus the margin by which the match
#: beats the next best of either side (a face whose best match stands out
#: from its others is far more often right than its similarity alone says).
#: Fitted on the dev sets (benchmarks/review_gestures.py), one rule for every
#: kind of question.
MIDPOINT, SLOPE, MARGIN_SCALE = 0.38, 0.08, 0.067
#: Two people the grouping left apart are one person less often at the same
#: similarity: the even bet is higher for a merge.
MERGE_MIDPOINT = 0.5
#: The similarity of a match to "nothing else", for the margin.
NO_MATCH = 0.0

_BLOCK = 128


@dataclass(frozen=True)
class Suggestion:
    """A question for the user.

    merge: is `person` (the smaller piece) the same person as `candidate`?
    assign: does face `face_id` belong to `person`? (`candidate` is the
    person it is in now, or None.)
    pair: are `face_id` and `other_face`, two faces of no person, one person?
    """

    kind: str
    person: int | None
    score: float
    fixes: int  # faces a yes puts right
    candidate: int | None = None
    face_id: str | None = None
    other_face: str | None = None

    @property
    def id(self) -> str:
        """Stable while the people it names are: 'merge:4:9', 'assign:FACE:9'."""
        if self.kind == MERGE:
            return f"{MERGE}:{self.person}:{self.candidate}"
        if self.kind == PAIR:
            return f"{PAIR}:{self.face_id}:{self.other_face}"
        return f"{ASSIGN}:{self.face_id}:{self.person}"

    @property
    def gain(self) -> float:
        """Faces a yes puts right, times the chance of a yes."""
        return self.score * self.fixes

    def to_json(self) -> dict:
        base = {"id": self.id, "kind": self.kind}
        if self.kind == MERGE:
            base.update(person=self.person, candidate=self.candidate)
        elif self.kind == PAIR:
            base.update(face_id=self.face_id, other_face=self.other_face)
        else:
            base.update(face_id=self.face_id, person=self.person, current=self.candidate)
        return {**base, "score": round(self.score, 3), "fixes": self.fixes}


# -- summaries ---------------------------------------------------------------------


Summary = tuple[list[int], np.ndarray, np.ndarray, np.ndarray]


def representatives(catalog: FaceCatalog, size: int = REPRESENTATIVES) -> Summary:
    """(people, reps P x size x dim, valid P x size, their rows P x size, -1
    where not valid): each person's most typical face, then in turn the face
    least like those already chosen (every face of a person with at most
    `size`)."""
    people = sorted(catalog.cluster_ids())
    chosen = np.full((len(people), size), -1, dtype=np.int64)
    rows = np.flatnonzero(catalog.alive & (catalog.cluster >= 0))
    rows = rows[np.argsort(catalog.cluster[rows], kind="stable")]
    bounds = np.searchsorted(catalog.cluster[rows], people + [np.iinfo(np.int64).max])
    for i, cid in enumerate(people):
        own = rows[bounds[i] : bounds[i + 1]]
        if len(own) <= size:
            chosen[i, : len(own)] = own
            continue
        members = catalog.vectors[own]
        picked = [int(np.argmax(members @ catalog.mean(cid)))]
        nearest = members @ members[picked[0]]
        for _ in range(size - 1):
            picked.append(int(np.argmin(nearest)))
            nearest = np.maximum(nearest, members @ members[picked[-1]])
        chosen[i] = own[picked]
    valid = chosen >= 0
    reps = catalog.vectors[chosen] * valid[:, :, None]
    return people, reps, valid, chosen


def hidden_people(catalog: FaceCatalog) -> list[int]:
    return [cid for cid, state in catalog.people.items() if state.hidden]


def shared_photo_pairs(catalog: FaceCatalog) -> set[tuple[int, int]]:
    """Pairs of people (low id first) with faces in one photo."""
    rows = np.flatnonzero(catalog.alive & (catalog.cluster >= 0))
    photos = np.unique(np.asarray(catalog.image_ids, dtype=object)[rows].astype(str), return_inverse=True)[1]
    pairs = np.unique(np.stack([photos, catalog.cluster[rows]], axis=1), axis=0)
    starts = np.flatnonzero(np.r_[True, np.diff(pairs[:, 0]) != 0, True])
    shared = set()
    for start, end in zip(starts[:-1], starts[1:]):
        if end - start > 1:
            people = sorted(pairs[start:end, 1].tolist())
            shared.update((a, b) for i, a in enumerate(people) for b in people[i + 1 :])
    return shared


def refused_pairs(catalog: FaceCatalog) -> set[tuple[int, int]]:
    """Pairs of people (low id first) one of whose faces refuses the other,
    or a face of the other."""
    pairs = set()
    for row, refused in catalog.rejected.items():
        own = int(catalog.cluster[row])
        if own >= 0 and catalog.alive[row]:
            pairs.update((min(own, r), max(own, r)) for r in refused if r != own)
    for row in catalog.refused_faces:
        own = int(catalog.cluster[row])
        if own >= 0 and catalog.alive[row]:
            pairs.update((min(own, r), max(own, r)) for r in refused_people(catalog, row) if r != own)
    return pairs


def refused_people(catalog: FaceCatalog, row: int) -> set[int]:
    """The people a face refuses, or whose faces it refuses."""
    others = {catalog.row[f] for f in catalog.refused_faces.get(row, ()) if f in catalog.row}
    return catalog.rejected.get(row, set()) | {int(catalog.cluster[r]) for r in others if catalog.cluster[r] >= 0}


def odds(similarity, margin, midpoint: float = MIDPOINT):
    """The chance that a question with this similarity and margin is a yes."""
    z = (np.asarray(similarity, dtype=np.float64) - midpoint) / SLOPE + np.asarray(margin) / MARGIN_SCALE
    return 1.0 / (1.0 + np.exp(-z))


def runner_up(options: list[tuple[object, float]], besides: object) -> float:
    """The best similarity in `options` (best first) to anything but `besides`."""
    return next((sim for other, sim in options if other != besides), NO_MATCH)


# -- merge ------------------------------------------------------------------------


def match_similarity(reps: np.ndarray, valid: np.ndarray, block: slice, sizes: np.ndarray) -> np.ndarray:
    """The people of `block` against every person (B x P): how well the
    smaller one's faces find a match in the other, the mean over its faces of
    the best similarity to the other's. A split person's pieces match face
    by face; two different people match only by a lucky pair or two, which
    this dilutes (the best pair alone grows with the number of pairs)."""
    people, size, dim = reps.shape
    sims = reps[block].reshape(-1, dim) @ reps.reshape(-1, dim).T
    sims = np.where(valid[block].reshape(-1, 1) & valid.reshape(1, -1), sims, -np.inf)
    sims = sims.reshape(-1, size, people, size).transpose(0, 2, 1, 3)  # B x P x own face x other face
    mine = np.where(valid[block][:, None, :], sims.max(axis=3), 0).sum(axis=2) / valid[block].sum(1)[:, None]
    theirs = np.where(valid[None, :, :], sims.max(axis=2), 0).sum(axis=2) / valid.sum(1)[None, :]
    return np.where(sizes[block][:, None] <= sizes[None, :], mine, theirs)


def merge_suggestions(catalog: FaceCatalog, per_person: int = CANDIDATES,
                      summary: Summary | None = None) -> dict[int, list[Suggestion]]:
    """For every person, the people most likely the same person, the most
    similar first:
    never one it shares a photo with, one it refused, or (for a named person)
    one the user named otherwise. `summary`: the catalog's `representatives`,
    if known."""
    people, reps, valid, _ = summary or representatives(catalog)
    if len(people) < 2:
        return {}
    position = {cid: i for i, cid in enumerate(people)}
    never = np.asarray([(position[a], position[b]) for a, b in shared_photo_pairs(catalog) | refused_pairs(catalog)
                        if a in position and b in position], dtype=np.int64).reshape(-1, 2)
    never = np.concatenate([never, never[:, ::-1]])
    sizes = np.asarray([catalog.face_count(c) for c in people])
    named = np.asarray([bool((s := catalog.people.get(c)) and s.name) for c in people])
    hidden = np.isin(people, hidden_people(catalog))
    take = min(per_person + 1, len(people) - 1)
    options: list[list[tuple[int, float]]] = []  # per person: (person, similarity), best first
    for start in range(0, len(people), _BLOCK):
        block = slice(start, min(start + _BLOCK, len(people)))
        similarity = match_similarity(reps, valid, block, sizes)
        rows = np.arange(block.start, block.stop)
        similarity[rows - start, rows] = -np.inf
        similarity[np.ix_(named[block], named)] = -np.inf
        similarity[:, hidden] = -np.inf
        inside = (never[:, 0] >= block.start) & (never[:, 0] < block.stop)
        similarity[never[inside, 0] - start, never[inside, 1]] = -np.inf
        best = np.argpartition(-similarity, take - 1, axis=1)[:, :take]
        for i, candidates in zip(rows.tolist(), best):
            values = similarity[i - start, candidates]
            order = np.argsort(-values, kind="stable")
            options.append([(int(j), float(v)) for j, v in zip(candidates[order], values[order]) if np.isfinite(v)])
    result: dict[int, list[Suggestion]] = {}
    for i, found in enumerate(options):
        if hidden[i]:
            continue
        margins = [sim - max(runner_up(found, j), runner_up(options[j], i)) for j, sim in found]
        scores = odds([sim for _, sim in found], margins, MERGE_MIDPOINT)
        result[people[i]] = [Suggestion(MERGE, people[i], score, int(min(sizes[i], sizes[j])), people[j])
                             for score, (j, _) in zip(scores.tolist()[:per_person], found)]
    return result
