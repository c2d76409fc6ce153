"""fn.check_data and fn.fit: data matched by name, every problem named, callbacks honest."""

from __future__ import annotations

import warnings
from typing import Any

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import layers

import funcnet as fn

N = 8


def model_under_test() -> keras.Model:
    """Float inputs audio (10,) and video (20,), int tokens (5,); heads of three tasks."""
    ins = fn.inputs(audio=(10,), video=(20,), tokens=((5,), "int32"))
    words = fn.stack(ins["tokens"], [layers.Embedding(50, 4), layers.Flatten()])
    h = fn.merge([ins["audio"], ins["video"], words], "concat")
    heads = [
        fn.head(h, "fake", "binary"),
        fn.head(h, "genre", "multiclass", units=4),
        fn.head(h, "score", "regression", units=2),
    ]
    return fn.model(ins, heads)


def good_x(n: int = N) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    return {
        "audio": rng.random((n, 10), dtype="float32"),
        "video": rng.random((n, 20), dtype="float32"),
        "tokens": rng.integers(0, 50, (n, 5)),
    }


def good_y(n: int = N) -> dict[str, Any]:
    rng = np.random.default_rng(1)
    return {
        "fake": rng.integers(0, 2, (n, 1)),
        "genre": rng.integers(0, 4, (n,)),
        "score": rng.random((n, 2), dtype="float32"),
    }


MODEL = model_under_test()  # checks never train it; building it once keeps the table fast


# ---- what passes, and what comes back ------------------------------------------------------


def test_good_data_comes_back_keyed_by_name_in_declared_order() -> None:
    x, y = good_x(), good_y()
    shuffled_x = {k: x[k] for k in ("tokens", "video", "audio")}
    x_out, y_out = fn.check_data(MODEL, shuffled_x, y)
    assert list(x_out) == ["audio", "video", "tokens"]
    assert y_out is not None and list(y_out) == ["fake", "genre", "score"]
    assert all(isinstance(a, np.ndarray) for a in [*x_out.values(), *y_out.values()])


