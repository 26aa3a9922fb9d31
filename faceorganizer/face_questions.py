"""The questions about faces: for each face of no person, and each face
more like another person's faces than its own person's, the person or the
face of no person (a pair) it is best matched with, as
faceorganizer.suggestions' Suggestions.

Best matched, not most similar: a candidate's similarity counts less the
more the candidate is like everyone (its hubness; CSLS, as in
word-translation retrieval). A child's face is like many other children's,
so a child's face matched with another child's says little, and the same
child grown up, less similar but like fewer others, comes first. Only faces
elsewhere count towards hubness: a person's own faces, and the other faces
of a photo (which share its light and blur) are left out.

A question's chance of a yes (`suggestions.odds`) reads the similarity and
the margin by which the match, hubness taken off, beats the next best of
either side.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from faceorganizer.clustering import knn
from faceorganizer.people import FaceCatalog
from faceorganizer.suggestions import (
    ASSIGN,
    NO_MATCH,
    PAIR,
    Suggestion,
    Summary,
    hidden_people,
    odds,
    refused_people,
    representatives,
    runner_up,
)

#: People whose mean face an unassigned face is compared with first.
ASSIGN_SHORTLIST = 5
#: Nearest faces found for each face of no person and each person's
#: representative (`nearest_elsewhere`), enough that HUB_NEIGHBOURS others
#: remain once its own person's and its photo's faces are left out.
NEAREST = 24
#: A face of no person's candidates for a pair: the first faces of no
#: person among its nearest elsewhere.
PAIR_CANDIDATES = 12
#: A candidate's hubness is the mean similarity of its HUB_NEIGHBOURS
#: nearest others elsewhere; a face is matched with the candidate whose
#: similarity less HUB_WEIGHT times that is highest (`Hubness`). Measured on
#: faces-dev-family: every weight from 0.5 to 1.0 gains, 0.75 the most.
HUB_NEIGHBOURS = 5
HUB_WEIGHT = 0.75


def face_suggestions(catalog: FaceCatalog, summary: Summary | None = None) -> dict[str, Suggestion]:
    """The question about each face of no person, and each face more like
    another person's faces than its own person's: the person, or the face of
    no person (pair), it is best matched with once each candidate's hubness
    is taken off (see `Hubness`). A face never goes to a person it refused
    (or one of whose faces it refused), nor to a face it refused, nor to a
    person who has a face in its photo. `summary`: the catalog's
    `representatives`, if known."""
    summary = summary or representatives(catalog)
    near = nearest_elsewhere(catalog, summary)
    options = _person_options(catalog, summary)
    for row, found in _face_options(catalog, near, len(summary[0])).items():
        options[row] = options.get(row, []) + found
    hubs = Hubness(near, summary[0])
    ranked = _best_matched(catalog, options, hubs)
    asked = {row: mine[0] for row, mine in ranked.items()
             if mine and mine[0][0] != (ASSIGN, int(catalog.cluster[row]))}  # else: its own person, nothing to ask
    pairs = [(row, option[1]) for row, (option, _, _) in asked.items() if option[0] == PAIR]
    places = np.asarray([(hubs.place[PAIR, row], hubs.place[PAIR, other]) for row, other in pairs],
                        dtype=np.int64).reshape(-1, 2)
    # A pair seen from the other face: this face's hubness to a question about it.
    from_other = dict(zip(pairs, hubs.of(places[:, 0], places[:, 1]).tolist()))
    result: dict[str, Suggestion] = {}
    for row, ((kind, target), sim, matched) in asked.items():
        margin = matched - runner_up([(option, value) for option, _, value in ranked[row]], (kind, target))
        if kind == PAIR:  # and by the margin from the other face's side
            theirs = [(option, value) for option, _, value in ranked.get(target, [])]
            margin = min(margin, sim - HUB_WEIGHT * from_other[row, target] - runner_up(theirs, (PAIR, row)))
        score = float(odds(sim, margin))
        face_id = catalog.ids[row]
        if kind == ASSIGN:
            own = int(catalog.cluster[row])
            result[face_id] = Suggestion(ASSIGN, target, score, 1, None if own < 0 else own, face_id)
        else:
            first, second = sorted((face_id, catalog.ids[target]))
            result[face_id] = Suggestion(PAIR, None, score, 1, face_id=first, other_face=second)
    return result


def _asking(catalog: FaceCatalog, row: int) -> tuple[str, int]:
    """Who a question about this face is asked for: the face if of no person,
    else its person."""
    own = int(catalog.cluster[row])
    return (PAIR, row) if own < 0 else (ASSIGN, own)


@dataclass(frozen=True)
class Nearest:
    """The people's representatives and the faces of no person, each with its
    nearest others elsewhere: neither of its own person nor of its photo."""

    rows: np.ndarray  # catalog rows: the representatives, then the faces of no person
    owner: np.ndarray  # a person's place in the summary; len(people) + i for the i-th face of no person
    neighbours: np.ndarray  # N x NEAREST places in `rows`, best first; -1 where not elsewhere
    sims: np.ndarray


def nearest_elsewhere(catalog: FaceCatalog, summary: Summary) -> Nearest:
    """The NEAREST faces of each representative and face of no person, among
    them all, marked where they are not elsewhere."""
    people, _, valid, rep_rows = summary
    free = catalog.unassigned_rows()
    rows = np.concatenate([rep_rows[valid], free])
    owner = np.concatenate([np.nonzero(valid)[0], len(people) + np.arange(len(free))])
    photo = np.unique(np.asarray(catalog.image_ids, dtype=object)[rows].astype(str), return_inverse=True)[1]
    neighbours, sims = knn(catalog.vectors[rows], NEAREST)
    elsewhere = (owner[neighbours] != owner[:, None]) & (photo[neighbours] != photo[:, None]) & (neighbours >= 0)
    return Nearest(rows, owner, np.where(elsewhere, neighbours, -1), np.where(elsewhere, sims, -np.inf))


class Hubness:
    """How alike each candidate of a face question is to everyone: the mean
    similarity of its HUB_NEIGHBOURS nearest others elsewhere (people and
    faces of no person, each once), but the one asked about. A candidate is
    a person, (ASSIGN, id), whose nearest are those of any of its
    representatives, or a face of no person, (PAIR, row). A child's face is
    like many other children's: matched with one, it says less than an
    adult's face matched as well (CSLS, as in word-translation retrieval)."""

    def __init__(self, near: Nearest, people: list[int]):
        free = near.rows[near.owner >= len(people)]
        self.place = {**{(ASSIGN, cid): i for i, cid in enumerate(people)},
                      **{(PAIR, int(row)): len(people) + i for i, row in enumerate(free.tolist())}}
        at, column = np.nonzero(near.neighbours >= 0)
        who, other, sim = near.owner[at], near.owner[near.neighbours[at, column]], near.sims[at, column]
        order = np.lexsort((-sim, other, who))  # each other once, at its nearest
        order = order[np.r_[True, (np.diff(who[order]) != 0) | (np.diff(other[order]) != 0)]]
        order = order[np.lexsort((-sim[order], who[order]))]
        who, other, sim = who[order], other[order], sim[order]
        rank = np.arange(len(who)) - np.searchsorted(who, who)
        top = rank < HUB_NEIGHBOURS
        self.slots = len(self.place)
        self.count = np.bincount(who[top], minlength=self.slots)
        self.sum = np.bincount(who[top], sim[top], self.slots)
        self.next = np.full(self.slots, np.nan)  # the nearest after those: it stands in for one asked about
        self.next[who[rank == HUB_NEIGHBOURS]] = sim[rank == HUB_NEIGHBOURS]
        # (candidate, one of its nearest) as one sorted number, and an end that no pair reaches
        self.pairs = np.r_[who[top] * self.slots + other[top], np.iinfo(np.int64).max]
        self.sims = np.r_[sim[top], 0.0]

    def of(self, candidates: np.ndarray, asking: np.ndarray) -> np.ndarray:
        """The hubness of each of `candidates` to a question about the one
        of `asking` beside it (their places; -1: not in `place`)."""
        key = candidates * self.slots + asking
        at = np.searchsorted(self.pairs, key)
        asked = (candidates >= 0) & (asking >= 0) & (self.pairs[at] == key)
        stand_in = self.next[candidates]
        total = self.sum[candidates] - np.where(asked, self.sims[at] - np.nan_to_num(stand_in), 0)
        count = self.count[candidates] - (asked & np.isnan(stand_in))
        return np.where((candidates >= 0) & (count > 0), total / np.maximum(count, 1), 0.0)


