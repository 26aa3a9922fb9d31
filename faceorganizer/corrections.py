"""The corrections log: every correction a user made, as its change-set with
a time and a description in the user's words, kept in the library's store.

Undo and redo walk it, so they survive restarts and work from the command
line as from the window. It is linear: a new correction after some undos
drops the corrections that could have been redone. It keeps the newest
`LIMIT` corrections. An entry is written in the same batch as the correction
itself (and an undo marks its entry in the same batch as the undo), so the
log and the library never disagree, whenever the process stops.
"""

from __future__ import annotations

from datetime import datetime, timezone

from faceorganizer.people import ChangeSet
from faceorganizer.store import Batch, Store

#: Corrections kept for undo.
LIMIT = 1000
_SUMMARY = ["time", "description", "undone"]


class CorrectionsLog:
    """The log of the library whose store is `store`."""

    def __init__(self, store: Store):
        self.store = store
        self._summary: dict[int, dict] | None = None  # seq -> time, description, undone

    def history(self) -> list[dict]:
        """Every entry, newest first: `seq`, `time`, `description`, `undone`."""
        return [{"seq": seq, **entry} for seq, entry in sorted(self._entries().items(), reverse=True)]

    def record(self, change: ChangeSet, batch: Batch) -> None:
        """Add a correction to `batch`'s writes."""
        entries = self._entries()
        seq = max(entries, default=0) + 1  # above the undone ones too: a deleted entry's seq is not reused
        for undone in [s for s, entry in entries.items() if entry["undone"]]:
            batch.log_deleted.add(undone)
            del entries[undone]
        for old in sorted(entries)[: max(0, len(entries) + 1 - LIMIT)]:
            batch.log_deleted.add(old)
            del entries[old]
        entry = {"time": _now(), "description": change.description, "undone": False}
        batch.log[seq] = {**entry, "change": change.to_json()}
        entries[seq] = entry

    def next_undo(self) -> tuple[int, ChangeSet] | None:
        """The newest correction not undone, if any."""
        done = [seq for seq, entry in self._entries().items() if not entry["undone"]]
        return self._load(max(done)) if done else None

    def next_redo(self) -> tuple[int, ChangeSet] | None:
        """The oldest correction undone, if any."""
        undone = [seq for seq, entry in self._entries().items() if entry["undone"]]
        return self._load(min(undone)) if undone else None

    def mark(self, seq: int, undone: bool, batch: Batch) -> None:
        """Mark an entry undone (or done again) in `batch`'s writes (its
        change stays as it is: a merge's is thousands of faces)."""
        batch.log_fields[seq] = {"undone": undone}
        self._entries()[seq] = {**self._entries()[seq], "undone": undone}

    def forget(self) -> None:
        """Read the log from the store again on next use (after a failed write)."""
        self._summary = None

    def _entries(self) -> dict[int, dict]:
        if self._summary is None:
            self._summary = {
                int(r["id"]): {k: r.get(k) for k in _SUMMARY} for r in self.store.iter_log(fields=_SUMMARY)
            }
        return self._summary

    def _load(self, seq: int) -> tuple[int, ChangeSet]:
        [record] = self.store.get_log([seq])
        return seq, ChangeSet.from_json(record["change"])


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
