"""Merging branches: concat, add, subtract, multiply, average, maximum, minimum, dot."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from keras import layers

from funcnet._errors import FuncnetError, keras_said, shown
from funcnet._graph import describe, is_keras_tensor
from funcnet._names import check_name
from funcnet._registry import Registry
from funcnet._stack import call

merges: Registry[Callable[..., Any]] = Registry("merge kind")
merges.register("concat", layers.Concatenate)
merges.register("add", layers.Add)
merges.register("subtract", layers.Subtract)
merges.register("multiply", layers.Multiply)
merges.register("average", layers.Average)
merges.register("maximum", layers.Maximum)
merges.register("minimum", layers.Minimum)
merges.register("dot", lambda **kw: layers.Dot(axes=kw.pop("axes", -1), **kw))

# Element-wise merges need equal shapes; Keras would broadcast size-1 axes silently.
_ELEMENTWISE = {"add", "subtract", "multiply", "average", "maximum", "minimum"}


def merge(
    tensors: Sequence[Any] | Mapping[str, Any], how: str, name: str | None = None, **kwargs: Any
) -> Any:
    """Merges two or more branches into one tensor.

    Args:
        tensors: The branches, as a list, or a dict whose keys name them in messages.
        how: "concat", "add", "subtract", "multiply", "average", "maximum", "minimum" or
            "dot".
        name: Name of the merge layer; Keras picks one when omitted.
        **kwargs: Further arguments of the Keras merge layer (e.g. `axis` for concat,
            `axes` and `normalize` for dot).

    Returns:
        The merged tensor.

    Raises:
        FuncnetError: an unknown `how`, fewer than two tensors, something that is not a
            Keras tensor, or shapes the merge cannot combine (naming each branch's shape).

    Example:
        >>> import funcnet as fn
        >>> from keras import layers
        >>> ins = fn.inputs(a=(10,), b=(20,))
        >>> a = fn.stack(ins["a"], layers.Dense(32))
        >>> b = fn.stack(ins["b"], layers.Dense(32))
        >>> fn.merge([a, b], "concat").shape, fn.merge([a, b], "add").shape
        ((None, 64), (None, 32))
    """
    make = merges[how]
    if name is not None:
        check_name(name, f'Merge "{how}"')
    if isinstance(tensors, Mapping):
        named = dict(tensors)
    elif isinstance(tensors, (list, tuple)):
        named = {f"tensor {i}": t for i, t in enumerate(tensors)}
    else:
        named = {}
    if len(named) < 2:
        raise FuncnetError(
            f'fn.merge(..., "{how}") needs a list or dict of at least two tensors. '
            f"Received: {shown(tensors)}."
        )
    for key, t in named.items():
        if not is_keras_tensor(t):
            raise FuncnetError(f"fn.merge: {key} is not a Keras tensor. Received: {shown(t)}.")
    if how == "subtract" and len(named) != 2:
        raise FuncnetError(
            f'fn.merge(..., "subtract") takes exactly two tensors. Received: {len(named)}.'
        )
    _check_shapes(how, named, kwargs.get("axis", -1))
    try:
        layer = make(name=name, **kwargs)
    except (TypeError, ValueError) as err:
        raise FuncnetError(
            f'fn.merge "{how}" cannot take the options {sorted(kwargs)}: {keras_said(err)}'
        ) from None
    return call(layer, list(named.values()), where=f'fn.merge "{how}"')


def _check_shapes(how: str, named: dict[str, Any], axis: int) -> None:
    shapes = {key: tuple(t.shape) for key, t in named.items()}
    if how in _ELEMENTWISE:
        keep = lambda s: s[1:]  # noqa: E731 - every axis but the batch must agree
        rule = "the same shape"
    elif how == "concat":
        ax = axis % len(next(iter(shapes.values())))
        keep = lambda s: s[1:ax] + s[ax + 1 :]  # noqa: E731
        rule = "the same shape except along the concatenation axis"
    else:
        return
    if len({len(s) for s in shapes.values()}) == 1 and _agree([keep(s) for s in shapes.values()]):
        return
    listing = "; ".join(f"{describe(t)}" for t in named.values())
    fix = (
        "project them to one width first, e.g. fn.stack(t, layers.Dense(n)) on each"
        if how in _ELEMENTWISE
        else "flatten or reshape them first, e.g. fn.stack(t, layers.Flatten())"
    )
    raise FuncnetError(f'fn.merge "{how}" needs {rule}. Received: {listing}. To fix it, {fix}.')


def _agree(shapes: list[tuple[Any, ...]]) -> bool:
    # An unknown (None) size agrees with anything; Keras checks it again at run time.
    return all(len({d for d in dims if d is not None}) <= 1 for dims in zip(*shapes, strict=True))
