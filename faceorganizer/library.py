"""FaceLibrary: the core's API. Index photos into the face store, find and
search faces, remove them.

Indexing is a pipeline: photos are decoded and analysed on a pool of threads
(Pillow, OpenCV and onnxruntime release the GIL), one photo per core, while the
calling thread, the only one that touches the store, writes the results in
batches. Every photo file has a record in the store with its size and
modification time, so indexing a folder again skips what has not changed.

Photos analysed elsewhere enter through `add_analysed_photo(path, size,
faces)`, each face a dict with `bbox` (x1, y1, x2, y2 in pixels of the upright
photo), `det_score`, `embedding` (512 floats) and optionally `landmarks`; they
are stored and grouped into people exactly as indexing does it.

Everything the library keeps is in its store (`faceorganizer.store`), and
every write is one batch made whole by the journal: an indexing flush (photo
records, faces, the people they join) or a correction lands entirely or not
at all, whenever the process is killed. Face ids are derived from the photo
and its version, so writing one again overwrites it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from faceorganizer.catalog_store import CatalogStore, new_generation
from faceorganizer.config import (
    GroupingSettings,
    Settings,
    SidecarSettings,
    default_library_dir,
    grouping_changes,
    sidecar_changes,
)
from faceorganizer.corrections import CorrectionsLog
from faceorganizer.dates import photo_date
from faceorganizer.drawn import add_drawn_face
from faceorganizer.errors import (
    FaceNotFoundError,
    FaceOrganizerError,
    FilterRejectedError,
    ImageLoadError,
    LibraryDamagedError,
    NoFaceDetectedError,
    ReadOnlyLibraryError,
)
from faceorganizer.exclusions import exclude_folder, excluded_folders
from faceorganizer.faces import Candidate, DetectedFace, FaceAnalyzer
from faceorganizer.images import ImageInput, Photo, is_photo_path, load_photo
from faceorganizer.people import ChangeSet, FaceCatalog, FaceState
from faceorganizer.people_ops import PeopleOperations
from faceorganizer.sidecars import faces_in_regions, name_faces_from_regions, sidecar_versions
from faceorganizer.small_faces import HINT_SCORE, look_closer
from faceorganizer.lock import LibraryLock
from faceorganizer.naming import name_face
from faceorganizer.store import (
    ENGINES,
    Batch,
    Journal,
    create_store,
    ensure_free,
    open_store,
    read_only_copy,
    stable_id,
)
from faceorganizer.store.migrate import MigrationReport
from faceorganizer.store.vectors import VECTORS, VectorCache
from faceorganizer.thumbs import ThumbnailCache

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], None]

#: Two faces of one photo this alike (cosine) are the same face, found again.
_SAME_FACE = 0.8

#: New faces form people at the first write of a run, then at least this
#: often (s); the run's faces are grouped again together at its end.
_GROUPING_SECONDS = 5.0

#: The settings a library keeps in its store, over those it is opened with.
_KEPT_SETTINGS = ("min_faces", "min_face_size", "sidecar_style", "write_sidecars")

#: Photos written to the store together; also written at least this often (s).
_FLUSH_PHOTOS = 32
_FLUSH_SECONDS = 2.0
#: What a photo's faces take on disk, measured (their store records,
#: thumbnails and cached vectors: about 20 KB a face), for a few faces each.
_BYTES_PER_PHOTO = 100 * 2**10


@dataclass
class SearchResult:
    """A face found by `FaceLibrary.search`, with its cosine similarity `score`."""

    face_id: str
    image_id: str
    score: float
    bbox: tuple[float, float, float, float] | None = None
    cluster_id: int | None = None
    path: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


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
    unreadable_folders: list[tuple[str, str]] = field(default_factory=list)
    cancelled: bool = False
    face_ids: list[str] = field(default_factory=list)


@dataclass
class _Analysis:
    """A photo analysed on a worker thread, ready to be written."""

    image_id: str
    path: str | None
    version: dict[str, int]
    width: int = 0
    height: int = 0
    faces: list[tuple[str, DetectedFace]] = field(default_factory=list)
    found: int = 0
    error: str | None = None
    taken: tuple[str, str] | None = None  # (ISO 8601 date, where it came from)
    sidecars: list[list[int] | None] | None = None  # see sidecars.sidecar_versions
    looked_everywhere: bool = False  # for small faces, on the whole photo


class FaceLibrary(PeopleOperations):
    """A library of faces stored in Qdrant.

    Args:
        library_dir: the library folder (store, thumbnails, lock); the per-user
            data folder by default.
        qdrant_url: use the Qdrant server at this URL instead of the embedded store.
        engine: the embedded engine of a new library ("edge" or "local"; see
            faceorganizer.store); an existing library keeps its own.
        settings: detection and filtering settings.
        analyzer: a FaceAnalyzer to share; loaded on first use otherwise.

    One process at a time may open a library: a second gets LibraryLockedError.
    All methods must be called from the thread that opened the library.
    """

    def __init__(
        self,
        library_dir: str | os.PathLike | None = None,
        *,
        qdrant_url: str | None = None,
        engine: str | None = None,
        settings: Settings | None = None,
        analyzer: FaceAnalyzer | None = None,
    ):
        self.folder = Path(library_dir) if library_dir else default_library_dir()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.settings = settings or Settings()
        #: A library whose folder cannot be written is read from a private
        #: copy of its store; every change raises ReadOnlyLibraryError.
        self.read_only = not _writable(self.folder)
        self._resources = contextlib.ExitStack()
        self._catalog: FaceCatalog | None = None
        try:
            if self.read_only:
                store_folder = self._resources.enter_context(read_only_copy(self.folder))
            else:
                self._resources.callback(LibraryLock(self.folder).release)
                store_folder = self.folder
            self.store = open_store(store_folder, engine=engine, url=qdrant_url)
            self._resources.callback(self.store.close)
            self.journal = Journal(self.store, store_folder, self.store.reserve)
            self.journal.recover()
            self._resources.callback(self.sync)
            self._meta = self.store.meta()
            self._check_faces_present()
        except BaseException:
            self._resources.close()
            raise
        self.corrections = CorrectionsLog(self.store)
        self.settings = replace(self.settings, **{k: self._meta[k] for k in _KEPT_SETTINGS if k in self._meta})
        self.thumbnails = ThumbnailCache(self.folder / "thumbnails")
        self.vector_cache = VectorCache(self.folder / VECTORS, self.store.dim, writable=not self.read_only)
        self.catalog_store = CatalogStore(self.store, self.folder, self.vector_cache, writable=not self.read_only)
        self._analyzer = analyzer
        self._analyzer_lock = threading.Lock()
        self._models_checked = False
        self._unwritten_meta: dict[str, Any] = {}
        #: Called with each batch once it is written (to keep copies in memory up to date).
        self.write_listeners: list[Callable[[Batch], None]] = []

    # -- lifetime --------------------------------------------------------------

    def close(self) -> None:
        """Make every write durable, and release the store and the library lock."""
        self._resources.close()

    @property
    def generation(self) -> str:
        """The token of the library's last write (see faceorganizer.snapshot):
        what was computed from the library at one generation holds until the next."""
        return self._meta.get("generation", "")

    def sync(self) -> None:
        """Make every write so far durable on disk (corrections return before
        the engine syncs its files; the service calls this when idle), then
        snapshot the catalog for a quick next open."""
        self.journal.sync()
        if self._catalog is not None and not self.read_only:
            if "generation" not in self._meta:  # a library written before generations: give it one
                self._store(Batch(meta={"generation": new_generation()}))
                self.journal.sync()
            self.catalog_store.save(self._catalog, self._meta["generation"])

    def _check_faces_present(self) -> None:
        """A cheap check at open: a store that lost most of its faces, or of
        its people, is damaged; it must not pass for an empty library."""
        written = int(self._meta.get("face_count") or 0)
        if written and self.store.count_faces() < written / 2:
            raise LibraryDamagedError(
                self.folder, f"{written:,} faces were written but its face store holds {self.store.count_faces():,}")
        counted = sum(int(p.get("face_count") or 0) for p in self.store.iter_people())
        assigned = self.store.count_faces(assigned=True)
        if counted and assigned < counted / 2:
            raise LibraryDamagedError(
                self.folder, f"its people have {counted:,} faces but its face store holds {assigned:,} of them")
        if assigned and counted < assigned / 2:
            raise LibraryDamagedError(
                self.folder, f"{assigned:,} faces belong to people but the people's records hold {counted:,}")

    def migrate(self, engine: str, on_progress: ProgressCallback | None = None) -> MigrationReport:
        """Move the library's store to another engine (see store.migrate),
        after checking there is room for a copy; the library is closed after."""
        from faceorganizer.store.migrate import migrate

        self.check_writable()
        if self.store.engine == "server":
            raise FaceOrganizerError("A library on a Qdrant server stays there; migrate moves embedded libraries.")
        ensure_free(self.folder, self.store.reserve + 8 * 2**10 * self.store.count_faces())
        self.sync()
        try:
            return migrate(self.folder, self.store, engine, lambda path: create_store(path, engine, self.store.dim),
                           lambda name: ENGINES[name], on_progress)
        finally:
            self.close()

    def check_writable(self) -> None:
        """Raise ReadOnlyLibraryError if the library cannot be changed."""
        if self.read_only:
            raise ReadOnlyLibraryError(
                f"The library {self.folder} is read-only: its people and faces can be browsed, not changed. "
                "Open it from a folder you can write to."
            )

    def __enter__(self) -> FaceLibrary:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def analyzer(self) -> FaceAnalyzer:
        """The face models, loaded on first use (0.2-0.5 s)."""
        with self._analyzer_lock:
            if self._analyzer is None:
                self._analyzer = FaceAnalyzer(
                    self.settings.model_dir, det_size=self.settings.det_size
                )
            if not self._models_checked:
                self._check_recognizer(self._analyzer.model_names[1])
                self._models_checked = True
            return self._analyzer

    def _check_recognizer(self, name: str) -> None:
        """Vectors of two recognisers cannot be compared: a library keeps one."""
        used = self._meta.get("recognizer")
        if used == name:
            return
        if used is not None and self.store.count_faces():
            raise FaceOrganizerError(
                f"The faces in {self.folder} were found with the model {used}, not {name}: "
                "their vectors cannot be compared. Use the same models, or another library."
            )
        # Written with the first photos analysed: a write of its own would hold
        # up the start of indexing by a flush of the store.
        self._unwritten_meta["recognizer"] = name

    # -- indexing --------------------------------------------------------------

    def index(self, image: ImageInput) -> list[str]:
        """Index one photo, replacing what was known of it; return its face ids.

        Raises ImageLoadError, NoFaceDetectedError (no face in the photo) or
        FilterRejectedError (every face too small or too unsure).
        """
        self.check_writable()
        analysis = self._analyze(_source_of(image), image)
        if analysis.error is not None:
            raise ImageLoadError(analysis.path or "<image>", analysis.error)
        self._write([analysis], group=[face_id for face_id, _ in analysis.faces])
        if analysis.found == 0:
            raise NoFaceDetectedError(f"no face found in {analysis.path or 'the image'}")
        if not analysis.faces:
            raise FilterRejectedError(
                f"{analysis.found} face(s) found in {analysis.path or 'the image'}, each smaller than"
                f" {self.settings.min_face_size} px or less sure than {self.settings.min_det_score}"
            )
        return [face_id for face_id, _ in analysis.faces]

    def add_face(self, photo: str | os.PathLike, box: Sequence[float], person: int | None = None,
                 name: str | None = None) -> ChangeSet:
        """Add a face the detector missed, drawn round it (x1, y1, x2, y2 in
        pixels of the upright photo), to a person, the person called `name`
        or nobody yet; undoable, and kept by every later grouping. The
        change's `result` is its face id (see faceorganizer.drawn)."""
        return add_drawn_face(self, photo, box, person, name)

    def name_face(self, face_id: str, name: str) -> ChangeSet:
        """Say who one face is, as on its box in the viewer (see faceorganizer.naming)."""
        return name_face(self, face_id, name)

    def add_analysed_photo(self, path: str | os.PathLike, size: tuple[int, int], faces: Sequence[dict]) -> list[str]:
        """Store a photo analysed elsewhere, as indexing stores its own, and
        let its faces join or form people; returns their face ids.

        `size` is (width, height) of the upright photo; each face is a dict
        with `bbox` (x1, y1, x2, y2 in its pixels), `det_score`, `embedding`
        (512 floats) and optionally `landmarks` (5 x 2). No thumbnail is made,
        nor is the photo's date read (the next indexing of its folder reads it).
        """
        return self.add_analysed_photos([(path, size, faces)])[0]

    def add_analysed_photos(self, photos: Sequence[tuple[str | os.PathLike, tuple[int, int], Sequence[dict]]]
                            ) -> list[list[str]]:
        """`add_analysed_photo` for many photos, written as one batch (tools
        and benchmarks build large libraries this way)."""
        self.check_writable()
        analyses = []
        for path, (width, height), faces in photos:
            path = str(Path(path).expanduser().resolve())
            try:
                version = _version(os.stat(path))
            except OSError:
                version = {}
            image_id = stable_id("path", path)
            analysis = _Analysis(image_id, path, version, width, height, found=len(faces))
            for i, face in enumerate(faces):
                vector = np.asarray(face["embedding"], dtype=np.float32)
                norm = float(np.linalg.norm(vector))
                landmarks = np.asarray(face.get("landmarks", np.zeros((5, 2))), dtype=np.float32).reshape(5, 2)
                analysis.faces.append((
                    stable_id(image_id, _version_key(version), i),
                    DetectedFace(tuple(map(float, face["bbox"])), float(face["det_score"]), landmarks,
                                 vector / max(norm, 1e-12), norm),
                ))
            analyses.append(analysis)
        self._write(analyses, group=[face_id for a in analyses for face_id, _ in a.faces])
        return [[face_id for face_id, _ in a.faces] for a in analyses]

    def index_batch(
        self,
        images: Sequence[ImageInput],
        on_progress: ProgressCallback | None = None,
    ) -> list[list[str]]:
        """Index many photos; for each, its face ids ([] when it has none or
        could not be read, which is logged)."""
        results: dict[int, list[str]] = {}
        sources = [(_source_of(image), image) for image in images]

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
        if not root.is_dir():
            reason = "no such folder" if not root.exists() else "not a folder"
            report.unreadable_folders.append((str(root), reason))
            return report
        files, report.unreadable_folders, report.duplicates, xmp_files = scan_folder(
            root, recursive, skip=[self.folder, *map(Path, self.excluded_folders())])
        report.seen = len(files) + report.duplicates
        known = {
            record["path"]: record
            for record in (self.store.iter_photos(under=str(root)) if recursive
                           else self.store.iter_photos(folder=str(root)))
        }
        if known and not files:
            # An unplugged drive leaves an empty mount point: forget nothing.
            report.unreadable_folders.append(
                (str(root), "no photos found; is the drive connected? (its faces are kept)")
            )
            return report
        todo: list[tuple[str, ImageInput]] = []
        new_files = []
        retagged: list[str] = []  # faces of unchanged photos whose sidecars changed
        batch = Batch()
        for file_path, st in files:
            record = known.pop(file_path, None)
            version = _version(st)
            if record and record.get("status") in ("done", "failed") and _same(record, version):
                if record["status"] == "done":
                    report.unchanged += 1
                    if not record.get("taken"):  # indexed before dates were kept
                        batch.photo_fields[record["id"]] = _date_fields(photo_date(file_path, st.st_mtime_ns))
                    sidecars = sidecar_versions(file_path, xmp_files)
                    if sidecars != record.get("sidecars"):  # another tool named its faces
                        batch.photo_fields.setdefault(record["id"], {})["sidecars"] = sidecars
                        retagged += record.get("face_ids", [])
                else:
                    report.still_failing.append((file_path, record.get("error", "")))
                continue
            (todo if record else new_files).append((file_path, version))
        new_files = self._drop_known_files(new_files, report)
        gone = [r for r in known.values() if not _under_unreadable(r["path"], report.unreadable_folders)]
        # A photo moved or renamed keeps its size and modification time: it
        # keeps its faces and the user's corrections too.
        by_version = {_move_key(r.get("version") or {}): r for r in gone if r.get("status") == "done"}
        for file_path, version in new_files:
            record = by_version.pop(_move_key(version), None)
            if record is None:
                todo.append((file_path, version))
            else:
                self._move_photo(record, file_path, batch)
                gone.remove(record)
                report.moved += 1
        if gone:
            self._forget_photos(gone, batch)
            report.removed = len(gone)
        self._store(batch)
        todo = [(file_path, file_path) for file_path, _ in todo]

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
        name_faces_from_regions(self, report.face_ids + retagged)
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
        todo = [(r["path"], r["path"], True) for r in self.store.iter_photos()
                if r.get("status") == "done" and r.get("path") and not r.get("small_faces_searched")]
        report = IndexReport(seen=len(todo))
        before = self.count()

        def record(_i: int, outcome: PhotoOutcome) -> None:
            if outcome.error:
                report.failed.append((outcome.path, outcome.error))
            else:
                report.indexed += 1

        report.cancelled = not self._run(todo, on_progress, record, cancel)
        report.faces_found = self.count() - before
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
            self.check_writable()
            # A large import is refused before it starts, not once the disk is full.
            ensure_free(self.folder, self.store.reserve + total * _BYTES_PER_PHOTO)
        if on_progress:
            on_progress(0, total)
        if not total:
            return True
        self.analyzer  # load the models once, before the workers race to
        pending: list[tuple[int, _Analysis]] = []
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
                self._write(batch, group=new_faces, regroup=formed)
            elif time.monotonic() - last_grouping >= _GROUPING_SECONDS:
                formed.update(self._write(batch, group=waiting))
                waiting.clear()
                last_grouping = time.monotonic()
            else:
                self._write(batch)
            for i, analysis in pending:
                on_outcome(i, _outcome(analysis))
            pending.clear()

        workers = max(1, self.settings.workers)
        with ThreadPoolExecutor(workers, thread_name_prefix="faceorganizer-analyze",
                                initializer=lower_thread_priority, initargs=(10,)) as pool:
            for i, analysis in enumerate(
                _bounded_map(pool, lambda s: self._analyze(*s), sources, 4 * workers, cancel)
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

    def _analyze(self, path: str | None, image: ImageInput, look_everywhere: bool = False) -> _Analysis:
        """Decode and analyse one photo, and cut its face thumbnails. Runs on a
        worker thread and touches no store. `look_everywhere`: look closer for
        small faces on the whole photo, not only where the first pass hints."""
        if path is not None:
            try:
                version = _version(os.stat(path))
            except OSError as exc:
                return _Analysis(stable_id("path", path), path, {}, error=_os_reason(exc))
            image_id = stable_id("path", path)
        else:
            version = {}
            image_id = stable_id("content", _content_hash(image))
        version_key = _version_key(version)
        analysis = _Analysis(image_id, path, version, looked_everywhere=look_everywhere)
        try:
            photo = load_photo(image, max_side=self.settings.decode_size)
        except ImageLoadError as exc:
            analysis.error = exc.reason
            return analysis
        analysis.width, analysis.height = photo.width, photo.height
        if path is not None:
            analysis.taken = photo_date(path, version["mtime_ns"])
            analysis.sidecars = sidecar_versions(path)
        settings = self.settings
        analyzer = self.analyzer
        small_faces = settings.small_faces or look_everywhere

        def keep(c: Candidate) -> bool:
            return c.size >= settings.min_face_size and c.det_score >= settings.min_det_score

        try:
            found = analyzer.detect(photo, threshold=HINT_SCORE if small_faces else None)
            detected = [c for c in found if c.det_score >= analyzer.det_thresh]
            kept = [(i, c) for i, c in enumerate(detected) if keep(c)]
            kept += faces_in_regions(analyzer, photo, path, detected, kept)
            closer = look_closer(analyzer, image, photo, found, [c for _, c in kept],
                                 everywhere=look_everywhere) if small_faces else None
            looks = [(photo, kept)] if closer is None else closer.embedding_sources(photo, kept, keep)
            embedded = [(source, numbered, analyzer.embed(source, [c for _, c in numbered]))
                        for source, numbered in looks]
        except Exception as exc:  # onnxruntime and OpenCV raise untyped errors
            log.exception("face analysis failed on %s", path or "an image")
            analysis.error = f"face analysis failed ({exc})"
            return analysis
        analysis.found = len(detected) + (len(closer.faces) if closer else 0)
        for source, numbered, faces in embedded:
            for (i, _), face in zip(numbered, faces):
                face_id = stable_id(image_id, version_key, i)
                analysis.faces.append((face_id, face))
                self.thumbnails.write(face_id, source.pixels, _scaled(face.bbox, source))
        return analysis

    def _write(
        self,
        analyses: Sequence[_Analysis],
        group: Sequence[str] | None = None,
        regroup: Iterable[int] = (),
    ) -> set[int]:
        """Store analysed photos, their faces and the people they join, as one
        batch (all or nothing).

        With `group` (face ids: the new ones of this batch and maybe earlier
        ones), new unassigned faces also form people, before the faces are
        written, so they are written once with their person. Returns the
        people formed.
        """
        batch = Batch(meta=dict(self._unwritten_meta))
        formed: set[int] = set()
        if analyses:
            self._add_analyses(analyses, batch)
        if group:
            formed = self._group_unassigned(group, batch, regroup)
        self._store(batch)
        self._unwritten_meta.clear()
        return formed

    def _add_analyses(self, analyses: Sequence[_Analysis], batch: Batch) -> None:
        previous = {r["id"]: r for r in self.store.get_photos([a.image_id for a in analyses])}
        now = _now()
        stale: set[str] = set()
        carried: dict[str, FaceState] = {}
        for a in analyses:
            old = {k: v for k, v in previous.get(a.image_id, {}).items() if k != "id"}
            if a.error is not None:
                # A photo that cannot be read now keeps the faces it had.
                batch.photos[a.image_id] = {**old, **_photo_fields(a), "status": "failed", "error": a.error}
                continue
            # Face ids derive from the file's version: faces the user removed
            # stay removed until the file itself changes.
            removed = old.get("removed_face_ids", []) if _same_content(old.get("version"), a.version) else []
            dropped = [fid for fid, _ in a.faces if fid in removed]
            self.thumbnails.remove(dropped)
            a.faces = [(fid, face) for fid, face in a.faces if fid not in removed]
            kept = {fid for fid, _ in a.faces}
            replaced = [fid for fid in old.get("face_ids", []) if fid not in kept]
            stale.update(replaced)
            carried.update(self._carry_corrections(a, replaced))
            batch.photos[a.image_id] = {
                **_photo_fields(a),
                "status": "done",
                "error": None,
                "face_ids": sorted(kept),
                "faces_found": a.found,
                "width": a.width,
                "height": a.height,
                "removed_face_ids": removed,
                "small_faces_searched": a.looked_everywhere,
                "indexed_at": now,
                "sidecars": a.sidecars,
                **_date_fields(a.taken),
            }
        self._delete_faces(stale, batch)
        good = [a for a in analyses if a.error is None]
        people = self._people_of_new_faces(good, carried)
        face_ids, vectors, payloads = [], [], []
        for a in good:
            for face_id, face in a.faces:
                face_ids.append(face_id)
                vectors.append(face.embedding)
                payloads.append({**_face_payload(face_id, a, face, now), **people[face_id]})
        if face_ids:
            vectors = np.stack(vectors)
            self.catalog.add(face_ids, vectors, payloads)
            batch.faces.update(zip(face_ids, zip(vectors, payloads)))
            self._sync_people({p["cluster_id"] for p in people.values() if p["cluster_id"] is not None}, batch)

    def _store(self, batch: Batch) -> None:
        """Write a batch through the journal. Should it fail (a full disk),
        what is in memory is read again from the store, which holds either
        the whole batch or none of it once the journal is recovered."""
        if batch:
            self.check_writable()
            batch.meta = {**batch.meta, "generation": new_generation()}
        if (batch.faces or batch.faces_deleted) and self._catalog is not None:
            # What the cheap check at open compares the face store with.
            batch.meta["face_count"] = int(self._catalog.alive.sum())
        try:
            self.journal.write(batch)
        except BaseException:
            self._catalog = None
            self.corrections.forget()
            raise
        if batch.faces:
            self.vector_cache.append(list(batch.faces), np.stack([vector for vector, _ in batch.faces.values()]))
        self._meta.update(batch.meta)
        if batch.faces_deleted:
            self.thumbnails.remove(batch.faces_deleted)
        for listener in self.write_listeners:
            listener(batch)

    def _carry_corrections(self, analysis: _Analysis, old_face_ids: list[str]) -> dict[str, FaceState]:
        """A photo indexed again (edited, re-tagged, touched) gets new face ids;
        each new face that is an old face again takes over its person and the
        user's corrections."""
        catalog = self.catalog
        rows = [catalog.row[f] for f in old_face_ids if f in catalog.row]
        if not rows or not analysis.faces:
            return {}
        sims = np.stack([face.embedding for _, face in analysis.faces]) @ catalog.vectors[rows].T
        carried = {}
        for flat in np.argsort(-sims, axis=None):
            i, j = divmod(int(flat), len(rows))
            if sims[i, j] < _SAME_FACE:
                break
            new_id, old_id = analysis.faces[i][0], catalog.ids[rows[j]]
            if new_id not in carried and old_id not in carried.values():
                carried[new_id] = old_id
        return {new_id: catalog.state(old_id) for new_id, old_id in carried.items()}

    def _drop_known_files(self, new_files: list[tuple[str, dict]], report: IndexReport) -> list[tuple[str, dict]]:
        """New paths that lead to a photo file already indexed under another
        path (a hard link, a symlink, a folder reached twice) are left out."""
        by_key = {version["file_key"]: (path, version) for path, version in new_files}
        if not by_key:
            return new_files
        known = set()
        for record in self.store.iter_photos(file_keys=list(by_key)):
            key = record["version"]["file_key"]
            try:
                still_there = _version(os.stat(record["path"]))["file_key"] == key
            except OSError:
                still_there = False
            if still_there and record["path"] != by_key[key][0]:
                known.add(key)
        report.duplicates += len(known)
        return [(path, version) for path, version in new_files if version["file_key"] not in known]

    def _move_photo(self, record: dict, path: str, batch: Batch) -> None:
        """A photo file moved: its record and faces follow it."""
        image_id = stable_id("path", path)
        face_ids = record.get("face_ids", [])
        batch.set_face_fields(face_ids, {"path": path, "image_id": image_id})
        if self._catalog is not None:
            self._catalog.move_to_photo(face_ids, image_id)
        moved = {k: v for k, v in record.items() if k != "id"}
        batch.photos[image_id] = {**moved, **_photo_fields(_Analysis(image_id, path, moved["version"]))}
        batch.photos_deleted.add(record["id"])

    def _forget_photos(self, records: Iterable[dict], batch: Batch) -> None:
        """Remove photo records and all their faces (the files are gone)."""
        records = list(records)
        self._delete_faces([fid for r in records for fid in r.get("face_ids", [])], batch)
        batch.photos_deleted.update(r["id"] for r in records)

    def _delete_faces(self, face_ids: Iterable[str], batch: Batch) -> None:
        """Delete faces, from the people they were in too (their thumbnails
        go once the batch is written)."""
        face_ids = list(face_ids)
        if not face_ids:
            return
        batch.delete_faces(face_ids)
        catalog = self.catalog
        people = {catalog.state(f).cluster_id for f in face_ids if f in catalog.row}
        catalog.remove(face_ids)
        self._sync_people(people - {None}, batch)

    # -- queries ---------------------------------------------------------------

    def search(
        self,
        image_or_face_id: ImageInput,
        top_k: int = 10,
        threshold: float | None = None,
    ) -> list[SearchResult]:
        """The faces most like the given face, best first.

        The query is a face id from this library (that face itself is left
        out), or a photo, whose largest face is used.
        """
        exclude = None
        if isinstance(image_or_face_id, str) and _looks_like_id(image_or_face_id):
            records = self.store.get_faces([image_or_face_id], vectors=True)
            if not records:
                raise FaceNotFoundError(image_or_face_id)
            vector = records[0]["vector"]
            exclude = image_or_face_id
        else:
            photo = load_photo(image_or_face_id, max_side=self.settings.decode_size)
            detected = self.analyzer.analyze(photo)
            if not detected:
                raise NoFaceDetectedError("no face found in the query image")
            vector = max(detected, key=lambda f: f.size).embedding
        hits = self.store.search_faces(vector, top_k + (exclude is not None), threshold)
        results = [
            SearchResult(
                face_id=hit["id"],
                image_id=hit.get("image_id", ""),
                score=float(hit["score"]),
                bbox=tuple(hit["bbox"]) if hit.get("bbox") else None,
                cluster_id=hit.get("cluster_id"),
                path=hit.get("path"),
                metadata={k: v for k, v in hit.items() if k not in ("id", "score")},
            )
            for hit in hits
            if hit["id"] != exclude
        ]
        return results[:top_k]

    def get_face(self, face_id: str) -> dict:
        """The face's payload, with its `id`."""
        records = self.store.get_faces([face_id]) if _looks_like_id(face_id) else []
        if not records:
            raise FaceNotFoundError(face_id)
        return _face_dict(records[0])

    def iter_faces(self, cluster_id: int | None = None, *, unassigned: bool = False) -> Iterator[dict]:
        """Every face's payload (of one person, or the unassigned ones)."""
        faces = self.store.iter_faces(cluster_id=cluster_id, unassigned=unassigned)
        if unassigned:
            faces = (f for f in faces if not f.get("not_a_face"))
        return map(_face_dict, faces)

    def faces_in_photo(self, image_id: str) -> list[dict]:
        """Every face of one photo."""
        return [_face_dict(f) for f in self.store.iter_faces(image_id=image_id)]

    def paths_of(self, face_ids: Sequence[str]) -> dict[str, str | None]:
        """The photo path of each face."""
        return {r["id"]: r.get("path") for r in self.store.get_faces(face_ids, fields=["path"])}

    # -- folders -----------------------------------------------------------------

    def folders(self) -> list[str]:
        """The folders the user added to the library (indexed by a rescan)."""
        return list(self._meta.get("folders", []))

    def photo_dates(self, folder: str | os.PathLike | None = None) -> dict[str, tuple[str, str]]:
        """When each indexed photo (anywhere under `folder`, or all) was taken:
        path -> (ISO 8601 date, 'exif', 'digitized' or 'file'), that is the
        EXIF DateTimeOriginal (with its offset from UTC when the camera wrote
        one), else DateTimeDigitized, else the file's modification time.
        Photos indexed before dates were kept get theirs at the next indexing
        of their folder."""
        under = str(Path(folder).expanduser().resolve()) if folder is not None else None
        return {r["path"]: (r["taken"], r["taken_from"])
                for r in self.store.iter_photos(under=under) if r.get("taken") and r.get("path")}

    def add_folders(self, folders: Iterable[str | os.PathLike]) -> list[str]:
        current = self.folders()
        for folder in folders:
            path = str(Path(folder).expanduser().resolve())
            if path not in current:
                current.append(path)
        self._store(Batch(meta={"folders": current}))
        return current

    def remove_folder(self, folder: str | os.PathLike) -> int:
        """Stop indexing a folder and forget its photos' faces (the photos
        stay untouched); returns how many faces were forgotten."""
        path = str(Path(folder).expanduser().resolve())
        batch = Batch(meta={"folders": [f for f in self.folders() if f != path]})
        records = list(self.store.iter_photos(under=path))
        self._forget_photos(records, batch)
        self._store(batch)
        return sum(len(r.get("face_ids", [])) for r in records)

    def excluded_folders(self) -> list[str]:
        """The subfolders left out of indexing (see faceorganizer.exclusions)."""
        return excluded_folders(self)

    def exclude_folder(self, folder: str | os.PathLike, excluded: bool = True) -> int:
        """Leave a subfolder out of indexing, forgetting its faces (or take it in
        again); returns how many faces were forgotten."""
        return exclude_folder(self, folder, excluded)

    def grouping_settings(self) -> GroupingSettings:
        """How this library's faces become people (`change_settings` keeps
        them in the library, for the command line and the window alike)."""
        return GroupingSettings(self.cluster_threshold, self.settings.min_faces, self.settings.min_face_size)

    def change_settings(self, **changes) -> GroupingSettings:
        """Keep new grouping settings (GroupingSettings' fields; None keeps a
        value). The threshold is the library's from then on, over any given
        to this run."""
        changes = grouping_changes(**changes)
        self._store(Batch(meta=changes))
        self.settings = replace(self.settings, cluster_threshold=None,
                                **{k: v for k, v in changes.items() if k != "cluster_threshold"})
        return self.grouping_settings()

    def sidecar_settings(self) -> SidecarSettings:
        return SidecarSettings(self.settings.sidecar_style, self.settings.write_sidecars)

    def change_sidecar_settings(self, style: str | None = None,
                                write_after_corrections: bool | None = None) -> SidecarSettings:
        """Keep how names are written into sidecars, for the window and the command line alike."""
        changes = sidecar_changes(style, write_after_corrections)
        self._store(Batch(meta=changes))
        self.settings = replace(self.settings, **changes)
        return self.sidecar_settings()

    def thumbnail_path(self, face_id: str) -> Path:
        return self.thumbnails.path(face_id)

    def count(self) -> int:
        """The number of faces in the library."""
        return self.store.count_faces()

    # -- removal ---------------------------------------------------------------

    def remove(self, face_id: str) -> None:
        """Remove one face. It stays removed when its photo is indexed again,
        unless the photo file changes."""
        face = self.get_face(face_id)
        batch = Batch()
        self._delete_faces([face_id], batch)
        for record in self.store.get_photos([face["image_id"]]):
            batch.photo_fields[record["id"]] = {
                "face_ids": [f for f in record.get("face_ids", []) if f != face_id],
                "removed_face_ids": record.get("removed_face_ids", []) + [face_id],
            }
        self._store(batch)

    def remove_image(self, image_id: str) -> None:
        """Remove a photo and all its faces from the library (the file stays)."""
        batch = Batch()
        self._delete_faces([f["id"] for f in self.store.iter_faces(image_id=image_id, fields=[])], batch)
        self._forget_photos(self.store.get_photos([image_id]), batch)
        self._store(batch)

    def clear(self) -> None:
        """Remove every face and photo record, and the thumbnails."""
        self.check_writable()
        self.store.clear()
        self._store(Batch(meta={"face_count": 0}))
        self.thumbnails.clear()
        self._catalog = None


# -- helpers -------------------------------------------------------------------


def _writable(folder: Path) -> bool:
    """Whether files can be made in `folder` (not a read-only drive, share or folder)."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def lower_thread_priority(niceness: int) -> None:
    """Make the calling thread yield the CPU to the rest (the window, the
    user's other programs): indexing is background work. Linux only (threads
    have their own nice value there); elsewhere a no-op."""
    if sys.platform.startswith("linux"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)
        except OSError:
            pass


def scan_folder(
    root: Path, recursive: bool = True, skip: Iterable[Path] = ()
) -> tuple[list[tuple[str, os.stat_result]], list[tuple[str, str]], int, set[str]]:
    """The photo files under `root` with their stat, the folders that could
    not be read with the reason, how many paths were left out as links to a
    file already listed, and the XMP files (sidecars) beside them. Hidden
    files and folders are left out, and so are the folders in `skip` (the
    library folder, should it lie inside; folders the user excluded).

    A file reached by several paths (symlinks, hard links) is listed once,
    by a path that is not a symlink where there is one."""
    files: list[tuple[str, os.stat_result]] = []
    xmp_files: set[str] = set()
    symlinks: set[str] = set()
    errors: list[tuple[str, str]] = []
    skipped = {str(folder.resolve()) for folder in skip}
    stack = [str(root)]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError as exc:
            errors.append((folder, _os_reason(exc)))
            continue
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    if recursive and entry.path not in skipped:
                        stack.append(entry.path)
                elif is_photo_path(entry.name) and entry.is_file():
                    files.append((entry.path, entry.stat()))
                    if entry.is_symlink():
                        symlinks.add(entry.path)
                elif entry.name.endswith(".xmp"):
                    xmp_files.add(entry.path)
            except OSError as exc:
                errors.append((entry.path, _os_reason(exc)))
    by_file: dict[tuple[int, int], tuple[str, os.stat_result]] = {}
    for path, st in sorted(files, key=lambda f: (f[0] in symlinks, f[0])):
        by_file.setdefault((st.st_dev, st.st_ino), (path, st))
    return sorted(by_file.values()), errors, len(files) - len(by_file), xmp_files


def _bounded_map(pool, fn, items, lookahead: int, cancel: threading.Event | None):
    """pool.map, in order, with at most `lookahead` items in flight, and
    stopping early (after the items in flight) when `cancel` is set."""
    items = iter(items)
    in_flight = []
    for item in items:
        if cancel is not None and cancel.is_set():
            break
        in_flight.append(pool.submit(fn, item))
        if len(in_flight) >= lookahead:
            yield in_flight.pop(0).result()
    for future in in_flight:
        yield future.result()


def _source_of(image: ImageInput) -> str | None:
    if isinstance(image, (str, os.PathLike)):
        return str(Path(image).expanduser().resolve())
    return None


def _content_hash(image: ImageInput) -> str:
    if isinstance(image, np.ndarray):
        return hashlib.sha1(np.ascontiguousarray(image).tobytes()).hexdigest()
    if isinstance(image, (bytes, bytearray, memoryview)):
        return hashlib.sha1(image).hexdigest()
    return hashlib.sha1(image.tobytes()).hexdigest()


def _version(st: os.stat_result) -> dict:
    """What tells a file's content changed (size, times), and which file it
    is whatever path leads to it (`file_key`: device and inode)."""
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "ctime_ns": st.st_ctime_ns,
            "file_key": f"{st.st_dev}:{st.st_ino}"}


def _version_key(version: dict) -> str:
    """The part of a face id that changes when its photo file changes."""
    return f"{version['size']}:{version['mtime_ns']}" if version else ""


def _move_key(version: dict) -> tuple:
    return (version.get("size"), version.get("mtime_ns"))


def _same_content(old: dict | None, new: dict) -> bool:
    """Whether two versions of a file have the same content (size and mtime)."""
    return old is not None and _move_key(old) == _move_key(new)


def _same(record: dict, version: dict[str, int]) -> bool:
    """Whether a file is as it was when indexed. A file that failed is retried
    when its ctime changed too (say after a chmod that made it readable)."""
    old = record.get("version") or {}
    keys = ("size", "mtime_ns") if record.get("status") == "done" else ("size", "mtime_ns", "ctime_ns")
    return all(old.get(k) == version.get(k) for k in keys)


def _photo_fields(a: _Analysis) -> dict:
    """Where the photo is: `folders` lists every folder above it, so that one
    filter finds the photos under any folder."""
    folder = Path(a.path).parent if a.path else None
    return {
        "path": a.path,
        "folder": str(folder) if folder else None,
        "folders": [str(folder), *map(str, folder.parents)] if folder else [],
        "version": a.version,
    }


def _date_fields(taken: tuple[str, str] | None) -> dict:
    """A photo record's `taken` (ISO 8601) and `taken_from` ('exif',
    'digitized' or 'file'); none for an image that is not a file."""
    return {"taken": taken[0], "taken_from": taken[1]} if taken else {}


def _face_payload(face_id: str, a: _Analysis, face: DetectedFace, now: str) -> dict:
    return {
        "face_id": face_id,
        "image_id": a.image_id,
        "path": a.path,
        "bbox": [round(v, 1) for v in face.bbox],
        "landmarks": np.round(face.landmarks.astype(np.float64), 1).tolist(),
        "det_score": round(face.det_score, 4),
        "embedding_norm": round(face.embedding_norm, 3),
        "image_size": [a.width, a.height],
        "cluster_id": None,
        "cluster_confidence": None,
        "indexed_at": now,
    }


_FACE_DEFAULTS = {"cluster_id": None, "cluster_confidence": None, "pinned": False,
                  "rejected_clusters": [], "not_a_face": False}


def _face_dict(payload: dict) -> dict:
    """A face's payload with every field present (the store drops null values)."""
    return {**_FACE_DEFAULTS, **payload}


def _outcome(a: _Analysis) -> PhotoOutcome:
    return PhotoOutcome(a.path, a.image_id, [fid for fid, _ in a.faces], a.found, a.error)


def _scaled(box: tuple[float, ...], photo: Photo) -> tuple[float, float, float, float]:
    s = photo.scale
    return tuple(v * s for v in box)  # type: ignore[return-value]


def _looks_like_id(value: str) -> bool:
    return len(value) == 36 and value.count("-") == 4 and not os.path.sep in value


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, FileNotFoundError):
        return "file not found (removed while indexing?)"
    return exc.strerror or str(exc)


def _under_unreadable(path: str, unreadable: list[tuple[str, str]]) -> bool:
    """A photo in a folder we could not read may still exist: keep its faces."""
    return any(path.startswith(folder + os.sep) or path == folder for folder, _ in unreadable)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
