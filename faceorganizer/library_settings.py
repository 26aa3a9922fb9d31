"""What a library keeps about itself in its store, over what it is opened
with: its grouping and sidecar settings (for the command line and the window
alike), the recogniser its faces were found with (vectors of two cannot be
compared), and its engine (`migrate` moves it to another). FaceLibrary's
methods of the same names hand over to these.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from faceorganizer.config import GroupingSettings, SidecarSettings, grouping_changes, sidecar_changes
from faceorganizer.errors import FaceOrganizerError, ModelLoadError
from faceorganizer.faces import file_digest, model_files
from faceorganizer.store import ENGINES, Batch, create_store, ensure_free
from faceorganizer.store.migrate import MigrationReport
from faceorganizer.store.migrate import migrate as migrate_store

if TYPE_CHECKING:
    from faceorganizer.faces import FaceAnalyzer
    from faceorganizer.library import FaceLibrary

#: The settings a library keeps in its store, over those it is opened with.
KEPT_SETTINGS = ("min_faces", "min_face_size", "sidecar_style", "write_sidecars")


def change_settings(library: FaceLibrary, **changes) -> GroupingSettings:
    """Keep new grouping settings (GroupingSettings' fields; None keeps a
    value). The threshold is the library's from then on, over any given
    to this run."""
    changes = grouping_changes(**changes)
    library._store(Batch(meta=changes))
    library.settings = replace(library.settings, cluster_threshold=None,
                               **{k: v for k, v in changes.items() if k != "cluster_threshold"})
    return library.grouping_settings()


def change_sidecar_settings(library: FaceLibrary, style: str | None = None,
                            write_after_corrections: bool | None = None) -> SidecarSettings:
    """Keep how names are written into sidecars, for the window and the command line alike."""
    changes = sidecar_changes(style, write_after_corrections)
    library._store(Batch(meta=changes))
    library.settings = replace(library.settings, **changes)
    return library.sidecar_settings()


def check_recognizer(library: FaceLibrary, name: str, digest: str | None = None, detector: str | None = None) -> None:
    """Vectors of two recognisers cannot be compared: a library keeps one,
    known by its file's digest (see faces.file_digest) where both are known,
    else by its file name. `faceorganizer models use` switches it. The
    detector that found its first faces is recorded too (any finds faces
    the recogniser can compare)."""
    _refuse_other_recognizer(library, name, digest)
    recorded = {"recognizer": name, **({"recognizer_digest": digest} if digest else {}),
                **({"detector": detector} if detector and "detector" not in library._meta else {})}
    # Written with the first photos analysed: a write of its own would hold
    # up the start of indexing by a flush of the store.
    library._unwritten_meta.update({k: v for k, v in recorded.items() if library._meta.get(k) != v})


def refuse_other_models(library: FaceLibrary, analyzer: FaceAnalyzer | None) -> None:
    """At open: models given to this run (an analyzer, or --models) whose
    recogniser is not the library's are refused at once, not at the first
    photo analysed. Models that cannot be found are said when first needed."""
    if analyzer is not None:
        _refuse_other_recognizer(library, analyzer.model_names[1], analyzer.recognizer_digest)
    elif library.settings.model_dir:
        try:
            recognizer = model_files(library.settings.model_dir)[1]
        except ModelLoadError:
            return
        _refuse_other_recognizer(library, recognizer.name, file_digest(recognizer))


def _refuse_other_recognizer(library: FaceLibrary, name: str, digest: str | None) -> None:
    used, used_digest = library._meta.get("recognizer"), library._meta.get("recognizer_digest")
    same = used_digest == digest if used_digest and digest else used == name
    if used is not None and not same and library.store.count_faces():
        raise FaceOrganizerError(
            f"The faces in {library.folder} were found with the model {_named(used, used_digest)}, "
            f"not {_named(name, digest)}: "
            "their vectors cannot be compared. Use the library's own models (`faceorganizer models` "
            "names them), switch the library to these with `faceorganizer models use DIR`, or use another library."
        )


def _named(model: str, digest: str | None) -> str:
    return f"{model} (digest {digest})" if digest else model


def migrate(library: FaceLibrary, engine: str, on_progress: Callable[[int, int], None] | None = None
            ) -> MigrationReport:
    """Move the library's store to another engine (see store.migrate),
    after checking there is room for a copy; the library is closed after."""
    library.check_writable()
    if library.store.engine == "server":
        raise FaceOrganizerError("A library on a Qdrant server stays there; migrate moves embedded libraries.")
    ensure_free(library.folder, library.store.reserve + 8 * 2**10 * library.store.count_faces())
    library.sync()
    try:
        return migrate_store(library.folder, library.store, engine,
                             lambda path: create_store(path, engine, library.store.dim),
                             lambda name: ENGINES[name], on_progress)
    finally:
        library.close()
