"""The `index` command: find the faces in the photos of folders (and, with
--small-faces, look closer at the photos indexed before), with a progress
bar, Ctrl+C to stop after the photos in progress, and a summary per folder
that `check --repair` prints too."""

from __future__ import annotations

import signal
import sys
import threading
import time
from pathlib import Path

from faceorganizer.cli.common import Folders, open_library
from faceorganizer.cli.progress import Progress
from faceorganizer.humanize import duration


def register(commands, common) -> dict:
    index = commands.add_parser(
        "index", parents=[common], help="find the faces in the photos of folders",
        description="Index the photos in FOLDERs: new and changed photos are analysed, "
        "unchanged ones skipped, deleted ones forgotten.",
    )
    index.add_argument("folders", nargs="*", type=Path, action=Folders, metavar="FOLDER")
    index.add_argument("--no-recursive", dest="recursive", action="store_false",
                       help="only the photos directly in each folder")
    index.add_argument("--small-faces", action="store_true",
                       help="then look closer at every photo indexed before, for the small faces "
                            "(down to 40 px) of groups and wide shots; the faces it had keep their people")
    return {"index": _cmd_index}


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
    with open_library(args) as library:
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
            print_summary(folder, report, time.monotonic() - started)
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


def print_summary(folder: Path, report, seconds: float) -> None:
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
