"""`fn.check_data`: inputs and targets checked against the model, by name, before training.

Raw Keras matches a list of targets to dict outputs in sorted-name order, lets
broadcasting hide the resulting shape errors, truncates float data fed to integer inputs,
and answers a misspelled target key with "Expected float32, but got <name> of type
'str'". funcnet reads every array by name, checks it against its input or output, and
reports every problem at once, one line each, naming the array.

Lists are matched by position only where the model itself is a list: a dict-keyed model
refuses them, because nothing but a name says which array is which.

Data comes as numpy arrays, lists, TensorFlow tensors (string tensors are passed to Keras
as they are), pandas DataFrames and Series (`funcnet/_frames.py`), or mixed dicts of them.
What each input's values may be is checked in `funcnet/_values.py`; datasets and
`PyDataset`s are checked by `funcnet/_datasets.py`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

import numpy as np

from funcnet import _frames
from funcnet._errors import FuncnetError, did_you_mean, problems_error
from funcnet._graph import is_list, named_inputs, named_outputs, producer
from funcnet._run_shapes import run_time_shape_problems
from funcnet._tasks import targets_task
from funcnet._tasks import tasks as task_registry
from funcnet._values import array_problems, as_text, finite_problems, input_kind, kind_problem

Arrays = dict[str, Any]


def check_data(model: Any, x: Any, y: Any = None) -> tuple[Arrays, Arrays | None]:
    """Checks inputs `x` and targets `y` against `model` and returns them keyed by name.

    Checked: missing and unknown names or DataFrame columns (with "did you mean"), lists
    given to a model whose inputs or outputs are a dict (refused: pass a dict), sample
    counts (zero rows too), each input's shape and kind of values (text for a string
    input, whole numbers for token ids, flags for a bool input), NaN and inf, ids outside
    the `Embedding` an input feeds or the input's integer dtype, and each target against
    its output's task: its shape, class ids in [0, units) for "multiclass", 0 or 1 for
    "binary" and "multilabel". After `fn.compile`, targets of an output whose loss was
    overridden are only checked for count, type, NaN and inf.

    Args:
        model: A built `keras.Model`.
        x: A dict of input name to array; one array for a one-input model; a list in the
            model's order for a model built from a list of inputs; a pandas DataFrame whose
            columns are named for the inputs. Values may be numpy arrays, lists, tensors,
            or pandas columns (`{"table": df[["a", "b"]]}` feeds two columns to one
            vector input).
        y: Targets, in the same forms, keyed by output name; None to check inputs only.

    Returns:
        `(x, y)` as dicts keyed by name, in the model's declared order (`y` is None when
        not given): numpy arrays, text as object arrays of str (the numpy form Keras
        takes), string tensors as given.

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
    x_named = by_name(f"{prefix}x", x, "input", inputs, list_inputs, problems)
    y_named = None
    if y is not None:
        y_named = by_name(f"{prefix}y", y, "output", outputs, list_outputs, problems)
    labelled = {f'{prefix}x["{n}"]': a for n, a in x_named.items()}
    labelled.update({f'{prefix}y["{n}"]': a for n, a in (y_named or {}).items()})
    problems += _count_problems(labelled)
    for name, array in x_named.items():
        found = _input_problems(model, f'{prefix}x["{name}"]', name, array, inputs[name])
        problems += found
        if not found and input_kind(inputs[name]) == "text" and isinstance(array, np.ndarray):
            x_named[name] = as_text(array)
    if not problems:  # sizes that only the data decides (None in the input's shape)
        problems += run_time_shape_problems(model, x_named, prefix)
    for name, array in (y_named or {}).items():
        task = checked_task(model, name, outputs[name])
        problems += _target_problems(f'{prefix}y["{name}"]', array, outputs[name], task)
    return problems, x_named, y_named


def checked_task(model: Any, name: str, tensor: Any) -> str | None:
    """The task output `name`'s targets are checked against, or None for no task check.

    What the compiled loss expects (also on a loaded model), else what the layer says;
    a task no longer registered here checks nothing.
    """
    task = targets_task(model, name, tensor)
    return task if task in list(task_registry) else None


def data_error(model: Any, problems: list[str]) -> FuncnetError:
    """One error listing every data problem, one per line."""
    return problems_error("fn.check_data", f'the data for model "{model.name}"', problems)


