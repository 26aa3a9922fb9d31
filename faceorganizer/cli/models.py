"""The `models` command: which face models the library's vectors are of,
and `models use DIR`, which embeds every face again with other models and
switches the library to them (faceorganizer.model_switch), with a progress
bar; Ctrl+C stops after the photos in progress, and running it again goes on
from there."""

from __future__ import annotations

from pathlib import Path

from faceorganizer.cli.common import open_library
from faceorganizer.humanize import count


def register(commands, common) -> dict:
    models = commands.add_parser(
        "models", parents=[common], help="the face models of the library; `models use DIR` switches them",
        description="Show which face models the library's faces were found and described with. "
        "`models use DIR` switches to the models in DIR (InsightFace's buffalo_l det_10g.onnx and "
        "w600k_r50.onnx; an empty DIR means the bundled models): every face is embedded again, keeping its "
        "person, name and corrections; the library works on its old vectors until the switch completes, "
        "and a switch stopped part way goes on when run again.",
    )
    models.add_argument("use", nargs="?", choices=["use"], help="switch to the models in DIR")
    models.add_argument("folder", nargs="?", type=Path, metavar="DIR", help="the folder of the models to use")
    return {"models": _cmd_models}


def _cmd_models(args) -> int:
    if args.use:
        return _switch(args)
    with open_library(args) as library:
        used = library.models_in_use()
    print(f"The library {library.folder} uses {used.models.describe()}; {count(used.faces, 'face')} "
          "have vectors of it.")
    if used.pending is not None:
        print(f"A switch to {used.pending.describe()} is under way: {count(used.staged, 'face')} embedded "
              "so far. Run `faceorganizer models use` with its folder again to finish it.")
    return 0


def _switch(args) -> int:
    from faceorganizer.cli.progress import cancel_on_interrupt, run_job
    from faceorganizer.jobs import SwitchModelsJob

    cancel = cancel_on_interrupt()
    with open_library(args) as library:
        ended = run_job(SwitchModelsJob(library, args.folder), cancel)
    print(ended.summary)
    if ended.problems:
        print("Faces no detection of the new models matched, kept at their old box, or not embedded:")
        for photo, what in ended.problems:
            print(f"  {photo}: {what}")
    report = ended.report
    return 130 if report.cancelled else 0 if report.completed else 1
