"""The face models: where they come from, and what they make of a face."""

from __future__ import annotations

import numpy as np
import pytest

from faceorganizer.errors import ModelLoadError
from faceorganizer.faces import LARGE_MODELS, SMALL_MODELS, bundled_model_dir, model_files
from faceorganizer.images import load_photo


def test_the_bundled_models_by_default():
    assert model_files() == tuple(bundled_model_dir() / name for name in SMALL_MODELS)


def test_a_folder_of_larger_models_replaces_what_it_holds(tmp_path):
    (tmp_path / LARGE_MODELS[1]).write_bytes(b"stands for w600k_r50")
    detector, recognizer = model_files(tmp_path)
    assert detector == bundled_model_dir() / SMALL_MODELS[0]
    assert recognizer == tmp_path / LARGE_MODELS[1]
    with pytest.raises(ModelLoadError, match="does not exist"):
        model_files(tmp_path / "nope")


@pytest.mark.filterwarnings("ignore:`estimate` is deprecated:FutureWarning")  # in insightface's norm_crop
def test_a_face_s_vector_is_the_one_insightface_s_recogniser_gives(analyzer, sample_photos):
    """The recogniser runs a rewritten graph (its PReLUs unfolded) on RGB crops:
    the vectors are InsightFace's own, from the original model on BGR crops."""
    from insightface.model_zoo.arcface_onnx import ArcFaceONNX
    from insightface.utils.face_align import norm_crop

    photo = load_photo(sample_photos["t1"])
    faces = analyzer.analyze(photo)
    insightface = ArcFaceONNX(str(model_files()[1]))
    bgr = np.ascontiguousarray(photo.pixels[:, :, ::-1])
    for face in faces:
        vector = insightface.get_feat(norm_crop(bgr, face.landmarks * photo.scale)).ravel()
        assert float(face.embedding @ vector) / np.linalg.norm(vector) > 0.999
    assert len(faces) == 6
