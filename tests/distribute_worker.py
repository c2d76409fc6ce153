"""Trains the S3b model under tf.distribute in a fresh process, for tests/test_distribute.py.

Splitting the CPU into logical devices and joining a multi-worker cluster must both
happen before TensorFlow starts, so each run is its own process:

    python tests/distribute_worker.py mirrored RESULT.json
        Two logical CPUs: trains one device and MirroredStrategy from the same initial
        weights and reports the largest weight difference, both runs' metrics, and what
        each setting that
        two replicas cannot run does, raw in Keras and through funcnet.
    TF_CONFIG=... python tests/distribute_worker.py worker WEIGHTS.npz
        One worker of a MultiWorkerMirroredStrategy cluster: trains, saves its weights
        (and its last epoch's loss and metrics next to them, as WEIGHTS.json).
    TF_CONFIG=... python tests/distribute_worker.py raw-worker RESULT.txt
        The same worker with plain model.compile and model.fit, no funcnet fixes: writes
        "ok" or the error Keras raised (the canary in tests/test_keras_internals.py).
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

SAMPLES, BATCH, EPOCHS = 40, 10, 2


def s3b(strategy: Any = None) -> Any:
    """The S3b seed case, built in `strategy`'s scope."""
    from keras import layers

    import funcnet as fn
    from funcnet._distribute import scope

    with scope(strategy):
        return fn.recipes.multi_output(
            {"table_a": (5,), "table_b": (7,), "pixels": (784,)},
            trunk=layers.Dense(10, activation="relu"),
            heads={"o1": "binary", "o2": "binary", "o3": ("multiclass", 10)},
            name="s3b",
        )


def data(samples: int = SAMPLES) -> tuple[dict, dict]:
    """The same inputs and targets, keyed by name, in every process."""
    import numpy as np

    rng = np.random.default_rng(0)
    x = {
        name: rng.random((samples, width), dtype="float32")
        for name, width in (("table_a", 5), ("table_b", 7), ("pixels", 784))
    }
    y = {
        "o1": rng.integers(0, 2, (samples, 1)),
        "o2": rng.integers(0, 2, (samples, 1)),
        "o3": rng.integers(0, 10, (samples,)),
    }
    return x, y


def free_ports(count: int) -> list[int]:
    """Ports the OS reports free; all held open together so that they differ."""
    import socket

    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def train(model: Any, strategy: Any, weights: list) -> tuple[list, dict[str, float]]:
    """Compiles in scope with the default preset, trains EPOCHS in a fixed order.

    Returns:
        The final weights, and the last epoch's loss and metrics by name.
    """
    import funcnet as fn
    from funcnet._distribute import scope

    model.set_weights(weights)
    with scope(strategy):
        fn.compile(model)
    x, y = data()
    history = fn.fit(model, x, y, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0)
    return list(model.get_weights()), {k: float(v[-1]) for k, v in history.history.items()}


def largest_difference(a: list, b: list) -> float:
    import numpy as np

    return max(float(np.abs(u - v).max()) for u, v in zip(a, b, strict=True))


def failure(call: Any) -> str:
    """Runs `call`; returns "ok", or the exception's type and message."""
    try:
        call()
    except Exception as err:  # the test reads what failed and how
        return f"{type(err).__name__}: {str(err)[:3000]}"
    return "ok"


def mirrored(out: Path) -> None:
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras

    import funcnet as fn
    from funcnet._distribute import check_preset, unsupported

    keras.utils.set_random_seed(0)
    initial = s3b().get_weights()
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    one, one_logs = train(s3b(), None, initial)
    two, two_logs = train(s3b(strategy), strategy, initial)
    result: dict[str, Any] = {
        "replicas": strategy.num_replicas_in_sync,
        "max_weight_difference": largest_difference(one, two),
        "weights_moved": largest_difference(one, initial),
        "logs": [one_logs, two_logs],
    }

    # What two replicas do with the settings funcnet turns off or refuses.
    x, y = data()
    for key, value in (("steps_per_execution", 2), ("jit_compile", True)):
        model = s3b(strategy)
        with strategy.scope():
            model.compile(
                "adam",
                {
                    "o1": "binary_crossentropy",
                    "o2": "binary_crossentropy",
                    "o3": "sparse_categorical_crossentropy",
                },
                **{key: value},
            )
        result[f"raw {key}={value}"] = failure(
            lambda m=model: m.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result["fast preset"] = check_preset("fast", fn.presets["fast"].compile_kwargs(), strategy)
    result["fast preset warnings"] = [str(w.message) for w in caught]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mine = {"steps_per_execution": 1}
        check_preset("fast", {"steps_per_execution": 32}, strategy, given=mine)
    result["fast preset overridden, warnings"] = len(caught)
    result["unsupported"] = unsupported({"steps_per_execution": 4, "jit_compile": True}, strategy)

    # the recipe-to-fit path
    model = fn.recipes.multi_output(
        {"table_a": (5,), "table_b": (7,), "pixels": (784,)},
        trunk=keras.layers.Dense(10, activation="relu"),
        heads={"o1": "binary", "o2": "binary", "o3": ("multiclass", 10)},
        strategy=strategy,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn.compile(model, preset="fast")
    result["fn.compile fast"] = [model.steps_per_execution, [str(w.message) for w in caught]]
    history = fn.fit(model, x, y, batch_size=BATCH, epochs=1, verbose=0)
    result["fn.fit fast loss"] = history.history["loss"][-1]
    result["fn.compile steps_per_execution=4"] = failure(
        lambda: fn.compile(model, steps_per_execution=4)
    )
    result["fn.fit batch_size=9"] = failure(
        lambda: fn.fit(model, x, y, batch_size=9, epochs=1, verbose=0)
    )
    out.write_text(json.dumps(result))


def worker(out: Path) -> None:
    import keras
    import numpy as np
    import tensorflow as tf

    # MultiWorkerMirroredStrategy must exist before any other TensorFlow work: it
    # configures the collective runtime and waits here until every worker has joined.
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    keras.utils.set_random_seed(0)
    initial = s3b().get_weights()  # same seed, so the same initial weights on every worker
    weights, logs = train(s3b(strategy), strategy, initial)
    np.savez(out, *weights)
    out.with_suffix(".json").write_text(json.dumps(logs))


def raw_worker(out: Path) -> None:
    import keras
    import tensorflow as tf

    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    keras.utils.set_random_seed(0)
    model = s3b(strategy)
    losses = ["binary_crossentropy", "binary_crossentropy", "sparse_categorical_crossentropy"]
    with strategy.scope():
        model.compile("adam", dict(zip(("o1", "o2", "o3"), losses, strict=True)))
    x, y = data()
    out.write_text(
        failure(lambda: model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0))
    )


if __name__ == "__main__":
    modes = {"mirrored": mirrored, "worker": worker, "raw-worker": raw_worker}
    modes[sys.argv[1]](Path(sys.argv[2]))
