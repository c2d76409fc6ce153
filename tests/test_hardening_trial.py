"""An adversarial trial: ordinary mistakes a new user makes across the whole public API.

Each case calls funcnet as a newcomer might (a name with a space, one layer object three
times, a misspelled monitor, a JSON head spec, NaN weights, a bad dpi, ...) and records
what happened: a `FuncnetError` naming the culprit (the good outcome), a raw Keras /
TensorFlow / Python error, or silent acceptance. Valid calls a newcomer might fear are
refused are cases too; they must simply work.

Cases that still misbehave are marked xfail(strict=True) with the outcome seen and the
branch that owns the fix, so that the fix turns them green. Run this file as a script to
print the outcome of every case:

    TF_CPP_MIN_LOG_LEVEL=3 .venv/bin/python tests/test_hardening_trial.py
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import keras
import numpy as np
import pytest
from keras import layers

import funcnet as fn
from funcnet._cli import main as cli

OK = None  # the case is a valid call: it must work


class Case(NamedTuple):
    call: Callable[[Path], Any]
    expect: str | None  # regex the FuncnetError must match (naming the culprit), or OK
    owner: str = ""  # when the call still misbehaves: the branch that owns the fix
    seen: str = ""  # ... and what happened instead, in a few words


# ---- small models and data the cases share ---------------------------------------------------


def two_heads(name: str | None = None) -> keras.Model:
    """Inputs "pixels" (8,), "table" (5,); heads "digit" (multiclass, 10) and "odd" (binary)."""
    ins = fn.inputs(pixels=(8,), table=(5,))
    h = fn.stack(fn.merge([ins["pixels"], ins["table"]], "concat"), layers.Dense(8))
    heads = [fn.head(h, "digit", "multiclass", 10), fn.head(h, "odd", "binary")]
    return fn.model(ins, heads, name=name)


def compiled(**kwargs: Any) -> keras.Model:
    return fn.compile(two_heads(), **kwargs)


def data(n: int = 8) -> tuple[dict[str, Any], dict[str, Any]]:
    rng = np.random.default_rng(0)
    x = {"pixels": rng.random((n, 8)), "table": rng.random((n, 5))}
    y = {"digit": rng.integers(0, 10, (n,)), "odd": rng.integers(0, 2, (n, 1))}
    return x, y


def fit(x: Any = None, y: Any = None, *, model: keras.Model | None = None, **kwargs: Any) -> Any:
    dx, dy = data()
    kwargs.setdefault("verbose", 0)
    return fn.fit(model or compiled(), dx if x is None else x, dy if y is None else y, **kwargs)


def changed(which: str, key: str, value: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    x, y = data()
    (x if which == "x" else y)[key] = value
    return x, y


def tokens_model() -> keras.Model:
    ins = fn.inputs(tokens=((6,), "int32"))
    h = fn.stack(ins["tokens"], [layers.Embedding(50, 4), layers.Flatten()])
    return fn.compile(fn.model(ins, fn.head(h, "score", "regression")))


def ab() -> dict[str, Any]:
    return fn.inputs(a=(4,), b=(6,))


def multi(**kwargs: Any) -> keras.Model:
    kwargs.setdefault("heads", {"y": "binary"})
    return fn.recipes.multi_input({"a": (3,), "b": (3,)}, **kwargs)


def used_dense() -> Any:
    d = layers.Dense(3)
    d(keras.Input((3,)))
    return d


FACTORIES = """
import keras
import funcnet as fn
from keras import layers

def build():
    ins = fn.inputs(a=(3,))
    return fn.model(ins, fn.head(ins["a"], "y", "binary"))

class Sub(keras.Model):
    def __init__(self):
        super().__init__()
        self.d = layers.Dense(1)
    def call(self, x):
        return self.d(x)

def subclassed():
    return Sub()
