"""What differs between Keras's backends, in one place: TensorFlow, JAX (PyTorch untested).

funcnet runs on whichever backend Keras was started with (`KERAS_BACKEND`, TensorFlow by
default). Nearly all of it is backend-neutral Keras; these are the few facts that are not:

- `tensorflow`: the one door to TensorFlow-only features (`tf.distribute` through
  `strategy=`); on another backend it refuses, naming `keras.distribution` instead. So
  TensorFlow is never loaded under JAX unless the user asks for it.
- `check_settings`: compile settings that are pathological on the running backend (on JAX,
  `jit_compile=False` runs every step eagerly), replaced when a preset asked for them and
  warned about when the caller did.
- `laid_out_problems` and `check_sharded_batches`: under `keras.distribution` (e.g.
  `DataParallel` on JAX) the model's variables must be laid out on the devices, which
  happens when they are made, and every batch is split evenly over the devices; both
  mistakes fail deep inside JAX, naming nothing of the user's.
"""

from __future__ import annotations

import importlib
import math
import warnings
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

import keras

from funcnet._errors import FuncnetError, shown

# Keras's own engine for scaling out, which every backend but TensorFlow uses instead of
# tf.distribute. Quoted in every refusal of a TensorFlow-only feature.
KERAS_DISTRIBUTION = (
    "scale out with Keras's own engine, keras.distribution: call "
    "keras.distribution.set_distribution(keras.distribution.DataParallel()) before building "
    "the model, then fn.compile and fn.fit as usual"
)

# (backend, compile setting) -> (is it pathological?, the replacement, why). Measured on
# the 2-core CPU, S3b at batch 32 with preset="fast"'s 32 batches per call, 1,024 samples:
# JAX without XLA ran 244 samples/s, with XLA 90,468 (the issue that asked for this check
# saw about 500 against 34,000-98,000): every op dispatched one by one from Python.
_PATHOLOGICAL: dict[tuple[str, str], tuple[Callable[[Any], bool], Any, str]] = {
    ("jax", "jit_compile"): (
        lambda value: value is False,
        True,
        "JAX then runs every training step eagerly, op by op (measured on a small model: "
        "244 samples/s against 90,468 with XLA, over 100x slower); to step through the "
        "model in a debugger say run_eagerly=True instead",
    ),
}


def backend() -> str:
    """The name of the backend Keras runs on: "tensorflow", "jax" or "torch".

    Example:
        >>> from funcnet._backends import backend
        >>> backend() in ("tensorflow", "jax", "torch")
        True
    """
    return str(keras.backend.backend())


def tensorflow(feature: str, received: Any = None) -> ModuleType:
    """Returns the `tensorflow` module for a TensorFlow-only feature, loading it now.

    Args:
        feature: What needs TensorFlow, as the user wrote it, e.g. "strategy=".
        received: The user's value, shown in the error.

    Returns:
        The `tensorflow` module.

    Raises:
        FuncnetError: Keras runs on another backend; the message names the feature, the
            backend and `keras.distribution`, the engine to use there.

    Example:
        >>> from funcnet._backends import backend, tensorflow
        >>> backend() != "tensorflow" or tensorflow("strategy=").__name__ == "tensorflow"
        True
    """
    name = backend()
    if name != "tensorflow":
        raise FuncnetError(
            f"{feature} takes a tf.distribute.Strategy, which only Keras's TensorFlow backend "
            f'runs, and Keras runs on "{name}" here (KERAS_BACKEND={name}). On {name}, '
            f"{KERAS_DISTRIBUTION}. Received: {feature}{shown(received)}."
        )
    return importlib.import_module("tensorflow")


def check_settings(
    settings: Mapping[str, Any], *, preset: str | None = None, given: Mapping[str, Any]
) -> dict[str, Any]:
    """Returns the preset's settings with the backend's pathological ones replaced; warns.

    A preset is a bundle the caller did not spell out, so its pathological setting is
    replaced; the caller's own `model.compile` arguments are kept, with a warning.

    Args:
        settings: The preset's `model.compile` settings.
        preset: The preset's name, for the warning.
        given: The caller's own compile arguments; they win over the preset.

    Returns:
        The preset's settings to use.

    Warns:
        UserWarning: naming who asked (the preset or the caller), the setting, the backend,
            why it hurts and what to use.

    Example:
        >>> from funcnet._backends import check_settings
        >>> check_settings({"steps_per_execution": 32}, preset="fast", given={})
        {'steps_per_execution': 32}
    """
    chosen = dict(settings)
    used = {k: v for k, v in settings.items() if k not in given}
    for key, value, fix, why in _violations(used):
        chosen[key] = fix
        _warn(f'preset "{preset}" asks for {key}={value!r}', why, f"Compiling with {key}={fix!r}.")
    for key, value, fix, why in _violations(given):
        _warn(f"fn.compile({key}={value!r})", why, f"Use {key}={fix!r}.")
    return chosen


