"""What the Photos view shows: the photos of the person chosen (the person
page's Photos side), the photos several people chosen together are all in,
or every photo of a folder chosen in the sidebar, with its people's badges.
Lists come from the library service (ListPhotos); double-clicking a photo
opens it in the viewer."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from faceorganizer.humanize import count
from faceorganizer.photos import DatedPhoto
from faceorganizer.protocol import UNASSIGNED, ListPhotos, PhotoInfo, ShowPhoto
from faceorganizer.ui.photogrid import PhotoGrid
from faceorganizer.ui.thumbnails import PhotoThumbnailLoader

if TYPE_CHECKING:
    from faceorganizer.ui.mainwindow import MainWindow


class PhotosBrowser(QObject):
    """The Photos view of `window`'s right pane: `grid` shows `request`'s
    photos once they arrive."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.thumbnails = PhotoThumbnailLoader(self)
        self.grid = PhotoGrid(self.thumbnails, window.thumbnails)
        self.grid.photoActivated.connect(self.open_photo)
        self.showing_photos = False  # the person page's switch is on Photos
        self.folder: str | None = None  # the sidebar's folder shown
        self.together: tuple[int, ...] = ()  # the people chosen together, when several
        self.request: ListPhotos | None = None  # the list shown or asked for
        self.loaded = False  # the grid shows `request`'s photos

    def set_folder(self, thumbnails: Path) -> None:
        """Where the library keeps its thumbnails."""
        self.thumbnails.set_folder(Path(thumbnails) / "photos")

    # -- what to show -------------------------------------------------------------------

    def owns_header(self) -> bool:
        """Whether the right pane shows a folder or several people, not the
        person page of the person chosen."""
        return bool(self.folder or self.together)

    def switch_to(self, photos: bool) -> None:
        """The person page's switch: its faces, or its photos."""
        self.showing_photos = photos
        self._show_pages()
        self.refresh()

    def show_folder(self, folder: str) -> None:
        """Every photo of a folder (the sidebar's), faces or not."""
        view = self.window.people_view
        self.folder, self.together = folder, ()
        view.clearSelection()
        view.selectionModel().clearCurrentIndex()  # a click on any person goes back to them
        self._show_pages()
        self.refresh()

    def person_chosen(self) -> None:
        """The person chosen (or the unassigned faces, or no one) changed, or
        was chosen again after a folder: the person page shows (the browser
        asks for its lists)."""
        self.folder = None
        self._show_pages()

    def on_selection(self, *_changes) -> None:
        """Several people chosen: the photos they are all in."""
        rows = sorted(index.row() for index in self.window.people_view.selectionModel().selectedIndexes())
        chosen = tuple(self.window.people_model.item(row).cluster_id for row in rows)
        together = chosen if len(chosen) > 1 else ()
        if together == self.together:
            return
        self.together = together
        if together:
            self.folder = None
        self._show_pages()
        if together or not self.folder:
            self.window.browser.update_header()
        self.refresh()

    def _show_pages(self) -> None:
        pane = self.window.faces_pane
        person = self.window.browser.current_key not in (None, UNASSIGNED)
        pane.show_switch(visible=person and not self.owns_header(), photos=self.showing_photos)
        pane.show_photos(self.owns_header() or (self.showing_photos and person))
        if self.owns_header():
            self.update_header()

    def update_header(self) -> None:
        pane = self.window.faces_pane
        if self.folder:
            pane.set_header(Path(self.folder).name or self.folder, "", renamable=False)
            pane.title.setToolTip(self.folder)
        elif self.together:
            pane.set_header(_names(self.together, self.window.browser.people), "", renamable=False)
        self._update_subtitle()

    def _update_subtitle(self) -> None:
        photos = self.grid.photos if self.loaded else None
        if photos is None:
            text = "Loading…"
        elif self.together:
            text = f"{count(len(photos), 'photo')} they are all in · newest first"
        else:
            text = f"{count(len(photos), 'photo')} · newest first"
        self.window.faces_pane.photos_subtitle.setText(text)

    # -- the list -----------------------------------------------------------------------

    def refresh(self) -> None:
        """Ask for the photos the view should show (nothing when it is hidden)."""
        key = self.window.browser.current_key
        if self.folder:
            request = ListPhotos(folder=self.folder)
        elif self.together:
            request = ListPhotos(people=self.together)
        elif self.showing_photos and key not in (None, UNASSIGNED):
            request = ListPhotos(people=(key,))
        else:
            return
        if request != self.request:
            self.loaded = False
            self.grid.set_photos([])
            self.grid.verticalScrollBar().setValue(0)
        self.request = request
        self._update_subtitle()
        self.window.client.call(request)

    def take_photos(self, request: ListPhotos, photos: list[DatedPhoto]) -> None:
        if request != self.request:
            return
        people = {p.cluster_id: p for p in self.window.browser.people}
        placeholder = "No photos in this folder." if request.folder else (
            "No photo has them all." if len(request.people) > 1 else "No photos.")
        self.grid.set_photos(photos, badges=request.folder is not None, people=people,
                             placeholder=placeholder)
        self.loaded = True
        self._update_subtitle()

    # -- the viewer ---------------------------------------------------------------------

    def open_photo(self, photo: DatedPhoto) -> None:
        """Open a photo in the viewer, on a face of the people shown when it has one."""
        shown = set(self.request.people) if self.request else set()
        faces = sorted(photo.faces, key=lambda face: (face[1] not in shown, face[1] is None))
        if not faces:
            self.window.browser.show_photo(PhotoInfo(photo.path, photo.size, [], ""))
            return
        face_id, person, _box = faces[0]
        self.window.client.call(ShowPhoto(face_id, person if person is not None else UNASSIGNED))

    def wait(self) -> None:
        self.thumbnails.wait()


def _names(people: tuple[int, ...], listed) -> str:
    """'Anna and Ben', 'Anna, Ben and 2 unnamed people'."""
    names = {p.cluster_id: p.name for p in listed}
    named = [names[c] for c in people if names.get(c)]
    unnamed = len(people) - len(named)
    if unnamed:
        named.append("an unnamed person" if unnamed == 1 else f"{unnamed} unnamed people")
    return named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"
