"""The folders a library indexes: adding them, removing one (its photos'
faces are forgotten, the photos stay untouched), and when each photo under
them was taken. FaceLibrary's methods of the same names hand over to these;
the subfolders left out of indexing are in faceorganizer.exclusions.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from faceorganizer.store import Batch

if TYPE_CHECKING:
    from faceorganizer.library import FaceLibrary


def photo_dates(library: FaceLibrary, folder: str | os.PathLike | None = None) -> dict[str, tuple[str, str]]:
    """When each indexed photo (anywhere under `folder`, or all) was taken:
    path -> (ISO 8601 date, 'exif', 'digitized' or 'file'), that is the
    EXIF DateTimeOriginal (with its offset from UTC when the camera wrote
    one), else DateTimeDigitized, else the file's modification time.
    Photos indexed before dates were kept get theirs at the next indexing
    of their folder."""
    under = str(Path(folder).expanduser().resolve()) if folder is not None else None
    return {r["path"]: (r["taken"], r["taken_from"])
            for r in library.store.iter_photos(under=under) if r.get("taken") and r.get("path")}


def add_folders(library: FaceLibrary, folders: Iterable[str | os.PathLike]) -> list[str]:
    """Add folders to the library's list (each once); returns the list."""
    current = library.folders()
    for folder in folders:
        path = str(Path(folder).expanduser().resolve())
        if path not in current:
            current.append(path)
    library._store(Batch(meta={"folders": current}))
    return current


def remove_folder(library: FaceLibrary, folder: str | os.PathLike) -> int:
    """Stop indexing a folder and forget its photos' faces (the photos
    stay untouched); returns how many faces were forgotten."""
    path = str(Path(folder).expanduser().resolve())
    batch = Batch(meta={"folders": [f for f in library.folders() if f != path]})
    records = list(library.store.iter_photos(under=path))
    library._forget_photos(records, batch)
    library._store(batch)
    return sum(len(r.get("face_ids", [])) for r in records)
