"""A catalogue of bad input across the whole public API: every mistake is named, none slips by.

Each row calls funcnet wrongly and expects a `FuncnetError` whose message names the
culprit (the user's input, output, key, layer, path or value). The error must not chain
a Keras or TensorFlow traceback ("During handling of the above exception..."), and
nothing may succeed silently. The command line must exit non-zero with one line on
stderr and no traceback.

The builder and recipe rows of tests/test_builder.py (`BAD`) are part of the catalogue by
reference and are re-run here under the stricter no-chained-traceback check. Rows where
funcnet misbehaves today are marked xfail(strict=True) with a one-line diagnosis, so that
the fix turns them green (and the marker must then go).
"""

from __future__ import annotations

import contextlib
import os
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import keras
import numpy as np
import pytest
from keras import layers

import funcnet as fn
from funcnet._cli import main as cli
from tests.test_builder import BAD
from tests.test_compile import BAD_COMPILE, s3b
from tests.test_data import BAD_DATA
from tests.test_data import MODEL as DATA_MODEL

Call = Callable[[Path], Any]  # a row gets a fresh folder it may write into


# ---- small models and helpers the rows share ---------------------------------------------


def _ins() -> dict[str, Any]:
    return fn.inputs(a=(10,), b=(20,))


def two_heads() -> keras.Model:
    """Inputs "pixels" (8,) and "table" (5,); heads "digit" (multiclass, 10), "odd" (binary)."""
    ins = fn.inputs(pixels=(8,), table=(5,))
    h = fn.merge([ins["pixels"], ins["table"]], "concat")
    return fn.model(ins, [fn.head(h, "digit", "multiclass", 10), fn.head(h, "odd", "binary")])


def tokens_model() -> keras.Model:
    """Input "tokens" (6,) int32 through an Embedding; one head "score" (regression, 3)."""
    ins = fn.inputs(tokens=((6,), "int32"))
    h = fn.stack(ins["tokens"], [layers.Embedding(50, 4), layers.Flatten()])
    return fn.model(ins, fn.head(h, "score", "regression", units=3))


def raw_output(activation: str, units: int) -> keras.Model:
    """A raw Keras model whose one output is a plain Dense layer named "out"."""
    x = keras.Input((3,), name="x")
    return keras.Model(x, layers.Dense(units, activation=activation, name="out")(x))


def one_layer_two_outputs() -> keras.Model:
    x, z = keras.Input((3,), name="x"), keras.Input((3,), name="z")
    twin = layers.Dense(1, name="twin")
    return keras.Model([x, z], [twin(x), twin(z)])


