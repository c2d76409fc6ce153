"""Tasks: what an output head predicts, and so its activation, units, loss and metrics.

A head's task is the one fact from which funcnet derives everything output-specific: the
head's activation and default width (`fn.head`), its loss and metrics (`fn.compile`) and
the checks on its targets (`fn.check_data`). Users add tasks with `fn.tasks.register`.

`output_task` is the one place that decides an output's task (declared, recorded on a
funcnet head, or read from the output layer); every caller asks it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from funcnet._errors import FuncnetError, unknown_name, whole
from funcnet._graph import producer
from funcnet._registry import Registry

TargetCheck = Callable[[np.ndarray, int], "str | None"]


# The activations that turn a classifier's raw scores into probabilities. This and
# activation_name come before the tasks are registered: registering imports Keras, whose
# import hook (funcnet/_keras_hook.py) imports _heads, which needs both.
PROBABILITIES = ("sigmoid", "softmax")


def activation_name(activation: Any) -> str | None:
    """The name of an activation as given (None, a name, or a function); None if unknown."""
    if activation is None:
        return "linear"
    if isinstance(activation, str):
        return activation
    return getattr(activation, "__name__", None)


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
        if units is not None and not whole(units):
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


# The names funcnet's output layers are registered under with Keras (funcnet/_heads.py):
# a Dense head, and the activation that ends a head built from the user's own layer.
HEAD_REGISTERED_NAME = "funcnet>Head"
HEAD_REGISTERED_NAMES = frozenset({HEAD_REGISTERED_NAME, "funcnet>HeadActivation"})


class Decision(NamedTuple):
    """What an output predicts, decided once and handed to every caller.

    Attributes:
        task: The task name, or None when it cannot be told.
        reason: Why the task cannot be told ("" when it can).
        logits: True when the output holds raw scores of a classifier, so its loss and
            metrics must take logits (`from_logits=True`).
        could_be: When the task cannot be told, the tasks it may be, to show the user.
    """

    task: str | None
    reason: str = ""
    logits: bool = False
    could_be: tuple[str, ...] = ()


def task_of(layer: Any) -> str | None:
    """Returns the task recorded on an output layer funcnet made (`fn.head`), else None."""
    import keras

    if keras.saving.get_registered_name(type(layer)) not in HEAD_REGISTERED_NAMES:
        return None
    return getattr(layer, "task", None)


def output_task(tensor: Any, declared: str | None = None) -> Decision:
    """An output's task: the one declared, else its head's, else read from its layer.

    A declared classification task on an output whose activation is linear means raw
    scores (logits); a funcnet head records its own choice (`fn.head(..., logits=True)`).

    Returns:
        A `Decision`: (task, "", logits) or (None, the reason the task cannot be told).
    """
    layer = producer(tensor)
    recorded = task_of(layer)
    if declared is None and recorded is not None:
        return Decision(recorded, "", bool(getattr(layer, "logits", False)))
    if declared is None:
        return infer_task(tensor)
    if recorded == declared:
        return Decision(declared, "", bool(getattr(layer, "logits", False)))
    probability = declared in tasks and tasks[declared].activation in PROBABILITIES
    return Decision(declared, "", probability and _activation(layer) == "linear")


def _activation(layer: Any) -> str | None:
    import keras

    if isinstance(layer, keras.layers.Softmax):
        return "softmax"
    act = getattr(layer, "activation", None)
    if isinstance(act, str) and not isinstance(layer, keras.layers.Activation):
        return None  # only an Activation layer keeps its activation as a name
    return activation_name(act)


def infer_task(tensor: Any) -> Decision:
    """Reads an output's task from its layer's activation and width.

    Raw scores (a linear activation) are never guessed: they may be a regression or the
    logits of a classifier, and a wrong guess trains the wrong loss without a word.

    Returns:
        A `Decision` with the task when the layer says it unambiguously, else the reason.
    """
    layer = producer(tensor)
    act = _activation(layer)
    units = tensor.shape[-1]
    kind = type(layer).__name__
    seen = f'layer "{layer.name}" ({kind}, activation {act or "unknown"}, units={units})'
    if act == "sigmoid" and units == 1:
        return Decision("binary")
    if act == "softmax" and units is not None and units > 1:
        return Decision("multiclass")
    if act == "linear":
        return Decision(
            None,
            f'{seen} gives raw scores, which may be a regression (task "regression") or '
            'the logits of a classifier (e.g. task "multiclass", trained from_logits)',
            could_be=("regression", "binary" if units == 1 else "multiclass"),
        )
    if act == "sigmoid":
        return Decision(
            None,
            f'{seen} may be multi-label classification (0/1 targets, task "multilabel") '
            'or values in [0, 1] such as pixel intensities (task "regression")',
            could_be=("multilabel", "regression"),
        )
    if act == "softmax":
        return Decision(
            None,
            f"{seen} is a softmax over one unit, which always outputs 1.0 (use sigmoid)",
            could_be=("binary",),
        )
    return Decision(None, f"funcnet cannot tell the task of {seen}", could_be=("regression",))


# Set by fn.compile: output name -> the task whose targets its loss trains on (None: no
# checks known), so that fn.check_data checks targets against what is really trained.
TRAINED_TASKS = "_funcnet_trained_tasks"

# What the targets of a known loss look like: a task whose target checks fit them.
# "zero_one" is "binary" over one unit, else "multilabel"; one-hot rows are 0/1 rows.
_LOSS_TARGETS = {
    "sparse_categorical_crossentropy": "multiclass",
    "categorical_crossentropy": "zero_one",
    "categorical_focal_crossentropy": "zero_one",
    "binary_crossentropy": "zero_one",
    "binary_focal_crossentropy": "zero_one",
}


def loss_name(loss: Any) -> str | None:
    """The snake-case name of a Keras loss given as a string, function or object."""
    if isinstance(loss, str):
        return loss.lower()
    name = getattr(loss, "name", None) or getattr(loss, "__name__", None)
    if isinstance(loss, dict):  # a serialized loss, as Keras may keep it after loading
        name = loss.get("config", {}).get("name") if isinstance(loss.get("config"), dict) else None
        name = name or loss.get("class_name")
    return name if isinstance(name, str) else None


def targets_from_loss(loss: Any, units: Any, task: str | None) -> str | None:
    """The task whose target checks fit `loss`; a loss funcnet does not know keeps `task`.

    Overriding a head's loss with another of the same family (a weighted or focal
    cross-entropy) must not switch off the checks of its targets.
    """
    kind = _LOSS_TARGETS.get(loss_name(loss) or "")
    if kind == "zero_one":
        return "binary" if units == 1 else "multilabel"
    return kind or task


def targets_task(model: Any, name: str, tensor: Any) -> str | None:
    """The task whose target checks apply to output `name`, from what really trains it.

    After `fn.compile` in this session: what it recorded. A model compiled elsewhere or
    loaded from a `.keras` file: read from its compiled loss (`model.loss`, which Keras
    saves), so a head trained with `categorical_crossentropy` takes one-hot targets.
    Otherwise the output's own task.
    """
    trained = getattr(model, TRAINED_TASKS, None)
    if trained is not None and name in trained:
        return trained[name]
    task = output_task(tensor).task
    loss = getattr(model, "loss", None)
    if isinstance(loss, Mapping):  # after loading, Keras keeps a dict-like wrapper
        loss = loss.get(name)
    elif isinstance(loss, (list, tuple)):
        loss = None  # positional losses: funcnet never matches them by position
    return task if loss is None else targets_from_loss(loss, tensor.shape[-1], task)
