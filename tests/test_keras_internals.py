"""Canaries for the few Keras internals funcnet relies on, where Keras offers nothing public.

Each test fails, naming the installed Keras version, when an internal stops meaning what
funcnet assumes, or when plain Keras no longer needs a workaround. Read with them:
funcnet/_graph.py (which layer call made a tensor) and funcnet/_distribute.py
(`multi_worker_fixes`, keras-team/keras#20585).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras
import pytest
from keras import layers

import funcnet as fn
from funcnet._graph import call_of, calls, producer

KERAS = f"Keras {keras.__version__}"


def test_a_tensor_names_the_layer_call_that_made_it() -> None:
    x = keras.Input((4,), name="x")
    dense = layers.Dense(3, name="enc")
    first, second = dense(x), dense(x)
    assert producer(second) is dense, f"{KERAS}: _keras_history.operation changed"
    assert calls(dense) == [call_of(first), call_of(second)], f"{KERAS}: _inbound_nodes changed"
    assert call_of(second).output_tensors == [second], f"{KERAS}: node outputs changed"
    assert call_of(x).is_input, f"{KERAS}: an input's node is no longer marked is_input"


def test_public_model_input_and_output_keep_the_declared_dict_order(tmp_path: Path) -> None:
    # funcnet reads the declared structure from model.input / model.output (public), where
    # output_names is sorted; this holds after loading too.
    ins = fn.inputs(zeta=(3,), alpha=(2,))
    h = fn.merge([ins["zeta"], ins["alpha"]], "concat")
    model = fn.model(ins, [fn.head(h, "zeta_out", "binary"), fn.head(h, "alpha_out", "binary")])
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    for m in (model, loaded):
        assert list(m.input) == ["zeta", "alpha"], KERAS
        assert list(m.output) == ["zeta_out", "alpha_out"], KERAS
    assert list(model.output_names) == ["alpha_out", "zeta_out"], f"{KERAS} no longer sorts"


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="tf.distribute exists only on TensorFlow"
)
def test_plain_keras_multi_worker_fit_still_needs_funcnets_fixes(tmp_path: Path) -> None:
    from tests.test_distribute import run_two_workers

    for path in run_two_workers("raw-worker", tmp_path, ".txt"):
        said = path.read_text()
        assert said != "ok", (
            f"{KERAS} trains across workers without funcnet's help: remove "
            "multi_worker_fixes from funcnet/_distribute.py (keras-team/keras#20585)."
        )
        assert any(
            known in said for known in ("Attempt to convert a value", "Invalid reduction dimension")
        ), f"{KERAS} fails in a new way; re-check multi_worker_fixes:\n{said[:500]}"


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="the JAX trainer's own loop")
def test_keras_jax_trainer_still_calls_its_step_once_per_batch(monkeypatch: Any) -> None:
    # funcnet/_jax_steps.py compiles a group of batches into one call because Keras's JAX
    # trainer makes one compiled call per batch, and fit calls
    # model.train_function(state, iterator) once per group, returning (logs, state).
    import jax
    import numpy as np
    from keras.src.backend.jax import trainer

    dispatched: list[int] = []

    def counting_jit(function: Any, **kwargs: Any) -> Any:
        compiled = jax.jit(function, **kwargs)

        def call(*args: Any) -> Any:
            dispatched.append(1)
            return compiled(*args)

        return call

    monkeypatch.setattr(trainer, "jit", counting_jit)
    model = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    model.compile(loss="mse", steps_per_execution=4)  # plain Keras: its own loop
    model.fit(np.ones((32, 3)), np.ones((32, 1)), batch_size=4, verbose=0)
    assert len(dispatched) == 8, (
        f"{KERAS}'s JAX trainer made {len(dispatched)} compiled calls for 8 batches in groups "
        "of 4 (it made 8, one per batch). If it now compiles the group itself, "
        "funcnet/_jax_steps.py may go: compare with benchmarks/bench_backends.py."
    )
