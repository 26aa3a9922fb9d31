"""The `write-xmp` command: the names of the faces written into XMP sidecars
beside the photos, for digiKam, darktable, Lightroom and exiftool; the
photos themselves are never changed."""

from __future__ import annotations

from pathlib import Path

from faceorganizer.cli.common import Folders, open_library
from faceorganizer.config import SIDECAR_STYLES
from faceorganizer.humanize import count, duration


def register(commands, common) -> dict:
    write_xmp = commands.add_parser(
        "write-xmp", parents=[common], help="write the names into XMP sidecars for other photo tools",
        description="Write every named face of the photos in FOLDERs (of the whole library when none is given) "
        "into an XMP sidecar beside its photo, as a face region (MWG) with the name, and the names as keywords, "
        "as digiKam, darktable, Lightroom and exiftool read them. An existing sidecar keeps its other fields and "
        "regions. The photos are never changed.",
    )
    write_xmp.add_argument("folders", nargs="*", type=Path, action=Folders, metavar="FOLDER")
    write_xmp.add_argument("--style", choices=SIDECAR_STYLES,
                           help="digikam: photo.jpg.xmp (digiKam, darktable; the default); lightroom: photo.xmp")
    write_xmp.add_argument("--person", type=int, metavar="ID", help="only this person's faces")
    return {"write-xmp": _cmd_write_xmp}


def _cmd_write_xmp(args) -> int:
    from faceorganizer.cli.progress import run_job
    from faceorganizer.jobs import SidecarsJob

    with open_library(args) as library:
        ended = run_job(SidecarsJob(library, args.style, label="Writing sidecars", folders=args.folders,
                                    person=args.person))
    report = ended.report
    written = report.created + report.updated
    print(f"{count(written, 'sidecar')} written ({report.created:,} new, {report.updated:,} updated) with "
          f"{count(report.faces, 'named face')}; {len(report.failed):,} failed ({duration(ended.seconds)})")
    for path, reason in report.failed:
        print(f"  failed {path}: {reason}")
    return 0
