"""The `faceorganizer` command: index folders, list and search faces, correct people.

Every command takes --library DIR (or $FACEORGANIZER_LIBRARY), --qdrant-url URL,
--models DIR and -v, before or after its name. Exit status: 0 on success, 1 on
failure, 2 on bad usage. Errors are sentences; -v adds where they happened.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import shlex
import signal
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

from faceorganizer.config import LIBRARY_ENV, SIDECAR_STYLES, default_library_dir
from faceorganizer.errors import DuplicateNameError, FaceOrganizerError, LibraryDamagedError
from faceorganizer.store import ENGINES, as_disk_full
from faceorganizer.humanize import count, duration

log = logging.getLogger("faceorganizer")

#: The exit status when the library is damaged (see `faceorganizer check`).
EXIT_DAMAGED = 3


def _common_options(*, defaults: bool) -> argparse.ArgumentParser:
    """The options every command takes, before or after the command's name.
    After it they carry no defaults, so they override the same options given
    before it rather than reset them."""
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("library")
    options = [
        group.add_argument(
            "--library",
            metavar="DIR",
            type=Path,
            help=f"the library folder (default: ${LIBRARY_ENV}, else {default_library_dir()})",
        ),
        group.add_argument(
            "--qdrant-url",
            metavar="URL",
            help="keep the faces on the Qdrant server at URL instead of in the library folder",
        ),
        group.add_argument(
            "--engine",
            choices=ENGINES,
            help="the embedded engine of a NEW library: edge (Qdrant Edge, the default, fast at any size)"
            " or local (qdrant-client's local mode); an existing library keeps its own",
        ),
        group.add_argument(
            "--models",
            metavar="DIR",
            default=os.environ.get("FACEORGANIZER_MODELS"),
            help="folder with InsightFace's larger buffalo_l models (det_10g.onnx, w600k_r50.onnx);"
            " default: $FACEORGANIZER_MODELS, else the bundled buffalo_s models",
        ),
        common.add_argument("-v", "--verbose", action="store_true",
                            help="log what happens; show where an error happened"),
    ]
    if not defaults:
        for option in options:
            option.default = argparse.SUPPRESS
    return common


def _similarity(text: str) -> float:
    """A similarity threshold: a cosine similarity strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a similarity between 0 and 1 (like 0.45)")
    return value


def _box(text: str) -> tuple[float, ...]:
    try:
        box = tuple(float(v) for v in text.split(","))
    except ValueError:
        box = ()
    if len(box) != 4:
        raise argparse.ArgumentTypeError(f"{text!r} is not a box: four numbers X1,Y1,X2,Y2")
    return box


