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
  person it is most similar to (a pair: a yes makes the two a person).

A suggestion's `score` is the chance that the answer is yes (`odds`): a
logistic of the similarity and of the margin by which the match beats the
next best of either side; `fixes` is the faces a yes puts right.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from faceorganizer.clustering import knn
from faceorganizer.people import FaceCatalog

MERGE = "merge"
ASSIGN = "assign"
PAIR = "pair"

#: Faces that summarise a person.
REPRESENTATIVES = 12
#: Merge candidates kept per person.
CANDIDATES = 5
#: People whose mean face an unassigned face is compared with first.
ASSIGN_SHORTLIST = 5
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
#: Nearest faces of no person a face of no person is compared with.
PAIR_NEIGHBOURS = 4

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


Summary = tuple[list[int], np.ndarray, np.ndarray]


def representatives(catalog: FaceCatalog, size: int = REPRESENTATIVES) -> Summary:
    """(people, reps P x size x dim, valid P x size): each person's most
    typical face, then in turn the face least like those already chosen
    (every face of a person with at most `size`)."""
    people = sorted(catalog.cluster_ids())
    reps = np.zeros((len(people), size, catalog.dim), dtype=np.float32)
    valid = np.zeros((len(people), size), dtype=bool)
    rows = np.flatnonzero(catalog.alive & (catalog.cluster >= 0))
    rows = rows[np.argsort(catalog.cluster[rows], kind="stable")]
    bounds = np.searchsorted(catalog.cluster[rows], people + [np.iinfo(np.int64).max])
    for i, cid in enumerate(people):
        members = catalog.vectors[rows[bounds[i] : bounds[i + 1]]]
        if len(members) <= size:
            reps[i, : len(members)] = members
            valid[i, : len(members)] = True
            continue
        chosen = [int(np.argmax(members @ catalog.mean(cid)))]
        nearest = members @ members[chosen[0]]
        for _ in range(size - 1):
            chosen.append(int(np.argmin(nearest)))
            nearest = np.maximum(nearest, members @ members[chosen[-1]])
        reps[i] = members[chosen]
        valid[i] = True
    return people, reps, valid


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
            pairs.update((min(own, r), max(own, r)) for r in _refused_people(catalog, row) if r != own)
    return pairs


def _refused_people(catalog: FaceCatalog, row: int) -> set[int]:
    """The people a face refuses, or whose faces it refuses."""
    others = {catalog.row[f] for f in catalog.refused_faces.get(row, ()) if f in catalog.row}
    return catalog.rejected.get(row, set()) | {int(catalog.cluster[r]) for r in others if catalog.cluster[r] >= 0}


def odds(similarity, margin, midpoint: float = MIDPOINT):
    """The chance that a question with this similarity and margin is a yes."""
    z = (np.asarray(similarity, dtype=np.float64) - midpoint) / SLOPE + np.asarray(margin) / MARGIN_SCALE
    return 1.0 / (1.0 + np.exp(-z))


def _runner_up(options: list[tuple[object, float]], besides: object) -> float:
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
    people, reps, valid = summary or representatives(catalog)
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
        margins = [sim - max(_runner_up(found, j), _runner_up(options[j], i)) for j, sim in found]
        scores = odds([sim for _, sim in found], margins, MERGE_MIDPOINT)
        result[people[i]] = [Suggestion(MERGE, people[i], score, int(min(sizes[i], sizes[j])), people[j])
                             for score, (j, _) in zip(scores.tolist()[:per_person], found)]
    return result


# -- faces ------------------------------------------------------------------------


def face_suggestions(catalog: FaceCatalog, summary: Summary | None = None) -> dict[str, Suggestion]:
    """The question about each face of no person, and each face more like
    another person's faces than its own person's: the person, or the face of
    no person (pair), it is most similar to. A face never goes to a person it
    refused (or one of whose faces it refused), nor to a face it refused, nor
    to a person who has a face in its photo. `summary`: as for merges."""
    options = _person_options(catalog, summary or representatives(catalog))
    for row, found in _face_options(catalog).items():
        options[row] = sorted(options.get(row, []) + found, key=lambda option: -option[1])
    result: dict[str, Suggestion] = {}
    for row, mine in options.items():
        if not mine:
            continue
        (kind, target), sim = mine[0]
        own = int(catalog.cluster[row])
        if kind == ASSIGN and target == own:
            continue  # most like its own person: nothing to ask
        runner_up = _runner_up(mine, (kind, target))
        if kind == PAIR:
            runner_up = max(runner_up, _runner_up(options.get(target, []), (PAIR, row)))
        score = float(odds(sim, sim - runner_up))
        face_id = catalog.ids[row]
        if kind == ASSIGN:
            result[face_id] = Suggestion(ASSIGN, target, score, 1, None if own < 0 else own, face_id)
        else:
            first, second = sorted((face_id, catalog.ids[target]))
            result[face_id] = Suggestion(PAIR, None, score, 1, face_id=first, other_face=second)
    return result


