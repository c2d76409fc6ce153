"""Architecture pictures: Keras's own graph, restyled so a branching model reads at a glance.

`keras.utils.model_to_dot` builds the graph (nodes, edges, nested models); this module
relabels its nodes (name, layer kind, shapes per call), marks inputs, outputs and their
tasks, merges, shared layers and residual adds, and renders the DOT text with the
`graphviz` package. Files are written atomically: a failed plot never leaves a partial
file and never destroys an existing one.

Keras is imported inside the functions that draw, so that the command line can check an
output path (`check_target`) before it loads TensorFlow.
"""

from __future__ import annotations

import html
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import graphviz

from funcnet._errors import FuncnetError, did_you_mean
from funcnet._files import check_writable, write_atomically
from funcnet._graph import call_of, declared_outputs, producer, upstream_nodes

FORMATS = {".dot": "dot", ".pdf": "pdf", ".png": "png", ".svg": "svg"}

INSTALL_DOT = (
    "Graphviz's 'dot' program is needed to draw pictures and was not found on PATH. "
    "Install it with: apt-get install graphviz (Debian/Ubuntu), brew install graphviz "
    "(macOS), or conda install -c conda-forge graphviz (conda)."
)

# Fill colour and tag of each kind of node, first kind first; the tag explains the colour.
_STYLE = {
    "output": ("#ffe2b8", "OUTPUT"),
    "input": ("#d5f5d5", "INPUT"),
    "residual": ("#e6d5f7", "RESIDUAL"),
    "merge": ("#d4e6fb", "MERGE"),
    "model": ("#eeeeee", "MODEL"),
    "shared": ("#fff4cc", "SHARED"),
}
_TIMES = "\u00d7"  # the multiplication sign, as in "3x3" kernels and "shared x2"
_SHARED_BORDER = "#d2691e"
_SKIP_COLOUR = "#7b3fb5"
# Small fonts and tight spacing keep a 200-layer model on a readable, fast-to-render page.
# Curved splines, not Keras's "ortho": ortho ignores edge labels and makes dot 2.43 abort
# on ResNet50 with skip labels ("maze.c: chkSgraph: Assertion failed").
_GRAPH_ATTRS = {
    "nodesep": "0.25",
    "ranksep": "0.35",
    "concentrate": "false",
    "splines": "spline",
    "forcelabels": "true",
    "fontname": "Helvetica",
    "labelloc": "t",
}
_NODE_ATTRS = {
    "shape": "box",
    "style": '"rounded,filled"',
    "fontname": "Helvetica",
    "fontsize": "11",
    "margin": '"0.12,0.04"',
    "color": '"#666666"',
}
_EDGE_ATTRS = {
    "color": '"#555555"',
    "arrowsize": "0.7",
    "penwidth": "1.2",
    "fontname": "Helvetica",
    "fontsize": "9",
}


class Picture:
    """A rendered architecture: shows inline in Jupyter and saves to .png, .svg, .pdf or .dot.

    Args:
        source: The DOT text of the picture.

    Example:
        >>> import funcnet as fn
        >>> from keras import layers
        >>> ins = fn.inputs(x=(4,))
        >>> pic = fn.plot(fn.model(ins, fn.head(ins["x"], "y", "binary")))
        >>> "OUTPUT" in pic.source and pic.svg().startswith("<?xml")
        True
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self.path: Path | None = None  # the file last written by `save`
        self._cache: dict[str, bytes] = {}

    def render(self, fmt: str) -> bytes:
        """Returns the picture as bytes in `fmt` ("png", "svg", "pdf" or "dot").

        Raises:
            FuncnetError: the `dot` program is missing or failed.
        """
        if fmt == "dot":
            return self.source.encode()
        if fmt not in self._cache:
            self._cache[fmt] = _render(self.source, fmt)
        return self._cache[fmt]

    def svg(self) -> str:
        """Returns the picture as SVG text."""
        return self.render("svg").decode()

    def png(self) -> bytes:
        """Returns the picture as PNG bytes."""
        return self.render("png")

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Writes the picture; the extension (.png, .svg, .pdf, .dot) picks the format.

        Returns:
            The path written.

        Raises:
            FuncnetError: unknown extension, a path that cannot be written, or no `dot`
                program (then the DOT source is written next to `path`).
        """
        target = Path(path)
        fmt = check_target(target)
        try:
            data = self.render(fmt)
        except FuncnetError as err:
            if fmt != "dot" and shutil.which("dot") is None:
                dot_path = target.with_suffix(".dot")
                write_atomically(dot_path, self.source.encode())
                raise FuncnetError(
                    f"{err} The graph's DOT source was saved to {dot_path}."
                ) from None
            raise
        write_atomically(target, data)
        self.path = target
        return target

    def _repr_svg_(self) -> str:
        return self.svg()

    def _repr_png_(self) -> bytes:
        return self.png()

    def __repr__(self) -> str:
        return f"<funcnet Picture: {self.source.count('label=<')} nodes; .save(path) to write it>"


