"""Settings by Keras backend, checked in both passes of `make test` (TensorFlow, then JAX).

`preset="fast"` picks each backend's fastest settings (benchmarks/bench_backends.py
measures them); a setting that is pathological on the running backend is named, whoever
asked for it; and under `keras.distribution` every batch must split over the devices.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import keras
import numpy as np
import pytest

import funcnet as fn
from funcnet._backends import check_sharded_batches

BACKEND = keras.backend.backend()


def tiny() -> keras.Model:
    ins = fn.inputs(a=(3,))
    return fn.model(ins, fn.head(ins["a"], "y", "binary"), name="tiny")


# ---- preset="fast" on each backend ----------------------------------------------------------
# backend -> (the preset's settings on a CPU, what Keras resolves jit_compile to)
FAST = {
    "tensorflow": ({"steps_per_execution": 32, "jit_compile": False}, False),
    "jax": ({"steps_per_execution": 32, "jit_compile": "auto"}, True),  # XLA: JAX's fast path
}


def test_fast_preset_picks_this_backends_settings() -> None:
    settings, xla = FAST[BACKEND]
    assert fn.presets["fast"].compile_kwargs() == settings
    model = fn.compile(tiny(), preset="fast")
    assert model.steps_per_execution == 32 and model.jit_compile is xla


# ---- jit_compile=False: pathological on JAX, whoever asks --------------------------------------
@pytest.fixture
def no_xla_preset() -> Iterator[str]:
    fn.presets.register("no-xla", fn.Preset("XLA off", {"jit_compile": False}), replace=True)
    yield "no-xla"
    fn.presets.unregister("no-xla")


# who asks -> (fn.compile's arguments, the warning's first words, jit_compile compiled on JAX)
ASKERS: dict[str, tuple[dict[str, Any], str, bool]] = {
    "a-preset": ({"preset": "no-xla"}, 'preset "no-xla" asks for jit_compile=False', True),
    "the-caller": ({"jit_compile": False}, "fn.compile(jit_compile=False)", False),
    "the-caller-over-fast": (
        {"preset": "fast", "jit_compile": False},
        "fn.compile(jit_compile=False)",
        False,
    ),
}


@pytest.mark.parametrize(("kwargs", "who", "jit_on_jax"), ASKERS.values(), ids=ASKERS.keys())
def test_jit_compile_false_is_named_on_jax_and_left_alone_elsewhere(
    no_xla_preset: str, kwargs: dict[str, Any], who: str, jit_on_jax: bool
) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = fn.compile(tiny(), **kwargs)
    named = [str(w.message) for w in caught if "jit_compile" in str(w.message)]
    if BACKEND == "jax":
        (message,) = named  # one warning, naming who asked
        assert message.startswith(who)
        for part in ("jax backend", "eagerly", "over 100x slower", "run_eagerly=True"):
            assert part in message
        # A preset's setting is replaced (XLA kept); the caller's own is kept, as asked.
        assert model.jit_compile is jit_on_jax
    else:
        assert named == [] and model.jit_compile is False


# ---- keras.distribution: every batch, the last one too, splits over the devices -------------
def pretend_two_devices(monkeypatch: pytest.MonkeyPatch) -> None:
    """DataParallel over a 2-device mesh as funcnet sees it (no devices needed to check)."""
    mesh = keras.distribution.DeviceMesh((2,), ["batch"], devices=["cpu:0", "cpu:1"])
    data_parallel = keras.distribution.DataParallel(device_mesh=mesh)
    monkeypatch.setattr(keras.distribution, "distribution", lambda: data_parallel)


@pytest.fixture
def two_devices(monkeypatch: pytest.MonkeyPatch) -> None:
    pretend_two_devices(monkeypatch)


# case -> (batch_size, samples, None or what the error says)
SHARDED: dict[str, tuple[int | None, int, str | None]] = {
    "even": (10, 40, None),
    "even-last-batch": (10, 44, None),
    "keras-default-batch": (None, 64, None),
    "odd-batch": (7, 70, r"Received: batch_size=7\. Use a multiple of 2, e.g\. 6 or 8"),
    "odd-last-batch": (10, 39, r"39 samples, whose last batch of batch_size=10 holds 9"),
}


@pytest.mark.parametrize(("batch", "samples", "error"), SHARDED.values(), ids=SHARDED.keys())
def test_batches_must_split_over_the_devices(
    two_devices: None, batch: int | None, samples: int, error: str | None
) -> None:
    if error is None:
        check_sharded_batches(tiny(), batch, samples)
        return
    with pytest.raises(fn.FuncnetError, match=error) as err:
        check_sharded_batches(tiny(), batch, samples)
    assert 'Model "tiny" trains under keras.distribution.DataParallel over 2 devices' in str(
        err.value
    )


def test_fn_fit_checks_the_training_and_validation_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    model = fn.compile(tiny())  # before: on JAX, fn.compile checks the variables' devices
    pretend_two_devices(monkeypatch)
    x, y = {"a": np.ones((40, 3))}, {"y": np.ones((40, 1))}
    with pytest.raises(fn.FuncnetError, match="batch_size=7"):
        fn.fit(model, x, y, batch_size=7, verbose=0)
    short = ({"a": np.ones((9, 3))}, {"y": np.ones((9, 1))})
    with pytest.raises(fn.FuncnetError, match="9 samples, whose last batch"):
        fn.fit(model, x, y, batch_size=10, validation_data=short, verbose=0)


def test_no_distribution_checks_nothing() -> None:
    assert keras.distribution.distribution() is None
    check_sharded_batches(tiny(), 7, 39)
