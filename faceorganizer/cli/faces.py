"""The commands that list what the library holds: `faces`, `photos` (of
people or of a folder, newest first) and `search` (the faces most like the
face of a photo, or a face id)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from faceorganizer.cli.common import open_application, open_library, positive_count, print_json, similarity
from faceorganizer.humanize import count


def register(commands, common) -> dict:
    faces = commands.add_parser("faces", parents=[common], help="list the faces in the library")
    which = faces.add_mutually_exclusive_group()
    which.add_argument("--person", type=int, metavar="ID", help="only the faces of this person")
    which.add_argument("--unassigned", action="store_true", help="only faces of no person")
    faces.add_argument("--json", action="store_true", help="print JSON")

    photos = commands.add_parser(
        "photos", parents=[common], help="list the photos of people or of a folder, newest first",
        description="Several --person: the photos they are all in. A photo's date is its EXIF date, "
        "else its file's modification time (taken_from says which).",
    )
    photos.add_argument("--person", type=int, action="append", default=[], metavar="ID",
                        help="only photos with this person (repeat for photos with all of them)")
    photos.add_argument("--folder", type=Path, metavar="DIR", help="only photos in this folder or below it")
    photos.add_argument("--json", action="store_true", help="print JSON")

    search = commands.add_parser(
        "search", parents=[common], help="find the faces most like the face in a photo",
        description="IMAGE is a photo (its largest face is used) or a face id.",
    )
    search.add_argument("image", metavar="IMAGE")
    search.add_argument("--top-k", type=positive_count, default=10, metavar="K", help="at most K faces (default: 10)")
    search.add_argument("--threshold", type=similarity, metavar="T",
                        help="only faces at least this similar (cosine similarity, 0..1); default: "
                        "as similar as faces the grouping may join into one person")
    search.add_argument("--json", action="store_true", help="print JSON")
    return {"faces": _cmd_faces, "photos": _cmd_photos, "search": _cmd_search}


def _face_json(face: dict) -> dict:
    return {
        "face_id": face["id"],
        "path": face.get("path"),
        "bbox": face.get("bbox"),
        "cluster_id": face.get("cluster_id"),
        "det_score": face.get("det_score"),
    }


def _cmd_faces(args) -> int:
    from faceorganizer.protocol import ListFaceRecords

    with open_application(args) as app:
        faces = [_face_json(f) for f in app.execute(ListFaceRecords(args.person, args.unassigned))]
    faces.sort(key=lambda f: (f["path"] or "", f["bbox"] or []))
    if args.json:
        print_json(faces)
    else:
        for f in faces:
            person = "-" if f["cluster_id"] is None else f["cluster_id"]
            box = ",".join(f"{v:.0f}" for v in f["bbox"])
            print(f"{f['face_id']}  person {person:>5}  {f['det_score']:.2f}  [{box}]  {f['path']}")
        print(count(len(faces), "face"), file=sys.stderr)
    return 0


def _cmd_photos(args) -> int:
    from faceorganizer.photos import photo_json, photos

    with open_library(args) as library:
        listed = [photo_json(p) for p in photos(library, args.person, args.folder)]
    if args.json:
        print_json(listed)
    else:
        for p in listed:
            people = sorted({f["person"] for f in p["faces"] if f["person"] is not None})
            who = f" · people {', '.join(map(str, people))}" if people else ""
            taken = p["taken"].replace("T", " ") if p["taken"] else "date unknown"
            print(f"{taken}  {p['taken_from'] or '-':9}  {count(len(p['faces']), 'face')}{who}  {p['path']}")
        print(count(len(listed), "photo"), file=sys.stderr)
    return 0


def _cmd_search(args) -> int:
    from faceorganizer.clustering import WEAK_MARGIN

    query = args.image
    if os.path.exists(query):
        query = str(Path(query).resolve())
    with open_library(args) as library:
        # By default only faces as alike as the grouping joins (weakly) into one person.
        threshold = library.cluster_threshold - WEAK_MARGIN if args.threshold is None else args.threshold
        results = library.search(query, top_k=args.top_k, threshold=threshold)
        names = {p.cluster_id: p.name for p in library.people(include_hidden=True)}
    rows = [
        {
            "face_id": r.face_id,
            "score": round(r.score, 4),
            "path": r.path,
            "bbox": list(r.bbox) if r.bbox else None,
            "cluster_id": r.cluster_id,
            "person_name": names.get(r.cluster_id),
        }
        for r in results
    ]
    if args.json:
        print_json(rows)
    else:
        for r in rows:
            print(f"{r['score']:.3f}  {r['face_id']}  {_person_label(r)}  {r['path']}")
    if rows:
        print(f"{count(len(rows), 'face')} at least {threshold:.3f} similar", file=sys.stderr)
    else:
        print(f"No one like this in the library: no face is at least {threshold:.3f} similar "
              "(--threshold T to look further).", file=sys.stderr)
    return 0


def _person_label(row: dict) -> str:
    if row["cluster_id"] is None:
        return "no person"
    name = f"'{row['person_name']}'" if row["person_name"] else "(unnamed)"
    return f"person {row['cluster_id']} {name}"
