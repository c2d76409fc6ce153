"""Residual blocks: `x + F(x)`, with a 1x1 projection on the shortcut when shapes differ."""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import layers as kl

from funcnet._errors import FuncnetError, shown
from funcnet._graph import describe, is_keras_tensor
from funcnet._merge import agree
from funcnet._names import check_name
from funcnet._stack import Layers, apply, as_list, call


def residual(
    x: Any,
    layers: Layers,
    projection: Any = "auto",
    name: str | None = None,
    *,
    post: Layers | None = None,
) -> Any:
    """Returns `x + F(x)`, where `F` is `layers` applied in order.

    When `F` changes the channel count or the stride of an image or sequence, the
    shortcut needs a projection: with `projection="auto"` a 1x1 convolution maps `x` to
    the shape of `F(x)`. On vectors a width change is refused rather than bridged by a
    learned Dense the user never asked for (it may hide a bug): pass the projection. `F`
    must not change the spatial size any other way (valid padding): refused, never
    cropped or broadcast. A block that grows the size (U-Net's upsampling) takes an
    explicit projection, e.g. `[layers.UpSampling2D(2), layers.Conv2D(c, 1)]`.

    A pre-norm transformer block puts the normalization first in `layers`; a post-norm
    one passes it as `post=`, applied after the sum.

    Args:
        x: The block's input tensor.
        layers: The residual branch `F`: a layer or a list of layers (an attention layer
            given one tensor attends over it: see `fn.stack`).
        projection: "auto", None (refuse shape changes), or a Keras layer or list of
            layers applied to the shortcut whatever the shape change.
        name: Prefix for the block's own layers ("<name>_add", "<name>_projection");
            defaults to "residual_<n>".
        post: A layer or list of layers applied to the sum, e.g.
            `layers.LayerNormalization()` for a post-norm transformer block.

    Returns:
        The sum tensor (after `post`).

    Raises:
        FuncnetError: `F` changes the spatial size other than by its stride, changes the
            rank, changes a vector's width or the shape while `projection=None`; the
            message names both shapes and the fix.

    Example:
        >>> import funcnet as fn
        >>> from keras import layers
        >>> image = fn.inputs(image=(28, 28, 1))["image"]
        >>> r = fn.stack(image, layers.Conv2D(32, 3, padding="same", activation="relu"))
        >>> fn.residual(r, layers.Conv2D(32, 3, padding="same", activation="relu")).shape
        (None, 28, 28, 32)
        >>> fn.residual(r, layers.Conv2D(64, 3, strides=2, padding="same")).shape
        (None, 14, 14, 64)
        >>> up = [layers.UpSampling2D(2), layers.Conv2D(8, 3, padding="same")]
        >>> fn.residual(r, up, projection=[layers.UpSampling2D(2), layers.Conv2D(8, 1)]).shape
        (None, 56, 56, 8)
        >>> words = fn.inputs(words=(10, 16))["words"]
        >>> norm = layers.LayerNormalization()
        >>> fn.residual(words, layers.MultiHeadAttention(2, 8), post=norm).shape
        (None, 10, 16)
    """
    if not is_keras_tensor(x):
        raise FuncnetError(f"fn.residual needs a Keras tensor. Received: x={shown(x)}.")
    if name is not None:
        check_name(name, "Residual block")
    # Messages use the name the user gave, else the tensor the block is built on: an
    # automatic "residual_3" names nothing the user wrote.
    where = f'residual "{name}"' if name else f"the residual block on {describe(x)}"
    label = where[0].upper() + where[1:]
    name = name or f"residual_{keras.backend.get_uid('funcnet_residual')}"
    branch = as_list(layers)
    if not branch:
        raise FuncnetError(
            "fn.residual needs at least one layer in its branch F, e.g. "
            "fn.residual(x, [layers.Dense(64, activation='relu')]). Received: layers=[]."
        )
    y = apply(x, branch, f"the branch of {where}")
    before, after = tuple(x.shape), tuple(y.shape)
    own = projection is not None and not isinstance(projection, str)  # the user's layers
    if (own and not (callable(projection) or isinstance(projection, (list, tuple)))) or (
        not own and projection not in ("auto", None)
    ):
        raise FuncnetError(
            f'{label}: projection must be "auto", None, or a Keras layer or list of '
            f"layers. Received: projection={projection!r}."
        )
    if not own:
        _check_padding(before, after, branch, label)
    if before == after and not own:
        return _finish(kl.Add(name=f"{name}_add"), [x, y], post, where)
    if len(before) != len(after):
        raise FuncnetError(
            f"{label}: the branch changes the rank from {before} to {after}, so "
            "x + F(x) cannot be added. Keep the branch's output the same rank as its input "
            "(move Flatten/pooling after the residual block)."
        )
    if own:
        shortcut = apply(x, as_list(projection), f"the shortcut of {where}")
    else:
        shortcut = _auto_shortcut(x, before, after, branch, name, projection, where)
    shortcut_shape = tuple(shortcut.shape)
    if len(shortcut_shape) != len(after) or not agree([shortcut_shape, after]):
        raise FuncnetError(
            f"{label}: the projection maps the shortcut to {shortcut_shape}, "
            f"but the branch gives {after}. Make the projection output {after}."
        )
    return _finish(kl.Add(name=f"{name}_add"), [shortcut, y], post, where)