"""


def run_cli(tmp: Path, *argv: str) -> None:
    """Runs the CLI; a non-zero exit becomes a FuncnetError carrying its stderr line."""
    (tmp / "trial_models.py").write_text(FACTORIES)
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            code = cli([a.format(tmp=tmp) for a in argv])
        except SystemExit as stop:  # argparse's own usage errors
            raise RuntimeError(f"argparse exited {stop.code}: {err.getvalue()}") from None
    if code:
        text = err.getvalue()
        if "Traceback" in text or len(text.strip().splitlines()) != 1:
            raise RuntimeError(f"CLI printed more than one line: {text}")
        raise fn.FuncnetError(text.strip())


def saved_and_loaded(tmp: Path) -> keras.Model:
    model = compiled()
    fit(model=model)
    model.save(tmp / "m.keras")
    return keras.saving.load_model(tmp / "m.keras")


def ES(**kwargs: Any) -> Any:
    return keras.callbacks.EarlyStopping(**kwargs)


D = layers.Dense
PX = "pixels"

CASES: dict[str, Case] = {
    # ---- builder ------------------------------------------------------------------------
    "builder/inputs-shape-as-string": Case(lambda t: fn.inputs(x="28"), r'Input "x" needs a shape'),
    "builder/inputs-negative-dim": Case(lambda t: fn.inputs(x=(28, -1)), r'Input "x".*\(28, -1\)'),
    "builder/inputs-misspelled-dtype": Case(
        lambda t: fn.inputs(x=((3,), "float33")), r'"x".*float33'
    ),
    "builder/inputs-shape-as-list": Case(lambda t: fn.inputs(x=[3, 4]), OK),
    "builder/inputs-numpy-dim": Case(lambda t: fn.inputs(x=(np.int64(3),)), OK),
    "builder/inputs-name-with-space": Case(
        lambda t: fn.inputs(**{"my input": (3,)}), r'"my input"'
    ),
    "builder/inputs-name-with-slash": Case(
        lambda t: fn.inputs(**{"a/b": (3,)}), r'^Input name "a/b"'
    ),
    "builder/stack-none": Case(lambda t: fn.stack(ab()["a"], None), r"item 0.*None"),  # type: ignore[arg-type]
    "builder/stack-layer-class-not-instance": Case(
        lambda t: fn.stack(ab()["a"], layers.Dense), r"item 0 .*the class Dense, not a layer"
    ),
    "builder/stack-list-times-three": Case(
        lambda t: fn.stack(ab()["a"], [D(5)] * 3), r"item 0 and item 1 .*fn.shared"
    ),
    "builder/stack-layer-name-with-space": Case(
        lambda t: fn.stack(ab()["a"], D(5, name="hidden 1")), r'"hidden 1" \(item 0'
    ),
    "builder/stack-numpy-array": Case(lambda t: fn.stack(np.ones((2, 4)), D(3)), r"Keras tensor"),
    "builder/merge-one-tensor": Case(lambda t: fn.merge([ab()["a"]], "concat"), r"at least two"),
    "builder/merge-kind-capitalised": Case(
        lambda t: fn.merge(list(ab().values()), "Concat"), r'"Concat".*Did you mean "concat"'
    ),
    "builder/merge-add-widths-differ": Case(
        lambda t: fn.merge(list(ab().values()), "add"), r'input "a" \(shape \(None, 4\)\)'
    ),
    "builder/merge-tuple": Case(lambda t: fn.merge(tuple(ab().values()), "concat"), OK),
    "builder/merge-name-with-space": Case(
        lambda t: fn.merge(list(ab().values()), "concat", name="a and b"), r'"a and b"'
    ),
    "builder/shared-other-width": Case(
        lambda t: (lambda e, i: (e(i["a"]), e(i["b"])))(fn.shared(D(3), name="enc"), ab()),
        r'Shared block "enc".*input "a".*input "b"',
    ),
    "builder/shared-name-with-space": Case(lambda t: fn.shared(D(3), name="my enc"), r'"my enc"'),
    "builder/residual-empty-branch": Case(
        lambda t: fn.residual(ab()["a"], []), r"^fn.residual needs at least one layer"
    ),
    "builder/residual-vector-width-change": Case(
        lambda t: fn.residual(ab()["a"], D(8)),
        "width from 4 to 8.*projection=layers\\.Dense\\(8\\)",
    ),
    "builder/residual-name-with-space": Case(
        lambda t: fn.residual(ab()["a"], D(4), name="block 1"), r'"block 1"'
    ),
    "builder/head-task-capitalised": Case(
        lambda t: fn.head(ab()["a"], "y", "Binary"), r'"Binary".*Did you mean "binary"'
    ),
    "builder/head-name-not-string": Case(lambda t: fn.head(ab()["a"], 5, "binary"), r"name=5"),  # type: ignore[arg-type]
    "builder/head-name-with-space": Case(
        lambda t: fn.head(ab()["a"], "is fake", "binary"), r'"is fake"'
    ),
    "builder/head-numpy-units": Case(
        lambda t: fn.head(ab()["a"], "y", "multiclass", np.int64(10)), OK
    ),
    "builder/head-binary-two-units": Case(
        lambda t: fn.head(ab()["a"], "y", "binary", units=2), '"y".*one unit.*"multilabel"'
    ),
    "builder/head-multiclass-one-unit": Case(
        lambda t: fn.head(ab()["a"], "y", "multiclass", units=1), '"y".*unit'
    ),
    "builder/head-multiclass-no-activation": Case(
        lambda t: fn.head(ab()["a"], "y", "multiclass", 10, activation=None), '"y".*activation'
    ),
    "builder/model-name-with-space": Case(lambda t: two_heads("fake detector"), r'"fake detector"'),
    "builder/model-name-non-ascii": Case(lambda t: two_heads("détecteur"), r'"détecteur"'),
    "builder/model-one-tensor-twice-as-outputs": Case(
        lambda t: (lambda i: fn.model(i, [fn.head(i["a"], "y", "binary")] * 2))(fn.inputs(a=(3,))),
        r'both named "y"',
    ),
    "builder/model-dict-key-not-head-name": Case(
        lambda t: (lambda i: fn.model(i, {"wrong": fn.head(i["a"], "y", "binary")}))(
            fn.inputs(a=(3,))
        ),
        r'output key "wrong" holds the output of layer "y"',
    ),
    "builder/model-unused-input": Case(
        lambda t: (lambda i: fn.model(i, fn.head(i["a"], "y", "binary")))(ab()), r'input "b"'
    ),
    "builder/model-outputs-z-and-val-z": Case(
        lambda t: (
            lambda i: fn.model(i, [fn.head(i["a"], n, "regression") for n in ("z", "val_z")])
        )(fn.inputs(a=(3,))),
        r'"val_z".*output "z"',
    ),
    "builder/model-layer-by-hand-bad-name": Case(
        lambda t: (lambda i: fn.model(i, fn.head(D(3, name="h 1")(i["a"]), "y", "binary")))(
            fn.inputs(a=(3,))
        ),
        r'"h 1"',
    ),
    "builder/model-layer-shared-by-hand": Case(
        lambda t: (
            lambda i, d: fn.model(
                i, fn.head(fn.merge([d(i["a"]), d(i["b"])], "add"), "y", "binary")
            )
        )(fn.inputs(a=(3,), b=(3,)), D(4)),
        OK,
    ),
    # ---- recipes --------------------------------------------------------------------------
    "recipes/encoders-as-layer-list": Case(lambda t: multi(encoders=[D(3)]), r"encoders must be"),
    "recipes/encoders-factory-single-layer": Case(lambda t: multi(encoders=lambda: D(3)), OK),
    "recipes/encoders-factory-outer-layer": Case(
        lambda t: (lambda d: multi(encoders=lambda: [d]))(D(3, name="outer")),
        r'"outer".*input "a" and input "b"',
    ),
    "recipes/encoders-factory-used-layer": Case(
        lambda t: multi(encoders=(lambda d: lambda: [d])(used_dense())), r"already used"
    ),
    "recipes/encoders-dict-one-layer-twice": Case(
        lambda t: (lambda d: multi(encoders={"a": d, "b": d}))(D(3, name="both")), r'"both"'
    ),
    "recipes/head-spec-from-json": Case(
        lambda t: multi(heads=json.loads('{"y": ["multiclass", 10]}')), OK
    ),
    "recipes/head-spec-numpy-units": Case(
        lambda t: multi(heads={"y": ("multiclass", np.int64(3))}), OK
    ),
    "recipes/head-spec-missing-units": Case(
        lambda t: multi(heads={"y": {"task": "multiclass"}}), r'"y".*units='
    ),
    "recipes/head-name-with-space": Case(
        lambda t: multi(heads={"is fake": "binary"}), r'"is fake"'
    ),
    "recipes/model-name-with-space": Case(lambda t: multi(name="my net"), r'"my net"'),
    "recipes/input-key-with-space": Case(
        lambda t: fn.recipes.multi_output({"left eye": (3,)}, heads={"y": "binary"}), r'"left eye"'
    ),
    "recipes/branch-for-unknown-head": Case(
        lambda t: fn.recipes.multi_output({"a": (3,)}, heads={"y": "binary"}, branches={"z": D(2)}),
        r'"z".*Expected one of: y',
    ),
    "recipes/merge-misspelled": Case(lambda t: multi(merge="sum"), r'"sum"'),
    "recipes/siamese-widths-differ": Case(
        lambda t: fn.recipes.siamese({"l": (3,), "r": (4,)}, encoder=D(2), heads={"y": "binary"}),
        r'input "l".*input "r"',
    ),
    "recipes/resnet-two-inputs": Case(
        lambda t: fn.recipes.resnet({"a": (3,), "b": (3,)}, heads={"y": "binary"}), r"one input"
    ),
    "recipes/resnet-zero-blocks": Case(
        lambda t: fn.recipes.resnet({"a": (3,)}, blocks=0, heads={"y": "binary"}), r"blocks=0"
    ),
    "recipes/resnet-zero-filters": Case(
        lambda t: fn.recipes.resnet({"a": (3,)}, filters=(0,), heads={"y": "binary"}),
        "filters=\\(0,\\)",
    ),
    "recipes/resnet-model-name-with-space": Case(
        lambda t: fn.recipes.resnet(
            {"a": (3,)}, filters=(4,), heads={"y": "binary"}, name="my resnet"
        ),
        r'^Model name "my resnet"',
    ),
    "recipes/resnet-numpy-blocks": Case(
        lambda t: fn.recipes.resnet(
            {"a": (3,)}, filters=(4,), blocks=np.int64(1), heads={"y": "binary"}
        ),
        OK,
    ),
    # ---- compile --------------------------------------------------------------------------
    "compile/bare-loss-for-two-outputs": Case(
        lambda t: compiled(loss="mse"), r"loss must be a dict"
    ),
    "compile/loss-weight-nan": Case(
        lambda t: compiled(loss_weights={"digit": float("nan")}), '"digit".*nan'
    ),
    "compile/loss-weight-negative": Case(
        lambda t: compiled(loss_weights={"digit": -1.0}), '"digit".*-1'
    ),
    "compile/metric-misspelled": Case(
        lambda t: compiled(metrics={"digit": ["acuracy"]}), r'"acuracy"'
    ),
    "compile/metric-contradicts-task": Case(
        lambda t: compiled(metrics={"odd": ["sparse_categorical_accuracy"]}),
        '"odd".*sparse_categorical_accuracy',
    ),
    "compile/one-metric-object-two-outputs": Case(
        lambda t: (lambda m: compiled(metrics={"digit": [m], "odd": [m]}))(keras.metrics.AUC()),
        "digit.*odd",
    ),
    "compile/metric-named-loss": Case(
        lambda t: compiled(metrics={"odd": [keras.metrics.BinaryAccuracy(name="loss")]}),
        r'"odd_loss"',
    ),
    "compile/unknown-option": Case(lambda t: compiled(learning_rate=0.1), r"learning_rate"),
    "compile/preset-capitalised": Case(
        lambda t: compiled(preset="Fast"), r'"Fast".*Did you mean "fast"'
    ),
    "compile/steps-per-execution-zero": Case(
        lambda t: compiled(steps_per_execution=0), "steps_per_execution"
    ),
    "compile/not-a-model": Case(lambda t: fn.compile("model"), r"keras.Model"),  # type: ignore[arg-type]
    "compile/raw-model-bad-layer-name": Case(
        lambda t: fn.compile(keras.Model((i := keras.Input((3,))), D(1, name="out 1")(i))),
        r'"out 1"',
    ),
    # ---- data and fit ---------------------------------------------------------------------
    "fit/not-compiled": Case(lambda t: fn.fit(two_heads(), *data()), r"not compiled"),
    "fit/epochs-negative": Case(lambda t: fit(epochs=-1), "epochs"),
    "fit/epochs-fractional": Case(lambda t: fit(epochs=2.5), "epochs"),
    "fit/batch-size-zero": Case(lambda t: fit(batch_size=0), "batch_size"),
    "fit/batch-size-numpy": Case(lambda t: fit(batch_size=np.int64(4)), OK),
    "fit/validation-split-above-one": Case(lambda t: fit(validation_split=1.5), "validation_split"),
    "fit/no-targets": Case(lambda t: fn.fit(compiled(), data()[0], verbose=0), "target"),
    "fit/zero-rows": Case(
        lambda t: fit(
            x={k: v[:0] for k, v in data()[0].items()}, y={k: v[:0] for k, v in data()[1].items()}
        ),
        "0 samples|empty|no rows",
    ),
    "fit/inf-in-inputs": Case(
        lambda t: fit(*changed("x", PX, np.full((8, 8), np.inf))), '"pixels".*inf'
    ),
    "fit/nan-in-inputs": Case(
        lambda t: fit(*changed("x", PX, np.full((8, 8), np.nan))), r'"pixels".*NaN'
    ),
    "fit/targets-as-list": Case(lambda t: fit(y=list(data()[1].values())), r"dict"),
    "fit/target-key-misspelled": Case(
        lambda t: fit(y={"digt": data()[1]["digit"], "odd": data()[1]["odd"]}),
        r'"digt".*Did you mean "digit"',
    ),
    "fit/class-ids-out-of-range": Case(
        lambda t: fit(*changed("y", "digit", np.full(8, 10))), r'"digit"'
    ),
    "fit/class-weight-by-output-name": Case(
        lambda t: fit(class_weight={"odd": {0: 1.0, 1: 2.0}}), OK
    ),
    "fit/sample-weight-nan": Case(
        lambda t: fit(sample_weight={"odd": np.full(8, np.nan), "digit": np.ones(8)}),
        "sample_weight.*NaN",
    ),
    "fit/option-misspelled": Case(lambda t: fit(epoch=3), r'epoch=.*Did you mean "epochs"'),
    "fit/token-ids-beyond-embedding": Case(
        lambda t: fn.fit(
            tokens_model(), {"tokens": np.full((8, 6), 60)}, {"score": np.zeros((8, 1))}, verbose=0
        ),
        '"tokens".*50',
    ),
    "fit/callbacks-not-a-list": Case(lambda t: fit(callbacks=keras.callbacks.TerminateOnNaN()), OK),
    "fit/monitor-misspelled": Case(
        lambda t: fit(validation_split=0.25, callbacks=[ES(monitor="val_odd_acc")]),
        r'"val_odd_accuracy"',
    ),
    "fit/monitor-per-output-mode-auto": Case(
        lambda t: fit(validation_split=0.25, callbacks=[ES(monitor="val_odd_auc")]), r'mode="max"'
    ),
    "fit/monitor-val-without-validation": Case(
        lambda t: fit(callbacks=[ES()]), r"no validation data"
    ),
    "fit/monitor-with-mode": Case(
        lambda t: fit(validation_split=0.25, callbacks=[ES(monitor="val_odd_auc", mode="max")]), OK
    ),
    "fit/raw-model-bad-name": Case(
        lambda t: (
            lambda m: (m.compile(loss="mse"), fn.fit(m, np.zeros((4, 3)), np.zeros((4, 1))))
        )(keras.Model((i := keras.Input((3,), name="x")), D(1)(i), name="my model")),
        r'"my model"',
    ),
    "fit/check-data-string-class-ids": Case(
        lambda t: fn.check_data(two_heads(), *changed("y", "digit", np.array(["3"] * 8))),
        r'"digit"',
    ),
    # ---- pictures, files, command line, saving -------------------------------------------
    "plot/unknown-extension": Case(lambda t: fn.plot(two_heads(), t / "a.jpg"), r"\.jpg"),
    "plot/missing-folder": Case(
        lambda t: fn.plot(two_heads(), t / "no" / "a.png"), r'the folder "[^"]*/no"'
    ),
    "plot/path-is-folder": Case(lambda t: fn.plot(two_heads(), t), "is a folder"),
    "plot/dpi-zero": Case(lambda t: fn.plot(two_heads(), t / "a.png", dpi=0), "dpi"),
    "plot/dpi-string": Case(lambda t: fn.plot(two_heads(), t / "a.png", dpi="high"), "dpi"),
    "plot/not-a-model": Case(lambda t: fn.plot("model", t / "a.png"), r"keras.Model|model"),  # type: ignore[arg-type]
    "plot/model-with-bad-name-by-keras": Case(
        lambda t: fn.plot(
            keras.Model((i := keras.Input((3,))), D(1)(i), name="my model"), t / "a.png"
        ),
        OK,
    ),
    "cli/module-missing": Case(
        lambda t: run_cli(t, "plot", "nomodule_xyz:build", "-o", "{tmp}/a.png"), r"nomodule_xyz"
    ),
    "cli/factory-misspelled": Case(
        lambda t: run_cli(t, "summary", "{tmp}/trial_models.py:buidl"),
        r'"buidl".*Did you mean "build"',
    ),
    "cli/no-factory": Case(
        lambda t: run_cli(t, "summary", "{tmp}/trial_models.py"), r"MODULE:FACTORY"
    ),
    "cli/subclassed-model": Case(
        lambda t: run_cli(t, "plot", "{tmp}/trial_models.py:subclassed", "-o", "{tmp}/a.png"),
        r"subclassed|graph|built",
    ),
    "save/load-then-compile-and-fit": Case(
        lambda t: fit(model=fn.compile(saved_and_loaded(t))), OK
    ),
    "save/h5-extension": Case(lambda t: compiled().save(t / "m.h5"), OK),
    # ---- registries -------------------------------------------------------------------------
    "registry/task-name-taken": Case(
        lambda t: fn.tasks.register("binary", fn.tasks["binary"]), r'"binary" is already registered'
    ),
    "registry/preset-misspelled": Case(
        lambda t: fn.presets["fats"], r'"fats".*Did you mean "fast"'
    ),
}


def outcome(case: Case, tmp: Path) -> tuple[str, str]:
    """What the call did: ("named" | "misnamed" | "raw" | "accepted" | "ok", detail)."""
    try:
        case.call(tmp)
    except fn.FuncnetError as err:
        if case.expect is not None and re.search(case.expect, str(err), re.S):
            return "named", str(err).splitlines()[0][:100]
        return "misnamed", str(err).splitlines()[0][:100]
    except Exception as err:  # the trial records whatever happened
        first = (str(err).strip().splitlines() or [""])[0][:90]
        return "raw", f"{type(err).__name__}: {first}"
    return ("ok" if case.expect is None else "accepted"), ""


def _params() -> list[Any]:
    params = []
    for case_id, case in CASES.items():
        marks = []
        if case.owner:
            reason = f"owner: {case.owner}; seen: {case.seen}"
            marks.append(pytest.mark.xfail(strict=True, reason=reason))
        params.append(pytest.param(case, id=case_id, marks=marks))
    return params


@pytest.mark.parametrize("case", _params())
def test_a_newcomers_mistake_is_named_and_a_valid_call_works(case: Case, tmp_path: Path) -> None:
    result, detail = outcome(case, tmp_path)
    assert result == ("ok" if case.expect is None else "named"), detail


def test_the_trial_tries_80_cases_across_the_whole_api() -> None:
    assert len(CASES) >= 80
    areas = {case_id.split("/")[0] for case_id in CASES}
    assert areas >= {"builder", "recipes", "compile", "fit", "plot", "cli", "save"}


if __name__ == "__main__":  # print the outcome of every case
    counts: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as folder:
        for i, (case_id, case) in enumerate(CASES.items()):
            tmp = Path(folder) / f"case{i}"  # a neutral name: no regex may match the path
            tmp.mkdir()
            result, detail = outcome(case, tmp)
            counts[result] = counts.get(result, 0) + 1
            owner = f" [{case.owner}]" if case.owner else ""
            print(f"{result:9} {case_id}{owner}  {detail}", flush=True)
    print(counts, file=sys.stderr)
