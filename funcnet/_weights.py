"""`class_weight` and `sample_weight` keyed by output name, checked like targets.

Keras takes `class_weight` for one-output models only, and `sample_weight` only in the
structure of the targets; it accepts string class keys (as JSON gives them), classes the
output does not have and NaN weights, and trains on them silently. `fn.fit` takes both
keyed by output name, checks every key and value, and hands Keras one form for any
number of outputs: per-sample weights of each output, from its class weights (classes not
listed weigh 1.0) times any `sample_weight` given for it.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np

from funcnet._errors import did_you_mean

Weights = dict[str, np.ndarray]


def weight_problems(
    y: Mapping[str, np.ndarray],
    outputs: Mapping[str, Any],
    tasks: Mapping[str, str | None],
    kwargs: Mapping[str, Any],
) -> tuple[list[str], Weights | None]:
    """Checks `class_weight` and `sample_weight` in `kwargs` against the targets `y`.

    Args:
        y: The checked targets, keyed by output name in the model's order.
        outputs: The model's output tensors by name.
        tasks: Each output's task (None when its targets are not checked against one).
        kwargs: The `fn.fit` options; `class_weight` and `sample_weight` are read.

    Returns:
        (problems, per-output sample weights for Keras, or None when neither was given).

    Example:
        >>> import numpy as np
        >>> y = {"digit": np.array([0, 1, 2]), "odd": np.array([0, 1, 0])}
        >>> outs = {"digit": np.zeros((1, 3)), "odd": np.zeros((1, 1))}
        >>> tasks = {"digit": "multiclass", "odd": "binary"}
        >>> problems, w = weight_problems(y, outs, tasks, {"class_weight": {"odd": {"1": 2.0}}})
        >>> print(problems[0])
        class_weight["odd"] has string class keys ("1", as JSON gives them); class ids are
        ints: {1: 2.0}, e.g. {int(k): v for k, v in weights.items()}.
        >>> weight_problems(y, outs, tasks, {"class_weight": {"odd": {1: 2.0}}})[1]["odd"]
        array([1., 2., 1.], dtype=float32)
    """
    problems: list[str] = []
    names = list(y)
    n = len(next(iter(y.values()))) if y else 0
    classes = _class_weights(kwargs.get("class_weight"), names, outputs, tasks, problems)
    samples = _sample_weights(kwargs.get("sample_weight"), names, n, problems)
    if problems or (classes is None and samples is None):
        return problems, None
    weights = {name: np.ones(n, "float32") for name in names}
    for name, w in (samples or {}).items():
        weights[name] = weights[name] * w
    for name, table in (classes or {}).items():
        ids = _class_ids(y[name])
        lookup = np.array([table.get(c, 1.0) for c in range(int(ids.max()) + 1)], "float32")
        weights[name] = weights[name] * lookup[ids]
    return problems, weights


def stream_class_weight(
    given: Any, outputs: Mapping[str, Any], tasks: Mapping[str, str | None]
) -> tuple[list[str], dict[int, float] | None]:
    """Checks `class_weight` for a dataset, which Keras takes for a one-output model only.

    Returns:
        (problems, the one output's {class id: weight} in Keras's own form).
    """
    problems: list[str] = []
    names = list(outputs)
    tables = _class_weights(given, names, outputs, tasks, problems)
    if tables and len(names) > 1:
        problems.append(
            f"class_weight for a model with several outputs ({', '.join(names)}) works with "
            "arrays, not a dataset: yield (x, y, sample_weight) with the weights keyed by "
            "output name instead."
        )
    if problems or not tables:
        return problems, None
    return problems, tables[names[0]]


def _class_weights(
    given: Any,
    names: list[str],
    outputs: Mapping[str, Any],
    tasks: Mapping[str, str | None],
    problems: list[str],
) -> dict[str, dict[int, float]] | None:
    if given is None:
        return None
    if not isinstance(given, Mapping):
        problems.append(
            f"class_weight must be a dict of class id to weight, keyed by output name "
            f'(class_weight={{"{names[0]}": {{0: 1.0, 1: 5.0}}}}). Received: {given!r:.60}.'
        )
        return None
    by_output = {k: v for k, v in given.items() if isinstance(k, str) and not k.isdigit()}
    if not by_output:  # {class: weight}: Keras's one-output form
        if len(names) > 1:
            problems.append(
                f"class_weight {_short(given)} does not say which output it weighs; the model "
                f"has {len(names)} ({', '.join(names)}). Key it by output name: "
                f'class_weight={{"{names[0]}": {_short(given)}}}.'
            )
            return None
        by_output = {names[0]: given}
    elif len(by_output) != len(given):
        problems.append(
            "class_weight mixes output names and class ids; key it by output name only: "
            f'class_weight={{"{names[0]}": {{0: 1.0, 1: 5.0}}}}.'
        )
        return None
    tables = {}
    for key, table in by_output.items():
        if key not in names:
            problems.append(
                f'class_weight has an unknown key "{key}"; the model\'s outputs are: '
                f"{', '.join(names)}.{did_you_mean(key, names)}"
            )
            continue
        units = outputs[key].shape[-1]
        found = _table(f'class_weight["{key}"]', table, tasks.get(key), units)
        if isinstance(found, str):
            problems.append(found)
        else:
            tables[key] = found
    return tables if len(tables) == len(by_output) else None


def _table(label: str, table: Any, task: str | None, units: int) -> dict[int, float] | str:
    """A checked {class id: weight}, or the line saying what is wrong with it."""
    if task not in ("binary", "multiclass"):
        what = f"a {task} output" if task else "an output whose task funcnet does not know"
        return f"{label}: class weights need class ids, but this is {what}."
    if not isinstance(table, Mapping):
        return f"{label} must be a dict of class id to weight. Received: {table!r:.60}."
    strings = [k for k in table if isinstance(k, str)]
    if strings:
        fixed = "{" + ", ".join(f"{k}: {table[k]!r}" for k in list(table)[:3]) + "}"
        return (
            f'{label} has string class keys ("{strings[0]}", as JSON gives them); class ids '
            f"are ints: {fixed}, e.g. {{int(k): v for k, v in weights.items()}}."
        )
    limit = 2 if task == "binary" else units
    for key, weight in table.items():
        if isinstance(key, bool) or not isinstance(key, numbers.Integral):
            return f"{label} has the key {key!r}; class ids are whole numbers."
        if not 0 <= int(key) < limit:
            return f"{label} weighs class {key}, but the output has classes 0 to {limit - 1}."
        if not _good_weight(weight):
            return f"{label}[{key}] must be a finite number >= 0. Received: {weight!r}."
    return {int(k): float(v) for k, v in table.items()}


def sample_weights(
    given: Any, y: Mapping[str, np.ndarray], label: str
) -> tuple[list[str], Weights | None]:
    """Checks sample weights by output name (e.g. validation data's third item).

    Returns:
        (problems, one weight array per output, 1.0 where none was given).
    """
    problems: list[str] = []
    names, n = list(y), len(next(iter(y.values()))) if y else 0
    found = _sample_weights(given, names, n, problems, label)
    if found is None:
        return problems, None
    return problems, {name: found.get(name, np.ones(n, "float32")) for name in names}


def _sample_weights(
    given: Any, names: list[str], n: int, problems: list[str], label: str = "sample_weight"
) -> Weights | None:
    if given is None:
        return None
    what = label
    if isinstance(given, Mapping):
        unknown = [k for k in given if k not in names]
        for key in unknown:
            problems.append(
                f'{what} has an unknown key "{key}"; the model\'s outputs are: '
                f"{', '.join(names)}.{did_you_mean(str(key), names)}"
            )
        arrays = {k: v for k, v in given.items() if k in names}
    else:  # one array for every output: Keras's own form
        arrays = {name: given for name in names}
    weights = {}
    for name, value in arrays.items():
        label = f'{what}["{name}"]' if isinstance(given, Mapping) else what
        found = _weight_array(label, value, n)
        if isinstance(found, str):
            problems.append(found)
        else:
            weights[name] = found
    return weights if len(weights) == len(arrays) and not problems else None


def _weight_array(label: str, value: Any, n: int) -> np.ndarray | str:
    try:
        array = np.asarray(value, dtype="float64")
    except (TypeError, ValueError):
        return f"{label} must hold numbers, one weight per sample. Received: {value!r:.60}."
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.shape != (n,):
        return f"{label} has shape {array.shape}; expected one weight per sample: ({n},)."
    bad = int(np.count_nonzero(~np.isfinite(array)))
    if bad:
        return f"{label} contains {bad} NaN or infinite weights; the loss would become NaN."
    if np.any(array < 0):
        return f"{label} contains negative weights ({array.min():g}); weights must be >= 0."
    return array.astype("float32")


def _class_ids(y: np.ndarray) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim > 1 and y.shape[-1] > 1:
        return np.argmax(y, axis=-1).ravel()  # one-hot rows (after a loss override)
    return y.ravel().astype("int64")


def _good_weight(weight: Any) -> bool:
    if isinstance(weight, bool) or not isinstance(weight, numbers.Real):
        return False
    return math.isfinite(float(weight)) and float(weight) >= 0


def _short(value: Any) -> str:
    text = repr(dict(value)) if isinstance(value, Mapping) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
