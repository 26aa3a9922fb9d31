"""Watching folders (faceorganizer.watching) and leaving subfolders out of
indexing (faceorganizer.exclusions)."""

from __future__ import annotations

import shutil
import time

from faceorganizer.cli import main
from faceorganizer.library import FaceLibrary
from faceorganizer.watching import FolderWatcher


def wait_for_due(watcher: FolderWatcher, seconds: float = 20.0) -> list[str]:
    """What the watcher has to index, once something has (polled as the service does when idle)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if due := watcher.due():
            return due
        time.sleep(0.1)
    return []


def test_a_photo_copied_in_is_due_once_quiet_and_hidden_files_excluded_folders_and_others_are_not(
        tmp_path, sample_photos):
    root = tmp_path / "photos"
    (root / "2024" / "summer").mkdir(parents=True)
    (root / "scans").mkdir()
    (root / "2024" / "old.jpg").write_bytes(sample_photos["t1"].read_bytes())
    watcher = FolderWatcher(quiet_seconds=0.5)
    try:
        watcher.watch([str(root)], skip=[str(root / "scans")])
        shutil.copy(sample_photos["gdp"], root / "scans" / "scan.jpg")
        (root / "2024" / "notes.txt").write_text("not a photo")
        shutil.copy(sample_photos["gdp"], root / "2024" / ".hidden.jpg")
        shutil.copy(sample_photos["gdp"], root / "2024" / "summer" / "beach.jpg")
        assert wait_for_due(watcher) == [str(root / "2024" / "summer")]
        (root / "2024" / "summer" / "beach.jpg").unlink()
        # A folder left without photos: its watched folder is indexed (an empty folder forgets nothing).
        assert wait_for_due(watcher) == [str(root)]
        (root / "2024" / "old.jpg").unlink()
        (root / "2024" / "summer").rmdir()
        assert wait_for_due(watcher) == [str(root)]
        watcher.watch([])
        shutil.copy(sample_photos["gdp"], root / "after.jpg")
        time.sleep(1.0)
        assert watcher.due() == []
    finally:
        watcher.stop()


def test_an_excluded_subfolder_loses_its_faces_and_the_command_line_index_leaves_it_out(
        tmp_path, sample_photos, analyzer, capsys):
    root = tmp_path / "photos"
    (root / "scans").mkdir(parents=True)
    shutil.copy(sample_photos["t1"], root / "t1.jpg")
    shutil.copy(sample_photos["gdp"], root / "scans" / "gdp.jpg")
    library_dir = tmp_path / "library"
    with FaceLibrary(library_dir, analyzer=analyzer) as library:
        library.add_folders([root])
        assert library.index_directory(root).faces_found == 11
        assert library.exclude_folder(root / "scans") == 5
        assert library.excluded_folders() == [str(root / "scans")]
        assert {f["path"] for f in library.iter_faces()} == {str(root / "t1.jpg")}
    assert main(["index", "--library", str(library_dir), str(root)]) == 0
    capsys.readouterr()
    assert main(["faces", "--library", str(library_dir), "--json"]) == 0
    assert "scans" not in capsys.readouterr().out
    with FaceLibrary(library_dir, analyzer=analyzer) as library:
        assert library.exclude_folder(root / "scans", excluded=False) == 0
        assert library.index_directory(root).faces_found == 5
