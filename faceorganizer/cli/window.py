"""The `gui` command, the default one: open the window on the library, with
the folders named on the command line added and indexed."""

from __future__ import annotations

from pathlib import Path

from faceorganizer.cli.common import WindowFolders


def register(commands, common) -> dict:
    gui = commands.add_parser(
        "gui", parents=[common], help="open the window (the default command)",
        description="Open the window. FOLDERs are added to the library and indexed.",
    )
    gui.add_argument("folders", nargs="*", type=Path, action=WindowFolders, metavar="FOLDER")
    gui.add_argument("--screenshot", metavar="FILE.png",
                     help="open, wait until the people and their thumbnails are shown, save the window"
                     " as FILE.png and exit")
    return {"gui": _cmd_gui}


def _cmd_gui(args) -> int:
    from faceorganizer.service.launch import start

    started = start()  # first: the library loads in its process while Qt and the window's code load here
    from faceorganizer.ui.app import run

    return run([str(f) for f in args.folders], str(args.library) if args.library else None,
               args.qdrant_url, args.screenshot, started)
