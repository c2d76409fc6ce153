"""Fresh weights where funcnet promises them: within one stack's list, and per input.

A Keras layer object holds one set of weights, and calling it again shares them. That
is Keras's own way to share, and funcnet keeps it for layers called by hand and for
`fn.shared`. But `fn.stack(x, [layers.Dense(5)] * 3)` (one object three times), the same
layer in two inputs' encoders, or an encoder factory returning a layer made outside it
share weights without anyone asking: the model trains, with fewer weights than written.
These places refuse a reused layer object, naming it and pointing to `fn.shared`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from funcnet._errors import FuncnetError
from funcnet._graph import calls

_FIX = (
    "Make a new layer for each place (e.g. [layers.Dense(5) for _ in range(3)], not "
    "[layers.Dense(5)] * 3), or, to share its weights on purpose, wrap it once in "
    "fn.shared(layer) and call the block where it is needed."
)


def check_stack_item(steps: Sequence[Any], i: int) -> None:
    """Refuses item `i` of one stack's list when an earlier item is the same layer object.

    Layers without weights (activations, dropout, pooling) may repeat: nothing is shared.
    Item `i`'s earlier occurrence has been called by now, so its weights are known.
    """
    layer = steps[i]
    if not _is_layer(layer) or not layer.weights:
        return
    for j in range(i):
        if steps[j] is layer:
            raise FuncnetError(
                f'Layer "{layer.name}" ({type(layer).__name__}) is both item {j} and item {i} '
                "of one fn.stack list: one layer object holds one set of weights, so the two "
                f"places would share them silently. {_FIX}"
            )


def check_encoder(
    key: str, layers: Sequence[Any], earlier: Mapping[str, Sequence[Any]], *, factory: bool
) -> None:
    """Refuses a layer of input `key`'s encoder that another input's encoder already holds.

    Call it before the encoder is applied.

    Args:
        key: The input whose encoder this is.
        layers: The layers of its encoder.
        earlier: {input name: the layers of its encoder} for the inputs encoded before.
        factory: The layers came from an `encoders=` function, which must make them: a
            layer it returns that was already called elsewhere is refused too.
    """
    owner = {id(layer): name for name, done in earlier.items() for layer in done}
    for layer in layers:
        if not _is_layer(layer):
            continue
        if id(layer) in owner:
            how = "encoders() returned" if factory else "encoders gives"
            raise FuncnetError(
                f'Layer "{layer.name}" ({type(layer).__name__}): {how} the same layer '
                f'object for input "{owner[id(layer)]}" and input "{key}", so both '
                "encoders would share one set of weights silently. Each input's encoder "
                "needs its own layers (e.g. encoders=lambda: [layers.Dense(20)], which "
                "makes new ones at each call); for one shared encoder use "
                "fn.recipes.siamese or fn.shared."
            )
        if factory and calls(layer):
            raise FuncnetError(
                f'Layer "{layer.name}" ({type(layer).__name__}): encoders() returned, for '
                f'input "{key}", a layer made outside it and already used, so this encoder '
                "would share its weights silently. Create the layers inside the function "
                "(e.g. encoders=lambda: [layers.Dense(20)]), or pass encoders as a dict "
                "{input name: layers} to reuse a trained layer on purpose."
            )


def _is_layer(obj: Any) -> bool:
    import keras

    return isinstance(obj, keras.layers.Layer)
