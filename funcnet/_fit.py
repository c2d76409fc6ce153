"""`fn.fit`: check the data by name, then `model.fit`, keeping per-batch callbacks honest.

With `steps_per_execution=N` (e.g. from `preset="fast"`), Keras runs N batches per call
and calls batch callbacks once per N batches. A callback that needs every batch (a
per-batch learning-rate schedule, a batch counter) would then silently see 1/N of them,
so `fn.fit` runs such a fit one batch per call and warns, naming the callback.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Mapping
from typing import Any

import keras

from funcnet._backends import check_sharded_batches
from funcnet._compile import named_inputs, named_outputs
from funcnet._data import data_error, data_problems
from funcnet._distribute import check_batch_size, multi_worker_fixes
from funcnet._errors import FuncnetError, did_you_mean

_BATCH_HOOKS = ("on_batch_begin", "on_batch_end", "on_train_batch_begin", "on_train_batch_end")


def fit(model: keras.Model, x: Any, y: Any = None, **fit_kwargs: Any) -> keras.callbacks.History:
    """Checks `x`, `y` and `validation_data` with `fn.check_data`, then calls `model.fit`.

    Arrays are matched to inputs and outputs by name. A `tf.data.Dataset` or other
    generator-like `x` is passed to Keras unchecked.

    Args:
        model: A compiled `keras.Model` (see `fn.compile`).
        x: Inputs keyed by input name (see `fn.check_data` for the accepted forms).
        y: Targets keyed by output name.
        **fit_kwargs: Any `model.fit` argument, e.g. `epochs`, `batch_size`, `callbacks`,
            `validation_data=(x_val, y_val)` (checked like `x` and `y`).

    Returns:
        Keras's `History`.

    Raises:
        FuncnetError: the model is not compiled, an unknown `model.fit` option, every
            problem `fn.check_data` finds in the training and validation data, or a
            `batch_size` that does not split evenly over the model's replicas (under
            `keras.distribution`: over the devices, the last batch too).

    Warns:
        UserWarning: a callback reacts to every batch while the model runs several batches
            per call; this fit then runs one batch per call.

    Example:
        >>> import numpy as np
        >>> import funcnet as fn
        >>> ins = fn.inputs(table=(5,))
        >>> model = fn.compile(fn.model(ins, fn.head(ins["table"], "price", "regression")))
        >>> x, y = {"table": np.ones((8, 5))}, {"price": np.ones((8, 1))}
        >>> history = fn.fit(model, x, y, epochs=2, verbose=0)
        >>> len(history.history["loss"])
        2
    """
    if not getattr(model, "compiled", False):
        raise FuncnetError(
            f'Model "{getattr(model, "name", model)}" is not compiled; call fn.compile(model) '
            "before fn.fit."
        )
    allowed = set(inspect.signature(model.fit).parameters) - {"x", "y"}
    for key in fit_kwargs:
        if key not in allowed:
            raise FuncnetError(f"Unknown option {key}= for model.fit.{did_you_mean(key, allowed)}")
    if _is_arrays(x):
        problems, x_named, y_named = data_problems(model, x, y)
        sharded = [x_named]
        validation = fit_kwargs.get("validation_data")
        if isinstance(validation, (tuple, list)) and len(validation) in (2, 3):
            more, vx, vy = data_problems(model, validation[0], validation[1], prefix="validation ")
            problems += more
            if not problems:
                arranged = (_arranged(model, "inputs", vx), _arranged(model, "outputs", vy))
                fit_kwargs["validation_data"] = arranged + tuple(validation[2:])
                sharded.append(vx)
        if problems:
            raise data_error(model, problems)
        check_batch_size(model, fit_kwargs.get("batch_size"))
        batch_size = fit_kwargs.get("batch_size")
        for data in sharded:  # under keras.distribution every batch is split over devices
            check_sharded_batches(model, batch_size, len(next(iter(data.values()))))
        x, y = _arranged(model, "inputs", x_named), _arranged(model, "outputs", y_named)
    multi_worker_fixes(model)  # for a model compiled with model.compile, not fn.compile
    callbacks = fit_kwargs.get("callbacks") or []
    per_batch = [type(cb).__name__ for cb in callbacks if needs_every_batch(cb)]
    steps = getattr(model, "steps_per_execution", 1)
    if steps > 1 and per_batch:
        warnings.warn(
            f"fn.fit: callback {', '.join(per_batch)} acts on every batch, but model "
            f'"{model.name}" runs {steps} batches per call (steps_per_execution={steps}, e.g. '
            f'from preset="fast"), so Keras would call it once every {steps} batches. This fit '
            "runs one batch per call instead, which is slower. If the callback copes with "
            f"one call per {steps} batches, call model.fit directly to keep the speed.",
            UserWarning,
            stacklevel=2,
        )
        return _fit_one_step_per_call(model, x, y, fit_kwargs)
    return model.fit(x, y, **fit_kwargs)


def needs_every_batch(callback: Any) -> bool:
    """True when a callback has its own per-batch training hook.

    Keras's own callbacks are written for `steps_per_execution`, so they don't count;
    a `LambdaCallback` counts when given a batch function.
    """
    for hook in _BATCH_HOOKS:
        if hook in vars(callback):  # LambdaCallback keeps the user's function on the instance
            return True
        owner = next(c for c in type(callback).__mro__ if hook in vars(c))
        if not owner.__module__.startswith("keras."):
            return True
    return False


def _fit_one_step_per_call(model: keras.Model, x: Any, y: Any, kwargs: dict[str, Any]) -> Any:
    saved = model.steps_per_execution
    # Keras caches its compiled loop; dropping it makes fit rebuild one for 1 step per call.
    model.steps_per_execution = 1
    model.train_function = model.test_function = model.predict_function = None
    try:
        return model.fit(x, y, **kwargs)
    finally:
        model.steps_per_execution = saved
        model.train_function = model.test_function = model.predict_function = None


def _is_arrays(x: Any) -> bool:
    """True for data funcnet checks: arrays and dicts, lists and tuples of them.

    Datasets, generators and `keras.utils.PyDataset`s yield batches lazily; Keras gets
    them as they are.
    """
    return isinstance(x, (Mapping, list, tuple)) or hasattr(x, "shape")


def _arranged(model: keras.Model, which: str, named: dict[str, Any] | None) -> Any:
    """Arranges arrays keyed by name the way Keras expects them: dict, list or one array."""
    if named is None:
        return None
    struct = getattr(model, f"_{which}_struct", None)
    if isinstance(struct, Mapping):
        return named
    order = named_inputs(model) if which == "inputs" else named_outputs(model)
    if isinstance(struct, (list, tuple)):
        return [named[n] for n in order]
    return next(iter(named.values()))
