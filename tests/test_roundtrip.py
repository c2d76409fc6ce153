"""Nothing lost: every recipe and seed-case model survives `.keras` and JSON round trips.

A loaded model must predict exactly what the saved one did (max abs difference 0), hold
the same weights, keep each shared layer as ONE layer called as often as before, keep its
heads' tasks and its declared output order, and compile to the same losses and metrics.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest

import funcnet as fn
from funcnet._compile import TRAINED_TASKS
from funcnet._graph import upstream_nodes
from tests.conftest import synthetic
from tests.test_builder import RECIPES
from tests.test_seed_cases import CASES, s2b_funcnet, s3b_funcnet

MODELS: dict[str, Callable[[], keras.Model]] = {
    **{f"recipe-{key}": build for key, build in RECIPES.items()},
    **{f"seed-{key}": case.funcnet for key, case in CASES.items()},
}


def calls(model: keras.Model) -> Counter[str]:
    """How often each layer is called inside `model` (a shared layer: more than once)."""
    return Counter(node.operation.name for node in upstream_nodes(model.outputs))


def tasks_of(model: keras.Model) -> dict[str, str]:
    return {layer.name: layer.task for layer in model.layers if isinstance(layer, fn.Head)}


def predict(model: keras.Model, x: dict[str, np.ndarray]) -> Any:
    # An eager call: no tf.function to trace per model, and the output keeps its structure.
    return keras.tree.map_structure(np.asarray, model(x, training=False))


def max_abs_diff(a: Any, b: Any) -> float:
    assert keras.tree.assert_same_structure(a, b) is None
    if isinstance(a, dict):
        assert list(a) == list(b), "output order changed"
    pairs = zip(keras.tree.flatten(a), keras.tree.flatten(b), strict=True)
    return max(float(np.max(np.abs(p - q))) for p, q in pairs)


def assert_same_model(before: keras.Model, after: keras.Model, x: dict[str, np.ndarray]) -> None:
    assert max_abs_diff(predict(before, x), predict(after, x)) == 0.0
    assert [w.path for w in after.weights] == [w.path for w in before.weights]
    for w_before, w_after in zip(before.get_weights(), after.get_weights(), strict=True):
        np.testing.assert_array_equal(w_before, w_after)
    # Shared layers stay shared: the same calls per layer, and no weight exists twice.
    assert calls(after) == calls(before)
    assert len({id(w) for w in after.weights}) == len(after.weights) == len(before.weights)
    assert tasks_of(after) == tasks_of(before) and tasks_of(after)
    assert list(after.output_names) == list(before.output_names)
    assert [t.name for t in after.inputs] == [t.name for t in before.inputs]


@pytest.mark.parametrize("build", MODELS.values(), ids=MODELS.keys())
def test_keras_file_round_trip(build: Callable[[], keras.Model], tmp_path: Path) -> None:
    model = build()
    x, _ = synthetic(model, n=4)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)  # no custom_objects: Head is registered
    assert_same_model(model, loaded, x)


@pytest.mark.parametrize("build", MODELS.values(), ids=MODELS.keys())
def test_json_round_trip(build: Callable[[], keras.Model]) -> None:
    # Keras 3 supports to_json/model_from_json for functional models; the JSON names Head
    # as "funcnet>Head", which resolves with no custom_objects once Head is registered.
    model = build()
    x, _ = synthetic(model, n=4)
    rebuilt = keras.models.model_from_json(model.to_json())
    rebuilt.set_weights(model.get_weights())
    assert_same_model(model, rebuilt, x)


COMPILED = ("loss", "loss_weights", "metrics", "steps_per_execution", "jit_compile")


@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")
@pytest.mark.parametrize(
    "build, preset",
    [
        *[pytest.param(build, "default", id=key) for key, build in MODELS.items()],
        pytest.param(MODELS["seed-S3b"], "fast", id="seed-S3b-fast"),
    ],
)
def test_compile_after_loading_gives_the_same_losses_and_metrics(
    build: Callable[[], keras.Model], preset: str, tmp_path: Path
) -> None:
    model = build()
    model.save(tmp_path / "model.keras")  # saved before compiling: only the heads tell
    fn.compile(model, preset=preset)
    loaded = fn.compile(keras.saving.load_model(tmp_path / "model.keras"), preset=preset)
    before, after = model.get_compile_config(), loaded.get_compile_config()
    assert {k: after[k] for k in COMPILED} == {k: before[k] for k in COMPILED}
    assert getattr(loaded, TRAINED_TASKS) == getattr(model, TRAINED_TASKS) == tasks_of(model)


@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")
def test_loaded_model_evaluates_exactly_as_before(tmp_path: Path) -> None:
    # The same losses and metrics per output, measured: evaluate gives identical numbers.
    model = fn.compile(s3b_funcnet(), run_eagerly=True)  # eager: no graph to trace, twice
    x, y = synthetic(model, n=20)
    model.save(tmp_path / "s3b.keras")
    loaded = fn.compile(keras.saving.load_model(tmp_path / "s3b.keras"), run_eagerly=True)
    before = model.evaluate(x, y, verbose=0, return_dict=True)
    after = loaded.evaluate(x, y, verbose=0, return_dict=True)
    assert after == before
    assert {f"{o}_{m}" for o in ("o1", "o2") for m in ("loss", "accuracy", "auc")} <= set(after)


def test_shared_layer_is_one_layer_called_twice_after_loading(tmp_path: Path) -> None:
    model = s2b_funcnet()
    model.save(tmp_path / "s2b.keras")
    loaded = keras.saving.load_model(tmp_path / "s2b.keras")
    assert calls(loaded)["shared_layer"] == 2
    assert [layer.name for layer in loaded.layers].count("shared_layer") == 1
    # Training the loaded model moves the one kernel that both branches read.
    kernel = loaded.get_layer("shared_layer").kernel
    before = keras.ops.convert_to_numpy(kernel)
    loaded.compile(optimizer="sgd", loss="binary_crossentropy")
    x, y = synthetic(loaded, n=8)
    loaded.fit(x, y, epochs=1, verbose=0)
    assert not np.allclose(before, keras.ops.convert_to_numpy(kernel))


def test_declared_output_order_survives_loading(tmp_path: Path) -> None:
    ins = fn.inputs(a=(3,))
    m = fn.model(
        ins, [fn.head(ins["a"], "zeta", "regression"), fn.head(ins["a"], "alpha", "binary")]
    )
    m.save(tmp_path / "order.keras")
    loaded = keras.saving.load_model(tmp_path / "order.keras")
    assert list(loaded.output) == ["zeta", "alpha"]  # Keras sorts output_names; not this
    assert list(predict(loaded, {"a": np.ones((1, 3))})) == ["zeta", "alpha"]


# ---- a fresh Python process: what a user who only has the file sees ----------------------

_LOADER = textwrap.dedent(
    """
    import json, os, sys
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    mode, folder = sys.argv[1], sys.argv[2]
    if mode == "funcnet":
        import funcnet
    import keras
    import numpy as np

    def attempt(tag):
        for kind in ("load_model", "model_from_json"):
            try:
                if kind == "load_model":
                    m = keras.saving.load_model(os.path.join(folder, "model.keras"))
                else:
                    with open(os.path.join(folder, "model.json")) as f:
                        m = keras.models.model_from_json(f.read())
                    m.set_weights([np.load(os.path.join(folder, "weights.npz"))[k]
                                   for k in sorted(np.load(os.path.join(folder, "weights.npz")),
                                                   key=lambda k: int(k[1:]))])
                x = dict(np.load(os.path.join(folder, "x.npz")))
                out = m(x, training=False)
                np.savez(os.path.join(folder, f"{tag}-{kind}.npz"),
                         **{k: np.asarray(v) for k, v in out.items()})
                result[f"{tag} {kind}"] = "ok"
            except Exception as err:
                result[f"{tag} {kind}"] = f"{type(err).__name__}: {err}"

    result = {}
    attempt("first")
    if mode == "funcnet":
        funcnet.Head  # the first use of a public name imports funcnet._heads
        attempt("after-Head")
    print(json.dumps(result))
    """
)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """Saves S2b (a shared layer, two heads), then loads it in two fresh processes."""
    folder = tmp_path_factory.mktemp("fresh")
    model = s2b_funcnet()
    x, _ = synthetic(model, n=4)
    model.save(folder / "model.keras")
    (folder / "model.json").write_text(model.to_json())
    np.savez(folder / "weights.npz", **{f"w{i}": w for i, w in enumerate(model.get_weights())})
    np.savez(folder / "x.npz", **x)
    np.savez(folder / "expected.npz", **predict(model, x))
    env = {**os.environ, "PYTHONPATH": str(Path(fn.__file__).parents[1])}
    procs = {  # both at once: each spends seconds importing TensorFlow
        mode: subprocess.Popen(
            [sys.executable, "-c", _LOADER, mode, str(folder)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for mode in ("keras-only", "funcnet")
    }
    results = {}
    for mode, proc in procs.items():
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-2000:]
        results[mode] = json.loads(out.strip().splitlines()[-1])
    results["folder"] = {"path": str(folder)}
    return results


def test_fresh_process_without_funcnet_cannot_load(fresh: dict[str, dict[str, str]]) -> None:
    # Measured: a process that never imports funcnet cannot rebuild Head. Keras only
    # imports modules of its own packages (keras, keras_hub, ...) while deserializing, so
    # "funcnet>Head" stays unknown: load_model and model_from_json both raise TypeError
    # "Could not locate class 'Head'". Loading funcnet models needs `import funcnet`.
    for kind in ("load_model", "model_from_json"):
        outcome = fresh["keras-only"][f"first {kind}"]
        assert outcome.startswith("TypeError") and "Could not locate class 'Head'" in outcome


@pytest.mark.parametrize("kind", ["load_model", "model_from_json"])
def test_fresh_process_import_funcnet_then_load(
    fresh: dict[str, dict[str, str]], kind: str
) -> None:
    assert fresh["funcnet"][f"first {kind}"] == "ok"


@pytest.mark.parametrize("kind", ["load_model", "model_from_json"])
def test_fresh_process_loads_identically_once_head_is_registered(
    fresh: dict[str, dict[str, str]], kind: str
) -> None:
    assert fresh["funcnet"][f"after-Head {kind}"] == "ok"
    folder = Path(fresh["folder"]["path"])
    expected = dict(np.load(folder / "expected.npz"))
    got = dict(np.load(folder / f"after-Head-{kind}.npz"))
    assert max_abs_diff(expected, got) == 0.0
