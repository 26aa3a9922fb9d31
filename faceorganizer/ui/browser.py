"""What the window's panes show, and how it follows the library: the people
of the sidebar's scope that match the search, the faces of the person
chosen, and the photo of a face. Lists come from the library service and are
taken in place; the person shown stays shown while it is in the grid."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QObject

from faceorganizer.humanize import count
from faceorganizer.people import Person
from faceorganizer.protocol import (
    UNASSIGNED,
    AddFace,
    IgnorePhoto,
    ListFaces,
    NameFace,
    NotAFace,
    PhotoInfo,
    ShowPhoto,
)
from faceorganizer.ui.panes.people import neighbours, placeholder
from faceorganizer.ui.panes.sidebar import ALL, HIDDEN, NAMED
from faceorganizer.ui.viewer import PhotoViewer

if TYPE_CHECKING:
    from faceorganizer.ui.mainwindow import MainWindow

#: While indexing, the faces pane takes new faces of its person at once up
#: to this many faces, and bigger lists at most this often (s).
_FACES_SENT_AT_ONCE = 1_000
_FACES_REFRESH_INTERVAL = 5.0


class Browser(QObject):
    """The people and faces `window`'s panes show."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.people: list[Person] = []  # every person the library listed, hidden ones too
        self.unassigned_count = 0
        self.scope = ALL
        self.current_key = None  # the person (or UNASSIGNED) in the faces pane
        self.unassigned_chosen = False  # by the user (not shown for want of people)
        self.faces_loaded = False
        self.follow = None  # where the last change led (a merge's result), shown next
        self.to_name = None  # a new person made of faces, to be named once shown
        self._filling = False  # the people grid is taking a new list
        self._faces_refreshed = 0.0
        self.viewer: PhotoViewer | None = None

    # -- people -----------------------------------------------------------------------

    def take_people(self, people: list[Person], unassigned: int) -> None:
        """A new list of the library's people."""
        window = self.window
        self.people = people
        self.unassigned_count = unassigned
        window.people_view.delegate.names = self._names()
        if self.viewer is not None:
            self.viewer.names = self._names()
        window.sidebar.set_counts({
            ALL: sum(1 for p in people if not p.hidden),
            NAMED: sum(1 for p in people if p.name and not p.hidden),
            HIDDEN: sum(1 for p in people if p.hidden),
            UNASSIGNED: unassigned,
        })
        self.show_people(follow=self.follow)
        self.follow = None
        if self.to_name is not None:
            self._name_new_person(self.to_name)
            self.to_name = None
        self.update_placeholder()
        if self.current_key is None and not self.people and unassigned:
            self.show_faces(UNASSIGNED)  # while there is no one else to show
        elif self.current_key is not None:
            self.update_header()
            # The faces pane follows new faces of its person; while indexing, a
            # big list every few seconds: 10,000 faces are not free to send.
            faces = self.count_of(self.current_key)
            if faces != window.faces_model.rowCount() and (
                not window.job_running or faces <= _FACES_SENT_AT_ONCE
                or time.monotonic() - self._faces_refreshed >= _FACES_REFRESH_INTERVAL
            ):
                self.refresh_faces()

    def show_people(self, follow: int | None = None) -> None:
        """Fill the grid with the people of the scope that match the search.

        The person shown on the right stays if still in the grid. If not, the
        grid shows `follow` (where a change led: a merge's result), else the
        next person (after a change; the one before it at the end), else the
        first (after a search or a change of scope), else no one."""
        model = self.window.people_model
        text = self.window.search.text().strip().casefold()
        if self.scope == HIDDEN:
            shown = [p for p in self.people if p.hidden]
        elif self.scope == NAMED:
            shown = [p for p in self.people if p.name and not p.hidden]
        else:
            shown = [p for p in self.people if not p.hidden]
        if text:
            shown = [p for p in shown if p.name and text in p.name.casefold()]
        before = [p.cluster_id for p in model.items()]
        self._filling = True  # (the view's current row moves as rows go: no choice of the user's)
        try:
            model.set_items(shown)
        finally:
            self._filling = False
        title = {ALL: "People", NAMED: "Named people", HIDDEN: "Ignored people"}.get(self.scope, "People")
        self.window.people_pane.title.setText(f"{title}  ({len(shown):,})")
        if model.row_of(self.current_key) >= 0 or (
                self.current_key == UNASSIGNED and (self.unassigned_chosen or not model.rowCount())):
            return
        in_grid = [key for key in (follow, *neighbours(before, self.current_key)) if model.row_of(key) >= 0]
        if in_grid:
            self._select_person(in_grid[0])
        elif model.rowCount():
            self._select_person(model.item(0).cluster_id)
        else:
            self.show_faces(None)

    def update_placeholder(self) -> None:
        """What the people grid says when it is empty."""
        window = self.window
        text = "" if window.people_model.rowCount() else placeholder(
            self.scope, bool(window.search.text().strip()), window.job_running, self.unassigned_count)
        window.people_view.set_placeholder(text)

    def set_scope(self, scope) -> None:
        """Show the people of a sidebar entry (or the unassigned faces)."""
        view = self.window.people_view
        self.unassigned_chosen = scope == UNASSIGNED
        if scope == UNASSIGNED:
            view.clearSelection()
            view.selectionModel().clearCurrentIndex()  # a click on any tile goes back to it
            self.show_faces(UNASSIGNED)
            return
        self.scope = scope
        self.show_people()
        self.update_placeholder()
        self.window.sidebar.choose(scope)

    def count_of(self, key) -> int:
        if key == UNASSIGNED:
            return self.unassigned_count
        return next((p.face_count for p in self.people if p.cluster_id == key), 0)

    def summary(self) -> str:
        faces = sum(p.face_count for p in self.people) + self.unassigned_count
        if not faces:
            return ""
        people = "1 person" if len(self.people) == 1 else f"{len(self.people):,} people"
        return f"{count(faces, 'face')} · {people} · {self.unassigned_count:,} unassigned · stored on this computer"

    def _select_person(self, key: int) -> None:
        view, model = self.window.people_view, self.window.people_model
        index = model.index(model.row_of(key))
        view.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        view.scrollTo(index)
        self.show_faces(key)

    def _name_new_person(self, key: int) -> None:
        """Show a person just made from faces, and ask for its name."""
        model = self.window.people_model
        if model.row_of(key) < 0:
            self.window.search.clear()
            self.set_scope(ALL)
        if model.row_of(key) >= 0:
            self._select_person(key)
            self.window.corrections.edit_name(model.index(model.row_of(key)))

    def on_person_chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid() and not self._filling:
            self.unassigned_chosen = False
            self.show_faces(self.window.people_model.item(current.row()).cluster_id)

    # -- faces ------------------------------------------------------------------------

    def show_faces(self, key) -> None:
        """Show the faces of a person (or the unassigned faces, or none) on the right."""
        if key == self.current_key and not self.window.photos.folder:
            return
        self.window.faces_model.set_items([])
        self.current_key = key
        self.window.faces_model.key = key
        self.window.photos.person_chosen()
        self.update_header()
        self.refresh_faces()

    def refresh_faces(self) -> None:
        if self.current_key is not None:
            self._faces_refreshed = time.monotonic()
            self.window.client.call(ListFaces(self.current_key))
        self.window.photos.refresh()

    def take_faces(self, key, faces: list) -> bool:
        """A list of faces; False if it is not the one shown any more."""
        if key != self.current_key:
            return False
        self.window.faces_model.set_items(faces)
        self.faces_loaded = True
        self.update_header()
        return True

    def update_header(self) -> None:
        if self.window.photos.owns_header():
            self.window.photos.update_header()
            return
        key, pane = self.current_key, self.window.faces_pane
        faces = count(self.count_of(key), "face")  # what the sidebar and the tile say, while the list follows
        if key is None:
            pane.set_header("", "", renamable=False)
        elif key == UNASSIGNED:
            pane.set_header("Unassigned faces", faces, renamable=False)
        else:
            person = next((p for p in self.people if p.cluster_id == key), None)
            name = person.name if person and person.name else "Unnamed person"
            pane.set_header(name, f"{faces} · least sure first", renamable=True, born=person.born if person else None)

    def select_all(self) -> None:
        window = self.window
        (window.faces_view if window.faces_view.hasFocus() else window.people_view).selectAll()

    # -- photos -----------------------------------------------------------------------

    def open_current_face(self) -> None:
        index = self.window.faces_view.currentIndex()
        if index.isValid():
            self.open_face(self.window.faces_model.item(index.row()).face_id)

    def open_face(self, face_id: str) -> None:
        self.window.client.call(ShowPhoto(face_id, self.current_key))

    def show_photo(self, info: PhotoInfo) -> None:
        if self.viewer is None:
            self.viewer = self._make_viewer()
        self.viewer.names = self._names()
        self.viewer.show_photo(info, self.current_key)

    def _make_viewer(self) -> PhotoViewer:
        viewer, call = PhotoViewer(self.window), self.window.client.call
        viewer.navigate.connect(lambda face_id: call(ShowPhoto(face_id, viewer.key)))
        viewer.faceClicked.connect(self._select_face)
        viewer.personChosen.connect(self.open_person)
        viewer.nameFace.connect(lambda face_id, name: call(NameFace(face_id, name)))
        viewer.addFace.connect(lambda path, box, name: call(AddFace(path, tuple(box), name)))
        viewer.notAFace.connect(lambda face_id: call(NotAFace((face_id,))))
        viewer.hideAllFaces.connect(lambda face_id: call(IgnorePhoto(face_id)))
        return viewer

    def _names(self) -> list[str]:
        return [p.name for p in self.people if p.name]

    def open_person(self, cluster_id: int) -> None:
        """Show a person in the grid, and its faces (from the viewer: the window comes forward)."""
        person = next((p for p in self.people if p.cluster_id == cluster_id), None)
        if person is None:
            return
        self.window.search.clear()
        self.set_scope(HIDDEN if person.hidden else ALL)
        self._select_person(cluster_id)
        self.window.activateWindow()
        self.window.raise_()

    def update_photo(self) -> None:
        """Show the photo open in the viewer again (its faces' names may have changed)."""
        if self.viewer is not None and self.viewer.isVisible():
            info = self.viewer.info
            self.window.client.call(ShowPhoto(info.face_id, self.viewer.key, "" if info.face_id else info.path))

    def close_photo(self) -> None:
        if self.viewer is not None:
            self.viewer.close()

    def _select_face(self, face_id: str) -> None:
        view, model = self.window.faces_view, self.window.faces_model
        row = model.row_of(face_id)
        if row >= 0:
            index = model.index(row)
            view.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
            view.scrollTo(index)
