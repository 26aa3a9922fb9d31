"""Watched folders: photos copied into, or removed from, a library folder while
the window is open are indexed without a rescan."""

from __future__ import annotations

import shutil

from conftest import photo_variant

from .gestures import activate


def faces_of_t1_people(window) -> list[int]:
    return sorted(p.face_count for p in window.browser.people if p.face_count >= 3)[-6:]


def test_a_photo_copied_into_a_watched_folder_joins_its_people_and_leaves_them_when_removed(
        qtbot, open_window, indexed_library, sample_photos, tmp_path):
    window = open_window(indexed_library)
    activate(qtbot, window)
    t1_folder = next(f for f in window.sidebar_folders() if f.endswith("t1"))
    before = {p.cluster_id: p.face_count for p in window.browser.people}
    # Written elsewhere, then copied in, as a user copies a photo from a camera.
    shot = photo_variant(sample_photos["t1"], tmp_path / "new-shot.jpg", 11)
    shutil.copy(shot, f"{t1_folder}/new-shot.jpg")
    qtbot.waitUntil(lambda: sum(1 for p in window.browser.people if p.face_count == before.get(p.cluster_id, 0) + 1)
                    == 6, timeout=60_000)
    qtbot.waitUntil(lambda: window.status_message.text().startswith("Indexed: 1 photo, 6 faces found"), timeout=20_000)

    (tmp_path / "gone").mkdir()
    shutil.move(f"{t1_folder}/new-shot.jpg", tmp_path / "gone" / "new-shot.jpg")
    qtbot.waitUntil(lambda: {p.cluster_id: p.face_count for p in window.browser.people} == before, timeout=60_000)


def test_a_subfolder_excluded_from_the_folders_menu_loses_its_faces_and_comes_back_when_included(
        qtbot, open_window, tmp_path, sample_photos, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    root = tmp_path / "photos"
    (root / "scans").mkdir(parents=True)
    shutil.copy(sample_photos["t1"], root / "t1.jpg")
    shutil.copy(sample_photos["gdp"], root / "scans" / "gdp.jpg")
    window = open_window(tmp_path / "library", folders=[root], wait_ready=False)
    qtbot.waitUntil(lambda: window.browser.unassigned_count == 11 and not window.job_running, timeout=60_000)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *args: str(root / "scans"))
    window.sidebar.excludeSubfolder.emit(str(root))
    qtbot.waitUntil(lambda: window.browser.unassigned_count == 6, timeout=20_000)
    # The people list comes before the job's summary: wait for the summary.
    qtbot.waitUntil(lambda: window.status_message.text()
                    == f"{root / 'scans'} is left out of indexing (5 faces forgotten)", timeout=20_000)
    assert window.sidebar.excluded == [str(root / "scans")]
    window.rescan()
    qtbot.waitUntil(lambda: window.status_message.text().startswith("Indexed: 0 photos"), timeout=20_000)
    assert window.browser.unassigned_count == 6
    window.sidebar.includeAgain.emit(str(root / "scans"))
    qtbot.waitUntil(lambda: window.browser.unassigned_count == 11, timeout=60_000)
    assert window.sidebar.excluded == []
