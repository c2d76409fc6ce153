"""How each node of a picture reads: tags, colours, and the settings that define a layer.

A label shows what changes the architecture: units or filters, kernel size, strides,
dilation, padding when it shrinks the tensor, dropout rate, attention heads, activation;
the shapes of every call; and for an output its declared name, task (also one funcnet
inferred) and loss (the one the model was compiled with, when the user chose one).
Labels are Graphviz HTML-like tables; `_plot` places them on nodes.
"""

from __future__ import annotations

import html
import math
from typing import Any

from funcnet._stack import merging_layers

# Fill colour and tag of each kind of node, first kind first; the tag explains the colour.
STYLE = {
    "output": ("#ffe2b8", "OUTPUT"),
    "input": ("#d5f5d5", "INPUT"),
    "residual": ("#e6d5f7", "RESIDUAL"),
    "merge": ("#d4e6fb", "MERGE"),
    "model": ("#eeeeee", "MODEL"),
    "block": ("#e8eef5", "BLOCK"),
    "trunk": ("#e8eef5", "TRUNK"),
    "shared": ("#fff4cc", "SHARED"),
}
TIMES = "\u00d7"  # the multiplication sign, as in "3x3" kernels and "shared x2"
SHARED_BORDER = "#d2691e"
SKIP_COLOUR = "#7b3fb5"
# Small fonts and tight spacing keep a 200-layer model on a readable, fast-to-render page.
# Curved splines, not Keras's "ortho": ortho ignores edge labels and makes dot 2.43 abort
# on ResNet50 with skip labels ("maze.c: chkSgraph: Assertion failed").
GRAPH_ATTRS = {
    "nodesep": "0.25",
    "ranksep": "0.35",
    "splines": "spline",
    "forcelabels": "true",
    "fontname": "Helvetica",
    "labelloc": "t",
}
NODE_ATTRS = {
    "shape": "box",
    "style": "rounded,filled",
    "fontname": "Helvetica",
    "fontsize": "11",
    "margin": "0.12,0.04",
    "color": "#666666",
}
EDGE_ATTRS = {
    "color": "#555555",
    "arrowsize": "0.7",
    "penwidth": "1.2",
    "fontname": "Helvetica",
    "fontsize": "9",
}


def kinds(layer: Any, calls: list[Any], is_residual: bool) -> list[str]:
    """What a layer is, beyond being an output or shared: input, residual, merge, model."""
    import keras

    if calls and calls[0].is_input:
        return ["input"]
    if is_residual:
        return ["residual"]
    if isinstance(layer, merging_layers()):
        return ["merge"]
    if isinstance(layer, keras.Model):
        return ["model"]
    return []


def output_tag(layer: Any, name: str, tensor: Any, model: Any) -> str:
    """'OUTPUT "name" · task: t · loss: l': the declared name, the task and the loss."""
    from funcnet._tasks import output_task, task_of  # the one place that tells an output's task

    tag = "OUTPUT" if name == layer.name else f'OUTPUT "{name}"'
    decision = output_task(tensor)
    task = decision.task
    if task is not None:
        logits = " (logits)" if decision.logits else ""
        tag += f" · task: {task}{logits}" + ("" if task_of(layer) else " (inferred)")
    loss = compiled_loss(model, name)
    if task is None and loss is None:
        tag += " · task: ? (name it: fn.compile(tasks=...))"
    if loss is None and task is not None:
        loss = _task_loss(task)
    elif loss is not None:
        loss += " (compiled)"
    return f"{tag} · loss: {loss}" if loss else tag


def compiled_loss(model: Any, name: str) -> str | None:
    """The loss the model was compiled with for output `name`, or None."""
    loss = getattr(model, "loss", None)
    if isinstance(loss, dict):
        loss = loss.get(name)
    elif isinstance(loss, (list, tuple)):
        names = list(getattr(model, "output_names", []) or [])
        loss = loss[names.index(name)] if name in names and len(loss) == len(names) else None
    if loss is None:
        return None
    if isinstance(loss, str):
        return loss
    return str(getattr(loss, "name", None) or getattr(loss, "__name__", type(loss).__name__))


def _task_loss(task: str) -> str | None:
    from funcnet._tasks import tasks

    loss = tasks[task].loss if task in tasks else None
    return None if loss is None else str(getattr(loss, "__name__", loss))


