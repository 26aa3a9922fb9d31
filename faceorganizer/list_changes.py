"""A list of keyed items (a grid's faces) and its change from the list
before it, by rows: what went, what came, what changed, when the rows that
stay keep their order.

The library's process sends a list of faces like the last it sent as its
change (protocol.FacesChanged), and the window shows each new list by its
change: a list of 100,000 faces that changes by a few costs neither a
pickle of 100,000 faces nor a comparison of every row on the GUI thread.
Everything here runs off the window's GUI thread (in the library's process,
or on the window's reader thread), a slice at a time.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from operator import lt, not_
from typing import NamedTuple

#: Rows keyed per slice: another thread building a list's keys gives the GUI
#: thread the interpreter between slices (a built-in call never lets it go),
#: which it takes back at each tile it paints.
SLICE = 1_000


class ListChange(NamedTuple):
    """What turns the list `base` into another when the rows that stay keep
    their order: the rows of `base` that went, the rows of the new list
    that came and those whose item changed (each ascending)."""

    base: list
    gone: list
    came: list
    changed: list


class KeyedItems(NamedTuple):
    """Items with each one's key and each key's row: what `set_items` needs
    that costs tens of milliseconds for 100,000 items, made beforehand on
    the thread that receives the list (see `keyed`); with the change from
    the list before it, when there is one."""

    items: list
    keys: list
    rows: dict
    change: ListChange | None = None


def keyed(items: Sequence, key: Callable, before: KeyedItems | None = None) -> KeyedItems:
    """`items` with their keys and rows, slice by slice (for a thread other
    than the GUI's), and their change from the list `before`."""
    items = list(items)
    keys: list = []
    rows: dict = {}
    for start in range(0, len(items), SLICE):
        part = list(map(key, items[start : start + SLICE]))
        rows.update(zip(part, range(start, start + len(part))))
        keys += part
    result = KeyedItems(items, keys, rows)
    return result._replace(change=change(before, result)) if before and before.keys and keys else result


def change(before: KeyedItems, after: KeyedItems) -> ListChange | None:
    """The ListChange from `before` to `after`, slice by slice; None when
    rows that stay moved (a re-ordered list is laid out again whole)."""
    gone: list = []
    changed: list = []
    last = -1  # the row in `after` of the last row of `before` that stays
    for start in range(0, len(before.keys), SLICE):
        to = list(map(after.rows.get, before.keys[start : start + SLICE]))
        gone += [start + i for i, row in enumerate(to) if row is None]
        stay = [(start + i, row) for i, row in enumerate(to) if row is not None]
        rows = [row for _, row in stay]
        if rows and (rows[0] <= last or not all(map(lt, rows, rows[1:]))):
            return None
        last = rows[-1] if rows else last
        changed += [row for was, row in stay if before.items[was] != after.items[row]]
    came: list = []
    for start in range(0, len(after.keys), SLICE):
        part = after.keys[start : start + SLICE]
        came += itertools.compress(range(start, start + len(part)), map(not_, map(before.rows.__contains__, part)))
    return ListChange(before.items, gone, came, changed)


def applied(before: KeyedItems, gone: Sequence[int], came: Sequence[tuple[int, object]],
            changed: Sequence[tuple[int, object]], key: Callable) -> KeyedItems:
    """The list `before` with a change made: its rows `gone` taken out, then
    the items that `came` and those `changed` put at their rows of the new
    list (each ascending); keyed, with the change.

    Made of slices of `before`'s lists, its keys' rows kept up to the first
    row that went or came: a change of a few faces in 100,000 costs a few
    milliseconds of list copies, where keying the new list again cost 35-50."""
    items = _spliced(before.items, gone, came)
    keys = _spliced(before.keys, gone, [(row, key(item)) for row, item in came])
    for row, item in changed:
        items[row] = item
    rows = before.rows
    if gone or came:
        rows = rows.copy()
        for gone_key in map(before.keys.__getitem__, gone):
            del rows[gone_key]
        first = min([*gone[:1], *(row for row, _ in came[:1])])  # rows above it keep their numbers
        for start in range(first, len(keys), SLICE):
            part = keys[start : start + SLICE]
            rows.update(zip(part, range(start, start + len(part))))
    return KeyedItems(items, keys, rows,
                      ListChange(before.items, list(gone), [row for row, _ in came], [row for row, _ in changed]))


def _spliced(base: list, gone: Sequence[int], came: Sequence[tuple[int, object]]) -> list:
    """A new list: `base` without its rows `gone`, with the values that
    `came` put at their rows of it, each by slices."""
    staying, start = [], 0
    for row in gone:
        staying += base[start:row]
        start = row + 1
    staying += base[start:]
    spliced, taken = [], 0  # of `staying`
    for row, value in came:
        step = row - len(spliced)
        spliced += staying[taken : taken + step]
        taken += step
        spliced.append(value)
    spliced += staying[taken:]
    return spliced
