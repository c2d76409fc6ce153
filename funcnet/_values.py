"""What one input's data holds: its kind (numbers, text, flags) and the values it may take.

`fn.check_data` reads arrays and `fn.fit` reads a dataset's element spec; both ask the same
questions of each input, answered here once: is this the kind of value the input takes
(text for a string input, whole numbers for token ids), and for arrays, are the values
ones Keras would use as given (no NaN or inf, ids inside the `Embedding` the input feeds,
no integer that wraps around in the input's dtype)? Every answer is a problem line naming
the array, or nothing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from funcnet._graph import layers_fed_by

# An input's kind, from its Keras dtype: "text", "bool", "int" or "float".
_KINDS = {"string": "text", "bool": "bool"}


def input_kind(tensor: Any) -> str:
    """The kind of values a Keras input takes: "text", "bool", "int" or "float"."""
    dtype = str(tensor.dtype)
    return _KINDS.get(dtype) or ("int" if "int" in dtype else "float")


def data_kind(dtype: Any) -> str:
    """The kind of values a numpy or TensorFlow dtype holds, as `input_kind` names them.

    Object arrays are "object": `array_problems` looks inside them.
    """
    name = getattr(dtype, "name", str(dtype))
    kind: str
    try:
        kind = dtype.kind if isinstance(dtype, np.dtype) else np.dtype(name).kind
    except TypeError:  # a TensorFlow dtype without a numpy twin: string, bfloat16
        kind = "S" if name == "string" else ("f" if "float" in name else name)
    return {"U": "text", "S": "text", "b": "bool", "i": "int", "u": "int", "f": "float"}.get(
        kind, "object" if kind == "O" else name
    )


def kind_problem(label: str, name: str, tensor: Any, held: str, shown: str) -> str | None:
    """A line when data of kind `held` (described as `shown`) cannot feed input `name`."""
    takes = input_kind(tensor)
    if takes == "text" and held != "text":
        return (
            f'{label} holds {shown}, but input "{name}" takes text (dtype string): a lookup '
            "layer inside the model turns it into numbers. Pass the column as text."
        )
    if takes != "text" and held == "text":
        return f'{label} holds {shown}; input "{name}" takes {tensor.dtype}.'
    if takes == "int" and held == "float":
        return (
            f'{label} holds {shown}, but input "{name}" takes {tensor.dtype} (e.g. token ids): '
            f'Keras would truncate them silently. Pass {label}.astype("{tensor.dtype}").'
        )
    if takes == "bool" and held == "float":
        return (
            f'{label} holds {shown}, but input "{name}" takes bool (a yes/no flag): Keras '
            f"would make every non-zero value True. Pass {label} > 0.5, or whatever rule you "
            "meant."
        )
    return None


def as_text(array: np.ndarray) -> np.ndarray:
    """Text as an object array of Python str: the numpy form Keras takes for strings.

    Keras refuses numpy's fixed-width `<U` and `S` arrays and objects holding bytes.

    Example:
        >>> as_text(np.array([b"Oslo", b"Rome"])).tolist()
        ['Oslo', 'Rome']
    """
    if array.dtype.kind == "S":
        array = np.char.decode(array, "utf-8")
    if array.dtype.kind == "O":
        if bytes not in set(map(type, array.ravel())):
            return array  # already the form Keras takes
        flat = [v.decode("utf-8") if isinstance(v, bytes) else v for v in array.ravel()]
        return np.array(flat, dtype=object).reshape(array.shape)
    return array.astype(object)


def array_problems(model: Any, label: str, name: str, array: np.ndarray, tensor: Any) -> list[str]:
    """Every problem with the values in `array`, the data for input `name` of `model`."""
    held = data_kind(array.dtype)
    if held == "object" and set(map(type, array.ravel())) <= {str, bytes}:
        held = "text"  # the common case, told in one fast pass over the types
    if held == "object":
        # Here some value is neither str nor bytes (the fast pass above said so).
        missing = sum(_missing(v) for v in array.ravel())
        if missing:  # e.g. gaps in a pandas column of text or nullable values
            return [
                f'{label} holds {missing} missing value(s) (None or NaN); input "{name}" takes '
                f'{_takes(tensor)}. Fill them first, e.g. df["col"].fillna(...).'
            ]
        return [
            f'{label} holds Python objects (dtype object); input "{name}" takes {_takes(tensor)}.'
        ]
    if held not in ("text", "bool", "int", "float"):  # dates, complex numbers, records
        return [f'{label} holds {array.dtype} values; input "{name}" takes {_takes(tensor)}.']
    if held == "float" and input_kind(tensor) != "float":
        missing = int(np.count_nonzero(np.isnan(array)))
        if missing:  # e.g. a pandas column of nullable ints with gaps
            return [
                f'{label} holds {missing} missing values (NaN); input "{name}" takes '
                f"{tensor.dtype}. Fill or drop them first."
            ]
    shown = f"text (dtype {array.dtype})" if held == "text" else f"{array.dtype} values"
    found = kind_problem(label, name, tensor, held, shown)
    if found or held == "text":
        return [found] if found else []
    return finite_problems(label, array) + _range_problems(model, label, name, array, tensor)


def _missing(value: object) -> bool:
    """None, NaN, or pandas' NA and NaT (named by type: pandas is never imported)."""
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return True
    return isinstance(value, float) and value != value


def _takes(tensor: Any) -> str:
    return "text" if input_kind(tensor) == "text" else str(tensor.dtype)


def finite_problems(label: str, array: np.ndarray) -> list[str]:
    """NaN and infinite values, which make the loss NaN or infinite."""
    if array.dtype.kind != "f":
        return []
    problems = []
    nan = int(np.count_nonzero(np.isnan(array)))
    if nan:
        problems.append(f"{label} contains {nan} NaN values; the loss would become NaN.")
    inf = int(np.count_nonzero(np.isinf(array)))
    if inf:
        problems.append(
            f"{label} contains {inf} infinite values (inf); the loss would become inf or NaN."
        )
    return problems


def _range_problems(model: Any, label: str, name: str, array: np.ndarray, tensor: Any) -> list[str]:
    """Whole numbers outside what the input's dtype holds or the layer it feeds takes."""
    if array.dtype.kind not in "biu" or array.size == 0:
        return []
    low, high = int(array.min()), int(array.max())
    takes = input_kind(tensor)
    if takes == "bool" and (low < 0 or high > 1):
        return [
            f'{label} holds values from {low} to {high}, but input "{name}" takes bool: only 0 '
            "and 1 (False and True) have a meaning."
        ]
    if takes == "int":
        info = np.iinfo(str(tensor.dtype))
        if low < info.min or high > info.max:
            return [
                f'{label} holds values from {low} to {high}, but input "{name}" takes '
                f"{tensor.dtype} ({info.min} to {info.max}): Keras would wrap them around "
                "silently. Give the input a wider dtype, e.g. "
                f'fn.inputs({name}=((...), "int32")).'
            ]
    problems = []
    for layer in layers_fed_by(model, tensor):
        size = getattr(layer, "input_dim", None) or getattr(layer, "num_tokens", None)
        if isinstance(size, int) and (low < 0 or high >= size):
            what = "input_dim" if hasattr(layer, "input_dim") else "num_tokens"
            problems.append(
                f'{label} holds ids from {low} to {high}, but input "{name}" feeds '
                f'{type(layer).__name__} "{layer.name}" with {what}={size}: ids must lie in '
                f"[0, {size}). Raise {what}, or map the ids into that range."
            )
    return problems
