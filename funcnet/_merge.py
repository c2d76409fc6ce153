"""Merging branches: the `fn.merges` registry of merge kinds, and `fn.merge`.

Kinds: concat, add, subtract, multiply, average, maximum, minimum, dot, and the
distances siamese models need (euclidean, manhattan, cosine; funcnet/_distances.py).
Users register their own kinds; `fn.merge` also takes a Keras merging layer instance.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import keras
from keras import layers

from funcnet._distances import CosineDistance, EuclideanDistance, ManhattanDistance
from funcnet._errors import FuncnetError, keras_said, shown
from funcnet._graph import describe, is_keras_tensor
from funcnet._names import check_name
from funcnet._registry import Registry
from funcnet._stack import call

# Merge kinds by name: each a callable `make(name=..., **options)` returning a Keras layer.
# Users add their own with `fn.merges.register` (see `merge`'s example).
merges: Registry[Callable[..., Any]] = Registry("merge kind")
merges.register("concat", layers.Concatenate)
merges.register("add", layers.Add)
merges.register("subtract", layers.Subtract)
merges.register("multiply", layers.Multiply)
merges.register("average", layers.Average)
merges.register("maximum", layers.Maximum)
merges.register("minimum", layers.Minimum)
merges.register("dot", lambda **kw: layers.Dot(axes=kw.pop("axes", -1), **kw))
merges.register("euclidean", EuclideanDistance)
merges.register("manhattan", ManhattanDistance)
merges.register("cosine", CosineDistance)

# Element-wise merges need equal shapes; Keras would broadcast size-1 axes silently.
_ELEMENTWISE = {"add", "subtract", "multiply", "average", "maximum", "minimum"}
# Distances compare two tensors of one shape.
_DISTANCES = {"euclidean", "manhattan", "cosine"}
# A Keras merging layer given as `how`, by its class: the kind whose shape rule it follows.
_KIND_OF: dict[type, str] = {
    made: kind for kind in merges if isinstance(made := merges[kind], type)
}


def merge(
    tensors: Sequence[Any] | Mapping[str, Any],
    how: str | keras.layers.Layer,
    name: str | None = None,
    **kwargs: Any,
) -> Any:
    """Merges two or more branches into one tensor.

    Args:
        tensors: The branches, as a list, or a dict whose keys name them in messages.
        how: A key of `fn.merges`: "concat", "add", "subtract", "multiply", "average",
            "maximum", "minimum", "dot", the distances "euclidean", "manhattan",
            "cosine" (one value per sample), or one you registered; or a Keras merging
            layer instance (e.g. `layers.Concatenate(axis=1)`).
        name: Name of the merge layer; Keras picks one when omitted.
        **kwargs: Further arguments of the Keras merge layer (e.g. `axis` for concat,
            `axes` and `normalize` for dot).

    A branch of one value per sample (shape `(None,)`, e.g. a scalar input from
    `fn.inputs(age=())`) is concatenated as a vector of one: along its batch axis, the
    only one it has, concat would mix the samples.

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
        >>> cols = fn.inputs(age=(), income=())
        >>> fn.merge([cols["age"], cols["income"], a], "concat").shape
        (None, 34)
        >>> fn.merge({"left": a, "right": b}, "euclidean").shape
        (None, 1)
        >>> _ = fn.merges.register("mean", layers.Average)
        >>> fn.merge([a, b], "mean").shape
        (None, 32)
        >>> _ = fn.merges.unregister("mean")
    """
    given: Any = how if isinstance(how, keras.layers.Layer) else None  # the user's own layer
    if given is not None:
        if name is not None:
            raise FuncnetError(
                f'fn.merge: name= names the layer funcnet makes; layer "{given.name}" was made '
                "by you: name it when you make it."
            )
        how = next((k for cls, k in _KIND_OF.items() if isinstance(given, cls)), None)
        how = how or type(given).__name__
        axis = getattr(given, "axis", -1)
    else:
        make = merges[how]
        if name is not None:
            check_name(name, f'Merge "{how}"')
        axis = kwargs.get("axis", -1)
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
            what = f'branch "{key}"' if isinstance(tensors, Mapping) else key
            raise FuncnetError(f"fn.merge: {what} is not a Keras tensor. Received: {shown(t)}.")
    if (how == "subtract" or how in _DISTANCES) and len(named) != 2:
        raise FuncnetError(
            f'fn.merge(..., "{how}") takes exactly two tensors. Received: {len(named)} '
            f"({', '.join(named)})."
        )
    if how == "concat" and axis == -1:
        named = {key: _as_vector(t) for key, t in named.items()}
    _check_shapes(how, named, axis, isinstance(tensors, Mapping))
    layer = given
    if layer is None:
        try:
            layer = make(name=name, **kwargs)
        except (TypeError, ValueError) as err:
            raise FuncnetError(
                f'fn.merge "{how}" cannot take the options {sorted(kwargs)}: {keras_said(err)}'
            ) from None
    return call(layer, list(named.values()), where=f'fn.merge "{how}"')


def _as_vector(tensor: Any) -> Any:
    """A tensor of one value per sample, (None,), as (None, 1); others as they are."""
    if len(tensor.shape) != 1:
        return tensor
    return call(layers.Reshape((1,)), tensor, where='a scalar branch of fn.merge "concat"')


def _branch(key: str, tensor: Any, keyed: bool) -> str:
    """A branch in a message: its dict key (when the user gave one) and where it comes from."""
    seen = describe(tensor)
    return f'"{key}": {seen}' if keyed and not seen.startswith(f'input "{key}"') else seen


def _check_shapes(how: str, named: dict[str, Any], axis: int, keyed: bool = False) -> None:
    shapes = {key: tuple(t.shape) for key, t in named.items()}
    if how in _ELEMENTWISE or how in _DISTANCES:
        keep = lambda s: s[1:]  # noqa: E731 - every axis but the batch must agree
        rule = "the same shape"
    elif how == "concat":
        ax = axis % len(next(iter(shapes.values())))
        keep = lambda s: s[1:ax] + s[ax + 1 :]  # noqa: E731
        rule = "the same shape except along the concatenation axis"
    else:
        return
    if len({len(s) for s in shapes.values()}) == 1 and agree([keep(s) for s in shapes.values()]):
        return
    listing = "; ".join(_branch(key, t, keyed) for key, t in named.items())
    raise FuncnetError(
        f'fn.merge "{how}" needs {rule}. Received: {listing}. To fix it, '
        f"{_fix(how, list(shapes.values()))}."
    )


def _fix(how: str, shapes: list[tuple[Any, ...]]) -> str:
    """The advice that fits how the shapes differ: size, channels, or rank."""
    ranks = {len(s) for s in shapes}
    if len(ranks) == 1 and ranks.pop() > 2:
        if not agree([s[1:-1] for s in shapes]):  # images or sequences of different sizes
            return (
                "resize them to one spatial size first, e.g. fn.stack(t, "
                "layers.UpSampling2D(2)) on the smaller or layers.MaxPooling2D(2) on the "
                "larger (or layers.Resizing(h, w))"
            )
        return "project them to one channel count first, e.g. fn.stack(t, layers.Conv2D(n, 1))"
    if how in _ELEMENTWISE or how in _DISTANCES:
        return "project them to one width first, e.g. fn.stack(t, layers.Dense(n)) on each"
    return "flatten or reshape them to one rank first, e.g. fn.stack(t, layers.Flatten())"


def agree(shapes: list[tuple[Any, ...]]) -> bool:
    """True when the shapes agree axis by axis; an unknown (None) size agrees with anything.

    Sizes the data decides are checked again by `fn.check_data` (funcnet/_run_shapes.py).
    """
    return all(len({d for d in dims if d is not None}) <= 1 for dims in zip(*shapes, strict=True))
