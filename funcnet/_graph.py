"""Reading the Keras graph behind a model or tensor: its named inputs and outputs, and
where each tensor comes from.

Error messages must name the user's own objects, and a Keras tensor only knows an
anonymous name ("keras_tensor_7"); these helpers walk back to the layers and named inputs
that produced it.

This is the one module that reads Keras internals. Keras 3 has no public way to ask a
tensor which layer call produced it, so `producer` and `call_of` read `_keras_history` and
the layer's `_inbound_nodes` (what `keras.Model` itself uses to walk a graph).
tests/test_keras_internals.py is the canary: it fails, naming the Keras version, when
either stops meaning what is assumed here. Keras is imported inside the functions: see
funcnet/_keras_hook.py.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from funcnet._errors import FuncnetError, shown


def is_keras_tensor(x: object) -> bool:
    """True for a symbolic Keras tensor (the result of `keras.Input` or a layer call)."""
    import keras

    return bool(keras.utils.is_keras_tensor(x))


def producer(tensor: Any) -> Any:
    """Returns the layer (operation) whose call produced `tensor`."""
    return tensor._keras_history.operation


def call_of(tensor: Any) -> Any:
    """Returns the call (Keras node) that produced `tensor`; a shared layer has several."""
    op, node_index, _ = tensor._keras_history
    return op._inbound_nodes[node_index]


def calls(layer: Any) -> list[Any]:
    """Returns every call (Keras node) of `layer`, in the order they were made."""
    return list(layer._inbound_nodes)


def structure(model: Any, which: str) -> Any:
    """The model's inputs or outputs as it was built: one tensor, a list, or a dict.

    Args:
        model: A `keras.Model`.
        which: "inputs" or "outputs".

    Raises:
        FuncnetError: `model` is not a Keras model, or has no inputs or outputs yet.
    """
    import keras

    if not isinstance(model, keras.Model):
        raise FuncnetError(f"Expected a keras.Model (e.g. from fn.model). Received: {model!r:.80}.")
    try:
        # Public, and the structure as given: a dict stays a dict (in declared order,
        # also after loading), where `output_names` would sort it.
        return model.input if which == "inputs" else model.output
    except (AttributeError, ValueError):
        pass
    tensors = getattr(model, which, None)  # a Sequential that was never called
    if not tensors:
        raise FuncnetError(
            f'Model "{model.name}" has no {which} yet: build it first (e.g. start a '
            "Sequential with keras.Input(shape))."
        )
    return tensors[0] if len(tensors) == 1 else list(tensors)


def is_list(model: Any, which: str) -> bool:
    """True when the model's inputs or outputs were given as a list (matched by position)."""
    return isinstance(structure(model, which), (list, tuple))


def is_single_output(model: Any) -> bool:
    """True when Keras sees one bare output tensor (not a dict or list of them)."""
    return not isinstance(structure(model, "outputs"), (Mapping, list, tuple))


def named_inputs(model: Any) -> dict[str, Any]:
    """Returns the model's input tensors by name, in the order they were declared."""
    return dict(_named(model, "inputs"))


def named_outputs(model: Any) -> dict[str, Any]:
    """Returns the model's output tensors by name, in the order they were declared.

    Dict outputs are named by their keys (Keras's `output_names` sorts them), other
    outputs by the layer that made them.

    Raises:
        FuncnetError: `model` is not a built Keras model, its outputs are nested, or two
            outputs share a name (e.g. one shared layer's outputs).
    """
    named = _named(model, "outputs")
    for name, count in Counter(name for name, _ in named).items():
        if count > 1:
            raise FuncnetError(
                f'Model "{model.name}" has {count} outputs named "{name}" (one layer\'s '
                "outputs, e.g. a shared layer called several times). Keras would report one "
                'loss for all of them. End each branch with its own head: fn.head(x, "name", '
                'task), or keras.layers.Identity(name="...").'
            )
    return dict(named)


def declared_outputs(model: Any) -> list[tuple[str, Any]]:
    """The model's outputs as (name, tensor) in declared order, duplicate names kept."""
    return _named(model, "outputs")


def _named(model: Any, which: str) -> list[tuple[str, Any]]:
    struct = structure(model, which)
    if isinstance(struct, Mapping):
        items = list(struct.items())
    else:
        flat = list(struct) if isinstance(struct, (list, tuple)) else [struct]
        if which == "inputs":
            items = [(t.name, t) for t in flat if is_keras_tensor(t)]
        else:
            items = [(producer(t).name, t) for t in flat if is_keras_tensor(t)]
        if len(items) != len(flat):
            items = []
    if not items or any(not is_keras_tensor(t) for _, t in items):
        raise FuncnetError(
            f'Model "{model.name}" has nested {which}; funcnet handles one tensor, a list or '
            f"a dict of tensors. Received: {which}={struct!r:.80}."
        )
    return [(str(name), t) for name, t in items]


def upstream_nodes(tensors: Iterable[Any]) -> Iterator[Any]:
    """Yields every call node that `tensors` depend on, each once, outputs first."""
    seen: set[int] = set()
    stack = [t for t in tensors if is_keras_tensor(t)]
    while stack:
        node = call_of(stack.pop())
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        stack.extend(node.input_tensors)


def source_inputs(tensor: Any) -> list[Any]:
    """Returns the input tensors (from `keras.Input`) that `tensor` depends on."""
    found = []
    for node in upstream_nodes([tensor]):
        if node.is_input:
            found.extend(node.output_tensors)
    return found


def describe(tensor: Any) -> str:
    """Names a tensor for a message: an input by its name, else its layer and inputs.

    Example:
        >>> import funcnet as fn
        >>> from keras import layers
        >>> ins = fn.inputs(audio=(10,))
        >>> describe(ins["audio"])
        'input "audio" (shape (None, 10))'
        >>> describe(layers.Dense(4, name="enc")(ins["audio"]))
        'the output of layer "enc" (shape (None, 4), from input "audio")'
    """
    if not is_keras_tensor(tensor):
        return shown(tensor)
    shape = tuple(tensor.shape)
    op = producer(tensor)
    if call_of(tensor).is_input:
        return f'input "{op.name}" (shape {shape})'
    roots = ", ".join(f'"{producer(t).name}"' for t in source_inputs(tensor))
    plural = "s" if "," in roots else ""
    origin = f", from input{plural} {roots}" if roots else ""
    return f'the output of layer "{op.name}" (shape {shape}{origin})'


def layers_fed_by(model: Any, tensor: Any) -> list[Any]:
    """The layers of `model` that are called on `tensor` itself, e.g. an input's Embedding.

    Example:
        >>> import keras
        >>> tokens = keras.Input((5,), dtype="int32", name="tokens")
        >>> out = keras.layers.Embedding(50, 4, name="emb")(tokens)
        >>> [layer.name for layer in layers_fed_by(keras.Model(tokens, out), tokens)]
        ['emb']
    """
    return [
        node.operation
        for node in upstream_nodes(model.outputs)
        if any(t is tensor for t in node.input_tensors)
    ]


def call_number(node: Any) -> int:
    """Which call of its layer `node` is, from 1: a shared layer's calls in call order."""
    return calls(node.operation).index(node) + 1
