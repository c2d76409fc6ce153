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
            or a list of them. An attention layer (e.g. `layers.MultiHeadAttention`)
            attends over the tensor it is given (self-attention); the item
            `(attention_layer, context)` attends over `context` (cross-attention).

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
        >>> ins = fn.inputs(words=(12, 16), image=(5, 16))
        >>> fn.stack(ins["words"], layers.MultiHeadAttention(2, 8)).shape
        (None, 12, 16)
        >>> fn.stack(ins["words"], (layers.MultiHeadAttention(2, 8), ins["image"])).shape
        (None, 12, 16)
    """
    if not is_keras_tensor(x):
        raise FuncnetError(
            "fn.stack needs a Keras tensor to apply layers to, such as an input from "
            f"fn.inputs. Received: x={shown(x)}."
        )
    return apply(x, as_list(layers), "fn.stack")


def apply(x: Any, steps: list[Any], where: str) -> Any:
    """Applies `steps` in order; messages say "item i of <where>"."""
    if not steps:
        raise FuncnetError(f"{where} needs at least one layer. Received: layers=[].")
    for i, layer in enumerate(steps):
        other = None
        if _is_pair(layer):
            layer, other = layer  # (attention layer, context): cross-attention
            if not is_keras_tensor(other):
                raise FuncnetError(
                    f"{where}: item {i} is (attention layer, context), and the context must be "
                    f"a Keras tensor to attend over. Received: {shown(other)}."
                )
        if not callable(layer):
            raise FuncnetError(
                f"{where}: item {i} of layers is not a layer or a callable. "
                f"Received: {shown(layer)}."
            )
        if isinstance(layer, type):  # e.g. layers.Dense: calling it would make a layer
            raise FuncnetError(
                f"{where}: item {i} of layers is the class {layer.__name__}, not a layer. "
                f"Create the layer with its arguments, e.g. layers.{layer.__name__}(...)."
            )
        check_layer_names([layer], f"item {i} of {where}")
        check_stack_item(steps, i)
        x = call(layer, x, where=f"item {i} of {where}", other=other)
    return x


def as_list(layers: Layers) -> list[LayerLike]:
    """A single layer (or one `(attention, context)` item) or a sequence of them, as a list."""
    if _is_pair(layers):
        return [layers]  # type: ignore[list-item]
    return list(layers) if isinstance(layers, (list, tuple)) else [layers]  # type: ignore[list-item]


def call(layer: LayerLike, x: Any, *, where: str, other: Any = None) -> Any:
    """Calls `layer` on `x`, turning a Keras error into one that names both.

    An attention layer given one tensor attends over it (self-attention); given
    `other`, it attends from `x` over `other` (cross-attention). Any other layer that
    needs several tensors is refused with the fix.
    """
    import keras

    name = getattr(layer, "name", type(layer).__name__)
    if other is not None and not isinstance(layer, _attention()):
        raise FuncnetError(
            f'Layer "{name}" ({where}) was given a second tensor, but only attention layers '
            "take one in fn.stack: (layer, context). Merge tensors with fn.merge."
        )
    several = (keras.layers.Attention, keras.layers.AdditiveAttention, *merging_layers())
    one = is_keras_tensor(x)
    if isinstance(layer, several) and other is None and one:
        raise FuncnetError(
            f'Layer "{name}" ({type(layer).__name__}, {where}) needs several tensors, but '
            f"fn.stack gives it one, {describe(x)}. To combine branches, use fn.merge([a, b], "
            f'"add") or fn.merge([a, b], layers.{type(layer).__name__}()); for attention over '
            "another tensor, write (layer, context) in the stack."
        )
    try:
        if isinstance(layer, _attention()) and one:
            context = x if other is None else other
            if isinstance(layer, (keras.layers.Attention, keras.layers.AdditiveAttention)):
                out = layer([x, context])
            else:
                attend: Any = layer  # query and value: two arguments
                out = attend(x, context)
        else:
            out = layer(x)
    except FuncnetError:
        raise
    except (ValueError, TypeError, NotImplementedError) as err:
        given = "; ".join(describe(t) for t in x) if isinstance(x, list) else describe(x)
        raise FuncnetError(
            f'Layer "{name}" ({where}) cannot take {given}: {keras_said(err)}'
        ) from None
    shape, fed = getattr(out, "shape", None), getattr(x, "shape", None)
    if is_keras_tensor(out) and fed and fed[0] is None and shape and shape[0] is not None:
        # Keras 3.15's Hashing with one_hot or multi_hot output does this on an input of
        # one value per sample (shape ()): multi_hot then sums over the whole batch.
        raise FuncnetError(
            f'Layer "{name}" ({where}) returned shape {tuple(shape)} for {describe(x)}: it '
            "lost the batch axis, so it would mix the samples of a batch. Give the input one "
            'value per sample as shape (1,) (e.g. fn.inputs(city=((1,), "string"))), or use '
            'output_mode="int" followed by layers.CategoryEncoding.'
        )
    return out


def _is_pair(item: Any) -> bool:
    """An `(attention layer, context)` item of a stack."""
    return (
        isinstance(item, tuple)
        and len(item) == 2
        and (is_keras_tensor(item[1]) or isinstance(item[0], _attention()))
    )


def _attention() -> tuple[type, ...]:
    """Attention layers: given one tensor, they attend over it (self-attention)."""
    import keras

    return (
        keras.layers.MultiHeadAttention,
        keras.layers.GroupQueryAttention,
        keras.layers.Attention,
        keras.layers.AdditiveAttention,
    )


def merging_layers() -> tuple[type, ...]:
    """Keras's public merging layers (keras.layers exports no common base class for them)."""
    import keras

    kinds = ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot")
    return tuple(getattr(keras.layers, k) for k in kinds)
