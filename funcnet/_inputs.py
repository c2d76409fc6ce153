"""Named model inputs: `fn.inputs(image=(28, 28, 1), tokens=((50,), "int32"))`.

Structured data has one value per sample and column: a scalar input, shape `()`, takes it
as it is (`age=()`), and a string column is an input of dtype "string" (`city=((),
"string")`) that a Keras preprocessing layer (`StringLookup`, `Hashing`) turns into numbers
inside the model, so the saved model takes raw values.
"""

from __future__ import annotations

import numbers
from typing import Any

import keras

from funcnet._errors import FuncnetError, whole
from funcnet._names import check_name

_EXAMPLE = 'e.g. fn.inputs(image=(28, 28, 1), tokens=((50,), "int32"))'


def inputs(**named: Any) -> dict[str, Any]:
    """Creates one named `keras.Input` per keyword, in the order given.

    Args:
        **named: `name=shape`, where shape is a tuple without the batch axis (an int means
            a vector of that width, `()` one value per sample, e.g. a table column), or
            `name=(shape, dtype)` for inputs that are not float32, such as integer token
            ids (`"int32"`) or text (`"string"`).

    Returns:
        A dict of input name to Keras input tensor; pass it whole to `fn.model`.

    Raises:
        FuncnetError: no inputs, or a shape or dtype that is not valid, naming the input.

    Example:
        >>> import funcnet as fn
        >>> ins = fn.inputs(image=(28, 28, 1), tokens=((50,), "int32"))
        >>> ins["image"].shape, ins["tokens"].dtype
        ((None, 28, 28, 1), 'int32')
        >>> cols = fn.inputs(age=(), city=((), "string"))
        >>> cols["age"].shape, cols["city"].dtype
        ((None,), 'string')
    """
    if not named:
        raise FuncnetError(
            f"fn.inputs() needs at least one named input, {_EXAMPLE}. Received: nothing."
        )
    return {name: _input(name, spec) for name, spec in named.items()}


def _input(name: str, spec: Any) -> Any:
    check_name(name, "Input")
    shape, dtype = _split(spec)
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)) or not all(_is_dim(d) for d in shape):
        raise FuncnetError(
            f'Input "{name}" needs a shape: a tuple of positive ints or None, without the '
            f"batch axis, or () for one value per sample ({_EXAMPLE}). Received: "
            f"{name}={spec!r}."
        )
    shape = tuple(None if d is None else int(d) for d in shape)  # np.int64 dims too
    try:
        return keras.Input(shape=shape, dtype=dtype, name=name)
    except (ValueError, TypeError) as err:
        raise FuncnetError(
            f'Input "{name}" has a dtype Keras does not know. Expected e.g. "float32" or '
            f'"int32" or "string". Received: dtype={dtype!r} ({err}).'
        ) from None


def _split(spec: Any) -> tuple[Any, str | None]:
    # (shape, dtype) pairs are told apart from shapes by their second item not being a dim.
    if (
        isinstance(spec, (tuple, list))
        and len(spec) == 2
        and isinstance(spec[0], (tuple, list, numbers.Integral))
        and not isinstance(spec[1], (numbers.Integral, type(None)))
    ):
        return spec[0], spec[1]
    return spec, None


def _is_dim(d: Any) -> bool:
    return d is None or whole(d)
