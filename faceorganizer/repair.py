"""Checking a library, and repairing a damaged one.

`check(library)` lists what does not add up in a library that opens: photos
marked indexed whose faces are gone, faces whose photo record is gone, named
people left with no faces. `repair(folder)` mends a library: a store that
cannot be read is first set aside whole (`<library>/damaged-<time>/`) and
what can still be read of it (each part on its own: faces, photo records,
people, the corrections log, settings) is copied into a new store; then
photo records whose faces are lost are dropped, so that indexing the
library's folders analyses those photos again. Face ids derive from the photo
file, so the faces found again have their old ids, and replaying the
corrections log gives them back the people and names the user gave them.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from faceorganizer.errors import FaceOrganizerError
from faceorganizer.humanize import count
from faceorganizer.people import ChangeSet
from faceorganizer.store import ENGINES, Batch, engine_of, journal_files, open_store, salvage

log = logging.getLogger(__name__)

_CHUNK = 5_000


@dataclass
class CheckReport:
    """What `check` found; empty lists mean a healthy library."""

    photos_without_faces: list[str] = field(default_factory=list)
    faces_without_photo: list[str] = field(default_factory=list)
    named_without_faces: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        lines = []
        if self.photos_without_faces:
            lines.append(f"{len(self.photos_without_faces):,} photos are marked indexed but their faces are gone "
                         f"(first: {self.photos_without_faces[0]})")
        if self.faces_without_photo:
            lines.append(f"{len(self.faces_without_photo):,} faces belong to no photo the library knows")
        return lines

    @property
    def notices(self) -> list[str]:
        return [f"{name}: named, but no faces (their photos were removed or are offline)"
                for name in self.named_without_faces]


def check(library) -> CheckReport:
    """Look for what does not add up in an open library (reads only)."""
    report = CheckReport()
    present = {f["id"]: f.get("image_id") for f in library.store.iter_faces(fields=["image_id"])}
    known_photos = set()
    for photo in library.store.iter_photos():
        known_photos.add(photo["id"])
        if photo.get("status") == "done" and any(f not in present for f in photo.get("face_ids", [])):
            report.photos_without_faces.append(photo["path"])
    report.faces_without_photo = [f for f, image in present.items() if image not in known_photos]
    counts = {p.cluster_id: p.face_count for p in library.people(include_hidden=True)}
    report.named_without_faces = sorted(state.name for cid, state in library.catalog.people.items()
                                        if state.name and not counts.get(cid))
    return report


@dataclass
class RepairReport:
    set_aside: Path | None = None
    salvaged: dict[str, int] = field(default_factory=dict)
    lost: list[str] = field(default_factory=list)
    photos_analysed: int = 0
    faces_dropped: int = 0
    corrections_replayed: int = 0

    def summary(self) -> str:
        """One sentence: what was set aside and kept, what was done again."""
        kept = ", ".join(_counted(n, kind) for kind, n in self.salvaged.items()) or "nothing"
        aside = f"the damaged store set aside in {self.set_aside}, kept {kept}; " if self.set_aside else ""
        return (f"{aside}{count(self.photos_analysed, 'photo')} analysed again, "
                f"{count(self.corrections_replayed, 'correction')} applied again")


def _counted(number: int, kind: str) -> str:
    """'3 photos', '1 person', '2 corrections' for the store's record kinds."""
    if kind == "people":
        return f"{number:,} {'person' if number == 1 else 'people'}"
    return count(number, {"log": "correction"}.get(kind, kind.rstrip("s")))


def repair(folder: Path, open_library: Callable[[], object], index: Callable[[object], int]) -> RepairReport:
    """Mend the library at `folder`. `open_library()` opens it (a FaceLibrary);
    `index(library)` analyses what lacks faces (the library's folders) and
    returns how many photos it analysed."""
    report = RepairReport()
    try:
        library = open_library()
    except FaceOrganizerError as exc:
        if "is damaged" not in str(exc):
            raise
        report.set_aside, parts, report.lost, meta = _set_aside_and_salvage(folder)
        report.salvaged = {name: len(records) for name, records in parts.items()}
        library = open_library()
        _restore(library, parts, meta)
    with library:
        found = check(library)
        batch = Batch()
        for photo in library.store.iter_photos():
            if photo["path"] in set(found.photos_without_faces):
                batch.photos_deleted.add(photo["id"])
        # A face whose photo record is gone keeps the user's corrections: while
        # its photo is there, indexing finds it again under the same id.
        gone = [f["id"] for f in library.store.get_faces(found.faces_without_photo, fields=["path"])
                if not Path(f.get("path") or "").is_file()]
        library._delete_faces(gone, batch)
        library._store(batch)
        report.faces_dropped = len(gone)
        if batch.photos_deleted or report.set_aside:
            report.photos_analysed = index(library)
            report.corrections_replayed = _replay_corrections(library)
    return report


