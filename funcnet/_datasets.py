"""Streams of batches checked by name before the first step: tf.data and `PyDataset`.

A `tf.data.Dataset` describes its batches in `element_spec` (names, shapes, dtypes) without
producing one, so funcnet checks that description against the model: the cost does not
grow with the data. A `keras.utils.PyDataset` is indexable, so its first batch is read
and checked like arrays, and read again by Keras as usual. A Python generator cannot be
read without consuming it, so it goes to Keras unchecked.

Keras fails on targets keyed by the output's name when a model has one bare output (with
"Expected float32, but got <name> of type 'str'"); funcnet unwraps them instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import keras

from funcnet._data import by_name, checked_task, data_problems, fits, target_shape_problem
from funcnet._graph import is_list, is_single_output, named_inputs, named_outputs
from funcnet._values import data_kind, kind_problem


def is_dataset(data: object) -> bool:
    """True for a `tf.data.Dataset` (recognised without importing TensorFlow)."""
    return hasattr(data, "element_spec") and type(data).__module__.startswith("tensorflow")


def is_py_dataset(data: object) -> bool:
    """True for a `keras.utils.PyDataset`."""
    return isinstance(data, keras.utils.PyDataset)


def stream_problems(model: Any, data: Any, *, prefix: str = "") -> tuple[list[str], Any]:
    """Checks a dataset or `PyDataset` against `model`, by name, before training.

    Args:
        model: A built `keras.Model`.
        data: A batched `tf.data.Dataset` or a `keras.utils.PyDataset` yielding `(x, y)`
            or `(x, y, sample_weight)`.
        prefix: Put before "x" and "y" in messages, e.g. "validation ".

    Returns:
        (problems, the data to give Keras): the same data, or one that yields a one-output
        model's targets as a bare tensor instead of a dict keyed by its name.

    Example:
        >>> import numpy as np, tensorflow as tf
        >>> import funcnet as fn
        >>> ins = fn.inputs(income=(1,))
        >>> model = fn.model(ins, fn.head(ins["income"], "rich", "binary"))
        >>> ds = tf.data.Dataset.from_tensor_slices(
        ...     ({"incme": np.ones((4, 1))}, {"rich": np.ones(4)})).batch(2)
        >>> for problem in stream_problems(model, ds)[0]:
        ...     print(problem)
        x has an unknown key "incme"; the model's inputs are: income. Did you mean "income"?
    """
    if is_dataset(data):
        problems, adapted = _spec_problems(model, data.element_spec, prefix)
        if adapted is not None:
            data = data.map(adapted)
        return problems, data
    batch = data[0]
    x, y = _split(batch)
    problems = data_problems(model, x, y, prefix=f"{prefix}batch 0 of the PyDataset: ")[0]
    if y is None:
        problems.append(_no_targets(f"the {prefix}PyDataset"))
    elif is_single_output(model) and isinstance(y, Mapping) and not problems:
        data = _TargetsUnwrapped(data, next(iter(named_outputs(model))))
    return problems, data


def _split(element: Any) -> tuple[Any, Any]:
    """(x, y) of one element; Keras reads a tuple as (x, y, sample_weight), else x alone."""
    if isinstance(element, tuple):
        return element[0], element[1] if len(element) > 1 else None
    return element, None


def _no_targets(what: str) -> str:
    return (
        f"{what} yields inputs only, but training needs targets: yield (x, y) pairs, with y "
        "keyed by output name."
    )


def _spec_problems(model: Any, spec: Any, prefix: str) -> tuple[list[str], Any]:
    problems: list[str] = []
    inputs, outputs = named_inputs(model), named_outputs(model)
    x_spec, y_spec = _split(spec)
    list_in, list_out = is_list(model, "inputs"), is_list(model, "outputs")
    found = by_name(f"{prefix}x", x_spec, "input", inputs, list_in, problems, read=False)
    ys = {}
    if y_spec is not None:
        ys = by_name(f"{prefix}y", y_spec, "output", outputs, list_out, problems, read=False)
    problems += [
        f"{prefix}{part} has a shape of unknown rank; Keras cannot train on it. Give its "
        "rank, e.g. from_generator(..., output_signature=tf.TensorSpec((None, 3), ...))."
        for part, s in [
            *((f'x["{n}"]', s) for n, s in found.items()),
            *((f'y["{n}"]', s) for n, s in ys.items()),
        ]
        if getattr(getattr(s, "shape", None), "rank", 0) is None
    ]
    # Nested parts (a dict inside an input) are left to Keras.
    xs = {n: (s, shape) for n, s in found.items() if (shape := _shape(s)) is not None}
    unbatched = [n for n, (_, shape) in xs.items() if len(shape) == len(inputs[n].shape) - 1]
    if xs and len(unbatched) == len(found):
        return [
            f"the {prefix}dataset yields single samples, not batches ({', '.join(unbatched)} "
            "have no batch axis). Batch it first: dataset.batch(32)."
        ], None
    for name, (s, shape) in xs.items():
        label = f'{prefix}x["{name}"]'
        expected = tuple(inputs[name].shape[1:])
        if not fits(shape[1:], expected):
            problems.append(
                f"{label} has shape {shape} per batch: {shape[1:]} per sample, but input "
                f'"{name}" takes {expected} per sample.'
            )
        wrong = kind_problem(label, name, inputs[name], _held(s), f"{s.dtype.name} values")
        problems += [wrong] if wrong else []
    if y_spec is None:
        return [*problems, _no_targets(f"the {prefix}dataset")], None
    for name, s in ys.items():
        label, shape = f'{prefix}y["{name}"]', _shape(s)
        if shape is None:
            continue
        if _held(s) == "text":
            problems.append(f"{label} holds text ({s.dtype.name}); targets must be numbers.")
            continue
        task = checked_task(model, name, outputs[name])
        if task and shape:
            wrong = target_shape_problem(label, shape, outputs[name], task)
            problems += [wrong] if wrong else []
    if is_single_output(model) and isinstance(y_spec, Mapping) and not problems:
        name = next(iter(outputs))
        return problems, lambda x, y, *rest: (x, y[name], *rest)
    return problems, None


def _shape(spec: Any) -> tuple[Any, ...] | None:
    """A spec's shape as a tuple, or None for a nested part or a shape of unknown rank."""
    shape = getattr(spec, "shape", None)
    if shape is None or getattr(shape, "rank", 0) is None or not hasattr(spec, "dtype"):
        return None
    return tuple(shape)


def _held(spec: Any) -> str:
    return data_kind(spec.dtype)


class _TargetsUnwrapped(keras.utils.PyDataset):
    """A `PyDataset` whose batches' targets `{name: y}` are given to Keras as `y`."""

    def __init__(self, inner: Any, name: str) -> None:
        super().__init__(
            workers=inner.workers,
            use_multiprocessing=inner.use_multiprocessing,
            max_queue_size=inner.max_queue_size,
        )
        self.inner, self.name = inner, name

    def __len__(self) -> int:
        return len(self.inner)

    def __getitem__(self, index: int) -> Any:
        x, y, *rest = self.inner[index]
        return (x, y[self.name], *rest)

    @property
    def num_batches(self) -> int | None:
        return self.inner.num_batches

    def on_epoch_end(self) -> None:
        self.inner.on_epoch_end()
