"""Output heads: a named Dense layer that remembers its task, even after saving."""

from __future__ import annotations

import numbers
from typing import Any

import keras

from funcnet._errors import FuncnetError, keras_said, shown
from funcnet._graph import is_keras_tensor
from funcnet._names import check_name
from funcnet._stack import call
from funcnet._tasks import tasks


@keras.saving.register_keras_serializable(package="funcnet")
class Head(keras.layers.Dense):
    """A `keras.layers.Dense` output layer that records its task in its config.

    The task survives `model.save` / `keras.saving.load_model`, so `fn.compile` can pick
    the loss and metrics of a loaded model. Build heads with `fn.head`.

    Args:
        units: Width of the output.
        task: The task name, a key of `fn.tasks`.
        **kwargs: Any `keras.layers.Dense` argument.
    """

    def __init__(self, units: int, task: str, **kwargs: Any) -> None:
        super().__init__(units, **kwargs)
        self.task = task

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "task": self.task}


def head(x: Any, name: str, task: str, units: int | None = None, **dense_kwargs: Any) -> Any:
    """Adds a named output layer whose activation and default width come from its task.

    Args:
        x: The Keras tensor the head reads.
        name: The output's name: the key for its targets, loss and metrics.
        task: A key of `fn.tasks`: "binary", "multiclass", "multilabel", "regression",
            or one you registered.
        units: Output width; required for tasks without a default ("multiclass",
            "multilabel").
        **dense_kwargs: Further `keras.layers.Dense` arguments (an explicit `activation`
            overrides the task's).

    Returns:
        The head's output tensor.

    Raises:
        FuncnetError: unknown task, missing or bad `units`, a name that is not a string,
            `x` that is not a Keras tensor, or a Dense option Keras refuses.

    Example:
        >>> import funcnet as fn
        >>> x = fn.inputs(features=(8,))["features"]
        >>> digit = fn.head(x, "digit", "multiclass", units=10)
        >>> digit.shape
        (None, 10)
    """
    if not isinstance(name, str) or not name:
        raise FuncnetError(f"A head needs a non-empty string name. Received: name={name!r}.")
    check_name(name, "Head")
    if not is_keras_tensor(x):
        raise FuncnetError(
            f'Head "{name}" needs a Keras tensor to read, such as a layer\'s output in the '
            f"model being built. Received: {shown(x)}."
        )
    spec = tasks[task]
    units = spec.units if units is None else units
    if units is None:
        raise FuncnetError(
            f'Head "{name}" has task "{task}", which needs units= (e.g. the number of '
            f'classes): fn.head(x, "{name}", "{task}", units=10).'
        )
    if isinstance(units, bool) or not isinstance(units, numbers.Integral) or units < 1:
        raise FuncnetError(
            f'Head "{name}" needs a positive whole number of units. Received: units={units!r}.'
        )
    units = int(units)  # np.int64 from a config or an array's shape is a whole number too
    dense_kwargs.setdefault("activation", spec.activation)
    try:
        layer = Head(units, task, name=name, **dense_kwargs)
    except (TypeError, ValueError) as err:
        raise FuncnetError(
            f'Head "{name}" (task "{task}") cannot take the options {dense_kwargs}: '
            f"{keras_said(err)}"
        ) from None
    return call(layer, x, where=f'head "{name}"')