def test_targets_without_their_trailing_axis_of_one_pass() -> None:
    y = {**good_y(), "fake": np.array([0, 1] * (N // 2)), "genre": np.zeros((N, 1), "int64")}
    assert fn.check_data(MODEL, good_x(), y)[1] is not None


def test_inputs_only() -> None:
    x, y = fn.check_data(MODEL, good_x())
    assert y is None and list(x) == ["audio", "video", "tokens"]


@pytest.mark.parametrize("wrap", [list, tuple])
def test_one_array_in_a_list_for_a_one_input_model(wrap: Any) -> None:
    ins = fn.inputs(a=(3,))
    model = fn.model(ins, fn.head(ins["a"], "price", "regression"))
    x, y = fn.check_data(model, wrap([np.ones((4, 3))]), [1.0, 2.0, 3.0, 4.0])
    assert x["a"].shape == (4, 3) and y is not None and y["price"].shape == (4,)


def test_lists_follow_the_order_of_a_model_built_from_lists() -> None:
    a, b = keras.Input((2,), name="b_second"), keras.Input((3,), name="a_first")
    h = layers.Concatenate()([a, b])
    model = keras.Model([a, b], [layers.Dense(1, name="z")(h), layers.Dense(1, name="y")(h)])
    x, y = fn.check_data(model, [np.ones((4, 2)), np.ones((4, 3))], [np.zeros((4, 1))] * 2)
    assert list(x) == ["b_second", "a_first"] and x["a_first"].shape == (4, 3)
    assert y is not None and list(y) == ["z", "y"]


# ---- bad data: one line per problem, each naming its array ---------------------------------

BAD_DATA: dict[str, tuple[Any, Any, str]] = {
    "x-unknown-key": (
        {**good_x(), "audi": good_x()["audio"]},
        good_y(),
        r'x has an unknown key "audi"; the model\'s inputs are: audio, video, tokens',
    ),
    "x-typo-instead-of-name": (
        {"audoi": good_x()["audio"], "video": good_x()["video"], "tokens": good_x()["tokens"]},
        good_y(),
        r'unknown key "audoi".*Did you mean "audio"',
    ),
    "x-missing": (
        {"audio": good_x()["audio"], "tokens": good_x()["tokens"]},
        good_y(),
        r'x\["video"\] is missing: the model has an input "video" \(\(20,\) per sample\)',
    ),
    "x-list-for-dict-model": (
        list(good_x().values()),
        good_y(),
        r"x is a list of 3 arrays, but the model's inputs are named \(audio, video, tokens\)",
    ),
    "x-one-array": (good_x()["audio"], good_y(), r"x is one array, but the model has 3 inputs"),
    "x-wrong-width": (
        {**good_x(), "video": np.ones((N, 21))},
        good_y(),
        r'x\["video"\] has shape \(8, 21\).*input "video" takes \(20,\) per sample',
    ),
    "x-wrong-rank": (
        {**good_x(), "audio": np.ones((N, 10, 1))},
        good_y(),
        r'x\["audio"\] has shape \(8, 10, 1\)',
    ),
    "x-float-tokens": (
        {**good_x(), "tokens": np.full((N, 5), 3.7)},
        good_y(),
        r'x\["tokens"\] holds float64 values, but input "tokens" takes int32.*truncate',
    ),
    "x-strings": (
        {**good_x(), "audio": np.full((N, 10), "a")},
        good_y(),
        r'x\["audio"\] holds text \(dtype <U1\); input "audio" takes float32',
    ),
    "x-nan": (
        {**good_x(), "video": np.full((N, 20), np.nan)},
        good_y(),
        r'x\["video"\] contains 160 NaN values',
    ),
    "x-fewer-samples": (
        {**good_x(), "video": np.ones((N - 1, 20))},
        good_y(),
        r'x\["video"\] has 7 samples, but the other arrays have 8',
    ),
    "y-fewer-samples": (
        good_x(),
        {**good_y(), "score": np.ones((N + 2, 2))},
        r'y\["score"\] has 10 samples, but the other arrays have 8',
    ),
    "y-unknown-key": (
        good_x(),
        {**good_y(), "scor": np.ones((N, 2))},
        r'y has an unknown key "scor"; the model\'s outputs are: fake, genre, score',
    ),
    "y-missing": (
        good_x(),
        {"fake": good_y()["fake"], "score": good_y()["score"]},
        r'y\["genre"\] is missing: the model has an output "genre"',
    ),
    "y-list-for-dict-model": (
        good_x(),
        list(good_y().values()),
        r'y is a list of 3 arrays.*pass a dict.*y=\{"fake": ..., "genre": ..., "score": ...\}',
    ),
    "y-binary-not-0-1": (
        good_x(),
        {**good_y(), "fake": np.array([[0], [1], [2], [1], [0], [-1], [1], [0]])},
        r'y\["fake"\]: targets must be 0 or 1; found -1, 2',
    ),
    "y-class-id-too-big": (
        good_x(),
        {**good_y(), "genre": np.array([0, 1, 2, 3, 4, 0, 1, 9])},
        r'y\["genre"\]: class ids must lie in \[0, 4\) for 4 units; found 4, 9',
    ),
    "y-negative-class-id": (
        good_x(),
        {**good_y(), "genre": np.array([0, 1, 2, 3, -1, 0, 1, 2])},
        r'y\["genre"\]: class ids must lie in \[0, 4\).*found -1',
    ),
    "y-one-hot-for-ids": (
        good_x(),
        {**good_y(), "genre": np.eye(4)[np.arange(N) % 4]},
        r'y\["genre"\]: targets look one-hot',
    ),
    "y-fractional-class": (
        good_x(),
        {**good_y(), "genre": np.full(N, 1.5)},
        r'y\["genre"\]: targets must be whole class ids; found 1.5',
    ),
    "y-wrong-width": (
        good_x(),
        {**good_y(), "score": np.ones((N, 3))},
        r'y\["score"\] has shape \(8, 3\), but output "score" \(regression\) takes \(2,\)',
    ),
    "y-ids-for-wide-binary": (
        good_x(),
        {**good_y(), "fake": np.ones((N, 4))},
        r'y\["fake"\] has shape \(8, 4\), but output "fake" \(binary\) takes \(1,\)',
    ),
    "y-nan": (
        good_x(),
        {**good_y(), "score": np.full((N, 2), np.nan)},
        r'y\["score"\] contains 16 NaN values',
    ),
    "y-strings": (
        good_x(),
        {**good_y(), "fake": np.array(["yes"] * N)},
        r'y\["fake"\] holds text \(dtype <U3\); targets must be numbers',
    ),
}


@pytest.mark.parametrize("x, y, message", BAD_DATA.values(), ids=BAD_DATA.keys())
def test_bad_data_names_the_culprit(x: Any, y: Any, message: str) -> None:
    with pytest.raises(fn.FuncnetError, match=message):
        fn.check_data(MODEL, x, y)


def test_every_problem_is_one_line_of_one_error() -> None:
    x = {**good_x(), "video": np.ones((N, 21)), "tokens": np.full((N, 5), 0.5)}
    y = {**good_y(), "fake": np.full((N, 1), 3), "genre": np.full(N, 7)}
    with pytest.raises(fn.FuncnetError, match=r"found 4 problems") as err:
        fn.check_data(MODEL, x, y)
    lines = str(err.value).splitlines()[1:]
    assert [line.split()[1] for line in lines] == [
        'x["video"]',
        'x["tokens"]',
        'y["fake"]:',
        'y["genre"]:',
    ]


# ---- fn.fit ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compiled() -> keras.Model:
    return fn.compile(model_under_test())


def test_fit_trains_on_named_data_and_validation(compiled: keras.Model) -> None:
    history = fn.fit(
        compiled, good_x(), good_y(), epochs=1, verbose=0, validation_data=(good_x(), good_y())
    )
    assert {"fake_loss", "genre_loss", "score_loss", "val_genre_loss"} <= set(history.history)


def test_fit_checks_validation_data_too(compiled: keras.Model) -> None:
    bad = (good_x(), {**good_y(), "genre": np.full(N, 4)})
    with pytest.raises(fn.FuncnetError, match=r'validation y\["genre"\]: class ids'):
        fn.fit(compiled, good_x(), good_y(), epochs=1, verbose=0, validation_data=bad)


def test_fit_reports_train_and_validation_problems_together(compiled: keras.Model) -> None:
    with pytest.raises(fn.FuncnetError, match=r"(?s)x\[\"audio\"\].*validation x\[\"audio\"\]"):
        fn.fit(
            compiled,
            {**good_x(), "audio": np.ones((N, 11))},
            good_y(),
            validation_data=({**good_x(), "audio": np.ones((N, 9))}, good_y()),
        )


def test_fit_passes_datasets_to_keras_unchecked(compiled: keras.Model) -> None:
    data = tf.data.Dataset.from_tensor_slices((good_x(), good_y())).batch(4)
    history = fn.fit(compiled, data, epochs=1, verbose=0, shuffle=False)
    assert len(history.history["loss"]) == 1


def test_fit_single_output_list_model_gets_a_bare_array() -> None:
    # A one-output model is given its targets as one array, the form Keras expects.
    x = keras.Input((3,), name="x")
    price = layers.Dense(1, name="price")(x)  # raw scores: its task is asked for (issue 11)
    model = fn.compile(keras.Model([x], [price]), tasks={"price": "regression"})
    history = fn.fit(model, [np.ones((4, 3))], {"price": np.ones((4, 1))}, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_fit_needs_a_compiled_model() -> None:
    with pytest.raises(fn.FuncnetError, match=r'Model "functional.*" is not compiled'):
        fn.fit(model_under_test(), good_x(), good_y())


def test_fit_rejects_unknown_options_by_name(compiled: keras.Model) -> None:
    with pytest.raises(fn.FuncnetError, match=r'Unknown option epoch=.*Did you mean "epochs"'):
        fn.fit(compiled, good_x(), good_y(), epoch=1)


def test_after_a_loss_override_targets_follow_that_loss() -> None:
    # categorical cross-entropy takes one-hot rows, which the multiclass task would refuse.
    model = fn.compile(model_under_test(), loss={"genre": "categorical_crossentropy"})
    onehot = {**good_y(), "genre": np.eye(4)[np.arange(N) % 4]}
    assert fn.check_data(model, good_x(), onehot)[1] is not None


# ---- callbacks that need every batch --------------------------------------------------------


class BatchCounter(keras.callbacks.Callback):
    def __init__(self) -> None:
        super().__init__()
        self.batches = 0

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        self.batches += 1


@pytest.mark.parametrize(
    "callback, needs",
    [
        (BatchCounter(), True),
        (keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: None), True),
        (keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: None), False),
        (keras.callbacks.EarlyStopping(), False),
        (keras.callbacks.TerminateOnNaN(), False),
        (keras.callbacks.ModelCheckpoint("unused.keras"), False),
    ],
    ids=["own-subclass", "lambda-batch", "lambda-epoch", "early-stopping", "nan", "checkpoint"],
)
def test_which_callbacks_need_every_batch(callback: Any, needs: bool) -> None:
    from funcnet._fit import needs_every_batch

    assert needs_every_batch(callback) is needs


def test_fast_fit_with_a_per_batch_callback_runs_every_batch_and_says_why() -> None:
    model = fn.compile(model_under_test(), preset="fast")
    counter = BatchCounter()
    with pytest.warns(UserWarning, match=r"callback BatchCounter acts on every batch.*32 batches"):
        fn.fit(
            model, good_x(40), good_y(40), batch_size=4, epochs=1, verbose=0, callbacks=[counter]
        )
    assert counter.batches == 10
    assert model.steps_per_execution == 32  # the model keeps its fast setting


def test_fast_fit_with_keras_callbacks_keeps_many_batches_per_call() -> None:
    model = fn.compile(model_under_test(), preset="fast")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        fn.fit(
            model,
            good_x(),
            good_y(),
            epochs=1,
            verbose=0,
            callbacks=[keras.callbacks.EarlyStopping(monitor="loss")],
        )
