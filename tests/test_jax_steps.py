"""On JAX, fn.compile's groups of batches run in one compiled call (funcnet/_jax_steps.py)
and train exactly what Keras's own loop trains: the same weights, bit for bit, and the
same history (to float rounding), with shuffling, dropout, batch norm, a short last group
and batch, weights and validation; Keras's loop wherever the group cannot be compiled.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import pytest
from keras import layers

import funcnet as fn
from funcnet import gallery

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "jax",
    reason="the one-call groups are JAX's; TensorFlow compiles a group as one graph itself",
)

SEED = 3


def dropout_norm() -> keras.Model:
    ins = fn.inputs(pixels=(12,))
    h = fn.stack(ins["pixels"], [layers.Dense(16, activation="relu"), layers.BatchNormalization()])
    h = layers.Dropout(0.3)(h)
    return fn.model(ins, fn.head(h, "digit", "multiclass", units=5))


def dropout_norm_data(n: int) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    rng = np.random.default_rng(SEED)
    x = {"pixels": rng.normal(size=(n, 12)).astype("float32")}
    y = {"digit": rng.integers(0, 5, n)}
    return x, y, {}


def s3b_data(n: int) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    rng = np.random.default_rng(SEED)
    x = {"table_a": rng.normal(size=(n, 8)), "table_b": rng.normal(size=(n, 5))}
    x["pixels"] = rng.random((n, 784))
    y = {"o1": rng.integers(0, 2, (n, 1)), "o2": rng.integers(0, 2, (n, 1))}
    y["o3"] = rng.integers(0, 10, n)
    weights = {"sample_weight": {"o1": rng.random(n) + 0.5}, "class_weight": {"o3": {0: 3.0}}}
    return {k: v.astype("float32") for k, v in x.items()}, y, weights


CASES = {
    # 100 samples in batches of 8: 13 batches, the last of 4; groups of 4: the 4th has one.
    "dropout-batchnorm-short-tail": (dropout_norm, dropout_norm_data, 100, 8, 4),
    "s3b-weights-even-groups": (gallery.s3b, s3b_data, 256, 16, 4),
}


def trained(
    build: Callable[[], keras.Model], data: Any, n: int, batch: int, group: int, funcnet: bool
) -> tuple[keras.Model, dict[str, list[float]]]:
    keras.utils.set_random_seed(SEED)
    model = build()
    if funcnet:
        fn.compile(model, steps_per_execution=group)
    else:  # the same compile settings as fn.compile chose, given to Keras directly
        chosen = fn.compile(build())
        model.compile(
            optimizer="adam",
            loss=chosen.loss,
            metrics=chosen._compile_config.config["metrics"],
            steps_per_execution=group,
        )
    x, y, weights = data(n)
    keras.utils.set_random_seed(SEED)  # the same shuffles and dropout masks for both
    history = fn.fit(
        model, x, y, batch_size=batch, epochs=2, verbose=0, validation_split=0.2, **weights
    )
    return model, history.history


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_one_call_groups_train_what_keras_loop_trains(case: tuple[Any, ...]) -> None:
    ours, our_history = trained(*case, funcnet=True)
    keras_own, keras_history = trained(*case, funcnet=False)
    assert type(ours.train_function).__name__ == "_Groups"
    assert type(keras_own.train_function).__name__ == "function"
    for mine, theirs in zip(ours.weights, keras_own.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(mine), np.asarray(theirs), err_msg=mine.path)
    # The logged means may differ in the last bit: XLA fuses the metric updates in the
    # compiled group differently from the one-step function (seen: 0.67776805 vs 0.67776811).
    assert our_history.keys() == keras_history.keys()
    for key, values in our_history.items():
        np.testing.assert_allclose(values, keras_history[key], rtol=1e-6, err_msg=key)


def counted(model: keras.Model) -> dict[str, list[int]]:
    """Wraps the groups' two paths to count the batches each ran."""
    groups = model.train_function
    ran: dict[str, list[int]] = {"one call": [], "keras loop": []}
    scanned, keras_steps = groups.scanned, groups.keras_steps

    def one_call(state: Any, batches: Any) -> Any:
        ran["one call"].append(len(keras.tree.flatten(batches)[0]))
        return scanned(state, batches)

    def keras_loop(state: Any, iterator: Any) -> Any:
        pulled: list[int] = []

        def counting() -> Any:  # pulls lazily: Keras's loop takes what it takes
            for batch in iterator:
                pulled.append(1)
                yield batch

        result = keras_steps(state, counting())
        ran["keras loop"].append(len(pulled))
        return result

    groups.scanned, groups.keras_steps = one_call, keras_loop
    return ran