def by_name(
    label: str,
    data: Any,
    kind: str,
    tensors: dict[str, Any],
    is_list_model: bool,
    problems: list[str],
    *,
    read: bool = True,
) -> Arrays:
    """Keys `data` by input or output name; records missing, unknown and positional data.

    With `read`, each value is read as an array (see `_as_array`); else kept as it is
    (e.g. a dataset's `TensorSpec`s).
    """
    names = list(tensors)
    listing = ", ".join(names)
    frame = _frames.is_frame(data)
    if frame:
        data = _frames.columns(data)
    if isinstance(data, Mapping):
        missing = [n for n in names if n not in data]
        suggested: set[str] = set()
        key_word = "column" if frame else "key"
        for key in data:
            if key not in names:
                hint = did_you_mean(str(key), missing) or did_you_mean(str(key), names)
                suggested.update(n for n in missing if f'"{n}"' in hint)
                problems.append(
                    f'{label} has an unknown {key_word} "{key}"; the model\'s {kind}s are: '
                    f"{listing}.{hint}"
                )
        for n in missing:
            if n not in suggested:
                shape = tuple(tensors[n].shape[1:])
                several = frame and len(shape) == 1 and (shape[0] or 0) > 1
                fix = (
                    f' To feed it several columns, pass a dict: {{"{n}": df[[...]], ...}}.'
                    if several
                    else ""
                )
                problems.append(
                    f'{label}["{n}"] is missing: the model has an {kind} "{n}" ({shape} per '
                    f"sample).{fix}"
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
    if not read:
        return dict(named)
    arrays = {}
    for n, value in named.items():
        try:
            arrays[n] = _as_array(value)
        except (ValueError, TypeError) as err:
            problems.append(f'{label}["{n}"] cannot be read as an array: {err}')
    return arrays


def _as_array(value: Any) -> Any:
    """numpy for the checks and for Keras; a string tensor stays one (Keras takes it)."""
    if isinstance(value, np.ndarray):
        return value
    if _frames.is_frame(value) or _frames.is_series(value):
        return _frames.to_numpy(value)
    if getattr(getattr(value, "dtype", None), "name", None) == "string":
        return value  # a tf string tensor: numpy would hold bytes, which Keras refuses
    return np.asarray(value)


def _count_problems(arrays: Mapping[str, np.ndarray]) -> list[str]:
    problems = [
        f"{label} is a single value; expected one row per sample."
        for label, array in arrays.items()
        if array.ndim == 0
    ]
    counts = {lab: len(a) for lab, a in arrays.items() if a.ndim > 0}
    empty = [lab for lab, n in counts.items() if n == 0]
    if empty and len(empty) == len(counts):
        problems.append(f"every array has 0 samples (no rows): {', '.join(empty)}.")
    else:
        problems += [f"{lab} has 0 samples (no rows)." for lab in empty]
    if len(set(counts.values())) <= 1:
        return problems
    usual = Counter(counts.values()).most_common(1)[0][0]
    for lab, n in counts.items():
        if n != usual:
            problems.append(f"{lab} has {n} samples, but the other arrays have {usual}.")
    return problems


def _input_problems(model: Any, label: str, name: str, array: Any, tensor: Any) -> list[str]:
    expected = tuple(tensor.shape[1:])
    problems = []
    if array.ndim > 0 and not fits(tuple(array.shape[1:]), expected):
        problems.append(
            f"{label} has shape {tuple(array.shape)}: {tuple(array.shape[1:])} per sample, but "
            f'input "{name}" takes {expected} per sample.'
        )
    if not isinstance(array, np.ndarray):  # a string tensor
        found = kind_problem(label, name, tensor, "text", "text")
        return problems + ([found] if found else [])
    return problems + array_problems(model, label, name, array, tensor)


def _target_problems(label: str, array: np.ndarray, tensor: Any, task: str | None) -> list[str]:
    if not isinstance(array, np.ndarray) or not _numeric(array):
        what = _what(array) if isinstance(array, np.ndarray) else "text"
        return [f"{label} holds {what}; targets must be numbers."]
    problems = finite_problems(label, array)
    if task is None or array.ndim == 0:
        return problems
    wrong = target_shape_problem(label, tuple(array.shape), tensor, task)
    if wrong:
        return [*problems, wrong]
    units = tensor.shape[-1]
    check = task_registry[task].check_targets
    found = check(array, units) if check is not None and units is not None else None
    return problems + ([f"{label}: {found}"] if found else [])


def target_shape_problem(label: str, shape: tuple[Any, ...], tensor: Any, task: str) -> str | None:
    """A line when targets of `shape` (batch axis first) do not fit the output's task."""
    units = tensor.shape[-1]
    per_sample = tuple(tensor.shape[1:])
    if task == "multiclass":  # class ids: the output's shape without the class axis
        ids = (*per_sample[:-1], 1)  # also takes one-hot rows, for check_targets to explain
        ok = fits(shape[1:], ids) or fits(shape[1:], per_sample)
        wanted = f"one class id per sample, shape (n,) or (n, 1), for its {units} classes"
    else:
        ok = fits(shape[1:], per_sample)
        wanted = f"{per_sample} per sample, the shape of its predictions"
    name = producer(tensor).name
    if ok:
        return None
    return f'{label} has shape {shape}, but output "{name}" ({task}) takes {wanted}.'


def fits(actual: tuple[Any, ...], expected: tuple[Any, ...]) -> bool:
    """True when a per-sample shape matches; Keras adds a missing trailing axis of 1.

    A None in either (a size known only at run time) matches any size.
    """
    if len(actual) + 1 == len(expected) and expected[-1] == 1:
        expected = expected[:-1]
    if len(actual) != len(expected):
        return False
    return all(e is None or a is None or a == e for a, e in zip(actual, expected, strict=True))


def _what(array: np.ndarray) -> str:
    kinds = {"U": "text", "S": "bytes", "O": "Python objects", "M": "dates", "c": "complex numbers"}
    kind = kinds.get(array.dtype.kind, "values")
    if array.dtype.kind == "O" and all(isinstance(v, str) for v in array.ravel()):
        kind = "text"  # e.g. a pandas column of strings
    return f"{kind} (dtype {array.dtype})"


def _numeric(array: np.ndarray) -> bool:
    return array.dtype.kind in "biuf"
