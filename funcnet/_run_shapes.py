"""Shapes known only at run time: do the data's sizes flow through the model?

An input declared with `None` sizes (variable image sizes, sequence lengths) lets two
branches meet in a merge or residual that builds fine and fails only inside `fit`, with
an error naming neither input. Where the rule is static (valid padding always shrinks)
`fn.residual` refuses at build time; where it depends on the data, `fn.check_data`
runs the model's shape inference (Keras's public `compute_output_spec`) on the sizes of
the arrays given, and names each input with its size when they cannot meet.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from funcnet._errors import keras_said
from funcnet._graph import named_inputs, upstream_nodes


def run_time_shape_problems(model: Any, x: Mapping[str, np.ndarray], prefix: str = "") -> list[str]:
    """Problems with the sizes of `x` that only the data decides, one line each.

    Args:
        model: A `keras.Model` whose inputs may have `None` sizes.
        x: The input arrays by name, already checked one by one.
        prefix: Put before "x" in messages, e.g. "validation ".

    Returns:
        [] when every size flows through the model (or nothing is unknown), else one line.
    """
    import keras

    inputs = named_inputs(model)
    unknown = [n for n, t in inputs.items() if None in tuple(t.shape[1:])]
    if not unknown or any(n not in x for n in inputs):
        return []
    by_id = {id(t): n for n, t in inputs.items()}

    def concrete(t: Any) -> Any:
        shape = (None, *np.shape(x[by_id[id(t)]])[1:])
        return keras.KerasTensor(shape, dtype=t.dtype)

    sizes = ", ".join(f'{prefix}x["{n}"] {tuple(np.shape(x[n])[1:])}' for n in inputs)
    start = (
        f"the sizes of {sizes} per sample cannot flow through the model: inputs "
        f"{', '.join(repr(n) for n in unknown)} take sizes only the data decides, and "
    )
    given = keras.tree.map_structure(concrete, model.input)
    try:
        model.compute_output_spec(given)
        concat = _concat_problem(model, given)
    except (ValueError, TypeError) as err:
        return [
            f"{start}these do not meet where branches are merged or added. Give them sizes "
            f"that fit (e.g. equal lengths). Keras said: {keras_said(err)}"
        ]
    return [f"{start}{concat}"] if concat else []


def _concat_problem(model: Any, given: Any) -> str:
    """Keras infers a concatenation's shape without checking it: funcnet checks it here."""
    import keras

    from funcnet._merge import agree  # imports Keras: see funcnet/_keras_hook.py

    calls = [
        node
        for node in upstream_nodes(model.outputs)
        if isinstance(node.operation, keras.layers.Concatenate)
    ]
    if not calls:
        return ""
    probe = keras.Model(model.input, [t for node in calls for t in node.input_tensors])
    shapes = iter(tuple(s.shape) for s in keras.tree.flatten(probe.compute_output_spec(given)))
    for node in calls:
        got = [next(shapes) for _ in node.input_tensors]
        axis = node.operation.axis % len(got[0])
        if not agree([s[1:axis] + s[axis + 1 :] for s in got]):
            return (
                f'at layer "{node.operation.name}" (Concatenate) they give '
                f"{'; '.join(str(s) for s in got)}, which differ beyond the concatenation "
                "axis. Give sizes that fit (e.g. a multiple of the total stride)."
            )
    return ""