def _person_options(catalog: FaceCatalog, summary: Summary) -> dict[int, list[tuple[tuple[str, int], float]]]:
    """For each face of no person, and each face more like another person's
    faces (on average) than its own person's: the people it may belong to,
    ((ASSIGN, person), best similarity to one of their representatives),
    best first; a face's own person is among them."""
    people, reps, valid = summary
    if not people:
        return {}
    slot = {cid: i for i, cid in enumerate(people)}
    ids, sums, counts = catalog.person_matrix()
    order = np.argsort(ids)  # as `people`
    sums, counts = sums[order], counts[order]
    means = (sums / counts[:, None]).astype(np.float32)
    photos = [catalog.photos_of(c) for c in people]
    hidden = set(hidden_people(catalog))
    usable = catalog.usable_rows()
    usable = usable[~np.isin(catalog.cluster[usable], list(hidden))]
    result = {}
    for start in range(0, len(usable), 4096):
        rows = usable[start : start + 4096]
        vectors = catalog.vectors[rows]
        mean_sims = vectors @ means.T  # a face's mean similarity to each person's faces
        own = np.asarray([slot.get(int(c), -1) for c in catalog.cluster[rows]])
        at = np.flatnonzero(own >= 0)
        # Its own person's faces without itself (a face alone in its person: never asked).
        others = counts[own[at]] - 1
        own_mean = np.full(len(rows), -np.inf)
        own_mean[at] = np.where(others > 0, (mean_sims[at, own[at]] * counts[own[at]] - 1) / np.maximum(others, 1),
                                np.inf)
        mean_sims[at, own[at]] = -np.inf
        asked = np.flatnonzero((own < 0) | (mean_sims.max(axis=1) > own_mean))
        if not len(asked):
            continue
        shortlist = min(ASSIGN_SHORTLIST, len(people))
        short = np.argpartition(-mean_sims[asked], shortlist - 1, axis=1)[:, :shortlist]
        rep_sims = _best_representative(vectors[asked], short, reps, valid)
        for n, i in enumerate(asked.tolist()):
            row = int(rows[i])
            refused = _refused_people(catalog, row)
            found = [(int(short[n, s]), float(rep_sims[n, s])) for s in range(shortlist)]
            found = [((ASSIGN, people[j]), sim) for j, sim in found
                     if people[j] not in refused and people[j] not in hidden
                     and catalog.image_ids[row] not in photos[j]
                     and mean_sims[i, j] > own_mean[i]]
            if own[i] >= 0:
                found.append(((ASSIGN, people[own[i]]), _best_other_match(catalog, row)))
            result[row] = sorted(found, key=lambda option: -option[1])
    return result


def _face_options(catalog: FaceCatalog) -> dict[int, list[tuple[tuple[str, int], float]]]:
    """For each face of no person, its nearest faces of no person in other
    photos, ((PAIR, row), similarity), best first."""
    rows = catalog.unassigned_rows()
    if len(rows) < 2:
        return {}
    neighbours, sims = knn(catalog.vectors[rows], PAIR_NEIGHBOURS)
    photos = np.asarray(catalog.image_ids, dtype=object)[rows]
    ids = [catalog.ids[r] for r in rows]
    return {
        int(rows[i]): [((PAIR, int(rows[other])), sim) for other, sim in zip(nearest, values)
                       if other >= 0 and photos[other] != photos[i]
                       and ids[other] not in catalog.refused_faces.get(int(rows[i]), ())]
        for i, (nearest, values) in enumerate(zip(neighbours.tolist(), sims.tolist()))
    }


def _best_other_match(catalog: FaceCatalog, row: int) -> float:
    """A face's best similarity to the other faces of its person."""
    others = catalog.rows_of(int(catalog.cluster[row]))
    others = others[others != row]
    return float((catalog.vectors[others] @ catalog.vectors[row]).max()) if len(others) else NO_MATCH


def _best_representative(vectors: np.ndarray, shortlist: np.ndarray, reps: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Each face's best similarity to a representative of each person on its
    shortlist (N x S), one matrix product per person."""
    best = np.full(shortlist.shape, -1.0, dtype=np.float32)
    faces, places = np.divmod(np.arange(shortlist.size), shortlist.shape[1])
    people = shortlist.ravel()
    order = np.argsort(people, kind="stable")
    bounds = np.flatnonzero(np.r_[True, np.diff(people[order]) != 0, True])
    for start, end in zip(bounds[:-1], bounds[1:]):
        at = order[start:end]
        person = people[at[0]]
        best[faces[at], places[at]] = (vectors[faces[at]] @ reps[person, valid[person]].T).max(axis=1)
    return best
