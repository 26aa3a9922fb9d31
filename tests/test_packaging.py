"""What a user or a packager gets from the sdist and the wheel: the licence,
the README's screenshot, the desktop file and icons, and entry points that
resolve.

Both are built the way `python -m build --no-isolation` does (the sdist from a
copy of the source tree, the wheel from the unpacked sdist), by calling the
setuptools backend directly, so no network and no `build` package are needed.
"""

from __future__ import annotations

import configparser
import importlib
import importlib.metadata
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: The backend pyproject.toml asks for (license-files needs 77).
BACKEND = ("setuptools", 77)

_BUILD = """\
import os, sys, tarfile
from pathlib import Path
import setuptools.build_meta as backend

out = Path(sys.argv[1])
sdist = out / backend.build_sdist(str(out))
with tarfile.open(sdist) as archive:
    archive.extractall(out / "unpacked", filter="data")
(tree,) = (out / "unpacked").iterdir()
os.chdir(tree)
wheel = out / backend.build_wheel(str(out))
print(sdist, wheel, sep="\\n")
"""


def _backend_missing() -> str | None:
    name, major = BACKEND
    try:
        version = importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return f"{name} is not installed"
    if int(version.split(".")[0]) < major:
        return f"{name} {version} is older than {major}, the build backend pyproject.toml asks for"
    return None


class Built(NamedTuple):
    source: Path
    #: The sdist's file names, without the top folder.
    sdist: set[str]
    wheel: zipfile.ZipFile


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Built:
    """The sdist and the wheel built from a copy of the source tree."""
    missing = _backend_missing()
    if missing:
        pytest.skip(f"cannot build the sdist and wheel here: {missing} (pip install -e '.[test]')")
    work = tmp_path_factory.mktemp("packaging")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "__pycache__", "*.egg-info", "build", "dist", ".pytest_cache"))
    out = work / "out"
    out.mkdir()
    result = subprocess.run([sys.executable, "-c", _BUILD, str(out)], cwd=source,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    sdist_path, wheel_path = (Path(line) for line in result.stdout.splitlines()[-2:])
    with tarfile.open(sdist_path) as sdist:
        sdist_names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    wheel = zipfile.ZipFile(wheel_path)
    yield Built(source, sdist_names, wheel)
    wheel.close()


def _dist_info(wheel: zipfile.ZipFile, name: str) -> str:
    (path,) = [n for n in wheel.namelist() if n.endswith(f".dist-info/{name}")]
    return wheel.read(path).decode()


def _icons(source: Path) -> list[str]:
    return sorted(p.name for p in (source / "resources" / "icons").glob("*.svg"))


def test_sdist_has_the_licence_readme_screenshot_and_resources(built):
    assert {"LICENSE", "README.md", "pyproject.toml", "resources/screenshot.png",
            "resources/faceorganizer.desktop", "resources/faceorganizer.svg"} <= built.sdist
    assert {f"resources/icons/{name}" for name in _icons(built.source)} <= built.sdist


def test_wheel_carries_the_licence(built):
    licence = _dist_info(built.wheel, "licenses/LICENSE")
    assert licence.startswith("MIT License") and "the faceorganizer authors" in licence
    metadata = _dist_info(built.wheel, "METADATA")
    assert "License-Expression: MIT" in metadata
    assert "License-File: LICENSE" in metadata


def test_wheel_carries_the_desktop_file_and_icons_but_not_the_screenshot(built):
    names = set(built.wheel.namelist())
    assert {"faceorganizer/resources/faceorganizer.desktop", "faceorganizer/resources/faceorganizer.svg",
            "faceorganizer/resources/style.qss"} <= names
    assert {f"faceorganizer/resources/icons/{name}" for name in _icons(built.source)} <= names
    assert not any(name.endswith("screenshot.png") for name in names)


def test_wheel_has_every_module_of_the_source_tree(built):
    """pyproject.toml lists the packages: a new one must be added there."""
    modules = {p.relative_to(built.source).as_posix() for p in (built.source / "faceorganizer").rglob("*.py")}
    missing = modules - set(built.wheel.namelist())
    assert not missing, f"not in the wheel (add their packages to pyproject.toml): {sorted(missing)}"


def _entry_points(wheel: zipfile.ZipFile) -> configparser.ConfigParser:
    entry_points = configparser.ConfigParser()
    entry_points.read_string(_dist_info(wheel, "entry_points.txt"))
    return entry_points


def test_entry_points_are_declared_and_resolve(built):
    entry_points = _entry_points(built.wheel)
    assert entry_points["console_scripts"]["faceorganizer"] == "faceorganizer.cli:main"
    # A gui script runs without a console window on Windows.
    assert "faceorganizer-gui" in entry_points["gui_scripts"]
    for section in ("console_scripts", "gui_scripts"):
        for target in entry_points[section].values():
            module, _, function = target.partition(":")
            assert callable(getattr(importlib.import_module(module), function)), target


def test_desktop_file_starts_the_gui_script_with_the_shipped_icon(built):
    wheel = built.wheel
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read_string(wheel.read("faceorganizer/resources/faceorganizer.desktop").decode())
    desktop = entry["Desktop Entry"]
    assert desktop["Type"] == "Application"
    assert desktop["Exec"].split()[0] in _entry_points(wheel)["gui_scripts"]
    assert f"faceorganizer/resources/{desktop['Icon']}.svg" in wheel.namelist()
