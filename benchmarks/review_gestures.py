"""Review: how many answers a user needs to fix a library, against the gestures
needed without the questions.

    python benchmarks/review_gestures.py [--shared DIR] [--cache DIR] [--sets NAME ...] [--answers N]

Each set of cluster_quality.py is indexed into a fresh library (grouped as
indexing leaves it). A simulated user then answers the review queue
(`faceorganizer.review.questions`) truthfully, one question at a time,
the first question in the queue each time, through the library's own
corrections (a yes merges or moves, a no is remembered); a question about
faces no label covers is skipped. Reported per set:

- gestures to fix: the drags and merges a user needs to reach the true people
  without help (see `gestures_to_fix`), and BCubed precision / recall / F,
  before any answer and after 10, 25, 50, 100 and all answers;
- answers to F >= 0.99: how many answers reach it (if they do);
- first-suggestion hits: of the true people left split, the share whose
  smallest piece has the right merge as its first suggestion (the issue asks
  for 80% on family sets and 95% on adults);
- calibration: the share of yes answers by the score a question had, the
  check that a score reads as the chance of a yes.
"""

from __future__ import annotations

import argparse
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

from cluster_quality import REPO, EvalSet, describe, evaluation_set, score
from faceorganizer import face_questions, review, suggestions
from faceorganizer.faces import FaceAnalyzer

SETS = ("faces-dev", "hard", "family")
CHECKPOINTS = (10, 25, 50, 100)


def gestures_to_fix(clusters: np.ndarray, labels: np.ndarray) -> int:
    """Drags and merges that turn `clusters` (-1: no person) into the true
    people, over the labelled faces.

    A piece is the faces of one true person within one cluster, or one face
    of no person. Each gesture joins two pieces of a true person (a merge, or
    a drag of faces onto the person); a true person that is the majority of no
    cluster but has faces inside one needs one more (a drag out, to a new
    person). A true person of one face that belongs to no person is right."""
    scored = labels >= 0
    truth, pred = labels[scored], np.asarray(clusters)[scored]
    lonely = pred < 0
    cells = Counter(zip(pred[~lonely].tolist(), truth[~lonely].tolist()))
    pieces = Counter(label for _, label in cells) + Counter(truth[lonely].tolist())
    majority = {}
    for (cluster, label), n in cells.items():
        if n > majority.get(cluster, (0, -1))[0]:
            majority[cluster] = (n, label)
    leading = {label for _, label in majority.values()}
    in_clusters = {label for _, label in cells}
    return sum(n - 1 for n in pieces.values()) + len(in_clusters - leading)


def clusters_of(lib, data: EvalSet) -> np.ndarray:
    catalog = lib.catalog
    return catalog.cluster[[catalog.row[i] for i in data.ids]].copy()


class TrueUser:
    """Answers questions from the labels: a person is its labelled faces' majority."""

    def __init__(self, lib, data: EvalSet):
        self.lib = lib
        self.label = {face_id: int(label) for face_id, label in zip(data.ids, data.labels) if label >= 0}

    def person_label(self, cluster_id: int) -> int | None:
        labels = Counter(self.label[f] for f in self.lib.catalog.face_ids_of(cluster_id) if f in self.label)
        return labels.most_common(1)[0][0] if labels else None

    def answer(self, s: suggestions.Suggestion) -> bool | None:
        """True (yes), False (no), or None: the labels cannot say."""
        if s.kind == suggestions.PAIR:
            person, other = self.label.get(s.face_id), self.label.get(s.other_face)
        else:
            person = self.person_label(s.person)
            other = self.person_label(s.candidate) if s.kind == suggestions.MERGE else self.label.get(s.face_id)
        if person is None or other is None:
            return None
        return person == other