def _best_matched(catalog: FaceCatalog, options: dict[int, list[tuple[tuple[str, int], float]]],
                  hubs: Hubness) -> dict[int, list[tuple[tuple[str, int], float, float]]]:
    """Each face's options as (option, similarity, similarity less
    HUB_WEIGHT times the option's hubness to it), best matched first."""
    flat = [option for found in options.values() for option in found]
    asking = [hubs.place.get(_asking(catalog, row), -1) for row in options]
    asking = np.repeat(np.asarray(asking, dtype=np.int64), [len(found) for found in options.values()])
    candidates = np.asarray([hubs.place.get(option, -1) for option, _ in flat], dtype=np.int64)
    sims = np.asarray([sim for _, sim in flat], dtype=np.float64)
    matched = (sims - HUB_WEIGHT * hubs.of(candidates, asking)).tolist()
    ranked, start = {}, 0
    for row, found in options.items():
        mine = [(option, sim, value) for (option, sim), value in zip(found, matched[start : start + len(found)])]
        ranked[row] = sorted(mine, key=lambda option: -option[2])
        start += len(found)
    return ranked


def _person_options(catalog: FaceCatalog, summary: Summary) -> dict[int, list[tuple[tuple[str, int], float]]]:
    """For each face of no person, and each face more like another person's
    faces (on average) than its own person's: the people it may belong to,
    ((ASSIGN, person), best similarity to one of their representatives),
    best first; a face's own person is among them."""
    people, reps, valid, _ = summary
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
            refused = refused_people(catalog, row)
            found = [(int(short[n, s]), float(rep_sims[n, s])) for s in range(shortlist)]
            found = [((ASSIGN, people[j]), sim) for j, sim in found
                     if people[j] not in refused and people[j] not in hidden
                     and catalog.image_ids[row] not in photos[j]
                     and mean_sims[i, j] > own_mean[i]]
            if own[i] >= 0:
                found.append(((ASSIGN, people[own[i]]), _best_other_match(catalog, row)))
            result[row] = sorted(found, key=lambda option: -option[1])
    return result


def _face_options(catalog: FaceCatalog, near: Nearest, people: int) -> dict[int, list[tuple[tuple[str, int], float]]]:
    """For each face of no person, the faces of no person among its nearest
    elsewhere that it did not refuse, ((PAIR, row), similarity), best first."""
    pairable = (near.neighbours >= 0) & (near.owner[near.neighbours] >= people)
    result = {}
    for place in np.flatnonzero(near.owner >= people).tolist():
        row = int(near.rows[place])
        refused = catalog.refused_faces.get(row, ())
        others = near.rows[near.neighbours[place, pairable[place]]][:PAIR_CANDIDATES].tolist()
        result[row] = [((PAIR, other), sim) for other, sim in zip(others, near.sims[place, pairable[place]].tolist())
                       if catalog.ids[other] not in refused]
    return result


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
