"""fn.compile and the presets: losses, metrics and weights by output name, and bad input."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest
from keras import layers

import funcnet as fn
from funcnet._presets import FAST_STEPS_PER_EXECUTION
from tests.test_seed_cases import s3b_funcnet


def s3b() -> keras.Model:
    """The S3b seed case, small: three inputs, heads o1 and o2 binary, o3 with 10 classes."""
    return s3b_funcnet(pixels=16)


def zeta_alpha(kind: str) -> keras.Model:
    """Raw Keras, two regression outputs declared "zeta" then "alpha" (sorted: the reverse).

    Both predict 0 (zero kernels), so with targets zeta=0, alpha=100 each output's loss
    shows which loss and which targets it got: mse 10000 vs mae 100 for alpha.
    """
    x = keras.Input((4,), name="x")
    zeta = layers.Dense(1, name="zeta", kernel_initializer="zeros")(x)
    alpha = layers.Dense(1, name="alpha", kernel_initializer="zeros")(x)
    outputs = {"zeta": zeta, "alpha": alpha} if kind == "dict" else [zeta, alpha]
    return keras.Model({"x": x}, outputs)


ZA_X = {"x": np.ones((8, 4), "float32")}
ZA_Y = {"zeta": np.zeros((8, 1), "float32"), "alpha": np.full((8, 1), 100.0, "float32")}


def evaluate(model: keras.Model, x: Any, y: Any) -> dict[str, float]:
    return model.evaluate(x, y, verbose=0, return_dict=True)


# ---- defaults from tasks, and how Keras receives them --------------------------------------


def test_each_output_gets_its_tasks_loss_and_metrics() -> None:
    model = fn.compile(s3b())
    assert dict(model.loss) == {
        "o1": "binary_crossentropy",
        "o2": "binary_crossentropy",
        "o3": "sparse_categorical_crossentropy",
    }
    rng = np.random.default_rng(0)
    x = {
        "table_a": rng.random((8, 5)),
        "table_b": rng.random((8, 7)),
        "pixels": rng.random((8, 16)),
    }
    y = {
        "o1": rng.integers(0, 2, (8, 1)),
        "o2": rng.integers(0, 2, (8, 1)),
        "o3": rng.integers(0, 10, 8),
    }
    logs = evaluate(model, x, y)
    assert {"o1_accuracy", "o1_auc", "o2_accuracy", "o2_auc", "o3_accuracy"} <= set(logs)
    assert {"o1_loss", "o2_loss", "o3_loss"} <= set(logs)


@pytest.mark.parametrize("kind", ["dict", "list"], ids=["dict-outputs", "list-outputs"])
def test_keras_maps_our_dicts_by_name_for_dict_and_list_outputs(kind: str) -> None:
    # zeta: mse on targets 0 -> 0; alpha: mae on 100 -> 100, weighted 2 -> total 200.
    model = fn.compile(
        zeta_alpha(kind),
        loss={"zeta": "mse", "alpha": "mae"},
        metrics={"zeta": "mae", "alpha": ["mse"]},
        loss_weights={"alpha": 2.0},
    )
    logs = evaluate(model, ZA_X, ZA_Y)
    assert logs["zeta_loss"] == 0.0 and logs["alpha_loss"] == pytest.approx(100.0)
    assert logs["alpha_mse"] == pytest.approx(10_000.0) and logs["zeta_mae"] == 0.0
    assert logs["loss"] == pytest.approx(200.0)  # zeta's missing weight is 1.0


def test_a_missing_weight_is_one() -> None:
    model = fn.compile(
        zeta_alpha("dict"), loss={"zeta": "mae", "alpha": "mae"}, loss_weights={"zeta": 3.0}
    )
    y = {"zeta": np.full((8, 1), 10.0), "alpha": np.full((8, 1), 100.0)}
    logs = evaluate(model, ZA_X, y)
    assert logs["loss"] == pytest.approx(3.0 * 10.0 + 1.0 * 100.0)


def test_single_output_takes_bare_values() -> None:
    ins = fn.inputs(a=(3,))
    model = fn.model(ins, fn.head(ins["a"], "price", "regression"))
    fn.compile(model, loss="mae", metrics=["mse", "mae"], loss_weights=2.0)
    assert model.loss == "mae"
    logs = evaluate(model, {"a": np.zeros((4, 3))}, np.full((4, 1), 5.0))
    assert logs["loss"] == pytest.approx(10.0) and logs["mse"] == pytest.approx(25.0)


def test_loaded_model_compiles_from_its_heads(tmp_path: Path) -> None:
    model = s3b()
    model.save(tmp_path / "s3b.keras")
    loaded = keras.saving.load_model(tmp_path / "s3b.keras")
    assert dict(fn.compile(loaded).loss) == dict(fn.compile(model).loss)


def _raw(make_output: Callable[[Any], Any]) -> keras.Model:
    x = keras.Input((4,), name="x")
    return keras.Model(x, make_output(x))


@pytest.mark.parametrize(
    "make_output, task",
    [
        (lambda x: layers.Dense(1, activation="sigmoid", name="out")(x), "binary"),
        (lambda x: layers.Dense(5, activation="softmax", name="out")(x), "multiclass"),
        (lambda x: layers.Softmax(name="out")(layers.Dense(5)(x)), "multiclass"),
        (lambda x: layers.Activation("softmax", name="out")(layers.Dense(5)(x)), "multiclass"),
    ],
    # Raw scores (linear) are asked for, not read: tests/test_models_catalogue.py.
    ids=["sigmoid-1", "softmax-5", "softmax-layer", "activation-layer"],
)
def test_task_read_from_a_raw_keras_output(make_output: Callable[[Any], Any], task: str) -> None:
    model = fn.compile(_raw(make_output))
    assert model.loss == fn.tasks[task].loss


@pytest.mark.parametrize(
    "make_output, culprit",
    [
        (lambda x: layers.Dense(3, activation="sigmoid", name="tags")(x), '"multilabel"'),
        (lambda x: layers.Dense(2, activation="relu", name="tags")(x), "activation relu"),
        (lambda x: layers.Dense(1, activation="softmax", name="tags")(x), "always outputs 1.0"),
    ],
    ids=["sigmoid-3-ambiguous", "relu", "softmax-1"],
)
def test_unknown_task_asks_for_it_by_name(make_output: Callable[[Any], Any], culprit: str) -> None:
    model = _raw(make_output)
    with pytest.raises(fn.FuncnetError, match=r'Output "tags".*tasks=\{"tags": "') as err:
        fn.compile(model)
    assert culprit in str(err.value)
    fn.compile(model, tasks={"tags": "multilabel"})
    assert model.loss == "binary_crossentropy"


def test_loss_and_metrics_given_need_no_task() -> None:
    model = _raw(lambda x: layers.Dense(2, activation="relu", name="tags")(x))
    fn.compile(model, loss={"tags": "mse"}, metrics={"tags": []})
    assert model.loss == "mse"


def test_tasks_argument_changes_a_heads_task() -> None:
    model = fn.compile(s3b(), tasks={"o1": "regression"})
    assert model.loss["o1"] == "mse"


# ---- presets --------------------------------------------------------------------------------


def test_default_preset_keeps_keras_settings() -> None:
    model = fn.compile(s3b())
    assert model.steps_per_execution == 1


def test_fast_preset_on_this_cpu() -> None:
    model = fn.compile(s3b(), preset="fast")
    assert model.steps_per_execution == FAST_STEPS_PER_EXECUTION > 1
    # No GPU on the test machines: XLA stays off on TensorFlow; on JAX it is the fast path.
    assert model.jit_compile is (keras.backend.backend() == "jax")


def test_explicit_compile_arguments_win_over_the_preset() -> None:
    model = fn.compile(s3b(), preset="fast", steps_per_execution=4)
    assert model.steps_per_execution == 4


@pytest.fixture
def scratch_presets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lets a test register presets without leaving them behind for other tests."""
    monkeypatch.setattr(fn.presets, "_items", dict(fn.presets._items))


