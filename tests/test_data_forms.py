"""Issue 12: data as users have it (scalar and string columns, DataFrames, tf.data, PyDataset).

Each good form trains through `fn.fit`; each bad one is refused before the first step by one
`FuncnetError` line that names the input or output. String inputs need TensorFlow's string
tensors inside the model, so the tests that feed text skip under other backends.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf
from keras import layers

import funcnet as fn

N = 16
TF_ONLY = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="string inputs run inside the model only on the TensorFlow backend",
)
CITIES = ["Oslo", "Rome", "Lima"]


def columns_model() -> keras.Model:
    """A structured-data model: number, text and integer columns; two heads."""
    ins = fn.inputs(age=(), income=(), city=((), "string"), rooms=((), "int64"))
    age = layers.Normalization(axis=None, mean=45.0, variance=100.0)
    parts = [
        fn.stack(ins["age"], age),
        fn.stack(ins["income"], layers.Discretization([1.0, 2.0], output_mode="one_hot")),
        fn.stack(ins["city"], layers.StringLookup(vocabulary=CITIES, output_mode="one_hot")),
        fn.stack(ins["rooms"], layers.IntegerLookup(vocabulary=[1, 2, 3], output_mode="one_hot")),
        fn.stack(ins["city"], [layers.Hashing(8), layers.CategoryEncoding(8, "one_hot")]),
    ]
    h = fn.stack(fn.merge(parts, "concat"), layers.Dense(8, activation="relu"))
    heads = [fn.head(h, "expensive", "binary"), fn.head(h, "price", "regression")]
    return fn.compile(fn.model(ins, heads, name="houses"))


def frame(n: int = N) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "age": rng.integers(20, 70, n).astype("float64"),
            "income": rng.random(n) * 3,
            "city": rng.choice(CITIES, n),
            "rooms": rng.integers(1, 4, n),
        }
    )


def targets(n: int = N) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame({"expensive": rng.integers(0, 2, n), "price": rng.random(n)})


def arrays(n: int = N) -> dict[str, np.ndarray]:
    return {name: column.to_numpy() for name, column in frame(n).items()}


def vector_model() -> keras.Model:
    """Numbers only (runs on every backend): a (3,) table, int tokens, one head."""
    ins = fn.inputs(table=(3,), tokens=((4,), "int32"))
    words = fn.stack(ins["tokens"], [layers.Embedding(20, 2), layers.Flatten()])
    h = fn.merge([ins["table"], words], "concat")
    return fn.compile(fn.model(ins, fn.head(h, "digit", "multiclass", units=3), name="vec"))


def vector_data(n: int = N) -> tuple[dict[str, np.ndarray], np.ndarray]:
    rng = np.random.default_rng(2)
    x = {"table": rng.random((n, 3), dtype="float32"), "tokens": rng.integers(0, 20, (n, 4))}
    return x, rng.integers(0, 3, n)


def dataset(x: Any, y: Any = None, batch: int | None = 4) -> tf.data.Dataset:
    data = tf.data.Dataset.from_tensor_slices(x if y is None else (x, y))
    return data.batch(batch) if batch else data


class Batches(keras.utils.PyDataset):
    """A PyDataset over arrays, batch by batch (targets optional)."""

    def __init__(self, x: dict[str, Any], y: Any = None, batch: int = 4) -> None:
        super().__init__()
        self.x, self.y, self.batch = x, y, batch

    def __len__(self) -> int:
        return len(next(iter(self.x.values()))) // self.batch

    def __getitem__(self, i: int) -> Any:
        part = slice(i * self.batch, (i + 1) * self.batch)
        x = {k: v[part] for k, v in self.x.items()}
        if self.y is None:
            return x
        y = {k: v[part] for k, v in self.y.items()} if isinstance(self.y, dict) else self.y[part]
        return x, y


COLUMNS = columns_model()
VECTOR = vector_model()


# ---- inputs: scalar and string inputs, preprocessing layers in fn.stack ---------------------


def test_scalar_and_string_inputs_are_first_class() -> None:
    ins = fn.inputs(age=(), city=((), "string"), flag=((), "bool"))
    assert [(tuple(t.shape), t.dtype) for t in ins.values()] == [
        ((None,), "float32"),
        ((None,), "string"),
        ((None,), "bool"),
    ]


def test_scalar_branches_concatenate_per_sample() -> None:
    # Along the batch axis, the only one a (None,) tensor has, concat would mix samples.
    ins = fn.inputs(age=(), income=())
    h = fn.merge([ins["age"], ins["income"]], "concat")
    model = fn.compile(fn.model(ins, fn.head(h, "price", "regression")))
    x = {"age": np.array([1.0, 2.0, 3.0]), "income": np.array([10.0, 20.0, 30.0])}
    assert tuple(h.shape) == (None, 2)
    np.testing.assert_allclose(keras.Model(ins, h).predict(x, verbose=0)[1], [2.0, 20.0])
    assert model.predict(x, verbose=0).shape == (3, 1)


def test_a_layer_that_loses_the_batch_axis_is_named() -> None:
    city = fn.inputs(city=((), "string"))["city"]
    with pytest.raises(fn.FuncnetError, match=r'Layer "hash" .*returned shape \(8,\).*batch axis'):
        fn.stack(city, layers.Hashing(8, output_mode="one_hot", name="hash"))


def test_canary_keras_hashing_drops_the_batch_axis_of_scalar_inputs() -> None:
    # funcnet's check above works around this; when Keras fixes it, the check can go.
    out = layers.Hashing(8, output_mode="one_hot")(keras.Input((), dtype="string"))
    assert tuple(out.shape) == (8,)


# ---- good forms train ---------------------------------------------------------------------

GOOD_COLUMNS: dict[str, Callable[[], tuple[Any, Any]]] = {
    "numpy-unicode": lambda: (arrays(), dict(targets())),
    "numpy-object-str": lambda: ({**arrays(), "city": arrays()["city"].astype(object)}, targets()),
    "numpy-bytes": lambda: ({**arrays(), "city": arrays()["city"].astype("S")}, targets()),
    "tf-constant-strings": lambda: ({**arrays(), "city": tf.constant(arrays()["city"])}, targets()),
    "mixed-dict-list-tensor-series": lambda: (
        {**arrays(), "city": list(arrays()["city"]), "age": tf.constant(arrays()["age"])},
        {"expensive": targets()["expensive"], "price": targets()["price"].to_numpy()},
    ),
    "dataframe-x-and-y": lambda: (frame(), targets()),
    "dataframe-string-dtype": lambda: (frame().astype({"city": "string"}), targets()),
    "dataframe-category-dtype": lambda: (frame().astype({"city": "category"}), targets()),
    "dataframe-int-categories": lambda: (frame().astype({"rooms": "category"}), targets()),
}


@TF_ONLY
@pytest.mark.parametrize("make", GOOD_COLUMNS.values(), ids=GOOD_COLUMNS.keys())
def test_good_column_forms_train(make: Callable[[], tuple[Any, Any]]) -> None:
    x, y = make()
    history = fn.fit(COLUMNS, x, y, epochs=1, batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"][0])


@TF_ONLY
def test_text_reaches_keras_as_object_str_and_tensors_as_given() -> None:
    x, _ = fn.check_data(COLUMNS, {**arrays(), "city": arrays()["city"].astype("S")})
    assert x["city"].dtype == object and x["city"][0] in CITIES
    tensor = tf.constant(arrays()["city"])
    assert fn.check_data(COLUMNS, {**arrays(), "city": tensor})[0]["city"] is tensor


def test_several_columns_feed_one_vector_input() -> None:
    df = pd.DataFrame(np.random.default_rng(0).random((N, 3)), columns=["a", "b", "c"])
    x, y = vector_data()
    checked, _ = fn.check_data(VECTOR, {"table": df[["a", "b", "c"]], "tokens": x["tokens"]}, y)
    assert checked["table"].shape == (N, 3)
    history = fn.fit(VECTOR, {"table": df, "tokens": x["tokens"]}, y, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def unknown_shapes() -> tf.data.Dataset:
    x, y = vector_data()
    spec = (
        {"table": tf.TensorSpec(None, "float32"), "tokens": tf.TensorSpec(None, "int64")},
        tf.TensorSpec(None, "int64"),
    )
    batches = lambda: ((x, y) for _ in range(1))  # noqa: E731 - one batch of all rows
    return tf.data.Dataset.from_generator(batches, output_signature=spec)


GOOD_STREAMS: dict[str, Callable[[], Any]] = {
    "dataset": lambda: dataset(*vector_data()),
    "dataset-targets-keyed-by-the-one-output": lambda: dataset(
        vector_data()[0], {"digit": vector_data()[1]}
    ),
    "pydataset": lambda: Batches(*vector_data()),
    "pydataset-targets-keyed-by-the-one-output": lambda: Batches(
        vector_data()[0], {"digit": vector_data()[1]}
    ),
}


@pytest.mark.parametrize("make", GOOD_STREAMS.values(), ids=GOOD_STREAMS.keys())
def test_good_streams_train(make: Callable[[], Any]) -> None:
    history = fn.fit(VECTOR, make(), epochs=1, verbose=0, validation_data=make())
    assert np.isfinite(history.history["loss"][0]) and "val_loss" in history.history


def test_raw_keras_fails_on_targets_keyed_by_the_one_output() -> None:
    # What fn.fit closes: Keras's own message names nothing useful (TensorFlow: "Expected
    # float32, but got digit of type 'str'"; JAX: "could not convert string to float").
    data = dataset(vector_data()[0], {"digit": vector_data()[1]})
    with pytest.raises((TypeError, ValueError), match="digit"):
        VECTOR.fit(data, epochs=1, verbose=0)


@TF_ONLY
def test_string_dataset_of_columns_trains() -> None:
    data = dataset(dict(frame()), dict(targets()))
    history = fn.fit(COLUMNS, data, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


# ---- bad data, by form: each names the culprit -----------------------------------------------


def renamed(df: pd.DataFrame, **names: str) -> pd.DataFrame:
    return df.rename(columns=names)


def with_column(df: pd.DataFrame, name: str, values: Any) -> pd.DataFrame:
    df = df.copy()
    df[name] = values
    return df


BAD: dict[str, tuple[Callable[[], Any], str]] = {
    # DataFrames as x and y
    "frame/misspelled-column": (
        lambda: fn.check_data(COLUMNS, renamed(frame(), city="cty")),
        r'x has an unknown column "cty".*Did you mean "city"',
    ),
    "frame/missing-column": (
        lambda: fn.check_data(COLUMNS, frame().drop(columns="rooms")),
        r'x\["rooms"\] is missing: the model has an input "rooms"',
    ),
    "frame/extra-column-the-targets": (
        lambda: fn.check_data(COLUMNS, with_column(frame(), "price", 1.0)),
        r'x has an unknown column "price"; the model\'s inputs are: age, income, city, rooms',
    ),
    "frame/floats-for-a-string-input": (
        lambda: fn.check_data(COLUMNS, with_column(frame(), "city", 1.5)),
        r'x\["city"\] holds float64 values, but input "city" takes text',
    ),
    "frame/strings-for-a-number-input": (
        lambda: fn.check_data(COLUMNS, with_column(frame(), "age", "forty")),
        r'x\["age"\] holds text \(dtype object\); input "age" takes float32',
    ),
    "frame/missing-text-values": (
        lambda: fn.check_data(COLUMNS, with_column(frame(), "city", [None] * 2 + CITIES[:1] * 14)),
        r'x\["city"\] holds 2 missing value\(s\) \(None or NaN\); input "city" takes text.*fillna',
    ),
    "frame/nullable-ints-with-na": (
        lambda: fn.check_data(COLUMNS, with_column(frame(), "rooms", pd.array([1, None] * 8))),
        r'x\["rooms"\] holds 8 missing values \(NaN\); input "rooms" takes int64',
    ),
    "frame/dates-for-a-number": (
        lambda: fn.check_data(
            COLUMNS, with_column(frame(), "age", pd.date_range("2020", periods=N))
        ),
        r'x\["age"\] holds datetime64\[\w+\] values; input "age" takes float32',
    ),
    "frame/nullable-booleans-with-na": (
        lambda: fn.check_data(
            COLUMNS, {**arrays(), "income": pd.array([True, None] * 8, "boolean")}
        ),
        r'x\["income"\] holds 8 missing value\(s\)',
    ),
    "frame/vector-input-not-a-column": (
        lambda: fn.check_data(VECTOR, pd.DataFrame({"a": [1.0], "tokens": [1]})),
        r'x\["table"\] is missing.*\(3,\) per sample.*pass a dict: \{"table": df\[\[...\]\]',
    ),
    "frame/too-few-columns-for-a-vector": (
        lambda: fn.check_data(VECTOR, {**vector_data()[0], "table": frame()[["age", "income"]]}),
        r'x\["table"\] has shape \(16, 2\).*input "table" takes \(3,\) per sample',
    ),
    "frame/y-misspelled-column": (
        lambda: fn.check_data(COLUMNS, frame(), renamed(targets(), price="prise")),
        r'y has an unknown column "prise".*Did you mean "price"',
    ),
    "frame/y-text-targets": (
        lambda: fn.check_data(COLUMNS, frame(), with_column(targets(), "expensive", "yes")),
        r'y\["expensive"\] holds text \(dtype object\); targets must be numbers',
    ),
    "frame/y-rows-differ": (
        lambda: fn.check_data(COLUMNS, frame(), targets(N - 4)),
        r'y\["expensive"\] has 12 samples, but the other arrays have 16',
    ),
    # strings as numpy arrays, lists and tensors
    "strings/numbers-for-a-string-input": (
        lambda: fn.check_data(COLUMNS, {**arrays(), "city": np.arange(N)}),
        r'x\["city"\] holds int64 values, but input "city" takes text',
    ),
    "strings/text-for-int-ids": (
        lambda: fn.check_data(COLUMNS, {**arrays(), "rooms": np.array(["2"] * N)}),
        r'x\["rooms"\] holds text \(dtype <U1\); input "rooms" takes int64',
    ),
    "strings/tf-string-tensor-for-a-number": (
        lambda: fn.check_data(COLUMNS, {**arrays(), "income": tf.constant(["1"] * N)}),
        r'x\["income"\] holds text; input "income" takes float32',
    ),
    "strings/tf-float-tensor-for-ids": (
        lambda: fn.check_data(VECTOR, {**vector_data()[0], "tokens": tf.ones((N, 4))}),
        r'x\["tokens"\] holds float32 values, but input "tokens" takes int32.*truncate',
    ),
    "strings/wrong-rank-of-text": (
        lambda: fn.check_data(COLUMNS, {**arrays(), "city": np.array([["a", "b"]] * N)}),
        r'x\["city"\] has shape \(16, 2\).*input "city" takes \(\) per sample',
    ),
    "strings/list-of-columns-for-named-inputs": (
        lambda: fn.check_data(COLUMNS, list(arrays().values())),
        r"x is a list of 4 arrays, but the model's inputs are named \(age, income, city, rooms\)",
    ),
    # tf.data, checked by its element spec
    "dataset/misspelled-input": (
        lambda: fn.fit(VECTOR, dataset({"tabel": vector_data()[0]["table"]}, vector_data()[1])),
        r'x has an unknown key "tabel".*Did you mean "table"',
    ),
    "dataset/wrong-per-sample-shape": (
        lambda: fn.fit(
            VECTOR, dataset({**vector_data()[0], "table": np.ones((N, 5))}, vector_data()[1])
        ),
        r'x\["table"\] has shape \(None, 5\) per batch: \(5,\) per sample, but input "table"',
    ),
    "dataset/floats-for-token-ids": (
        lambda: fn.fit(
            VECTOR, dataset({**vector_data()[0], "tokens": np.ones((N, 4))}, vector_data()[1])
        ),
        r'x\["tokens"\] holds float64 values, but input "tokens" takes int32',
    ),
    "dataset/strings-for-numbers": (
        lambda: fn.fit(
            VECTOR, dataset({**vector_data()[0], "table": np.full((N, 3), "x")}, vector_data()[1])
        ),
        r'x\["table"\] holds string values; input "table" takes float32',
    ),
    "dataset/numbers-for-a-string-input": (
        lambda: fn.fit(COLUMNS, dataset({**arrays(), "city": np.zeros(N)}, dict(targets()))),
        r'x\["city"\] holds float64 values, but input "city" takes text',
    ),
    "dataset/not-batched": (
        lambda: fn.fit(VECTOR, dataset(*vector_data(), batch=None)),
        r"the dataset yields single samples, not batches \(table, tokens.*dataset.batch\(32\)",
    ),
    "dataset/unknown-rank-from-a-generator": (
        lambda: fn.fit(VECTOR, unknown_shapes()),
        r'x\["table"\] has a shape of unknown rank; Keras cannot train on it',
    ),
    "dataset/no-targets": (
        lambda: fn.fit(VECTOR, dataset(vector_data()[0])),
        r"the dataset yields inputs only, but training needs targets",
    ),
    "dataset/y-misspelled-output": (
        lambda: fn.fit(VECTOR, dataset(vector_data()[0], {"digt": vector_data()[1]})),
        r'y has an unknown key "digt".*Did you mean "digit"',
    ),
    "dataset/y-one-hot-for-class-ids-shape": (
        lambda: fn.fit(VECTOR, dataset(vector_data()[0], np.ones((N, 2, 3)))),
        r'y\["digit"\] has shape \(None, 2, 3\), but output "digit" \(multiclass\)',
    ),
    "dataset/y-text": (
        lambda: fn.fit(VECTOR, dataset(vector_data()[0], np.array(["one"] * N))),
        r'y\["digit"\] holds text \(string\); targets must be numbers',
    ),
    "dataset/y-also-given": (
        lambda: fn.fit(VECTOR, dataset(*vector_data()), vector_data()[1]),
        r"y is given, but x is a dataset, which yields its own targets",
    ),
    "dataset/validation-misspelled": (
        lambda: fn.fit(
            VECTOR,
            dataset(*vector_data()),
            validation_data=dataset(
                {**vector_data()[0], "tokns": vector_data()[0]["tokens"]}, vector_data()[1]
            ),
        ),
        r'validation x has an unknown key "tokns".*Did you mean "tokens"',
    ),
    # PyDataset, checked by its first batch
    "pydataset/misspelled-input": (
        lambda: fn.fit(VECTOR, Batches({"tabel": vector_data()[0]["table"]}, vector_data()[1])),
        r'batch 0 of the PyDataset: x has an unknown key "tabel".*Did you mean "table"',
    ),
    "pydataset/wrong-shape": (
        lambda: fn.fit(
            VECTOR, Batches({**vector_data()[0], "table": np.ones((N, 2))}, vector_data()[1])
        ),
        r'batch 0 of the PyDataset: x\["table"\] has shape \(4, 2\)',
    ),
    "pydataset/class-id-out-of-range": (
        lambda: fn.fit(VECTOR, Batches(vector_data()[0], np.full(N, 7))),
        r'batch 0 of the PyDataset: y\["digit"\]: class ids must lie in \[0, 3\)',
    ),
    "pydataset/no-targets": (
        lambda: fn.fit(VECTOR, Batches(vector_data()[0])),
        r"the PyDataset yields inputs only, but training needs targets",
    ),
}

# Rows that feed text to a string input need TensorFlow string tensors in the model.
_TEXT_ROWS = {"dataset/numbers-for-a-string-input"}


@pytest.mark.parametrize(
    "call, message",
    [
        pytest.param(*row, id=key, marks=[TF_ONLY] if key in _TEXT_ROWS else [])
        for key, row in BAD.items()
    ],
)
def test_bad_data_forms_name_the_culprit(call: Callable[[], Any], message: str) -> None:
    with pytest.raises(fn.FuncnetError, match=message):
        call()


def test_many_problems_of_a_dataframe_come_together() -> None:
    df = renamed(with_column(frame(), "city", 2.0), age="aeg")
    with pytest.raises(fn.FuncnetError, match=r"found 2 problems") as err:
        fn.check_data(COLUMNS, df)
    assert '"aeg"' in str(err.value) and 'x["city"]' in str(err.value)


def test_funcnet_works_without_pandas() -> None:
    # pandas is optional: with it made unimportable, array data is still checked and fits.
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['pandas'] = None\n"
        "import numpy as np, funcnet as fn\n"
        "ins = fn.inputs(a=(2,))\n"
        "m = fn.compile(fn.model(ins, fn.head(ins['a'], 'y', 'regression')))\n"
        "h = fn.fit(m, {'a': np.ones((4, 2))}, {'y': np.ones(4)}, epochs=1, verbose=0)\n"
        "print(len(h.history['loss']))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "1"


# ---- FeatureSpace: Keras's structured-data encoder as the encoder of named inputs -----------


@TF_ONLY
def test_feature_space_encodes_named_inputs_of_a_funcnet_model() -> None:
    features = {
        "age": "float_normalized",
        "city": "string_categorical",
        "rooms": "integer_categorical",
    }
    space = keras.utils.FeatureSpace(features=features, output_mode="concat")
    df = frame()[list(features)]
    space.adapt(tf.data.Dataset.from_tensor_slices(dict(df)).batch(8))
    h = fn.stack(space.get_encoded_features(), layers.Dense(8, activation="relu"))
    heads = [fn.head(h, "expensive", "binary"), fn.head(h, "price", "regression")]
    model = fn.compile(fn.model(space.get_inputs(), heads))
    history = fn.fit(model, df, targets(), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    with pytest.raises(fn.FuncnetError, match=r'unknown column "cty".*Did you mean "city"'):
        fn.fit(model, renamed(df, city="cty"), targets())


def text_and_age_model() -> keras.Model:
    ins = fn.inputs(city=((1,), "string"), age=(1,))
    lookup = layers.StringLookup(vocabulary=["Oslo", "Rome"], output_mode="one_hot")
    h = fn.merge([lookup(ins["city"]), ins["age"]], "concat")
    return fn.compile(fn.model(ins, fn.head(h, "buy", "binary")))


MISSING_IN_FRAMES = {  # pandas' own markers (pd.NA, NaT) are named as missing, like None
    "string-dtype-na": (
        {"city": pd.Series(["Oslo", pd.NA, "Rome"], dtype="string")},
        r'x\["city"\] holds 1 missing value\(s\) \(None or NaN\); input "city" takes text',
    ),
    "object-na-and-none": (
        {"city": pd.Series(["Oslo", pd.NA, None], dtype=object)},
        r'x\["city"\] holds 2 missing value\(s\)',
    ),
    "object-nat": (
        {"city": pd.Series(["Oslo", pd.NaT, "Rome"], dtype=object)},
        r'x\["city"\] holds 1 missing value\(s\)',
    ),
    "category-none": (
        {"city": pd.Series(["Oslo", None, "Rome"], dtype="category")},
        r'x\["city"\] holds 1 missing value\(s\)',
    ),
    "float64-na": (
        {"age": pd.Series([1.0, pd.NA, 3.0], dtype="Float64")},
        r'x\["age"\] contains 1 NaN values',
    ),
    "int64-target-na": (
        {"buy": pd.Series([0, pd.NA, 1], dtype="Int64")},
        r'y\["buy"\] contains 1 NaN values',
    ),
}


@pytest.mark.parametrize("change, expected", MISSING_IN_FRAMES.values(), ids=MISSING_IN_FRAMES)
def test_pandas_missing_markers_are_named_as_missing(change: dict[str, Any], expected: str) -> None:
    df = pd.DataFrame({"city": ["Oslo", "Rome", "Oslo"], "age": [1.0, 2.0, 3.0], "buy": [0, 1, 0]})
    for column, values in change.items():
        df[column] = values
    with pytest.raises(fn.FuncnetError, match=expected):
        fn.check_data(text_and_age_model(), df[["city", "age"]], df[["buy"]])
