"""Finding the photo files of a folder and telling whether they changed.

`scan_folder` lists a folder's photos (each file once, however many paths lead
to it) with their stat, and the XMP sidecars beside them; the version helpers
turn a stat into what a photo record keeps of its file (size, times, which
file it is) and compare two of them, which is how indexing skips unchanged
photos and follows moved ones.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from faceorganizer.images import is_photo_path

def scan_folder(
    root: Path, recursive: bool = True, skip: Iterable[Path] = ()
) -> tuple[list[tuple[str, os.stat_result]], list[tuple[str, str]], int, set[str]]:
    """The photo files under `root` with their stat, the folders that could
    not be read with the reason, how many paths were left out as links to a
    file already listed, and the XMP files (sidecars) beside them. Hidden
    files and folders are left out, and so are the folders in `skip` (the
    library folder, should it lie inside; folders the user excluded).

    A file reached by several paths (symlinks, hard links) is listed once,
    by a path that is not a symlink where there is one."""
    files: list[tuple[str, os.stat_result]] = []
    xmp_files: set[str] = set()
    symlinks: set[str] = set()
    errors: list[tuple[str, str]] = []
    skipped = {str(folder.resolve()) for folder in skip}
    stack = [str(root)]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError as exc:
            errors.append((folder, os_reason(exc)))
            continue
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    if recursive and entry.path not in skipped:
                        stack.append(entry.path)
                elif is_photo_path(entry.name) and entry.is_file():
                    files.append((entry.path, entry.stat()))
                    if entry.is_symlink():
                        symlinks.add(entry.path)
                elif entry.name.endswith(".xmp"):
                    xmp_files.add(entry.path)
            except OSError as exc:
                errors.append((entry.path, os_reason(exc)))
    by_file: dict[tuple[int, int], tuple[str, os.stat_result]] = {}
    for path, st in sorted(files, key=lambda f: (f[0] in symlinks, f[0])):
        by_file.setdefault((st.st_dev, st.st_ino), (path, st))
    return sorted(by_file.values()), errors, len(files) - len(by_file), xmp_files


def file_version(st: os.stat_result) -> dict:
    """What tells a file's content changed (size, times), and which file it
    is whatever path leads to it (`file_key`: device and inode)."""
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "ctime_ns": st.st_ctime_ns,
            "file_key": f"{st.st_dev}:{st.st_ino}"}


def version_key(version: dict) -> str:
    """The part of a face id that changes when its photo file changes."""
    return f"{version['size']}:{version['mtime_ns']}" if version else ""


def move_key(version: dict) -> tuple:
    return (version.get("size"), version.get("mtime_ns"))


def same_content(old: dict | None, new: dict) -> bool:
    """Whether two versions of a file have the same content (size and mtime)."""
    return old is not None and move_key(old) == move_key(new)


def same_version(record: dict, version: dict[str, int]) -> bool:
    """Whether a file is as it was when indexed. A file that failed is retried
    when its ctime changed too (say after a chmod that made it readable)."""
    old = record.get("version") or {}
    keys = ("size", "mtime_ns") if record.get("status") == "done" else ("size", "mtime_ns", "ctime_ns")
    return all(old.get(k) == version.get(k) for k in keys)


#: Why a photo whose path is not UTF-8 text (a name from an old camera or
#: archive, in another encoding) is not indexed: the store keeps paths as text.
NOT_TEXT = "its name is not UTF-8 text: rename it to index it"


def is_text(path: str) -> bool:
    """Whether a path is UTF-8 text (Python carries other bytes of a name as
    lone surrogates, which no store, JSON or terminal takes)."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def printable(path: str) -> str:
    """A path as it can be shown: bytes of its name that are not UTF-8 as �."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def os_reason(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, FileNotFoundError):
        return "file not found (removed while indexing?)"
    return exc.strerror or str(exc)


def under_unreadable(path: str, unreadable: list[tuple[str, str]]) -> bool:
    """A photo in a folder we could not read may still exist: keep its faces."""
    return any(path.startswith(folder + os.sep) or path == folder for folder, _ in unreadable)