@pytest.mark.usefixtures("scratch_presets")
def test_users_register_presets() -> None:
    fn.presets.register("tiny-steps", fn.Preset("test", {"steps_per_execution": 3}))
    assert fn.compile(s3b(), preset="tiny-steps").steps_per_execution == 3
    calls = []

    def decided_per_call() -> dict[str, Any]:
        calls.append(1)
        return {"steps_per_execution": 5}

    fn.presets.register("lazy", fn.Preset("decided per call", decided_per_call))
    assert fn.compile(s3b(), preset="lazy").steps_per_execution == 5 and calls == [1]


@pytest.mark.usefixtures("scratch_presets")
@pytest.mark.parametrize(
    "preset, message",
    [
        (
            fn.Preset("typo", {"steps_per_exection": 4}),
            r'preset "bad": Unknown option steps_per_exection=.*"steps_per_execution"',
        ),
    ],
    ids=["misspelled-setting"],
)
def test_bad_registered_preset_is_named(preset: Any, message: str) -> None:
    fn.presets.register("bad", preset)
    with pytest.raises(fn.FuncnetError, match=message):
        fn.compile(s3b(), preset="bad")


def test_registering_something_that_is_not_a_preset_is_refused() -> None:
    with pytest.raises(fn.FuncnetError, match=r'preset registered as "bad" must be a fn.Preset'):
        fn.presets.register("bad", "fast")  # type: ignore[arg-type]
    assert "bad" not in fn.presets