def first_suggestion_hits(lib, user: TrueUser) -> tuple[int, int]:
    """(hits, split people): for each true person in two or more pieces (its
    clusters, and each of its faces of no person), whether the best question
    about its smallest piece joins it to another piece of it: a person's
    first merge suggestion, or a face's question (`face_suggestions`)."""
    catalog = lib.catalog
    pieces: dict[int, list] = {}
    for cid in catalog.cluster_ids():
        label = user.person_label(cid)
        if label is not None:
            pieces.setdefault(label, []).append(cid)
    for row in catalog.unassigned_rows().tolist():
        if (label := user.label.get(catalog.ids[row])) is not None:
            pieces.setdefault(label, []).append(catalog.ids[row])
    merges = suggestions.merge_suggestions(catalog)
    about_face = face_questions.face_suggestions(catalog)
    split = hits = 0
    for label, parts in pieces.items():
        if len(parts) < 2:
            continue
        split += 1
        smallest = min(parts, key=lambda p: (0, p) if isinstance(p, str) else (catalog.face_count(p), str(p)))
        if isinstance(smallest, str):
            s = about_face.get(smallest)
            hits += s is not None and user.answer(s) is True
        else:
            first = merges.get(smallest, [])
            hits += bool(first) and first[0].candidate in parts
    return hits, split


def simulate(lib, data: EvalSet, max_answers: int, trace_answers: bool = False) -> dict:
    user = TrueUser(lib, data)
    hits, split = first_suggestion_hits(lib, user)
    start = clusters_of(lib, data)
    trace = [(0, gestures_to_fix(start, data.labels), score(start, data.labels))]
    calibration: list[tuple[float, bool]] = []
    skipped: set[str] = set()
    answers = 0
    while answers < max_answers:
        queue = [s for s in review.questions(lib) if s.id not in skipped]
        s = next((s for s in queue if user.answer(s) is not None), None)
        skipped.update(q.id for q in queue[: queue.index(s) if s else len(queue)])
        if s is None:
            break
        yes = user.answer(s)
        calibration.append((s.score, yes))
        if trace_answers:
            print(f"  {answers + 1:>4}. {'yes' if yes else 'no ':<3} {s.kind:<6} score {s.score:.2f}, fixes {s.fixes}")
        (review.accept if yes else review.reject)(lib, s)
        answers += 1
        clusters = clusters_of(lib, data)
        trace.append((answers, gestures_to_fix(clusters, data.labels), score(clusters, data.labels)))
    return {"trace": trace, "hits": hits, "split": split, "calibration": calibration}


def report(data: EvalSet, result: dict) -> None:
    trace = result["trace"]
    print(f"\n== {data.name}: {describe(data)}")
    print(f"{'answers':>8} {'gestures':>9} {'B-P':>6} {'B-R':>6} {'B-F':>6}")
    shown = [t for t in trace if t[0] in (0, *CHECKPOINTS)] + ([trace[-1]] if trace[-1][0] not in CHECKPOINTS else [])
    for answers, gestures, s in shown:
        print(f"{answers:>8} {gestures:>9} {s.bcubed_p:6.3f} {s.bcubed_r:6.3f} {s.bcubed_f:6.3f}")
    reached = next((a for a, _, s in trace if s.bcubed_f >= 0.99), None)
    print(f"gestures to fix without the questions: {trace[0][1]}; answers to reach B-F >= 0.99: "
          f"{reached if reached is not None else 'not reached'}")
    if result["split"]:
        print(f"first suggestion right for the smallest piece of {result['hits']}/{result['split']} split people "
              f"({result['hits'] / result['split']:.0%})")
    calibration = result["calibration"]
    if calibration:
        yes = sum(y for _, y in calibration)
        print(f"{len(calibration)} answers, {yes} yes; share of yes by score:", end="")
        for low, high in ((0, 0.25), (0.25, 0.5), (0.5, 0.75), (0.75, 1.01)):
            band = [y for sc, y in calibration if low <= sc < high]
            if band:
                print(f"  {low:.2f}-{min(high, 1):.2f}: {sum(band)}/{len(band)}", end="")
        print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--cache", type=Path, help="keep the degraded photos here (a temp folder by default)")
    parser.add_argument("--sets", nargs="+", choices=SETS, default=list(SETS))
    parser.add_argument("--answers", type=int, default=400, help="answer at most this many questions per set")
    parser.add_argument("--trace", action="store_true", help="print every answer")
    args = parser.parse_args()
    analyzer = FaceAnalyzer()
    with tempfile.TemporaryDirectory(prefix="faceorganizer-cache-") as scratch:
        cache = args.cache or Path(scratch)
        for name in args.sets:
            with evaluation_set(name, args.shared, cache, analyzer) as (data, lib):
                report(data, simulate(lib, data, args.answers, args.trace))


if __name__ == "__main__":
    main()
