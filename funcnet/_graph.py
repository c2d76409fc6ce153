"""Reading the Keras graph behind a tensor: where it comes from and how to name it.

Error messages must name the user's own objects, and a Keras tensor only knows an
anonymous name ("keras_tensor_7"); these helpers walk back to the layers and named inputs
that produced it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from funcnet._errors import shown


def is_keras_tensor(x: object) -> bool:
    """True for a symbolic Keras tensor (the result of `keras.Input` or a layer call)."""
    return hasattr(x, "_keras_history")


def producer(tensor: Any) -> Any:
    """Returns the layer (operation) whose call produced `tensor`."""
    return tensor._keras_history.operation


def call_of(tensor: Any) -> Any:
    """Returns the call (Keras node) that produced `tensor`; a shared layer has several."""
    op, node_index, _ = tensor._keras_history
    return op._inbound_nodes[node_index]


def declared_outputs(model: Any) -> list[tuple[str, Any]]:
    """The model's outputs as (name, tensor), in the order they were declared.

    Keras sorts `output_names` for dict outputs; the dict itself keeps the declared order
    (also after loading). Other outputs are named by the layer that made them.
    """
    struct = getattr(model, "_outputs_struct", None)
    if isinstance(struct, dict):
        return [(str(k), v) for k, v in struct.items()]
    return [(producer(t).name, t) for t in model.outputs]


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


def first_line(err: BaseException) -> str:
    """The first non-empty line of a Keras error, for quoting inside our own message."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return lines[0] if lines else type(err).__name__


def call_number(node: Any) -> int:
    """Which call of its layer `node` is, from 1: a shared layer's calls in call order."""
    return int(node.operation._inbound_nodes.index(node)) + 1
