"""List models for the grids. They hold only what a tile shows (ids, names,
counts) and update in place from the worker's results, so selection and
scroll position survive every change. Drops do not edit rows: they ask for an
operation, and the rows change when its result comes back."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Sequence
from operator import attrgetter, ne, not_

from PySide6.QtCore import QAbstractListModel, QByteArray, QMimeData, QModelIndex, Qt, Signal
from PySide6.QtGui import QPixmap

from faceorganizer.humanize import count
from faceorganizer.list_changes import KeyedItems, keyed
from faceorganizer.people import Person
from faceorganizer.protocol import FACE_KEY, FaceItem
from faceorganizer.ui.thumbnails import ThumbnailLoader

# Each item's flags, made once: Qt asks for them several times for each tile
# it paints, and QAbstractListModel's own with Python's enum arithmetic cost
# 4 µs a call (0.25 µs this way).
_ITEM_FLAGS = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemNeverHasChildren
_FACE_FLAGS = _ITEM_FLAGS | Qt.ItemFlag.ItemIsDragEnabled
_PERSON_FLAGS = _FACE_FLAGS | Qt.ItemFlag.ItemIsDropEnabled | Qt.ItemFlag.ItemIsEditable

#: Drag data: JSON lists of ids under private MIME types.
FACES_MIME = "application/x-faceorganizer-face-ids"
PEOPLE_MIME = "application/x-faceorganizer-person-ids"

ThumbnailRole = Qt.ItemDataRole.UserRole + 3
CountRole = Qt.ItemDataRole.UserRole + 4


def ids_from_mime(mime: QMimeData, kind: str) -> list:
    if not mime.hasFormat(kind):
        return []
    try:
        return list(json.loads(bytes(mime.data(kind)).decode()))
    except (ValueError, UnicodeDecodeError):
        return []


def _mime(kind: str, ids: Sequence) -> QMimeData:
    mime = QMimeData()
    mime.setData(kind, QByteArray(json.dumps(list(ids)).encode()))
    return mime


class _ItemListModel(QAbstractListModel):
    """A list of items with a key each, updated by `set_items` with row-level
    signals (removals, a re-order, insertions, changes)."""

    def __init__(self, key: Callable, thumbnails: ThumbnailLoader, parent=None):
        super().__init__(parent)
        self._key = key
        self._items: list = []
        self._keys: list = []  # the items' keys, row by row
        self._rows: dict = {}  # key -> row
        self._thumbnail_rows: dict = {}  # thumbnail key -> row
        self.thumbnails = thumbnails
        thumbnails.loaded.connect(self._thumbnails_loaded)

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._items)

    def item(self, row: int):
        return self._items[row]

    def items(self) -> list:
        return list(self._items)

    def row_of(self, key) -> int:
        return self._rows.get(key, -1)

    def set_items(self, items: Sequence | KeyedItems) -> None:
        """Show `items`, with row signals for what changed (removals, a
        re-order, insertions). Written for lists of 100,000 faces that change
        by a few: given as KeyedItems with their change from the list shown,
        the GUI thread's work is in the rows that changed; without it, what
        runs over every row is built-ins (list comparisons, filterfalse),
        never a Python loop, a few milliseconds."""
        if not isinstance(items, KeyedItems):
            items = keyed(items, self._key)
        if items.change is not None and items.change.base is self._items:
            change = items.change
            if change.gone or change.came:  # on copies: the lists given stay as they are (the reader's)
                self._items, self._keys = list(self._items), list(self._keys)
            self._remove_rows(change.gone)
            self._insert_rows(change.came, items)
            changed = change.changed
        else:
            if not self._keys or not items.keys:  # from or to nothing: nothing to keep
                self.beginResetModel()
                self._items, self._keys = items.items, items.keys
                self.endResetModel()
            elif items.keys != self._keys:
                self._change_rows(items)
            # Rows whose content changed, in runs: a grid (QListView in icon
            # mode) asks the model for an index of every row a change spans,
            # each a call of rowCount in Python: 100,000 rows, 150 ms.
            changed = list(itertools.compress(range(len(items.items)), map(ne, self._items, items.items)))
        self._items, self._keys, self._rows = items.items, items.keys, items.rows
        self._thumbnail_rows = self._rows_of_thumbnails()
        self._rows_changed(changed)

    def _rows_changed(self, rows: list[int], roles: Sequence[int] = ()) -> None:
        """Say that these rows (sorted) changed, a run of rows at a time."""
        for first, last in _runs(rows):
            self.dataChanged.emit(self.index(first), self.index(last), list(roles))

    def _change_rows(self, new: KeyedItems) -> None:
        """Signal the rows that went, moved and came, from the current list to `new`."""
        self._items, self._keys = list(self._items), list(self._keys)  # the lists given stay as they are
        # 1. Rows that went away, bottom up, in runs.
        self._remove_rows(sorted(map(self._rows.__getitem__, itertools.filterfalse(new.rows.__contains__, self._keys))))
        # 2. The rows that stay, in their new order.
        fresh = set(itertools.filterfalse(self._rows.__contains__, new.keys))
        ordered = list(itertools.filterfalse(fresh.__contains__, new.keys)) if fresh else new.keys
        if ordered != self._keys:
            self.layoutAboutToBeChanged.emit()
            persistent = self.persistentIndexList()
            held = {self._keys[p.row()] for p in persistent if p.isValid()}
            moved_to = {k: row for row, k in enumerate(ordered) if k in held}
            staying = self._keys
            self._items = list(itertools.compress(new.items, map(not_, map(fresh.__contains__, new.keys))))
            self._keys = list(ordered)
            self.changePersistentIndexList(
                persistent,
                [self.index(moved_to[staying[p.row()]]) if p.isValid() else QModelIndex() for p in persistent],
            )
            self.layoutChanged.emit()
        # 3. New rows, at their places, in runs.
        self._insert_rows(sorted(map(new.rows.__getitem__, fresh)), new)

    def _remove_rows(self, rows: list[int]) -> None:
        """Take out these rows (ascending), a run at a time, bottom up."""
        for first, last in reversed(_runs(rows)):
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._items[first : last + 1]
            del self._keys[first : last + 1]
            self.endRemoveRows()

    def _insert_rows(self, rows: list[int], new: KeyedItems) -> None:
        """Put in these rows of `new` (ascending), a run at a time."""
        for first, last in _runs(rows):
            self.beginInsertRows(QModelIndex(), first, last)
            self._items[first:first] = new.items[first : last + 1]
            self._keys[first:first] = new.keys[first : last + 1]
            self.endInsertRows()

    def thumbnail(self, row: int):
        """The row's thumbnail (a QPixmap), or None while it loads. Views call
        this rather than index.data(ThumbnailRole): a None crossing QVariant
        back into Python has crashed PySide6 ("deallocating None")."""
        key = self._thumbnail_key(self._items[row])
        return self.thumbnails.pixmap(key) if key else None

    def tile(self, row: int, side: int, ratio: float):
        """The row's tile (see ThumbnailLoader.tile), or None while it is made."""
        key = self._thumbnail_key(self._items[row])
        return self.thumbnails.tile(key, side, ratio) if key else None

    def _thumbnail_key(self, item) -> str | None:
        raise NotImplementedError

    def _rows_of_thumbnails(self) -> dict:
        """Each thumbnail key's row."""
        return dict(zip(map(self._thumbnail_key, self._items), range(len(self._items))))

    def _thumbnails_loaded(self, face_ids: list) -> None:
        self._rows_changed(sorted(row for row in map(self._thumbnail_rows.get, face_ids) if row is not None),
                           [ThumbnailRole])


