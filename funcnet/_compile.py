"""`fn.compile`: each output's loss, metrics and weight, keyed by its name, from its task.

Raw Keras matches lists of losses and weights to dict outputs in sorted-name order and
quietly reassigns misspelled weight keys by position. funcnet only takes dicts keyed by
output name, checks every key, and hands Keras complete dicts, which Keras maps by name
for both dict-output and list-output models. The helpers that name a model's inputs and
outputs and work out each output's task live here too; `fn.check_data` reuses them.
"""

from __future__ import annotations

import inspect
import numbers
from collections import Counter
from collections.abc import Mapping
from typing import Any

import keras

from funcnet._backends import check_settings, laid_out_problems
from funcnet._distribute import (
    Strategy,
    check_preset,
    check_strategy,
    multi_worker_fixes,
    scope,
    unsupported,
)
from funcnet._errors import FuncnetError, did_you_mean, unknown_name
from funcnet._graph import is_keras_tensor, producer
from funcnet._heads import task_of
from funcnet._presets import presets
from funcnet._tasks import tasks as task_registry

# Set by fn.compile: output name -> the task whose loss trains it (None: a loss override,
# or no task), so that fn.check_data checks targets against what is really trained.
TRAINED_TASKS = "_funcnet_trained_tasks"


def compile(
    model: keras.Model,
    *,
    preset: str = "default",
    optimizer: Any = "adam",
    loss: Any = None,
    metrics: Any = None,
    loss_weights: Any = None,
    tasks: Any = None,
    strategy: Strategy | None = None,
    **keras_compile_kwargs: Any,
) -> keras.Model:
    """Compiles `model` with each output's loss and metrics chosen by its task.

    A head made by `fn.head` knows its task, also after loading from a `.keras` file.
    For other outputs the task is read from the output layer: sigmoid over 1 unit is
    "binary", softmax over several is "multiclass", no activation is "regression".
    Anything else (e.g. sigmoid over several units: labels or [0, 1] values?) must be
    named with `tasks=`.

    Args:
        model: A built `keras.Model`.
        preset: A key of `fn.presets`: "default" (Keras's settings) or "fast".
        optimizer: Any Keras optimizer or identifier.
        loss: Overrides as {output name: loss}; other outputs keep their task's loss.
        metrics: Overrides as {output name: metric or list of metrics}; replaces the
            task's metrics for that output.
        loss_weights: {output name: weight}; a missing output weighs 1.0.
        tasks: {output name: task name} for outputs whose task cannot be read from the
            model, or to change one.
        strategy: A `tf.distribute.Strategy` to compile for. None: the one whose scope
            the call is in, else the one the model was built under (e.g. by a recipe's
            `strategy=`). A preset setting the strategy cannot run is turned off, with a
            warning. TensorFlow only: on JAX, set a `keras.distribution` before building
            the model instead.
        **keras_compile_kwargs: Further `model.compile` arguments; they win over the preset.

    Returns:
        The same `model`, compiled.

    Raises:
        FuncnetError: a key that is not an output (with "did you mean"), a list or a bare
            value where a dict keyed by output name is needed, an output whose task is
            unknown, two outputs with one name, an unknown preset, task or compile option,
            a model built outside the strategy's scope, a compile option the strategy
            cannot run (e.g. steps_per_execution > 1 over several replicas), or a model
            built before the `keras.distribution` in force. All problems of one call are listed
            together, one per line.

    Warns:
        UserWarning: a setting pathological on the running backend (`jit_compile=False`
            on JAX), naming who asked for it: a preset's is replaced, the caller's kept.

    Example:
        >>> import funcnet as fn
        >>> ins = fn.inputs(pixels=(784,), table=(5,))
        >>> h = fn.merge([ins["pixels"], ins["table"]], "concat")
        >>> heads = [fn.head(h, "digit", "multiclass", 10), fn.head(h, "odd", "binary")]
        >>> model = fn.model(ins, heads)
        >>> model = fn.compile(model, loss_weights={"odd": 0.5})
        >>> dict(model.loss)
        {'digit': 'sparse_categorical_crossentropy', 'odd': 'binary_crossentropy'}
        >>> fn.compile(model, loss_weights={"od": 0.5})
        Traceback (most recent call last):
        ...
        funcnet._errors.FuncnetError: fn.compile found 1 problem with model "functional...":
          - loss_weights: Unknown output "od". Expected one of: digit, odd. Did you mean "odd"?
    """
    outputs = named_outputs(model)
    names = list(outputs)
    problems: list[str] = []
    loss_map = _by_output("loss", loss, names, problems)
    metrics_map = _by_output("metrics", metrics, names, problems, bare_list_ok=True)
    weights_map = _by_output("loss_weights", loss_weights, names, problems)
    tasks_map = _by_output("tasks", tasks, names, problems)
    for name, weight in weights_map.items():
        if isinstance(weight, bool) or not isinstance(weight, numbers.Real):
            problems.append(f'loss_weights["{name}"] must be a number. Received: {weight!r}.')
    known = list(task_registry)  # a list: a bad task value may be unhashable
    for name, task in tasks_map.items():
        if task not in known:
            problems.append(f'tasks["{name}"]: {unknown_name("task", task, known)}')
    problems += _unknown_options(model, keras_compile_kwargs)
    problems += _unknown_identifiers(loss_map, metrics_map)
    settings, more = _preset_settings(model, preset)
    problems += more
    try:
        strategy = check_strategy(model, strategy, optimizer=optimizer)
    except FuncnetError as err:
        problems.append(str(err))
    problems += unsupported(keras_compile_kwargs, strategy)
    settings = check_preset(preset, settings, strategy, given=keras_compile_kwargs)
    settings = check_settings(settings, preset=preset, given=keras_compile_kwargs)
    problems += laid_out_problems(model)

    declared = {n: t for n, t in tasks_map.items() if t in known}
    trained = _fill_from_tasks(outputs, declared, loss_map, metrics_map, problems)
    if problems:
        raise compile_error(model, problems)

    metrics_map = {n: _as_list(m) for n, m in metrics_map.items()}
    if is_single_output(model):
        name = names[0]
        keras_args: dict[str, Any] = {
            "loss": loss_map[name],
            "metrics": metrics_map[name],
            "loss_weights": weights_map.get(name),
        }
    else:
        keras_args = {
            "loss": {n: loss_map[n] for n in names},
            "metrics": {n: metrics_map[n] for n in names},
            "loss_weights": {n: float(weights_map.get(n, 1.0)) for n in names},
        }
    try:
        with scope(strategy):  # the optimizer is made here, so in the strategy's scope
            model.compile(optimizer=optimizer, **keras_args, **{**settings, **keras_compile_kwargs})
    except (ValueError, TypeError, KeyError) as err:
        raise FuncnetError(f'Keras could not compile model "{model.name}": {err}') from None
    setattr(model, TRAINED_TASKS, trained)
    multi_worker_fixes(model)
    return model


