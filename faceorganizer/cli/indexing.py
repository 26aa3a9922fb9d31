"""The `index` command: find the faces in the photos of folders (and, with
--small-faces, look closer at the photos indexed before), with a progress
bar, Ctrl+C to stop after the photos in progress, and a summary per folder
(faceorganizer.jobs: the window runs the same jobs)."""

from __future__ import annotations

from pathlib import Path

from faceorganizer.cli.common import Folders, open_library
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
    from faceorganizer.cli.progress import cancel_on_interrupt, run_job
    from faceorganizer.jobs import IndexJob, SmallFacesJob

    cancel = cancel_on_interrupt()
    with open_library(args) as library:
        # The folders join the library: the window's Rescan covers them too.
        library.add_folders(args.folders)
        run_job(IndexJob(library, args.folders, recursive=args.recursive), cancel)
        if args.small_faces and not cancel.is_set():
            ended = run_job(SmallFacesJob(library, "Looking closer for small faces"), cancel)
            report = ended.report
            print(f"Looked closer at {report.indexed:,} photos: {report.faces_found:,} faces found"
                  f" ({duration(ended.seconds)})")
            for path, reason in report.failed:
                print(f"  failed {path}: {reason}")
    return 130 if cancel.is_set() else 0
