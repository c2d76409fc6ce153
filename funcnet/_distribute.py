"""funcnet under `tf.distribute`: build, compile and fit in a strategy's scope, safely.

Recipes build under `scope(strategy)`, `fn.compile` checks that every variable of the
model was made under the strategy it compiles for (`check_strategy`) and drops the
preset settings that strategy cannot run (`check_preset`), and `fn.fit` checks that the
global batch splits evenly over the replicas (`check_batch_size`). `multi_worker_fixes`
works around two Keras 3.15 bugs that stop `model.fit` under
`MultiWorkerMirroredStrategy` (keras-team/keras#20585).

Everything here was measured with Keras 3.15 / TensorFlow 2.21 on CPU devices; see
tests/test_distribute.py. TensorFlow is loaded only once a strategy is at hand (through
`funcnet._backends.tensorflow`, which refuses on another backend, naming
`keras.distribution`), so without one this module runs on every backend.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeAlias

import keras
from keras import tree

from funcnet._backends import backend, multiple_advice, tensorflow
from funcnet._errors import FuncnetError, shown, whole

if TYPE_CHECKING:
    import tensorflow as tf

    Strategy: TypeAlias = tf.distribute.Strategy
else:
    Strategy: TypeAlias = Any  # tf.distribute.Strategy, without loading TensorFlow

# Settings Keras accepts but a strategy with several replicas cannot run; each failed
# deep inside TensorFlow when measured (MirroredStrategy on 2 CPUs, 2 worker processes).
_REPLICATED_LIMITS: dict[str, tuple[Callable[[Any], bool], Any, str]] = {
    "steps_per_execution": (
        lambda v: whole(v, least=2),
        1,
        "Keras runs the extra steps in a loop that TensorFlow cannot run over several "
        'replicas (it fails with "You must feed a value for placeholder tensor", '
        "keras-team/keras#19246)",
    ),
    "jit_compile": (
        lambda v: v is True,
        False,
        'XLA cannot compile a step over several devices (it fails with "Trying to access '
        'resource ... located in device", across workers with "Collectives are not yet '
        'implemented for CPU devices"); Keras\'s own jit_compile="auto" turns XLA off '
        "under tf.distribute",
    ),
}


def scope(strategy: Strategy | None) -> contextlib.AbstractContextManager[Any]:
    """Returns `strategy.scope()`, or a context that does nothing for `strategy=None`.

    Raises:
        FuncnetError: `strategy` is neither None nor a `tf.distribute.Strategy`.

    Example:
        >>> import tensorflow as tf
        >>> from funcnet._distribute import scope
        >>> with scope(None):
        ...     tf.distribute.has_strategy()
        False
    """
    if strategy is None:
        return contextlib.nullcontext()
    tf = tensorflow("strategy=", strategy)
    if not isinstance(strategy, tf.distribute.Strategy):
        raise FuncnetError(
            "strategy= takes a tf.distribute.Strategy, e.g. tf.distribute.MirroredStrategy(). "
            f"Received: strategy={shown(strategy)}."
        )
    return strategy.scope()


def strategy_of(model: keras.Model) -> Strategy | None:
    """Returns the strategy the model's variables were made under (None: no strategy).

    Raises:
        FuncnetError: some variables were made under a strategy and others were not.
    """
    found = _variable_strategies(model)
    if len(found) > 1:
        raise _mixed_error(model, found)
    return next(iter(found), None)


def check_strategy(
    model: keras.Model, strategy: Strategy | None, *, optimizer: Any = None
) -> Strategy | None:
    """Returns the strategy to compile `model` under: `strategy`, else the model's own.

    Keras 3 fails late and vaguely ("`colocate_vars_with` must only be passed a variable
    created in this tf.distribute.Strategy.scope()", "Mixing different tf.distribute.Strategy
    objects") when a model, a layer or an optimizer was made outside the strategy's scope.

    Args:
        model: The model about to be compiled.
        strategy: The strategy asked for; None means the one whose scope the call is in,
            else the one the model was built under.
        optimizer: The optimizer given to compile; an optimizer object must have been made
            under the same strategy (an optimizer name is made at compile, in scope).

    Returns:
        The strategy, or None when neither the call nor the model has one.

    Raises:
        FuncnetError: a variable or the optimizer made under another strategy or none;
            the message names the model, the variable and the fix.

    Example:
        >>> import tensorflow as tf
        >>> import funcnet as fn
        >>> from funcnet._distribute import check_strategy
        >>> strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
        >>> model = fn.recipes.multi_input({"a": (3,)}, heads={"y": "binary"}, name="late")
        >>> check_strategy(model, strategy)
        Traceback (most recent call last):
        ...
        funcnet.FuncnetError: Model "late" was built outside the scope of ...
    """
    if backend() != "tensorflow":
        if strategy is not None:
            tensorflow("strategy=", strategy)  # raises, naming keras.distribution
        return None  # no tf.distribute here: keras.distribution needs no checks of scope
    tf = tensorflow("strategy=", strategy)
    found = _variable_strategies(model)
    if strategy is None and tf.distribute.has_strategy():
        strategy = tf.distribute.get_strategy()  # fn.compile called inside strategy.scope()
    if strategy is None:
        if len(found) > 1:
            raise _mixed_error(model, found)
        strategy = next(iter(found), None)
    else:
        for made, path in found.items():
            if made is not strategy:
                where = "outside" if made is None else f"under another {_describe(made)}, not"
                raise FuncnetError(
                    f'Model "{model.name}" was built {where} the scope of {_describe(strategy)}: '
                    f'its variable "{path}" cannot be mirrored, and Keras would fail at compile '
                    "or fit. Build the model inside strategy.scope(), or pass strategy= to the "
                    "recipe, e.g. fn.recipes.multi_input(..., strategy=strategy)."
                )
    made_for = getattr(optimizer, "_distribution_strategy", None)
    if isinstance(optimizer, keras.optimizers.Optimizer) and made_for is not _or_default(strategy):
        raise FuncnetError(
            f'The optimizer {type(optimizer).__name__} given for model "{model.name}" was made '
            f"outside the scope of {_describe(strategy)}. Create it inside strategy.scope(), or "
            f'pass its name (e.g. optimizer="adam") and funcnet makes it in scope.'
        )
    return strategy


def check_preset(
    preset: str,
    settings: Mapping[str, Any],
    strategy: Strategy | None,
    *,
    given: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Returns the preset's settings with those `strategy` cannot run replaced, and warns.

    A preset is a bundle the caller did not spell out, so a setting that only fails under
    several replicas (e.g. "fast"'s `steps_per_execution=32`) is turned off rather than
    refused; the caller's own compile arguments are checked by `unsupported` instead.

    Args:
        preset: The preset's name, for the warning.
        settings: The preset's `model.compile` settings.
        strategy: The strategy the model compiles under, or None.
        given: The caller's own compile arguments; they win over the preset, so the
            preset's settings they replace are not checked.

    Returns:
        The settings to use.

    Warns:
        UserWarning: naming the preset, each replaced setting, the strategy and the reason.

    Example:
        >>> from funcnet._distribute import check_preset
        >>> check_preset("fast", {"steps_per_execution": 32, "jit_compile": False}, None)
        {'steps_per_execution': 32, 'jit_compile': False}
    """
    chosen = dict(settings)
    used = {k: v for k, v in settings.items() if k not in (given or {})}
    for key, value, replacement, why in _violations(used, strategy):
        chosen[key] = replacement
        warnings.warn(
            f'preset "{preset}": {key}={value!r} does not apply under {_describe(strategy)}: '
            f"{why}. Compiling with {key}={replacement!r}.",
            UserWarning,
            stacklevel=3,
        )
    return chosen


def unsupported(settings: Mapping[str, Any], strategy: Strategy | None) -> list[str]:
    """Lists, one line each, the compile arguments `strategy` cannot run.

    Example:
        >>> from funcnet._distribute import unsupported
        >>> unsupported({"steps_per_execution": 8}, None)
        []
    """
    return [
        f"{key}={value!r} cannot run under {_describe(strategy)}: {why}. Use {key}={fix!r}."
        for key, value, fix, why in _violations(settings, strategy)
    ]


def check_batch_size(model: keras.Model, batch_size: int | None) -> None:
    """Checks that the global batch splits evenly over the model's replicas.

    Keras gives each replica an equal share; a remainder makes the first fit fail with
    "Inputs to operation AddN of type AddN must have the same size and shape".

    Raises:
        FuncnetError: `batch_size` (default 32) is not a multiple of the replica count.

    Example:
        >>> import funcnet as fn
        >>> from funcnet._distribute import check_batch_size
        >>> check_batch_size(fn.recipes.multi_input({"a": (3,)}, heads={"y": "binary"}), 10)
    """
    strategy = strategy_of(model)
    replicas = 1 if strategy is None else strategy.num_replicas_in_sync
    size = 32 if batch_size is None else batch_size
    if size % replicas:
        raise FuncnetError(
            f'Model "{model.name}" trains under {_describe(strategy)}, which share each batch '
            f"equally. Received: batch_size={size}. {multiple_advice(size, replicas)}."
        )


def multi_worker_fixes(model: keras.Model) -> bool:
    """Lets `model.fit` and `model.evaluate` run across workers; a no-op elsewhere.

    Under `MultiWorkerMirroredStrategy` with several workers, Keras 3.15's fit fails twice
    (keras-team/keras#20585, tensorflow/tensorflow#72388): it all-reduces the first batch
    as one nested value to learn its shapes ("Attempt to convert a value ({...PerReplica...})
    ... to a Tensor"), and reduces each scalar log along axis 0 ("Invalid reduction
    dimension 0 for input with 0 dimensions"). On this model only, the shapes are read
    from the local batch and the logs get a length-1 axis, which the reduction then
    averages over all replicas. The gradients, and so the weights, are untouched.

    Args:
        model: A model built under the strategy.

    Returns:
        True when the fixes were applied (several workers), else False.
    """
    strategy = strategy_of(model)
    if strategy is None:
        return False
    tf = tensorflow("strategy=", strategy)
    # The same test Keras uses to choose the failing cross-worker reduction.
    if not (
        isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
        and strategy.extended._in_multi_worker_mode()
    ):
        return False

    if vars(model).get("_maybe_symbolic_build") is not None:
        return True  # already applied; keep Keras's compiled loop

    def local(value: Any) -> Any:
        if isinstance(value, tf.distribute.DistributedValues):
            return strategy.experimental_local_results(value)[0]
        return value

    def symbolic_build(iterator: Any = None, data_batch: Any = None) -> None:
        if iterator is not None:
            for _, _, batches in iterator:
                data_batch = tree.map_structure(local, next(batches))
                break
        with strategy.scope():
            model._symbolic_build(data_batch=data_batch)

    def with_axis(step: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def run(data: Any) -> Any:
            logs = step(data)
            return tree.map_structure(
                lambda t: tf.reshape(t, [1]) if tf.is_tensor(t) and t.shape.rank == 0 else t,
                logs,
            )

        return run

    # Instance attributes shadow the class's methods for this model only; wrapping the
    # class's own steps keeps a second call from wrapping twice.
    model._maybe_symbolic_build = symbolic_build
    model.train_step = with_axis(type(model).train_step.__get__(model))
    model.test_step = with_axis(type(model).test_step.__get__(model))
    model.train_function = model.test_function = None
    return True


def _violations(
    settings: Mapping[str, Any], strategy: Strategy | None
) -> list[tuple[str, Any, Any, str]]:
    if strategy is None:
        return []
    tf = tensorflow("strategy=", strategy)
    replicated = isinstance(
        strategy, (tf.distribute.MirroredStrategy, tf.distribute.MultiWorkerMirroredStrategy)
    )
    if not replicated or strategy.num_replicas_in_sync < 2:
        return []  # one replica runs both settings (measured: MirroredStrategy on one CPU)
    return [
        (key, settings[key], fix, why)
        for key, (fails, fix, why) in _REPLICATED_LIMITS.items()
        if key in settings and fails(settings[key])
    ]


def _variable_strategies(model: keras.Model) -> dict[Strategy | None, str]:
    """Maps each strategy the model's variables were made under to one variable's path."""
    found: dict[Strategy | None, str] = {}
    for variable in model.weights:
        made = getattr(getattr(variable, "value", variable), "distribute_strategy", None)
        found.setdefault(made, getattr(variable, "path", variable.name))
    return found


def _mixed_error(model: keras.Model, found: Mapping[Strategy | None, str]) -> FuncnetError:
    made = ", ".join(f'"{path}" {_describe(s, "under")}' for s, path in found.items())
    return FuncnetError(
        f'Model "{model.name}" mixes variables made under different strategies ({made}), '
        "e.g. a layer built before entering strategy.scope(). Build every layer inside "
        "strategy.scope(), or pass strategy= to the recipe."
    )


def _or_default(strategy: Strategy | None) -> Strategy:
    tf = tensorflow("strategy=", strategy)
    return tf.distribute.get_strategy() if strategy is None else strategy


def _describe(strategy: Strategy | None, prefix: str = "") -> str:
    if strategy is None:
        return "outside any strategy" if prefix else "no strategy"
    replicas = strategy.num_replicas_in_sync
    kind = type(strategy).__name__  # MultiWorkerMirroredStrategy's class has another name
    if isinstance(
        strategy, tensorflow("strategy=", strategy).distribute.MultiWorkerMirroredStrategy
    ):
        kind = "MultiWorkerMirroredStrategy"
    name = f"{kind} ({replicas} replica{'s' * (replicas != 1)})"
    return f"{prefix} {name}".strip()