def plot(
    model: Any,
    path: str | os.PathLike[str] | None = None,
    *,
    show_shapes: bool = True,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: int = 96,
    show_activations: bool = True,
    title: str | None = None,
) -> Picture:
    """Draws a model's architecture, writing it to `path` if one is given.

    Every layer shows its name and kind; inputs, outputs (with their task), merges,
    residual adds (dashed skip edges) and shared layers (with their call count and the
    shapes of each call) are drawn distinctly.

    Args:
        model: A built `keras.Model`.
        path: Where to write; the extension picks the format: .png, .svg, .pdf or .dot.
            `None` only returns the picture.
        show_shapes: Show input and output shapes of each call.
        rankdir: "TB" (top to bottom) or "LR" (left to right).
        expand_nested: Draw the layers inside nested models instead of one box.
        dpi: Resolution of PNG output.
        show_activations: Show units, filters and activation next to the layer kind.
        title: A line shown above the caption (the model's name, layer and parameter
            count).

    Returns:
        A `Picture`: shown inline in Jupyter (SVG), `.save(path)` writes it again.

    Raises:
        FuncnetError: not a built Keras model, unknown extension or `rankdir`, a path
            that cannot be written, or no `dot` program (the DOT source is then written
            next to `path`, e.g. arch.png -> arch.dot). `path` is never left half-written.

    Example:
        >>> import funcnet as fn
        >>> from keras import layers
        >>> ins = fn.inputs(audio=(10,), video=(20,))
        >>> h = fn.merge([ins["audio"], ins["video"]], "concat")
        >>> model = fn.model(ins, fn.head(h, "fake", "binary"))
        >>> pic = fn.plot(model)
        >>> "task: binary" in pic.source
        True
    """
    import keras

    if not isinstance(model, keras.Model):
        raise FuncnetError(f"fn.plot needs a keras.Model. Received: {type(model).__name__}.")
    if not model.built:
        raise FuncnetError(f'Model "{model.name}" is not built yet; call it on data first.')
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise FuncnetError(
            f'rankdir must be "TB", "LR", "BT" or "RL". Received: rankdir={rankdir!r}.'
        )
    target = Path(path) if path is not None else None
    if target is not None:
        check_target(target)
    dot = keras.utils.model_to_dot(
        model,
        show_shapes=False,
        show_layer_names=True,
        rankdir=rankdir,
        expand_nested=expand_nested,
        dpi=dpi,
    )
    _restyle(dot, model, show_shapes, show_activations, expand_nested)
    caption = _caption(model) if title is None else f"{title}\n{_caption(model)}"
    dot.set("label", _quote(caption))
    picture = Picture(dot.to_string())
    if target is not None:
        picture.save(target)
    else:
        picture.render("svg")  # fail here, not inside Jupyter's display machinery
    return picture


@dataclass
class _Facts:
    """What the picture needs to know about the model's graph, keyed by pydot node id."""

    layers: dict[str, Any] = field(default_factory=dict)
    calls: dict[str, list[Any]] = field(default_factory=dict)  # in call order
    edge_calls: dict[tuple[str, str], set[tuple[int, int]]] = field(default_factory=dict)
    skips: set[tuple[str, str]] = field(default_factory=set)
    skip_starts: set[tuple[str, str]] = field(default_factory=set)
    residuals: set[str] = field(default_factory=set)
    outputs: dict[str, str] = field(default_factory=dict)  # node id -> output name

    def shared(self, key: str) -> bool:
        return len(self.calls.get(key, ())) > 1