def layer_label(layer: Any, tag: str, calls: list[Any], show_shapes: bool, show_acts: bool) -> str:
    """The HTML-like label of one layer: tag line, bold name, kind and settings, shapes."""
    rows = []
    if tag:
        rows.append(f'<font point-size="9" color="#444444">{esc(tag)}</font>')
    rows.append(f"<b>{esc(layer.name)}</b>")
    kind = esc(layer_kind(layer, show_acts))
    rows.append(f'<font point-size="10" color="#333333">{kind}</font>')
    if show_shapes and calls:
        shapes = [call_shapes(c) for c in calls]
        if len(set(shapes)) == 1:
            rows.append(f'<font point-size="10">{esc(shapes[0])}</font>')
        else:
            rows += [
                f'<font point-size="10">call {i}: {esc(s)}</font>' for i, s in enumerate(shapes, 1)
            ]
    return table(rows)


def block_label(tag: str, name: str, detail: str, shapes: str) -> str:
    """The HTML-like label of a folded block: tag, name, layer count and parameters, shapes."""
    rows = [f'<font point-size="9" color="#444444">{esc(tag)}</font>', f"<b>{esc(name)}</b>"]
    rows.append(f'<font point-size="10" color="#333333">{esc(detail)}</font>')
    if shapes:
        rows.append(f'<font point-size="10">{esc(shapes)}</font>')
    return table(rows)


def table(rows: list[str]) -> str:
    # One table row per line: <br/> lines overlap (an underscore in a name strikes the next).
    cells = "".join(f"<tr><td>{row}</td></tr>" for row in rows)
    return f'<<table border="0" cellborder="0" cellspacing="0" cellpadding="1">{cells}</table>>'


def layer_kind(layer: Any, show_acts: bool) -> str:
    """'Conv2D(32, 3x3, stride 2, valid, relu)': the class and the settings that define it."""
    kind = type(layer).__name__
    if not show_acts:
        return kind
    parts = []
    for attr in ("units", "filters", "input_dim", "output_dim", "num_heads", "key_dim"):
        value = getattr(layer, attr, None)
        if isinstance(value, int) and not isinstance(value, bool):
            parts.append(f"{value} heads" if attr == "num_heads" else str(value))
    parts += _geometry(layer)
    rate = getattr(layer, "rate", None)
    if isinstance(rate, float | int) and not isinstance(rate, bool):
        parts.append(f"rate {rate:g}")
    act = getattr(getattr(layer, "activation", None), "__name__", None)
    if act and act != "linear":
        parts.append(act)
    return f"{kind}({', '.join(parts)})" if parts else kind


def _geometry(layer: Any) -> list[str]:
    """Kernel or pool size, strides and dilation when not 1, padding when it shrinks."""
    parts = []
    size = getattr(layer, "kernel_size", None) or getattr(layer, "pool_size", None)
    if isinstance(size, tuple):
        parts.append(TIMES.join(str(s) for s in size))
    strides = getattr(layer, "strides", None)
    if isinstance(strides, tuple) and any(s != 1 for s in strides):
        parts.append(f"stride {TIMES.join(str(s) for s in strides)}")
    dilation = getattr(layer, "dilation_rate", None)
    if isinstance(dilation, tuple) and any(d != 1 for d in dilation):
        parts.append(f"dilation {TIMES.join(str(d) for d in dilation)}")
    window = math.prod(size) if isinstance(size, tuple) else 1
    if getattr(layer, "padding", None) == "valid" and window > 1:  # then it shrinks
        parts.append("valid")
    return parts


def call_shapes(node: Any) -> str:
    """'(None, 8) → (None, 4)' for one call; an input shows its own shape only."""
    outs = ", ".join(shape(t) for t in node.output_tensors)
    if node.is_input:
        return outs
    ins = " + ".join(shape(t) for t in node.input_tensors)
    return f"{ins} → {outs}"


def shape(tensor: Any) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in tensor.shape) + ")"


def caption(model: Any, outputs: list[str]) -> str:
    """The picture's caption: name, layer and parameter count, outputs in declared order."""
    n = len(getattr(model, "layers", []))
    text = f"{model.name}: {n} layers, {model.count_params():,} parameters"
    if len(outputs) > 1:
        text += f"; outputs in order: {', '.join(outputs)}"
    return text


def esc(text: str) -> str:
    return html.escape(text, quote=False)
