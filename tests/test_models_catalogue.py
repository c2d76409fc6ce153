"""Catalogue for real models (issue 11) and the model-side classes of issue 15.

Each row is a mistake a user makes while building, compiling or checking data for a
real architecture; it must raise `FuncnetError` whose message names the user's own
output, input, layer or branch, and points the right way. The silent wrong-loss rows
come first. Behaviour that must stay allowed (or must train the right thing) follows
as plain tests.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest
from keras import layers

import funcnet as fn


def raw(make: Callable[[Any], Any], shape: tuple[int, ...] = (4,)) -> keras.Model:
    x = keras.Input(shape, name="x")
    return keras.Model({"x": x}, make(x))


def vec(**named: Any) -> dict[str, Any]:
    return fn.inputs(**(named or {"x": (4,)}))


def two_heads(metrics: Any = None, **kw: Any) -> Callable[[], Any]:
    """fn.compile on a model with heads "digit" (multiclass, 10) and "odd" (binary)."""

    def go() -> Any:
        x = vec(features=(8,))["features"]
        heads = [fn.head(x, "digit", "multiclass", 10), fn.head(x, "odd", "binary")]
        return fn.compile(fn.model({"features": x}, heads), metrics=metrics, **kw)

    return go


def residual(shape: tuple[Any, ...], branch: Any, **kw: Any) -> Callable[[], Any]:
    return lambda: fn.residual(vec(x=shape)["x"], branch, name="blk", **kw)


def shared_on_two_sizes() -> Any:
    ins = vec(small=(8, 8, 3), large=(16, 16, 3))
    enc = fn.shared([layers.Conv2D(4, 3), layers.Flatten(), layers.Dense(4)], name="encoder")
    fn.stack(ins["small"], enc)
    return fn.stack(ins["large"], enc)


def merged(how: Any, **shapes: tuple[int, ...]) -> Callable[[], Any]:
    def go() -> Any:
        ins = vec(**shapes)
        branches = {k: fn.stack(t, layers.Activation("relu")) for k, t in ins.items()}
        return fn.merge(branches, how)

    return go


def loaded_cce_checked_with_class_ids(tmp: Path) -> Any:
    x = keras.Input((4,), name="x")
    digit = layers.Dense(3, activation="softmax", name="digit")(x)
    model = keras.Model({"x": x}, {"digit": digit})
    model.compile(optimizer="adam", loss={"digit": "categorical_crossentropy"})
    model.save(tmp / "cce.keras")
    loaded = keras.saving.load_model(tmp / "cce.keras")
    return fn.check_data(loaded, {"x": np.zeros((4, 4))}, {"digit": np.array([0, 1, 2, 1])})


CASES: list[Any] = [
    # ---- never a silent wrong loss (issue 11, first) --------------------------------------
    pytest.param(
        lambda _: fn.compile(raw(lambda x: layers.Dense(3, name="mask")(x))),
        r'Output "mask".*raw scores.*tasks=\{"mask": "regression"\} or tasks=\{"mask": '
        r'"multiclass"\}',
        id="logits/raw-dense-output-is-asked-not-regression",
    ),
    pytest.param(
        lambda _: fn.compile(raw(lambda x: layers.Conv2D(3, 1, name="mask")(x), (8, 8, 2))),
        r'Output "mask".*layer "mask" \(Conv2D, activation linear',
        id="logits/raw-1x1-conv-mask-is-asked",
    ),
    pytest.param(
        lambda _: fn.compile(
            raw(lambda x: layers.Dense(1, name="score")(x)), loss={"score": "binary_crossentropy"}
        ),
        r'Output "score".*raw scores.*reads probabilities.*BinaryCrossentropy\(from_logits=True\)',
        id="logits/probability-loss-on-raw-scores",
    ),
    # ---- funcnet's own heads checked like foreign ones (issue 15) -------------------------
    pytest.param(
        lambda _: fn.head(vec()["x"], "digit", "multiclass", 10, activation=None),
        r'Head "digit" \(task "multiclass"\).*raw scores.*logits=True',
        id="head/multiclass-without-activation",
    ),
    pytest.param(
        lambda _: fn.head(vec()["x"], "digit", "multiclass", 10, activation="linear"),
        r'Head "digit".*activation=.linear.*fn.head\(x, "digit", "multiclass", logits=True\)',
        id="head/multiclass-linear",
    ),
    pytest.param(
        lambda _: fn.head(vec()["x"], "flag", "binary", activation="relu"),
        r'Head "flag" \(task "binary"\) was given activation=.relu.*sigmoid',
        id="head/relu-on-binary",
    ),
    pytest.param(
        lambda _: fn.head(vec()["x"], "digit", "multiclass", 10, activation="sigmoid"),
        r'Head "digit".*activation=.sigmoid.*softmax probabilities',
        id="head/sigmoid-on-multiclass",
    ),
    pytest.param(
        lambda _: fn.head(vec()["x"], "digit", "multiclass", 1),
        r'Head "digit" \(task "multiclass"\) has 1 unit.*task "binary"',
        id="head/multiclass-one-unit",
    ),
    pytest.param(
        lambda _: fn.head(vec()["x"], "flags", "binary", 3),
        r'Head "flags" \(task "binary"\) gives 3 values.*"multilabel"',
        id="head/binary-three-units",
    ),
    pytest.param(
        lambda _: fn.head(vec()["x"], "price", "regression", logits=True),
        r'Head "price" \(task "regression"\): logits=True is for classifiers',
        id="head/logits-on-regression",
    ),
    pytest.param(
        lambda _: fn.head(vec()["x"], "digit", "multiclass", 10, logits=True, activation="softmax"),
        r'Head "digit".*logits=True keeps raw scores, but activation=.softmax. was given too',
        id="head/logits-and-an-activation",
    ),
    pytest.param(
        lambda _: fn.head(vec()["x"], "flag", "binary", logits="yes"),
        r'Head "flag": logits must be True or False',
        id="head/logits-not-a-bool",
    ),
    pytest.param(
        lambda _: fn.head(
            vec(x=(8, 8, 2))["x"], "mask", "multiclass", 4, layer=layers.Conv2D(3, 1)
        ),
        r'Head "mask": units=4, but layer= gives 3',
        id="head/layer-width-contradicts-units",
    ),
    pytest.param(
        lambda _: fn.head(vec()["x"], "mask", "multiclass", layer=layers.Dense(3), use_bias=False),
        r'Head "mask": with layer=.*use_bias',
        id="head/layer-with-dense-options",
    ),
    pytest.param(
        lambda _: fn.head(vec(x=(8, 8, 2))["x"], "mask", "multiclass", layer=layers.Conv2D(1, 1)),
        r'Head "mask" \(task "multiclass"\) has 1 unit',
        id="head/layer-per-pixel-softmax-over-one-class",
    ),
    # ---- skips and merges real architectures use ------------------------------------------
    pytest.param(
        lambda _: residual((10,), layers.Dense(6))(),
        r'Residual "blk": the branch changes the width from 10 to 6.*projection=layers.Dense\(6\)',
        id="residual/vector-width-change-not-bridged-silently",
    ),
    pytest.param(
        lambda _: residual(
            (8, 8, 4), [layers.UpSampling2D(2), layers.Conv2D(4, 3, padding="same")]
        )(),
        r'Residual "blk": the branch grows the size.*projection=\[layers.UpSampling2D\(2\), '
        r"layers.Conv2D\(4, 1\)\]",
        id="residual/upsampling-needs-its-projection",
    ),
    pytest.param(
        lambda _: residual((None, None, 3), layers.Conv2D(3, 3, name="shrinks"))(),
        r'Residual "blk": the branch changes the spatial sizes only known at run time.*'
        r'"shrinks" uses padding="valid"',
        id="shapes/residual-over-unknown-sizes-with-valid-padding",
    ),
    pytest.param(
        lambda _: residual((None, 3), layers.Conv1D(3, 5, name="shrinks"))(),
        r'Residual "blk".*run time.*"shrinks"',
        id="shapes/residual-over-variable-length-sequence",
    ),
    pytest.param(
        lambda _: residual((8, 8, 3), [layers.Flatten(), layers.Dense(4, name="bad")])(),
        r'Residual "blk": the branch changes the rank',
        id="residual/rank-change",
    ),
    pytest.param(
        lambda _: residual((6,), [layers.Dense(6), layers.Conv2D(2, 3, name="conv")])(),
        r'Layer "conv" \(item 1 of the branch of residual "blk"\)',
        id="residual/error-names-the-residual-not-fn-stack",
    ),
    pytest.param(
        lambda _: residual((4, 4, 3), layers.Conv2D(3, 3, padding="same"), projection="yes")(),
        r'Residual "blk": projection must be "auto", None, or a Keras layer',
        id="residual/projection-not-a-layer",
    ),
    pytest.param(
        lambda _: fn.stack(vec()["x"], layers.Add(name="plus")),
        r'Layer "plus" \(Add, item 0 of fn.stack\) needs several tensors.*fn.merge',
        id="stack/merge-layer-given-one-tensor",
    ),
    pytest.param(
        lambda _: fn.stack(vec()["x"], layers.Attention(name="att")),
        r'Layer "att" \(Attention.*needs several tensors.*\(layer, context\)',
        id="stack/attention-layer-needing-query-and-value",
    ),
    pytest.param(
        lambda _: fn.stack(vec(x=(3, 4))["x"], (layers.Dense(4, name="d"), vec(c=(3, 4))["c"])),
        r'Layer "d" .*second tensor, but only attention layers take one',
        id="stack/context-for-a-layer-that-is-no-attention",
    ),
    pytest.param(
        lambda _: merged("concat", small=(8, 8, 3), large=(16, 16, 3))(),
        r'fn.merge "concat".*"small": .*"large": .*resize them to one spatial size',
        id="merge/two-image-sizes-told-to-resize-not-flatten",
    ),
    pytest.param(
        lambda _: merged("add", left=(3,), right=(4,))(),
        r'fn.merge "add".*"left": .*\(None, 3\).*"right": .*\(None, 4\)',
        id="merge/messages-use-the-dict-keys",
    ),
    pytest.param(
        lambda _: merged("euclidean", a=(4,), b=(4,), c=(4,))(),
        r'fn.merge\(..., "euclidean"\) takes exactly two tensors.*a, b, c',
        id="merge/distance-of-three",
    ),
    pytest.param(
        lambda _: merged("cosine", a=(4,), b=(5,))(),
        r'fn.merge "cosine" needs the same shape',
        id="merge/distance-of-two-widths",
    ),
    pytest.param(
        lambda _: merged("euclidian", a=(4,), b=(4,))(),
        r'Unknown merge kind "euclidian".*Did you mean "euclidean"',
        id="merge/unknown-kind-did-you-mean",
    ),
    pytest.param(
        lambda _: merged(layers.Add(), a=(3, 3, 2), b=(3, 3, 4))(),
        r'fn.merge "add".*"a": .*"b": .*Conv2D\(n, 1\)',
        id="merge/layer-instance-checked-like-its-kind",
    ),
    pytest.param(
        lambda _: shared_on_two_sizes(),
        r'Shared block "encoder".*input "small".*input "large".*Resize the other input to '
        r"\(8, 8\).*layers.Resizing\(8, 8\)",
        id="shared/two-image-sizes-told-to-resize-not-dense",
    ),
    pytest.param(
        lambda _: two_heads(presets="fast")(),
        r'Unknown option presets=.*Did you mean "preset"',
        id="compile/presets-did-you-mean-preset",
    ),
    # ---- metrics that lie (issue 15, compile side) ---------------------------------------
    pytest.param(
        lambda _: (lambda m: two_heads({"digit": [m], "odd": [m]})())(keras.metrics.AUC()),
        r"one AUC object .* is given to outputs 'digit', 'odd'",
        id="metrics/one-object-for-two-outputs",
    ),
    pytest.param(
        lambda _: two_heads({"digit": ["categorical_accuracy"]})(),
        r'metrics\["digit"\]: "categorical_accuracy" does not fit output "digit", whose loss '
        r'trains on class ids.*"sparse_categorical_accuracy"',
        id="metrics/categorical-accuracy-with-class-ids",
    ),
    pytest.param(
        lambda _: two_heads({"odd": ["sparse_categorical_accuracy"]})(),
        r'metrics\["odd"\]: "sparse_categorical_accuracy" does not fit output "odd".*'
        r'"binary_accuracy"',
        id="metrics/sparse-categorical-accuracy-on-binary",
    ),
    pytest.param(
        lambda _: two_heads({"digit": [keras.metrics.AUC()]})(),
        r'metrics\["digit"\]: "auc" does not fit output "digit"',
        id="metrics/auc-on-multiclass",
    ),
    pytest.param(
        lambda _: two_heads({"digit": keras.metrics.CategoricalAccuracy()})(),
        r'metrics\["digit"\]: "categorical_accuracy" does not fit',
        id="metrics/categorical-accuracy-object-with-class-ids",
    ),
    pytest.param(  # the object's name is Keras's snake case, as its string would be
        lambda _: two_heads({"odd": keras.metrics.SparseTopKCategoricalAccuracy()})(),
        r'metrics\["odd"\]: "sparse_top_k_categorical_accuracy" does not fit output "odd"',
        id="metrics/sparse-top-k-object-on-binary",
    ),
    pytest.param(
        lambda _: two_heads({"digit": keras.metrics.TopKCategoricalAccuracy()})(),
        r'metrics\["digit"\]: "top_k_categorical_accuracy" does not fit output "digit"',
        id="metrics/top-k-object-with-class-ids",
    ),
    # ---- numbers (issue 15, compile side) -------------------------------------------------
    pytest.param(
        lambda _: two_heads(loss_weights={"odd": float("nan")})(),
        r'loss_weights\["odd"\] must be a finite number >= 0.*nan',
        id="numbers/weight-nan",
    ),
    pytest.param(
        lambda _: two_heads(loss_weights={"digit": float("inf")})(),
        r'loss_weights\["digit"\] must be a finite number.*inf',
        id="numbers/weight-inf",
    ),
    pytest.param(
        lambda _: two_heads(loss_weights={"odd": -1.0})(),
        r'loss_weights\["odd"\] must be a finite number >= 0.*-1.0',
        id="numbers/weight-negative",
    ),
    pytest.param(
        lambda _: two_heads(loss_weights={"odd": 0, "digit": 0.0})(),
        r"loss_weights are 0 for every output.*'odd': 0, 'digit': 0.0",
        id="numbers/all-weights-zero",
    ),
    pytest.param(
        lambda _: two_heads(steps_per_execution=0)(),
        r"steps_per_execution must be a whole number >= 1.*steps_per_execution=0",
        id="numbers/steps-per-execution-zero",
    ),
    pytest.param(
        lambda _: two_heads(steps_per_execution=-4)(),
        r"steps_per_execution=-4",
        id="numbers/steps-per-execution-negative",
    ),
    pytest.param(
        lambda _: two_heads(steps_per_execution=2.5)(),
        r"steps_per_execution=2.5",
        id="numbers/steps-per-execution-fractional",
    ),
    # ---- loaded models (issue 15) ---------------------------------------------------------
    pytest.param(
        loaded_cce_checked_with_class_ids,
        r'y\["digit"\] has shape \(4,\), but output "digit" \(multilabel\) takes \(3,\)',
        id="loaded/categorical-crossentropy-wants-one-hot-not-ids",
    ),
]


@pytest.mark.parametrize("make, message", CASES)
def test_models_catalogue(make: Callable[[Path], Any], message: str, tmp_path: Path) -> None:
    with pytest.raises(fn.FuncnetError, match=message):
        make(tmp_path)


# ---- what must train the right thing, or stay allowed --------------------------------


def _linear(units: int) -> keras.Model:
    return raw(lambda x: layers.Dense(units, name="out")(x))


@pytest.mark.parametrize(
    "task, units, loss_class",
    [
        ("multiclass", 5, keras.losses.SparseCategoricalCrossentropy),
        ("binary", 1, keras.losses.BinaryCrossentropy),
        ("multilabel", 3, keras.losses.BinaryCrossentropy),
    ],
    ids=["multiclass", "binary", "multilabel"],
)
def test_declared_classifier_on_raw_scores_trains_from_logits(
    task: str, units: int, loss_class: type
) -> None:
    model = fn.compile(_linear(units), tasks={"out": task})
    assert isinstance(model.loss, loss_class) and model.loss.get_config()["from_logits"]


def test_declared_regression_on_raw_scores_stays_mse() -> None:
    assert fn.compile(_linear(2), tasks={"out": "regression"}).loss == "mse"


def test_logits_head_metrics_read_raw_scores() -> None:
    # sigmoid(0) = 0.5: on raw scores a 0/1 accuracy thresholds at 0, AUC applies the sigmoid.
    x = vec()["x"]
    model = fn.compile(fn.model({"x": x}, fn.head(x, "flag", "binary", logits=True)))
    model.fit({"x": np.ones((4, 4))}, np.array([1, 1, 0, 0]), epochs=1, verbose=0)
    accuracy, auc = (m for m in model.metrics[1].metrics)
    assert accuracy.get_config()["threshold"] == 0.0 and auc.get_config()["from_logits"]


def test_a_deliberate_zero_weight_on_one_output_is_allowed() -> None:
    model = two_heads(loss_weights={"odd": 0.0})()
    assert model.get_compile_config()["loss_weights"] == {"digit": 1.0, "odd": 0.0}


@pytest.mark.parametrize(
    "loss, targets, message",
    [
        (keras.losses.BinaryFocalCrossentropy(), np.array([0, 1, 2, 1]), r"targets must be 0 or 1"),
        (lambda y, p: keras.ops.mean(p), np.array([0, 1, 2, 1]), r"targets must be 0 or 1"),
    ],
    ids=["focal-loss", "custom-loss-function"],
)
def test_a_loss_override_keeps_the_target_checks(loss: Any, targets: Any, message: str) -> None:
    model = two_heads(loss={"odd": loss})()
    x, y = {"features": np.zeros((4, 8))}, {"digit": np.array([0, 1, 2, 3]), "odd": targets}
    with pytest.raises(fn.FuncnetError, match=r'y\["odd"\]: ' + message):
        fn.check_data(model, x, y)


def test_a_loaded_model_compiled_with_categorical_crossentropy_trains_on_one_hot(
    tmp_path: Path,
) -> None:
    x = keras.Input((4,), name="x")
    model = keras.Model({"x": x}, {"digit": layers.Dense(3, "softmax", name="digit")(x)})
    model.compile(optimizer="adam", loss={"digit": "categorical_crossentropy"})
    model.save(tmp_path / "cce.keras")
    loaded = keras.saving.load_model(tmp_path / "cce.keras")
    one_hot = np.eye(3)[[0, 1, 2, 1]]
    history = fn.fit(loaded, {"x": np.ones((4, 4))}, {"digit": one_hot}, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_logits_choice_survives_a_keras_file(tmp_path: Path) -> None:
    x = vec(x=(8, 8, 2))["x"]
    mask = fn.head(x, "mask", "multiclass", layer=layers.Conv2D(3, 1), logits=True)
    fn.model({"x": x}, mask).save(tmp_path / "m.keras")
    loaded = fn.compile(keras.saving.load_model(tmp_path / "m.keras"))
    assert loaded.loss.get_config()["from_logits"]
    assert loaded.get_layer("mask").get_config()["logits"] is True


def test_attention_self_and_cross() -> None:
    ins = vec(words=(6, 8), image=(4, 8))
    mha = layers.MultiHeadAttention(2, 4, name="mha")
    assert fn.stack(ins["words"], mha).shape == (None, 6, 8)
    cross = fn.stack(ins["words"], (layers.MultiHeadAttention(2, 4), ins["image"]))
    assert cross.shape == (None, 6, 8)
    assert fn.stack(ins["words"], (layers.Attention(), ins["image"])).shape == (None, 6, 8)


def test_merge_takes_layer_instances_and_registered_kinds() -> None:
    ins = vec(a=(4,), b=(4,))
    assert fn.merge(ins, layers.Concatenate(name="cat")).shape == (None, 8)
    fn.merges.register("halfway", layers.Average, replace=True)
    try:
        assert fn.merge(ins, "halfway").shape == (None, 4)
    finally:
        fn.merges.unregister("halfway")


@pytest.mark.parametrize("how", ["euclidean", "manhattan", "cosine"])
def test_distances_load_in_safe_mode(how: str, tmp_path: Path) -> None:
    ins = vec(a=(4,), b=(4,))
    model = fn.model(ins, fn.head(fn.merge(ins, how), "same", "binary"))
    model.save(tmp_path / "d.keras")
    loaded = keras.saving.load_model(tmp_path / "d.keras", safe_mode=True)
    x = {"a": np.random.default_rng(0).random((3, 4)), "b": np.ones((3, 4))}
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))


def test_residual_explicit_projection_and_post_norm() -> None:
    x = vec(x=(8, 8, 4))["x"]
    up = [layers.UpSampling2D(2), layers.Conv2D(6, 3, padding="same")]
    y = fn.residual(x, up, projection=[layers.UpSampling2D(2), layers.Conv2D(6, 1)], name="up")
    assert y.shape == (None, 16, 16, 6)
    z = fn.residual(vec(s=(5, 8))["s"], layers.Dense(8), post=layers.LayerNormalization(name="ln"))
    assert z.shape == (None, 5, 8)


def test_upsampling_advice_never_asks_for_same_padding_it_has() -> None:
    with pytest.raises(fn.FuncnetError) as err:
        residual((8, 8, 4), [layers.UpSampling2D(2), layers.Conv2D(4, 3, padding="same")])()
    assert 'padding="same"' not in str(err.value)


# ---- shapes known only at run time: decided at data-check time -----------------------


def _variable_add() -> keras.Model:
    ins = vec(a=(None, 8), b=(None, 8))
    h = fn.stack(fn.merge(ins, "add"), layers.GlobalAveragePooling1D())
    return fn.model(ins, fn.head(h, "y", "binary"))


def _variable_unet_skip() -> keras.Model:
    image = vec(image=(None, None, 3))["image"]
    down = fn.stack(image, layers.Conv2D(4, 3, strides=2, padding="same"))
    up = fn.stack(down, layers.UpSampling2D(2))
    x = fn.stack(fn.merge([image, up], "concat"), layers.GlobalAveragePooling2D())
    return fn.model({"image": image}, fn.head(x, "y", "binary"))


@pytest.mark.parametrize(
    "build, good, bad, message",
    [
        (
            _variable_add,
            {"a": (5, 8), "b": (5, 8)},
            {"a": (5, 8), "b": (7, 8)},
            r'x\["a"\] \(5, 8\), x\["b"\] \(7, 8\) per sample cannot flow.*incompatible',
        ),
        (
            _variable_unet_skip,
            {"image": (8, 8, 3)},
            {"image": (9, 9, 3)},
            r'x\["image"\] \(9, 9, 3\).*at layer "concatenate.*" \(Concatenate\).*'
            r"\(None, 9, 9, 3\); \(None, 10, 10, 4\)",
        ),
    ],
    ids=["add-of-two-lengths", "unet-skip-on-an-odd-size"],
)
def test_sizes_only_the_data_decides_are_checked_with_the_data(
    build: Callable[[], keras.Model], good: dict, bad: dict, message: str
) -> None:
    model = build()
    fn.check_data(model, {k: np.zeros((2, *s)) for k, s in good.items()})
    with pytest.raises(fn.FuncnetError, match=message):
        fn.check_data(model, {k: np.zeros((2, *s)) for k, s in bad.items()})


def _same_metric_twice_for_one_output() -> Any:
    auc = keras.metrics.AUC()
    return two_heads({"odd": [auc, auc]})()


@pytest.mark.parametrize(
    "make, message",
    [
        pytest.param(
            _same_metric_twice_for_one_output,
            r"one AUC object .* is given 2 times to output 'odd'",
            id="metrics/one-object-twice-for-one-output",
        ),
        pytest.param(
            lambda: fn.stack(vec(s=(3, 4))["s"], (layers.MultiHeadAttention(2, 4), "ctx")),
            r"item 0 is \(attention layer, context\), and the context must be a Keras tensor",
            id="stack/attention-context-not-a-tensor",
        ),
        pytest.param(
            lambda: [
                fn.head(x, n, "multiclass", layer=span, logits=True)
                for x in [vec(s=(6, 4))["s"]]
                for span in [[layers.Dense(1, name="score"), layers.Flatten()]]
                for n in ("start", "end")
            ],
            r'Head "end": layer "score" in layer= is already used elsewhere.*fn.shared',
            id="head/layer-reused-by-two-heads-shares-weights",
        ),
        pytest.param(
            lambda: fn.merge(vec(a=(4,), b=(4,)), layers.Dense(3, name="proj")),
            r'Layer "proj" \(fn.merge "Dense"\) cannot take input "a" .*; input "b"',
            id="merge/layer-that-merges-nothing-names-both-branches",
        ),
    ],
)
def test_models_catalogue_trial_findings(make: Callable[[], Any], message: str) -> None:
    with pytest.raises(fn.FuncnetError, match=message):
        make()


def test_summary_and_picture_show_the_task_compile_uses() -> None:
    from funcnet._cli import output_table

    # A raw-Keras softmax output: no funcnet head, yet its task is the one compile infers.
    digit = raw(lambda x: layers.Dense(3, activation="softmax", name="digit")(x))
    assert output_table(digit)[0][:3] == ("digit", "multiclass", "sparse_categorical_crossentropy")
    assert "task: multiclass" in fn.plot(digit).source
    x = vec(s=(6, 4))["s"]
    spans = fn.model(
        {"s": x}, fn.head(x, "start", "multiclass", layer=layers.Flatten(), logits=True)
    )
    assert output_table(spans)[0][1:3] == (
        "multiclass",
        "sparse_categorical_crossentropy (from logits)",
    )
    assert "task: multiclass (logits)" in fn.plot(spans).source