def _analyse(model: Any, nested: bool) -> _Facts:
    """Walks the model's calls once: who calls whom, which call, residual adds, outputs."""
    import keras

    facts = _Facts()
    links: list[tuple[Any, Any]] = []  # (producing call, consuming call), one per tensor
    if not hasattr(model, "outputs"):  # a subclassed model: Keras draws it as one box
        facts.layers[_key(model)], facts.calls[_key(model)] = model, []
        return facts
    for sub in _models(model, nested):
        for node in upstream_nodes(sub.outputs):
            key = _key(node.operation)
            facts.layers[key] = node.operation
            facts.calls.setdefault(key, []).append(node)
            links.extend((call_of(t), node) for t in node.input_tensors)
            shortcut = _shortcut(node) if isinstance(node.operation, keras.layers.Add) else []
            if shortcut:
                facts.residuals.add(key)
                facts.skips.update(shortcut)
                facts.skip_starts.add(shortcut[0])
    facts.outputs = {_key(producer(t)): name for name, t in declared_outputs(model)}
    for node_calls in facts.calls.values():
        node_calls.sort(key=lambda n: n.operation._inbound_nodes.index(n))
    number = {id(n): i for calls in facts.calls.values() for i, n in enumerate(calls, 1)}
    for src, dst in links:
        pair = (_key(src.operation), _key(dst.operation))
        numbers = (number.get(id(src), 1), number.get(id(dst), 1))
        facts.edge_calls.setdefault(pair, set()).add(numbers)
    return facts


def _restyle(dot: Any, model: Any, show_shapes: bool, show_acts: bool, nested: bool) -> None:
    facts = _analyse(model, nested)
    # Update Keras's own default-node entry: DOT defaults only reach nodes that follow them.
    for default in dot.get_node("node"):
        default.get_attributes().update(_NODE_ATTRS)
    for name, value in _GRAPH_ATTRS.items():
        dot.set(name, value)
    for node in _all_nodes(dot):
        if node.get_name() in facts.layers:
            _style_node(node, facts, show_shapes, show_acts)
    call_counts = {f"cluster_{facts.layers[k].name}": len(c) for k, c in facts.calls.items()}
    _label_clusters(dot, call_counts)
    for edge in _all_edges(dot):
        _style_edge(dot, edge, facts)


def _style_node(node: Any, facts: _Facts, show_shapes: bool, show_acts: bool) -> None:
    key = node.get_name()
    layer, calls = facts.layers[key], facts.calls[key]
    kinds = _kinds(layer, calls, key in facts.residuals)
    tags = [_STYLE[k][1] for k in kinds]
    if key in facts.outputs:
        kinds.insert(0, "output")
        tags.insert(0, _output_tag(layer, facts.outputs[key]))
    if facts.shared(key):
        kinds.append("shared")
        tags.append(f"SHARED {_TIMES}{len(calls)}")
        node.set("color", _SHARED_BORDER)
        node.set("penwidth", "2.5")
    for attr in ("border", "margin"):  # Keras's settings for its table labels
        node.get_attributes().pop(attr, None)
    node.set("fillcolor", _STYLE[kinds[0]][0] if kinds else "#ffffff")
    node.set("tooltip", _quote(f"{layer.name} ({type(layer).__name__})"))
    node.set("label", _label(layer, " · ".join(tags), calls, show_shapes, show_acts))


def _style_edge(dot: Any, edge: Any, facts: _Facts) -> None:
    edge.get_attributes().update(_EDGE_ATTRS)  # replaces Keras's thick penwidth
    pair = (_strip(edge.get_source()), _strip(edge.get_destination()))
    if pair in facts.skips:
        edge.set("style", "dashed")
        edge.set("color", _SKIP_COLOUR)
        edge.set("fontcolor", _SKIP_COLOUR)
        if pair in facts.skip_starts:  # one word per shortcut is enough
            edge.set("xlabel", "skip")
    src_shared, dst_shared = facts.shared(pair[0]), facts.shared(pair[1])
    if not (src_shared or dst_shared):
        return
    # One edge per call (Keras draws one per pair of layers), each labelled with its call.
    for i, (out_no, in_no) in enumerate(sorted(facts.edge_calls.get(pair, ()))):
        text = f"call {in_no}" if dst_shared else f"call {out_no}"
        if src_shared and dst_shared:
            text = f"call {out_no} → call {in_no}"
        if i > 0:
            edge = type(edge)(edge.get_source(), edge.get_destination(), **edge.get_attributes())
            dot.add_edge(edge)
        edge.set("label", _quote(f"  {text}  "))  # spaces keep parallel labels apart
        edge.set("fontcolor", _SHARED_BORDER)


