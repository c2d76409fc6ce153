"""On JAX, `steps_per_execution=N` trains N batches in one compiled call.

Keras 3.15's JAX trainer compiles one training step and, with `steps_per_execution=N`,
calls it N times from a Python loop (`_make_function` in
`keras/src/backend/jax/trainer.py`), so every batch still pays a dispatch from Python; on
a small model that costs about as much as the step itself. `fn.compile` on JAX gives the
model a training function that runs the N batches inside one compiled `jax.lax.scan`
over the model's own `train_step`: the same steps, on the same batches, in the same
order, so the weights come out as Keras's own loop makes them (tests/test_jax_steps.py
compares them bit for bit). Measured in benchmarks/bench_backends.py.

A group of batches that cannot be stacked (the shorter last group of an epoch, a smaller
last batch, text) goes through Keras's own loop, and so does everything under
`keras.distribution` (its batches carry a layout per batch), `run_eagerly=True`, no XLA
or one batch per call. At the first full group, the step itself is traced once (not
compiled) and two kinds of step keep Keras's loop for good:
- one that convolves: XLA on a CPU runs some convolutions several times slower inside a
  compiled loop than in a single step. benchmarks/bench_jax_steps.py measures it, 32
  steps in one call against 32 calls: U-Net 2.92 s against 0.58 s, DeepLabV3+ 2.49 s
  against 0.27 s, a Conv1D classifier 8.9 ms against 4.2 ms, while a siamese Conv2D
  network and a tiny 8x8 Conv2D gained (3.3 against 10.5 ms, 1.6 against 3.1 ms) and every
  model without convolutions gained (1.3x to 3.8x). The rule is coarse and safe: where
  it says no, training runs exactly as plain Keras runs it. Reading the traced step finds
  a convolution wherever it hides (a wrapper such as TimeDistributed, a custom layer).
- one whose returned state differs in structure or type from the state it was given (a
  custom `train_step` may return a tuple where Keras gave a list): Keras's loop carries
  that on, a compiled loop cannot.

This leans on the JAX trainer's contract: `fit` calls `model.make_train_function()`,
then `model.train_function(state, iterator)` once per group, which returns
`(logs, state)`; `train_step(state, data)` is Keras's documented JAX override point.
tests/test_keras_internals.py fails when Keras changes that, or starts compiling the
group itself (then this module can go).
"""

from __future__ import annotations

import itertools
import types
from collections.abc import Callable, Iterator
from typing import Any

import keras
import numpy as np

from funcnet._backends import backend

Step = Callable[[Any, Iterator[Any]], tuple[Any, Any]]

# The primitive a convolution traces to, in every jax.lax / keras.ops convolution.
_CONVOLUTION = "conv_general_dilated"


def compile_groups(model: keras.Model) -> None:
    """On JAX, lets `model.fit` run each group of `steps_per_execution` batches in one call.

    Does nothing on another backend. Whether a fit scans is decided when Keras makes the
    training function (at `fit`), so a later `model.compile(steps_per_execution=1)` or
    `run_eagerly=True` gets Keras's own loop.

    Example:
        >>> import funcnet as fn
        >>> from funcnet._jax_steps import compile_groups
        >>> model = fn.recipes.multi_input({"a": (3,)}, heads={"y": "binary"})
        >>> compile_groups(model)  # fn.compile calls this; on TensorFlow it does nothing
    """
    installed = vars(model).get("make_train_function")
    if backend() != "jax" or getattr(installed, "__func__", None) is _make_train_function:
        return  # a second fn.compile of the same model keeps the one in place
    # A method bound to this model, not a closure over it, so that it can never train
    # another model's variables.
    model.make_train_function = types.MethodType(_make_train_function, model)


def _make_train_function(model: keras.Model, force: bool = False) -> None:
    """Keras's `make_train_function`, then the scanned groups where they can run."""
    if model.train_function is not None and not force:
        return
    type(model).make_train_function(model, force=True)  # Keras's own loop, kept for the rest
    if _can_scan(model):
        model.train_function = _Groups(model, model.train_function)


def _can_scan(model: keras.Model) -> bool:
    return bool(
        model.steps_per_execution > 1
        and model.jit_compile
        and not model.run_eagerly
        and keras.distribution.distribution() is None
        and not keras.config.is_nnx_enabled()
    )


