"""Switching the recognition models of a library without losing its people:
every face is embedded again with the new models, and the library takes the
new vectors all at once.

Each photo is read again and analysed with the new models. A new detection
whose box matches an old face's (IoU >= 0.5) gives that face its new box and
vector, under its own id: it keeps its person, name, corrections, refusals
and hidden or ignored state, which all hang on face ids. Drawn faces are
embedded again at their box. An old face no new detection matches is
embedded at its old box and landmarks too, and listed: a face the user named
is never dropped because a detector no longer sees it. Faces the new models
find in addition are new faces, and join people as faces do when indexing
(a face the user removed is among them if the new models find it: the
library keeps no box of a removed face).

The library never compares vectors of two models. Until the switch
completes it keeps working on the old vectors (browsing, corrections,
indexing); the new ones wait in the staging area (faceorganizer.model_staging),
which a later run resumes from. A face whose photo cannot be read (a drive
unplugged, a file gone bad) is embedded from its thumbnail, which shows the
face larger than the recogniser's input; a face with neither is listed, and
the switch does not complete until its photo is back or forgotten. The swap
is one journaled batch: every face's new vector with its fields as they are
then (so corrections made meanwhile hold), the people's new mean vectors and
the models the library records (names, the recogniser's digest, the folder);
the vector cache is emptied first, so that no old vector is read after it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from faceorganizer.analysis import PhotoAnalysis
from faceorganizer.drawn import MATCH_IOU, face_on_box, overlap
from faceorganizer.errors import ImageLoadError
from faceorganizer.faces import Candidate, DetectedFace, FaceAnalyzer
from faceorganizer.images import Photo, load_photo
from faceorganizer.threads import bounded_map, lower_thread_priority
from faceorganizer.model_staging import (
    AT_OLD_BOX,
    DRAWN,
    FROM_THUMBNAIL,
    MATCHED,
    NEW,
    ModelChoice,
    StagedFace,
    StagedPhoto,
    Staging,
)
from faceorganizer.people import FaceCatalog
from faceorganizer.photo_writes import face_payload
from faceorganizer.scanning import os_reason, version_key
from faceorganizer.small_faces import SHARP_ENOUGH
from faceorganizer.store import Batch, stable_id
from faceorganizer.thumbs import THUMB_SIZE, thumbnail_square
from faceorganizer.xmp import iou

if TYPE_CHECKING:
    from faceorganizer.library import FaceLibrary

#: A new detection and an old face whose boxes overlap this much (IoU) are one face.
SAME_FACE_IOU = 0.5
#: The face fields the analysis of a photo needs.
_FACE_FIELDS = ["image_id", "path", "bbox", "landmarks", "det_score", "image_size", "drawn"]


@dataclass
class ModelsInUse:
    """The models a library's vectors are of, how many faces it has, and
    the switch under way (`pending`: its models and the faces staged)."""

    models: ModelChoice
    faces: int
    pending: ModelChoice | None = None
    staged: int = 0


@dataclass
class SwitchReport:
    """What `switch_models` did. `listed`: (photo, person, how) of each face
    embedded otherwise than at a matching detection (drawn faces aside), and of
    each face that could not be embedded ("not embedded: REASON")."""

    models: ModelChoice
    photos: int = 0
    faces: int = 0
    matched: int = 0
    new: int = 0
    listed: list[tuple[str, str, str]] = field(default_factory=list)
    completed: bool = False
    already: bool = False
    cancelled: bool = False

    def summary(self) -> str:
        """The outcome in a sentence (without its full stop, for a caller to add how long it took)."""
        if self.already:
            return f"The library uses these models already: {self.models.describe()}"
        if self.cancelled:
            return "Stopped: run it again to go on from where it stopped"
        if not self.completed:
            return ("Not switched: some faces could not be embedded (listed). Connect the drive or folder "
                    "holding their photos, or remove those photos from the library, and run it again")
        return (f"Switched to {self.models.describe()}: {self.faces:,} faces embedded again, "
                f"{self.matched:,} found again by the new models and {self.new:,} new")


def recorded_models(library: FaceLibrary) -> ModelChoice:
    """The models the library's vectors are of, as it records them (a
    library indexed before digests were kept has only its recogniser's name)."""
    meta = {**library._meta, **library._unwritten_meta}
    return ModelChoice(meta.get("detector"), meta.get("recognizer"), meta.get("recognizer_digest"),
                       meta.get("model_dir"))


