"""The commands that look after the library itself: `check` (and
`--repair`, which mends a damaged one), `migrate` (to the other engine) and
`install-desktop` (the application menu entry on Linux)."""

from __future__ import annotations

import argparse

from faceorganizer.cli.common import EXIT_DAMAGED, open_library
from faceorganizer.config import default_library_dir
from faceorganizer.errors import FaceOrganizerError
from faceorganizer.humanize import count, duration


def register(commands, common) -> dict:
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
    return {"check": _cmd_check, "migrate": _cmd_migrate, "install-desktop": _cmd_install_desktop}


def _cmd_check(args) -> int:
    from faceorganizer.repair import check

    if not args.repair:
        with open_library(args) as library:
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

    from faceorganizer.cli.progress import run_job
    from faceorganizer.jobs import RepairJob

    folder = args.library or default_library_dir()
    report = run_job(RepairJob(folder, lambda: open_library(args)), shown=False).report
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


def _cmd_migrate(args) -> int:
    from faceorganizer.cli.progress import run_job
    from faceorganizer.jobs import MigrationJob

    if not args.engine:
        raise FaceOrganizerError("Say which engine to move to: faceorganizer migrate --engine edge (or local).")
    library = open_library(args, any_engine=True)
    ended = run_job(MigrationJob(library, args.engine, label="Copying"))
    report = ended.report
    print(f"The library {library.folder} moved from {report.source} to {report.target}: "
          f"{count(report.faces, 'face')}, {count(report.photos, 'photo')}, {report.people:,} people "
          f"and {count(report.corrections, 'correction')} copied and checked ({duration(ended.seconds)}).")
    print(f"The old store is kept in {report.retired}; delete it once you are happy.")
    return 0


def _cmd_install_desktop(args) -> int:
    from faceorganizer import desktop

    if args.remove:
        removed = desktop.remove()
        print("Removed " + ", ".join(map(str, removed)) if removed else "Nothing to remove")
    else:
        entry, icon = desktop.install()
        print(f"Added {entry} and {icon}")
    return 0
