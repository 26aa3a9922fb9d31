"""Names written into XMP sidecars from the window: for the whole library
(File menu), for the selected people (their context menu), and after each
correction when the setting asks for it; exiftool reads them back."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from faceorganizer.library import FaceLibrary
from faceorganizer.protocol import Rename

from .gestures import select_person
from .test_settings import answer_settings


@pytest.fixture
def exiftool() -> str:
    path = shutil.which("exiftool")
    if path is None:
        pytest.skip("exiftool is not installed (apt-get install libimage-exiftool-perl)")
    return path


def names_in_sidecar(photo: str) -> list[str]:
    """The names of the face regions exiftool reads in the photo's digiKam sidecar."""
    out = subprocess.run(["exiftool", "-j", "-struct", "-XMP-mwg-rs:RegionInfo", photo + ".xmp"],
                         capture_output=True, text=True, check=True).stdout
    return sorted(r["Name"] for r in json.loads(out)[0]["RegionInfo"]["RegionList"])


def name_people(library_dir: Path, names: list[str]) -> dict[str, list[str]]:
    """Name the biggest people `names`; returns each name's photos."""
    with FaceLibrary(library_dir) as library:
        photos = {}
        for person, name in zip(library.people(), names):
            library.rename(person.cluster_id, name)
            photos[name] = sorted({f["path"] for f in library.iter_faces(person.cluster_id)})
    return photos


def sidecars_written(qtbot, window):
    """Wait for the end of the sidecars job (not of the check for changed photos the window starts with)."""
    return qtbot.waitSignal(window.client.worker.jobFinished, timeout=60_000,
                            check_params_cb=lambda job, _summary: job == "sidecars")


def sidecars_in(library_dir: Path) -> list[Path]:
    with FaceLibrary(library_dir) as library:
        return sorted(Path(folder) / p.name for folder in library.folders() for p in Path(folder).glob("*.xmp"))


def test_the_file_menu_writes_every_named_face_into_sidecars(qtbot, open_window, indexed_library, exiftool):
    photos = name_people(indexed_library, ["Anna", "Ben"])
    window = open_window(indexed_library)
    with sidecars_written(qtbot, window) as finished:
        window.actions.write_sidecars.trigger()
    written = sorted(set(photos["Anna"]) | set(photos["Ben"]))
    assert finished.args == ["sidecars", f"Wrote {len(written)} sidecars for 2 named people"]
    assert window.status_message.text() == finished.args[1]
    for photo in written:
        assert names_in_sidecar(photo) == sorted(n for n in ("Anna", "Ben") if photo in photos[n])


def test_the_people_menu_writes_the_selected_persons_sidecars(qtbot, open_window, indexed_library, exiftool):
    photos = name_people(indexed_library, ["Anna", "Ben"])
    window = open_window(indexed_library)
    anna = next(row for row, p in enumerate(window.people_model.items()) if p.name == "Anna")
    select_person(qtbot, window, anna)
    with sidecars_written(qtbot, window):
        window.actions.write_people_sidecars.trigger()
    assert window.status_message.text() == f"Wrote {len(photos['Anna'])} sidecars for 1 named person"
    for photo in photos["Anna"]:
        assert names_in_sidecar(photo) == ["Anna"]
    window.close()
    assert len(sidecars_in(indexed_library)) == len(photos["Anna"])


def test_with_the_setting_on_a_rename_rewrites_the_sidecars(qtbot, open_window, indexed_library, exiftool):
    photos = name_people(indexed_library, ["Anna"])["Anna"]
    window = open_window(indexed_library)
    assert not window.info.sidecars.write_after_corrections  # off by default

    def turn_on(dialog):
        dialog.write_sidecars.setChecked(True)
        dialog.accept()

    answer_settings(window, turn_on)
    qtbot.waitUntil(lambda: window.info.sidecars.write_after_corrections, timeout=20_000)
    anna = next(p.cluster_id for p in window.browser.people if p.name == "Anna")
    with sidecars_written(qtbot, window) as finished:
        window.client.call(Rename(anna, "Anna Lind"))
    assert finished.args == ["sidecars", ""]  # quietly: the status bar still offers to undo the rename
    assert window.status_message.text() == "Rename 'Anna' to 'Anna Lind'"
    for photo in photos:
        assert names_in_sidecar(photo) == ["Anna Lind"]
    with sidecars_written(qtbot, window):
        window.undo()
    for photo in photos:
        assert names_in_sidecar(photo) == ["Anna"]
    window.close()
    with FaceLibrary(indexed_library) as library:
        assert library.sidecar_settings().write_after_corrections  # kept in the library
