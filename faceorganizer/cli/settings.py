"""The `settings` command: show or change how the library groups faces into
people (threshold, min-faces, min-face-size), kept in the library so the
window uses them too."""

from __future__ import annotations

import json

from faceorganizer.cli.common import open_application, positive_count, similarity


def register(commands, common) -> dict:
    settings = commands.add_parser(
        "settings", parents=[common], help="show or change how the library groups faces into people",
        description="Show the library's settings, or change those given. They are kept in the library, "
        "so the window groups its faces by them too.",
    )
    settings.add_argument("--threshold", type=similarity, metavar="T",
                          help="how alike two faces must be (cosine similarity) to be one person")
    settings.add_argument("--min-faces", type=positive_count, metavar="N",
                          help="a group of faces becomes a person from this many faces")
    settings.add_argument("--min-face-size", type=positive_count, metavar="PX",
                          help="faces smaller than this (pixels, shorter side) are ignored from the next indexing")
    settings.add_argument("--json", action="store_true", help="print JSON")
    return {"settings": _cmd_settings}


def _cmd_settings(args) -> int:
    from dataclasses import asdict

    from faceorganizer.protocol import ChangeSettings

    with open_application(args) as app:
        before = app.library.grouping_settings()
        after = app.execute(ChangeSettings(args.threshold, args.min_faces, args.min_face_size))
        engine = app.library.store.engine
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
