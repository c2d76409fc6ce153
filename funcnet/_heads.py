"""Output heads: named output layers that remember their task and logits choice, even
after saving.

`fn.head` ends a model with a `Head` (a Dense layer) or, given `layer=`, with the user's
own layers followed by a `HeadActivation`. Both record the task and whether the output
holds raw scores (`logits=True`) in their Keras config, so `fn.compile` and
`fn.check_data` know a loaded model as well as the one built in this session.
"""

from __future__ import annotations

from typing import Any

import keras

from funcnet._errors import FuncnetError, keras_said, shown, whole
from funcnet._graph import calls, is_keras_tensor
from funcnet._names import check_name
from funcnet._stack import Layers, as_list, call, stack
from funcnet._tasks import PROBABILITIES, Task, activation_name, tasks


@keras.saving.register_keras_serializable(package="funcnet")
class Head(keras.layers.Dense):
    """A `keras.layers.Dense` output layer that records its task in its config.

    The task survives `model.save` / `keras.saving.load_model`, so `fn.compile` can pick
    the loss and metrics of a loaded model. Build heads with `fn.head`.

    Args:
        units: Width of the output.
        task: The task name, a key of `fn.tasks`.
        logits: True when the output is raw scores (no activation) of a classifier.
        **kwargs: Any `keras.layers.Dense` argument.
    """

    def __init__(self, units: int, task: str, logits: bool = False, **kwargs: Any) -> None:
        super().__init__(units, **kwargs)
        self.task = task
        self.logits = logits

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "task": self.task, "logits": self.logits}


@keras.saving.register_keras_serializable(package="funcnet")
class HeadActivation(keras.layers.Activation):
    """The task's activation at the end of a head built from the user's own layers.

    Args:
        task: The task name, a key of `fn.tasks`.
        logits: True to keep raw scores (a linear activation).
        activation: The activation applied.
        **kwargs: Any `keras.layers.Layer` argument (e.g. `name`).
    """

    def __init__(self, task: str, logits: bool = False, activation: Any = "linear", **kwargs: Any):
        super().__init__(activation, **kwargs)
        self.task = task
        self.logits = logits

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "task": self.task, "logits": self.logits}


def head(
    x: Any,
    name: str,
    task: str,
    units: int | None = None,
    *,
    layer: Layers | None = None,
    logits: bool = False,
    **dense_kwargs: Any,
) -> Any:
    """Adds a named output whose activation and default width come from its task.

    Args:
        x: The Keras tensor the head reads.
        name: The output's name: the key for its targets, loss and metrics.
        task: A key of `fn.tasks`: "binary", "multiclass", "multilabel", "regression",
            or one you registered.
        units: Output width; required for tasks without a default ("multiclass",
            "multilabel") unless `layer=` gives it.
        layer: Instead of a Dense layer, any Keras layer (or list of layers) that makes
            the head's raw values, e.g. `layers.Conv2D(3, 1)` for a per-pixel mask, or
            `[layers.Dense(1), layers.Flatten()]` for a softmax over positions (a span
            start). funcnet adds the task's activation after it.
        logits: Keep raw scores as the output (no activation); `fn.compile` then trains
            it with the `from_logits=True` loss and metrics. Survives `.keras` files.
        **dense_kwargs: Further `keras.layers.Dense` arguments. An explicit `activation`
            must agree with a classification task's (use `logits=True` for raw scores).

    Returns:
        The head's output tensor.

    Raises:
        FuncnetError: unknown task, missing or bad `units`, an activation or width that
            contradicts the task (raw scores or relu for a classifier, a softmax over one
            unit), a name that is not a string, `x` that is not a Keras tensor, or a
            Dense option Keras refuses.

    Example:
        >>> import funcnet as fn
        >>> from keras import layers
        >>> x = fn.inputs(features=(8,))["features"]
        >>> fn.head(x, "digit", "multiclass", units=10).shape
        (None, 10)
        >>> image = fn.inputs(image=(16, 16, 1))["image"]
        >>> fn.head(image, "mask", "multiclass", layer=layers.Conv2D(3, 1)).shape
        (None, 16, 16, 3)
    """
    if not isinstance(name, str) or not name:
        raise FuncnetError(f"A head needs a non-empty string name. Received: name={name!r}.")
    check_name(name, "Head")
    if not is_keras_tensor(x):
        raise FuncnetError(
            f'Head "{name}" needs a Keras tensor to read, such as a layer\'s output in the '
            f"model being built. Received: {shown(x)}."
        )
    spec = tasks[task]
    if not isinstance(logits, bool):
        raise FuncnetError(f'Head "{name}": logits must be True or False. Received: {logits!r}.')
    if layer is not None:
        return _layer_head(x, name, task, spec, units, layer, logits, dense_kwargs)
    units = spec.units if units is None else units
    if units is None:
        raise FuncnetError(
            f'Head "{name}" has task "{task}", which needs units= (e.g. the number of '
            f'classes): fn.head(x, "{name}", "{task}", units=10).'
        )
    if not whole(units):
        raise FuncnetError(
            f'Head "{name}" needs a positive whole number of units. Received: units={units!r}.'
        )
    units = int(units)  # np.int64 from a config or an array's shape is a whole number too
    asked = dense_kwargs.pop("activation", _UNSET)
    activation = _activation(name, task, spec, units, logits, asked)
    try:
        made = Head(units, task, logits, name=name, activation=activation, **dense_kwargs)
    except (TypeError, ValueError) as err:
        raise FuncnetError(
            f'Head "{name}" (task "{task}") cannot take the options {dense_kwargs}: '
            f"{keras_said(err)}"
        ) from None
    return call(made, x, where=f'head "{name}"')