def named_outputs(model: Any) -> dict[str, Any]:
    """Returns the model's output tensors by name, in the order they were declared.

    Dict outputs are named by their keys (Keras's `output_names` sorts them), other
    outputs by the layer that made them.

    Raises:
        FuncnetError: `model` is not a built Keras model, its outputs are nested, or two
            outputs share a name (e.g. one shared layer's outputs).
    """
    named = _named(model, "outputs")
    counts = Counter(name for name, _ in named)
    for name, count in counts.items():
        if count > 1:
            raise FuncnetError(
                f'Model "{model.name}" has {count} outputs named "{name}" (one layer\'s '
                "outputs, e.g. a shared layer called several times). Keras would report one "
                'loss for all of them. End each branch with its own head: fn.head(x, "name", '
                'task), or keras.layers.Identity(name="...").'
            )
    return dict(named)


def named_inputs(model: Any) -> dict[str, Any]:
    """Returns the model's input tensors by name, in the order they were declared."""
    return dict(_named(model, "inputs"))


def is_single_output(model: Any) -> bool:
    """True when Keras sees one bare output tensor (not a dict or list of them)."""
    return not isinstance(_struct(model, "outputs"), (Mapping, list, tuple))


def output_task(tensor: Any, declared: str | None = None) -> tuple[str | None, str]:
    """An output's task: the one declared, else its head's, else read from its layer.

    Returns:
        (task, "") or (None, the reason the task cannot be told).
    """
    if declared is not None:
        return declared, ""
    recorded = task_of(producer(tensor))
    return (recorded, "") if recorded is not None else infer_task(tensor)


