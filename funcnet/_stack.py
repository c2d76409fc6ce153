"""Applying layers in order: the building step every other piece uses."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from funcnet._errors import FuncnetError, keras_said, shown
from funcnet._fresh import check_stack_item
from funcnet._graph import describe, is_keras_tensor
from funcnet._names import check_layer_names

LayerLike = Callable[[Any], Any]
Layers = LayerLike | Sequence[LayerLike]


def stack(x: Any, layers: Layers) -> Any:
    """Applies a layer, or a list of layers in order, to a Keras tensor.

    Args:
        x: A Keras tensor, e.g. an input from `fn.inputs`.
        layers: A Keras layer, any callable on tensors (a `fn.shared` block, a function),
            or a list of them.

    Returns:
        The tensor after the last layer.

    Raises:
        FuncnetError: `x` is not a Keras tensor, `layers` is empty or holds something
            that is not callable, or a layer cannot take the tensor it is given (the
            message names the layer and the shape it received).

    Example:
        >>> import funcnet as fn
        >>> from keras import layers
        >>> audio = fn.inputs(audio=(10,))["audio"]
        >>> fn.stack(audio, [layers.Dense(20), layers.Dense(10)]).shape
        (None, 10)
    """
    if not is_keras_tensor(x):
        raise FuncnetError(
            "fn.stack needs a Keras tensor to apply layers to, such as an input from "
            f"fn.inputs. Received: x={shown(x)}."
        )
    steps = as_list(layers)
    if not steps:
        raise FuncnetError("fn.stack needs at least one layer. Received: layers=[].")
    for i, layer in enumerate(steps):
        if not callable(layer):
            raise FuncnetError(
                f"fn.stack: item {i} of layers is not a layer or a callable. "
                f"Received: {shown(layer)}."
            )
        if isinstance(layer, type):  # e.g. layers.Dense: calling it would make a layer
            raise FuncnetError(
                f"fn.stack: item {i} of layers is the class {layer.__name__}, not a layer. "
                f"Create the layer with its arguments, e.g. layers.{layer.__name__}(...)."
            )
        check_layer_names([layer], f"item {i} of fn.stack")
        check_stack_item(steps, i)
        x = call(layer, x, where=f"item {i} of fn.stack")
    return x


def as_list(layers: Layers) -> list[LayerLike]:
    """A single layer or a sequence of layers, as a list."""
    return list(layers) if isinstance(layers, (list, tuple)) else [layers]  # type: ignore[list-item]


def call(layer: LayerLike, x: Any, *, where: str) -> Any:
    """Calls `layer` on `x`, turning a Keras error into one that names both."""
    try:
        return layer(x)
    except FuncnetError:
        raise
    except (ValueError, TypeError, NotImplementedError) as err:
        name = getattr(layer, "name", type(layer).__name__)
        raise FuncnetError(
            f'Layer "{name}" ({where}) cannot take {describe(x)}: {keras_said(err)}'
        ) from None
