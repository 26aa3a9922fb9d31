"""The library's names in XMP face regions, both ways (see faceorganizer.xmp).

Writing: `write_sidecars` puts every named face of the library (or of one
person) into the sidecar beside its photo, as a region with the face's box on
the upright photo, and the names into the sidecar's keywords.

Reading, while a folder is indexed: `faces_in_regions` (on the worker thread
that analyses a photo) keeps a detected face that a named region points at
even when it is too small or unsure for the library's filter, and looks for a
face inside a named region the detector missed, in an enlarged crop;
`name_faces_from_regions` (after the photos are written and grouped) names
the people of the faces that regions name, through the corrections a user
would make (rename, merge, reassign), so they are in the corrections log,
undoable, and survive re-clustering. A name the library has already joins
that person. A face the user placed, or in a person the user confirmed,
keeps its person.
"""

from __future__ import annotations

import logging
import os
from collections import defaultdict
from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from faceorganizer.drawn import MATCH_IOU, find_face_in_box, overlap
from faceorganizer.errors import FaceOrganizerError
from faceorganizer.faces import Candidate, FaceAnalyzer
from faceorganizer.humanize import count
from faceorganizer.images import Photo
from faceorganizer.people import ChangeSet
from faceorganizer.store.base import stable_id
from faceorganizer.xmp import Region, SidecarError, read_regions, sidecar_path, update_sidecar

if TYPE_CHECKING:
    from faceorganizer.library import FaceLibrary

log = logging.getLogger(__name__)

@dataclass
class SidecarReport:
    """What `write_sidecars` did: sidecars made and updated, the named faces
    they hold, and the photos whose sidecar could not be written, with why."""

    created: int = 0
    updated: int = 0
    faces: int = 0
    people: set[str] = field(default_factory=set)
    failed: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        """In the status bar's words: "Wrote 212 sidecars for 35 named people"."""
        written = self.created + self.updated
        people = len(self.people)
        if not people:
            return "No face has a name yet: name people before writing their names to the photos."
        said = f"Wrote {count(written, 'sidecar')} for {people:,} named {'person' if people == 1 else 'people'}"
        if self.failed:
            said += f"; {count(len(self.failed), 'photo')} could not have one"
        return said


def write_sidecars(
    library: FaceLibrary,
    folders: Iterable[str | os.PathLike] = (),
    *,
    person: int | None = None,
    people: Iterable[int] | None = None,
    photos: Iterable[str] | None = None,
    style: str = "digikam",
    on_progress: Callable[[int, int], None] | None = None,
) -> SidecarReport:
    """Write the named faces of the photos under `folders` (all photos when
    none), of one `person` or of `people`, or of the `photos` given (paths),
    into the photos' XMP sidecars (`style`: "digikam" for `photo.jpg.xmp`,
    "lightroom" for `photo.xmp`).

    Raises FaceOrganizerError when a person chosen has no name."""
    sidecar_path("photo.jpg", style)  # an unknown style fails before any work
    if person is not None:
        people = [person]
    if photos is not None:
        faces = _named_faces_in(library, photos)
    else:
        if people is not None:
            chosen = [library.get_person(cluster_id) for cluster_id in people]
            if unnamed := [str(p.cluster_id) for p in chosen if not p.name]:
                raise FaceOrganizerError(f"Person {', '.join(unnamed)} has no name: name them before writing "
                                         "their name to the photos.")
        else:
            chosen = [p for p in library.people(include_hidden=True) if p.name]
        faces = ((someone.name, face) for someone in chosen for face in library.iter_faces(someone.cluster_id))
    roots = [str(Path(f).expanduser().resolve()) for f in folders]
    by_photo: dict[str, tuple[tuple[int, int], list[Region]]] = {}
    report = SidecarReport()
    for name, face in faces:
        path, size = face.get("path"), face.get("image_size")
        if not path or not size or not all(size) or face.get("not_a_face"):
            continue
        if roots and not any(path == r or path.startswith(r.rstrip(os.sep) + os.sep) for r in roots):
            continue
        width, height = size
        by_photo.setdefault(path, ((width, height), []))[1].append(Region.of_box(name, face["bbox"], width, height))
        report.people.add(name)
    shared = defaultdict(list)
    for path in by_photo:
        shared[sidecar_path(path, style)].append(path)
    total = len(by_photo)
    if on_progress:
        on_progress(0, total)
    for done, (path, (size, regions)) in enumerate(sorted(by_photo.items()), 1):
        sidecar = sidecar_path(path, style)
        if len(shared[sidecar]) > 1:
            others = ", ".join(Path(p).name for p in shared[sidecar] if p != path)
            report.failed.append((path, f"its sidecar {sidecar.name} would also be that of {others}; "
                                        "use the digikam style (photo.jpg.xmp)"))
        elif not os.path.isfile(path):
            report.failed.append((path, "the photo is no longer there"))
        else:
            try:
                created = update_sidecar(sidecar, regions, size, style)
            except SidecarError as exc:
                report.failed.append((path, str(exc)))
            except OSError as exc:
                report.failed.append((path, f"cannot write {sidecar}: {exc.strerror or exc}"))
            else:
                report.created += created
                report.updated += not created
                report.faces += len(regions)
        if on_progress:
            on_progress(done, total)
    return report


def touched_photos(library: FaceLibrary, change: ChangeSet) -> list[str]:
    """The photos whose named faces `change` changed: the photos of the faces
    it moved, and every photo of the people whose name it changed."""
    face_ids = set(change.faces_after) | set(change.faces_before)
    for cluster_id, after in change.people_after.items():
        before = change.people_before.get(cluster_id)
        if (before and before.name) != (after and after.name) and after is not None:
            face_ids.update(library.faces_of(cluster_id))
    return sorted({path for path in library.paths_of(sorted(face_ids)).values() if path})