def models_in_use(library: FaceLibrary) -> ModelsInUse:
    """What `faceorganizer models` shows."""
    staging = Staging(library.folder)
    used = ModelsInUse(recorded_models(library), library.count(), staging.target())
    if used.pending is not None:
        used.staged = sum(len(p.faces) for p in staging.photos().values())
    return used


def models_in_words(library: FaceLibrary) -> str:
    """The models of the library's vectors, and a switch under way, as the window says them."""
    text = f"Its faces are described by {recorded_models(library).describe()}."
    pending = Staging(library.folder).target()
    if pending is not None:
        text += f" A switch to {pending.describe()} is under way: choose that folder again to finish it."
    return text


def switch_models(library: FaceLibrary, model_dir: str | Path | None,
                  on_progress: Callable[[int, int], None] | None = None, *,
                  cancel: threading.Event | None = None) -> SwitchReport:
    """Embed every face again with the models in `model_dir` (None: the
    bundled ones) and switch the library to them (see the module docstring);
    a run stopped by `cancel` or a kill goes on where it stopped when run again."""
    library.check_writable()
    folder = str(Path(model_dir).expanduser().resolve()) if model_dir else None
    analyzer = FaceAnalyzer(folder, det_size=library.settings.det_size)
    target = ModelChoice(analyzer.model_names[0], analyzer.model_names[1],
                         analyzer.recognizer_digest, folder)
    staging = Staging(library.folder)
    used = recorded_models(library)
    report = SwitchReport(target)
    if (used.digest, used.detector) == (target.digest, target.detector):
        staging.remove()  # a switch that completed but for this
        report.already = report.completed = True
        if used.folder != target.folder:
            library._store(Batch(meta={"model_dir": folder}))
            library.settings = replace(library.settings, model_dir=folder)
        return report
    if staging.target() != target:
        staging.start(target)
    stuck: set[str] = set()  # photos of faces that could not be embedded this run
    while todo := [job for job in _photos_to_analyse(library, staging.photos()) if job[0]["id"] not in stuck]:
        # A second round takes the faces gained meanwhile (a rescan, a face drawn in the window).
        report.photos += len(todo)
        for photo in _analyse_all(library, analyzer, target, todo, on_progress, cancel):
            staging.append(photo)
            if photo.missing:
                stuck.add(photo.image_id)
        if cancel is not None and cancel.is_set():
            report.cancelled = True
            return report
    staged = staging.photos()
    faces = {f.face_id: f for photo in staged.values() for f in photo.faces}
    report.matched = sum(f.how == MATCHED for f in faces.values())
    report.new = sum(f.how == NEW for f in faces.values())
    report.listed = _listed(library, staged)
    if _photos_to_analyse(library, staged):
        return report
    _swap(library, analyzer, target, staged, faces)
    staging.remove()
    report.faces, report.completed = library.count(), True
    return report


def _analyse_all(library: FaceLibrary, analyzer: FaceAnalyzer, target: ModelChoice,
                 todo: list[tuple[dict, list[dict]]], on_progress: Callable[[int, int], None] | None,
                 cancel: threading.Event | None) -> Iterator[StagedPhoto]:
    """Each photo of `todo` analysed with the new models, in order, on a
    pool of workers; stops early (after the photos in flight) when `cancel` is set."""
    if on_progress:
        on_progress(0, len(todo))
    workers = max(1, library.settings.workers)
    with ThreadPoolExecutor(workers, thread_name_prefix="faceorganizer-switch",
                            initializer=lower_thread_priority, initargs=(10,)) as pool:
        jobs = bounded_map(pool, lambda job: _analyse(library, analyzer, target, *job), todo, 4 * workers, cancel)
        for done, photo in enumerate(jobs, 1):
            yield photo
            if on_progress:
                on_progress(done, len(todo))


def _photos_to_analyse(library: FaceLibrary, staged: dict[str, StagedPhoto]) -> list[tuple[dict, list[dict]]]:
    """(photo record, its faces) of each photo whose faces are not all
    staged: not analysed yet, or since gaining faces, or not wholly embedded."""
    by_photo: dict[str, list[dict]] = {}
    for face in library.store.iter_faces(fields=_FACE_FIELDS):
        by_photo.setdefault(face["image_id"], []).append(face)
    todo = []
    records = {r["id"]: r for r in library.store.get_photos(list(by_photo))}
    for image_id, faces in by_photo.items():
        photo = staged.get(image_id)
        if photo is None or photo.missing or not {f["id"] for f in faces} <= {f.face_id for f in photo.faces}:
            record = records.get(image_id) or {"id": image_id, "path": faces[0].get("path")}
            todo.append((record, faces))
    return todo


