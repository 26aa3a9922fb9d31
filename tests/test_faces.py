"""The face models: where they come from."""

from __future__ import annotations

import pytest

from faceorganizer.errors import ModelLoadError
from faceorganizer.faces import LARGE_MODELS, SMALL_MODELS, bundled_model_dir, model_files


def test_the_bundled_models_by_default():
    assert model_files() == tuple(bundled_model_dir() / name for name in SMALL_MODELS)


def test_a_folder_of_larger_models_replaces_what_it_holds(tmp_path):
    (tmp_path / LARGE_MODELS[1]).write_bytes(b"stands for w600k_r50")
    detector, recognizer = model_files(tmp_path)
    assert detector == bundled_model_dir() / SMALL_MODELS[0]
    assert recognizer == tmp_path / LARGE_MODELS[1]
    with pytest.raises(ModelLoadError, match="does not exist"):
        model_files(tmp_path / "nope")
