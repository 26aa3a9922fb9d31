"""How the window follows its library: the service's events about the
library itself (opened, could not open, a call failed, the service died)
and about what it holds (the people, a person's faces, a change and the
Undo and Redo it makes possible, the folders, the settings, the review
questions), each taken into the window's panes and state."""

from __future__ import annotations

import gc
import sys
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox

from faceorganizer.config import GroupingSettings, SidecarSettings
from faceorganizer.people import Person
from faceorganizer.protocol import (
    CORRECTED,
    DISK_FULL,
    REDONE,
    REGROUPED,
    UNASSIGNED,
    UNDONE,
    UNEXPECTED,
    AddFolders,
    Changed,
    ChangeSettings,
    Failure,
    Index,
    LibraryInfo,
    Open,
    WatchFolders,
)
from faceorganizer.ui import migration
from faceorganizer.ui.panes.sidebar import REVIEW
from faceorganizer.ui.panes.status import CONTINUE, REDO, UNDO
from faceorganizer.ui.settings import take_old_grouping_settings

if TYPE_CHECKING:
    from faceorganizer.ui.mainwindow import MainWindow

#: A service that stops this many times in a row before the library opens is not started again.
_RESTARTS = 3


class LibraryEvents(QObject):
    """Takes the library service's events into `window`."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.client = window.client
        self.status = window.status
        self._restarts = 0  # of the service since the library last opened
        worker = self.client.worker
        worker.opened.connect(self.on_opened)
        worker.openFailed.connect(self.on_open_failed)
        worker.peopleChanged.connect(self.on_people)
        worker.facesReady.connect(self.on_faces)
        worker.changed.connect(self.on_changed)
        worker.historyChanged.connect(self.on_history)
        worker.settingsChanged.connect(self.on_settings)
        worker.failed.connect(self.on_failed)
        worker.died.connect(self.on_service_died)
        worker.foldersChanged.connect(self.set_folders)
        worker.excludedChanged.connect(lambda excluded: setattr(window.sidebar, "excluded", excluded))
        worker.sidecarSettingsChanged.connect(self.on_sidecar_settings)
        worker.questionsReady.connect(self.on_questions)

    # -- the library --------------------------------------------------------------------

    def on_opened(self, info: LibraryInfo) -> None:
        window = self.window
        window.info = info
        self._restarts = 0
        if old := take_old_grouping_settings():
            self.client.call(ChangeSettings(**old))
        window.thumbnails.set_folder(info.thumbnails)
        window.sidebar.excluded = info.excluded
        window.photos.set_folder(info.thumbnails)
        self.set_folders(info.folders)
        self.client.call(WatchFolders(window.settings.watch_folders))
        window.setWindowTitle(f"faceorganizer — {info.folder}")
        if window.initial_folders:
            self.client.call(AddFolders(tuple(window.initial_folders)))
            window.initial_folders = []
        if window.interactive and window.migration_offer is None and migration.worth_offering(info):
            window.migration_offer = migration.offer(window, info, self.client.call)

    def on_open_failed(self, message: str, damaged: bool) -> None:
        window = self.window
        if damaged:  # shown instead of the library, with the command and a button that repairs it
            window.damaged.show_damage(message)
            window.splitter.hide()
            return
        window.failed = True
        if window.interactive:
            QMessageBox.critical(window, "faceorganizer", message)
        else:
            print(f"faceorganizer: {message}", file=sys.stderr)
        window.close()

    def on_failed(self, failure: Failure) -> None:
        self.window.corrections.new_person_asked = False
        if failure.kind == UNEXPECTED:
            self.window.errors.show(str(failure), failure.details)
        self.status.say(f"⚠ {failure}", CONTINUE if failure.kind == DISK_FULL else None)

    def on_service_died(self, message: str) -> None:
        """Say what happened and start the service again on the same library:
        every correction made is in the library already."""
        window = self.window
        self._restarts += 1
        window.job_running = False
        self.status.show_progress(None)
        window.update_center()
        if self._restarts > _RESTARTS:
            self.status.say(f"⚠ {message} It stopped again each time it was started: close the window and try again.")
            return
        self.status.say(f"⚠ {message} It was started again; your corrections are kept.")
        self.client.restart()
        window.people_loaded = False  # the first list asks again to finish what the job left
        self.client.call(Open(*window.library))

    def set_folders(self, folders: list[str]) -> None:
        self.window.sidebar.set_folders(folders)
        if self.window.info:
            self.window.info.folders = list(folders)
        self.window.update_center()

    def on_settings(self, settings: GroupingSettings) -> None:
        if self.window.info is not None:
            self.window.info.settings = settings

    def on_sidecar_settings(self, settings: SidecarSettings) -> None:
        if self.window.info is not None:
            self.window.info.sidecars = settings

    # -- what it holds ------------------------------------------------------------------

    def on_people(self, people: list[Person], unassigned: int) -> None:
        window = self.window
        first = not window.people_loaded
        window.browser.take_people(people, unassigned)
        window.people_loaded = True
        window.update_center()
        if not window.job_running and not window.status_message.text():
            self.status.say(window.browser.summary())
        if first:
            # After the first faces are asked for: finish what a run cut short left.
            self.client.call(Index(resume=True))
        window.peopleShown.emit()
        _settle_heap()
        if not window.people_model.rowCount() and not window.job_running:
            window.ready.emit()

    def on_questions(self, questions: list, open_count: int | None) -> None:
        if open_count is not None:
            self.window.sidebar.set_counts({REVIEW: open_count})
        self.window.review_pane.set_questions(questions, open_count)

    def on_faces(self, key, faces: list) -> None:
        if self.window.browser.take_faces(key, faces):
            _settle_heap()
            if not self.window.job_running:
                self.window.ready.emit()

    def on_changed(self, changed: Changed) -> None:
        window, browser = self.window, self.window.browser
        change = changed.change
        browser.follow = change.result if isinstance(change.result, int) else None
        if changed.cause == CORRECTED:
            self.status.say(changed.description, UNDO)
            if window.corrections.new_person_asked:
                browser.to_name = change.result
        elif changed.cause == UNDONE:
            self.status.say(f"Undone: {changed.description}", REDO)
        elif changed.cause == REDONE:
            self.status.say(f"Redone: {changed.description}", UNDO)
        if changed.cause != REGROUPED:
            window.corrections_seen += 1
        window.corrections.new_person_asked = False
        if browser.current_key == UNASSIGNED or browser.current_key in change.cluster_ids:
            browser.refresh_faces()
        browser.update_photo()

    def on_history(self, undo: str | None, redo: str | None) -> None:
        """The Edit menu says what Undo and Redo would do."""
        for action, text, plain in ((self.window.undo_action, undo, "Undo"), (self.window.redo_action, redo, "Redo")):
            action.setText(text or plain)
            action.setEnabled(text is not None)


def _settle_heap() -> None:
    """Keep the data just shown out of Python's cyclic garbage collector.

    A full collection scans every tracked object; with 10,000 faces listed it
    paused the window for 100-140 ms. Frozen objects are still freed by
    reference counting when dropped; only cycles made before a freeze are
    never collected, and the window makes few."""
    gc.freeze()
