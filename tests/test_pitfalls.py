"""The raw-Keras pitfalls of SEED_CASES.md (1-5 and 7), each shown happening, then closed.

Every test first asserts what Keras 3.15 / TensorFlow 2.21 does today (so the test
notices if Keras changes), then what funcnet does instead. The models are built so that
each output's loss shows which loss and which targets it got: outputs "zeta" then
"alpha" (declared in that order; sorted, the reverse), zero kernels so both predict 0,
targets zeta = 0 and alpha = 100. An output's mse is then 0 on its own targets and 10000
on alpha's; its mae is 0 or 100.
"""

from __future__ import annotations

import warnings
from typing import Any

import keras
import numpy as np
import pytest
from keras import layers

import funcnet as fn
from tests.test_compile import ZA_X, ZA_Y, evaluate, zeta_alpha
from tests.test_seed_cases import s3b_funcnet

# Raw Keras's error for a string where a number belongs, as each backend words it.
NOT_A_NUMBER = {
    "tensorflow": (TypeError, r"Expected float32, but got \w+ of type 'str'"),
    "jax": (ValueError, r"could not convert string to float: 'alpah'"),
}


# 1 -------------------------------------------------------------------------------------------
def test_pitfall_1_list_of_losses_goes_by_sorted_name() -> None:
    # Raw Keras: written in declared order (zeta: mse, alpha: mae) but attached by sorted
    # name: alpha gets mse (10000), zeta gets mae (0). The wrong loss trains each head.
    model = zeta_alpha("dict")
    model.compile("sgd", loss=["mse", "mae"], loss_weights=[1.0, 1.0])
    logs = evaluate(model, ZA_X, ZA_Y)
    assert logs["alpha_loss"] == pytest.approx(10_000.0)  # mse, meant for zeta

    # funcnet: a list is refused; a dict goes where its keys say.
    with pytest.raises(fn.FuncnetError, match=r"loss must be a dict keyed by output name"):
        fn.compile(zeta_alpha("dict"), loss=["mse", "mae"])
    with pytest.raises(fn.FuncnetError, match=r"loss_weights must be a dict keyed by output"):
        fn.compile(zeta_alpha("dict"), loss_weights=[1.0, 1.0])
    model = fn.compile(zeta_alpha("dict"), loss={"zeta": "mse", "alpha": "mae"})
    assert evaluate(model, ZA_X, ZA_Y)["alpha_loss"] == pytest.approx(100.0)


# 2 -------------------------------------------------------------------------------------------
def test_pitfall_2_misspelled_loss_weight_key_is_reassigned_by_position() -> None:
    # Raw Keras: the user means o3 x 5, types "03" (zero, not the letter o). Keras sorts the
    # weight keys ("03" < "o1" < "o2"), matches them to the outputs by position, and o1
    # gets the 5. Measured with mae on targets o1 = 1, o2 = 2, o3 = 3, predictions 0.
    x = keras.Input((4,), name="x")
    outputs = {
        name: layers.Dense(1, name=name, kernel_initializer="zeros")(x)
        for name in ("o1", "o2", "o3")
    }
    model = keras.Model({"x": x}, outputs)
    maes = {name: "mae" for name in outputs}
    model.compile("sgd", loss=maes, loss_weights={"o1": 1.0, "o2": 1.0, "03": 5.0})
    y = {"o1": np.full((8, 1), 1.0), "o2": np.full((8, 1), 2.0), "o3": np.full((8, 1), 3.0)}
    logs = evaluate(model, ZA_X, y)
    assert logs["loss"] == pytest.approx(5 * 1 + 1 * 2 + 1 * 3)  # not the meant 1 + 2 + 5 * 3

    # funcnet: the key is refused, naming it and the outputs.
    with pytest.raises(fn.FuncnetError, match=r'loss_weights: Unknown output "03".*o1, o2, o3'):
        fn.compile(model, loss=maes, loss_weights={"03": 5.0})
    with pytest.raises(fn.FuncnetError, match=r'Unknown output "o_3".*Did you mean "o3"'):
        fn.compile(model, loss=maes, loss_weights={"o_3": 5.0})
    fn.compile(model, loss=maes, loss_weights={"o3": 5.0})
    assert evaluate(model, ZA_X, y)["loss"] == pytest.approx(1 + 2 + 5 * 3)


# 3 -------------------------------------------------------------------------------------------
def test_pitfall_3_list_of_targets_goes_by_sorted_name() -> None:
    # Raw Keras: targets listed in declared order [zeta, alpha] are matched by sorted name,
    # so zeta trains on alpha's targets (mse 10000) and alpha on zeta's. Same shapes, so
    # nothing complains.
    model = zeta_alpha("dict")
    model.compile("sgd", loss={"zeta": "mse", "alpha": "mse"})
    logs = evaluate(model, ZA_X, [ZA_Y["zeta"], ZA_Y["alpha"]])
    assert logs["zeta_loss"] == pytest.approx(10_000.0) and logs["alpha_loss"] == 0.0

    # funcnet: a list for a dict-keyed model is refused, showing the dict to write in the
    # declared order; fit never reaches Keras.
    fn.compile(model, loss={"zeta": "mse", "alpha": "mse"})
    with pytest.raises(fn.FuncnetError, match=r'y is a list.*y=\{"zeta": ..., "alpha": ...\}'):
        fn.fit(model, ZA_X, [ZA_Y["zeta"], ZA_Y["alpha"]], verbose=0)


