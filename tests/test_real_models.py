"""Real published architectures built with funcnet beside raw Keras (issue 11).

Each pair in tests/real_models.py: the same trainable parameters, the funcnet model
trains on data keyed by name, survives a `.keras` round trip with identical
predictions (safe mode, no custom_objects), and `fn.compile` after loading gives the
same losses and metrics. The funcnet versions use no raw Keras wiring.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import keras
import numpy as np
import pytest

import funcnet as fn
from funcnet._graph import named_inputs, named_outputs
from tests import real_models
from tests.real_models import PAIRS

IDS = list(PAIRS)


def trainable(model: keras.Model) -> int:
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def data(model: keras.Model, n: int = 8) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Inputs and targets keyed by name, fitting each output's task."""
    rng = np.random.default_rng(0)
    x = {}
    for name, t in named_inputs(model).items():
        shape = (n, *t.shape[1:])
        x[name] = rng.integers(0, 16, shape) if "int" in str(t.dtype) else rng.random(shape)
    y = {}
    for name, t in named_outputs(model).items():
        classes = t.shape[-1]
        if classes == 1:
            y[name] = rng.integers(0, 2, (n, *t.shape[1:]))
        else:  # class ids: per sample, or per pixel for a mask
            y[name] = rng.integers(0, classes, (n, *t.shape[1:-1]))
    return x, y


@pytest.mark.parametrize("name", IDS)
def test_same_trainable_parameters_as_raw_keras(name: str) -> None:
    ours, theirs = (build() for build in PAIRS[name])
    assert trainable(ours) == trainable(theirs) > 0


@pytest.mark.parametrize("name", IDS)
def test_funcnet_version_has_no_raw_keras_wiring(name: str) -> None:
    tree = ast.parse(inspect.getsource(PAIRS[name][0]))
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    # A call of a call (`layers.Dense(4)(x)`) is raw wiring; so are keras.Input/Model.
    assert not [c for c in calls if isinstance(c.func, ast.Call)]
    names = {ast.unparse(c.func) for c in calls}
    assert not names & {"keras.Input", "keras.Model", "layers.Input", "keras.layers.Input"}


@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")
@pytest.mark.parametrize("name", IDS)
def test_trains_by_name_and_round_trips(name: str, tmp_path: Path) -> None:
    model = PAIRS[name][0]()
    x, y = data(model)
    fn.compile(model)
    history = fn.fit(model, x, y, epochs=1, batch_size=4, verbose=0)
    assert np.isfinite(history.history["loss"][-1])
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    before = keras.tree.map_structure(np.asarray, model(x, training=False))
    after = keras.tree.map_structure(np.asarray, loaded(x, training=False))
    keras.tree.map_structure(np.testing.assert_array_equal, before, after)
    again = fn.compile(loaded)
    keys = ("loss", "metrics", "loss_weights")
    got, want = again.get_compile_config(), model.get_compile_config()
    assert {k: got[k] for k in keys} == {k: want[k] for k in keys}


def test_raw_keras_siamese_needs_unsafe_loading_funcnet_does_not(tmp_path: Path) -> None:
    # keras-io's Lambda distance cannot load in safe mode; funcnet's distance layer can.
    raw = real_models.siamese_keras()
    raw.save(tmp_path / "raw.keras")
    with pytest.raises((ValueError, TypeError), match=r"Lambda|euclidean_distance"):
        keras.saving.load_model(tmp_path / "raw.keras", safe_mode=True)


def test_logits_heads_train_from_logits_and_keep_it_after_loading(tmp_path: Path) -> None:
    model = fn.compile(real_models.qa_funcnet())
    assert all(
        getattr(loss, "get_config", dict)().get("from_logits") for loss in model.loss.values()
    )
    model.save(tmp_path / "qa.keras")
    loaded = fn.compile(keras.saving.load_model(tmp_path / "qa.keras"))
    assert all(loss.get_config()["from_logits"] for loss in loaded.loss.values())


def test_per_pixel_targets_are_checked_per_pixel() -> None:
    model = fn.compile(real_models.unet_funcnet())
    x, y = data(model, n=2)
    fn.check_data(model, x, y)  # (n, H, W) class ids
    fn.check_data(model, x, {"mask": y["mask"][..., None]})  # (n, H, W, 1)
    bad = y["mask"].copy()
    bad[0, 3, 4] = real_models.CLASSES
    with pytest.raises(fn.FuncnetError, match=r'y\["mask"\].*class ids must lie in \[0, 3\)'):
        fn.check_data(model, x, {"mask": bad})


def test_raw_deeplab_raw_scores_are_asked_then_trained_from_logits() -> None:
    # keras-io's DeepLabV3+ ends in a 1x1 convolution without activation: raw scores.
    model = real_models.deeplab_keras()
    with pytest.raises(fn.FuncnetError, match=r'Output "mask".*raw scores.*"multiclass"'):
        fn.compile(model)
    fn.compile(model, tasks={"mask": "multiclass"})
    assert model.loss.get_config()["from_logits"]
