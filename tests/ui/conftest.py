"""Fixtures for the window: a real library built from real photos, opened by
the real worker thread, with Qt offscreen."""

from __future__ import annotations

import pytest
from pathlib import Path
from PySide6.QtCore import QThreadPool

from faceorganizer.library import FaceLibrary


class IndexedLibrary(type(Path())):
    """The library folder, with `people`: what the core listed, as
    (name, face count) per person, biggest first."""

    people: list


@pytest.fixture
def indexed_library(tmp_path, analyzer, make_photos):
    """A library folder with three shots of t1.jpg's six people and three of
    gdp.jpg's, indexed (so grouped into people), and closed again."""
    folder = IndexedLibrary(tmp_path / "library")
    with FaceLibrary(folder, analyzer=analyzer) as library:
        library.add_folders([make_photos("t1", "t1", 3)[0].parent, make_photos("gdp", "gdp", 3)[0].parent])
        for photos in library.folders():
            library.index_directory(photos)
        folder.people = [(p.name, p.face_count) for p in library.people()]
    assert len(folder.people) >= 8
    return folder


@pytest.fixture
def open_window(qtbot):
    """open_window(library_dir, folders=()) -> a shown MainWindow, ready."""
    from faceorganizer.ui.app import application
    from faceorganizer.ui.mainwindow import MainWindow
    from faceorganizer.ui.worker import LibraryClient

    windows = []

    def open_(library_dir, folders=(), wait_ready=True):
        application()
        client = LibraryClient()
        window = MainWindow(client, list(map(str, folders)), library_dir=str(library_dir), interactive=False)
        qtbot.addWidget(window)
        windows.append(window)
        window.show()
        if wait_ready:
            with qtbot.waitSignal(window.ready, timeout=60_000):
                pass
        return window

    yield open_
    for window in windows:
        window.close()
        assert not window.client.is_running(), "the library process outlived its window"
    assert QThreadPool.globalInstance().waitForDone(10_000)
