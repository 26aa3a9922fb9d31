"""The indexing pipeline: `Indexer`, to which FaceLibrary hands indexing.
A folder's files are compared with their photo records first (scanning), so
unchanged photos are skipped and moved ones keep their faces; photos are
analysed on a pool of threads, one per core (analysis: Pillow, OpenCV and
onnxruntime release the GIL), while the calling thread, the only one that
touches the store, writes them in batches (photo_writes), new faces forming
people as they come.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from faceorganizer.analysis import PhotoAnalysis, analyse_photo, source_of
from faceorganizer.drawn import drawn_boxes
from faceorganizer.dates import photo_date
from faceorganizer.errors import FilterRejectedError, ImageLoadError, NoFaceDetectedError
from faceorganizer.faces import DetectedFace
from faceorganizer.images import ImageInput
from faceorganizer.photo_writes import date_fields, move_photo, write_analyses
from faceorganizer.scanning import (
    NOT_TEXT, file_version, is_text, move_key, printable, same_version, scan_folder, under_unreadable, version_key,
)
from faceorganizer.sidecars import name_faces_from_regions, sidecar_versions
from faceorganizer.store import Batch, ensure_free, stable_id
from faceorganizer.threads import bounded_map, lower_thread_priority

if TYPE_CHECKING:
    from faceorganizer.library import FaceLibrary

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], None]

#: New faces form people at the first write of a run, then at least this
#: often (s); the run's faces are grouped again together at its end.
_GROUPING_SECONDS = 5.0

#: Photos written to the store together; also written at least this often (s).
_FLUSH_PHOTOS = 32
_FLUSH_SECONDS = 2.0
#: What a photo's faces take on disk, measured (their store records,
#: thumbnails and cached vectors: about 20 KB a face), for a few faces each.
_BYTES_PER_PHOTO = 100 * 2**10


@dataclass
class PhotoOutcome:
    """What indexing did with one photo: `faces` kept, or the `error`."""

    path: str | None
    image_id: str
    face_ids: list[str] = field(default_factory=list)
    found: int = 0
    error: str | None = None


@dataclass
class IndexReport:
    """The result of `index_directory`."""

    seen: int = 0
    indexed: int = 0
    unchanged: int = 0
    moved: int = 0
    removed: int = 0
    duplicates: int = 0  # links to a photo file indexed under another path
    faces_found: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    still_failing: list[tuple[str, str]] = field(default_factory=list)
    # Photos whose name the store cannot keep (see scanning.NOT_TEXT): told at
    # each indexing, as failed, but no news to a quiet one (nothing is kept of them).
    badly_named: list[tuple[str, str]] = field(default_factory=list)
    unreadable_folders: list[tuple[str, str]] = field(default_factory=list)
    cancelled: bool = False
    face_ids: list[str] = field(default_factory=list)


class Indexer:
    """Indexes photos into one library (see the module docstring); FaceLibrary
    owns one and hands its methods of the same names to it."""

    def __init__(self, library: FaceLibrary):
        self.library = library

    def index(self, image: ImageInput) -> list[str]:
        """Index one photo, replacing what was known of it; return its face ids.

        Raises ImageLoadError, NoFaceDetectedError (no face in the photo) or
        FilterRejectedError (every face too small or too unsure).
        """
        self.library.check_writable()
        analysis = analyse_photo(self.library, source_of(image), image)
        if analysis.error is not None:
            raise ImageLoadError(analysis.path or "<image>", analysis.error)
        write_analyses(self.library, [analysis], group=[face_id for face_id, _ in analysis.faces])
        if analysis.found == 0:
            raise NoFaceDetectedError(f"no face found in {analysis.path or 'the image'}")
        if not analysis.faces:
            raise FilterRejectedError(
                f"{analysis.found} face(s) found in {analysis.path or 'the image'}, each smaller than"
                f" {self.library.settings.min_face_size} px or less sure than {self.library.settings.min_det_score}"
            )
        return [face_id for face_id, _ in analysis.faces]

    def add_analysed_photos(self, photos: Sequence[tuple[str | os.PathLike, tuple[int, int], Sequence[dict]]]
                            ) -> list[list[str]]:
        """Store photos analysed elsewhere, as indexing stores its own, in one
        batch, and let their faces join or form people; returns their face ids.

        Each is (path, (width, height) of the upright photo, faces), each face
        a dict with `bbox` (x1, y1, x2, y2 in its pixels), `det_score`,
        `embedding` (512 floats) and optionally `landmarks` (5 x 2). No
        thumbnail is made, nor is the photo's date read (the next indexing of
        its folder reads it)."""
        self.library.check_writable()
        analyses = []
        for path, (width, height), faces in photos:
            path = str(Path(path).expanduser().resolve())
            if not is_text(path):
                raise ImageLoadError(printable(path), NOT_TEXT)
            try:
                version = file_version(os.stat(path))
            except OSError:
                version = {}
            image_id = stable_id("path", path)
            analysis = PhotoAnalysis(image_id, path, version, width, height, found=len(faces))
            for i, face in enumerate(faces):
                vector = np.asarray(face["embedding"], dtype=np.float32)
                norm = float(np.linalg.norm(vector))
                landmarks = np.asarray(face.get("landmarks", np.zeros((5, 2))), dtype=np.float32).reshape(5, 2)
                analysis.faces.append((
                    stable_id(image_id, version_key(version), i),
                    DetectedFace(tuple(map(float, face["bbox"])), float(face["det_score"]), landmarks,
                                 vector / max(norm, 1e-12), norm),
                ))
            analyses.append(analysis)
        write_analyses(self.library, analyses, group=[face_id for a in analyses for face_id, _ in a.faces])
        return [[face_id for face_id, _ in a.faces] for a in analyses]

    def index_batch(
        self,
        images: Sequence[ImageInput],
        on_progress: ProgressCallback | None = None,
    ) -> list[list[str]]:
        """Index many photos; for each, its face ids ([] when it has none or
        could not be read, which is logged)."""
        results: dict[int, list[str]] = {}
        sources = [(source_of(image), image) for image in images]

        def record(i: int, outcome: PhotoOutcome) -> None:
            if outcome.error:
                log.warning("skipped %s: %s", outcome.path or f"image {i}", outcome.error)
            results[i] = outcome.face_ids

        self._run(sources, on_progress, record)
        return [results.get(i, []) for i in range(len(images))]

    def index_directory(
        self,
        path: str | os.PathLike,
        recursive: bool = True,
        on_progress: ProgressCallback | None = None,
        *,
        on_photo: Callable[[PhotoOutcome], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> IndexReport:
        """Index the photos in a folder, incrementally.

        Unchanged files (same path, size and modification time) are skipped
        without being opened (but for the face regions of a sidecar another
        tool changed, read again); changed files are indexed again and lose their
        old faces; files gone from the folder lose their faces. Photos that
        cannot be read are reported and keep the faces they had. Setting
        `cancel` stops after the photos in flight; what is done is kept.
        """
        root = Path(path).expanduser().resolve()
        report = IndexReport()
        if not is_text(str(root)):
            report.unreadable_folders.append((printable(str(root)), NOT_TEXT))
            return report
        if not root.is_dir():
            reason = "no such folder" if not root.exists() else "not a folder"
            report.unreadable_folders.append((str(root), reason))
            return report
        files, report.unreadable_folders, report.duplicates, xmp_files = scan_folder(
            root, recursive, skip=[self.library.folder, *map(Path, self.library.excluded_folders())])
        report.seen = len(files) + report.duplicates
        known = {
            record["path"]: record
            for record in (self.library.store.iter_photos(under=str(root)) if recursive
                           else self.library.store.iter_photos(folder=str(root)))
        }
        if known and not files:
            # An unplugged drive leaves an empty mount point: forget nothing.
            report.unreadable_folders.append(
                (str(root), "no photos found; is the drive connected? (its faces are kept)")
            )
            return report
        todo: list[tuple[str, ImageInput]] = []
        changed: list[dict] = []  # the records of photos changed since they were indexed
        new_files = []
        retagged: list[str] = []  # faces of unchanged photos whose sidecars changed
        batch = Batch()
        for file_path, st in files:
            if not is_text(file_path):
                report.badly_named.append((printable(file_path), NOT_TEXT))
                continue
            record = known.pop(file_path, None)
            version = file_version(st)
            if record and record.get("status") in ("done", "failed") and same_version(record, version):
                if record["status"] == "done":
                    report.unchanged += 1
                    if not record.get("taken"):  # indexed before dates were kept
                        batch.photo_fields[record["id"]] = date_fields(photo_date(file_path, st.st_mtime_ns))
                    sidecars = sidecar_versions(file_path, xmp_files)
                    if sidecars != record.get("sidecars"):  # another tool named its faces
                        batch.photo_fields.setdefault(record["id"], {})["sidecars"] = sidecars
                        retagged += record.get("face_ids", [])
                else:
                    report.still_failing.append((file_path, record.get("error", "")))
                continue
            if record:
                changed.append(record)
            (todo if record else new_files).append((file_path, version))
        new_files = self._drop_known_files(new_files, report)
        gone = [r for r in known.values() if not under_unreadable(r["path"], report.unreadable_folders)]
        # A photo moved or renamed keeps its size and modification time: it
        # keeps its faces and the user's corrections too.
        by_version = {move_key(r.get("version") or {}): r for r in gone if r.get("status") == "done"}
        for file_path, version in new_files:
            record = by_version.pop(move_key(version), None)
            if record is None:
                todo.append((file_path, version))
            else:
                move_photo(self.library, record, file_path, batch)
                gone.remove(record)
                report.moved += 1
        if gone:
            self.library._forget_photos(gone, batch)
            report.removed = len(gone)
        self.library._store(batch)
        drawn = drawn_boxes(self.library, changed)
        todo = [(file_path, file_path, False, drawn.get(file_path, ())) for file_path, _ in todo]

        def record(_i: int, outcome: PhotoOutcome) -> None:
            if outcome.error:
                report.failed.append((outcome.path, outcome.error))
            else:
                report.indexed += 1
                report.faces_found += len(outcome.face_ids)
                report.face_ids += outcome.face_ids
            if on_photo:
                on_photo(outcome)

        report.cancelled = not self._run(todo, on_progress, record, cancel)
        name_faces_from_regions(self.library, report.face_ids + retagged)
        return report

    def find_small_faces(
        self,
        on_progress: ProgressCallback | None = None,
        *,
        cancel: threading.Event | None = None,
    ) -> IndexReport:
        """Look closer at every indexed photo not looked at so before, on the
        whole photo: it gains the small faces the first look missed, and its
        other faces keep their ids, people and names. `faces_found` counts
        the faces gained."""
        todo = [(r["path"], r["path"], True) for r in self.library.store.iter_photos()
                if r.get("status") == "done" and r.get("path") and not r.get("small_faces_searched")]
        report = IndexReport(seen=len(todo))
        before = self.library.count()

        def record(_i: int, outcome: PhotoOutcome) -> None:
            if outcome.error:
                report.failed.append((outcome.path, outcome.error))
            else:
                report.indexed += 1

        report.cancelled = not self._run(todo, on_progress, record, cancel)
        report.faces_found = self.library.count() - before
        return report

    def _run(
        self,
        sources: Sequence[tuple[str | None, ImageInput]],
        on_progress: ProgressCallback | None,
        on_outcome: Callable[[int, PhotoOutcome], None],
        cancel: threading.Event | None = None,
    ) -> bool:
        """Analyse `sources` on the worker pool and write them in batches.
        Returns False when cancelled."""
        total = len(sources)
        if total:
            self.library.check_writable()
            # A large import is refused before it starts, not once the disk is full.
            ensure_free(self.library.folder, self.library.store.reserve + total * _BYTES_PER_PHOTO)
        if on_progress:
            on_progress(0, total)
        if not total:
            return True
        self.library.analyzer  # load the models once, before the workers race to
        pending: list[tuple[int, PhotoAnalysis]] = []
        last_flush = time.monotonic()
        done = 0

        new_faces: list[str] = []  # of this run
        waiting: list[str] = []  # new faces not grouped yet
        formed: set[int] = set()  # people this run formed
        last_grouping = -_GROUPING_SECONDS  # the first faces group at once

        def flush(final: bool = False) -> None:
            nonlocal last_grouping
            batch = [analysis for _, analysis in pending]
            faces = [fid for analysis in batch for fid, _ in analysis.faces]
            new_faces.extend(faces)
            waiting.extend(faces)
            # People form as the faces come (every so often: a first import
            # shows people while it runs, and a crash leaves little ungrouped);
            # at the end, the run's faces are grouped again all together.
            if final:
                write_analyses(self.library, batch, group=new_faces, regroup=formed)
            elif time.monotonic() - last_grouping >= _GROUPING_SECONDS:
                formed.update(write_analyses(self.library, batch, group=waiting))
                waiting.clear()
                last_grouping = time.monotonic()
            else:
                write_analyses(self.library, batch)
            for i, analysis in pending:
                on_outcome(i, _outcome(analysis))
            pending.clear()

        workers = max(1, self.library.settings.workers)
        with ThreadPoolExecutor(workers, thread_name_prefix="faceorganizer-analyze",
                                initializer=lower_thread_priority, initargs=(10,)) as pool:
            for i, analysis in enumerate(
                bounded_map(pool, lambda s: analyse_photo(self.library, *s), sources, 4 * workers, cancel)
            ):
                pending.append((i, analysis))
                done += 1
                if len(pending) >= _FLUSH_PHOTOS or time.monotonic() - last_flush > _FLUSH_SECONDS:
                    flush()
                    last_flush = time.monotonic()
                if on_progress and done < total:
                    on_progress(done, total)
        flush(final=True)
        if on_progress and done == total:
            on_progress(done, total)  # once the last photos' faces are written and counted
        return done == total

    def _drop_known_files(self, new_files: list[tuple[str, dict]], report: IndexReport) -> list[tuple[str, dict]]:
        """New paths that lead to a photo file already indexed under another
        path (a hard link, a symlink, a folder reached twice) are left out."""
        by_key = {version["file_key"]: (path, version) for path, version in new_files}
        if not by_key:
            return new_files
        known = set()
        for record in self.library.store.iter_photos(file_keys=list(by_key)):
            key = record["version"]["file_key"]
            try:
                still_there = file_version(os.stat(record["path"]))["file_key"] == key
            except OSError:
                still_there = False
            if still_there and record["path"] != by_key[key][0]:
                known.add(key)
        report.duplicates += len(known)
        return [(path, version) for path, version in new_files if version["file_key"] not in known]


def _outcome(a: PhotoAnalysis) -> PhotoOutcome:
    return PhotoOutcome(a.path, a.image_id, [fid for fid, _ in a.faces], a.found, a.error)

