"""Adding faceorganizer to the desktop's application menu (freedesktop.org:
Linux and the BSDs), for installs that a system package manager did not make
(a virtual environment, `pip install --user`, pipx).

The menu entry starts the very Python that runs this, with its own path, so
it works without faceorganizer on the PATH.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

_SPECIAL = set(" \t\n\"'\\><~|&;$*?#()`")


def data_home() -> Path:
    """$XDG_DATA_HOME, else ~/.local/share."""
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def entry_paths() -> tuple[Path, Path]:
    """Where the menu entry and the icon go."""
    home = data_home()
    return home / "applications" / "faceorganizer.desktop", home / "icons/hicolor/scalable/apps/faceorganizer.svg"


def install() -> tuple[Path, Path]:
    """Write the menu entry and the icon; returns their paths."""
    entry, icon = entry_paths()
    resources = files("faceorganizer.resources")
    command = f"{_quoted(sys.executable)} -m faceorganizer gui %F"
    lines = [f"Exec={command}" if line.startswith("Exec=") else line
             for line in resources.joinpath("faceorganizer.desktop").read_text(encoding="utf-8").splitlines()]
    entry.parent.mkdir(parents=True, exist_ok=True)
    entry.write_text("\n".join(lines) + "\n", encoding="utf-8")
    icon.parent.mkdir(parents=True, exist_ok=True)
    icon.write_bytes(resources.joinpath("faceorganizer.svg").read_bytes())
    _refresh(entry.parent)
    return entry, icon


def remove() -> list[Path]:
    """Remove the menu entry and the icon; returns those that were there."""
    removed = [path for path in entry_paths() if path.exists()]
    for path in removed:
        path.unlink()
    _refresh(entry_paths()[0].parent)
    return removed


def _quoted(argument: str) -> str:
    """An Exec argument as the Desktop Entry specification wants it quoted."""
    if _SPECIAL & set(argument):
        argument = '"' + "".join("\\" + c if c in '"`$\\' else c for c in argument) + '"'
        argument = argument.replace("\\", "\\\\")  # the string-escape level of the key file
    return argument.replace("%", "%%")


def _refresh(applications: Path) -> None:
    """Let the desktop see the change ("Open with" on folders needs this)."""
    if applications.is_dir() and shutil.which("update-desktop-database"):
        subprocess.run(["update-desktop-database", "-q", str(applications)], check=False)