def xy(n: int = 4) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Valid data for `two_heads()`; rows spoil one piece of it."""
    rng = np.random.default_rng(0)
    x = {"pixels": rng.random((n, 8)), "table": rng.random((n, 5))}
    y = {"digit": rng.integers(0, 10, (n,)), "odd": rng.integers(0, 2, (n, 1))}
    return x, y


def with_(d: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**d, **changes}


def compiled(model: keras.Model) -> keras.Model:
    return fn.compile(model)


@contextlib.contextmanager
def path_without_dot(folder: Path) -> Iterator[None]:
    """No renderer: PATH holds only an empty folder and graphviz-pure is not installed."""
    empty = folder / "empty-bin"
    empty.mkdir(exist_ok=True)
    with (
        mock.patch.dict(os.environ, {"PATH": str(empty)}),
        mock.patch("funcnet._render.pure_renderer", return_value=None),
    ):
        yield


@contextlib.contextmanager
def crashing_dot(folder: Path) -> Iterator[None]:
    """PATH holds a `dot` that prints an error and exits 1, as a crashing Graphviz does."""
    bin_dir = folder / "bad-bin"
    bin_dir.mkdir(exist_ok=True)
    dot = bin_dir / "dot"
    dot.write_text("#!/bin/sh\necho 'Error: out of memory in layout' >&2\nexit 1\n")
    dot.chmod(0o755)
    with mock.patch.dict(os.environ, {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}):
        yield


def plot_without_dot(tmp: Path) -> Any:
    with path_without_dot(tmp):
        return fn.plot(two_heads(), tmp / "arch.png")


def plot_with_crashing_dot(tmp: Path) -> Any:
    with crashing_dot(tmp):
        return fn.plot(two_heads(), tmp / "arch.svg")


def folder(path: Path) -> Path:
    path.mkdir()
    return path


def plot_into_read_only_folder(tmp: Path) -> Any:
    # Root (as in CI containers) may write anywhere, so the folder's mode cannot refuse;
    # os.access is what funcnet asks, so it answers as it would for any other user.
    tmp.chmod(0o555)
    try:
        with mock.patch("funcnet._files.os.access", return_value=False):
            return fn.plot(two_heads(), tmp / "arch.png")
    finally:
        tmp.chmod(0o755)


def registered(registry: Any, name: str, item: Any, then: Callable[[], Any]) -> Any:
    """Registers `item` under a throwaway name, runs `then`, and always unregisters it."""
    try:
        registry.register(name, item, replace=True)
        return then()
    finally:
        if name in registry:
            registry.unregister(name)


def head_on(task: str) -> Any:
    return fn.head(fn.inputs(a=(3,))["a"], "y", task)


# ---- the new rows, by area ----------------------------------------------------------------

NEW: dict[str, tuple[Call, str]] = {
    # -- builder: inputs, stack, merge, shared, residual, model
    "builder/inputs-zero-width": (lambda t: fn.inputs(x=0), r'Input "x" needs a shape.*x=0'),
    "builder/inputs-float-dim": (lambda t: fn.inputs(x=(3.5,)), r'Input "x".*x=\(3\.5,\)'),
    # () is a scalar input now (issue 12); a negative width still has no meaning.
    "builder/inputs-negative-dim": (
        lambda t: fn.inputs(x=(-1,)),
        r'Input "x" needs a shape.*x=\(-1,\)',
    ),
    "builder/inputs-none-shape": (lambda t: fn.inputs(x=None), r'Input "x".*x=None'),
    "builder/stack-string-for-layer": (
        lambda t: fn.stack(_ins()["a"], "dense"),  # type: ignore[arg-type]
        r"str 'dense'",
    ),
    "builder/stack-rank-a-layer-cannot-take": (
        lambda t: fn.stack(_ins()["a"], layers.LSTM(4, name="lstm")),
        r'Layer "lstm" .*input "a" \(shape \(None, 10\)\).*expected ndim=3',
    ),
    "builder/merge-kind-none": (
        lambda t: fn.merge(list(_ins().values()), None),  # type: ignore[arg-type]
        r'Unknown merge kind "None". Expected one of: add, average, concat',
    ),
    "builder/merge-empty-dict": (
        lambda t: fn.merge({}, "concat"),
        r"at least two tensors. Received: \{\}",
    ),
    "builder/merge-array-in-list": (
        lambda t: fn.merge([_ins()["a"], np.ones((2, 10))], "add"),
        r"tensor 1 is not a Keras tensor",
    ),
    "builder/merge-concat-other-axis-differs": (
        lambda t: fn.merge([fn.inputs(s=(4, 3))["s"], fn.inputs(u=(5, 2))["u"]], "concat"),
        r'input "s" \(shape \(None, 4, 3\)\); input "u" \(shape \(None, 5, 2\)\)',
    ),
    "builder/merge-dot-widths": (
        lambda t: fn.merge(list(_ins().values()), "dot"),
        r'"dot".*\(None, 10\), \(None, 20\)',
    ),
    "builder/merge-unknown-keras-option": (
        lambda t: fn.merge(list(_ins().values()), "concat", axes=1),
        r"axes",
    ),
    "builder/shared-not-a-layer": (
        lambda t: fn.shared([layers.Dense(2), 3]),  # type: ignore[list-item]
        r"fn.shared needs a layer .*Received: \[<Dense",
    ),
    "builder/shared-called-on-array": (
        lambda t: fn.shared(layers.Dense(2, name="enc"))(np.ones((2, 3))),
        r'Shared block "enc" needs a Keras tensor',
    ),
    "builder/shared-block-other-rank": (
        lambda t: (lambda b: (b(fn.inputs(v=(8,))["v"]), b(fn.inputs(img=(4, 4, 1))["img"])))(
            fn.shared([layers.Dense(8), layers.Dense(4)], name="enc")
        ),
        r'Shared block "enc" was built for input "v" \(shape \(None, 8\)\) and cannot take '
        r'input "img" \(shape \(None, 4, 4, 1\)\)',
    ),
    "builder/residual-on-array": (
        lambda t: fn.residual(np.ones((2, 3)), layers.Dense(3)),
        r"fn.residual needs a Keras tensor",
    ),
    "builder/residual-projection-unknown": (
        lambda t: fn.residual(
            fn.inputs(v=(8,))["v"], layers.Dense(4), projection="1x1", name="blk"
        ),
        r"Residual \"blk\": projection must be .*projection='1x1'",
    ),
    "builder/residual-projection-wrong-size": (
        lambda t: fn.residual(
            fn.inputs(v=(8,))["v"], layers.Dense(4), projection=layers.Dense(3), name="blk"
        ),
        r'Residual "blk".*\(None, 3\).*\(None, 4\)',
    ),
    "builder/residual-pooling-shrinks-odd-size": (
        lambda t: fn.residual(fn.inputs(i=(9, 9, 4))["i"], layers.MaxPooling2D(2, name="pool")),
        r'\(None, 9, 9, 4\) to \(None, 4, 4, 4\).*"pool" uses padding="valid"',
    ),
    "builder/residual-conv1d-valid-padding": (
        lambda t: fn.residual(fn.inputs(s=(20, 8))["s"], layers.Conv1D(8, 5, name="c1")),
        r'\(None, 20, 8\) to \(None, 16, 8\).*"c1" uses padding="valid"',
    ),
    "builder/residual-rank6-no-auto-projection": (
        lambda t: fn.residual(fn.inputs(t=(2, 2, 2, 2, 3))["t"], layers.Dense(4), name="deep"),
        r'Residual "deep": no automatic projection for rank-6 .*\(None, 2, 2, 2, 2, 4\)',
    ),
    "builder/model-two-heads-one-name": (
        lambda t: (
            lambda i: fn.model(i, [fn.head(i["a"], "y", "binary"), fn.head(i["b"], "y", "binary")])
        )(_ins()),
        r'output 0 and output 1 are both named "y"',
    ),
    "builder/model-two-inputs-one-name": (
        lambda t: (
            lambda a1, a2: fn.model([a1, a2], fn.head(fn.merge([a1, a2], "concat"), "y", "binary"))
        )(fn.inputs(a=(3,))["a"], fn.inputs(a=(3,))["a"]),
        r'The name "a" is used 2 times',
    ),
    "builder/model-no-inputs": (
        lambda t: fn.model({}, fn.head(_ins()["a"], "y", "binary")),
        r"needs at least one input. Received: inputs=\{\}",
    ),
    "builder/model-no-outputs": (lambda t: fn.model(_ins(), []), r"needs at least one output"),
    # -- recipes
    "recipes/inputs-list-not-dict": (
        lambda t: fn.recipes.multi_input([("a", (3,))], heads={"y": "binary"}),  # type: ignore[arg-type]
        r"inputs as a non-empty dict .*Received: \[\('a', \(3,\)\)\]",
    ),
    "recipes/inputs-empty": (
        lambda t: fn.recipes.siamese({}, encoder=layers.Dense(2), heads={"y": "binary"}),
        r"inputs as a non-empty dict.*Received: \{\}",
    ),
    "recipes/heads-list-not-dict": (
        lambda t: fn.recipes.multi_output({"a": (3,)}, heads=["y"]),  # type: ignore[arg-type]
        r"heads as a non-empty dict.*heads=\['y'\]",
    ),
    "recipes/heads-empty": (
        lambda t: fn.recipes.multi_input({"a": (3,)}, heads={}),
        r"heads as a non-empty dict.*heads=\{\}",
    ),
    "recipes/head-spec-missing-units": (
        lambda t: fn.recipes.multi_output({"a": (3,)}, heads={"tag": ("multiclass",)}),  # type: ignore[dict-item]
        r"Head \"tag\" needs a task.*Received: \('multiclass',\)",
    ),
    "recipes/head-spec-zero-units": (
        lambda t: fn.recipes.multi_output({"a": (3,)}, heads={"tag": ("multiclass", 0)}),
        r'Head "tag" needs a positive whole number of units. Received: units=0',
    ),
    "recipes/head-spec-misspelled-option": (
        lambda t: fn.recipes.multi_output(
            {"a": (3,)}, heads={"tag": {"task": "binary", "unit": 3}}
        ),
        r'Head "tag".*unit',
    ),
    "recipes/head-named-like-an-input": (
        lambda t: fn.recipes.multi_output({"a": (3,)}, heads={"a": "binary"}),
        r'The name "a" is used 2 times',
    ),
    "recipes/encoder-factory-returns-nothing": (
        lambda t: fn.recipes.multi_input(
            {"a": (3,), "b": (3,)},
            encoders=lambda: None,  # type: ignore[arg-type, return-value]
            heads={"y": "binary"},
        ),
        r"encoders.*None",
    ),
    "recipes/merge-add-unequal-widths": (
        lambda t: fn.recipes.multi_input(
            {"a": (3,), "b": (4,)}, merge="add", heads={"y": "binary"}
        ),
        r'input "a" \(shape \(None, 3\)\); input "b" \(shape \(None, 4\)\)',
    ),
    "recipes/merge-kind-near-miss": (
        lambda t: fn.recipes.multi_output(
            {"a": (3,), "b": (4,)}, merge="cat", heads={"y": "binary"}
        ),
        r'Unknown merge kind "cat".*Did you mean "concat"',
    ),
    "recipes/trunk-string-for-layer": (
        lambda t: fn.recipes.multi_output({"a": (3,)}, trunk="dense", heads={"y": "binary"}),  # type: ignore[arg-type]
        r"str 'dense'",
    ),
    "recipes/resnet-no-stages": (
        lambda t: fn.recipes.resnet({"a": (3,)}, filters=(), heads={"y": "binary"}),
        r"at least one stage and one block. Received: filters=\(\)",
    ),
    "recipes/resnet-sequence-input": (
        lambda t: fn.recipes.resnet({"seq": (10, 3)}, heads={"y": "binary"}),
        r'Input "seq" has shape \(10, 3\)',
    ),
    "recipes/siamese-empty-encoder": (
        lambda t: fn.recipes.siamese({"l": (3,), "r": (3,)}, encoder=[], heads={"y": "binary"}),
        r"fn.shared needs a layer or a non-empty list of layers. Received: \[\]",
    ),
    "recipes/input-key-not-its-name": (
        lambda t: fn.recipes.multi_output({"b": fn.inputs(a=(3,))["a"]}, heads={"y": "binary"}),
        r'input key "b" holds input "a"',
    ),
    # -- heads and tasks
    "heads/task-with-no-close-match": (
        lambda t: head_on("classification"),
        r'Unknown task "classification". Expected one of: binary, multiclass, multilabel, '
        r"regression",
    ),
    "heads/task-none": (lambda t: head_on(None), r'Unknown task "None"'),  # type: ignore[arg-type]
    "heads/head-on-array": (
        lambda t: fn.head(np.ones((2, 3), "float32"), "y", "binary"),
        r'[Hh]ead "y".*Keras tensor',
    ),
    "heads/misspelled-activation": (
        lambda t: fn.head(fn.inputs(a=(3,))["a"], "y", "binary", activation="sigmod"),
        r'"y".*sigmod',
    ),
    "heads/misspelled-dense-option": (
        lambda t: fn.head(fn.inputs(a=(3,))["a"], "y", "binary", unit=3),
        r'"y".*unit',
    ),
    "heads/register-empty-task-name": (
        lambda t: fn.tasks.register("", fn.tasks["binary"]),
        r"task name must be a non-empty string. Received: name=''",
    ),
    "heads/register-task-that-is-not-a-task": (
        lambda t: registered(
            fn.tasks, "catalogue_str", "sigmoid", lambda: head_on("catalogue_str")
        ),
        r'"catalogue_str".*Task',
    ),
    "heads/task-with-misspelled-activation": (
        lambda t: registered(
            fn.tasks, "catalogue_act", fn.Task("sigmod", 1, "mse"), lambda: head_on("catalogue_act")
        ),
        r"sigmod",
    ),
    # -- compile and presets
    "compile/not-a-model": (lambda t: fn.compile("model"), r"keras.Model.*Received: 'model'"),
    "compile/unbuilt-sequential": (
        lambda t: fn.compile(keras.Sequential([layers.Dense(2)], name="seq")),
        r'Model "seq" has no outputs yet',
    ),
    "compile/misspelled-optimizer": (
        lambda t: fn.compile(two_heads(), optimizer="adamm"),
        r"optimizer identifier: adamm",
    ),
    "compile/sigmoid-over-several-units": (
        lambda t: fn.compile(raw_output("sigmoid", 3)),
        r'Output "out": .*sigmoid.*3\) may be multi-label .*tasks=\{"out": ',
    ),
    "compile/softmax-over-one-unit": (
        lambda t: fn.compile(raw_output("softmax", 1)),
        r'Output "out": .*softmax over one unit',
    ),
    "compile/task-cannot-be-told": (
        lambda t: fn.compile(raw_output("relu", 2)),
        r'Output "out": funcnet cannot tell the task of layer "out" \(Dense, activation relu',
    ),
    "compile/one-layer-two-outputs": (
        lambda t: fn.compile(one_layer_two_outputs()),
        r'2 outputs named "twin"',
    ),
    "presets/register-taken-name": (
        lambda t: fn.presets.register("fast", fn.presets["fast"]),
        r'preset named "fast" is already registered',
    ),
    "presets/preset-with-misspelled-setting": (
        lambda t: registered(
            fn.presets,
            "catalogue_typo",
            fn.Preset("typo", {"steps_per_exection": 4}),
            lambda: fn.compile(two_heads(), preset="catalogue_typo"),
        ),
        r"steps_per_exection",
    ),
    "presets/register-preset-that-is-not-a-preset": (
        lambda t: registered(
            fn.presets,
            "catalogue_str",
            "fast",
            lambda: fn.compile(two_heads(), preset="catalogue_str"),
        ),
        r'"catalogue_str".*Preset',
    ),
    # -- data checks (fn.check_data, and fn.fit which runs them)
    "data/empty-dict": (lambda t: fn.check_data(two_heads(), {}), r'x\["pixels"\] is missing'),
    "data/ragged-input": (
        lambda t: fn.check_data(two_heads(), with_(xy()[0], table=[[1.0, 2.0], [3.0]])),
        r'x\["table"\] cannot be read as an array',
    ),
    "data/one-array-for-two-targets": (
        lambda t: fn.check_data(two_heads(), xy()[0], np.ones((4, 1))),
        r"y is one array, but the model has 2 outputs \(digit, odd\)",
    ),
    "data/fit-targets-as-list": (
        lambda t: fn.fit(compiled(two_heads()), xy()[0], list(xy()[1].values())),
        r"y is a list of 2 arrays, but the model's outputs are named \(digit, odd\)",
    ),
    "data/single-value-target": (
        lambda t: fn.check_data(
            tokens_model(), {"tokens": np.ones((4, 6), "int32")}, {"score": 1.0}
        ),
        r'y\["score"\] is a single value',
    ),
    "data/not-a-model": (lambda t: fn.check_data(None, {}), r"keras.Model.*Received: None"),
    "data/fit-not-compiled": (
        lambda t: fn.fit(two_heads(), *xy()),
        r'Model "functional.*" is not compiled; call fn.compile\(model\)',
    ),
    "data/fit-option-near-miss": (
        lambda t: fn.fit(compiled(two_heads()), *xy(), epoch=2),
        r'Unknown option epoch= for model.fit. Did you mean "epochs"',
    ),
    "data/fit-validation-key-near-miss": (
        lambda t: fn.fit(
            compiled(two_heads()),
            *xy(),
            validation_data=(xy()[0], {"digit": xy()[1]["digit"], "odd ": xy()[1]["odd"]}),
        ),
        r'validation y has an unknown key "odd ".*Did you mean "odd"',
    ),
    # -- plotting
    "plot/not-a-model": (lambda t: fn.plot("model"), r"fn.plot needs a keras.Model. Received: str"),
    "plot/unbuilt-model": (
        lambda t: fn.plot(keras.Sequential([layers.Dense(2)], name="seq")),
        r'Model "seq" is not built',
    ),
    "plot/rankdir-unknown": (
        lambda t: fn.plot(two_heads(), rankdir="TD"),
        r"rankdir must be .*Received: rankdir='TD'",
    ),
    "plot/extension-near-miss": (
        lambda t: fn.plot(two_heads(), t / "arch.pgn"),
        r'"\S*arch.pgn".*Did you mean ".png"',
    ),
    "plot/no-extension": (lambda t: fn.plot(two_heads(), t / "arch"), r'"\S*arch".*no extension'),
    "plot/missing-folder": (
        lambda t: fn.plot(two_heads(), t / "nowhere" / "arch.png"),
        r'the folder "\S*nowhere" does not exist',
    ),
    "plot/path-is-a-folder": (
        lambda t: fn.plot(two_heads(), folder(t / "arch.png")),
        r'Cannot write "\S*arch.png": it is a folder',
    ),
    "plot/folder-is-a-file": (
        lambda t: (
            (t / "notes.txt").write_text("x") and fn.plot(two_heads(), t / "notes.txt" / "a.png")
        ),
        r'"\S*notes.txt/a.png"',
    ),
    "plot/read-only-folder": (plot_into_read_only_folder, r'the folder "\S+" is not writable'),
    "plot/missing-dot": (
        plot_without_dot,
        r"No program to draw pictures .*pip install graphviz-pure.*apt-get install graphviz",
    ),
    "plot/dot-crashes": (
        plot_with_crashing_dot,
        r"Graphviz \(dot\) failed to draw the svg: Error: out of memory",
    ),
    "plot/picture-save-unknown-format": (
        lambda t: fn.plot(two_heads()).save(t / "arch.gif"),
        r'"\S*arch.gif".*\.dot, \.html, \.pdf, \.png, \.svg',
    ),
}

# Rows that fail today, with why: the fix belongs to the module named.
XFAIL: dict[str, str] = {}

# The other tables of bad input, by reference: each row runs again here under the
# no-chained-traceback check. Their area is read from the row's key.
_AREA = {
    "inputs": "builder",
    "stack": "builder",
    "merge": "builder",
    "shared": "builder",
    "residual": "builder",
    "model": "builder",
    "head": "heads",
    "registry": "heads",
    "recipe": "recipes",
}


def _area(key: str) -> str:
    return _AREA.get(key.split("-")[0], "compile")


def _later(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Call:
    """A row that calls `call(*args, **kwargs)` (the row's folder is not needed)."""
    return lambda t: call(*args, **kwargs)


FROM_BUILDER = {f"{_area(k)}/{k} (test_builder)": (_later(c), m) for k, (c, m) in BAD.items()}
FROM_COMPILE = {
    f"{'presets' if k.startswith('preset') else 'compile'}/{k} (test_compile)": (
        _later(lambda kw: fn.compile(s3b(), **kw), kwargs),
        m,
    )
    for k, (kwargs, m) in BAD_COMPILE.items()
}
FROM_DATA = {
    f"data/{k} (test_data)": (_later(fn.check_data, DATA_MODEL, x, y), m)
    for k, (x, y, m) in BAD_DATA.items()
}
CATALOGUE: dict[str, tuple[Call, str]] = {**FROM_BUILDER, **FROM_COMPILE, **FROM_DATA, **NEW}


def _rows() -> list[Any]:
    rows = []
    for key, (call, message) in CATALOGUE.items():
        marks = []
        if key in XFAIL:
            marks.append(pytest.mark.xfail(strict=True, reason=XFAIL[key]))
        rows.append(pytest.param(call, message, id=key, marks=marks))
    return rows


@pytest.mark.parametrize("call, message", _rows())
def test_bad_input_raises_funcnet_error_naming_the_culprit(
    call: Call, message: str, tmp_path: Path
) -> None:
    with pytest.raises(fn.FuncnetError, match=message) as info:
        call(tmp_path)
    err = info.value
    # Not chained onto a Keras/TF traceback: either raised fresh, or `from None`.
    assert err.__cause__ is None
    assert err.__context__ is None or err.__suppress_context__


# ---- the command line ---------------------------------------------------------------------

FACTORIES = textwrap.dedent(
    '''
    """Factories for the command-line rows."""
    import keras
    from keras import layers

    import funcnet as fn

    def build():
        ins = fn.inputs(x=(3,))
        return fn.model(ins, fn.head(ins["x"], "y", "binary"))

    def nothing():
        fn.inputs(x=(3,))  # builds, then forgets to return the model

    def a_layer():
        return layers.Dense(2)

    def broken():
        raise RuntimeError("the factory broke")

    def needs_width(width):
        return build()

    def unbuilt():
        return keras.Sequential([layers.Dense(2)], name="seq")

    def unused_input():
        ins = fn.inputs(x=(3,), extra=(2,))
        return fn.model(ins, fn.head(ins["x"], "y", "binary"))
    '''
)


@pytest.fixture
def models_py(tmp_path: Path) -> Path:
    path = tmp_path / "models.py"
    path.write_text(FACTORIES)
    (tmp_path / "broken_import.py").write_text("import numpy\nraise ImportError('no GPU here')\n")
    return path


# argv with {models} for the factories file and {tmp} for the folder; the culprit's regex.
CLI: dict[str, tuple[list[str], str]] = {
    "cli/module-fails-to-import": (
        ["summary", "{tmp}/broken_import.py:build"],
        r'Importing "\S*broken_import.py" raised ImportError: no GPU here',
    ),
    "cli/factory-returns-nothing": (
        ["summary", "{models}:nothing"],
        r"nothing\(\) must return a keras.Model. Received: NoneType",
    ),
    "cli/factory-returns-a-layer": (
        ["plot", "{models}:a_layer", "-o", "{tmp}/a.png"],
        r"a_layer\(\) must return a keras.Model. Received: Dense",
    ),
    "cli/factory-needs-arguments": (
        ["summary", "{models}:needs_width"],
        r"needs_width must take no arguments.*needs width",
    ),
    "cli/factory-builds-a-bad-graph": (
        ["summary", "{models}:unused_input"],
        r'unused_input\(\) failed: .*input "extra" .*not used',
    ),
    "cli/plot-unbuilt-model": (
        ["plot", "{models}:unbuilt", "-o", "{tmp}/a.png"],
        r'Model "seq" is not built',
    ),
    "cli/plot-extension-near-miss": (
        ["plot", "{models}:build", "-o", "{tmp}/arch.pgn"],
        r'"\S*arch.pgn".*Did you mean ".png"',
    ),
    "cli/gallery-folder-is-a-file": (
        ["gallery", "--only", "s1b", "--out", "{models}"],
        r'gallery folder "\S*models.py"',
    ),
}


def _argv(argv: list[str], models: Path) -> list[str]:
    return [a.format(models=models, tmp=models.parent) for a in argv]


@pytest.mark.parametrize("argv, message", CLI.values(), ids=CLI.keys())
def test_cli_mistake_is_one_line_without_traceback(
    argv: list[str], message: str, models_py: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(_argv(argv, models_py)) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("funcnet: error: ")
    assert __import__("re").search(message, err), err


# argparse's own mistakes exit 2 with its usage line, then one "error:" line naming the culprit.
ARGPARSE = {
    "cli/unknown-command": (["plto", "m:f"], r"invalid choice: 'plto'"),
    "cli/plot-without-output": (
        ["plot", "m:f"],
        r"the following arguments are required: -o/--output",
    ),
    "cli/gallery-unknown-format": (["gallery", "--format", "gif"], r"invalid choice: 'gif'"),
}


@pytest.mark.parametrize("argv, message", ARGPARSE.values(), ids=ARGPARSE.keys())
def test_cli_usage_mistake_exits_2_naming_it(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        cli(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if "error:" in line]
    assert len(errors) == 1 and __import__("re").search(message, errors[0]), err


# ---- the catalogue itself -----------------------------------------------------------------

AREAS = ("builder", "recipes", "heads", "compile", "presets", "data", "plot", "cli")


def test_catalogue_has_50_distinct_cases_in_every_area() -> None:
    ids = [*CATALOGUE, *CLI, *ARGPARSE]
    assert len(ids) == len(set(ids)) >= 50
    per_area = {area: sum(i.startswith(f"{area}/") for i in ids) for area in AREAS}
    assert all(per_area.values()), per_area
    assert set(XFAIL) <= set(CATALOGUE)
