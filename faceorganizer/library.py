"""FaceLibrary: the core's API. Index photos into the face store, find and
search faces, remove them.

FaceLibrary owns the store and its one write seam (`_store`), and hands its
operations to the modules that hold them: indexing (the pipeline, with
scanning, analysis and photo_writes under it), face_reads, folders,
forgetting, library_settings, model_switch, and the people and their
corrections (people_ops, whose operations it inherits).

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
import os
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from faceorganizer import face_reads
from faceorganizer.catalog_store import CatalogStore, new_generation
from faceorganizer.config import GroupingSettings, Settings, SidecarSettings, default_library_dir
from faceorganizer.corrections import CorrectionsLog
from faceorganizer.drawn import add_drawn_face
from faceorganizer.errors import LibraryDamagedError, ReadOnlyLibraryError
from faceorganizer.exclusions import exclude_folder, excluded_folders
from faceorganizer.face_reads import SearchResult
from faceorganizer.faces import FaceAnalyzer
from faceorganizer.folders import add_folders, photo_dates, remove_folder
from faceorganizer.forgetting import delete_faces, forget_photos, remove_face, remove_image
from faceorganizer.images import ImageInput, load_photo
from faceorganizer.indexing import IndexReport, Indexer, PhotoOutcome, ProgressCallback
from faceorganizer.library_settings import (KEPT_SETTINGS, change_settings, change_sidecar_settings, check_recognizer,
                                            migrate, refuse_other_models)
from faceorganizer.lock import LibraryLock
from faceorganizer.model_switch import ModelsInUse, SwitchReport, models_in_use, switch_models
from faceorganizer.naming import name_face
from faceorganizer.people import ChangeSet, FaceCatalog
from faceorganizer.people_ops import PeopleOperations
from faceorganizer.scanning import scan_folder
from faceorganizer.store import Batch, Journal, JournaledStore, open_store, read_only_copy
from faceorganizer.store.migrate import MigrationReport
from faceorganizer.store.vectors import VECTORS, VectorCache
from faceorganizer.thumbs import ThumbnailCache

__all__ = [
    "FaceLibrary", "IndexReport", "PhotoOutcome", "ProgressCallback", "SearchResult",
    "load_photo", "scan_folder",
]


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
            opened = self._resources.enter_context(closing(open_store(store_folder, engine=engine, url=qdrant_url)))
            self.journal = Journal(opened, store_folder, opened.reserve)
            self.journal.recover()
            self.store = JournaledStore(self.journal)  # each read first applies the writes committed
            self._resources.callback(self.sync)
            self._meta = self.store.meta()
            _check_faces_present(self)
            refuse_other_models(self, analyzer)
        except BaseException:
            self._resources.close()
            raise
        self.corrections = CorrectionsLog(self.store)
        self.settings = replace(self.settings, **{k: self._meta[k] for k in KEPT_SETTINGS if k in self._meta})
        self.thumbnails = ThumbnailCache(self.folder / "thumbnails")
        self.vector_cache = VectorCache(self.folder / VECTORS, self.store.dim, writable=not self.read_only)
        self.catalog_store = CatalogStore(self.store, self.folder, self.vector_cache, writable=not self.read_only)
        self._analyzer = analyzer
        self._analyzer_lock = threading.Lock()
        self._models_checked = False
        self._unwritten_meta: dict[str, Any] = {}
        #: Called with each batch once it is written (to keep copies in memory up to date).
        self.write_listeners: list[Callable[[Batch], None]] = []
        self._indexer = Indexer(self)

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

    def migrate(self, engine: str, on_progress: ProgressCallback | None = None) -> MigrationReport:
        """Move the library's store to another engine; the library is closed after (see library_settings)."""
        return migrate(self, engine, on_progress)

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
        """The face models given to this run, else the library's own, loaded on first use (0.2-0.5 s)."""
        with self._analyzer_lock:
            if self._analyzer is None:
                self._analyzer = FaceAnalyzer(
                    self.settings.model_dir or self._meta.get("model_dir"), det_size=self.settings.det_size
                )
            if not self._models_checked:
                detector, recognizer = self._analyzer.model_names
                check_recognizer(self, recognizer, self._analyzer.recognizer_digest, detector)
                self._models_checked = True
            return self._analyzer

    # -- indexing (faceorganizer.indexing, whose Indexer documents each in full) --

    def index(self, image: ImageInput) -> list[str]:
        """Index one photo, replacing what was known of it; return its face ids."""
        return self._indexer.index(image)

    def index_batch(self, images: Sequence[ImageInput], on_progress: ProgressCallback | None = None
                    ) -> list[list[str]]:
        """Index many photos; for each, its face ids ([] when it has none or could not be read)."""
        return self._indexer.index_batch(images, on_progress)

    def index_directory(self, path: str | os.PathLike, recursive: bool = True,
                        on_progress: ProgressCallback | None = None, *,
                        on_photo: Callable[[PhotoOutcome], None] | None = None,
                        cancel: threading.Event | None = None) -> IndexReport:
        """Index the photos in a folder, incrementally: unchanged files are skipped, moved ones keep their faces."""
        return self._indexer.index_directory(path, recursive, on_progress, on_photo=on_photo, cancel=cancel)

    def find_small_faces(self, on_progress: ProgressCallback | None = None, *,
                         cancel: threading.Event | None = None) -> IndexReport:
        """Look closer at every indexed photo not looked at so before, for the small faces first missed."""
        return self._indexer.find_small_faces(on_progress, cancel=cancel)

    def models_in_use(self) -> ModelsInUse:
        """The models of the library's vectors, and any switch under way (see faceorganizer.model_switch)."""
        return models_in_use(self)

    def switch_models(self, model_dir: str | os.PathLike | None, on_progress: ProgressCallback | None = None, *,
                      cancel: threading.Event | None = None) -> SwitchReport:
        """Embed every face again with other models, keeping people and corrections (see model_switch)."""
        return switch_models(self, model_dir, on_progress, cancel=cancel)

    def add_analysed_photo(self, path: str | os.PathLike, size: tuple[int, int], faces: Sequence[dict]) -> list[str]:
        """Store a photo analysed elsewhere (see the module docstring) as indexing
        stores its own, and let its faces join or form people; returns their face ids."""
        return self.add_analysed_photos([(path, size, faces)])[0]

    def add_analysed_photos(self, photos: Sequence[tuple[str | os.PathLike, tuple[int, int], Sequence[dict]]]
                            ) -> list[list[str]]:
        """`add_analysed_photo` for many photos, written as one batch."""
        return self._indexer.add_analysed_photos(photos)

    # -- corrections of one face (faceorganizer.drawn, faceorganizer.naming) ----

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

    # -- the store's writes ------------------------------------------------------

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

    def _forget_photos(self, records: Iterable[dict], batch: Batch) -> None:
        """Remove photo records and all their faces, in `batch` (see faceorganizer.forgetting)."""
        forget_photos(self, records, batch)

    def _delete_faces(self, face_ids: Iterable[str], batch: Batch) -> None:
        """Delete faces, from the people they were in too, in `batch`."""
        delete_faces(self, face_ids, batch)

    # -- queries (faceorganizer.face_reads) -------------------------------------

    def search(self, image_or_face_id: ImageInput, top_k: int = 10, threshold: float | None = None
               ) -> list[SearchResult]:
        """The faces most like a face of this library (left out), or a photo's largest face, best first."""
        return face_reads.search(self, image_or_face_id, top_k, threshold)

    def get_face(self, face_id: str) -> dict:
        """The face's payload, with its `id`."""
        return face_reads.get_face(self, face_id)

    def iter_faces(self, cluster_id: int | None = None, *, unassigned: bool = False) -> Iterator[dict]:
        """Every face's payload (of one person, or the unassigned ones)."""
        return face_reads.iter_faces(self, cluster_id, unassigned=unassigned)

    def faces_in_photo(self, image_id: str) -> list[dict]:
        """Every face of one photo."""
        return face_reads.faces_in_photo(self, image_id)

    def paths_of(self, face_ids: Sequence[str]) -> dict[str, str | None]:
        """The photo path of each face."""
        return face_reads.paths_of(self, face_ids)

    # -- folders -----------------------------------------------------------------

    def folders(self) -> list[str]:
        """The folders the user added to the library (indexed by a rescan)."""
        return list(self._meta.get("folders", []))

    def photo_dates(self, folder: str | os.PathLike | None = None) -> dict[str, tuple[str, str]]:
        """When each indexed photo (anywhere under `folder`, or all) was taken (see faceorganizer.folders)."""
        return photo_dates(self, folder)

    def add_folders(self, folders: Iterable[str | os.PathLike]) -> list[str]:
        return add_folders(self, folders)

    def remove_folder(self, folder: str | os.PathLike) -> int:
        """Stop indexing a folder and forget its photos' faces; returns how many faces were forgotten."""
        return remove_folder(self, folder)


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
        """Keep new grouping settings (GroupingSettings' fields; None keeps a value), over any given to this run."""
        return change_settings(self, **changes)

    def sidecar_settings(self) -> SidecarSettings:
        return SidecarSettings(self.settings.sidecar_style, self.settings.write_sidecars)

    def change_sidecar_settings(self, style: str | None = None,
                                write_after_corrections: bool | None = None) -> SidecarSettings:
        """Keep how names are written into sidecars, for the window and the command line alike."""
        return change_sidecar_settings(self, style, write_after_corrections)

    def thumbnail_path(self, face_id: str) -> Path:
        return self.thumbnails.path(face_id)

    def count(self) -> int:
        """The number of faces in the library."""
        return self.store.count_faces()

    # -- removal ---------------------------------------------------------------

    def remove(self, face_id: str) -> None:
        """Remove one face. It stays removed when its photo is indexed again,
        unless the photo file changes."""
        remove_face(self, face_id)

    def remove_image(self, image_id: str) -> None:
        """Remove a photo and all its faces from the library (the file stays)."""
        remove_image(self, image_id)

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


def _check_faces_present(library: FaceLibrary) -> None:
    """A cheap check at open: a store that lost most of its faces, or of
    its people, is damaged; it must not pass for an empty library."""
    written = int(library._meta.get("face_count") or 0)
    if written and library.store.count_faces() < written / 2:
        raise LibraryDamagedError(
            library.folder, f"{written:,} faces were written but its face store holds {library.store.count_faces():,}")
    counted = sum(int(p.get("face_count") or 0) for p in library.store.iter_people())
    assigned = library.store.count_faces(assigned=True)
    if counted and assigned < counted / 2:
        raise LibraryDamagedError(
            library.folder, f"its people have {counted:,} faces but its face store holds {assigned:,} of them")
    if assigned and counted < assigned / 2:
        raise LibraryDamagedError(
            library.folder, f"{assigned:,} faces belong to people but the people's records hold {counted:,}")
