"""Residual blocks: `x + F(x)`, with a 1x1 projection on the shortcut when shapes differ."""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import layers as kl

from funcnet._errors import FuncnetError, shown
from funcnet._graph import is_keras_tensor
from funcnet._names import check_name
from funcnet._stack import Layers, as_list, call, stack


def residual(x: Any, layers: Layers, projection: Any = "auto", name: str | None = None) -> Any:
    """Returns `x + F(x)`, where `F` is `layers` applied in order.

    When `F` changes the channel count or the stride, the shortcut needs a projection:
    with `projection="auto"` a 1x1 convolution (images, sequences) or a Dense layer
    (vectors) maps `x` to the shape of `F(x)`. `F` must not change the spatial size any
    other way (valid padding): that is refused, never cropped or broadcast.

    Args:
        x: The block's input tensor.
        layers: The residual branch `F`: a layer or a list of layers.
        projection: "auto", None (refuse shape changes), or a Keras layer to use on the
            shortcut.
        name: Prefix for the block's own layers ("<name>_add", "<name>_projection");
            defaults to "residual_<n>".

    Returns:
        The sum tensor.

    Raises:
        FuncnetError: `F` changes the spatial size other than by its stride, changes the
            rank, or changes the shape while `projection=None`; the message names both
            shapes and the fix.

    Example:
        >>> import funcnet as fn
        >>> from keras import layers
        >>> image = fn.inputs(image=(28, 28, 1))["image"]
        >>> r = fn.stack(image, layers.Conv2D(32, 3, padding="same", activation="relu"))
        >>> fn.residual(r, layers.Conv2D(32, 3, padding="same", activation="relu")).shape
        (None, 28, 28, 32)
        >>> fn.residual(r, layers.Conv2D(64, 3, strides=2, padding="same")).shape
        (None, 14, 14, 64)
    """
    if not is_keras_tensor(x):
        raise FuncnetError(f"fn.residual needs a Keras tensor. Received: x={shown(x)}.")
    if name is not None:
        check_name(name, "Residual block")
    name = name or f"residual_{keras.backend.get_uid('funcnet_residual')}"
    branch = as_list(layers)
    if not branch:
        raise FuncnetError(
            "fn.residual needs at least one layer in its branch F, e.g. "
            "fn.residual(x, [layers.Dense(64, activation='relu')]). Received: layers=[]."
        )
    y = stack(x, branch)
    before, after = tuple(x.shape), tuple(y.shape)
    if before == after:
        return call(kl.Add(name=f"{name}_add"), [x, y], where=f'residual "{name}"')
    if len(before) != len(after):
        raise FuncnetError(
            f'Residual "{name}": the branch changes the rank from {before} to {after}, so '
            "x + F(x) cannot be added. Keep the branch's output the same rank as its input "
            "(move Flatten/pooling after the residual block)."
        )
    strides = _strides(before, after, branch, name)
    if projection is None:
        raise FuncnetError(
            f'Residual "{name}": the branch changes the shape from {before} to {after} and '
            'projection=None. Use projection="auto" for a 1x1 projection on the shortcut, '
            "or keep the branch's channels and stride unchanged."
        )
    if projection == "auto":
        projection = _projection(after, strides, f"{name}_projection")
    elif not callable(projection):
        raise FuncnetError(
            f'Residual "{name}": projection must be "auto", None or a Keras layer. '
            f"Received: projection={projection!r}."
        )
    shortcut = call(projection, x, where=f'the shortcut of residual "{name}"')
    if tuple(shortcut.shape) != after:
        raise FuncnetError(
            f'Residual "{name}": the projection maps the shortcut to {tuple(shortcut.shape)}, '
            f"but the branch gives {after}. Make the projection output {after}."
        )
    return call(kl.Add(name=f"{name}_add"), [shortcut, y], where=f'residual "{name}"')


def _strides(
    before: tuple[Any, ...], after: tuple[Any, ...], branch: list[Any], name: str
) -> tuple[int, ...]:
    """The stride the branch applies per spatial axis, or an error if it also crops."""
    spatial_in, spatial_out = before[1:-1], after[1:-1]
    if spatial_in == spatial_out:
        return (1,) * len(spatial_in)
    stride = [1] * len(spatial_in)
    for layer in branch:
        for axis, s in enumerate(getattr(layer, "strides", ())[: len(stride)]):
            stride[axis] *= s
    pairs = zip(spatial_in, stride, strict=True)
    expected = tuple(None if d is None else math.ceil(d / s) for d, s in pairs)
    if expected == spatial_out:
        return tuple(stride)
    culprits = [
        layer
        for layer in branch
        if getattr(layer, "padding", None) == "valid"
        and max(getattr(layer, "kernel_size", getattr(layer, "pool_size", (1,)))) > 1
    ]
    names = ", ".join(f'"{layer.name}"' for layer in culprits)
    verb = "uses" if len(culprits) == 1 else "use"
    why = f' {names} {verb} padding="valid", which shrinks it.' if culprits else ""
    example = (
        _same_padding_example(culprits[0]) if culprits else 'layers.Conv2D(32, 3, padding="same")'
    )
    raise FuncnetError(
        f'Residual "{name}": the branch changes the spatial size from {before} to {after}, '
        f'so x + F(x) cannot be added.{why} Use padding="same" in the branch\'s layers '
        f"(e.g. {example}) so only strides change the size."
    )


def _same_padding_example(layer: Any) -> str:
    """The user's own layer, written again with padding="same"."""
    kind = type(layer).__name__
    if hasattr(layer, "filters"):
        kernel = layer.kernel_size[0] if len(set(layer.kernel_size)) == 1 else layer.kernel_size
        return f'layers.{kind}({layer.filters}, {kernel}, padding="same")'
    return f'layers.{kind}(..., padding="same")'


def _projection(after: tuple[Any, ...], strides: tuple[int, ...], name: str) -> Any:
    channels = after[-1]
    if len(after) == 2:
        return kl.Dense(channels, name=name)
    conv = {3: kl.Conv1D, 4: kl.Conv2D, 5: kl.Conv3D}.get(len(after))
    if conv is None:
        raise FuncnetError(
            f'Residual "{name}": no automatic projection for rank-{len(after)} tensors '
            f"{after}. Pass projection= a Keras layer that maps the input to {after}."
        )
    return conv(channels, 1, strides=strides, padding="same", name=name)
