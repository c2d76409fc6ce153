"""Recipes: one call builds a whole model of each kind a `Sequential` cannot express.

Every recipe reads in data-flow order: named inputs, per-input encoders, a merge, a
common trunk, named heads. They share one assembly routine and differ only in how the
inputs are encoded (fresh, shared, residual) and whether heads fork into branches.

Heads are given as `{name: task}`, `{name: (task, units)}` or
`{name: {"task": ..., "units": ..., **dense_kwargs}}`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import keras
from keras import layers as kl

from funcnet._distribute import Strategy, scope
from funcnet._errors import FuncnetError, shown, unknown_name, whole
from funcnet._fresh import check_encoder
from funcnet._graph import is_keras_tensor
from funcnet._heads import head
from funcnet._inputs import inputs as make_inputs
from funcnet._merge import merge as merge_tensors
from funcnet._model import model as make_model
from funcnet._names import check_name
from funcnet._residual import residual
from funcnet._shared import shared
from funcnet._stack import Layers, as_list, stack

__all__ = ["multi_input", "multi_output", "resnet", "siamese"]

Encoders = Mapping[str, Layers] | Callable[[], Layers] | None
HeadSpec = str | tuple[str, int] | Mapping[str, Any]


def multi_input(
    inputs: Mapping[str, Any],
    *,
    heads: Mapping[str, HeadSpec],
    encoders: Encoders = None,
    merge: str = "concat",
    trunk: Layers | None = None,
    name: str | None = None,
    strategy: Strategy | None = None,
) -> keras.Model:
    """Builds a model with one encoder per input, merged, then a trunk and named heads.

    Args:
        inputs: `{name: shape}` (or `(shape, dtype)`) as for `fn.inputs`, or a dict of
            Keras inputs already made.
        heads: `{output name: task}`, `{name: (task, units)}` or `{name: {"task": ...}}`.
        encoders: `{input name: layers}`, or a function of no arguments returning layers,
            called once per input so each input gets fresh weights; None feeds the inputs
            to the merge as they are.
        merge: How the encoded inputs are merged (see `fn.merge`).
        trunk: Layers applied after the merge, before the heads.
        name: The model's name.
        strategy: A `tf.distribute.Strategy` to build the model in, so that its variables
            are mirrored over the strategy's replicas; `fn.compile` then compiles for it.
            TensorFlow only: on JAX, set a `keras.distribution` before building instead.

    Returns:
        A `keras.Model` with dict inputs and outputs keyed by name.

    Raises:
        FuncnetError: an encoder key that names no input, encoders given as layer objects
            (they would be shared by accident), or any builder error.

    Example:
        >>> import funcnet as fn
        >>> from keras import layers
        >>> m = fn.recipes.multi_input(
        ...     {"audio": (16,), "video": (16,)},
        ...     encoders=lambda: [layers.Dense(20), layers.Dense(10)],
        ...     trunk=layers.Dense(10),
        ...     heads={"fake": "binary"},
        ... )
        >>> m.output_names, m.count_params()
        (['fake'], 1321)
    """
    ins = _inputs(inputs)
    with scope(strategy):
        encoded = _encode(ins, encoders)
        return _finish(ins, encoded, merge=merge, trunk=trunk, heads=heads, name=name)


def siamese(
    inputs: Mapping[str, Any],
    *,
    encoder: Layers,
    heads: Mapping[str, HeadSpec],
    merge: str = "concat",
    trunk: Layers | None = None,
    name: str | None = None,
    strategy: Strategy | None = None,
) -> keras.Model:
    """Builds a model whose inputs all go through ONE shared encoder (one set of weights).

    Args:
        inputs: `{name: shape}` as for `fn.inputs`, or a dict of Keras inputs; every
            input must have a shape the shared encoder can take.
        encoder: The shared layers, applied in order to every input.
        heads: The named heads, as for `multi_input`.
        merge: How the encoded inputs are merged, e.g. "concat", "subtract", "dot".
        trunk: Layers applied after the merge.
        name: The model's name.
        strategy: A `tf.distribute.Strategy` to build the model in, so that its variables
            are mirrored over the strategy's replicas; `fn.compile` then compiles for it.
            TensorFlow only: on JAX, set a `keras.distribution` before building instead.

    Returns:
        A `keras.Model`; the encoder's layers appear once, called once per input.

    Raises:
        FuncnetError: an input the shared encoder cannot take (naming both inputs and
            shapes), or any builder error.

    Example:
        >>> import funcnet as fn
        >>> from keras import layers
        >>> m = fn.recipes.siamese(
        ...     {"left": (128,), "right": (128,)},
        ...     encoder=layers.Dense(64, activation="relu"),
        ...     heads={"same": "binary"},
        ... )
        >>> m.count_params()  # 128*64+64 once, plus the head: 128+1
        8385
    """
    ins = _inputs(inputs)
    with scope(strategy):
        block = shared(encoder)
        encoded = {key: block(x) for key, x in ins.items()}
        return _finish(ins, encoded, merge=merge, trunk=trunk, heads=heads, name=name)


def resnet(
    inputs: Mapping[str, Any],
    *,
    heads: Mapping[str, HeadSpec],
    filters: Sequence[int] = (32, 64),
    blocks: int = 2,
    kernel_size: int = 3,
    name: str | None = None,
    strategy: Strategy | None = None,
) -> keras.Model:
    """Builds a small residual network: a stem, stages of residual blocks, pooling, heads.

    Each stage after the first halves the spatial size and changes the width; its first
    block's shortcut gets a 1x1 projection automatically. Images (rank 3 without the
    batch) get convolutions; vectors get Dense blocks.

    Args:
        inputs: One input, `{name: shape}`, or a dict holding one Keras input.
        heads: The named heads, as for `multi_input`.
        filters: The width of each stage.
        blocks: Residual blocks per stage.
        kernel_size: The convolutions' kernel size.
        name: The model's name.
        strategy: A `tf.distribute.Strategy` to build the model in, so that its variables
            are mirrored over the strategy's replicas; `fn.compile` then compiles for it.
            TensorFlow only: on JAX, set a `keras.distribution` before building instead.

    Returns:
        A `keras.Model`.

    Raises:
        FuncnetError: not exactly one input, an input of unsupported rank, or empty
            `filters`.

    Example:
        >>> import funcnet as fn
        >>> m = fn.recipes.resnet(
        ...     {"image": (8, 8, 1)}, filters=(8, 16), heads={"digit": ("multiclass", 10)}
        ... )
        >>> m.output_shape
        (None, 10)
    """
    if name is not None:  # before the blocks named after it ("<name>_s1b1")
        check_name(name, "Model", model=True)
    ins = _inputs(inputs)
    if len(ins) != 1:
        raise FuncnetError(
            f"fn.recipes.resnet takes one input. Received: {list(ins)}. Use multi_input with "
            "fn.residual blocks in the encoders for several inputs."
        )
    if not filters or blocks < 1:
        raise FuncnetError(
            f"fn.recipes.resnet needs at least one stage and one block. Received: "
            f"filters={tuple(filters)}, blocks={blocks}."
        )
    bad = [f for f in filters if not whole(f)]
    if bad:
        raise FuncnetError(
            "fn.recipes.resnet: every stage's width in filters= must be a whole number >= 1. "
            f"Received: filters={tuple(filters)}."
        )
    ((key, x),) = ins.items()
    rank = len(x.shape) - 1
    if rank not in (1, 3):
        raise FuncnetError(
            f'fn.recipes.resnet takes images (height, width, channels) or vectors. Input "{key}" '
            f"has shape {tuple(x.shape)[1:]}."
        )
    with scope(strategy):
        x = _resnet_trunk(x, rank == 3, filters, blocks, kernel_size, name)
        return make_model(ins, _heads(x, heads), name=name)


def _resnet_trunk(
    x: Any, image: bool, filters: Sequence[int], blocks: int, kernel_size: int, name: str | None
) -> Any:
    x = stack(x, _layer(image, filters[0], kernel_size, 1, "relu"))
    for stage, width in enumerate(filters):
        for block in range(blocks):
            step = 2 if image and stage > 0 and block == 0 else 1
            block_name = f"{name or 'resnet'}_s{stage + 1}b{block + 1}"
            # The recipe widens vectors by design, so it asks for their projection itself.
            widens = not image and x.shape[-1] != width
            x = residual(
                x,
                [
                    _layer(image, width, kernel_size, step, "relu"),
                    _layer(image, width, kernel_size, 1, None),
                ],
                projection=kl.Dense(width, name=f"{block_name}_projection") if widens else "auto",
                name=block_name,
            )
            x = stack(x, kl.Activation("relu"))
    if image:
        x = stack(x, kl.GlobalAveragePooling2D())
    return x


def multi_output(
    inputs: Mapping[str, Any],
    *,
    heads: Mapping[str, HeadSpec],
    trunk: Layers | None = None,
    branches: Mapping[str, Layers] | None = None,
    merge: str = "concat",
    name: str | None = None,
    strategy: Strategy | None = None,
) -> keras.Model:
    """Builds a model that forks a common trunk into several named heads.

    Args:
        inputs: `{name: shape}` as for `fn.inputs`, or a dict of Keras inputs; several
            inputs are merged before the trunk.
        heads: The named heads, as for `multi_input`.
        trunk: Layers shared by every head.
        branches: `{head name: layers}` applied between the trunk and that head only.
        merge: How several inputs are merged.
        name: The model's name.
        strategy: A `tf.distribute.Strategy` to build the model in, so that its variables
            are mirrored over the strategy's replicas; `fn.compile` then compiles for it.
            TensorFlow only: on JAX, set a `keras.distribution` before building instead.

    Returns:
        A `keras.Model` whose outputs are a dict keyed by head name, in the order given.

    Raises:
        FuncnetError: a branch key that names no head, or any builder error.

    Example:
        >>> import funcnet as fn
        >>> from keras import layers
        >>> m = fn.recipes.multi_output(
        ...     {"audio": (32,)},
        ...     trunk=[layers.Dense(64, activation="relu")],
        ...     heads={"mesh": ("regression", 30), "texture": ("regression", 20)},
        ... )
        >>> {k: v.shape for k, v in m.output.items()}
        {'mesh': (None, 30), 'texture': (None, 20)}
    """
    branches = dict(branches or {})
    for key in branches:
        if key not in heads:
            raise unknown_name("branch (it must name a head)", key, heads)
    ins = _inputs(inputs)
    with scope(strategy):
        return _finish(
            ins, ins, merge=merge, trunk=trunk, heads=heads, name=name, branches=branches
        )


def _inputs(inputs: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(inputs, Mapping) or not inputs:
        raise FuncnetError(
            "A recipe takes its inputs as a non-empty dict of name to shape, e.g. "
            f'{{"audio": (10,), "video": (20,)}}. Received: {shown(inputs)}.'
        )
    if all(is_keras_tensor(v) for v in inputs.values()):
        return dict(inputs)
    return make_inputs(**inputs)


def _encode(ins: dict[str, Any], encoders: Encoders) -> dict[str, Any]:
    if encoders is None:
        return ins
    if isinstance(encoders, Mapping):
        for key in encoders:
            if key not in ins:
                raise unknown_name("encoder key (it must name an input)", key, ins)
        earlier: dict[str, list[Any]] = {}
        for key in (k for k in ins if k in encoders):
            check_encoder(key, as_list(encoders[key]), earlier, factory=False)
            earlier[key] = as_list(encoders[key])
        return {k: stack(x, encoders[k]) if k in encoders else x for k, x in ins.items()}
    if isinstance(encoders, (keras.layers.Layer, list, tuple)) or not callable(encoders):
        raise FuncnetError(
            "encoders must be a dict {input name: layers}, or a function returning fresh "
            "layers (e.g. lambda: [layers.Dense(20)]). Layer objects given once would be "
            "shared by every input; use fn.recipes.siamese when that is what you want. "
            f"Received: encoders={shown(encoders)}."
        )
    encoded: dict[str, Any] = {}
    made: dict[str, list[Any]] = {}
    for key, x in ins.items():
        fresh = encoders()
        if not fresh or not all(callable(item) for item in as_list(fresh)):
            raise FuncnetError(
                "encoders() must return fresh layers for each input (e.g. lambda: "
                f'[layers.Dense(20)]). For input "{key}" it returned {shown(fresh)}.'
            )
        check_encoder(key, as_list(fresh), made, factory=True)
        made[key] = as_list(fresh)
        encoded[key] = stack(x, fresh)
    return encoded


def _finish(
    ins: dict[str, Any],
    encoded: dict[str, Any],
    *,
    merge: str,
    trunk: Layers | None,
    heads: Mapping[str, HeadSpec],
    name: str | None,
    branches: Mapping[str, Layers] | None = None,
) -> keras.Model:
    """Merges the encoded inputs, applies the trunk, adds the heads, builds the model."""
    x = next(iter(encoded.values())) if len(encoded) == 1 else merge_tensors(encoded, merge)
    if trunk is not None:
        x = stack(x, trunk)
    return make_model(ins, _heads(x, heads, branches or {}), name=name)


def _heads(
    x: Any, heads: Mapping[str, HeadSpec], branches: Mapping[str, Layers] | None = None
) -> list[Any]:
    if not isinstance(heads, Mapping) or not heads:
        raise FuncnetError(
            'A recipe needs heads as a non-empty dict, e.g. heads={"digit": ("multiclass", 10)}. '
            f"Received: heads={shown(heads)}."
        )
    outs = []
    for out_name, spec in heads.items():
        if isinstance(spec, str):
            spec = {"task": spec}
        elif isinstance(spec, (tuple, list)) and len(spec) == 2:  # a list: from JSON
            spec = {"task": spec[0], "units": spec[1]}
        if not isinstance(spec, Mapping) or "task" not in spec:
            raise FuncnetError(
                f'Head "{out_name}" needs a task: "binary", ("multiclass", 10) or '
                f'{{"task": "regression", "units": 3}}. Received: {spec!r}.'
            )
        y = x
        if branches and out_name in branches:
            y = stack(x, branches[out_name])
        outs.append(head(y, out_name, **spec))
    return outs


def _layer(image: bool, width: int, kernel: int, stride: int, activation: str | None) -> Any:
    if image:
        return kl.Conv2D(width, kernel, strides=stride, padding="same", activation=activation)
    return kl.Dense(width, activation=activation)