class PeopleModel(_ItemListModel):
    """The people, as tiles: cover face, name (or "Unnamed"), face count.

    Dropping people on a person asks to merge them into it; dropping faces on
    a person asks to move them to it; editing the name asks to rename.
    """

    mergeRequested = Signal(object, int)  # [person id], target person
    moveRequested = Signal(object, int)  # [face id], target person
    renameRequested = Signal(int, str)

    def __init__(self, thumbnails: ThumbnailLoader, parent=None):
        super().__init__(attrgetter("cluster_id"), thumbnails, parent)

    def _thumbnail_key(self, person: Person) -> str | None:
        return person.cover_face_id

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        person: Person = self._items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return person.name or "Unnamed"
        if role == Qt.ItemDataRole.EditRole:
            return person.name or ""
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{person.name or 'Unnamed'}, {count(person.face_count, 'face')}"
        if role == Qt.ItemDataRole.ToolTipRole:
            hidden = " (hidden)" if person.hidden else ""
            return f"{person.name or 'Unnamed person'}{hidden}: {count(person.face_count, 'face')}"
        if role == ThumbnailRole:
            return self.thumbnail(index.row()) or QPixmap()
        if role == CountRole:
            return person.face_count
        return None

    def setData(self, index: QModelIndex, value, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        person: Person = self._items[index.row()]
        name = str(value).strip()
        if name != (person.name or ""):
            self.renameRequested.emit(person.cluster_id, name)
        return False  # the row changes when the rename is done

    def flags(self, index: QModelIndex) -> Qt.ItemFlag:
        return _PERSON_FLAGS if index.isValid() else Qt.ItemFlag.ItemIsDropEnabled

    def mimeTypes(self) -> list[str]:
        return [PEOPLE_MIME, FACES_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        rows = sorted({i.row() for i in indexes if i.isValid()})
        return _mime(PEOPLE_MIME, [self._items[r].cluster_id for r in rows])

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction | Qt.DropAction.CopyAction

    def target_of(self, row: int, parent: QModelIndex) -> int | None:
        """The person a drop lands on: the tile under the cursor."""
        if parent.isValid():
            return self._items[parent.row()].cluster_id
        return None

    def canDropMimeData(self, mime, action, row, column, parent) -> bool:
        target = self.target_of(row, parent)
        if target is None:
            return False
        people = ids_from_mime(mime, PEOPLE_MIME)
        if people:
            return any(p != target for p in people)
        return bool(ids_from_mime(mime, FACES_MIME))

    def dropMimeData(self, mime, action, row, column, parent) -> bool:
        if not self.canDropMimeData(mime, action, row, column, parent):
            return False
        target = self.target_of(row, parent)
        people = [p for p in ids_from_mime(mime, PEOPLE_MIME) if p != target]
        if people:
            self.mergeRequested.emit(people, target)
        else:
            self.moveRequested.emit(ids_from_mime(mime, FACES_MIME), target)
        return False  # nothing to remove at the source: the result updates it


class FacesModel(_ItemListModel):
    """The faces of one person (least sure first) or the unassigned faces."""

    def __init__(self, thumbnails: ThumbnailLoader, parent=None):
        super().__init__(FACE_KEY, thumbnails, parent)
        self.key = None  # the person id shown, or UNASSIGNED

    def _thumbnail_key(self, face: FaceItem) -> str:
        return face.face_id

    def _rows_of_thumbnails(self) -> dict:
        return self._rows  # a face's thumbnail key is its key

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        face: FaceItem = self._items[index.row()]
        if role in (Qt.ItemDataRole.AccessibleTextRole, Qt.ItemDataRole.DisplayRole):
            name = face.path.rsplit("/", 1)[-1] if face.path else "face"
            return f"Face in {name}"
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = face.path or ""
            if face.age is not None:
                tip = f"{face.age} years old in this photo\n{tip}"
            if face.similarity is not None:
                tip += f"\nSimilarity to the person: {face.similarity:.2f}"
            return tip
        if role == ThumbnailRole:
            return self.thumbnail(index.row()) or QPixmap()
        return None

    def flags(self, index: QModelIndex) -> Qt.ItemFlag:
        return _FACE_FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def mimeTypes(self) -> list[str]:
        return [FACES_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        rows = sorted({i.row() for i in indexes if i.isValid()})
        return _mime(FACES_MIME, [self._items[r].face_id for r in rows])

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Sorted row numbers as (first, last) runs of consecutive rows."""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and runs[-1][1] == row - 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs
