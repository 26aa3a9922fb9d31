"""What every command of the command line shares: the options each takes
(--library, --qdrant-url, --engine, --models, -v), the types and checks of
its arguments, opening the library (and the application layer on it), the
sentences errors are told in, and printing JSON."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from faceorganizer.config import ENGINES, LIBRARY_ENV, default_library_dir
from faceorganizer.errors import FaceOrganizerError

if TYPE_CHECKING:
    from faceorganizer.application import Application

#: The exit status when the library is damaged (see `faceorganizer check`).
EXIT_DAMAGED = 3

def common_options(*, defaults: bool) -> argparse.ArgumentParser:
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


def similarity(text: str) -> float:
    """A similarity threshold: a cosine similarity strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a similarity between 0 and 1 (like 0.45)")
    return value


def face_box(text: str) -> tuple[float, ...]:
    try:
        box = tuple(float(v) for v in text.split(","))
    except ValueError:
        box = ()
    if len(box) != 4:
        raise argparse.ArgumentTypeError(f"{text!r} is not a box: four numbers X1,Y1,X2,Y2")
    return box


def positive_count(text: str) -> int:
    """A number of things to show: 1 or more."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of 1 or more")
    return value


class Folders(argparse.Action):
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


class WindowFolders(Folders):
    """The window's folders, which come first when no command is given: a
    mistyped command arrives here."""

    missing = "no such folder, and not a command"


class DifferentPeople(argparse.Action):
    """The people of a merge: at least two different ones."""

    def __call__(self, parser, namespace, ids, option_string=None):
        if len(set(ids)) < 2:
            parser.error("a merge needs at least two different people")
        setattr(namespace, self.dest, ids)


def error_message(exc: Exception, verbose: bool) -> str:
    if isinstance(exc, FaceOrganizerError):
        return str(exc)
    if isinstance(exc, OSError):
        return os_error(exc)
    where = "" if verbose else " (run it again with -v to see where)"
    return f"unexpected error: {type(exc).__name__}: {exc}{where}"


def os_error(exc: OSError) -> str:
    if not exc.strerror:
        return str(exc)
    return f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror


def open_library(args, *, any_engine: bool = False):
    """The library the options name; if it cannot be opened, a sentence saying why."""
    from faceorganizer.config import Settings
    from faceorganizer.library import FaceLibrary

    folder = args.library or default_library_dir()
    if folder.exists() and not folder.is_dir():
        raise FaceOrganizerError(f"The library {folder} is a file, not a folder: choose a folder with --library.")
    try:
        return FaceLibrary(folder, qdrant_url=args.qdrant_url, engine=None if any_engine else args.engine,
                           settings=Settings(model_dir=args.models))
    except OSError as exc:
        reason = exc.strerror if exc.strerror and exc.filename == str(folder) else os_error(exc)
        raise FaceOrganizerError(f"Cannot open the library {folder}: {reason}") from exc


@contextmanager
def open_application(args) -> Iterator[Application]:
    """The application layer on the library the options name: the commands
    of faceorganizer.protocol run in this process, as the window's service runs them."""
    from faceorganizer.application import Application

    with open_library(args) as library:
        yield Application(library)


def print_json(rows: list[dict]) -> None:
    json.dump(rows, sys.stdout, indent=2)
    sys.stdout.write("\n")