def _analyse(library: FaceLibrary, analyzer: FaceAnalyzer, target: ModelChoice,
             record: dict, faces: list[dict]) -> StagedPhoto:
    """One photo's faces embedded with the new models (on a worker thread;
    touches no store)."""
    staged = StagedPhoto(record["id"], record.get("path"))
    try:
        if not staged.path:
            raise ImageLoadError("<image>", "it is not a file")
        photo = load_photo(staged.path, max_side=library.settings.decode_size)
    except ImageLoadError as exc:
        staged.error = exc.reason
        return _from_thumbnails(library, analyzer, staged, faces)
    except OSError as exc:  # a drive failing as it is read
        staged.error = os_reason(exc)
        return _from_thumbnails(library, analyzer, staged, faces)
    try:
        staged.faces = _faces_found_again(library, analyzer, target, record, photo, faces)
    except Exception as exc:  # onnxruntime and OpenCV raise untyped errors
        staged.error = f"face analysis failed ({exc})"
        return _from_thumbnails(library, analyzer, staged, faces)
    return staged


def _faces_found_again(library: FaceLibrary, analyzer: FaceAnalyzer, target: ModelChoice, record: dict,
                       photo: Photo, faces: list[dict]) -> list[StagedFace]:
    """The photo's old faces, each at the new detection that matches it (else
    at its old box), and the faces new to the models, embedded."""
    settings = library.settings
    found = [c for c in analyzer.detect(photo)
             if c.size >= settings.min_face_size and c.det_score >= settings.min_det_score]
    pairs = sorted(((iou(face["bbox"], c.bbox), i, j) for i, face in enumerate(faces) if not face.get("drawn")
                    for j, c in enumerate(found)), reverse=True)
    matches: dict[int, int] = {}
    for score, i, j in pairs:
        if score >= SAME_FACE_IOU and i not in matches and j not in matches.values():
            matches[i] = j
    candidates = [found[matches[i]] if i in matches else _at_old_box(face) for i, face in enumerate(faces)]
    hows = [MATCHED if i in matches else DRAWN if face.get("drawn") else AT_OLD_BOX for i, face in enumerate(faces)]
    ids = [face["id"] for face in faces]
    key = version_key(record.get("version") or {})
    for j, c in enumerate(found):
        if j not in matches.values() and all(overlap(c.bbox, face["bbox"]) < MATCH_IOU for face in faces):
            candidates.append(c)
            hows.append(NEW)
            ids.append(stable_id(record["id"], key, "models", target.digest, j))
            library.thumbnails.write(ids[-1], photo.pixels, tuple(v * photo.scale for v in c.bbox))
    embedded = _embed(analyzer, record["path"], photo, candidates)
    return [_staged(face_id, face, how) for face_id, face, how in zip(ids, embedded, hows)]


def _embed(analyzer: FaceAnalyzer, path: str, photo: Photo, candidates: list[Candidate]) -> list[DetectedFace]:
    """The faces embedded, those small in this reduced decode from the photo
    at full size (as indexing embeds the small faces of its closer look)."""
    small = [k for k, c in enumerate(candidates) if photo.scale < 1 and c.size * photo.scale < SHARP_ENOUGH]
    large = [k for k in range(len(candidates)) if k not in small]
    embedded = dict(zip(large, analyzer.embed(photo, [candidates[k] for k in large])))
    if small:
        sharp = load_photo(path, max_side=max(photo.width, photo.height))
        embedded.update(zip(small, analyzer.embed(sharp, [candidates[k] for k in small])))
    return [embedded[k] for k in range(len(candidates))]


def _at_old_box(face: dict) -> Candidate:
    """An old face where it was found (aligned on its box alone when it came without landmarks)."""
    landmarks = np.asarray(face.get("landmarks") or np.zeros((5, 2)), dtype=np.float32)
    if not landmarks.any():
        return face_on_box(face["bbox"])
    return Candidate(tuple(face["bbox"]), float(face.get("det_score") or 0.0), landmarks)


def _from_thumbnails(library: FaceLibrary, analyzer: FaceAnalyzer, staged: StagedPhoto,
                     faces: list[dict]) -> StagedPhoto:
    """The faces of a photo that cannot be read, embedded from their
    thumbnails (the face at 128 px, more than the recogniser's 112); those
    without one are `missing`."""
    for face in faces:
        try:
            with Image.open(library.thumbnails.path(face["id"])) as image:
                pixels = np.asarray(image.convert("RGB"))
        except OSError:
            staged.missing.append(face["id"])
            continue
        width, height = face.get("image_size") or (np.inf, np.inf)
        old = _at_old_box(face)
        left, top, side = thumbnail_square(old.bbox, width, height)
        zoom = THUMB_SIZE / side
        candidate = Candidate(old.bbox, old.det_score, (old.landmarks - [left, top]) * zoom)
        [embedded] = analyzer.embed(Photo(pixels, THUMB_SIZE, THUMB_SIZE), [candidate])
        staged.faces.append(_staged(face["id"], replace(embedded, landmarks=old.landmarks), FROM_THUMBNAIL))
    return staged