def test_full_groups_run_in_one_call_and_the_short_last_group_in_keras_loop() -> None:
    model = fn.compile(dropout_norm(), steps_per_execution=4)
    x, y, _ = dropout_norm_data(100)
    fn.fit(model, x, y, batch_size=8, epochs=1, verbose=0)
    ran = counted(model)
    fn.fit(model, x, y, batch_size=8, epochs=1, verbose=0)  # 13 batches, the last of 4
    assert ran == {"one call": [4, 4, 4], "keras loop": [1]}
    fn.fit(model, x, y, batch_size=10, epochs=1, verbose=0)  # 10 equal batches: a new loop
    assert type(model.train_function).__name__ == "_Groups"


@pytest.mark.parametrize(
    "settings",
    [{"steps_per_execution": 1}, {"run_eagerly": True}, {"preset": "default"}],
    ids=["one-batch-per-call", "run-eagerly", "default-preset"],
)
def test_keras_loop_runs_where_a_group_is_not_compiled(settings: dict[str, Any]) -> None:
    model = fn.compile(dropout_norm(), **settings)
    x, y, _ = dropout_norm_data(40)
    history = fn.fit(model, x, y, batch_size=8, epochs=1, verbose=0)
    assert type(model.train_function).__name__ == "function"
    assert np.isfinite(history.history["loss"][0])


def test_a_later_plain_compile_gets_keras_loop_and_fast_again_gets_groups() -> None:
    model = fn.compile(dropout_norm(), preset="fast")
    x, y, _ = dropout_norm_data(64)
    fn.fit(model, x, y, batch_size=8, epochs=1, verbose=0)
    assert type(model.train_function).__name__ == "_Groups"
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")  # one per call
    model.fit(x, y["digit"], batch_size=8, epochs=1, verbose=0)
    assert type(model.train_function).__name__ == "function"
    fn.compile(model, preset="fast")  # not wrapped twice: one Keras loop underneath
    fn.fit(model, x, y, batch_size=8, epochs=1, verbose=0)
    assert type(model.train_function.keras_steps).__name__ == "function"


def test_per_batch_callback_and_train_on_batch_use_keras_loop() -> None:
    model = fn.compile(dropout_norm(), preset="fast")
    x, y, _ = dropout_norm_data(64)
    seen: list[int] = []
    every = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: seen.append(batch)
    )
    with pytest.warns(UserWarning, match="LambdaCallback acts on every batch"):
        fn.fit(model, x, y, batch_size=8, epochs=1, verbose=0, callbacks=[every])
    assert seen == list(range(8))
    logs = model.train_on_batch(x, y["digit"], return_dict=True)
    assert np.isfinite(logs["loss"])
    fn.fit(model, x, y, batch_size=8, epochs=1, verbose=0)
    assert type(model.train_function).__name__ == "_Groups"


def test_under_keras_distribution_keras_loop_runs() -> None:
    import jax

    from funcnet._jax_steps import _can_scan

    model = fn.compile(dropout_norm(), preset="fast")
    assert _can_scan(model)
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=jax.devices()))
    try:
        assert not _can_scan(model)
    finally:
        keras.distribution.set_distribution(None)


def conv1d_model() -> keras.Model:
    ins = fn.inputs(signal=(20, 3))
    h = fn.stack(ins["signal"], [layers.Conv1D(4, 3), layers.GlobalMaxPool1D()])
    return fn.model(ins, fn.head(h, "positive", "binary"))


