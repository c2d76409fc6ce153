"""Compile presets: named training settings that `fn.compile` hands to `model.compile`.

A preset changes how fast Keras trains, never what it computes: the loss, optimizer,
batch size and data order stay the caller's. `fn.presets` is a registry; register your
own, e.g. XLA for a GPU or settings for a mixed-precision model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import keras

from funcnet._registry import Registry

# Batches per call into the compiled training loop with preset="fast". Measured on a
# 2-core CPU (benchmarks/bench_fast.py --sweep, S3b and the MLP, batch 32): 1 -> 16 -> 32
# gives nearly all of the speed-up; 64 and 128 were within noise of 32 while updating
# callbacks and the progress bar two to four times less often.
FAST_STEPS_PER_EXECUTION = 32


@dataclass(frozen=True)
class Preset:
    """Named `model.compile` settings, such as `steps_per_execution` and `jit_compile`.

    Args:
        description: One line saying what the preset is for.
        settings: Keyword arguments for `model.compile`, or a function returning them. A
            function is called at every `fn.compile`, so it can look at the machine (for
            example whether a GPU is visible). Arguments given to `fn.compile` itself win.

    Example:
        >>> import funcnet as fn
        >>> settings = {"jit_compile": True, "steps_per_execution": 64}
        >>> gpu = fn.Preset("XLA and 64 batches per call, for GPUs", settings)
        >>> _ = fn.presets.register("gpu", gpu, replace=True)
        >>> fn.presets["gpu"].compile_kwargs()
        {'jit_compile': True, 'steps_per_execution': 64}
        >>> _ = fn.presets.unregister("gpu")

        A mixed-precision preset only makes sense for a model built under a mixed policy
        (`keras.mixed_precision.set_global_policy("mixed_float16")` before building);
        Keras then adds loss scaling by itself when compiling.
    """

    description: str
    settings: Mapping[str, Any] | Callable[[], Mapping[str, Any]] = field(default_factory=dict)

    def compile_kwargs(self) -> dict[str, Any]:
        """Returns the `model.compile` keyword arguments for this machine, now."""
        return dict(self.settings() if callable(self.settings) else self.settings)


def _fast_settings() -> dict[str, Any]:
    # Per backend, the settings that trained fastest with the same mathematics (same batch,
    # optimizer, data order and final loss); benchmarks/bench_backends.py measures them.
    # TensorFlow: Keras's "auto" already turns XLA off on a CPU; we say False explicitly
    # because XLA slows small models on a CPU (its fused kernels gain nothing over oneDNN
    # and it adds compile time). On a GPU a small step is bound by kernel launches, which
    # XLA fuses, so there we keep Keras's "auto": XLA whenever every layer supports it.
    # JAX: XLA is the only fast path ("auto" means XLA there): without it every step runs
    # eagerly, over 100x slower. fn.compile runs each group of batches in one compiled call
    # there (funcnet/_jax_steps.py). S3b, batch 32, median epochs (bench_backends.py --sweep):
    # 86k samples/s at 1 (Keras's default), 259k at 8, 293k at 16, 298k at 32, 286k at 64,
    # 276k at 128; 32 it is, as on TensorFlow. PyTorch is untested: only the batches per call.
    name = keras.backend.backend()
    if name == "tensorflow":
        jit: Any = "auto" if _tensorflow_sees_a_gpu() else False
    elif name == "jax":
        jit = "auto"
    else:
        return {"steps_per_execution": FAST_STEPS_PER_EXECUTION}
    return {"steps_per_execution": FAST_STEPS_PER_EXECUTION, "jit_compile": jit}


def _tensorflow_sees_a_gpu() -> bool:
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


presets: Registry[Preset] = Registry("preset", Preset)
presets.register("default", Preset("Keras's own defaults: one batch per call, jit_compile='auto'"))
presets.register(
    "fast",
    Preset(
        f"{FAST_STEPS_PER_EXECUTION} batches per call into the compiled loop (on JAX in one "
        "compiled call); XLA on JAX, and on TensorFlow only on a GPU",
        _fast_settings,
    ),
)
