"""The `faceorganizer` command: index folders, list and search faces, correct people.

Every command takes --library DIR (or $FACEORGANIZER_LIBRARY), --qdrant-url URL,
--models DIR and -v, before or after its name. Exit status: 0 on success, 1 on
failure, 2 on bad usage. Errors are sentences; -v adds where they happened.
Each command lives in the module of its topic, which registers its parser
and handler; `common` holds what they share. The handlers import the
library's code (and numpy, the store, the models) when they run: `gui`
starts the library's process before any of it loads here (it took 0.5 s).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from collections.abc import Callable, Sequence

from faceorganizer.cli import (
    corrections, faces, indexing, library, models, people, settings, sidecars, suggestions, window,
)
from faceorganizer.cli.common import EXIT_DAMAGED, common_options, error_message
from faceorganizer.config import default_library_dir
from faceorganizer.errors import LibraryDamagedError, stacks_on_crash

__all__ = ["EXIT_DAMAGED", "build_parser", "main", "parse_args"]

#: The modules of the commands, in the order `faceorganizer --help` lists them.
COMMAND_MODULES = (window, indexing, faces, people, library, models, sidecars, suggestions, corrections, settings)

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    return _parser_and_handlers()[0]


def _parser_and_handlers() -> tuple[argparse.ArgumentParser, dict[str, Handler]]:
    common = common_options(defaults=False)
    parser = argparse.ArgumentParser(
        prog="faceorganizer",
        description="Find the faces in your photos and group them into people. "
        "Without a COMMAND, the window opens (on the FOLDERs given, if any).",
        parents=[common_options(defaults=True)],
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    handlers: dict[str, Handler] = {}
    for module in COMMAND_MODULES:
        handlers.update(module.register(commands, common))
    return parser, handlers


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """The command line as the user means it: without a command it is `gui`
    (`faceorganizer ~/Pictures` opens the window)."""
    return _parse(argv)[0]


def _parse(argv: Sequence[str]) -> tuple[argparse.Namespace, dict[str, Handler]]:
    parser, handlers = _parser_and_handlers()
    argv = list(argv)
    if not any(arg in handlers for arg in argv) and argv[:1] not in (["-h"], ["--help"]):
        argv.insert(0, "gui")
    args = parser.parse_args(argv)
    if args.command is None:  # a command's name was only an option's value: `--library people`
        args = parser.parse_args(["gui", *argv])
    if args.command == "index" and not (args.folders or args.small_faces):
        parser.error("index needs the FOLDERs to index, or --small-faces")
    if args.command == "models" and args.use and args.folder is None:
        parser.error("models use needs the folder of the models: faceorganizer models use DIR")
    if args.command == "birthday" and (args.date is None) == (not args.clear):
        parser.error("birthday needs a date (YYYY-MM-DD) or --clear, not both")
    return args, handlers


def main(argv: Sequence[str] | None = None) -> int:
    args, handlers = _parse(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s: %(message)s",
    )
    stacks_on_crash()
    try:
        return handlers[args.command](args)
    except KeyboardInterrupt:
        print("faceorganizer: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of our output went away (`faceorganizer faces | head`).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:
        from faceorganizer.store import as_disk_full

        if args.verbose:
            traceback.print_exc()
        exc = as_disk_full(exc, args.library or default_library_dir()) or exc  # another program filled it
        print(f"faceorganizer: {error_message(exc, args.verbose)}", file=sys.stderr)
        return EXIT_DAMAGED if isinstance(exc, LibraryDamagedError) else 1
