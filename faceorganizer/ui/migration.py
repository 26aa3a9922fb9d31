"""The offer to move a large library out of qdrant-client's local mode, which
slows down past about 20,000 faces, into Qdrant Edge."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from faceorganizer.protocol import LibraryInfo, Migrate

#: From this many faces a local-mode library is offered the move.
OFFER_FROM = 20_000


def worth_offering(info: LibraryInfo) -> bool:
    return info.engine == "local" and info.face_count >= OFFER_FROM


def offer(parent: QWidget, info: LibraryInfo, call) -> QMessageBox:
    """Ask, without blocking the window; "Move now" sends `Migrate` through `call`."""
    box = QMessageBox(QMessageBox.Icon.Question, "Move to a faster store", (
        f"This library holds {info.face_count:,} faces in qdrant-client's local mode, "
        "which gets slow past 20,000: opening it and every correction take seconds."), parent=parent)
    box.setInformativeText(
        "Moving them to Qdrant Edge makes both take a fraction of a second. Every face, person, name and "
        "correction is copied and checked before the switch; the old store is kept until you delete it. "
        "It takes about a minute per 50,000 faces.")
    move = box.addButton("Move now", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Not now", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(move)
    box.buttonClicked.connect(lambda button: button is move and call(Migrate("edge")))
    box.open()
    return box
