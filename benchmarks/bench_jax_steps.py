"""On JAX: a model's training step called once per batch, or 32 steps in one compiled call.

funcnet/_jax_steps.py runs each group of `steps_per_execution` batches in one compiled
call (a `jax.lax.scan` over the model's `train_step`) instead of Keras's one call per
batch, except where the step convolves, which XLA on a CPU runs slower inside a compiled
loop. This measures both ways, with funcnet's own compiled group (`compiled_group`), on
the models that rule is about, with the batches already on the device, so only the step
and its dispatch are timed: the best of 3 rounds of 32 steps each way, the two ways
alternating. "funcnet runs" says which way `fn.compile` picks for the model.

Run: python benchmarks/bench_jax_steps.py   (about a minute; always on JAX)
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ["KERAS_BACKEND"] = "jax"  # this measures JAX's trainer, whatever the shell says
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import jax  # noqa: E402
import keras  # noqa: E402
from bench_backends import jax_state  # noqa: E402
from keras import layers  # noqa: E402

import funcnet as fn  # noqa: E402
from funcnet import gallery  # noqa: E402
from funcnet._fit import _arranged  # noqa: E402
from funcnet._jax_steps import _can_scan, _step_fits, compiled_group  # noqa: E402
from tests import real_models  # noqa: E402
from tests.test_real_models import data  # noqa: E402

GROUP, BATCH, ROUNDS = 32, 8, 3


def lstm() -> keras.Model:
    ins = fn.inputs(tokens=((20,), "int32"))
    h = fn.stack(ins["tokens"], [layers.Embedding(100, 16), layers.LSTM(16)])
    return fn.model(ins, fn.head(h, "positive", "binary"))


def conv1d() -> keras.Model:
    ins = fn.inputs(signal=(50, 8))
    h = fn.stack(ins["signal"], [layers.Conv1D(16, 5, activation="relu"), layers.GlobalMaxPool1D()])
    return fn.model(ins, fn.head(h, "positive", "binary"))


def tiny_cnn() -> keras.Model:
    ins = fn.inputs(digit=(8, 8, 1))
    h = fn.stack(ins["digit"], [layers.Conv2D(8, 3, activation="relu"), layers.Flatten()])
    return fn.model(ins, fn.head(h, "positive", "binary"))


MODELS: dict[str, Callable[[], keras.Model]] = {
    "S3b": gallery.s3b,
    "transformer": real_models.transformer_funcnet,
    "QA span heads": real_models.qa_funcnet,
    "wide and deep": real_models.wide_deep_funcnet,
    "LSTM": lstm,
    "8x8 Conv2D": tiny_cnn,
    "Conv1D": conv1d,
    "siamese (Conv2D)": real_models.siamese_funcnet,
    "U-Net": real_models.unet_funcnet,
    "DeepLabV3+": real_models.deeplab_funcnet,
}


def both_ways(model: keras.Model) -> tuple[float, float, bool]:
    """Best seconds for 32 steps: 32 compiled calls, and one compiled call of 32 steps;
    and whether funcnet runs one call for this model."""
    named_x, named_y = data(model, n=GROUP * BATCH)
    fn.fit(model, named_x, named_y, batch_size=BATCH, epochs=1, verbose=0)  # builds Adam's state
    x, y = _arranged(model, "inputs", named_x), _arranged(model, "outputs", named_y)  # as Keras
    x, y = keras.tree.map_structure(
        lambda a: a.astype("float32") if a.dtype.kind == "f" else a, (x, y)
    )
    stacked = keras.tree.map_structure(
        lambda a: jax.device_put(a.reshape(GROUP, BATCH, *a.shape[1:])), (x, y)
    )
    batches = [keras.tree.map_structure(lambda a: a[i], stacked) for i in range(GROUP)]  # noqa: B023
    state = jax_state(model)
    picked = _can_scan(model) and _step_fits(model.train_step, state, batches[0])
    one = jax.jit(model.train_step, donate_argnums=0)  # as Keras's loop compiles it
    group = compiled_group(model.train_step)  # as funcnet's one call compiles it
    best = {"calls": float("inf"), "one call": float("inf")}
    for _ in range(1 + ROUNDS):  # the first round compiles
        for way in best:
            start = time.perf_counter()
            if way == "calls":
                for batch in batches:
                    state = one(state, batch)[1]
            else:
                state = group(state, stacked)[1]
            jax.block_until_ready(state)
            best[way] = min(best[way], time.perf_counter() - start)
    return best["calls"], best["one call"], picked


def main() -> None:
    print(
        f"JAX on {jax.default_backend()}, {GROUP} steps of batch {BATCH}, best of {ROUNDS}: the "
        "step alone, data already on the device"
    )
    print(f"{'model':<18} {'32 calls':>10} {'one call':>10} {'gain':>6}  funcnet runs")
    for name, build in MODELS.items():
        keras.utils.set_random_seed(0)
        model = fn.compile(build(), steps_per_execution=GROUP)
        calls, one_call, picked = both_ways(model)
        print(
            f"{name:<18} {calls * 1e3:>8.1f}ms {one_call * 1e3:>8.1f}ms "
            f"{calls / one_call:>5.2f}x  {'one call' if picked else '32 calls'}",
            flush=True,
        )


if __name__ == "__main__":
    main()