def _staged(face_id: str, face: DetectedFace, how: str) -> StagedFace:
    return StagedFace(face_id, face.embedding, [float(v) for v in face.bbox],
                      np.round(face.landmarks.astype(np.float64), 1).tolist(), face.det_score,
                      face.embedding_norm, how)


def _listed(library: FaceLibrary, staged: dict[str, StagedPhoto]) -> list[tuple[str, str, str]]:
    """(photo, person, how) of the faces no new detection matched, and of
    those that could not be embedded."""
    catalog = library.catalog

    def person(face_id: str) -> str:
        cluster = catalog.state(face_id).cluster_id if face_id in catalog.row else None
        return "no person" if cluster is None else library._names([cluster])

    listed = []
    for photo in staged.values():
        path = photo.path or photo.image_id
        listed += [(path, person(f.face_id), f.how) for f in photo.faces if f.how in (AT_OLD_BOX, FROM_THUMBNAIL)]
        listed += [(path, person(face_id), f"not embedded: {photo.error}") for face_id in photo.missing]
    return sorted(listed)


def _swap(library: FaceLibrary, analyzer: FaceAnalyzer, target: ModelChoice,
          staged: dict[str, StagedPhoto], faces: dict[str, StagedFace]) -> None:
    """Give every face its new vector, add the faces new to the models and
    record the models, in one batch (see the module docstring)."""
    catalog = library.catalog
    ids, fields = catalog.fields()
    swapped = FaceCatalog(catalog.dim)
    swapped.load(ids, np.array([faces[f].vector for f in ids], np.float32).reshape(-1, catalog.dim), fields)
    swapped.people, swapped.highest_id = dict(catalog.people), catalog.highest_id
    batch = Batch(meta={"detector": target.detector, "recognizer": target.recognizer,
                        "recognizer_digest": target.digest, "model_dir": target.folder})
    for record in library.store.get_faces(ids):
        face_id = record.pop("id")
        batch.faces[face_id] = (faces[face_id].vector, {**record, **faces[face_id].fields()})
    library._catalog = swapped
    new = _new_faces(library, staged, batch)
    if new:
        people = library._people_of_new_faces(new)
        added = [(face_id, face.embedding, {**face_payload(face_id, a, face), **people[face_id]})
                 for a in new for face_id, face in a.faces]
        swapped.add([f for f, _, _ in added], np.stack([v for _, v, _ in added]), [p for _, _, p in added])
        batch.faces.update((face_id, (vector, payload)) for face_id, vector, payload in added)
    library._sync_people(set(swapped.cluster_ids()), batch)
    if new:
        library._group_unassigned([face_id for a in new for face_id, _ in a.faces], batch)
    library.vector_cache.rewrite([], np.zeros((0, catalog.dim), np.float32))
    try:
        library._store(batch)
    except BaseException:
        # Half applied, the store would hold vectors of both models: the
        # library closes, and opening it again completes the batch from its journal.
        library.close()
        raise
    library.sync()
    library._analyzer, library._models_checked = analyzer, True
    library.settings = replace(library.settings, model_dir=target.folder)


def _new_faces(library: FaceLibrary, staged: dict[str, StagedPhoto], batch: Batch) -> list[PhotoAnalysis]:
    """The faces new to the models, as analysed photos, their photos'
    records gaining them in `batch`."""
    found = {image_id: [f for f in photo.faces if f.how == NEW] for image_id, photo in staged.items()}
    records = library.store.get_photos([image_id for image_id, faces in found.items() if faces])
    analyses = []
    for record in records:
        new = found[record["id"]]
        analysis = PhotoAnalysis(record["id"], record.get("path"), record.get("version") or {},
                                 int(record.get("width") or 0), int(record.get("height") or 0))
        analysis.faces = [(f.face_id, DetectedFace(tuple(f.bbox), f.det_score, np.asarray(f.landmarks, np.float32),
                                                   f.vector, f.embedding_norm)) for f in new]
        analyses.append(analysis)
        face_ids = {*record.get("face_ids", []), *(f.face_id for f in new)}
        batch.photo_fields[record["id"]] = {"face_ids": sorted(face_ids)}
    return analyses
