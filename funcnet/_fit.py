"""`fn.fit`: check the data by name, then `model.fit`, keeping per-batch callbacks honest.

With `steps_per_execution=N` (e.g. from `preset="fast"`), Keras runs N batches per call
and calls batch callbacks once per N batches. A callback that needs every batch (a
per-batch learning-rate schedule, a batch counter) would then silently see 1/N of them,
so `fn.fit` runs such a fit one batch per call and warns, naming the callback.

Before any of that, `fn.fit` refuses what would make training meaningless without a word
from Keras: no targets, zero rows, an empty validation set, a `batch_size`, `epochs` or
`validation_split` that cannot mean anything, and bad class or sample weights
(`funcnet/_weights.py`). Datasets and `PyDataset`s are checked by their element structure
(`funcnet/_datasets.py`).
"""

from __future__ import annotations

import inspect
import math
import numbers
import warnings
from collections.abc import Mapping
from typing import Any

import keras
import numpy as np

from funcnet._backends import check_sharded_batches
from funcnet._data import checked_task, data_error, data_problems
from funcnet._datasets import is_dataset, is_py_dataset, stream_problems
from funcnet._distribute import check_batch_size, multi_worker_fixes
from funcnet._errors import FuncnetError, did_you_mean
from funcnet._graph import named_inputs, named_outputs, structure
from funcnet._history import check_fit
from funcnet._weights import sample_weights, stream_class_weight, weight_problems

_BATCH_HOOKS = ("on_batch_begin", "on_batch_end", "on_train_batch_begin", "on_train_batch_end")


