"""Subfolders of the library's folders left out of indexing (scans, screenshots,
someone else's photos): kept in the library, so that the window, its watched
folders and `faceorganizer index` all leave them out.

Excluding a folder forgets the faces of its photos (the photos stay as they
are); including it again indexes them at the next indexing of its folder.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from faceorganizer.store import Batch

if TYPE_CHECKING:
    from faceorganizer.library import FaceLibrary

#: The library's metadata entry that lists them.
EXCLUDED = "excluded_folders"


def excluded_folders(library: FaceLibrary) -> list[str]:
    return list(library._meta.get(EXCLUDED, []))


def exclude_folder(library: FaceLibrary, folder: str | os.PathLike, excluded: bool = True) -> int:
    """Leave a folder out of indexing (or take it in again); returns how many faces were forgotten."""
    path = str(Path(folder).expanduser().resolve())
    current = excluded_folders(library)
    if excluded == (path in current):
        return 0
    batch = Batch(meta={EXCLUDED: sorted({*current, path} if excluded else set(current) - {path})})
    records = list(library.store.iter_photos(under=path)) if excluded else []
    library._forget_photos(records, batch)
    library._store(batch)
    return sum(len(r.get("face_ids", [])) for r in records)
