"""funcnet on JAX: no TensorFlow unless asked, tf.distribute refused by name, and
`keras.distribution.DataParallel` over two host devices reaching the one-device weights.

The subprocess tests start their own JAX processes (two devices must be set before JAX
starts), so they run once, in the JAX pass of `make test`; the TensorFlow pass skips them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import keras
import pytest

import funcnet as fn
from funcnet._distribute import scope

ROOT = Path(__file__).resolve().parents[1]
BACKEND = keras.backend.backend()
in_the_jax_pass = pytest.mark.skipif(
    BACKEND != "jax", reason="starts its own JAX process: runs once, in the JAX pass"
)


def run_jax(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "3"}
    environment["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**environment, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


# ---- TensorFlow is loaded only for what needs it -------------------------------------------
# Builds, checks, compiles, trains and draws S3b on JAX and reports whether that loaded
# TensorFlow; then saves and loads it. Keras itself loads TensorFlow when it is installed
# in model.save (to test for tf.TensorShape) and keras.utils.set_random_seed (to seed it),
# so those come after the report.
NO_TENSORFLOW = """
import sys, numpy as np, keras, funcnet as fn
from funcnet import gallery
model = fn.compile(gallery.s3b(), preset="fast")
rng = np.random.default_rng(0)
x = {t.name: rng.random((64, t.shape[1]), dtype="float32") for t in model.inputs}
y = {"o1": rng.integers(0, 2, (64, 1)), "o2": rng.integers(0, 2, (64, 1)),
     "o3": rng.integers(0, 10, (64,))}
fn.check_data(model, x, y)
fn.fit(model, x, y, batch_size=16, epochs=1, verbose=0)
fn.plot(model, sys.argv[1] + "/s3b.png")
print("tensorflow" in sys.modules)
model.save(sys.argv[1] + "/s3b.keras")
again = keras.saving.load_model(sys.argv[1] + "/s3b.keras")
fn.compile(again, preset="fast")
print(keras.backend.backend(), again.jit_compile)
"""


@in_the_jax_pass
def test_funcnet_on_jax_never_loads_tensorflow(tmp_path: Path) -> None:
    done = run_jax(["-c", NO_TENSORFLOW, str(tmp_path)])
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["False", "jax", "True"]
    assert (tmp_path / "s3b.png").read_bytes().startswith(b"\x89PNG")


# ---- strategy= (tf.distribute) is TensorFlow's: refused by name elsewhere ------------------
def one_device_strategy() -> Any:
    import tensorflow as tf

    return tf.distribute.OneDeviceStrategy("/cpu:0")


ENTRY_POINTS = {
    "recipe": lambda s: fn.recipes.multi_input({"a": (3,)}, heads={"y": "binary"}, strategy=s),
    "fn.compile": lambda s: fn.compile(
        fn.recipes.multi_input({"a": (3,)}, heads={"y": "binary"}), strategy=s
    ),
    "scope": scope,
}


@pytest.mark.skipif(BACKEND == "tensorflow", reason="strategy= runs on TensorFlow: test_distribute")
@pytest.mark.parametrize("call", ENTRY_POINTS.values(), ids=ENTRY_POINTS.keys())
def test_strategy_off_tensorflow_is_refused_naming_keras_distribution(call: Any) -> None:
    with pytest.raises(fn.FuncnetError) as err:
        call(one_device_strategy())
    message = str(err.value)
    for part in (
        "strategy= takes a tf.distribute.Strategy",
        f'Keras runs on "{BACKEND}"',
        "keras.distribution.set_distribution(keras.distribution.DataParallel())",
        "Received: strategy=OneDeviceStrategy",
    ):
        assert part in message


# ---- keras.distribution.DataParallel over two host devices ---------------------------------
@pytest.fixture(scope="module")
def data_parallel(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("data_parallel") / "result.json"
    done = run_jax(
        ["tests/jax_distribution_worker.py", str(out)],
        XLA_FLAGS="--xla_force_host_platform_device_count=2",
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(out.read_text())


@in_the_jax_pass
def test_data_parallel_two_devices_reach_the_one_device_weights(
    data_parallel: dict[str, Any],
) -> None:
    assert data_parallel["backend"] == "jax"
    assert data_parallel["devices"] == ["cpu:0", "cpu:1"] and data_parallel["mesh"] == [2]
    # ...with preset="fast" on both devices: 32 batches per call and XLA, as on one.
    assert data_parallel["steps_per_execution"] == 32 and data_parallel["jit_compile"]
    assert data_parallel["weights_moved"] > 1e-3  # training did something to compare
    assert data_parallel["max_weight_difference"] < 1e-5
    one, two = data_parallel["logs"]
    assert set(one) == set(two) and {"o1_auc", "o3_accuracy", "o2_loss"} <= set(one)
    for key in one:
        assert two[key] == pytest.approx(one[key], abs=1e-5), key


@in_the_jax_pass
def test_a_model_built_before_the_distribution_is_refused_by_name(
    data_parallel: dict[str, Any],
) -> None:
    error = data_parallel["built_before"]
    assert error.startswith("FuncnetError: fn.compile found 1 problem")
    for part in (
        'Model "s3b" was built before keras.distribution.set_distribution(DataParallel)',
        'its variable "',
        "lives on 1 device, not on the distribution's 2",
        "Call set_distribution first, then build the model",
    ):
        assert part in error


# what fn.fit was given -> what its error says
UNEVEN = {
    "uneven_batch": r"batch_size=11. Use a multiple of 2, e.g. 10 or 12",
    "uneven_last_batch": r"39 samples, whose last batch of batch_size=10 holds 9",
}


@in_the_jax_pass
@pytest.mark.parametrize(("case", "says"), UNEVEN.items(), ids=UNEVEN.keys())
def test_data_parallel_refuses_batches_that_do_not_split(
    data_parallel: dict[str, Any], case: str, says: str
) -> None:
    error = data_parallel[case]
    assert error.startswith('FuncnetError: Model "s3b" trains under keras.distribution.')
    assert "DataParallel over 2 devices" in error and says in error