def infer_task(tensor: Any) -> tuple[str | None, str]:
    """Reads an output's task from its layer's activation and width.

    Returns:
        (task, "") when the layer says it unambiguously, else (None, the reason).
    """
    layer = producer(tensor)
    act = getattr(getattr(layer, "activation", None), "__name__", None)
    if isinstance(layer, keras.layers.Softmax):
        act = "softmax"
    units = tensor.shape[-1]
    kind = type(layer).__name__
    seen = f'layer "{layer.name}" ({kind}, activation {act or "unknown"}, units={units})'
    if act == "sigmoid" and units == 1:
        return "binary", ""
    if act == "softmax" and units is not None and units > 1:
        return "multiclass", ""
    if act == "linear":
        return "regression", ""
    if act == "sigmoid":
        return None, (
            f'{seen} may be multi-label classification (0/1 targets, task "multilabel") '
            'or values in [0, 1] such as pixel intensities (task "regression")'
        )
    if act == "softmax":
        return None, f"{seen} is a softmax over one unit, which always outputs 1.0 (use sigmoid)"
    return None, f"funcnet cannot tell the task of {seen}"


def _fill_from_tasks(
    outputs: Mapping[str, Any],
    declared: Mapping[str, str],
    loss_map: dict[str, Any],
    metrics_map: dict[str, Any],
    problems: list[str],
) -> dict[str, str | None]:
    """Adds each output's task loss and metrics where not overridden.

    Returns:
        {output: the task whose loss trains it, or None after a loss override}.
    """
    known = list(task_registry)
    trained: dict[str, str | None] = {}
    for name, tensor in outputs.items():
        task, why = output_task(tensor, declared.get(name))
        if task is not None and task not in known:
            task, why = None, f'its task "{task}" is not registered in fn.tasks here'
        if task is None and (name not in loss_map or name not in metrics_map):
            guess = "multilabel" if "multilabel" in why else "regression"
            problems.append(
                f'Output "{name}": {why}. Name its task, e.g. tasks={{"{name}": "{guess}"}} '
                f"(tasks: {', '.join(known)}), or give both its loss and its metrics."
            )
            continue
        trained[name] = None if name in loss_map else task  # funcnet vouches for its own loss
        if task is not None:
            loss_map.setdefault(name, task_registry[task].loss)
            metrics_map.setdefault(name, list(task_registry[task].metrics))
    return trained


def compile_error(model: Any, problems: list[str]) -> FuncnetError:
    """One error listing every problem, one per line."""
    count = f"{len(problems)} problem{'s' * (len(problems) > 1)}"
    lines = "\n".join(f"  - {p}" for p in problems)
    return FuncnetError(f'fn.compile found {count} with model "{model.name}":\n{lines}')


