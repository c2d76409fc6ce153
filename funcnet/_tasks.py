"""Tasks: what an output head predicts, and so its activation, units, loss and metrics.

A head's task is the one fact from which funcnet derives everything output-specific: the
head's activation and default width (`fn.head`), its loss and metrics (`fn.compile`) and
the checks on its targets (`fn.check_data`). Users add tasks with `fn.tasks.register`.

`output_task` is the one place that decides an output's task (declared, recorded on a
funcnet head, or read from the output layer); every caller asks it.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from funcnet._errors import FuncnetError, unknown_name
from funcnet._graph import producer
from funcnet._registry import Registry

TargetCheck = Callable[[np.ndarray, int], "str | None"]


def _zero_one(y: np.ndarray, units: int) -> str | None:
    values = np.unique(np.asarray(y))
    bad = values[(values != 0) & (values != 1)]
    if bad.size:
        return f"targets must be 0 or 1; found {_some(bad)}"
    return None


def _class_ids(y: np.ndarray, units: int) -> str | None:
    y = np.asarray(y)
    if y.ndim > 1 and y.shape[-1] == units and units > 1:
        return (
            f"targets look one-hot (last axis {units}); this task expects class ids "
            "in one column. Pass y.argmax(-1), or loss='categorical_crossentropy'"
        )
    values = np.unique(y)
    if not np.all(np.equal(np.mod(values, 1), 0)):
        return f"targets must be whole class ids; found {_some(values[np.mod(values, 1) != 0])}"
    bad = values[(values < 0) | (values >= units)]
    if bad.size:
        return f"class ids must lie in [0, {units}) for {units} units; found {_some(bad)}"
    return None


def _some(values: np.ndarray) -> str:
    shown = ", ".join(f"{v:g}" for v in values[:5])
    return shown + (f" and {values.size - 5} more" if values.size > 5 else "")


@dataclass(frozen=True)
class Task:
    """What a head predicts: its activation, default units, loss, metrics and target check.

    Args:
        activation: The head's activation, any Keras activation identifier.
        units: The head's default width; `None` means every head must give `units`.
        loss: The loss `fn.compile` uses, any Keras loss identifier.
        metrics: The metrics `fn.compile` adds, Keras metric identifiers.
        check_targets: Optional `f(y, units) -> problem or None` used by `fn.check_data`.

    Example:
        >>> import funcnet as fn
        >>> count = fn.Task(activation="softplus", units=1, loss="poisson", metrics=("mae",))
        >>> _ = fn.tasks.register("count", count, replace=True)
        >>> fn.tasks["count"].loss
        'poisson'
        >>> _ = fn.tasks.unregister("count")
    """

    activation: str
    units: int | None
    loss: Any
    metrics: tuple[Any, ...] = ()
    check_targets: TargetCheck | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        # A misspelled activation would otherwise surface only when a head is built.
        # keras is imported here, not at the top: see funcnet/_keras_hook.py.
        import keras

        try:
            keras.activations.get(self.activation)
        except (ValueError, TypeError):
            known = [n for n in dir(keras.activations) if not n.startswith("_")]
            known = [n for n in known if n not in ("get", "serialize", "deserialize")]
            raise unknown_name("activation for fn.Task", self.activation, known) from None
        units = self.units
        if units is not None and (
            isinstance(units, bool) or not isinstance(units, numbers.Integral) or units < 1
        ):
            raise FuncnetError(
                f"fn.Task units must be a positive int or None. Received: units={units!r}."
            )


tasks: Registry[Task] = Registry("task", Task)
tasks.register("binary", Task("sigmoid", 1, "binary_crossentropy", ("accuracy", "auc"), _zero_one))
tasks.register(
    "multiclass",
    Task("softmax", None, "sparse_categorical_crossentropy", ("accuracy",), _class_ids),
)
tasks.register(
    "multilabel", Task("sigmoid", None, "binary_crossentropy", ("binary_accuracy",), _zero_one)
)
tasks.register("regression", Task("linear", 1, "mse", ("mae",)))


# The name funcnet's Head layer is registered under with Keras (see funcnet/_heads.py).
HEAD_REGISTERED_NAME = "funcnet>Head"


def task_of(layer: Any) -> str | None:
    """Returns the task recorded on an output layer funcnet made (`fn.head`), else None."""
    import keras

    if keras.saving.get_registered_name(type(layer)) != HEAD_REGISTERED_NAME:
        return None
    return getattr(layer, "task", None)


def output_task(tensor: Any, declared: str | None = None) -> tuple[str | None, str]:
    """An output's task: the one declared, else its head's, else read from its layer.

    Returns:
        (task, "") or (None, the reason the task cannot be told).
    """
    if declared is not None:
        return declared, ""
    recorded = task_of(producer(tensor))
    return (recorded, "") if recorded is not None else infer_task(tensor)


def infer_task(tensor: Any) -> tuple[str | None, str]:
    """Reads an output's task from its layer's activation and width.

    Returns:
        (task, "") when the layer says it unambiguously, else (None, the reason).
    """
    import keras

    layer = producer(tensor)
    act = getattr(getattr(layer, "activation", None), "__name__", None)
    if isinstance(layer, keras.layers.Softmax):
        act = "softmax"
    units = tensor.shape[-1]
    kind = type(layer).__name__
    seen = f'layer "{layer.name}" ({kind}, activation {act or "unknown"}, units={units})'
    if act == "sigmoid" and units == 1:
        return "binary", ""
    if act == "softmax" and units is not None and units > 1:
        return "multiclass", ""
    if act == "linear":
        return "regression", ""
    if act == "sigmoid":
        return None, (
            f'{seen} may be multi-label classification (0/1 targets, task "multilabel") '
            'or values in [0, 1] such as pixel intensities (task "regression")'
        )
    if act == "softmax":
        return None, f"{seen} is a softmax over one unit, which always outputs 1.0 (use sigmoid)"
    return None, f"funcnet cannot tell the task of {seen}"
