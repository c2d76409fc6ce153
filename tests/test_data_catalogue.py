"""Issue 15, the data side: integer inputs, weights by name, empty data, meaningless numbers.

One row per mistake, each asserting the `FuncnetError` names the culprit; then the right
behaviour for what must keep working (np.int64 epochs, a deliberate zero weight, class
weights keyed by output name on a model with several outputs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import pytest
from keras import layers

import funcnet as fn

N = 8


def build() -> keras.Model:
    """Token ids into an Embedding(20), a uint8 count, a bool flag, a table; three heads."""
    ins = fn.inputs(
        tokens=((4,), "int32"),
        count=((), "uint8"),
        flag=((), "bool"),
        table=(3,),
        kind=((), "int32"),
    )
    words = fn.stack(ins["tokens"], [layers.Embedding(20, 2, name="words"), layers.Flatten()])
    kinds = fn.stack(ins["kind"], layers.CategoryEncoding(5, output_mode="one_hot", name="kinds"))
    count = fn.stack(ins["count"], layers.Reshape((1,)))
    flag = fn.stack(ins["flag"], [layers.Reshape((1,))])
    h = fn.merge([words, kinds, count, flag, ins["table"]], "concat")
    heads = [
        fn.head(h, "digit", "multiclass", units=3),
        fn.head(h, "odd", "binary"),
        fn.head(h, "size", "regression"),
    ]
    return fn.compile(fn.model(ins, heads, name="catalogue"))


def xs(n: int = N, **changes: Any) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    x = {
        "tokens": rng.integers(0, 20, (n, 4)),
        "count": rng.integers(0, 255, n).astype("uint8"),
        "flag": rng.integers(0, 2, n).astype(bool),
        "table": rng.random((n, 3), dtype="float32"),
        "kind": rng.integers(0, 5, n),
    }
    return {**x, **changes}


def ys(n: int = N, **changes: Any) -> dict[str, Any]:
    rng = np.random.default_rng(1)
    y = {
        "digit": rng.integers(0, 3, n),
        "odd": rng.integers(0, 2, (n, 1)),
        "size": rng.random(n, dtype="float32"),
    }
    return {**y, **changes}


MODEL = build()


def fit(x: Any = None, y: Any = None, **kwargs: Any) -> Any:
    """fn.fit on the catalogue model with good data unless told otherwise."""
    x = xs() if x is None else x
    y = ys() if y is None else y
    return fn.fit(MODEL, x, y, verbose=0, **kwargs)


def one_output() -> keras.Model:
    ins = fn.inputs(a=(3,))
    return fn.compile(fn.model(ins, fn.head(ins["a"], "digit", "multiclass", units=3)))


ONE = one_output()
ONE_X, ONE_Y = {"a": np.ones((N, 3), "float32")}, np.arange(N) % 3

BAD: dict[str, tuple[Callable[[], Any], str]] = {
    # -- integer inputs: ids, dtypes, flags
    "int/token-id-negative": (
        lambda: fit(xs(tokens=np.full((N, 4), -1))),
        r'x\["tokens"\] holds ids from -1 to -1, but input "tokens" feeds Embedding "words" '
        r"with input_dim=20: ids must lie in \[0, 20\)",
    ),
    "int/token-id-equal-to-input-dim": (
        lambda: fit(xs(tokens=np.full((N, 4), 20))),
        r'x\["tokens"\] holds ids from 20 to 20.*Embedding "words" with input_dim=20',
    ),
    "int/token-id-far-beyond-input-dim": (
        lambda: fit(xs(tokens=np.arange(N * 4).reshape(N, 4))),
        r'x\["tokens"\] holds ids from 0 to 31.*must lie in \[0, 20\)',
    ),
    "int/category-beyond-num-tokens": (
        lambda: fit(xs(kind=np.full(N, 5))),
        r'x\["kind"\] holds ids from 5 to 5.*CategoryEncoding "kinds" with num_tokens=5',
    ),
    "int/uint8-overflow": (
        lambda: fit(xs(count=np.full(N, 300))),
        r'x\["count"\] holds values from 300 to 300, but input "count" takes uint8 \(0 to 255\).*'
        r"wrap them around",
    ),
    "int/uint8-negative": (
        lambda: fit(xs(count=np.full(N, -3))),
        r'x\["count"\] holds values from -3 to -3, but input "count" takes uint8',
    ),
    "int/floats-for-token-ids": (
        lambda: fit(xs(tokens=np.full((N, 4), 2.5))),
        r'x\["tokens"\] holds float64 values, but input "tokens" takes int32.*truncate',
    ),
    "int/floats-for-uint8": (
        lambda: fit(xs(count=np.full(N, 3.0))),
        r'x\["count"\] holds float64 values, but input "count" takes uint8',
    ),
    "int/floats-for-a-bool-input": (
        lambda: fit(xs(flag=np.full(N, 0.3))),
        r'x\["flag"\] holds float64 values, but input "flag" takes bool.*non-zero value True',
    ),
    "int/counts-for-a-bool-input": (
        lambda: fit(xs(flag=np.full(N, 2))),
        r'x\["flag"\] holds values from 2 to 2, but input "flag" takes bool: only 0 and 1',
    ),
    "int/validation-token-ids-checked-too": (
        lambda: fit(validation_data=(xs(tokens=np.full((N, 4), 99)), ys())),
        r'validation x\["tokens"\] holds ids from 99 to 99',
    ),
    # -- class_weight and sample_weight keyed by output name
    "weights/class-weight-unknown-output": (
        lambda: fit(class_weight={"digt": {0: 1.0}}),
        r'class_weight has an unknown key "digt".*Did you mean "digit"',
    ),
    "weights/class-weight-string-keys-from-json": (
        lambda: fit(class_weight={"digit": {"0": 1.0, "1": 2.0, "2": 1.0}}),
        r'class_weight\["digit"\] has string class keys \("0", as JSON gives them\).*int\(k\)',
    ),
    "weights/class-weight-bare-string-keys-one-output": (
        lambda: fn.fit(ONE, ONE_X, ONE_Y, class_weight={"0": 1.0, "2": 3.0}, verbose=0),
        r'class_weight\["digit"\] has string class keys \("0"',
    ),
    "weights/class-that-does-not-exist": (
        lambda: fit(class_weight={"digit": {0: 1.0, 3: 2.0}}),
        r'class_weight\["digit"\] weighs class 3, but the output has classes 0 to 2',
    ),
    "weights/binary-class-2": (
        lambda: fit(class_weight={"odd": {2: 2.0}}),
        r'class_weight\["odd"\] weighs class 2, but the output has classes 0 to 1',
    ),
    "weights/class-weight-on-regression": (
        lambda: fit(class_weight={"size": {0: 2.0}}),
        r'class_weight\["size"\]: class weights need class ids, but this is a regression output',
    ),
    "weights/bare-class-dict-several-outputs": (
        lambda: fit(class_weight={0: 1.0, 1: 3.0}),
        r"class_weight \{0: 1.0, 1: 3.0\} does not say which output.*digit, odd, size.*"
        r'class_weight=\{"digit": \{0: 1.0, 1: 3.0\}\}',
    ),
    "weights/class-weight-nan": (
        lambda: fit(class_weight={"odd": {0: 1.0, 1: float("nan")}}),
        r'class_weight\["odd"\]\[1\] must be a finite number >= 0. Received: nan',
    ),
    "weights/class-weight-negative": (
        lambda: fit(class_weight={"odd": {1: -2.0}}),
        r'class_weight\["odd"\]\[1\] must be a finite number >= 0',
    ),
    "weights/class-weight-not-a-dict": (
        lambda: fit(class_weight=[1.0, 2.0]),
        r"class_weight must be a dict of class id to weight, keyed by output name",
    ),
    "weights/sample-weight-unknown-output": (
        lambda: fit(sample_weight={"sise": np.ones(N)}),
        r'sample_weight has an unknown key "sise".*Did you mean "size"',
    ),
    "weights/sample-weight-wrong-length": (
        lambda: fit(sample_weight={"size": np.ones(N - 1)}),
        r'sample_weight\["size"\] has shape \(7,\); expected one weight per sample: \(8,\)',
    ),
    "weights/sample-weight-nan": (
        lambda: fit(sample_weight={"odd": np.full(N, np.nan)}),
        r'sample_weight\["odd"\] contains 8 NaN or infinite weights',
    ),
    "weights/sample-weight-one-array-inf": (
        lambda: fit(sample_weight=np.array([np.inf] + [1.0] * (N - 1))),
        r"sample_weight contains 1 NaN or infinite weights",
    ),
    "weights/sample-weight-negative": (
        lambda: fit(sample_weight={"digit": -np.ones(N)}),
        r'sample_weight\["digit"\] contains negative weights \(-1\)',
    ),
    "weights/sample-weight-text": (
        lambda: fit(sample_weight={"digit": ["heavy"] * N}),
        r'sample_weight\["digit"\] must hold numbers, one weight per sample',
    ),
    "weights/validation-sample-weight-nan": (
        lambda: fit(validation_data=(xs(), ys(), {"odd": np.full(N, np.nan)})),
        r'validation sample_weight\["odd"\] contains 8 NaN or infinite weights',
    ),
    "weights/validation-sample-weight-unknown-output": (
        lambda: fit(validation_data=(xs(), ys(), {"od": np.ones(N)})),
        r'validation sample_weight has an unknown key "od".*Did you mean "odd"',
    ),
    "weights/dataset-class-weight-several-outputs": (
        lambda: fn.fit(MODEL, _many_ds(), class_weight={"odd": {1: 2.0}}, verbose=0),
        r"class_weight for a model with several outputs \(digit, odd, size\) works with arrays",
    ),
    "weights/dataset-class-weight-string-keys": (
        lambda: fn.fit(ONE, _ds(), class_weight={"digit": {"1": 2.0}}, verbose=0),
        r'class_weight\["digit"\] has string class keys',
    ),
    # -- empty or missing data
    "empty/zero-rows": (
        lambda: fit(xs(0), ys(0)),
        r'every array has 0 samples \(no rows\): x\["tokens"\]',
    ),
    "empty/one-input-zero-rows": (
        lambda: fit(xs(table=np.ones((0, 3)))),
        r'x\["table"\] has 0 samples \(no rows\)',
    ),
    "empty/validation-set": (
        lambda: fit(validation_data=(xs(0), ys(0))),
        r'every array has 0 samples \(no rows\): validation x\["tokens"\]',
    ),
    "empty/targets-forgotten": (
        lambda: fn.fit(MODEL, xs(), verbose=0),
        r'y is missing: training needs targets for the model\'s outputs, y=\{"digit": ..., "odd"',
    ),
    "empty/validation-split-leaves-nothing": (
        lambda: fit(validation_split=0.01),
        r"validation_split=0.01 of 8 samples leaves the validation part empty",
    ),
    "empty/validation-data-one-item": (
        lambda: fit(validation_data=(xs(),)),
        r"validation_data must be \(x_val, y_val\).*Received: a tuple of 1 items",
    ),
    # -- numbers that make training meaningless
    "numbers/inf-in-inputs": (
        lambda: fit(xs(table=np.full((N, 3), np.inf))),
        r'x\["table"\] contains 24 infinite values \(inf\)',
    ),
    "numbers/inf-in-targets": (
        lambda: fit(y=ys(size=np.full(N, -np.inf))),
        r'y\["size"\] contains 8 infinite values',
    ),
    "numbers/complex-values": (
        lambda: fit(xs(table=np.ones((N, 3)) * 1j)),
        r'x\["table"\] holds complex128 values; input "table" takes float32',
    ),
    "numbers/epochs-none": (lambda: fit(epochs=None), r"epochs=None"),
    "numbers/validation-split-above-one": (
        lambda: fit(validation_split=1.5),
        r"validation_split must be a fraction inside \(0, 1\).*validation_split=1.5",
    ),
    "numbers/validation-split-one": (
        lambda: fit(validation_split=1),
        r"validation_split must be a fraction inside \(0, 1\).*validation_split=1\.",
    ),
    "numbers/validation-split-negative": (
        lambda: fit(validation_split=-0.2),
        r"validation_split=-0.2",
    ),
    "numbers/validation-split-text": (
        lambda: fit(validation_split="0.2"),
        r"validation_split='0.2'",
    ),
    "numbers/validation-split-and-data": (
        lambda: fit(validation_split=0.5, validation_data=(xs(), ys())),
        r"validation_split and validation_data are both given",
    ),
    "numbers/batch-size-zero": (
        lambda: fit(batch_size=0),
        r"batch_size must be a whole number of at least 1. Received: batch_size=0",
    ),
    "numbers/batch-size-negative": (lambda: fit(batch_size=-4), r"batch_size=-4"),
    "numbers/batch-size-fraction": (lambda: fit(batch_size=2.5), r"batch_size=2.5"),
    "numbers/batch-size-text": (lambda: fit(batch_size="32"), r"batch_size='32'"),
    "numbers/batch-size-bool": (lambda: fit(batch_size=True), r"batch_size=True"),
    "numbers/epochs-negative": (
        lambda: fit(epochs=-1),
        r"epochs must be a whole number of at least 1. Received: epochs=-1",
    ),
    "numbers/epochs-zero": (lambda: fit(epochs=0), r"epochs=0"),
    "numbers/epochs-fraction": (lambda: fit(epochs=1.5), r"epochs=1.5"),
    "numbers/epochs-not-past-initial-epoch": (
        lambda: fit(epochs=2, initial_epoch=3),
        r"epochs=2 with initial_epoch=3 trains nothing.*Pass epochs=5",
    ),
    "numbers/options-checked-for-datasets-too": (
        lambda: fn.fit(ONE, _ds(), batch_size=0, verbose=0),
        r"batch_size=0",
    ),
}


def _many_ds() -> Any:
    import tensorflow as tf

    return tf.data.Dataset.from_tensor_slices((xs(), ys())).batch(4)


def _ds() -> Any:
    import tensorflow as tf

    return tf.data.Dataset.from_tensor_slices((ONE_X, ONE_Y)).batch(4)


@pytest.mark.parametrize("call, message", BAD.values(), ids=BAD.keys())
def test_bad_fit_data_names_the_culprit(call: Callable[[], Any], message: str) -> None:
    with pytest.raises(fn.FuncnetError, match=message):
        call()


# ---- what must keep working -----------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"epochs": np.int64(2), "batch_size": np.int32(4)},
        {"epochs": 2.0, "batch_size": 4.0},
        {"epochs": 2, "validation_split": 0.25},
        {"epochs": 3, "initial_epoch": 1},
    ],
    ids=["numpy-ints", "whole-floats", "validation-split", "initial-epoch"],
)
def test_whole_numbers_of_any_type_train(options: dict[str, Any]) -> None:
    history = fit(**options)
    assert len(history.history["loss"]) == 2


def test_class_weights_by_output_name_weigh_that_output_only() -> None:
    # Weight 0 for every class of "odd" removes its loss; the others train as usual.
    history = fit(class_weight={"odd": {0: 0.0, 1: 0.0}})
    assert history.history["odd_loss"][0] == 0.0
    assert history.history["digit_loss"][0] > 0.0


def test_sample_weight_for_some_outputs_leaves_the_others_at_one() -> None:
    zero = fit(sample_weight={"size": np.zeros(N)}).history
    assert zero["size_loss"][0] == 0.0 and zero["digit_loss"][0] > 0.0


def test_validation_sample_weight_by_output_name() -> None:
    # Weight 0 on every validation sample of "size" makes its validation loss 0.
    history = fit(validation_data=(xs(), ys(), {"size": np.zeros(N)})).history
    assert history["val_size_loss"][0] == 0.0 and history["val_digit_loss"][0] > 0.0


def test_dataset_class_weight_by_the_one_output_name_matches_keras() -> None:
    weights = {0: 1.0, 1: 4.0, 2: 0.5}
    keras.utils.set_random_seed(0)
    ours = fn.fit(one_output(), _ds(), class_weight={"digit": weights}, verbose=0)
    keras.utils.set_random_seed(0)
    theirs = one_output().fit(_ds(), class_weight=weights, verbose=0)
    np.testing.assert_allclose(ours.history["loss"], theirs.history["loss"], rtol=1e-6)


def test_class_and_sample_weights_multiply() -> None:
    from funcnet._weights import weight_problems

    y = {"odd": np.array([0, 1, 1, 0])}
    problems, weights = weight_problems(
        y,
        {"odd": keras.KerasTensor((None, 1))},
        {"odd": "binary"},
        {"class_weight": {"odd": {1: 3.0}}, "sample_weight": {"odd": np.array([1, 2, 1, 0.5])}},
    )
    assert not problems and weights is not None
    np.testing.assert_allclose(weights["odd"], [1.0, 6.0, 3.0, 0.5])


def test_one_output_class_weight_matches_keras() -> None:
    weights = {0: 1.0, 1: 4.0, 2: 0.5}
    keras.utils.set_random_seed(0)
    ours = fn.fit(one_output(), ONE_X, ONE_Y, class_weight=weights, verbose=0, shuffle=False)
    keras.utils.set_random_seed(0)
    theirs = one_output().fit(ONE_X, ONE_Y, class_weight=weights, verbose=0, shuffle=False)
    np.testing.assert_allclose(ours.history["loss"], theirs.history["loss"], rtol=1e-6)


def test_a_later_fit_may_give_targets_of_another_rank() -> None:
    model = one_output_binary()
    fn.fit(model, ONE_X, np.zeros((N, 1)), verbose=0)
    assert np.isfinite(fn.fit(model, ONE_X, np.zeros(N), verbose=0).history["loss"][0])


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="the traced training step that keeps the first fit's rank is TensorFlow's",
)
def test_canary_keras_fails_on_a_later_fit_with_targets_of_another_rank() -> None:
    # fn.fit gives Keras one rank per output; when Keras copes, _one_rank can go.
    model = one_output_binary()
    model.fit(ONE_X, np.zeros((N, 1)), verbose=0)
    with pytest.raises(ValueError, match="unknown rank"):
        model.fit(ONE_X, np.zeros(N), verbose=0)


def one_output_binary() -> keras.Model:
    ins = fn.inputs(a=(3,))
    return fn.compile(fn.model(ins, fn.head(ins["a"], "odd", "binary")))


def test_raw_keras_trains_silently_on_what_fn_fit_refuses() -> None:
    # The reason for the rows above: Keras returns an empty history or a NaN loss.
    model = one_output()
    assert model.fit(ONE_X, ONE_Y, epochs=-1, verbose=0).history == {}
    nan = model.fit(ONE_X, ONE_Y, sample_weight=np.full(N, np.nan), verbose=0)
    assert np.isnan(nan.history["loss"][0])