def _auto_shortcut(
    x: Any,
    before: tuple[Any, ...],
    after: tuple[Any, ...],
    branch: list[Any],
    name: str,
    how: Any,
    where: str,
) -> Any:
    """The shortcut when the user left the projection to funcnet ("auto" or None)."""
    label = where[0].upper() + where[1:]
    if len(after) == 2:
        raise FuncnetError(
            f"{label}: the branch changes the width from {before[-1]} to "
            f"{after[-1]} ({before} to {after}). On vectors funcnet does not add a learned "
            "projection you did not ask for (it can hide a wrong width). Keep the width, or "
            f"ask for it: fn.residual(x, ..., projection=layers.Dense({after[-1]}))."
        )
    grows = any(
        a is not None and b is not None and b > a
        for a, b in zip(before[1:-1], after[1:-1], strict=True)
    )
    if grows:
        kind = {3: "UpSampling1D", 4: "UpSampling2D", 5: "UpSampling3D"}.get(len(after), "...")
        raise FuncnetError(
            f"{label}: the branch grows the size from {before} to {after}; "
            'projection="auto" only maps strides down. Pass the shortcut\'s resize, e.g. '
            f"projection=[layers.{kind}(2), layers.Conv{len(after) - 2}D({after[-1]}, 1)]."
        )
    strides = _strides(before, after, branch, label)
    if how is None:
        raise FuncnetError(
            f"{label}: the branch changes the shape from {before} to {after} and "
            'projection=None. Use projection="auto" for a 1x1 projection on the shortcut, '
            "or keep the branch's channels and stride unchanged."
        )
    layer = _projection(after, strides, f"{name}_projection", label)
    return call(layer, x, where=f"the shortcut of {where}")


def _finish(add: Any, pair: list[Any], post: Layers | None, where: str) -> Any:
    total = call(add, pair, where=where)
    return total if post is None else apply(total, as_list(post), f"post= of {where}")


def _shrinkers(branch: list[Any]) -> list[Any]:
    """Layers of the branch whose valid padding always shrinks the size."""
    return [
        layer
        for layer in branch
        if getattr(layer, "padding", None) == "valid"
        and max(getattr(layer, "kernel_size", getattr(layer, "pool_size", (1,)))) > 1
    ]


def _check_padding(
    before: tuple[Any, ...], after: tuple[Any, ...], branch: list[Any], label: str
) -> None:
    """Valid padding shrinks every size, known or not: refused at build time."""
    culprits = _shrinkers(branch)
    if not culprits or len(before) != len(after):
        return
    _strides(before, after, branch, label, unknown=any(d is None for d in before[1:-1]))


def _strides(
    before: tuple[Any, ...],
    after: tuple[Any, ...],
    branch: list[Any],
    label: str,
    *,
    unknown: bool = False,
) -> tuple[int, ...]:
    """The stride the branch applies per spatial axis, or an error if it also crops."""
    spatial_in, spatial_out = before[1:-1], after[1:-1]
    if spatial_in == spatial_out and not unknown:
        return (1,) * len(spatial_in)
    stride = [1] * len(spatial_in)
    for layer in branch:
        for axis, s in enumerate(getattr(layer, "strides", ())[: len(stride)]):
            stride[axis] *= s
    pairs = zip(spatial_in, stride, strict=True)
    expected = tuple(None if d is None else math.ceil(d / s) for d, s in pairs)
    culprits = _shrinkers(branch)
    if expected == spatial_out and not (unknown and culprits):
        return tuple(stride)
    names = ", ".join(f'"{layer.name}"' for layer in culprits)
    verb = "uses" if len(culprits) == 1 else "use"
    why = f' {names} {verb} padding="valid", which shrinks it.' if culprits else ""
    example = (
        _same_padding_example(culprits[0]) if culprits else 'layers.Conv2D(32, 3, padding="same")'
    )
    sizes = "sizes only known at run time" if unknown else f"size from {before} to {after}"
    raise FuncnetError(
        f"{label}: the branch changes the spatial {sizes}, "
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


def _projection(after: tuple[Any, ...], strides: tuple[int, ...], name: str, label: str) -> Any:
    channels = after[-1]  # vectors never get here: _auto_shortcut refuses them first
    conv = {3: kl.Conv1D, 4: kl.Conv2D, 5: kl.Conv3D}.get(len(after))
    if conv is None:
        raise FuncnetError(
            f"{label}: no automatic projection for rank-{len(after)} tensors "
            f"{after}. Pass projection= a Keras layer that maps the input to {after}."
        )
    return conv(channels, 1, strides=strides, padding="same", name=name)
