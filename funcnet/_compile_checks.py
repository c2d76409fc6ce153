"""What `fn.compile` checks before Keras sees it: logits losses, metrics, numbers.

Each check here turns a setting that would train silently wrong into a problem line
that names the output: a classifier's raw scores trained with a probability loss, one
metric object feeding two outputs, a metric that contradicts the targets the loss
trains on, loss weights that make the total loss meaningless, a `steps_per_execution`
Keras cannot run. `fn.compile` gathers the lines into one `FuncnetError`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

import keras

from funcnet._errors import whole
from funcnet._history import snake_case

# Probability losses with a from_logits form, by name.
_LOGITS_LOSSES = {
    "binary_crossentropy": keras.losses.BinaryCrossentropy,
    "binary_focal_crossentropy": keras.losses.BinaryFocalCrossentropy,
    "categorical_crossentropy": keras.losses.CategoricalCrossentropy,
    "categorical_focal_crossentropy": keras.losses.CategoricalFocalCrossentropy,
    "sparse_categorical_crossentropy": keras.losses.SparseCategoricalCrossentropy,
}


def logits_loss(loss: Any) -> Any:
    """The `from_logits=True` form of a task's loss, or None when it has none."""
    make = _LOGITS_LOSSES.get(loss) if isinstance(loss, str) else None
    return make(from_logits=True) if make is not None else None


def task_metric(metric: Any, logits: bool, activation: str) -> Any:
    """A task's metric for one output: a fresh object, logits-aware where it must be.

    On raw scores a 0/1 accuracy must threshold at 0 (sigmoid(0) = 0.5) and AUC must
    apply the sigmoid itself; "accuracy" on a softmax task reads the argmax, which
    logits keep.
    """
    if not logits or not isinstance(metric, str):
        return metric
    if metric == "binary_accuracy" or (metric == "accuracy" and activation == "sigmoid"):
        return keras.metrics.BinaryAccuracy(name=metric, threshold=0.0)
    if metric == "auc":
        return keras.metrics.AUC(name=metric, from_logits=True)
    return metric


def metric_kind(metric: Any) -> str:
    """A metric's snake-case name: "auc", "categorical_accuracy", ..."""
    if isinstance(metric, str):
        return metric.lower()
    name = type(metric).__name__ if not callable(metric) or hasattr(metric, "name") else ""
    name = name if name not in ("function", "") else getattr(metric, "__name__", "")
    return snake_case(name)


# Metrics that read targets another way than each target kind; and what fits instead.
_WRONG_FOR = {
    "multiclass": (
        {"categorical_accuracy", "binary_accuracy", "auc", "top_k_categorical_accuracy"},
        "class ids",
        '"accuracy" (or "sparse_categorical_accuracy")',
    ),
    "binary": (
        {
            "sparse_categorical_accuracy",
            "categorical_accuracy",
            "sparse_top_k_categorical_accuracy",
        },
        "0/1 targets",
        '"accuracy" (or "binary_accuracy")',
    ),
    "multilabel": (
        {"sparse_categorical_accuracy", "sparse_top_k_categorical_accuracy"},
        "0/1 or one-hot rows",
        '"accuracy" (or "categorical_accuracy" for one-hot rows)',
    ),
}


def metric_problems(name: str, targets: str | None, metrics: list[Any]) -> list[str]:
    """Metrics given for output `name` that contradict the targets its loss trains on."""
    wrong, kind, fits = _WRONG_FOR.get(targets or "", (set(), "", ""))
    return [
        f'metrics["{name}"]: "{metric_kind(m)}" does not fit output "{name}", whose loss '
        f"trains on {kind}: it would report a wrong number. Use {fits}."
        for m in metrics
        if metric_kind(m) in wrong
    ]


def shared_metric_problems(metrics_map: Mapping[str, list[Any]]) -> list[str]:
    """One metric object given to several outputs: one accumulator, wrong for all."""
    owners: dict[int, list[str]] = {}
    objects: dict[int, Any] = {}
    for name, metrics in metrics_map.items():
        for m in metrics:
            if isinstance(m, keras.metrics.Metric):
                owners.setdefault(id(m), []).append(name)
                objects[id(m)] = m
    return [
        f'metrics: one {type(objects[key]).__name__} object "{objects[key].name}" is given '
        + (
            f"to outputs {', '.join(repr(n) for n in dict.fromkeys(names))}"
            if len(set(names)) > 1
            else f"{len(names)} times to output {names[0]!r}"
        )
        + "; it would add every use's results into one total. Give each use its own "
        "object, or the metric's name as a string."
        for key, names in owners.items()
        if len(names) > 1
    ]


def weight_problems(weights: Mapping[str, Any], names: list[str]) -> list[str]:
    """Loss weights that make the total loss meaningless: not numbers, NaN, inf, < 0, all 0."""
    problems = []
    for name, weight in weights.items():
        if isinstance(weight, bool) or not isinstance(weight, numbers.Real):
            problems.append(f'loss_weights["{name}"] must be a number. Received: {weight!r}.')
        elif not math.isfinite(weight) or weight < 0:
            problems.append(
                f'loss_weights["{name}"] must be a finite number >= 0 (0 switches the output\'s '
                f"loss off). Received: {weight!r}."
            )
    given = [w for w in weights.values() if isinstance(w, numbers.Real)]
    if not problems and names and set(weights) == set(names) and all(w == 0 for w in given):
        problems.append(
            "loss_weights are 0 for every output, so nothing would train. Received: "
            f"{dict(weights)}. Keep at least one output's weight above 0."
        )
    return problems


def steps_problems(compile_kwargs: Mapping[str, Any]) -> list[str]:
    """A `steps_per_execution` Keras cannot run: it must be a whole number >= 1."""
    steps = compile_kwargs.get("steps_per_execution", 1)
    if whole(steps):
        return []
    return [
        "steps_per_execution must be a whole number >= 1 (batches run per call; 1 is "
        f"Keras's default). Received: steps_per_execution={steps!r}."
    ]