class _Groups:
    """The training function: one compiled call per full group of equal batches."""

    def __init__(self, model: keras.Model, keras_steps: Step) -> None:
        self.model = model
        self.keras_steps = keras_steps
        self.fits: bool | None = None  # does a compiled group suit this step? (first group)
        self.scanned = compiled_group(model.train_step)

    def __call__(self, state: Any, iterator: Iterator[Any]) -> tuple[Any, Any]:
        # Read now, as Keras's epoch iterator does: the caller may change it between fits.
        size = int(self.model.steps_per_execution)
        if size < 2 or self.fits is False:
            return self.keras_steps(state, iterator)
        first = next(iterator)  # an exhausted iterator ends the epoch, as in Keras's loop
        batches = [first, *itertools.islice(iterator, size - 1)]
        stacked = _stacked(batches) if len(batches) == size else None
        if stacked is not None and self.fits is None:
            self.fits = _step_fits(self.model.train_step, state, first)
        if stacked is None or not self.fits:
            return self.keras_steps(state, iter(batches))
        return self.scanned(state, stacked)


def compiled_group(train_step: Callable[..., Any]) -> Callable[[Any, Any], tuple[Any, Any]]:
    """`train_step` over a group of batches stacked on a first axis, as one jitted call.

    The call takes the trainer's state and the stacked batches and returns
    `(logs, state)`: the last step's logs, as Keras's loop returns them, and the state
    after every step. The state is donated, as Keras donates it to its own step, so the
    variables are updated in place. benchmarks/ time this same function.
    """
    import jax

    def scanned(state: Any, batches: Any) -> tuple[Any, Any]:
        def one(state: Any, batch: Any) -> tuple[Any, Any]:
            logs, state = train_step(state, batch)
            return state, logs

        state, logs = jax.lax.scan(one, state, batches)
        return jax.tree_util.tree_map(lambda log: log[-1], logs), state

    return jax.jit(scanned, donate_argnums=0)


def _step_fits(train_step: Callable[..., Any], state: Any, batch: Any) -> bool:
    """Whether one traced step neither convolves nor changes the state's type."""
    import jax

    traced, (_, returned) = jax.make_jaxpr(train_step, return_shape=True)(state, batch)
    if _convolves(traced.jaxpr):
        return False

    def kinds(tree: Any) -> tuple[Any, list[tuple[Any, ...]]]:
        leaves, structure = jax.tree_util.tree_flatten(tree)
        return structure, [
            (tuple(a.shape), a.dtype, getattr(a, "weak_type", False)) for a in leaves
        ]

    return bool(kinds(returned) == kinds(state))


def _convolves(jaxpr: Any) -> bool:
    """Whether a jaxpr, or one nested in it (a jit, a custom gradient, a loop), convolves."""
    for equation in jaxpr.eqns:
        if equation.primitive.name == _CONVOLUTION:
            return True
        for value in equation.params.values():
            for inner in value if isinstance(value, (list, tuple)) else [value]:
                inner = getattr(inner, "jaxpr", inner)  # a ClosedJaxpr holds a Jaxpr
                if hasattr(inner, "eqns") and _convolves(inner):
                    return True
    return False


def _stacked(batches: list[Any]) -> Any:
    """The batches stacked on a new first axis, or None when they differ or hold text."""
    import jax
    import jax.numpy as jnp

    flat: list[tuple[list[Any], Any]] = [jax.tree_util.tree_flatten(b) for b in batches]
    leaves, structure = flat[0]
    kinds = [_kind(leaf) for leaf in leaves]
    if any(kind is None for kind in kinds):
        return None
    for other, other_structure in flat[1:]:
        if other_structure != structure or [_kind(leaf) for leaf in other] != kinds:
            return None
    columns = zip(*(other for other, _ in flat), strict=True)
    stacked = [  # arrays already on a device (e.g. a GPU) are stacked there, not on the host
        np.stack(column) if all(isinstance(a, np.ndarray) for a in column) else jnp.stack(column)
        for column in columns
    ]
    return jax.tree_util.tree_unflatten(structure, stacked)


def _kind(leaf: Any) -> tuple[tuple[int, ...], np.dtype] | None:
    """A numeric array's shape and dtype; None for text, objects and Python values."""
    dtype = getattr(leaf, "dtype", None)
    if dtype is None or np.dtype(dtype).kind not in "biuf":
        return None
    return tuple(leaf.shape), np.dtype(dtype)
