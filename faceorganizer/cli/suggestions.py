"""The `suggest` command: the questions whose answers fix the most (people
likely to be one, faces likely to be someone's), best first, and answering
one with --accept or --reject."""

from __future__ import annotations

import sys

from faceorganizer.cli.common import open_application, open_library, positive_count, print_json
from faceorganizer.humanize import count


def register(commands, common) -> dict:
    suggest = commands.add_parser(
        "suggest", parents=[common], help="the questions whose answers fix the most, best first",
        description="List the people likely to be one person, and the faces likely to belong to a person "
        "(or, two faces of no person, to each other), "
        "ordered by how many faces a yes puts right times how likely it is. Answer one with --accept ID "
        "(merge, or move the face) or --reject ID (never asked again); undo takes back either.",
    )
    suggest.add_argument("--limit", type=positive_count, metavar="N", help="at most N questions")
    suggest.add_argument("--json", action="store_true", help="print JSON")
    answer = suggest.add_mutually_exclusive_group()
    answer.add_argument("--accept", metavar="ID", help="answer yes to the question ID")
    answer.add_argument("--reject", metavar="ID", help="answer no to the question ID")
    return {"suggest": _cmd_suggest}


def _cmd_suggest(args) -> int:
    from faceorganizer import review
    from faceorganizer.protocol import Answer

    if args.accept or args.reject:
        with open_application(args) as app:
            change = app.execute(Answer(args.accept or args.reject, yes=bool(args.accept)))
        print(change.description)
        return 0
    with open_library(args) as library:
        queue = review.questions(library, args.limit)
        lines = [(s.id, review.describe(library.catalog, s)) for s in queue]
    if args.json:
        print_json([s.to_json() for s in queue])
    else:
        for question_id, text in lines:
            print(f"{question_id}  {text}")
        print(f"{count(len(queue), 'question')}; answer with: faceorganizer suggest --accept ID (or --reject ID)"
              if queue else "No questions: every person looks whole.", file=sys.stderr)
    return 0