def sidecar_versions(photo: str, present: Container[str] | None = None) -> list[list[int] | None]:
    """The size and modification time of each sidecar a photo may have
    (digiKam's, Lightroom's; None: no such file), which tell that another
    tool changed its regions. `present`: the XMP files there are (a folder's
    listing), so that a rescan does not look for every photo's sidecars."""
    versions: list[list[int] | None] = []
    # (sidecar_path's names, without pathlib: a rescan checks every photo)
    for sidecar in (photo + ".xmp", os.path.splitext(photo)[0] + ".xmp"):
        try:
            st = os.stat(sidecar) if present is None or sidecar in present else None
        except OSError:
            st = None
        versions.append(st and [st.st_size, st.st_mtime_ns])
    return versions


def _named_faces_in(library: FaceLibrary, photos: Iterable[str]) -> Iterable[tuple[str, dict]]:
    """(name, face) for every face of a named person in the photos at these paths."""
    names = {p.cluster_id: p.name for p in library.people(include_hidden=True) if p.name}
    for path in photos:
        for face in library.faces_in_photo(stable_id("path", path)):
            if face["cluster_id"] in names:
                yield names[face["cluster_id"]], face


def faces_in_regions(
    analyzer: FaceAnalyzer,
    photo: Photo,
    path: str | None,
    detected: Sequence[Candidate],
    kept: Sequence[tuple[int, Candidate]],
) -> list[tuple[int, Candidate]]:
    """The faces that named regions of the photo at `path` add to the ones
    kept of `detected`: a detected face a region points at, and, where the
    detector found none, the face it finds in the region alone (numbered after
    the detected ones). A region with no face even there is left out."""
    regions = read_regions(path) if path else []
    if not regions:
        return []
    taken = {i for i, _ in kept}
    added: list[tuple[int, Candidate]] = []
    for region in regions:
        box = region.box(photo.width, photo.height)
        scores = [overlap(box, c.bbox) for c in detected]
        best = int(np.argmax(scores)) if scores else -1
        if best >= 0 and scores[best] >= MATCH_IOU:
            if best not in taken:
                added.append((best, detected[best]))
                taken.add(best)
            continue
        found = find_face_in_box(analyzer, photo, box)
        if found is None:
            log.info("no face found in the region '%s' of %s", region.name, path)
        else:
            added.append((len(detected) + len(added), found))
    return added


def name_faces_from_regions(library: FaceLibrary, face_ids: Sequence[str]) -> int:
    """Name the people of the faces (just indexed) that named regions of their
    photos point at; returns how many faces were named."""
    by_path: dict[str, list[str]] = defaultdict(list)
    for face_id, path in library.paths_of(face_ids).items():
        if path:
            by_path[path].append(face_id)
    named: dict[str, tuple[str, list[str]]] = {}
    held = None  # faces the user's corrections hold, read once the first region is found
    for path, ids in by_path.items():
        regions = read_regions(path)
        if not regions:
            continue
        faces = [library.get_face(face_id) for face_id in ids]
        held = library.catalog.held() if held is None else held
        for region, face in _pairs(regions, faces):
            if not held[library.catalog.row[face["id"]]]:
                named.setdefault(region.name.casefold(), (region.name, []))[1].append(face["id"])
    for name, ids in named.values():
        others = {f for key, (_, fs) in named.items() if key != name.casefold() for f in fs}
        _give_name(library, name, ids, others)
    return sum(len(ids) for _, ids in named.values())


def _pairs(regions: Sequence[Region], faces: Sequence[dict]) -> list[tuple[Region, dict]]:
    """Regions and faces of one photo that are the same face, each used once,
    the best overlapping first."""
    scored = []
    for i, region in enumerate(regions):
        for j, face in enumerate(faces):
            width, height = face["image_size"]
            score = overlap(region.box(width, height), face["bbox"])
            if score >= MATCH_IOU:
                scored.append((score, i, j))
    pairs, used_regions, used_faces = [], set(), set()
    for _, i, j in sorted(scored, reverse=True):
        if i not in used_regions and j not in used_faces:
            pairs.append((regions[i], faces[j]))
            used_regions.add(i)
            used_faces.add(j)
    return pairs


def _give_name(library: FaceLibrary, name: str, face_ids: list[str], named_otherwise: set[str]) -> None:
    """Make `face_ids` faces of the person called `name`: the person who has
    the name already, else the unnamed person holding most of them (named),
    else a new person. Other unnamed people holding some of them are merged
    into it, unless they also hold faces that regions give another name."""
    groups: dict[int | None, list[str]] = defaultdict(list)
    for face_id in face_ids:
        groups[library.get_face(face_id)["cluster_id"]].append(face_id)
    target = next((p.cluster_id for p in library.people(include_hidden=True)
                   if p.name and p.name.casefold() == name.casefold()), None)

    def only_this_name(cluster_id: int | None) -> bool:
        return (cluster_id is not None and not library.get_person(cluster_id).name
                and not named_otherwise.intersection(library.faces_of(cluster_id)))

    if target is None:
        unnamed = [c for c in groups if only_this_name(c)]
        if unnamed:
            target = max(unnamed, key=lambda c: len(groups[c]))
            library.rename(target, name)
    for cluster_id, ids in groups.items():
        if target is not None and cluster_id == target:
            continue
        if target is not None and only_this_name(cluster_id):
            library.merge_clusters([target, cluster_id], target=target)
        else:
            moved_to = library.reassign_faces(ids, target).result
            if target is None:
                target = moved_to
                library.rename(target, name)
