"""Laying out a picture as a pydot graph: layer nodes, folded blocks, clusters, edges.

`to_dot` turns the facts `_plot_graph` read and the blocks `_plot_blocks` found into DOT
text; `_plot_labels` decides what each node says. pydot does the quoting.
"""

from __future__ import annotations

import math
from typing import Any

import pydot

from funcnet._plot_blocks import Block, fold
from funcnet._plot_graph import Facts
from funcnet._plot_labels import (
    EDGE_ATTRS,
    GRAPH_ATTRS,
    NODE_ATTRS,
    SHARED_BORDER,
    SKIP_COLOUR,
    STYLE,
    TIMES,
    block_label,
    caption,
    kinds,
    layer_label,
    output_tag,
    shape,
)


def to_dot(
    model: Any,
    facts: Facts,
    tree: list[Any],
    depth: int | None,
    *,
    title: str | None,
    clusters: bool,
    show_shapes: bool,
    show_acts: bool,
    rankdir: str,
    dpi: float,
) -> str:
    """The DOT text of the picture: layers, folded blocks, and unfolded blocks as clusters."""
    graph = pydot.Dot(model.name, graph_type="digraph", rankdir=rankdir, dpi=f"{dpi:g}")
    for name, value in GRAPH_ATTRS.items():
        graph.set(name, value)
    graph.set_node_defaults(**NODE_ATTRS)
    graph.set_edge_defaults(**EDGE_ATTRS)
    text = caption(model, list(facts.outputs.values()))
    graph.set("label", text if title is None else f"{title}\n{text}")
    drawn_by, open_blocks = fold(tree, depth)
    homes: dict[str, Any] = {}  # unit -> the cluster it is drawn in
    for block in open_blocks if clusters else []:
        home = homes.get(block.members()[0], graph)
        sub = pydot.Cluster(block.key, label=block.name, style="rounded,dashed", color="#999999")
        sub.set("id", f"cluster:{block.key}")
        home.add_subgraph(sub)
        homes.update((k, sub) for k in block.members())
    if not clusters:
        _nested_clusters(facts, graph, homes)
    done: set[str] = set()
    joined: set[tuple[str, str]] = set()
    for k in [*(k for k in facts.order if k not in facts.outputs), *facts.outputs]:
        unit = drawn_by.get(k)
        if unit is None:
            homes.get(k, graph).add_node(_layer_node(k, model, facts, show_shapes, show_acts))
        elif unit.key not in done:
            done.add(unit.key)
            homes.get(k, graph).add_node(_block_node(unit, facts))
    for (src, dst), numbers in facts.links.items():
        a, b = drawn_by.get(src), drawn_by.get(dst)
        ends = (a.key if a else src, b.key if b else dst)
        if a is not None or b is not None:
            if ends[0] != ends[1] and ends not in joined:
                joined.add(ends)
                graph.add_edge(pydot.Edge(*ends))
            continue
        for edge in _layer_edges(src, dst, numbers, facts):
            graph.add_edge(edge)
    return str(graph.to_string())


def _layer_node(k: str, model: Any, facts: Facts, show_shapes: bool, show_acts: bool) -> Any:
    layer, calls = facts.layers[k], facts.calls[k]
    kind = kinds(layer, calls, k in facts.residuals)
    tags = [STYLE[x][1] for x in kind]
    attrs: dict[str, str] = {}
    if k in facts.outputs:
        name = facts.outputs[k]
        kind.insert(0, "output")
        tags.insert(0, output_tag(layer, name, facts.output_tensors[name], model))
    if facts.shared(k):
        kind.append("shared")
        tags.append(f"SHARED {TIMES}{len(calls)}")
        attrs.update(color=SHARED_BORDER, penwidth="2.5")
    label = layer_label(layer, " · ".join(tags), calls, show_shapes, show_acts)
    fill = STYLE[kind[0]][0] if kind else "#ffffff"
    tip = f"{layer.name} ({type(layer).__name__}, {_params(layer):,} parameters)"
    ident = f"layer:{layer.name}"
    node = pydot.Node(k, label=label, fillcolor=fill, tooltip=tip, id=ident)
    return _with(node, attrs)


def _block_node(block: Block, facts: Facts) -> Any:
    members = block.members()
    inside = set(members)
    ins = {src for src, dst in facts.links if dst in inside and src not in inside}
    outs = {src for src, dst in facts.links if src in inside and dst not in inside}
    outs |= inside & set(facts.outputs)
    shapes = f"{_shapes_of(ins, facts)} → {_shapes_of(outs, facts)}"
    params = sum(_params(facts.layers[k]) for k in members)
    detail = f"{len(members)} layers, {params:,} parameters"
    tag = STYLE[block.kind][1] if block.kind in STYLE else "BLOCK"
    if block.kind == "shared":
        tag += f" {TIMES}{len(facts.calls[members[0]])}"
    return pydot.Node(
        block.key,
        label=block_label(tag, block.name, detail, shapes),
        fillcolor=STYLE.get(block.kind, STYLE["block"])[0],
        tooltip=f"{block.name}: {detail}",
        id=f"block:{block.name}",
        penwidth="2",
    )


def _shapes_of(keys: set[str], facts: Facts) -> str:
    found = []
    for k in keys:
        for node in facts.calls.get(k, [])[:1]:
            found += [shape(t) for t in node.output_tensors]
    return " + ".join(sorted(set(found))) or "?"


def _params(layer: Any) -> int:
    return sum(math.prod(int(d) for d in w.shape) for w in getattr(layer, "weights", []))


def _layer_edges(src: str, dst: str, numbers: set[tuple[int, int]], facts: Facts) -> list[Any]:
    """One edge per call into or out of a shared layer, each labelled; else one edge."""
    attrs: dict[str, str] = {}
    if (src, dst) in facts.skips:
        attrs.update(style="dashed", color=SKIP_COLOUR, fontcolor=SKIP_COLOUR)
        if (src, dst) in facts.skip_starts:  # one word per shortcut is enough
            attrs["xlabel"] = "skip"
    src_shared, dst_shared = facts.shared(src), facts.shared(dst)
    if not (src_shared or dst_shared):
        return [_with(pydot.Edge(src, dst), attrs)]
    edges = []
    for out_no, in_no in sorted(numbers):
        text = f"call {in_no}" if dst_shared else f"call {out_no}"
        if src_shared and dst_shared:
            text = f"call {out_no} → call {in_no}"
        # Spaces keep parallel labels apart.
        edge = pydot.Edge(src, dst, label=f"  {text}  ", fontcolor=SHARED_BORDER)
        edges.append(_with(edge, attrs))
    return edges


def _with(item: Any, attrs: dict[str, str]) -> Any:
    for name, value in attrs.items():
        item.set(name, value)
    return item


def _nested_clusters(facts: Facts, graph: Any, homes: dict[str, Any]) -> None:
    """Expanded nested models as clusters; one called several times is marked shared."""
    for k, sub_model in facts.nested.items():  # outer models first
        n = len(facts.calls.get(k, []))
        label = f"{sub_model.name} · SHARED {TIMES}{n}" if n > 1 else sub_model.name
        cluster = pydot.Cluster(k, label=label, id=f"cluster:{sub_model.name}")
        if n > 1:
            cluster.set("color", SHARED_BORDER)
            cluster.set("fontcolor", SHARED_BORDER)
        homes.get(k, graph).add_subgraph(cluster)
        inside = [*facts.layers, *facts.nested]
        homes.update((m, cluster) for m in inside if facts.parent.get(m) == k)
