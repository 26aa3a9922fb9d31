"""The staging area of an unfinished model switch (faceorganizer.model_switch):
the faces' vectors of the new models, kept in the library folder until the
swap, and never read as faces before it.

`<library>/model-switch/target.json` names the models switched to;
`photos.jsonl` holds a line per photo analysed again, appended as each is
done (and made durable at least every second): its faces (each old face under its
own id, a face new to the models under a new one) with their new box,
landmarks, detection score and vector, how each was embedded, and the faces
that could not be. A line cut short by a kill is left out when read, so a
kill loses at most the photos in progress; of two lines of one photo (analysed
again because it gained faces meanwhile) the later wins.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

#: The staging folder in the library folder.
STAGING = "model-switch"

#: Staged photos are made durable at least this often (s).
SYNC_SECONDS = 1.0

#: How a staged face was embedded: at the box of a new detection that
#: matches it, as a face new to the models, at the box the user drew, at its
#: old box (no detection of the new models matches it), or from its
#: thumbnail (its photo could not be read).
MATCHED, NEW, DRAWN = "matched", "new", "drawn"
AT_OLD_BOX, FROM_THUMBNAIL = "embedded at its old box", "embedded from its thumbnail"


@dataclass(frozen=True)
class ModelChoice:
    """A pair of models as a library records it: the detector's and the
    recogniser's file names, the recogniser's digest (faces.file_digest), and
    their folder (None: the bundled models)."""

    detector: str | None
    recognizer: str | None
    digest: str | None
    folder: str | None

    def describe(self) -> str:
        """The models in the user's words ("not recorded" for what a library indexed before kept no record of)."""
        where = f"from {self.folder}" if self.folder else "bundled"
        return (f"the recogniser {self.recognizer or 'not recorded'} (digest {self.digest or 'not recorded'}) "
                f"and the detector {self.detector or 'not recorded'}, {where}")


@dataclass
class StagedFace:
    """One face of a photo analysed with the new models."""

    face_id: str
    vector: np.ndarray
    bbox: list[float]
    landmarks: list[list[float]]
    det_score: float
    embedding_norm: float
    how: str

    def fields(self) -> dict:
        """The face record's fields the new models give it."""
        return {"bbox": [round(v, 1) for v in self.bbox], "landmarks": self.landmarks,
                "det_score": round(self.det_score, 4), "embedding_norm": round(self.embedding_norm, 3)}


@dataclass
class StagedPhoto:
    """A photo analysed with the new models: its faces, the old faces that
    got no vector (`missing`) and why its file could not be read (`error`)."""

    image_id: str
    path: str | None
    faces: list[StagedFace] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    error: str | None = None


class Staging:
    """The staging folder of the library in `library_folder`."""

    def __init__(self, library_folder: Path):
        self.folder = Path(library_folder) / STAGING
        self._photos = self.folder / "photos.jsonl"
        self._target = self.folder / "target.json"
        self._synced = 0.0

    def target(self) -> ModelChoice | None:
        """The models an unfinished switch is to, if there is one."""
        try:
            return ModelChoice(**json.loads(self._target.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None

    def start(self, target: ModelChoice) -> None:
        """Begin a switch to `target`, forgetting what an earlier one staged."""
        self.remove()
        self.folder.mkdir(parents=True)
        tmp = self._target.with_name(self._target.name + ".tmp")
        tmp.write_text(json.dumps(asdict(target)), encoding="utf-8")
        os.replace(tmp, self._target)

    def photos(self) -> dict[str, StagedPhoto]:
        """Every photo staged so far, by photo id."""
        staged: dict[str, StagedPhoto] = {}
        try:
            lines = self._photos.read_bytes().split(b"\n")
        except FileNotFoundError:
            return staged
        for line in lines:
            if not line.strip():
                continue
            try:
                photo = _decode(json.loads(line))
            except (ValueError, KeyError, TypeError):
                log.warning("a cut short line of %s is left out: its photo is analysed again", self._photos)
                continue
            staged[photo.image_id] = photo
        return staged

    def append(self, photo: StagedPhoto) -> None:
        """Add a photo: at once for a kill of the process, and durably for a
        power cut within SYNC_SECONDS."""
        line = (json.dumps(_encode(photo), separators=(",", ":")) + "\n").encode("utf-8")
        with open(self._photos, "ab+") as out:
            end = out.seek(0, os.SEEK_END)
            if end:
                out.seek(end - 1)
                if out.read(1) != b"\n":  # a line a kill cut short stays alone on its line
                    line = b"\n" + line
            out.write(line)
            out.flush()
            if time.monotonic() - self._synced >= SYNC_SECONDS:
                os.fsync(out.fileno())
                self._synced = time.monotonic()

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _encode(photo: StagedPhoto) -> dict:
    data = asdict(photo)
    for face, staged in zip(data["faces"], photo.faces):
        face["vector"] = base64.b64encode(np.asarray(staged.vector, np.float32).tobytes()).decode("ascii")
    return data


def _decode(data: dict) -> StagedPhoto:
    faces = [StagedFace(**{**face, "vector": np.frombuffer(base64.b64decode(face["vector"]), np.float32).copy()})
             for face in data.pop("faces")]
    return StagedPhoto(faces=faces, **data)
