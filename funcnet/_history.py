"""The keys Keras logs in `History`, and the checks that keep them honest.

Keras names each logged value by pasting strings together: "loss", "<output>_loss",
"<output>_<metric>" for a model with several outputs, and "val_" before each for the
validation set. Names can collide: an output "val_z" logs its training loss as
"val_z_loss", the very key of output "z"'s validation loss, and the history keeps one of
them; an output "val" shadows the total "val_loss"; a metric named "loss" replaces the
loss. Callbacks read those keys: a misspelled `monitor` only warns and never stops or
saves, and `mode="auto"` cannot tell the direction of a per-output key ("val_o1_accuracy"
is not a metric name to Keras), which Keras reports only after the first epoch.

`history_keys` predicts the keys from the model's compile config (public
`model.get_compile_config()`), following Keras 3.15's naming in
`keras/src/trainers/compile_utils.py`; when it cannot tell, it says so and the key checks
are skipped rather than guessed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import keras

from funcnet._errors import FuncnetError, did_you_mean
from funcnet._names import check_model_names

Keys = dict[str, str]  # logged key -> what it holds, in words


def check_output_names(names: Sequence[str]) -> None:
    """Refuses output names whose training and validation keys would collide.

    Example:
        >>> check_output_names(["z", "val_z"])
        Traceback (most recent call last):
        ...
        funcnet.FuncnetError: Output "val_z" clashes in the training history: "val_z_loss"
        would be both the loss of output "val_z" and the validation value of the loss of
        output "z", and Keras keeps only one. Rename output "val_z" ... (e.g. "v_z").
    """
    if len(names) > 1:
        _refuse_clashes(_loss_keys(names), {})


def check_compiled(model: keras.Model) -> Keys | None:
    """After compiling: refuses output and metric names whose logged keys collide.

    Returns the metrics' logged keys (None when they cannot be told), for the caller to
    reuse: reading them from a model compiled with `model.compile` serializes it.
    """
    metrics = _metric_keys(model)
    _refuse_clashes(_loss_keys(_output_names(model)), metrics or {})
    return metrics


def check_fit(model: keras.Model, fit_kwargs: Mapping[str, Any]) -> None:
    """Checks a fit before it starts: the model's names, and what each callback monitors.

    Raises:
        FuncnetError: a name Keras cannot use; logged keys that collide; a callback
            monitoring a key the fit will not log (with "did you mean"), or a validation
            key in a fit without validation data; a per-output or custom key with
            `mode="auto"`, which Keras cannot decide.
    """
    check_model_names(model)
    metrics = check_compiled(model)  # also for a model compiled with model.compile
    validating = fit_kwargs.get("validation_data") is not None or bool(
        fit_kwargs.get("validation_split")
    )
    callbacks = fit_kwargs.get("callbacks") or []
    listed = callbacks if isinstance(callbacks, (list, tuple)) else [callbacks]
    monitors = [callback for callback in listed if isinstance(callback, _MONITORS)]
    if monitors:  # the keys are the fit's, not a callback's: told once
        keys = _logged_keys(model, metrics, validating)
        for callback in monitors:
            _check_monitor(model, callback, validating, keys)


_MONITORS = (
    keras.callbacks.EarlyStopping,
    keras.callbacks.ModelCheckpoint,
    keras.callbacks.ReduceLROnPlateau,
)


def history_keys(model: keras.Model, validating: bool) -> Keys | None:
    """The keys `fit` will log for a compiled model, or None when they cannot be told.

    Example:
        >>> import funcnet as fn
        >>> ins = fn.inputs(x=(3,))
        >>> m = fn.compile(fn.model(ins, [fn.head(ins["x"], "a", "binary"),
        ...                                fn.head(ins["x"], "b", "regression")]))
        >>> sorted(history_keys(m, validating=False))
        ['a_accuracy', 'a_auc', 'a_loss', 'b_loss', 'b_mae', 'loss']
    """
    return _logged_keys(model, _metric_keys(model), validating)


def _logged_keys(model: keras.Model, metrics: Keys | None, validating: bool) -> Keys | None:
    if metrics is None:
        return None
    keys = {**_loss_keys(_output_names(model)), **metrics}
    if validating:
        keys.update({f"val_{k}": f"the validation {what}" for k, what in list(keys.items())})
    return keys


def _check_monitor(model: keras.Model, callback: Any, validating: bool, keys: Keys | None) -> None:
    kind, monitor = type(callback).__name__, callback.monitor
    uses_key = not isinstance(callback, keras.callbacks.ModelCheckpoint) or getattr(
        callback, "save_best_only", False
    )
    if keys is not None and uses_key and monitor not in keys:
        if monitor.startswith("val_") and not validating and monitor[4:] in keys:
            raise FuncnetError(
                f'{kind} monitors "{monitor}", but this fit has no validation data, so Keras '
                "would never log it (and the callback would never act). Pass "
                f'validation_data= or validation_split=, or monitor "{monitor[4:]}".'
            )
        raise FuncnetError(
            f'{kind} monitors "{monitor}", which this fit will not log, so the callback would '
            f"never act (Keras only warns).{_closest(monitor, keys)} The keys logged are: "
            f"{', '.join(sorted(keys))}."
        )
    if callback.mode != "auto" or monitor.removeprefix("val_") == "loss":
        return
    custom = keys is not None and _custom_metric(model, monitor.removeprefix("val_"))
    if len(_output_names(model)) > 1 or custom:
        why = (
            "a per-output key, which Keras 3.15 does not match to its metric"
            if len(_output_names(model)) > 1
            else "a metric of your own, whose direction Keras does not know"
        )
        hint = "min" if monitor.endswith("loss") or "error" in monitor else "max"
        raise FuncnetError(
            f'{kind} monitors "{monitor}" with mode="auto", but that is {why}: Keras would '
            "stop with an error after the first epoch. Say which way is better: "
            f'{kind}(monitor="{monitor}", mode="{hint}") (mode="max" when higher is better, '
            'such as accuracy or AUC; mode="min" for a loss or an error).'
        )


def _closest(monitor: str, keys: Keys) -> str:
    # "acc" is what many tutorials monitor; funcnet's presets log "accuracy".
    spelled_out = re.sub(r"acc$", "accuracy", monitor)
    if spelled_out in keys:
        return f' Did you mean "{spelled_out}"?'
    return did_you_mean(monitor, keys)


def _refuse_clashes(losses: Keys, metrics: Keys) -> None:
    train = {**metrics, **losses}
    for key, what in metrics.items():
        if key in losses:
            raise FuncnetError(
                f'History key "{key}" would hold both {losses[key]} and {what}; Keras keeps '
                "only one. Give the metric another name (its name= argument)."
            )
    for key, what in train.items():
        shadowed = key.removeprefix("val_")
        if key.startswith("val_") and shadowed in train:
            owner = _owner(what)
            raise FuncnetError(
                f'Output "{owner}" clashes in the training history: "{key}" would be both '
                f"{what} and the validation value of {train[shadowed]}, and Keras keeps only "
                f'one. Rename output "{owner}" so that it does not start with "val" (e.g. '
                f'"{"v" + owner[3:] if owner != "val" else "value"}").'
            )


def _owner(what: str) -> str:
    found = re.search(r'output "([^"]*)"', what)
    return found.group(1) if found else ""


def _output_names(model: keras.Model) -> list[str]:
    return list(model.output_names)


def _loss_keys(names: Sequence[str]) -> Keys:
    keys = {"loss": "the total loss"}
    if len(names) > 1:
        keys.update({f"{n}_loss": f'the loss of output "{n}"' for n in names})
    return keys


# Set by fn.compile: the metrics and weighted metrics it handed to model.compile, as given.
COMPILED_METRICS = "_funcnet_compiled_metrics"


class GivenMetrics:
    """What fn.compile gave model.compile, and for which compilation.

    A plain object on purpose: Keras tracks metric objects it finds in a model's list,
    tuple and dict attributes, and would then log them a second time, unprefixed.
    """

    def __init__(self, model: keras.Model, given: Mapping[str, Any]) -> None:
        self.compiled = (model.optimizer, model.loss)
        self.given = dict(given)


def compiled_metrics(model: keras.Model) -> dict[str, Any]:
    """The `metrics` and `weighted_metrics` the model was compiled with ({} if unknown).

    fn.compile records what it passed. For a model compiled with `model.compile`, Keras's
    `get_compile_config()` says it, serialized; reading it serializes the optimizer too,
    which can fail (on JAX after a fit) and loads TensorFlow on any backend, so it is the
    fallback, and a failure means "unknown".
    """
    if not getattr(model, "compiled", False):
        return {}
    recorded = getattr(model, COMPILED_METRICS, None)
    # Only while the model is still compiled as fn.compile left it (same optimizer, loss).
    if isinstance(recorded, GivenMetrics) and recorded.compiled == (model.optimizer, model.loss):
        return dict(recorded.given)
    try:
        return dict(model.get_compile_config() or {})
    except Exception:  # Keras's own serialization; nothing to predict from
        return {}


def _metric_keys(model: keras.Model) -> Keys | None:
    """{key: what} for the compiled metrics, named as Keras names them; None if unsure."""
    config = compiled_metrics(model)
    if not config:
        return None
    names = _output_names(model)
    keys: Keys = {}
    seen: dict[str, int] = {}
    for arg in ("metrics", "weighted_metrics"):
        per_output = _per_output(config.get(arg), names)
        if per_output is None:
            return None
        for out, items in per_output.items():
            for item in items:
                name = _metric_name(item)
                if name is None:
                    return None
                prefix = f"{out}_" if len(names) > 1 else ""
                key = prefix + name
                seen[key] = seen.get(key, 0) + 1
                if seen[key] > 1 and arg == "weighted_metrics":
                    key = f"{prefix}weighted_{name}"  # Keras's name for a weighted repeat
                    if key in keys:
                        return None  # numbered further; not worth predicting
                elif seen[key] > 1:  # Keras numbers repeated names: accuracy, accuracy_1
                    key = f"{key}_{seen[key] - 1}"
                keys[key] = f'metric "{name}" of output "{out}"'
    return keys


def _per_output(value: Any, names: list[str]) -> dict[str, list[Any]] | None:
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return {k: listed(v) for k, v in value.items() if v is not None}
    if len(names) == 1:
        return {names[0]: listed(value)}
    positional = isinstance(value, (list, tuple)) and len(value) == len(names)
    if positional and all(isinstance(v, (list, tuple)) or v is None for v in value):
        return {n: listed(v) for n, v in zip(names, value, strict=True) if v is not None}
    return None


def listed(value: Any) -> list[Any]:
    """One metric, or a list or tuple of them, as a list."""
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _metric_name(item: Any) -> str | None:
    if isinstance(item, str):
        return item
    if isinstance(item, keras.metrics.Metric):
        return str(item.name)
    if callable(item) and hasattr(item, "__name__"):
        return snake_case(item.__name__)
    if isinstance(item, Mapping):
        config = item.get("config")
        if isinstance(config, Mapping) and isinstance(config.get("name"), str):
            return str(config["name"])
        if item.get("class_name") == "function" and isinstance(config, str):
            return snake_case(config)
    return None


def snake_case(name: str) -> str:
    """A class or function name as Keras names its metric: "SparseTopKCategoricalAccuracy"
    -> "sparse_top_k_categorical_accuracy" (keras/src/utils/naming.py's rule)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _custom_metric(model: keras.Model, name: str) -> bool:
    """True when the metric logged as `name` is the user's own (a function or class)."""
    config = compiled_metrics(model).get("metrics")
    per_output = _per_output(config, _output_names(model)) or {}
    for items in per_output.values():
        for item in items:
            if _metric_name(item) != name or isinstance(item, str):
                continue
            if isinstance(item, Mapping):  # serialized by get_compile_config
                module = str(item.get("module", ""))
            elif isinstance(item, keras.metrics.Metric):
                module = type(item).__module__
            else:
                module = str(getattr(item, "__module__", ""))
            return not module.startswith("keras.")
    return False