def nested_conv_model() -> keras.Model:
    backbone = keras.Sequential(
        [keras.Input((8, 8, 1)), layers.Conv2D(4, 3), layers.Flatten()], name="backbone"
    )
    ins = fn.inputs(digit=(8, 8, 1))
    return fn.model(ins, fn.head(backbone(ins["digit"]), "positive", "binary"))


def wrapped_conv_model() -> keras.Model:
    ins = fn.inputs(frames=(3, 8, 8, 1))
    conv = layers.TimeDistributed(layers.Conv2D(2, 3))
    h = fn.stack(ins["frames"], [conv, layers.Flatten()])
    return fn.model(ins, fn.head(h, "positive", "binary"))


class Smooth(layers.Layer):
    """A custom layer that convolves with keras.ops, no convolution layer in sight."""

    def build(self, input_shape: Any) -> None:
        self.kernel = self.add_weight(shape=(3, input_shape[-1], 2))

    def call(self, x: Any) -> Any:
        return keras.ops.conv(x, self.kernel)


def custom_conv_model() -> keras.Model:
    ins = fn.inputs(signal=(20, 3))
    h = fn.stack(ins["signal"], [Smooth(), layers.Flatten()])
    return fn.model(ins, fn.head(h, "positive", "binary"))


CONVOLVING = {
    "conv1d": conv1d_model,
    "nested-model": nested_conv_model,
    "time-distributed": wrapped_conv_model,
    "keras-ops-conv": custom_conv_model,
}


@pytest.mark.parametrize("build", CONVOLVING.values(), ids=CONVOLVING.keys())
def test_steps_that_convolve_keep_keras_loop(build: Callable[[], keras.Model]) -> None:
    # XLA on a CPU runs some convolutions several times slower inside a compiled loop
    # (benchmarks/bench_jax_steps.py), so these train exactly as plain Keras trains them.
    model = fn.compile(build(), steps_per_execution=4)
    shape = model.inputs[0].shape[1:]
    x = np.random.default_rng(SEED).random((64, *shape)).astype("float32")
    y = {"positive": np.ones((64, 1))}
    fn.fit(model, x, y, batch_size=8, epochs=1, verbose=0)
    assert model.train_function.fits is False
    ran = counted(model)
    fn.fit(model, x, y, batch_size=8, epochs=1, verbose=0)
    assert ran == {"one call": [], "keras loop": [4, 4]}


class OwnStep(keras.Model):
    """The Keras JAX guide's own train_step, returning the metric variables as a tuple."""

    def train_step(self, state: Any, data: Any) -> Any:
        trainable, non_trainable, optimizer_variables, metrics_variables = state
        logs, (trainable, non_trainable, optimizer_variables, metrics_variables) = (
            super().train_step(state, data)
        )
        return logs, (trainable, non_trainable, optimizer_variables, tuple(metrics_variables))


def test_a_train_step_returning_another_state_type_keeps_keras_loop() -> None:
    ins = fn.inputs(table=(4,))
    head = fn.head(ins["table"], "price", "regression")
    x, y = {"table": np.ones((64, 4), "float32")}, {"price": np.ones((64, 1))}
    trained = []
    for own_loop in (False, True):
        keras.utils.set_random_seed(SEED)
        model = fn.compile(OwnStep(ins, head), steps_per_execution=4)
        if own_loop:
            vars(model).pop("make_train_function")  # plain Keras's loop, for comparison
        fn.fit(model, x, y, batch_size=4, epochs=2, verbose=0)
        trained.append(model)
    assert trained[0].train_function.fits is False
    for mine, theirs in zip(trained[0].weights, trained[1].weights, strict=True):
        np.testing.assert_array_equal(np.asarray(mine), np.asarray(theirs))


@pytest.mark.parametrize("later", [64, 8, 1])
def test_steps_per_execution_changed_between_fits_trains_every_batch(later: int) -> None:
    model = fn.compile(dropout_norm(), preset="fast")
    x, y, _ = dropout_norm_data(300)
    fn.fit(model, x, y, batch_size=4, epochs=1, verbose=0)  # 75 batches
    model.steps_per_execution = later
    before = int(model.optimizer.iterations)
    fn.fit(model, x, y, batch_size=4, epochs=2, verbose=0)
    assert int(model.optimizer.iterations) - before == 150
