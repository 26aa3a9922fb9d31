"""The review queue at scale: how long until the first question shows, and
the next after an answer, against computing the whole queue at once.

    python benchmarks/review_scale.py LIBRARY [--answers N]

LIBRARY is a library folder, such as those benchmarks/library_scale.py
builds (`--work DIR --group-at-end`; at 100,000 faces: DIR/edge-100000). It
is copied to a temp folder first, since the answers write. Reported, in
seconds:

- catalog: opening the library and loading its catalog (the window's
  service has it by the time the review is asked for);
- whole queue, at once: `review.questions`, as the command line computes it
  (the baseline);
- snapshot: the catalog's copy the service computes from, on its own thread;
- first question: the snapshot, then the questions about people that lead
  the queue (`review.sure_head`), as the service sends them first;
- whole queue, staged: until the service has the whole queue;
- next question after an answer: the answer's correction aside, dropping
  the questions it touched from the queue kept and making the window's next
  question (`ReviewQueue.changed`, `head`); median of the answers.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from conftest import copy_library  # noqa: E402
from faceorganizer import review  # noqa: E402
from faceorganizer.library import FaceLibrary  # noqa: E402
from faceorganizer.review_queue import ReviewQueue  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("library", type=Path)
    parser.add_argument("--answers", type=int, default=5, help="answer this many questions (yes) after the queue")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="review-scale-") as work:
        folder = Path(work) / "library"
        copy_library(args.library, folder)
        started = time.perf_counter()
        with FaceLibrary(folder) as library:
            catalog = library.catalog
            report("catalog (open + load every face)", started)
            print(f"  {int(catalog.alive.sum()):,} faces, {len(catalog.cluster_ids()):,} people, "
                  f"{len(catalog.unassigned_rows()):,} of no person")
            started = time.perf_counter()
            whole = review.questions(library)
            report(f"whole queue at once (baseline): {len(whole):,} questions", started)

            started = time.perf_counter()
            snapshot = catalog.snapshot()
            report("snapshot of the catalog", started)
            stages = review.staged_questions(snapshot)
            head = review.sure_head(next(stages))
            first = report(f"first question (the {len(head):,} questions about people that lead the queue)", started)
            staged = next(stages)
            report("whole queue, staged", started)
            assert [s.id for s in staged] == [s.id for s in whole], "the staged queue differs from the baseline's"
            assert [s.id for s in head] == [s.id for s in whole[: len(head)]], "the head does not lead the queue"

            queue = ReviewQueue()
            queue.refresh(library)
            queue.wait()
            queue.collect()
            next_question = []
            for _ in range(args.answers):
                [shown, *_], _count = queue.head(library)
                change = review.accept(library, queue.find(shown.id))
                started = time.perf_counter()
                queue.changed(change)
                queue.head(library)
                next_question.append(time.perf_counter() - started)
            if next_question:
                print(f"{statistics.median(next_question):8.3f} s  next question after an answer "
                      f"(median of {len(next_question)})")
            print(f"first question in {first:.2f} s: {'within' if first < 1 else 'over'} the 1 s goal")
    return 0


def report(label: str, started: float) -> float:
    seconds = time.perf_counter() - started
    print(f"{seconds:8.3f} s  {label}")
    return seconds


if __name__ == "__main__":
    sys.exit(main())
