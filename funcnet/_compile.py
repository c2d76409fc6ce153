"""`fn.compile`: each output's loss, metrics and weight, keyed by its name, from its task.

Raw Keras matches lists of losses and weights to dict outputs in sorted-name order and
quietly reassigns misspelled weight keys by position. funcnet only takes dicts keyed by
output name, checks every key, and hands Keras complete dicts, which Keras maps by name
for both dict-output and list-output models. Each output's task comes from
`funcnet._tasks.output_task`.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

import keras

from funcnet._backends import check_settings, laid_out_problems
from funcnet._compile_checks import (
    logits_loss,
    metric_problems,
    shared_metric_problems,
    steps_problems,
    task_metric,
    weight_problems,
)
from funcnet._distribute import (
    Strategy,
    check_preset,
    check_strategy,
    multi_worker_fixes,
    scope,
    unsupported,
)
from funcnet._errors import FuncnetError, did_you_mean, keras_said, problems_error, unknown_name
from funcnet._graph import is_single_output, named_outputs
from funcnet._history import (
    COMPILED_METRICS,
    GivenMetrics,
    check_compiled,
    check_output_names,
    listed,
)
from funcnet._jax_steps import compile_groups
from funcnet._names import check_model_names
from funcnet._presets import presets
from funcnet._tasks import TRAINED_TASKS, output_task, targets_from_loss
from funcnet._tasks import tasks as task_registry


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
    "binary", softmax over several is "multiclass". Anything else must be named with
    `tasks=`: raw scores (no activation) may be a regression or a classifier's logits,
    sigmoid over several units may be labels or [0, 1] values. A classification task
    named for raw scores trains with the `from_logits=True` loss and metrics.

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
            On JAX, `steps_per_execution=N` (the "fast" preset's 32) trains each group of N
            batches in one compiled call; the weights are those of Keras's own loop.

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
        funcnet.FuncnetError: fn.compile found 1 problem with model "functional...":
          - loss_weights: Unknown output "od". Expected one of: digit, odd. Did you mean "odd"?
    """
    outputs = named_outputs(model)
    check_model_names(model)  # before Keras traces a name it cannot use
    check_output_names(list(outputs))
    names = list(outputs)
    problems: list[str] = []
    loss_map = _by_output("loss", loss, names, problems)
    metrics_map = {  # each output's metrics as a list, once, for every check below
        n: listed(m)
        for n, m in _by_output("metrics", metrics, names, problems, bare_list_ok=True).items()
    }
    weights_map = _by_output("loss_weights", loss_weights, names, problems)
    tasks_map = _by_output("tasks", tasks, names, problems)
    problems += weight_problems(weights_map, names)
    problems += steps_problems(keras_compile_kwargs)
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
        raise problems_error("fn.compile", f'model "{model.name}"', problems)

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
    given = {**settings, **keras_compile_kwargs}
    try:
        with scope(strategy):  # the optimizer is made here, so in the strategy's scope
            model.compile(optimizer=optimizer, **keras_args, **given)
    except (ValueError, TypeError, KeyError) as err:
        raise FuncnetError(
            f'Keras could not compile model "{model.name}": {keras_said(err)}'
        ) from None
    metrics_given = {
        "metrics": keras_args["metrics"],
        "weighted_metrics": given.get("weighted_metrics"),
    }
    setattr(model, COMPILED_METRICS, GivenMetrics(model, metrics_given))
    check_compiled(model)  # metric names that would hide another logged value
    setattr(model, TRAINED_TASKS, trained)
    multi_worker_fixes(model)
    compile_groups(model)  # on JAX, steps_per_execution batches in one compiled call
    return model


def _fill_from_tasks(
    outputs: Mapping[str, Any],
    declared: Mapping[str, str],
    loss_map: dict[str, Any],
    metrics_map: dict[str, Any],
    problems: list[str],
) -> dict[str, str | None]:
    """Adds each output's task loss and metrics where not overridden.

    A classifier's raw scores (a declared task on a linear output, or a head made with
    `logits=True`) train with the `from_logits=True` loss and logits-aware metrics.

    Returns:
        {output: the task whose target checks fit the loss that trains it, or None}.
    """
    known = list(task_registry)
    trained: dict[str, str | None] = {}
    for name, tensor in outputs.items():
        decision = output_task(tensor, declared.get(name))
        task, why, logits = decision.task, decision.reason, decision.logits
        if task is not None and task not in known:
            task, why = None, f'its task "{task}" is not registered in fn.tasks here'
        if task is None and name not in loss_map:
            ways = " or ".join(f'tasks={{"{name}": "{t}"}}' for t in decision.could_be)
            problems.append(
                f'Output "{name}": {why}. Name its task, e.g. {ways} (tasks: '
                f"{', '.join(known)}), or give its loss."
            )
            continue
        if task is None and "regression" in decision.could_be and logits_loss(loss_map[name]):
            problems.append(
                f'Output "{name}": {why}, but its loss "{loss_map[name]}" reads probabilities. '
                f'For logits say tasks={{"{name}": "..."}} (trained from_logits), or give '
                f"loss={{{name!r}: keras.losses.{type(logits_loss(loss_map[name])).__name__}"
                "(from_logits=True)}."
            )
            continue
        if task is not None:
            spec = task_registry[task]
            loss = logits_loss(spec.loss) if logits else spec.loss
            if loss is None and name not in loss_map:
                problems.append(
                    f'Output "{name}" gives raw scores (logits) for task "{task}", whose loss '
                    f'"{spec.loss}" has no from_logits form. Give its loss, e.g. '
                    f'loss={{"{name}": ...}}, or end the output with the task\'s activation.'
                )
                continue
            loss_map.setdefault(name, loss)
        trained[name] = targets_from_loss(loss_map[name], tensor.shape[-1], task)
        if name in metrics_map:  # the user's own metrics: do they fit the targets?
            problems += metric_problems(name, trained[name], metrics_map[name])
        elif task is None:
            metrics_map[name] = []  # a loss without a task: no metric funcnet could vouch for
        else:
            spec = task_registry[task]
            metrics_map[name] = [task_metric(m, logits, spec.activation) for m in spec.metrics]
    problems += shared_metric_problems(metrics_map)
    return trained


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
    own = set(inspect.signature(compile).parameters) - {"model", "keras_compile_kwargs"}
    return [
        f"{where}Unknown option {key}= for model.compile.{did_you_mean(key, own | allowed)}"
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
        for metric in metrics:
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
