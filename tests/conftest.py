"""Shared test set-up: quiet TensorFlow, fixed seeds, and the seed-case data helpers.

Two backends: `make test` runs the whole suite twice, on TensorFlow (KERAS_BACKEND=
tensorflow) and then on JAX (KERAS_BACKEND=jax); the header names the backend. A new test
runs on both with nothing to do. One that only TensorFlow can run (tf.distribute, say)
skips elsewhere with a reason, which the JAX pass's summary lists (-rs):

    @pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="tf.distribute ...")

(`pytestmark = pytest.mark.skipif(...)` for a whole file). Doctests cannot carry a mark,
so the modules whose examples are TensorFlow's own are listed in TENSORFLOW_DOCTESTS.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest

from funcnet._quiet import native_stderr_held

# TensorFlow's C++ start-up notes; under pytest-xdist they would land after the summary.
with native_stderr_held():
    import keras


# Modules whose doctests show TensorFlow-only features (tf.distribute strategies).
TENSORFLOW_DOCTESTS = {"funcnet._distribute": "its examples are tf.distribute's"}


def pytest_report_header() -> str:
    return f"keras backend: {keras.backend.backend()}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if keras.backend.backend() == "tensorflow":
        return
    for item in items:
        name = item.name if isinstance(item, pytest.DoctestItem) else ""
        for prefix, why in TENSORFLOW_DOCTESTS.items():
            if name == prefix or name.startswith(prefix + "."):
                reason = f"doctest of {prefix}: {why}, so it runs on the TensorFlow pass only"
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def _seed() -> None:
    keras.utils.set_random_seed(0)


def synthetic(model: keras.Model, n: int = 16, seed: int = 0) -> tuple[dict, dict]:
    """Random inputs and targets keyed by name, shaped and typed for `model`."""
    rng = np.random.default_rng(seed)
    x = {}
    for t in model.inputs:
        shape = (n, *t.shape[1:])
        if "int" in str(t.dtype):
            x[t.name] = rng.integers(0, 10, shape)
        else:
            x[t.name] = rng.random(shape, dtype="float32")
    y = {}
    for name, t in zip(model.output_names, _outputs(model), strict=True):
        units = t.shape[-1]
        task = getattr(model.get_layer(name), "task", None)
        if task == "multiclass":
            y[name] = rng.integers(0, units, (n,))
        elif task in ("binary", "multilabel"):
            y[name] = rng.integers(0, 2, (n, units))
        else:
            y[name] = rng.random((n, units), dtype="float32")
    return x, y


def _outputs(model: keras.Model) -> list:
    # model.outputs follows output_names order (sorted for dict outputs).
    return [model.get_layer(name).output for name in model.output_names]
