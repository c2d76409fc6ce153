"""`fn.check_data`: inputs and targets checked against the model, by name, before training.

Raw Keras matches a list of targets to dict outputs in sorted-name order, lets
broadcasting hide the resulting shape errors, truncates float data fed to integer inputs,
and answers a misspelled target key with "Expected float32, but got <name> of type
'str'". funcnet reads every array by name, checks it against its input or output, and
reports every problem at once, one line each, naming the array.

Lists are matched by position only where the model itself is a list: a dict-keyed model
refuses them, because nothing but a name says which array is which.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

import numpy as np

from funcnet._errors import FuncnetError, did_you_mean, problems_error
from funcnet._graph import is_list, named_inputs, named_outputs, producer
from funcnet._run_shapes import run_time_shape_problems
from funcnet._tasks import targets_task
from funcnet._tasks import tasks as task_registry

Arrays = dict[str, Any]


def check_data(model: Any, x: Any, y: Any = None) -> tuple[Arrays, Arrays | None]:
    """Checks inputs `x` and targets `y` against `model` and returns them keyed by name.

    Checked: missing and unknown names (with "did you mean"), lists given to a model whose
    inputs or outputs are a dict (refused: pass a dict), sample counts, each input's shape
    and dtype (e.g. float data for integer token ids), NaN values, and each target against
    its output's task: its shape, class ids in [0, units) for "multiclass", 0 or 1 for
    "binary" and "multilabel". After `fn.compile`, targets of an output whose loss was
    overridden are only checked for count, type and NaN.

    Args:
        model: A built `keras.Model`.
        x: A dict of input name to array; one array for a one-input model; a list in the
            model's order for a model built from a list of inputs.
        y: Targets, in the same forms, keyed by output name; None to check inputs only.

    Returns:
        `(x, y)` as dicts of numpy arrays keyed by name, in the model's declared order
        (`y` is None when not given).

    Raises:
        FuncnetError: listing every problem found, one per line, each naming its array.

    Example:
        >>> import numpy as np
        >>> import funcnet as fn
        >>> ins = fn.inputs(audio=(10,), video=(20,))
        >>> h = fn.merge([ins["audio"], ins["video"]], "concat")
        >>> model = fn.model(ins, fn.head(h, "fake", "binary"))
        >>> x = {"audio": np.zeros((4, 10)), "vidoe": np.zeros((4, 20))}
        >>> fn.check_data(model, x, {"fake": np.array([0, 1, 2, 1])})
        Traceback (most recent call last):
        ...
        funcnet.FuncnetError: fn.check_data found 2 problems ...
          - x has an unknown key "vidoe"; the model's inputs are: audio, video. Did you ...
          - y["fake"]: targets must be 0 or 1; found 2
    """
    problems, x_named, y_named = data_problems(model, x, y)
    if problems:
        raise data_error(model, problems)
    return x_named, y_named


def data_problems(
    model: Any, x: Any, y: Any, *, prefix: str = ""
) -> tuple[list[str], Arrays, Arrays | None]:
    """Like `check_data`, but returns the problems instead of raising.

    Args:
        model: A built `keras.Model`.
        x: Inputs, as for `check_data`.
        y: Targets, as for `check_data`, or None.
        prefix: Put before "x" and "y" in messages, e.g. "validation " for fit.

    Returns:
        (problems, x by name, y by name or None).
    """
    problems: list[str] = []
    inputs, outputs = named_inputs(model), named_outputs(model)
    list_inputs, list_outputs = is_list(model, "inputs"), is_list(model, "outputs")
    x_named = _by_name(f"{prefix}x", x, "input", inputs, list_inputs, problems)
    y_named = None
    if y is not None:
        y_named = _by_name(f"{prefix}y", y, "output", outputs, list_outputs, problems)
    labelled = {f'{prefix}x["{n}"]': a for n, a in x_named.items()}
    labelled.update({f'{prefix}y["{n}"]': a for n, a in (y_named or {}).items()})
    problems += _count_problems(labelled)
    for name, array in x_named.items():
        problems += _input_problems(f'{prefix}x["{name}"]', name, array, inputs[name])
    if not problems:  # sizes that only the data decides (None in the input's shape)
        problems += run_time_shape_problems(model, x_named, prefix)
    for name, array in (y_named or {}).items():
        # What the compiled loss expects (also on a loaded model), else what the layer says.
        task = targets_task(model, name, outputs[name])
        problems += _target_problems(f'{prefix}y["{name}"]', array, outputs[name], task)
    return problems, x_named, y_named


def data_error(model: Any, problems: list[str]) -> FuncnetError:
    """One error listing every data problem, one per line."""
    return problems_error("fn.check_data", f'the data for model "{model.name}"', problems)


def _by_name(
    label: str,
    data: Any,
    kind: str,
    tensors: dict[str, Any],
    is_list_model: bool,
    problems: list[str],
) -> Arrays:
    """Keys `data` by input or output name; records missing, unknown and positional data."""
    names = list(tensors)
    listing = ", ".join(names)
    if isinstance(data, Mapping):
        missing = [n for n in names if n not in data]
        suggested: set[str] = set()
        for key in data:
            if key not in names:
                hint = did_you_mean(str(key), missing) or did_you_mean(str(key), names)
                suggested.update(n for n in missing if f'"{n}"' in hint)
                problems.append(
                    f'{label} has an unknown key "{key}"; the model\'s {kind}s are: '
                    f"{listing}.{hint}"
                )
        for n in missing:
            if n not in suggested:
                shape = tuple(tensors[n].shape[1:])
                problems.append(
                    f'{label}["{n}"] is missing: the model has an {kind} "{n}" ({shape} per '
                    "sample)."
                )
        named = {n: data[n] for n in names if n in data}
    elif isinstance(data, (list, tuple)) and not (len(names) == 1 and not is_list_model):
        if not is_list_model:
            example = ", ".join(f'"{n}": ...' for n in names)
            problems.append(
                f"{label} is a {type(data).__name__} of {len(data)} arrays, but the model's "
                f"{kind}s are named ({listing}); pass a dict so that no array is matched by "
                f"position: {label.split()[-1]}={{{example}}}."
            )
            return {}
        if len(data) != len(names):
            problems.append(
                f"{label} has {len(data)} arrays, but the model has {len(names)} {kind}s: "
                f"{listing}."
            )
            return {}
        named = dict(zip(names, data, strict=True))
    elif len(names) == 1:
        # [array] for a one-input model: unwrap it, as Keras does.
        wrapped = isinstance(data, (list, tuple)) and len(data) == 1 and hasattr(data[0], "shape")
        named = {names[0]: data[0] if wrapped else data}
    else:
        problems.append(
            f"{label} is one array, but the model has {len(names)} {kind}s ({listing}); pass "
            f"a dict keyed by {kind} name."
        )
        return {}
    arrays = {}
    for n, value in named.items():
        try:
            arrays[n] = value if isinstance(value, np.ndarray) else np.asarray(value)
        except (ValueError, TypeError) as err:
            problems.append(f'{label}["{n}"] cannot be read as an array: {err}')
    return arrays


def _count_problems(arrays: Mapping[str, np.ndarray]) -> list[str]:
    problems = [
        f"{label} is a single value; expected one row per sample."
        for label, array in arrays.items()
        if array.ndim == 0
    ]
    counts = {lab: len(a) for lab, a in arrays.items() if a.ndim > 0}
    if len(set(counts.values())) <= 1:
        return problems
    usual = Counter(counts.values()).most_common(1)[0][0]
    for lab, n in counts.items():
        if n != usual:
            problems.append(f"{lab} has {n} samples, but the other arrays have {usual}.")
    return problems


def _input_problems(label: str, name: str, array: np.ndarray, tensor: Any) -> list[str]:
    expected = tuple(tensor.shape[1:])
    try:
        dtype: np.dtype[Any] | None = np.dtype(str(tensor.dtype))
    except TypeError:  # e.g. "string" or "bfloat16": no numpy twin to compare with
        dtype = None
    problems = []
    if array.ndim > 0 and not _fits(array.shape[1:], expected):
        problems.append(
            f'{label} has shape {array.shape}: {array.shape[1:]} per sample, but input "{name}" '
            f"takes {expected} per sample."
        )
    if dtype is not None and not _numeric(array):
        problems.append(f'{label} holds {_what(array)}; input "{name}" takes {dtype}.')
    elif dtype is not None and dtype.kind in "iu" and array.dtype.kind == "f":
        problems.append(
            f'{label} holds {array.dtype} values, but input "{name}" takes {dtype} (e.g. token '
            f'ids): Keras would truncate them silently. Pass {label}.astype("{dtype}").'
        )
    return problems + _nan_problems(label, array)


def _target_problems(label: str, array: np.ndarray, tensor: Any, task: str | None) -> list[str]:
    if not _numeric(array):
        return [f"{label} holds {_what(array)}; targets must be numbers."]
    problems = _nan_problems(label, array)
    if task is None or task not in list(task_registry) or array.ndim == 0:
        return problems
    units = tensor.shape[-1]
    per_sample = tuple(tensor.shape[1:])
    if task == "multiclass":  # class ids: the output's shape without the class axis
        ids = (*per_sample[:-1], 1)  # also takes one-hot rows, for check_targets to explain
        ok = _fits(array.shape[1:], ids) or _fits(array.shape[1:], per_sample)
        wanted = f"one class id per sample, shape (n,) or (n, 1), for its {units} classes"
    else:
        ok = _fits(array.shape[1:], per_sample)
        wanted = f"{per_sample} per sample, the shape of its predictions"
    name = producer(tensor).name
    if not ok:
        return [
            *problems,
            f'{label} has shape {array.shape}, but output "{name}" ({task}) takes {wanted}.',
        ]
    check = task_registry[task].check_targets
    found = check(array, units) if check is not None and units is not None else None
    return problems + ([f"{label}: {found}"] if found else [])


def _fits(actual: tuple[int, ...], expected: tuple[Any, ...]) -> bool:
    """True when a per-sample shape matches; Keras adds a missing trailing axis of 1."""
    if len(actual) + 1 == len(expected) and expected[-1] == 1:
        expected = expected[:-1]
    if len(actual) != len(expected):
        return False
    return all(e is None or a == e for a, e in zip(actual, expected, strict=True))


def _what(array: np.ndarray) -> str:
    kinds = {"U": "text", "S": "bytes", "O": "Python objects", "M": "dates", "c": "complex numbers"}
    return f"{kinds.get(array.dtype.kind, 'values')} (dtype {array.dtype})"


def _numeric(array: np.ndarray) -> bool:
    return array.dtype.kind in "biuf"


def _nan_problems(label: str, array: np.ndarray) -> list[str]:
    if array.dtype.kind == "f":
        bad = int(np.count_nonzero(np.isnan(array)))
        if bad:
            return [f"{label} contains {bad} NaN values; the loss would become NaN."]
    return []