# ---- bad input: every message names the culprit ---------------------------------------------

BAD_COMPILE: dict[str, tuple[dict[str, Any], str]] = {
    "loss-list": (
        {"loss": ["binary_crossentropy"] * 3},
        r"loss must be a dict keyed by output name",
    ),
    "loss-tuple": ({"loss": ("mse", "mse", "mse")}, r"loss must be a dict.*Received: a tuple of 3"),
    "loss-bare-string": (
        {"loss": "mse"},
        r"loss must be a dict keyed by output name for a model with 3",
    ),
    "loss-unknown-key": ({"loss": {"o4": "mse"}}, r'loss: Unknown output "o4".*o1, o2, o3'),
    "loss-near-miss": ({"loss": {"01": "mse"}}, r'loss: Unknown output "01"'),
    "metrics-list": ({"metrics": ["accuracy"]}, r"metrics must be a dict keyed by output name"),
    "metrics-typo": (
        {"metrics": {"o_3": ["accuracy"]}},
        r'metrics: Unknown output "o_3".*Did you mean "o3"',
    ),
    "weights-list": (
        {"loss_weights": [1.0, 2.0, 3.0]},
        r"loss_weights must be a dict.*a list of 3",
    ),
    "weights-typo": (
        {"loss_weights": {"o33": 2.0}},
        r'loss_weights: Unknown output "o33".*Did you mean "o3"',
    ),
    "weights-not-number": (
        {"loss_weights": {"o2": "heavy"}},
        r'loss_weights\["o2"\] must be a number',
    ),
    "weights-bool": ({"loss_weights": {"o2": True}}, r'loss_weights\["o2"\] must be a number'),
    "tasks-unknown-task": (
        {"tasks": {"o1": "binry"}},
        r'tasks\["o1"\]: Unknown task "binry".*Did you mean "binary"',
    ),
    "tasks-unknown-output": ({"tasks": {"o9": "binary"}}, r'tasks: Unknown output "o9"'),
    "tasks-list": ({"tasks": ["binary"]}, r"tasks must be a dict keyed by output name"),
    "preset-typo": ({"preset": "fsat"}, r'preset: Unknown preset "fsat".*Did you mean "fast"'),
    "loss-typo": (
        {"loss": {"o1": "binary_crossentropi"}},
        r'loss\["o1"\]: Keras knows no loss "binary_crossentropi".*mean "binary_crossentropy"',
    ),
    "metric-typo": (
        {"metrics": {"o2": ["acuracy"]}},
        r'metrics\["o2"\]: Keras knows no metric "acuracy".*Did you mean "accuracy"',
    ),
    "compile-option-typo": (
        {"jit_compil": False},
        r'Unknown option jit_compil=.*Did you mean "jit_compile"',
    ),
}


@pytest.mark.parametrize("kwargs, message", BAD_COMPILE.values(), ids=BAD_COMPILE.keys())
def test_bad_compile_input_names_the_culprit(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(fn.FuncnetError, match=message):
        fn.compile(s3b(), **kwargs)


def test_all_problems_of_one_call_are_listed_together() -> None:
    with pytest.raises(fn.FuncnetError, match=r"found 3 problems") as err:
        fn.compile(s3b(), loss=["mse"] * 3, metrics={"o4": "mae"}, loss_weights={"o1": "x"})
    assert len(str(err.value).splitlines()) == 4


def test_not_a_model() -> None:
    with pytest.raises(fn.FuncnetError, match=r"Expected a keras.Model.*Received: 'model'"):
        fn.compile("model")


def test_keras_errors_come_back_with_the_model_name() -> None:
    with pytest.raises(fn.FuncnetError, match=r'Keras could not compile model "functional'):
        fn.compile(s3b(), optimizer="no_such_optimizer")