# 4 -------------------------------------------------------------------------------------------
def test_pitfall_4_misspelled_target_key_gives_a_useless_error() -> None:
    # Raw Keras: a list-output model, y keyed by name with "alpah" for "alpha".
    model = zeta_alpha("list")
    model.compile("sgd", loss={"zeta": "mse", "alpha": "mse"})
    y = {"zeta": ZA_Y["zeta"], "alpah": ZA_Y["alpha"]}
    error, words = NOT_A_NUMBER[keras.backend.backend()]
    with pytest.raises(error, match=words):
        model.fit(ZA_X, y, verbose=0)

    # funcnet: the key, the outputs and the near miss.
    fn.compile(model, loss={"zeta": "mse", "alpha": "mse"})
    with pytest.raises(fn.FuncnetError, match=r'unknown key "alpah".*zeta, alpha.*"alpha"'):
        fn.fit(model, ZA_X, y, verbose=0)
    # ...and the right key trains the right head, although the model is a list.
    history = fn.fit(model, ZA_X, {"alpha": ZA_Y["alpha"], "zeta": ZA_Y["zeta"]}, verbose=0)
    assert history.history["zeta_loss"][0] == 0.0


# 5 -------------------------------------------------------------------------------------------
def test_pitfall_5_one_shared_layers_outputs_share_one_name() -> None:
    # Raw Keras: both outputs come from the shared layer "score": two outputs, one name,
    # and the history has a single "score_loss" for the two.
    a, b = keras.Input((4,), name="a"), keras.Input((4,), name="b")
    score = layers.Dense(1, name="score")
    model = keras.Model([a, b], [score(a), score(b)])
    assert model.output_names == ["score", "score"]
    model.compile("sgd", loss="mse")
    history = model.fit([np.ones((8, 4))] * 2, [np.zeros((8, 1)), np.ones((8, 1))], verbose=0)
    assert [key for key in history.history if key.endswith("_loss")] == ["score_loss"]

    # funcnet: compile refuses, naming the output and the fix; heads give each its name.
    with pytest.raises(fn.FuncnetError, match=r'2 outputs named "score".*fn.head'):
        fn.compile(model)
    ins = fn.inputs(a=(4,), b=(4,))
    shared = fn.shared(layers.Dense(3, name="encoder"))
    heads = [
        fn.head(shared(ins["a"]), "score_a", "regression"),
        fn.head(shared(ins["b"]), "score_b", "regression"),
    ]
    named = fn.compile(fn.model(ins, heads))
    history = fn.fit(
        named,
        {"a": np.ones((8, 4)), "b": np.ones((8, 4))},
        {"score_a": np.zeros((8, 1)), "score_b": np.ones((8, 1))},
        verbose=0,
    )
    assert {"score_a_loss", "score_b_loss"} <= set(history.history)


# 7 -------------------------------------------------------------------------------------------
class _BatchCounter(keras.callbacks.Callback):
    def __init__(self) -> None:
        super().__init__()
        self.batches = 0

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        self.batches += 1


def _s3b_small() -> keras.Model:
    return s3b_funcnet(pixels=16)


def _s3b_data(n: int) -> tuple[dict[str, Any], dict[str, Any]]:
    rng = np.random.default_rng(0)
    x = {
        "table_a": rng.random((n, 5)),
        "table_b": rng.random((n, 7)),
        "pixels": rng.random((n, 16)),
    }
    y = {
        "o1": rng.integers(0, 2, (n, 1)),
        "o2": rng.integers(0, 2, (n, 1)),
        "o3": rng.integers(0, 10, n),
    }
    return x, y


def test_pitfall_7_default_one_batch_per_call_and_the_fast_preset() -> None:
    # Raw Keras: compile's default runs one batch per call into the compiled loop (the
    # speed this costs on a CPU is measured by benchmarks/bench_fast.py, not here).
    model = _s3b_small()
    model.compile("adam", loss="mse")
    assert model.steps_per_execution == 1
    # XLA: off on a CPU under TensorFlow, always on under JAX.
    assert model.jit_compile is (keras.backend.backend() == "jax")

    # funcnet's "fast" preset runs many batches per call without changing the mathematics:
    # same seed, same data, same batches -> the same weights and loss as the default.
    x, y = _s3b_data(64)
    results = {}
    for preset in ("default", "fast"):
        keras.utils.set_random_seed(3)
        model = fn.compile(_s3b_small(), preset=preset)
        history = fn.fit(model, x, y, batch_size=8, epochs=2, verbose=0)
        results[preset] = (history.history["loss"][-1], model.get_weights())
    assert fn.compile(_s3b_small(), preset="fast").steps_per_execution > 1
    assert results["fast"][0] == pytest.approx(results["default"][0], rel=1e-5)
    for fast, default in zip(results["fast"][1], results["default"][1], strict=True):
        np.testing.assert_allclose(fast, default, rtol=1e-4, atol=1e-6)


def test_pitfall_7_per_batch_callbacks_under_many_batches_per_call() -> None:
    # Raw Keras with steps_per_execution=4: a per-batch callback sees 1 call per 4 batches.
    x, y = _s3b_data(64)
    model = fn.compile(_s3b_small(), steps_per_execution=4)
    counter = _BatchCounter()
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, callbacks=[counter])
    assert counter.batches == 16 // 4

    # funcnet: fn.fit runs that fit one batch per call, and warns, naming the callback.
    counter = _BatchCounter()
    with pytest.warns(UserWarning, match=r"callback _BatchCounter acts on every batch"):
        fn.fit(model, x, y, batch_size=4, epochs=1, verbose=0, callbacks=[counter])
    assert counter.batches == 16 and model.steps_per_execution == 4
    with warnings.catch_warnings():  # and the next fit without it is fast again, silently
        warnings.simplefilter("error", UserWarning)
        fn.fit(model, x, y, batch_size=4, epochs=1, verbose=0)