def _models(model: Any, nested: bool) -> list[Any]:
    """The model and, when drawn expanded, every functional model nested inside it."""
    import keras

    found = [model]
    if nested:
        for layer in model.layers:
            if isinstance(layer, keras.Model) and hasattr(layer, "outputs"):
                found.extend(_models(layer, nested))
    return found


def _shortcut(add_node: Any) -> list[tuple[str, str]]:
    """Edges of the shortcut path into a residual Add, in order; empty if it is no residual.

    An input is a shortcut when it is an ancestor of another input of the Add (identity
    skip), or is reached from such an ancestor through at most two single-input layers
    while the other input's path is longer (a projection such as a 1x1 conv + batch norm)
    or through a layer `fn.residual` named "..._projection". Detected from the graph's
    structure alone, so raw Keras models (e.g. keras.applications.ResNet50) are marked too.
    """
    inputs = list(add_node.input_tensors)
    ancestry = [_ancestors(t) for t in inputs]
    for i, t in enumerate(inputs):
        path: list[Any] = [t]
        while len(path) <= 3:
            here = path[-1]
            for j, other in enumerate(inputs):
                if (
                    j != i
                    and id(here) in ancestry[j]
                    and (
                        len(path) == 1
                        or len(path) - 1 < _depth(other, here)
                        or producer(t).name.endswith("_projection")  # fn.residual's own
                    )
                ):
                    chain = [*reversed(path)]
                    pairs = [(_key(producer(a)), _key(producer(b))) for a, b in pairwise(chain)]
                    return [*pairs, (_key(producer(t)), _key(add_node.operation))]
            node = call_of(here)
            if len(node.input_tensors) != 1:
                break
            path.append(node.input_tensors[0])
    return []


def _ancestors(tensor: Any) -> set[int]:
    found: set[int] = set()
    for node in upstream_nodes([tensor]):
        found.update(id(t) for t in node.input_tensors)
    return found


def _depth(tensor: Any, ancestor: Any) -> int:
    """Length of the shortest path of calls from `ancestor` down to `tensor`."""
    frontier, seen, depth = [tensor], {id(tensor)}, 0
    while frontier:
        if any(t is ancestor for t in frontier):
            return depth
        nxt = [u for t in frontier for u in call_of(t).input_tensors if id(u) not in seen]
        seen.update(id(u) for u in nxt)
        frontier, depth = nxt, depth + 1
    return depth


def _key(layer: Any) -> str:
    """The pydot node id `model_to_dot` gives a layer."""
    return str(id(layer))


def _kinds(layer: Any, calls: list[Any], is_residual: bool) -> list[str]:
    """What a layer is, beyond being an output or shared: input, residual, merge, model."""
    import keras
    from keras.src.layers.merging.base_merge import Merge  # not exported by keras.layers

    if calls and calls[0].is_input:
        return ["input"]
    if is_residual:
        return ["residual"]
    if isinstance(layer, Merge):
        return ["merge"]
    if isinstance(layer, keras.Model):
        return ["model"]
    return []


def _output_tag(layer: Any, name: str) -> str:
    from funcnet._tasks import output_task

    try:  # the one decision fn.compile uses (Keras has no single output for a reused layer)
        decision = output_task(layer.output)
    except (AttributeError, ValueError):
        decision = None
    task = decision.task if decision is not None else None
    if task and decision is not None and decision.logits:
        task += " (logits)"
    tag = "OUTPUT" if name == layer.name else f'OUTPUT "{name}"'
    return f"{tag} · task: {task}" if task else tag