def _set_aside_and_salvage(folder: Path) -> tuple[Path, dict[str, list], list[str], dict]:
    """Move the store's files to damaged-<time>/ and read back each part that
    can be read on its own (store.salvage): a damaged part costs only itself."""
    engine = engine_of(folder)
    if engine is None:
        raise FaceOrganizerError(f"{folder} holds no library store to repair")
    aside = folder / f"damaged-{time.strftime('%Y%m%d-%H%M%S')}"
    aside.mkdir()
    for path in (folder / ENGINES[engine], *journal_files(folder)):
        if path.exists():
            shutil.move(path, aside / path.name)
    lost: list[str] = []
    records: dict[str, list] = {}
    meta: dict = {}
    readers = {"faces": lambda store: store.iter_faces(vectors=True), "photos": lambda store: store.iter_photos(),
               "people": lambda store: store.iter_people(), "log": lambda store: store.iter_log()}
    for part, kinds in salvage.parts(engine).items():
        try:
            with salvage.part_alone(aside, engine, part) as path:
                store = open_store(path, engine=engine)
                try:
                    found = {kind: list(readers[kind](store)) for kind in kinds}
                    with contextlib.suppress(Exception):
                        meta = meta or store.meta()
                finally:
                    store.close()
        except Exception as exc:  # whatever the damage: this part is lost
            lost.append(f"{part} ({getattr(exc, 'detail', exc)})")
            continue
        records.update(found)
    return aside, records, lost, meta


def _restore(library, parts: dict[str, list], meta: dict) -> None:
    """Write what was salvaged into the library's new store."""
    faces = parts.get("faces", [])
    for start in range(0, len(faces), _CHUNK):
        chunk = faces[start:start + _CHUNK]
        library._store(Batch(faces={f["id"]: (f.pop("vector"), {k: v for k, v in f.items() if k != "id"})
                                    for f in chunk}))
    photos = {p.pop("id"): p for p in parts.get("photos", [])}
    unit = np.zeros(library.store.dim, dtype=np.float32)
    unit[0] = 1.0  # a placeholder mean face: every person's is written again below
    people = {p.pop("id"): (unit, p) for p in parts.get("people", [])}
    entries = {e.pop("id"): e for e in parts.get("log", [])}
    library._store(Batch(photos=photos, people=people, log=entries, meta=meta))
    if not meta.get("folders"):
        known = [*(p.get("folder") for p in photos.values()),
                 *(str(Path(f["path"]).parent) for f in faces if f.get("path"))]
        library._store(Batch(meta={"folders": _top_folders(folder for folder in known if folder)}))
    library._meta = library.store.meta()
    library._catalog = None
    library.corrections.forget()
    batch = Batch()
    library._sync_people(set(library.catalog.cluster_ids()) | set(library.catalog.people), batch)
    library._store(batch)


def _top_folders(folders) -> list[str]:
    """The outermost of these folders (a library's folders, guessed from its photos and faces)."""
    result: list[str] = []
    for folder in sorted(set(folders), key=len):
        if not any(folder == top or folder.startswith(top.rstrip("/") + "/") for top in result):
            result.append(folder)
    return result


def _replay_corrections(library) -> int:
    """Apply again every correction not undone, oldest first: faces found again
    (same ids) go back to the people and names the user gave them."""
    replayed = 0
    for entry in sorted(library.history(), key=lambda e: e["seq"]):
        if entry["undone"]:
            continue
        [record] = library.store.get_log([entry["seq"]])
        change = ChangeSet.from_json(record["change"])
        catalog = library.catalog
        for cid, members in change.confirmed.items():
            for face_id in members:
                if face_id in catalog.row and face_id not in change.faces_after:
                    change.faces_after[face_id] = replace(catalog.state(face_id), cluster_id=cid)
        if library.apply(change):
            replayed += 1
    return replayed
