"""The commands over the corrections log: `undo` and `redo` (of a correction
made here or in the window) and `history`, the corrections newest first."""

from __future__ import annotations

from faceorganizer.cli.common import open_application, print_json


def register(commands, common) -> dict:
    commands.add_parser("undo", parents=[common], help="undo the last correction (also one made in the window)")
    commands.add_parser("redo", parents=[common], help="redo the last correction undone")
    history = commands.add_parser("history", parents=[common], help="list the corrections, newest first")
    history.add_argument("--json", action="store_true", help="print JSON")
    return {
        "undo": lambda a: _undo(a, redo=False),
        "redo": lambda a: _undo(a, redo=True),
        "history": _cmd_history,
    }


def _undo(args, redo: bool) -> int:
    from faceorganizer.application import NothingToWalk
    from faceorganizer.protocol import Redo, Undo

    try:
        with open_application(args) as app:
            walked = app.execute(Redo() if redo else Undo())
    except NothingToWalk:
        print(f"Nothing to {'redo' if redo else 'undo'}")
    else:
        print(walked.change.description)
    return 0


def _cmd_history(args) -> int:
    from faceorganizer.protocol import ListHistory

    with open_application(args) as app:
        entries = app.execute(ListHistory())
    if args.json:
        print_json(entries)
    else:
        for entry in entries:
            undone = "  (undone)" if entry["undone"] else ""
            print(f"{entry['time']}  {entry['description']}{undone}")
    return 0
