"""Shared blocks: one set of weights applied to several inputs (siamese networks)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras

from funcnet._errors import FuncnetError, keras_said, shown
from funcnet._graph import describe, is_keras_tensor
from funcnet._names import check_layer_names, check_name
from funcnet._stack import LayerLike, Layers, as_list, stack


class SharedBlock:
    """Layers applied in order to every tensor the block is called on, with one set of weights.

    Calling the block returns plain Keras tensors; the model holds the same layer objects
    at every call site, so gradients from every branch update the one set of weights.
    Create it with `fn.shared`.
    """

    def __init__(self, layers: Sequence[LayerLike], name: str) -> None:
        self.layers = tuple(layers)
        self.name = name
        self._first: Any = None  # the first tensor the block was applied to

    def __call__(self, x: Any) -> Any:
        if not is_keras_tensor(x):
            raise FuncnetError(
                f'Shared block "{self.name}" needs a Keras tensor. Received: {shown(x)}.'
            )
        try:
            y = stack(x, list(self.layers))
        except FuncnetError as err:
            if self._first is None:
                raise
            raise FuncnetError(
                f'Shared block "{self.name}" was built for {describe(self._first)} and '
                f"cannot take {describe(x)}: its one set of weights expects the shape of "
                f"its first input. {_fix(self._first, x)}, or give each input its own "
                f"layers. Keras said: {keras_said(err)}"
            ) from None
        if self._first is None:
            self._first = x
        return y

    def __repr__(self) -> str:
        names = ", ".join(getattr(layer, "name", "?") for layer in self.layers)
        return f"<funcnet shared block {self.name!r}: {names}>"


def shared(layers: Layers, name: str | None = None) -> SharedBlock:
    """Makes a block whose ONE set of weights is applied to every tensor it is called on.

    Args:
        layers: A Keras layer (or a `keras.Model`), or a list of them applied in order.
        name: The block's name in messages; defaults to the single layer's name, or
            "shared_<n>".

    Returns:
        A callable block: `enc = fn.shared(...)`, then `enc(x1)`, `enc(x2)`.

    Raises:
        FuncnetError: no layers, or (when called) a tensor whose shape the block's
            weights cannot take, naming the block, both inputs, both shapes and the fix.

    Example:
        >>> import funcnet as fn
        >>> from keras import layers
        >>> ins = fn.inputs(left=(128,), right=(128,))
        >>> enc = fn.shared(layers.Dense(64, activation="relu"))
        >>> l, r = enc(ins["left"]), enc(ins["right"])
        >>> len(enc.layers[0].weights)  # one kernel, one bias, used by both branches
        2
    """
    items = as_list(layers)
    if not items or not all(callable(item) for item in items):
        raise FuncnetError(
            f"fn.shared needs a layer or a non-empty list of layers. Received: {shown(layers)}."
        )
    check_layer_names(items, "fn.shared")
    if name is not None:
        check_name(name, "Shared block")
    if name is None:
        name = (
            getattr(items[0], "name", None) if len(items) == 1 else None
        ) or f"shared_{keras.backend.get_uid('funcnet_shared')}"
    return SharedBlock(items, name)


def _fix(first: Any, other: Any) -> str:
    """The advice that fits: images of two sizes are resized, vectors projected."""
    a, b = tuple(first.shape), tuple(other.shape)
    if len(a) == len(b) == 4 and a[1:-1] != b[1:-1]:  # images of two sizes
        size = ", ".join(str(d) for d in a[1:-1])
        return (
            f"Resize the other input to {a[1:-1]} first (e.g. fn.stack(x, "
            f"layers.Resizing({size})), then the shared block)"
        )
    return (
        "Project both inputs to one width first (e.g. fn.stack(x, layers.Dense(n)) on each, "
        "then the shared block)"
    )
