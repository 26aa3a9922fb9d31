"""The user's corrections from the window: what is selected in the grids
becomes a command for the library service (merge, move, name, hide, not this
person, not a face), from the keyboard, the menus and drag and drop."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QObject
from PySide6.QtWidgets import QDialog, QInputDialog, QMessageBox

from faceorganizer.protocol import (
    UNASSIGNED,
    Hide,
    HideStrangers,
    Merge,
    MoveFaces,
    NotAFace,
    NotThisPerson,
    Rename,
    SetBirthday,
    WriteSidecars,
)
from faceorganizer.ui.birthday import BirthdayDialog

if TYPE_CHECKING:
    from faceorganizer.ui.mainwindow import MainWindow


class Corrections(QObject):
    """The corrections of `window`'s people and faces."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.client = window.client
        #: The next change makes a new person of faces, to be named once shown.
        self.new_person_asked = False

    # -- what is selected ---------------------------------------------------------

    def selected_people(self) -> list[int]:
        """The people selected, the current one first."""
        view, model = self.window.people_view, self.window.people_model
        rows = sorted(i.row() for i in view.selectionModel().selectedIndexes())
        ids = [model.item(r).cluster_id for r in rows]
        current = view.currentIndex()
        if current.isValid() and (first := model.item(current.row()).cluster_id) in ids:
            ids.remove(first)
            ids.insert(0, first)
        return ids

    def selected_faces(self) -> list[str]:
        view, model = self.window.faces_view, self.window.faces_model
        return [model.item(r).face_id for r in sorted(i.row() for i in view.selectionModel().selectedIndexes())]

    # -- corrections ----------------------------------------------------------------

    def merge_into(self, sources: list[int], target: int) -> None:
        self.client.call(Merge(tuple(sources), target))

    def move_faces(self, face_ids: list[str], target: int | None) -> None:
        self.client.call(MoveFaces(tuple(face_ids), target))

    def rename(self, cluster_id: int, name: str) -> None:
        """Name a person; a name another person has offers to merge them."""
        same = [p for p in self.window.browser.people if p.name and name and p.name.casefold() == name.casefold()
                and p.cluster_id != cluster_id]
        if same:
            answer = QMessageBox.question(
                self.window, "Merge people?",
                f"There is already a person named '{same[0].name}'. Are these the same person?\n\n"
                "Yes merges them; No gives both the same name.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No | QMessageBox.StandardButton.Cancel,
            )
            if answer == QMessageBox.StandardButton.Cancel:
                return
            if answer == QMessageBox.StandardButton.Yes:
                self.merge_into([cluster_id], same[0].cluster_id)
                return
        self.client.call(Rename(cluster_id, name, allow_duplicate=bool(same)))  # No: both keep the name

    def merge_selected(self) -> None:
        ids = self.selected_people()
        if len(ids) >= 2:
            self.merge_into(ids[1:], ids[0])

    def toggle_hidden(self) -> None:
        if ids := self.selected_people():
            hidden = {p.cluster_id: p.hidden for p in self.window.browser.people}
            self.client.call(Hide(tuple(ids), not all(hidden.get(i) for i in ids)))

    def take_back(self) -> None:
        """Show the selected ignored people again."""
        if ids := self.selected_people():
            self.client.call(Hide(tuple(ids), False))

    def hide_strangers(self) -> None:
        """Ask how few faces make a stranger, then hide the unnamed people with that many or fewer."""
        max_faces, ok = QInputDialog.getInt(
            self.window, "Hide strangers", "Hide every unnamed person with at most this many faces:", 2, 1, 1000)
        if ok:
            self.client.call(HideStrangers(max_faces))

    def faces_to_new_person(self) -> None:
        self.make_new_person(self.selected_faces())

    def make_new_person(self, faces: list[str]) -> None:
        """Make the faces a new person, then ask for its name."""
        if faces:
            self.new_person_asked = True
            self.move_faces(faces, None)

    def selected_not_this_person(self) -> None:
        self.not_this_person(self.selected_faces())

    def selected_not_a_face(self) -> None:
        self.not_a_face(self.selected_faces())

    def not_this_person(self, faces: list[str]) -> None:
        if faces and self.window.browser.current_key != UNASSIGNED:
            self.client.call(NotThisPerson(tuple(faces)))

    def not_a_face(self, faces: list[str]) -> None:
        if faces:
            self.client.call(NotAFace(tuple(faces)))

    # -- naming -----------------------------------------------------------------------

    def rename_current(self) -> None:
        """F2: name the person whose faces have the focus, or the current tile."""
        if self.window.faces_view.hasFocus():
            self.rename_shown_person()
        else:
            self.edit_name(self.window.people_view.currentIndex())

    def rename_shown_person(self) -> None:
        """Name the person whose faces are shown on the right."""
        row = self.window.people_model.row_of(self.window.browser.current_key)
        if row >= 0:
            self.edit_name(self.window.people_model.index(row))

    def edit_name(self, index: QModelIndex) -> None:
        """Open the name editor on a person's tile."""
        view = self.window.people_view
        if index.isValid():
            view.setCurrentIndex(index)
            view.scrollTo(index)
            view.setFocus()
            view.edit(index)

    def set_birthday_of_shown_person(self) -> None:
        """Ask for the birthday of the person whose faces are shown."""
        key = self.window.browser.current_key
        person = next((p for p in self.window.browser.people if p.cluster_id == key), None)
        if person is None:
            return
        dialog = BirthdayDialog(f"'{person.name}'" if person.name else "this person", person.born, self.window)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.client.call(SetBirthday(person.cluster_id, dialog.born() or None))

    # -- context menus --------------------------------------------------------------------

    def people_menu(self, position) -> None:
        view = self.window.people_view
        if not view.indexAt(position).isValid():
            return
        selected = self.selected_people()
        targets = [(p.name, lambda p=p.cluster_id: self.merge_into(self.selected_people(), p))
                   for p in self.window.browser.people if p.name and p.cluster_id not in selected]
        any_named = any(p.name for p in self.window.browser.people if p.cluster_id in selected)
        self.window.actions.people_menu(targets, any_named).exec(view.viewport().mapToGlobal(position))

    def write_selected_sidecars(self) -> None:
        """Write the names of the selected people (the named ones) into their photos' sidecars."""
        named = {p.cluster_id for p in self.window.browser.people if p.name}
        if chosen := [c for c in self.selected_people() if c in named]:
            self.client.call(WriteSidecars(tuple(chosen)))

    def faces_menu(self, position) -> None:
        if not self.selected_faces():
            return
        browser = self.window.browser
        targets = [(p.name or f"Unnamed ({p.face_count:,} faces)",
                    lambda p=p.cluster_id: self.move_faces(self.selected_faces(), p))
                   for p in browser.people if p.cluster_id != browser.current_key and not p.hidden]
        view = self.window.faces_view
        self.window.actions.faces_menu(targets).exec(view.viewport().mapToGlobal(position))