def laid_out_problems(model: keras.Model) -> list[str]:
    """Lists the model's variables not laid out by the `keras.distribution` in force.

    A model built before `keras.distribution.set_distribution(...)` keeps its variables on
    one device; fit then fails inside JAX with "Received incompatible devices for jitted
    computation", naming neither the model nor the fix.

    Returns:
        One line naming the model, a variable, both device counts and the fix; or [].

    Example:
        >>> import funcnet as fn
        >>> from funcnet._backends import laid_out_problems
        >>> laid_out_problems(fn.recipes.multi_input({"a": (3,)}, heads={"y": "binary"}))
        []
    """
    distribution = keras.distribution.distribution()
    mesh = getattr(distribution, "device_mesh", None)
    devices = math.prod(mesh.shape) if mesh is not None else 1
    if devices < 2:
        return []
    for variable in model.weights:
        sharding = getattr(variable.value, "sharding", None)  # a JAX array's placement
        if sharding is not None and len(sharding.device_set) < devices:
            return [
                f'Model "{model.name}" was built before keras.distribution.set_distribution('
                f'{type(distribution).__name__}): its variable "{variable.path}" lives on '
                f"{len(sharding.device_set)} device, not on the distribution's {devices}, and "
                "Keras would fail at fit. Call set_distribution first, then build the model "
                "(its variables are laid out on the devices when they are made)."
            ]
    return []


def check_sharded_batches(model: keras.Model, batch_size: int | None, samples: int) -> None:
    """Checks that every batch, the last one too, splits evenly over the devices.

    Under `keras.distribution` (e.g. `DataParallel` on JAX) each batch is sharded over
    the devices of the mesh's batch axis; a batch that does not split fails inside JAX
    ("IndivisibleError: ... should evenly divide the shape"), naming no argument.

    Args:
        model: The model about to be fitted, for the message.
        batch_size: `model.fit`'s batch size (None: Keras's 32).
        samples: How many samples the data holds.

    Raises:
        FuncnetError: naming the distribution, its devices, the batch size and the
            samples, with batch sizes that split evenly.

    Example:
        >>> import funcnet as fn
        >>> from funcnet._backends import check_sharded_batches
        >>> model = fn.recipes.multi_input({"a": (3,)}, heads={"y": "binary"})
        >>> check_sharded_batches(model, 10, 100)  # no keras.distribution set: nothing to check
    """
    distribution = keras.distribution.distribution()
    shards = _batch_shards(distribution)
    size = 32 if batch_size is None else batch_size
    if shards < 2:
        return
    last = samples % size
    if size % shards == 0 and last % shards == 0:
        return
    kind = type(distribution).__name__
    if size % shards:
        bad = f"batch_size={size}. {multiple_advice(size, shards)}"
    else:
        bad = (
            f"{samples} samples, whose last batch of batch_size={size} holds {last}. Use a "
            f"sample count that leaves a multiple of {shards} in the last batch, or a batch "
            "size that divides it"
        )
    raise FuncnetError(
        f'Model "{model.name}" trains under keras.distribution.{kind} over {shards} devices, '
        f"which split every batch equally, the last one too. Received: {bad}."
    )


def multiple_advice(size: int, parts: int) -> str:
    """Advice for a batch size that does not split into `parts`: the nearest multiples.

    Example:
        >>> from funcnet._backends import multiple_advice
        >>> multiple_advice(10, 4)
        'Use a multiple of 4, e.g. 8 or 12'
    """
    lower, higher = max(parts, size - size % parts), size + parts - size % parts
    return f"Use a multiple of {parts}, e.g. {lower} or {higher}"


def _batch_shards(distribution: Any) -> int:
    """How many devices share each batch under a `keras.distribution` (1: none set)."""
    mesh = getattr(distribution, "device_mesh", None)
    axis = getattr(distribution, "batch_dim_name", None)
    if mesh is None or axis not in mesh.axis_names:
        return 1
    return int(mesh.shape[list(mesh.axis_names).index(axis)])


def _violations(settings: Mapping[str, Any]) -> list[tuple[str, Any, Any, str]]:
    name = backend()
    return [
        (key, settings[key], fix, why)
        for (on, key), (hurts, fix, why) in _PATHOLOGICAL.items()
        if on == name and key in settings and hurts(settings[key])
    ]


def _warn(who: str, why: str, then: str) -> None:
    warnings.warn(
        f"{who} on Keras's {backend()} backend: {why}. {then}",
        UserWarning,
        stacklevel=4,
    )