def _by_output(
    arg: str, value: Any, names: list[str], problems: list[str], *, bare_list_ok: bool = False
) -> dict[str, Any]:
    """Turns an override into {output name: value}, recording every bad key."""
    if value is None:
        return {}
    example = ", ".join(f'"{n}": ...' for n in names)
    if isinstance(value, Mapping):
        for key in value:
            if key not in names:
                problems.append(f"{arg}: {unknown_name('output', key, names)}")
        return {k: v for k, v in value.items() if k in names}
    if len(names) == 1 and (bare_list_ok or not isinstance(value, (list, tuple))):
        return {names[0]: value}  # one output: the bare value can only mean that output
    if isinstance(value, (list, tuple)):
        problems.append(
            f"{arg} must be a dict keyed by output name, e.g. {arg}={{{example}}}. Received: "
            f"a {type(value).__name__} of {len(value)}, which funcnet never matches by "
            "position (Keras would use sorted-name order, not the declared one)."
        )
    else:
        problems.append(
            f"{arg} must be a dict keyed by output name for a model with {len(names)} outputs, "
            f"e.g. {arg}={{{example}}}. Received: {value!r:.60}."
        )
    return {}


def _preset_settings(model: Any, name: str) -> tuple[dict[str, Any], list[str]]:
    """The preset's settings for this machine, and any problem with them."""
    try:
        preset = presets[name]
    except FuncnetError as err:
        return {}, [f"preset: {err}"]
    settings = preset.compile_kwargs()
    return settings, _unknown_options(model, settings, f'preset "{name}": ')


def _unknown_options(model: Any, kwargs: Mapping[str, Any], where: str = "") -> list[str]:
    allowed = set(inspect.signature(model.compile).parameters) - {"self", "kwargs"}
    allowed -= {"optimizer", "loss", "metrics", "loss_weights"}
    return [
        f"{where}Unknown option {key}= for model.compile.{did_you_mean(key, allowed)}"
        for key in kwargs
        if key not in allowed
    ]


# Metric names Keras resolves from each output's loss, not from keras.metrics.get.
_CONTEXT_METRICS = {"acc", "accuracy", "ce", "crossentropy"}


def _unknown_identifiers(loss_map: Mapping[str, Any], metrics_map: Mapping[str, Any]) -> list[str]:
    """Names Keras would only reject at the first fit, checked now."""
    problems = []
    for name, loss in loss_map.items():
        if isinstance(loss, str) and not _resolves(keras.losses.get, loss):
            known = [n for n in dir(keras.losses) if n.islower() and n[0] != "_"]
            problems.append(
                f'loss["{name}"]: Keras knows no loss "{loss}".{did_you_mean(loss, known)}'
            )
    for name, metrics in metrics_map.items():
        for metric in _as_list(metrics):
            if not isinstance(metric, str) or metric in _CONTEXT_METRICS:
                continue
            if not _resolves(keras.metrics.get, metric):
                known = [n for n in dir(keras.metrics) if n.islower() and n[0] != "_"]
                known += sorted(_CONTEXT_METRICS)
                problems.append(
                    f'metrics["{name}"]: Keras knows no metric "{metric}".'
                    + did_you_mean(metric, known)
                )
    return problems


def _resolves(get: Any, identifier: str) -> bool:
    try:
        get(identifier)
    except ValueError:
        return False
    return True


def _as_list(metrics: Any) -> list[Any]:
    return list(metrics) if isinstance(metrics, (list, tuple)) else [metrics]


def _struct(model: Any, which: str) -> Any:
    if not isinstance(model, keras.Model):
        raise FuncnetError(f"Expected a keras.Model (e.g. from fn.model). Received: {model!r:.80}.")
    struct = getattr(model, f"_{which}_struct", None)
    if struct is None:  # a Sequential keeps its graph elsewhere; it has one input and output
        try:
            tensors = getattr(model, which)
        except (AttributeError, ValueError):
            tensors = None
        if not tensors:
            raise FuncnetError(
                f'Model "{model.name}" has no {which} yet: build it first (e.g. start a '
                "Sequential with keras.Input(shape))."
            )
        struct = tensors[0] if len(tensors) == 1 else list(tensors)
    return struct


def _named(model: Any, which: str) -> list[tuple[str, Any]]:
    struct = _struct(model, which)
    if isinstance(struct, Mapping):
        items = list(struct.items())
    else:
        flat = list(struct) if isinstance(struct, (list, tuple)) else [struct]
        if which == "inputs":
            items = [(t.name, t) for t in flat if hasattr(t, "name")]
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
