"""Assembling the model: inputs and named heads in, a plain `keras.Model` out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import keras

from funcnet._errors import FuncnetError, keras_said, shown
from funcnet._graph import describe, is_keras_tensor, producer, source_inputs
from funcnet._history import check_output_names
from funcnet._names import check_model_names, check_name


def model(inputs: Any, outputs: Any, name: str | None = None) -> keras.Model:
    """Builds a plain `keras.Model` after checking that inputs and outputs fit together.

    Several outputs become a dict keyed by their layer names (the names given to
    `fn.head`), in the order given: targets, losses and metrics are then matched by name.
    One output stays a single tensor. Inputs keep the structure given (a dict from
    `fn.inputs` stays a dict).

    Args:
        inputs: A Keras input tensor, or a list or dict of them (e.g. from `fn.inputs`).
        outputs: An output tensor, or a list or dict of them (e.g. from `fn.head`).
        name: The model's name.

    Returns:
        A `keras.Model`.

    Raises:
        FuncnetError: an input that no output depends on, an output that depends on an
            input not given, two outputs with the same name, a dict key that differs from
            its output's layer name, or anything that is not a Keras tensor.

    Example:
        >>> import funcnet as fn
        >>> from keras import layers
        >>> ins = fn.inputs(audio=(10,), video=(20,))
        >>> h = fn.merge([ins["audio"], ins["video"]], "concat")
        >>> m = fn.model(ins, [fn.head(h, "fake", "binary"), fn.head(h, "score", "regression")])
        >>> list(m.output), m.count_params()
        (['fake', 'score'], 62)
    """
    if name is not None:
        check_name(name, "Model", model=True)
    named_inputs = _tensors("input", inputs)
    named_outputs = _tensors("output", outputs)
    _check_input_keys(inputs)
    _check_outputs(named_outputs, outputs)
    check_output_names([producer(t).name for t in named_outputs.values()])
    _check_wiring(named_inputs, named_outputs)
    if len(named_outputs) > 1:
        outputs = {producer(t).name: t for t in named_outputs.values()}
    elif not is_keras_tensor(outputs):
        outputs = next(iter(named_outputs.values()))
    try:
        built = keras.Model(inputs=inputs, outputs=outputs, name=name)
    except (ValueError, TypeError) as err:
        raise FuncnetError(f"Keras could not build the model: {keras_said(err)}") from None
    check_model_names(built)  # also the layers called by hand, outside fn.stack
    return built


def _tensors(kind: str, value: Any) -> dict[str, Any]:
    """Flattens a tensor, list or dict into {label: tensor}, refusing anything else."""
    if isinstance(value, Mapping):
        items = list(value.items())
    elif isinstance(value, Sequence) and not isinstance(value, str):
        items = [(f"{kind} {i}", t) for i, t in enumerate(value)]
    else:
        items = [(kind, value)]
    if not items:
        raise FuncnetError(f"fn.model needs at least one {kind}. Received: {kind}s={value!r}.")
    for label, t in items:
        if not is_keras_tensor(t):
            raise FuncnetError(
                f"fn.model: {label} is not a Keras tensor (make {kind}s with "
                f"{'fn.inputs' if kind == 'input' else 'fn.head'}). Received: {shown(t)}."
            )
    return {str(label): t for label, t in items}


def _check_input_keys(given: Any) -> None:
    # Keras only warns when a dict key differs from its input's name, then feeds by name.
    if isinstance(given, Mapping):
        for key, t in given.items():
            if key != t.name:
                raise FuncnetError(
                    f'fn.model: input key "{key}" holds input "{t.name}". Data is matched to '
                    f"inputs by name, so make the key the input's name, or create the input "
                    f"as fn.inputs({key}=...)."
                )


def _check_outputs(named: dict[str, Any], given: Any) -> None:
    seen: dict[str, str] = {}
    layers: dict[str, Any] = {}
    for label, t in named.items():
        layer_name = producer(t).name
        if isinstance(given, Mapping) and label != layer_name:
            raise FuncnetError(
                f'fn.model: output key "{label}" holds the output of layer "{layer_name}". '
                f'Keras names outputs by their layer, so name the head "{label}": '
                f'fn.head(x, "{label}", task).'
            )
        if layer_name in seen:
            why = (
                "one layer's outputs, e.g. a shared layer called twice"
                if layers[layer_name] is producer(t)
                else "two different layers given one name"
            )
            raise FuncnetError(
                f'fn.model: {seen[layer_name]} and {label} are both named "{layer_name}" '
                f"({why}). Each output needs its own name: end each branch with its own "
                'fn.head(x, "name", task).'
            )
        seen[layer_name] = label
        layers[layer_name] = producer(t)


def _check_wiring(named_inputs: dict[str, Any], named_outputs: dict[str, Any]) -> None:
    given = {id(t) for t in named_inputs.values()}
    used: set[int] = set()
    for label, t in named_outputs.items():
        for root in source_inputs(t):
            if id(root) not in given:
                raise FuncnetError(
                    f'fn.model: output "{producer(t).name}" ({label}) depends on '
                    f"{describe(root)}, which is not among the model's inputs. Add it to "
                    "the inputs, or build that output from the given inputs only."
                )
            used.add(id(root))
    for t in named_inputs.values():
        if id(t) not in used:
            raise FuncnetError(
                f"fn.model: {describe(t)} is not used by any output. Connect it to an "
                "output (e.g. merge it into the trunk) or leave it out of the inputs."
            )
