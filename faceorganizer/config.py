"""The core's settings: each declared once, with its default and what it means."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, fields
from pathlib import Path

import platformdirs

from faceorganizer.errors import FaceOrganizerError

#: Engines a library folder can hold, by the sub-folder each keeps its files in.
ENGINES = {"edge": "edge", "local": "qdrant"}

#: Environment variable naming the library folder (the --library option wins).
LIBRARY_ENV = "FACEORGANIZER_LIBRARY"

#: Where a photo's XMP sidecar is, by the tools that read it: digiKam and
#: darktable read `photo.jpg.xmp`, Lightroom `photo.xmp`.
SIDECAR_STYLES = ("digikam", "lightroom")


def default_library_dir() -> Path:
    """$FACEORGANIZER_LIBRARY, else the per-user data folder
    (~/.local/share/faceorganizer/library on Linux)."""
    env = os.environ.get(LIBRARY_ENV)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("faceorganizer", appauthor=False)) / "library"


@dataclass
class Settings:
    """What a user may tune. Defaults suit personal photo libraries."""

    min_face_size: int = field(
        default=20,
        metadata={"help": "faces whose box is smaller than this many pixels (shorter side, "
                          "in the full-size photo) are ignored: too small to recognise"},
    )
    min_det_score: float = field(
        default=0.5,
        metadata={"help": "faces the detector is less sure of than this (0..1) are ignored"},
    )
    model_dir: str | None = field(
        default=None,
        metadata={"help": "folder with InsightFace's larger buffalo_l models (det_10g.onnx, "
                          "w600k_r50.onnx); the bundled smaller models are used otherwise"},
    )
    small_faces: bool = field(
        default=True,
        metadata={"help": "look closer at big photos whose first look hints at small faces (a group, "
                          "a crowd, a wide shot), to find faces down to 40 pixels"},
    )
    decode_size: int = field(
        default=1280,
        metadata={"help": "photos are decoded with their longer side at most this many pixels"},
    )
    det_size: int = field(
        default=640,
        metadata={"help": "the face detector's input size (longer side, pixels)"},
    )
    cluster_threshold: float | None = field(
        default=None,
        metadata={"help": "how alike (cosine similarity, -1..1) two faces must be to count as one "
                          "person; slightly less alike faces need two such links. Unset: the "
                          "library's last value, else 0.475"},
    )
    min_faces: int = field(
        default=2,
        metadata={"help": "a group of faces becomes a person once it has this many faces; "
                          "smaller groups stay unassigned (a named person is always listed)"},
    )
    sidecar_style: str = field(
        default="digikam",
        metadata={"help": "where names are written for other photo tools: digikam (photo.jpg.xmp, "
                          "read by digiKam and darktable) or lightroom (photo.xmp)"},
    )
    write_sidecars: bool = field(
        default=False,
        metadata={"help": "after each correction that changes the names of faces, write the names "
                          "into the sidecars of the photos it touched"},
    )
    workers: int = field(
        default_factory=lambda: max(1, os.cpu_count() or 1),
        metadata={"help": "photos analysed in parallel"},
    )

    @classmethod
    def describe(cls) -> dict[str, str]:
        return {f.name: f.metadata.get("help", "") for f in fields(cls)}


@dataclass(frozen=True)
class GroupingSettings:
    """How a library's faces become people. The library keeps these in its
    store, so the command line and the window group its faces alike."""

    cluster_threshold: float
    min_faces: int
    min_face_size: int


@dataclass(frozen=True)
class SidecarSettings:
    """How a library writes names into XMP sidecars (kept in its store)."""

    style: str
    write_after_corrections: bool


def sidecar_changes(style: str | None = None, write_after_corrections: bool | None = None) -> dict:
    """The sidecar settings given (None: unchanged) as the library keeps
    them, checked; a bad value raises FaceOrganizerError naming it."""
    changes: dict = {}
    if style is not None:
        if style not in SIDECAR_STYLES:
            raise FaceOrganizerError(f"The sidecar style {style!r} is not one of {', '.join(SIDECAR_STYLES)}.")
        changes["sidecar_style"] = style
    if write_after_corrections is not None:
        changes["write_sidecars"] = bool(write_after_corrections)
    return changes


def grouping_changes(cluster_threshold: float | None = None, min_faces: int | None = None,
                     min_face_size: int | None = None) -> dict:
    """The grouping settings given (None: unchanged), checked; a bad value
    raises FaceOrganizerError naming it."""
    changes = {}
    if cluster_threshold is not None:
        if not (isinstance(cluster_threshold, (int, float)) and 0 < cluster_threshold < 1
                and math.isfinite(cluster_threshold)):
            raise FaceOrganizerError(f"The threshold {cluster_threshold!r} is not a similarity between 0 and 1.")
        changes["cluster_threshold"] = float(cluster_threshold)
    for name, value, what in (("min_faces", min_faces, "minimum number of faces per person"),
                              ("min_face_size", min_face_size, "minimum face size")):
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise FaceOrganizerError(f"The {what} {value!r} is not a whole number of 1 or more.")
            changes[name] = value
    return changes