def _count(text: str) -> int:
    """A number of things to show: 1 or more."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of 1 or more")
    return value


class _Folders(argparse.Action):
    """Folders named on the command line: each must be one (all that are not are named)."""

    missing = "no such folder"

    def __call__(self, parser, namespace, folders, option_string=None):
        problems = [
            f"{folder}: {'not a folder' if folder.exists() else self.missing}"
            for folder in folders if not folder.is_dir()
        ]
        if problems:
            parser.error("; ".join(problems))
        setattr(namespace, self.dest, folders)


class _WindowFolders(_Folders):
    """The window's folders, which come first when no command is given: a
    mistyped command arrives here."""

    missing = "no such folder, and not a command"


class _DifferentPeople(argparse.Action):
    """The people of a merge: at least two different ones."""

    def __call__(self, parser, namespace, ids, option_string=None):
        if len(set(ids)) < 2:
            parser.error("a merge needs at least two different people")
        setattr(namespace, self.dest, ids)


def build_parser() -> argparse.ArgumentParser:
    common = _common_options(defaults=False)
    parser = argparse.ArgumentParser(
        prog="faceorganizer",
        description="Find the faces in your photos and group them into people. "
        "Without a COMMAND, the window opens (on the FOLDERs given, if any).",
        parents=[_common_options(defaults=True)],
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    gui = commands.add_parser(
        "gui", parents=[common], help="open the window (the default command)",
        description="Open the window. FOLDERs are added to the library and indexed.",
    )
    gui.add_argument("folders", nargs="*", type=Path, action=_WindowFolders, metavar="FOLDER")
    gui.add_argument("--screenshot", metavar="FILE.png",
                     help="open, wait until the people and their thumbnails are shown, save the window"
                     " as FILE.png and exit")

    index = commands.add_parser(
        "index", parents=[common], help="find the faces in the photos of folders",
        description="Index the photos in FOLDERs: new and changed photos are analysed, "
        "unchanged ones skipped, deleted ones forgotten.",
    )
    index.add_argument("folders", nargs="*", type=Path, action=_Folders, metavar="FOLDER")
    index.add_argument("--no-recursive", dest="recursive", action="store_false",
                       help="only the photos directly in each folder")
    index.add_argument("--small-faces", action="store_true",
                       help="then look closer at every photo indexed before, for the small faces "
                            "(down to 40 px) of groups and wide shots; the faces it had keep their people")

    faces = commands.add_parser("faces", parents=[common], help="list the faces in the library")
    which = faces.add_mutually_exclusive_group()
    which.add_argument("--person", type=int, metavar="ID", help="only the faces of this person")
    which.add_argument("--unassigned", action="store_true", help="only faces of no person")
    faces.add_argument("--json", action="store_true", help="print JSON")

    photos = commands.add_parser(
        "photos", parents=[common], help="list the photos of people or of a folder, newest first",
        description="Several --person: the photos they are all in. A photo's date is its EXIF date, "
        "else its file's modification time (taken_from says which).",
    )
    photos.add_argument("--person", type=int, action="append", default=[], metavar="ID",
                        help="only photos with this person (repeat for photos with all of them)")
    photos.add_argument("--folder", type=Path, metavar="DIR", help="only photos in this folder or below it")
    photos.add_argument("--json", action="store_true", help="print JSON")

    search = commands.add_parser(
        "search", parents=[common], help="find the faces most like the face in a photo",
        description="IMAGE is a photo (its largest face is used) or a face id.",
    )
    search.add_argument("image", metavar="IMAGE")
    search.add_argument("--top-k", type=_count, default=10, metavar="K", help="at most K faces (default: 10)")
    search.add_argument("--threshold", type=_similarity, metavar="T",
                        help="only faces at least this similar (cosine similarity, 0..1); default: "
                        "as similar as faces the grouping may join into one person")
    search.add_argument("--json", action="store_true", help="print JSON")

    cluster = commands.add_parser(
        "cluster", parents=[common], help="group all faces into people again",
        description="Group every face into people again. Corrections (merges, splits, moved "
        "faces, names, hidden people) are kept.",
    )
    cluster.add_argument("--threshold", type=_similarity, metavar="T",
                         help="how alike a face must be to a person's faces (mean cosine "
                         "similarity); kept for later indexing")

    people = commands.add_parser("people", parents=[common], help="list the people")
    people.add_argument("--hidden", action="store_true", help="also hidden people")
    people.add_argument("--json", action="store_true", help="print JSON")

    merge = commands.add_parser("merge", parents=[common], help="merge people into the first")
    merge.add_argument("ids", nargs="+", type=int, action=_DifferentPeople, metavar="ID")

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
    hide.add_argument("--max-faces", type=_count, metavar="N", help="with --unnamed: at most this many faces")

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
    add_face.add_argument("--box", required=True, type=_box, metavar="X1,Y1,X2,Y2",
                          help="the face's box, in pixels of the upright photo")
    whose = add_face.add_mutually_exclusive_group(required=True)
    whose.add_argument("--person", type=int, metavar="ID", help="a face of this person")
    whose.add_argument("--name", metavar="NAME", help="a face of the person with this name (a new one if none)")

    check = commands.add_parser(
        "check", parents=[common], help="check the library; --repair mends a damaged one",
        description="Check that the library's store can be read and adds up. With --repair: a store that "
        "cannot be read is set aside (in the library folder, damaged-TIME) and what can still be read of it "
        "is kept; photos whose faces were lost are analysed again; your corrections are applied again.",
    )
    check.add_argument("--repair", action="store_true", help="mend what is wrong")

    commands.add_parser(
        "migrate", parents=[common], help="move the library to another engine (--engine edge or local)",
        description="Copy every face, photo, person, name and correction into a store of the engine given "
        "by --engine, check the copy against the original, then switch the library to it; the old store "
        "is kept beside it as <engine>.retired until you delete it. Interrupted, the library stays whole.",
    )

    desktop = commands.add_parser(
        "install-desktop", help="add faceorganizer to the desktop's application menu (Linux)",
        description="Write a menu entry and the icon into your data folder ($XDG_DATA_HOME, else "
        "~/.local/share); the entry starts this installation's Python.",
    )
    desktop.add_argument("--remove", action="store_true", help="take them away again")
    desktop.add_argument("-v", "--verbose", action="store_true", help=argparse.SUPPRESS)

    write_xmp = commands.add_parser(
        "write-xmp", parents=[common], help="write the names into XMP sidecars for other photo tools",
        description="Write every named face of the photos in FOLDERs (of the whole library when none is given) "
        "into an XMP sidecar beside its photo, as a face region (MWG) with the name, and the names as keywords, "
        "as digiKam, darktable, Lightroom and exiftool read them. An existing sidecar keeps its other fields and "
        "regions. The photos are never changed.",
    )
    write_xmp.add_argument("folders", nargs="*", type=Path, action=_Folders, metavar="FOLDER")
    write_xmp.add_argument("--style", choices=SIDECAR_STYLES,
                           help="digikam: photo.jpg.xmp (digiKam, darktable; the default); lightroom: photo.xmp")
    write_xmp.add_argument("--person", type=int, metavar="ID", help="only this person's faces")
    suggest = commands.add_parser(
        "suggest", parents=[common], help="the questions whose answers fix the most, best first",
        description="List the people likely to be one person, and the faces likely to belong to a person "
        "(or, two faces of no person, to each other), "
        "ordered by how many faces a yes puts right times how likely it is. Answer one with --accept ID "
        "(merge, or move the face) or --reject ID (never asked again); undo takes back either.",
    )
    suggest.add_argument("--limit", type=_count, metavar="N", help="at most N questions")
    suggest.add_argument("--json", action="store_true", help="print JSON")
    answer = suggest.add_mutually_exclusive_group()
    answer.add_argument("--accept", metavar="ID", help="answer yes to the question ID")
    answer.add_argument("--reject", metavar="ID", help="answer no to the question ID")

    commands.add_parser("undo", parents=[common], help="undo the last correction (also one made in the window)")
    commands.add_parser("redo", parents=[common], help="redo the last correction undone")
    history = commands.add_parser("history", parents=[common], help="list the corrections, newest first")
    history.add_argument("--json", action="store_true", help="print JSON")

    settings = commands.add_parser(
        "settings", parents=[common], help="show or change how the library groups faces into people",
        description="Show the library's settings, or change those given. They are kept in the library, "
        "so the window groups its faces by them too.",
    )
    settings.add_argument("--threshold", type=_similarity, metavar="T",
                          help="how alike two faces must be (cosine similarity) to be one person")
    settings.add_argument("--min-faces", type=_count, metavar="N",
                          help="a group of faces becomes a person from this many faces")
    settings.add_argument("--min-face-size", type=_count, metavar="PX",
                          help="faces smaller than this (pixels, shorter side) are ignored from the next indexing")
    settings.add_argument("--json", action="store_true", help="print JSON")
    return parser


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """The command line as the user means it: without a command it is `gui`
    (`faceorganizer ~/Pictures` opens the window)."""
    parser = build_parser()
    argv = list(argv)
    if not any(arg in COMMANDS for arg in argv) and argv[:1] not in (["-h"], ["--help"]):
        argv.insert(0, "gui")
    args = parser.parse_args(argv)
    if args.command is None:  # a command's name was only an option's value: `--library people`
        args = parser.parse_args(["gui", *argv])
    if args.command == "index" and not (args.folders or args.small_faces):
        parser.error("index needs the FOLDERs to index, or --small-faces")
    if args.command == "birthday" and (args.date is None) == (not args.clear):
        parser.error("birthday needs a date (YYYY-MM-DD) or --clear, not both")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s: %(message)s",
    )
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print("faceorganizer: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of our output went away (`faceorganizer faces | head`).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:
        if args.verbose:
            traceback.print_exc()
        exc = as_disk_full(exc, args.library or default_library_dir()) or exc  # another program filled it
        print(f"faceorganizer: {_error_message(exc, args.verbose)}", file=sys.stderr)
        return EXIT_DAMAGED if isinstance(exc, LibraryDamagedError) else 1


def _error_message(exc: Exception, verbose: bool) -> str:
    if isinstance(exc, FaceOrganizerError):
        return str(exc)
    if isinstance(exc, OSError):
        return _os_error(exc)
    where = "" if verbose else " (run it again with -v to see where)"
    return f"unexpected error: {type(exc).__name__}: {exc}{where}"


def _os_error(exc: OSError) -> str:
    if not exc.strerror:
        return str(exc)
    return f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror


def _open(args, *, any_engine: bool = False):
    from faceorganizer.config import Settings
    from faceorganizer.library import FaceLibrary

    folder = args.library or default_library_dir()
    if folder.exists() and not folder.is_dir():
        raise FaceOrganizerError(f"The library {folder} is a file, not a folder: choose a folder with --library.")
    try:
        return FaceLibrary(folder, qdrant_url=args.qdrant_url, engine=None if any_engine else args.engine,
                           settings=Settings(model_dir=args.models))
    except OSError as exc:
        reason = exc.strerror if exc.strerror and exc.filename == str(folder) else _os_error(exc)
        raise FaceOrganizerError(f"Cannot open the library {folder}: {reason}") from exc


# -- index ---------------------------------------------------------------------


class Progress:
    """A progress bar on a terminal; a line every few seconds otherwise."""

    def __init__(self, stream=sys.stderr):
        self.stream = stream
        self.tty = stream.isatty()
        self.faces = 0
        self.started = time.monotonic()
        self.last = 0.0
        self.label = ""
        self.unit = "photos"

    def start(self, label: str, unit: str = "photos") -> None:
        """A new bar, counting `unit` (photos: with the faces found so far)."""
        self.label, self.faces, self.started, self.last = label, 0, time.monotonic(), 0.0
        self.unit = unit

    def update(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.last < (0.1 if self.tty else 5.0):
            return
        self.last = now
        if total == 0:
            return
        elapsed = now - self.started
        left = elapsed / done * (total - done) if done else None
        eta = f" · {duration(left)} left" if left is not None and done < total else ""
        found = f" · {self.faces:,} faces" if self.unit == "photos" else ""
        text = f"{done:,}/{total:,} {self.unit}{found}{eta}"
        if self.tty:
            width = 24
            filled = int(width * done / total)
            bar = "█" * filled + "░" * (width - filled)
            self.stream.write(f"\r\x1b[K{self.label} {bar} {text}")
            if done == total:
                self.stream.write("\n")
        else:
            self.stream.write(f"{self.label}: {text}\n")
        self.stream.flush()

    def finish(self) -> None:
        if self.tty and self.last:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def _cmd_index(args) -> int:
    from faceorganizer.library import IndexReport

    progress = Progress()
    cancel = threading.Event()

    def interrupt(_signum, _frame):
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()
        sys.stderr.write("\nStopping after the photos in progress (Ctrl+C again to stop at once)\n")

    signal.signal(signal.SIGINT, interrupt)
    with _open(args) as library:
        # The folders join the library: the window's Rescan covers them too.
        library.add_folders(args.folders)
        for folder in args.folders:
            if cancel.is_set():
                break
            progress.start(f"Indexing {folder}")

            def on_photo(outcome, progress=progress):
                progress.faces += len(outcome.face_ids)

            started = time.monotonic()
            try:
                report: IndexReport = library.index_directory(
                    folder, args.recursive, progress.update, on_photo=on_photo, cancel=cancel
                )
            finally:
                progress.finish()
            _print_summary(folder, report, time.monotonic() - started)
        if args.small_faces and not cancel.is_set():
            progress.start("Looking closer for small faces")
            started = time.monotonic()
            try:
                report = library.find_small_faces(progress.update, cancel=cancel)
            finally:
                progress.finish()
            print(f"Looked closer at {report.indexed:,} photos: {report.faces_found:,} faces found"
                  f" ({duration(time.monotonic() - started)})")
            for path, reason in report.failed:
                print(f"  failed {path}: {reason}")
    return 130 if cancel.is_set() else 0


def _print_summary(folder: Path, report, seconds: float) -> None:
    out = sys.stdout
    parts = [
        f"{report.seen:,} photos seen",
        f"{report.indexed:,} indexed",
        f"{report.unchanged:,} unchanged",
        f"{len(report.failed) + len(report.still_failing):,} failed",
    ]
    if report.moved:
        parts.append(f"{report.moved:,} moved or renamed")
    if report.removed:
        parts.append(f"{report.removed:,} removed (gone from disk)")
    if report.duplicates:
        parts.append(f"{report.duplicates:,} links to photos already indexed")
    out.write(f"{folder}: {', '.join(parts)}; {report.faces_found:,} faces found ({duration(seconds)})\n")
    if report.cancelled:
        out.write("  stopped early: run the same command again to continue\n")
    for path, reason in report.unreadable_folders:
        out.write(f"  cannot read folder {path}: {reason}\n")
    for path, reason in report.failed:
        out.write(f"  failed {path}: {reason}\n")
    for path, reason in report.still_failing:
        out.write(f"  failed {path}: {reason} (unchanged since the last try)\n")
    out.flush()


# -- faces, search -------------------------------------------------------------


def _print_json(rows: list[dict]) -> None:
    json.dump(rows, sys.stdout, indent=2)
    sys.stdout.write("\n")


def _face_json(face: dict) -> dict:
    return {
        "face_id": face["id"],
        "path": face.get("path"),
        "bbox": face.get("bbox"),
        "cluster_id": face.get("cluster_id"),
        "det_score": face.get("det_score"),
    }


def _cmd_faces(args) -> int:
    with _open(args) as library:
        if args.person is not None:
            library.get_person(args.person)
        faces = [
            _face_json(f)
            for f in library.iter_faces(args.person, unassigned=args.unassigned)
        ]
    faces.sort(key=lambda f: (f["path"] or "", f["bbox"] or []))
    if args.json:
        _print_json(faces)
    else:
        for f in faces:
            person = "-" if f["cluster_id"] is None else f["cluster_id"]
            box = ",".join(f"{v:.0f}" for v in f["bbox"])
            print(f"{f['face_id']}  person {person:>5}  {f['det_score']:.2f}  [{box}]  {f['path']}")
        print(count(len(faces), "face"), file=sys.stderr)
    return 0


def _cmd_photos(args) -> int:
    from faceorganizer.photos import photo_json, photos

    with _open(args) as library:
        listed = [photo_json(p) for p in photos(library, args.person, args.folder)]
    if args.json:
        _print_json(listed)
    else:
        for p in listed:
            people = sorted({f["person"] for f in p["faces"] if f["person"] is not None})
            who = f" · people {', '.join(map(str, people))}" if people else ""
            taken = p["taken"].replace("T", " ") if p["taken"] else "date unknown"
            print(f"{taken}  {p['taken_from'] or '-':9}  {count(len(p['faces']), 'face')}{who}  {p['path']}")
        print(count(len(listed), "photo"), file=sys.stderr)
    return 0


def _cmd_search(args) -> int:
    from faceorganizer.clustering import WEAK_MARGIN

    query = args.image
    if os.path.exists(query):
        query = str(Path(query).resolve())
    with _open(args) as library:
        # By default only faces as alike as the grouping joins (weakly) into one person.
        threshold = library.cluster_threshold - WEAK_MARGIN if args.threshold is None else args.threshold
        results = library.search(query, top_k=args.top_k, threshold=threshold)
        names = {p.cluster_id: p.name for p in library.people(include_hidden=True)}
    rows = [
        {
            "face_id": r.face_id,
            "score": round(r.score, 4),
            "path": r.path,
            "bbox": list(r.bbox) if r.bbox else None,
            "cluster_id": r.cluster_id,
            "person_name": names.get(r.cluster_id),
        }
        for r in results
    ]
    if args.json:
        _print_json(rows)
    else:
        for r in rows:
            print(f"{r['score']:.3f}  {r['face_id']}  {_person_label(r)}  {r['path']}")
    if rows:
        print(f"{count(len(rows), 'face')} at least {threshold:.3f} similar", file=sys.stderr)
    else:
        print(f"No one like this in the library: no face is at least {threshold:.3f} similar "
              "(--threshold T to look further).", file=sys.stderr)
    return 0


def _person_label(row: dict) -> str:
    if row["cluster_id"] is None:
        return "no person"
    name = f"'{row['person_name']}'" if row["person_name"] else "(unnamed)"
    return f"person {row['cluster_id']} {name}"


# -- people --------------------------------------------------------------------


def _cmd_cluster(args) -> int:
    with _open(args) as library:
        started = time.monotonic()
        people = library.cluster_all(args.threshold)
        unassigned = len(library.unassigned_faces())
    print(f"{people:,} people, {unassigned:,} faces unassigned ({duration(time.monotonic() - started)})")
    return 0


def _cmd_people(args) -> int:
    with _open(args) as library:
        people = library.people(include_hidden=args.hidden)
    rows = [
        {"cluster_id": p.cluster_id, "name": p.name, "face_count": p.face_count, "hidden": p.hidden,
         "born": p.born}
        for p in people
    ]
    if args.json:
        _print_json(rows)
    else:
        for r in rows:
            hidden = "  (hidden)" if r["hidden"] else ""
            print(f"{r['cluster_id']:>6}  {r['face_count']:>6} faces  {r['name'] or 'Unnamed'}{hidden}")
    return 0


def _change(args, operation) -> int:
    """Run one correction and say what it did."""
    with _open(args) as library:
        change = operation(library)
    print(change.description if change else "Nothing to change")
    return 0


def _cmd_add_face(args) -> int:
    with _open(args) as library:
        change = library.add_face(args.photo, args.box, person=args.person, name=args.name)
    print(change.result)
    print(change.description, file=sys.stderr)
    return 0


def _cmd_hide(args) -> int:
    if args.unnamed != (args.max_faces is not None) or args.unnamed == bool(args.ids) or (args.unnamed and args.show):
        raise FaceOrganizerError("Give the ids of the people to hide (or --show), or --unnamed with --max-faces N.")
    if args.unnamed:
        from faceorganizer.strangers import hide_strangers

        return _change(args, lambda lib: hide_strangers(lib, args.max_faces))
    return _change(args, lambda lib: lib.hide(args.ids, hidden=not args.show))


def _cmd_install_desktop(args) -> int:
    from faceorganizer import desktop

    if args.remove:
        removed = desktop.remove()
        print("Removed " + ", ".join(map(str, removed)) if removed else "Nothing to remove")
    else:
        entry, icon = desktop.install()
        print(f"Added {entry} and {icon}")
    return 0


def _cmd_check(args) -> int:
    from faceorganizer.repair import check, repair

    if not args.repair:
        with _open(args) as library:
            report = check(library)
        for line in report.notices:
            print(f"  note: {line}")
        for line in report.problems:
            print(f"  problem: {line}")
        if report.problems:
            print(f"The library {library.folder} needs repair: faceorganizer check --repair")
            return EXIT_DAMAGED
        print(f"The library {library.folder} is in good order.")
        return 0

    def index(library) -> int:
        analysed = 0
        for folder in library.folders():
            started = time.monotonic()
            report = library.index_directory(folder)
            _print_summary(Path(folder), report, time.monotonic() - started)
            analysed += report.indexed + len(report.failed)
        return analysed

    folder = args.library or default_library_dir()
    report = repair(folder, lambda: _open(args), index)
    if report.set_aside:
        print(f"The damaged store is set aside in {report.set_aside}.")
        kept = ", ".join(f"{n:,} {kind}" for kind, n in report.salvaged.items()) or "nothing"
        print(f"Kept what could be read: {kept}.")
        for part in report.lost:
            print(f"  lost: {part}")
    print(f"{count(report.photos_analysed, 'photo')} analysed again, "
          f"{count(report.faces_dropped, 'face')} of photos no longer there dropped, "
          f"{count(report.corrections_replayed, 'correction')} applied again.")
    return 0


def _cmd_write_xmp(args) -> int:
    from faceorganizer.sidecars import write_sidecars

    progress = Progress()
    progress.start("Writing sidecars", unit="photos")
    with _open(args) as library:
        started = time.monotonic()
        try:
            report = write_sidecars(library, args.folders, person=args.person,
                                    style=args.style or library.settings.sidecar_style, on_progress=progress.update)
        finally:
            progress.finish()
    written = report.created + report.updated
    took = duration(time.monotonic() - started)
    print(f"{count(written, 'sidecar')} written ({report.created:,} new, {report.updated:,} updated) with "
          f"{count(report.faces, 'named face')}; {len(report.failed):,} failed ({took})")
    for path, reason in report.failed:
        print(f"  failed {path}: {reason}")
    return 0


def _cmd_migrate(args) -> int:
    if not args.engine:
        raise FaceOrganizerError("Say which engine to move to: faceorganizer migrate --engine edge (or local).")
    progress = Progress()
    progress.start("Copying", unit="faces")
    library = _open(args, any_engine=True)
    started = time.monotonic()
    try:
        report = library.migrate(args.engine, progress.update)
    finally:
        progress.finish()
    print(f"The library {library.folder} moved from {report.source} to {report.target}: "
          f"{count(report.faces, 'face')}, {count(report.photos, 'photo')}, {report.people:,} people "
          f"and {count(report.corrections, 'correction')} copied and checked ({duration(time.monotonic() - started)}).")
    print(f"The old store is kept in {report.retired}; delete it once you are happy.")
    return 0


def _undo(args, redo: bool) -> int:
    with _open(args) as library:
        change = library.redo() if redo else library.undo()
    print(change.description if change is not None else f"Nothing to {'redo' if redo else 'undo'}")
    return 0


def _cmd_history(args) -> int:
    with _open(args) as library:
        entries = library.history()
    if args.json:
        _print_json(entries)
    else:
        for entry in entries:
            undone = "  (undone)" if entry["undone"] else ""
            print(f"{entry['time']}  {entry['description']}{undone}")
    return 0


def _cmd_settings(args) -> int:
    from dataclasses import asdict

    changes = {"cluster_threshold": args.threshold, "min_faces": args.min_faces,
               "min_face_size": args.min_face_size}
    with _open(args) as library:
        before = library.grouping_settings()
        after = library.change_settings(**changes)
        engine = library.store.engine
    if args.json:
        print(json.dumps({**asdict(after), "engine": engine}, indent=2))
        return 0
    for name, label, unit in (("cluster_threshold", "threshold", ""), ("min_faces", "min-faces", " faces"),
                              ("min_face_size", "min-face-size", " px")):
        value, old = getattr(after, name), getattr(before, name)
        was = f"  (was {old}{unit})" if value != old else ""
        print(f"{label:<14} {value}{unit}{was}")
    print(f"{'engine':<14} {engine}")
    if after.cluster_threshold != before.cluster_threshold or after.min_faces != before.min_faces:
        print("Run faceorganizer cluster (or Re-cluster in the window) to regroup the faces already grouped.")
    return 0


def _cmd_suggest(args) -> int:
    from faceorganizer import review

    with _open(args) as library:
        if args.accept or args.reject:
            question = review.find(library, args.accept or args.reject)
            change = (review.accept if args.accept else review.reject)(library, question)
            print(change.description)
            return 0
        queue = review.questions(library, args.limit)
        lines = [(s.id, review.describe(library.catalog, s)) for s in queue]
    if args.json:
        _print_json([s.to_json() for s in queue])
    else:
        for question_id, text in lines:
            print(f"{question_id}  {text}")
        print(f"{count(len(queue), 'question')}; answer with: faceorganizer suggest --accept ID (or --reject ID)"
              if queue else "No questions: every person looks whole.", file=sys.stderr)
    return 0


def _rename(library, args):
    try:
        return library.rename(args.id, args.name, allow_duplicate=args.allow_duplicate)
    except DuplicateNameError as exc:
        raise DuplicateNameError(
            f"{exc} To give both the name: faceorganizer rename {args.id} {shlex.quote(args.name)} --allow-duplicate"
        ) from exc


def _cmd_gui(args) -> int:
    from faceorganizer.ui.app import run

    return run([str(f) for f in args.folders], str(args.library) if args.library else None,
               args.qdrant_url, args.screenshot)


COMMANDS = {
    "gui": _cmd_gui,
    "index": _cmd_index,
    "faces": _cmd_faces,
    "photos": _cmd_photos,
    "search": _cmd_search,
    "cluster": _cmd_cluster,
    "people": _cmd_people,
    "merge": lambda a: _change(a, lambda lib: lib.merge_clusters(a.ids)),
    "split": lambda a: _change(a, lambda lib: lib.split_cluster(a.id, [a.face_ids])),
    "reassign": lambda a: _change(
        a, lambda lib: lib.reassign_faces(a.face_ids, None if a.id == "new" else _person_id(a.id))
    ),
    "rename": lambda a: _change(a, lambda lib: _rename(lib, a)),
    "birthday": lambda a: _change(a, lambda lib: lib.set_birthday(_person_ref(lib, a.person), a.date)),
    "hide": _cmd_hide,
    "not-this-person": lambda a: _change(a, lambda lib: lib.not_this_person(a.face_ids)),
    "not-a-face": lambda a: _change(a, lambda lib: lib.not_a_face(a.face_ids)),
    "add-face": _cmd_add_face,
    "check": _cmd_check,
    "install-desktop": _cmd_install_desktop,
    "migrate": _cmd_migrate,
    "undo": lambda a: _undo(a, redo=False),
    "redo": lambda a: _undo(a, redo=True),
    "history": _cmd_history,
    "settings": _cmd_settings,
    "write-xmp": _cmd_write_xmp,
    "suggest": _cmd_suggest,
}


def _person_ref(library, text: str) -> int:
    """The id of the person `text` names: their id, or their name."""
    if text.strip().isdigit():
        return int(text)
    named = [p.cluster_id for p in library.people(include_hidden=True)
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