def _layer_head(
    x: Any,
    name: str,
    task: str,
    spec: Task,
    units: int | None,
    layer: Layers,
    logits: bool,
    options: dict[str, Any],
) -> Any:
    """A head made of the user's layers, then the task's activation under the head's name."""
    if options:
        raise FuncnetError(
            f'Head "{name}": with layer=, give the options to your own layer; Dense options '
            f"have nothing to apply to. Received: {sorted(options)}."
        )
    for item in as_list(layer):
        if isinstance(item, keras.layers.Layer) and calls(item):  # a used layer would share
            raise FuncnetError(
                f'Head "{name}": layer "{getattr(item, "name", item)}" in layer= is already used '
                "elsewhere in a model, so this head would share its weights. Give the head new "
                "layers (e.g. make them in a loop), or share on purpose with fn.shared before "
                "the head."
            )
    raw = stack(x, as_list(layer))
    width = raw.shape[-1]
    if units is not None and units != width:
        raise FuncnetError(
            f'Head "{name}": units={units}, but layer= gives {width} values on its last axis '
            f"(shape {tuple(raw.shape)}). Drop units= or make the layer give {units}."
        )
    activation = _activation(name, task, spec, width, logits, _UNSET)
    return call(HeadActivation(task, logits, activation, name=name), raw, where=f'head "{name}"')


# No activation= given (None is a given activation: raw scores, like "linear").
_UNSET = object()


def _activation(name: str, task: str, spec: Task, units: Any, logits: bool, asked: Any) -> Any:
    """The head's activation: the task's, or linear for logits, checked against the task."""
    if logits and spec.activation not in PROBABILITIES:
        raise FuncnetError(
            f'Head "{name}" (task "{task}"): logits=True is for classifiers, whose '
            f"{' or '.join(PROBABILITIES)} turns raw scores into probabilities; task "
            f'"{task}" outputs {spec.activation} values already. Drop logits=True.'
        )
    if logits and asked is not _UNSET and activation_name(asked) != "linear":
        raise FuncnetError(
            f'Head "{name}" (task "{task}"): logits=True keeps raw scores, but '
            f"activation={asked!r} was given too. Drop one of them."
        )
    if spec.activation not in PROBABILITIES:
        return spec.activation if asked is _UNSET else asked
    if spec.activation == "softmax" and units is not None and units < 2:
        raise FuncnetError(
            f'Head "{name}" (task "{task}") has {units} unit: a softmax over one unit always '
            f'outputs 1.0. For two classes use task "binary" (one sigmoid unit) or units=2.'
        )
    if spec.units == 1 and units != 1:
        raise FuncnetError(
            f'Head "{name}" (task "{task}") gives {units} values; the task takes one unit. '
            f'For several yes/no labels use task "multilabel"; for classes, "multiclass".'
        )
    said = activation_name(asked)
    if asked is _UNSET or said == spec.activation:
        return "linear" if logits else spec.activation
    if said in (None, "linear") and logits:
        return "linear"
    if said in (None, "linear"):
        raise FuncnetError(
            f'Head "{name}" (task "{task}") was given activation={asked!r}: raw scores. To keep '
            f'raw scores, say so: fn.head(x, "{name}", "{task}", logits=True) (trained with '
            f"from_logits=True); else drop activation= to get the task's {spec.activation}."
        )
    raise FuncnetError(
        f'Head "{name}" (task "{task}") was given activation={asked!r}, but the task\'s loss '
        f"reads {spec.activation} probabilities. Drop activation= (the task adds "
        f'{spec.activation}), or use logits=True for raw scores, or task "regression" for '
        "other values."
    )