def fit(model: keras.Model, x: Any, y: Any = None, **fit_kwargs: Any) -> keras.callbacks.History:
    """Checks `x`, `y` and `validation_data` with `fn.check_data`, then calls `model.fit`.

    Arrays, tensors and DataFrames are matched to inputs and outputs by name. A batched
    `tf.data.Dataset` is checked by its element spec (names, per-sample shapes, dtypes),
    a `keras.utils.PyDataset` by its first batch; a Python generator goes to Keras
    unchecked. A one-output model takes its targets keyed by its name in every form.

    Args:
        model: A compiled `keras.Model` (see `fn.compile`).
        x: Inputs keyed by input name (see `fn.check_data` for the accepted forms), or a
            dataset yielding `(x, y)` batches.
        y: Targets keyed by output name (None when `x` is a dataset).
        **fit_kwargs: Any `model.fit` argument, e.g. `epochs`, `batch_size`, `callbacks`,
            `validation_data=(x_val, y_val)` or a dataset (checked like `x` and `y`),
            `class_weight={output: {class id: weight}}` and
            `sample_weight={output: weights}` (checked like targets; see
            `funcnet/_weights.py`). `batch_size` and `epochs` must be whole numbers
            (`np.int64` too) of at least 1; `validation_split` 0 or inside (0, 1).

    Returns:
        Keras's `History`.

    Raises:
        FuncnetError: the model is not compiled, an unknown `model.fit` option, every
            problem `fn.check_data` finds in the training and validation data or a
            dataset's elements, missing targets, a bad `batch_size`, `epochs`,
            `validation_split`, `class_weight` or `sample_weight`, or a `batch_size` that
            does not split evenly over the model's replicas (under `keras.distribution`:
            over the devices, the last batch too).

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
    if isinstance(fit_kwargs.get("callbacks"), keras.callbacks.Callback):
        fit_kwargs["callbacks"] = [fit_kwargs["callbacks"]]  # Keras takes one bare callback too
    check_fit(model, fit_kwargs)  # names Keras cannot use; callbacks monitoring wrong keys
    problems = _option_problems(fit_kwargs)
    if is_dataset(x) or is_py_dataset(x):
        if y is not None:
            problems.append("y is given, but x is a dataset, which yields its own targets.")
        more, x = stream_problems(model, x)
        problems += more
        if fit_kwargs.get("class_weight") is not None:
            outputs = named_outputs(model)
            tasks = {n: checked_task(model, n, t) for n, t in outputs.items()}
            more, fit_kwargs["class_weight"] = stream_class_weight(
                fit_kwargs["class_weight"], outputs, tasks
            )
            problems += more
        problems += _validation_problems(model, fit_kwargs)
        if problems:
            raise data_error(model, problems)
    elif _is_arrays(x):
        x, y = _checked_arrays(model, x, y, fit_kwargs, problems)
    elif problems:  # a generator: only the options can be checked
        raise data_error(model, problems)
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


def _checked_arrays(
    model: keras.Model, x: Any, y: Any, fit_kwargs: dict[str, Any], problems: list[str]
) -> tuple[Any, Any]:
    """Checks array data, its validation data and weights; arranges them for Keras."""
    if y is None:
        names = ", ".join(f'"{n}": ...' for n in named_outputs(model))
        problems.append(
            f"y is missing: training needs targets for the model's outputs, y={{{names}}}. "
            "(Keras would train on no loss and return an empty history.)"
        )
    more, x_named, y_named = data_problems(model, x, y)
    problems += more
    problems += _validation_problems(model, fit_kwargs)
    problems += _split_problems(fit_kwargs, x_named)
    weights = None
    if y_named and not problems:
        outputs = named_outputs(model)
        tasks = {n: checked_task(model, n, outputs[n]) for n in y_named}
        more, weights = weight_problems(y_named, outputs, tasks, fit_kwargs)
        problems += more
    if problems:
        raise data_error(model, problems)
    batch_size = fit_kwargs.get("batch_size")
    check_batch_size(model, batch_size)
    # Under keras.distribution every batch, the last one too, is split over the devices.
    check_sharded_batches(model, batch_size, len(next(iter(x_named.values()))))
    validation = fit_kwargs.get("validation_data")
    if isinstance(validation, (tuple, list)) and validation:
        check_sharded_batches(model, batch_size, len(keras.tree.flatten(validation[0])[0]))
    if weights is not None:
        fit_kwargs.pop("class_weight", None)
        fit_kwargs["sample_weight"] = _arranged(model, "outputs", weights)
    x_named = _one_rank(named_inputs(model), x_named)
    if y_named is not None:
        y_named = _one_rank(named_outputs(model), y_named)
    return _arranged(model, "inputs", x_named), _arranged(model, "outputs", y_named)


def _one_rank(tensors: dict[str, Any], arrays: dict[str, Any]) -> dict[str, Any]:
    """Adds the trailing axis of 1 a tensor has and an array lacks, as Keras would.

    Keras 3.15 keeps the training step traced for the first fit's data, and a later fit
    of the same model whose arrays differ in rank (targets (n,) after (n, 1)) fails with
    "Cannot take the length of shape with unknown rank". One rank per tensor avoids it.
    Class ids for a multiclass output have no class axis, so they are left as given
    unless they already match the output's rank. Text is left as given: Keras takes an
    object array of str of shape (n,), not (n, 1).
    """
    shaped = dict(arrays)
    for name, array in arrays.items():
        per_sample = tuple(tensors[name].shape[1:])
        lacks_one = per_sample and per_sample[-1] == 1 and array.ndim == len(per_sample)
        if isinstance(array, np.ndarray) and array.dtype.kind in "biuf" and lacks_one:
            shaped[name] = array[..., None]
    return shaped


def _validation_problems(model: keras.Model, fit_kwargs: dict[str, Any]) -> list[str]:
    """Checks `validation_data` in place: arrays like `x` and `y`, a dataset by its spec."""
    validation = fit_kwargs.get("validation_data")
    if validation is None:
        return []
    if is_dataset(validation) or is_py_dataset(validation):
        problems, fit_kwargs["validation_data"] = stream_problems(
            model, validation, prefix="validation "
        )
        return problems
    if not isinstance(validation, (tuple, list)) or len(validation) not in (2, 3):
        return [
            "validation_data must be (x_val, y_val), (x_val, y_val, sample_weight) or a "
            f"dataset. Received: a {type(validation).__name__} of {len(validation)} items."
            if isinstance(validation, (tuple, list))
            else "validation_data must be (x_val, y_val), (x_val, y_val, sample_weight) or "
            f"a dataset. Received: {type(validation).__name__}."
        ]
    problems, vx, vy = data_problems(model, validation[0], validation[1], prefix="validation ")
    weights = None
    if len(validation) == 3 and vy and not problems:
        problems, weights = sample_weights(validation[2], vy, "validation sample_weight")
    if not problems:
        arranged = (_arranged(model, "inputs", vx), _arranged(model, "outputs", vy))
        fit_kwargs["validation_data"] = arranged + (
            (_arranged(model, "outputs", weights),) if weights is not None else ()
        )
    return problems


def _option_problems(fit_kwargs: dict[str, Any]) -> list[str]:
    """`batch_size` and `epochs` as whole numbers (converted in place), the split's range."""
    problems = []
    for key, least in (("batch_size", 1), ("epochs", 1)):
        value = fit_kwargs.get(key)
        if value is None and (key == "batch_size" or key not in fit_kwargs):
            continue  # batch_size=None is Keras's default (32); epochs=None means nothing
        whole = _whole(value)
        if whole is None or whole < least:
            problems.append(
                f"{key} must be a whole number of at least {least}. Received: {key}={value!r}."
            )
        else:
            fit_kwargs[key] = whole
    epochs, start = fit_kwargs.get("epochs"), fit_kwargs.get("initial_epoch", 0)
    if isinstance(epochs, int) and isinstance(start, int) and 0 < epochs <= start:
        problems.append(
            f"epochs={epochs} with initial_epoch={start} trains nothing: epochs is the last "
            f"epoch's number, not a count. Pass epochs={start + epochs} for {epochs} more."
        )
    split = fit_kwargs.get("validation_split")
    if split is not None and split != 0:
        real = isinstance(split, numbers.Real) and not isinstance(split, bool)
        if not real or not 0 < float(split) < 1:
            problems.append(
                "validation_split must be a fraction inside (0, 1), e.g. 0.2 (or 0 for none). "
                f"Received: validation_split={split!r}."
            )
        elif fit_kwargs.get("validation_data") is not None:
            problems.append(
                "validation_split and validation_data are both given; Keras would ignore "
                "validation_split. Pass one of them."
            )
    return problems


def _split_problems(fit_kwargs: dict[str, Any], x_named: dict[str, Any]) -> list[str]:
    """An empty validation or training part of a `validation_split`."""
    split = fit_kwargs.get("validation_split")
    if not isinstance(split, float) or not 0 < split < 1 or not x_named:
        return []
    n = len(next(iter(x_named.values())))
    train = math.ceil(n * (1.0 - split))  # Keras's own rule
    if n and (train == n or train == 0):
        empty = "validation" if train == n else "training"
        return [
            f"validation_split={split} of {n} samples leaves the {empty} part empty; use more "
            "samples or another split, or pass validation_data."
        ]
    return []


def _whole(value: Any) -> int | None:
    """`value` as an int when it is a whole number (np.int64 and 10.0 too), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real) and float(value).is_integer():
        return int(float(value))
    return None


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
    struct = structure(model, which)
    if isinstance(struct, Mapping):
        return named
    order = named_inputs(model) if which == "inputs" else named_outputs(model)
    if isinstance(struct, (list, tuple)):
        return [named[n] for n in order]
    return next(iter(named.values()))
