"""The commands that group faces into people and correct them: `cluster`,
`people`, and the corrections (`merge`, `split`, `reassign`, `rename`,
`birthday`, `hide`, `not-this-person`, `not-a-face`, `add-face`), each of
which says what it changed. The corrections and the people are the typed
commands of faceorganizer.protocol, run by the application layer as the
window's service runs them."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from faceorganizer.cli.common import (
    DifferentPeople,
    face_box,
    open_application,
    open_library,
    positive_count,
    print_json,
    similarity,
)
from faceorganizer.errors import DuplicateNameError, FaceOrganizerError

if TYPE_CHECKING:
    from types import ModuleType

    from faceorganizer.application import Application


def register(commands, common) -> dict:
    cluster = commands.add_parser(
        "cluster", parents=[common], help="group all faces into people again",
        description="Group every face into people again. Corrections (merges, splits, moved "
        "faces, names, hidden people) are kept.",
    )
    cluster.add_argument("--threshold", type=similarity, metavar="T",
                         help="how alike a face must be to a person's faces (mean cosine "
                         "similarity); kept for later indexing")

    people = commands.add_parser("people", parents=[common], help="list the people")
    people.add_argument("--hidden", action="store_true", help="also hidden people")
    people.add_argument("--json", action="store_true", help="print JSON")

    merge = commands.add_parser("merge", parents=[common], help="merge people into the first")
    merge.add_argument("ids", nargs="+", type=int, action=DifferentPeople, metavar="ID")

    split = commands.add_parser("split", parents=[common], help="make some faces of a person a new person")
    split.add_argument("id", type=int, metavar="ID")
    split.add_argument("face_ids", nargs="+", metavar="FACE_ID")

    reassign = commands.add_parser("reassign", parents=[common], help="move faces to a person")
    reassign.add_argument("face_ids", nargs="+", metavar="FACE_ID")
    reassign.add_argument("id", metavar="ID", help="a person id, or 'new' for a new person")

    rename = commands.add_parser("rename", parents=[common], help="name a person")
    rename.add_argument("id", type=int, metavar="ID")
    rename.add_argument("name", metavar="NAME", help="the name ('' removes it)")
    rename.add_argument("--allow-duplicate", action="store_true",
                        help="give the name even if another person has it")

    birthday = commands.add_parser(
        "birthday", parents=[common], help="give a person a birthday, for their age on each photo",
        description="The birthday stays in the library; it is never written to photos or sidecars.",
    )
    birthday.add_argument("person", metavar="PERSON", help="a person's id or name")
    birthday.add_argument("date", nargs="?", metavar="YYYY-MM-DD")
    birthday.add_argument("--clear", action="store_true", help="remove the birthday")

    hide = commands.add_parser("hide", parents=[common], help="hide people from the people list",
                               description="Hide the people given, or with --unnamed --max-faces N every unnamed "
                               "person of N faces or fewer (the strangers), in one correction that undo takes back.")
    hide.add_argument("ids", nargs="*", type=int, metavar="ID")
    hide.add_argument("--show", action="store_true", help="show them again instead")
    hide.add_argument("--unnamed", action="store_true", help="every unnamed person of --max-faces faces or fewer")
    hide.add_argument("--max-faces", type=positive_count, metavar="N", help="with --unnamed: at most this many faces")

    not_person = commands.add_parser(
        "not-this-person", parents=[common], help="take faces out of their person for good")
    not_person.add_argument("face_ids", nargs="+", metavar="FACE_ID")

    not_face = commands.add_parser("not-a-face", parents=[common], help="drop false detections")
    not_face.add_argument("face_ids", nargs="+", metavar="FACE_ID")

    add_face = commands.add_parser(
        "add-face", parents=[common], help="add a face the detector missed, drawn round it",
        description="Add the face inside a box of an indexed photo to a person; prints its face id.",
    )
    add_face.add_argument("photo", type=Path, metavar="PHOTO")
    add_face.add_argument("--box", required=True, type=face_box, metavar="X1,Y1,X2,Y2",
                          help="the face's box, in pixels of the upright photo")
    whose = add_face.add_mutually_exclusive_group(required=True)
    whose.add_argument("--person", type=int, metavar="ID", help="a face of this person")
    whose.add_argument("--name", metavar="NAME", help="a face of the person with this name (a new one if none)")
    return {
        "cluster": _cmd_cluster,
        "people": _cmd_people,
        "merge": _correction(lambda p, a: p.Merge(tuple(a.ids[1:]), a.ids[0])),
        "split": _correction(lambda p, a: p.Split(a.id, tuple(a.face_ids))),
        "reassign": _correction(
            lambda p, a: p.MoveFaces(tuple(a.face_ids), None if a.id == "new" else _person_id(a.id))),
        "rename": _cmd_rename,
        "birthday": _cmd_birthday,
        "hide": _cmd_hide,
        "not-this-person": _correction(lambda p, a: p.NotThisPerson(tuple(a.face_ids))),
        "not-a-face": _correction(lambda p, a: p.NotAFace(tuple(a.face_ids))),
        "add-face": _cmd_add_face,
    }


def _cmd_cluster(args) -> int:
    from faceorganizer.cli.progress import run_job
    from faceorganizer.jobs import ReclusterJob

    with open_library(args) as library:
        print(run_job(ReclusterJob(library, args.threshold), shown=False).summary)
    return 0


def _cmd_people(args) -> int:
    from faceorganizer.protocol import ListPeople

    with open_application(args) as app:
        people = app.execute(ListPeople(include_hidden=args.hidden))
    rows = [
        {"cluster_id": p.cluster_id, "name": p.name, "face_count": p.face_count, "hidden": p.hidden,
         "born": p.born}
        for p in people
    ]
    if args.json:
        print_json(rows)
    else:
        for r in rows:
            hidden = "  (hidden)" if r["hidden"] else ""
            print(f"{r['cluster_id']:>6}  {r['face_count']:>6} faces  {r['name'] or 'Unnamed'}{hidden}")
    return 0


def _correction(make: Callable[[ModuleType, object], object]) -> Callable[[object], int]:
    """The handler of a command that makes one correction: `make(protocol,
    args)` gives it, from faceorganizer.protocol (loaded when it runs)."""

    def handler(args) -> int:
        from faceorganizer import protocol

        return _correct(args, make(protocol, args))

    return handler


def _correct(args, correction) -> int:
    """Make one correction (a command of faceorganizer.protocol) and say what it did."""
    with open_application(args) as app:
        change = app.execute(correction)
    return _said(change)


def _said(change) -> int:
    print(change.description if change else "Nothing to change")
    return 0


def _cmd_add_face(args) -> int:
    from faceorganizer.protocol import AddFace

    with open_application(args) as app:
        change = app.execute(AddFace(str(args.photo), args.box, name=args.name, person=args.person))
    print(change.result)
    print(change.description, file=sys.stderr)
    return 0


def _cmd_hide(args) -> int:
    from faceorganizer.protocol import Hide, HideStrangers

    if args.unnamed != (args.max_faces is not None) or args.unnamed == bool(args.ids) or (args.unnamed and args.show):
        raise FaceOrganizerError("Give the ids of the people to hide (or --show), or --unnamed with --max-faces N.")
    if args.unnamed:
        return _correct(args, HideStrangers(args.max_faces))
    return _correct(args, Hide(tuple(args.ids), hidden=not args.show))


def _cmd_rename(args) -> int:
    from faceorganizer.protocol import Rename

    try:
        return _correct(args, Rename(args.id, args.name, allow_duplicate=args.allow_duplicate))
    except DuplicateNameError as exc:
        raise DuplicateNameError(
            f"{exc} To give both the name: faceorganizer rename {args.id} {shlex.quote(args.name)} --allow-duplicate"
        ) from exc


def _cmd_birthday(args) -> int:
    from faceorganizer.protocol import SetBirthday

    with open_application(args) as app:
        change = app.execute(SetBirthday(_person_ref(app, args.person), args.date))
    return _said(change)


def _person_ref(app: Application, text: str) -> int:
    """The id of the person `text` names: their id, or their name."""
    from faceorganizer.protocol import ListPeople

    if text.strip().isdigit():
        return int(text)
    named = [p.cluster_id for p in app.execute(ListPeople(include_hidden=True))
             if p.name and p.name.casefold() == text.strip().casefold()]
    if len(named) != 1:
        raise FaceOrganizerError(f"No person is named {text!r}." if not named else
                                 f"{len(named)} people are named {text!r}: give the id of one "
                                 f"({', '.join(map(str, named))}).")
    return named[0]


def _person_id(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise FaceOrganizerError(f"{text!r} is not a person id (a number, or 'new')") from None
