"""What funcnet's data checks cost against one epoch of `model.fit`, on 1M rows.

A structured-data model (scalar `age` and `income`, a text `city` through `StringLookup`,
a (10,) `table`, 4 token ids into an `Embedding`; a binary and a regression head) trains
on 1,000,000 rows, batch 256, compiled with `fn.compile(preset="fast")`:

- arrays: `fn.check_data(model, x, y)` (every check that reads the values: NaN and inf,
  id ranges, text, counts, target classes) against one epoch of `model.fit(x, y)`;
- tf.data: the element-spec check `fn.fit` runs on a dataset against one epoch of
  `model.fit(dataset)`; it reads the spec, not the data, so its cost does not grow with
  the rows.

Each check runs 5 times (median); each fit runs one untimed warm-up epoch, then 2 timed
epochs (median). The ratios are check / epoch: funcnet's promise is under 5%.

Run: python benchmarks/bench_data.py   (about two minutes on 2 cores)
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np
import tensorflow as tf
from keras import layers

import funcnet as fn
from funcnet._datasets import stream_problems

ROWS = 1_000_000
BATCH = 256
CITIES = np.array(["Oslo", "Rome", "Lima", "Pune", "Kyiv"])
BUDGET = 0.05  # the checks may add at most 5% to one epoch


def build() -> keras.Model:
    ins = fn.inputs(age=(), income=(), city=((), "string"), table=(10,), tokens=((4,), "int32"))
    parts = [
        ins["age"],
        ins["income"],
        fn.stack(ins["city"], layers.StringLookup(vocabulary=list(CITIES), output_mode="one_hot")),
        ins["table"],
        fn.stack(ins["tokens"], [layers.Embedding(1000, 8), layers.Flatten()]),
    ]
    h = fn.stack(fn.merge(parts, "concat"), layers.Dense(32, activation="relu"))
    heads = [fn.head(h, "buys", "binary"), fn.head(h, "spend", "regression")]
    return fn.compile(fn.model(ins, heads, name="shoppers"), preset="fast")


def data(rows: int) -> tuple[dict[str, Any], dict[str, Any]]:
    rng = np.random.default_rng(0)
    x = {
        "age": rng.random(rows, dtype="float32"),
        "income": rng.random(rows, dtype="float32"),
        "city": CITIES[rng.integers(0, len(CITIES), rows)].astype(object),
        "table": rng.random((rows, 10), dtype="float32"),
        "tokens": rng.integers(0, 1000, (rows, 4)).astype("int32"),
    }
    y = {"buys": rng.integers(0, 2, rows), "spend": rng.random(rows, dtype="float32")}
    return x, y


def median_seconds(run: Callable[[], Any], times: int) -> float:
    seconds = []
    for _ in range(times):
        start = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def epoch_seconds(model: keras.Model, *args: Any, **kwargs: Any) -> float:
    model.fit(*args, epochs=1, verbose=0, **kwargs)  # warm-up: tracing, compiling
    return median_seconds(lambda: model.fit(*args, epochs=1, verbose=0, **kwargs), 2)


def main() -> int:
    if keras.backend.backend() != "tensorflow":
        print("bench_data needs the TensorFlow backend (a string input runs in the model).")
        return 0
    x, y = data(ROWS)
    model = build()
    checks = median_seconds(lambda: fn.check_data(model, x, y), 5)
    checked_x, checked_y = fn.check_data(model, x, y)
    epoch = epoch_seconds(model, checked_x, checked_y, batch_size=BATCH, shuffle=False)

    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(BATCH)
    spec = median_seconds(lambda: stream_problems(model, dataset), 5)
    dataset_epoch = epoch_seconds(model, dataset)

    print(f"{ROWS:,} rows, batch {BATCH}, preset='fast', load average {os.getloadavg()[0]:.1f}")
    rows = [
        ("fn.check_data on arrays", checks, epoch),
        ("tf.data element-spec check", spec, dataset_epoch),
    ]
    print(f"{'check':<30}{'check s':>10}{'epoch s':>10}{'check/epoch':>13}")
    for name, check, whole in rows:
        print(f"{name:<30}{check:>10.4f}{whole:>10.2f}{check / whole:>12.2%}")
    worst = max(check / whole for _, check, whole in rows)
    verdict = "within" if worst < BUDGET else "OVER"
    print(f"worst ratio {worst:.2%}: {verdict} the {BUDGET:.0%} budget")
    return 0 if worst < BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