def _label(layer: Any, tag: str, calls: list[Any], show_shapes: bool, show_acts: bool) -> str:
    rows = []
    if tag:
        rows.append(f'<font point-size="9" color="#444444">{_esc(tag)}</font>')
    rows.append(f"<b>{_esc(layer.name)}</b>")
    kind = _esc(_layer_kind(layer, show_acts))
    rows.append(f'<font point-size="10" color="#333333">{kind}</font>')
    if show_shapes and calls:
        shapes = [_call_shapes(c) for c in calls]
        if len(set(shapes)) == 1:
            rows.append(f'<font point-size="10">{_esc(shapes[0])}</font>')
        else:
            rows += [
                f'<font point-size="10">call {i}: {_esc(s)}</font>' for i, s in enumerate(shapes, 1)
            ]
    # One table row per line: <br/> lines overlap (an underscore in a name strikes the next).
    cells = "".join(f"<tr><td>{row}</td></tr>" for row in rows)
    return f'<<table border="0" cellborder="0" cellspacing="0" cellpadding="1">{cells}</table>>'


def _layer_kind(layer: Any, show_acts: bool) -> str:
    kind = type(layer).__name__
    if not show_acts:
        return kind
    parts = []
    for attr in ("units", "filters", "input_dim", "output_dim"):
        if isinstance(getattr(layer, attr, None), int):
            parts.append(str(getattr(layer, attr)))
    size = getattr(layer, "kernel_size", None)
    if isinstance(size, tuple):
        parts.append(_TIMES.join(str(s) for s in size))
    act = getattr(getattr(layer, "activation", None), "__name__", None)
    if act and act != "linear":
        parts.append(act)
    return f"{kind}({', '.join(parts)})" if parts else kind


def _call_shapes(node: Any) -> str:
    outs = ", ".join(_shape(t) for t in node.output_tensors)
    if node.is_input:
        return outs
    ins = " + ".join(_shape(t) for t in node.input_tensors)
    return f"{ins} → {outs}"


def _shape(tensor: Any) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in tensor.shape) + ")"


def _caption(model: Any) -> str:
    n = len(model.layers)
    return f"{model.name}: {n} layers, {model.count_params():,} parameters"


def _all_nodes(graph: Any) -> list[Any]:
    found = list(graph.get_nodes())
    for sub in graph.get_subgraphs():
        found.extend(_all_nodes(sub))
    return found


def _label_clusters(graph: Any, calls: dict[str, int]) -> None:
    """Marks an expanded nested model that is called several times, like a shared layer."""
    for sub in graph.get_subgraphs():
        n = calls.get(_strip(sub.get_name()), 1)
        if n > 1:
            name = _strip(sub.get_name()).removeprefix("cluster_")
            sub.set("label", _quote(f"{name} · SHARED {_TIMES}{n}"))
            sub.set("color", _quote(_SHARED_BORDER))
            sub.set("fontcolor", _quote(_SHARED_BORDER))
        _label_clusters(sub, calls)


def _all_edges(graph: Any) -> list[Any]:
    found = list(graph.get_edges())
    for sub in graph.get_subgraphs():
        found.extend(_all_edges(sub))
    return found


def _strip(name: Any) -> str:
    return str(name).strip('"')


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def check_target(path: str | os.PathLike[str]) -> str:
    """Checks that a picture can be written to `path` and returns its format.

    Raises:
        FuncnetError: an unknown extension, or a folder that is missing or not writable.
    """
    target = Path(path)
    fmt = _format_of(target)
    check_writable(target)
    return fmt


def _format_of(path: Path) -> str:
    ext = path.suffix.lower()
    if ext not in FORMATS:
        shown = f'its extension "{ext}"' if ext else "its name, which has no extension"
        raise FuncnetError(
            f'Cannot tell the picture format of "{path}" from {shown}. Expected one of: '
            f"{', '.join(FORMATS)}." + did_you_mean(ext, FORMATS)
        )
    return FORMATS[ext]


def _render(source: str, fmt: str) -> bytes:
    if shutil.which("dot") is None:
        raise FuncnetError(INSTALL_DOT)
    try:
        data: bytes = graphviz.Source(source).pipe(format=fmt, quiet=True)
    except graphviz.ExecutableNotFound:
        raise FuncnetError(INSTALL_DOT) from None
    except subprocess.CalledProcessError as err:
        detail = (err.stderr or b"").decode(errors="replace").strip().splitlines()
        raise FuncnetError(
            f"Graphviz's dot failed to draw the {fmt}: {detail[0] if detail else err}"
        ) from None
    return data
