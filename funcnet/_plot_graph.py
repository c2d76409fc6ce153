"""Reading a model's graph for its picture: calls, shared layers, residual skips, outputs.

`analyse` walks the model once and returns `Facts`: every layer drawn (keyed by the id
that names its DOT node), its calls in call order, the links between calls, the skip
edges of residual adds, and the declared outputs. Nested models are one layer, or, when
drawn expanded, their own layers with links across the model's border. Nothing here
knows about colours or files; `_plot_labels` styles these facts and `_plot_blocks`
groups them.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from funcnet._graph import call_number, call_of, declared_outputs, producer, upstream_nodes


@dataclass
class Facts:
    """What the picture knows about the model's graph, keyed by layer key (`key`)."""

    layers: dict[str, Any] = field(default_factory=dict)  # inputs first, then call order
    calls: dict[str, list[Any]] = field(default_factory=dict)  # in call order
    links: dict[tuple[str, str], set[tuple[int, int]]] = field(default_factory=dict)
    skips: set[tuple[str, str]] = field(default_factory=set)
    skip_starts: set[tuple[str, str]] = field(default_factory=set)
    residuals: dict[str, str] = field(default_factory=dict)  # Add key -> skip start key
    outputs: dict[str, str] = field(default_factory=dict)  # key -> name, declared order
    output_tensors: dict[str, Any] = field(default_factory=dict)  # name -> tensor
    parent: dict[str, str] = field(default_factory=dict)  # key -> expanded model's key
    nested: dict[str, Any] = field(default_factory=dict)  # expanded model key -> model
    order: list[str] = field(default_factory=list)  # layer keys, producers first

    def shared(self, key: str) -> bool:
        """True when the layer is called more than once (one set of weights, many calls)."""
        return len(self.calls.get(key, ())) > 1

    def successors(self) -> dict[str, set[str]]:
        """Layer key -> the keys of the layers its outputs feed."""
        found: dict[str, set[str]] = {k: set() for k in self.layers}
        for src, dst in self.links:
            found.setdefault(src, set()).add(dst)
        return found


def key(layer: Any) -> str:
    """The DOT node id of a layer: unique, and stable while the model lives."""
    return str(id(layer))


def is_graph_model(layer: Any) -> bool:
    """True for a functional or Sequential model (one with a graph of layers to draw)."""
    import keras  # here, so that the command line starts without TensorFlow

    return isinstance(layer, keras.Model) and hasattr(layer, "outputs")


def analyse(model: Any, expand_nested: bool) -> Facts:
    """Walks the model's calls once: who calls whom, which call, residual adds, outputs."""
    import keras

    facts = Facts()
    if not is_graph_model(model):  # a subclassed model: one box
        facts.layers[key(model)], facts.calls[key(model)] = model, []
        facts.order = [key(model)]
        return facts
    nodes = []
    for sub in _models(model, expand_nested):
        for node in upstream_nodes(sub.outputs):
            nodes.append(node)
            facts.calls.setdefault(key(node.operation), []).append(node)
            if sub is not model:
                facts.parent.setdefault(key(node.operation), key(sub))
                facts.nested[key(sub)] = sub
    for node_calls in facts.calls.values():
        node_calls.sort(key=call_number)
    for node in sorted(nodes, key=lambda n: not n.is_input):  # inputs first
        op = node.operation
        if not (expand_nested and is_graph_model(op) and key(op) in facts.nested):
            facts.layers.setdefault(key(op), op)
    for node in nodes:
        for i, tensor in enumerate(node.input_tensors):
            src, src_no = _source(tensor, facts)
            dst, dst_no = _destination(node, i, facts)
            facts.links.setdefault((src, dst), set()).add((src_no, dst_no))
        if isinstance(node.operation, keras.layers.Add):
            shortcut = _shortcut(node)
            if shortcut:
                facts.residuals[key(node.operation)] = shortcut[0][0]
                facts.skips.update(shortcut)
                facts.skip_starts.add(shortcut[0])
    for name, tensor in declared_outputs(model):
        facts.outputs[_source(tensor, facts)[0]] = name
        facts.output_tensors[name] = tensor
    facts.order = _topological_order(facts, model)
    return facts


def _topological_order(facts: Facts, model: Any) -> list[str]:
    """Layer keys, producers before consumers; ties keep the order Keras lists layers in."""
    rank: dict[str, int] = {}

    def number(m: Any) -> None:
        for layer in getattr(m, "layers", []):
            rank.setdefault(key(layer), len(rank))
            if key(layer) in facts.nested:
                number(layer)

    number(model)
    indegree = {k: 0 for k in facts.layers}
    succ = facts.successors()
    for src, dst in facts.links:
        if src in indegree and dst in indegree and src != dst:
            indegree[dst] += 1
    heap = [(rank.get(k, len(rank)), k) for k, n in indegree.items() if n == 0]
    heapq.heapify(heap)
    order: list[str] = []
    while heap:
        _, k = heapq.heappop(heap)
        order.append(k)
        for nxt in succ.get(k, ()):
            if nxt in indegree and nxt != k:
                indegree[nxt] -= 1
                if indegree[nxt] == 0:
                    heapq.heappush(heap, (rank.get(nxt, len(rank)), nxt))
    return order


def _models(model: Any, expand: bool) -> list[Any]:
    """The model and, when drawn expanded, every graph model nested inside it."""
    found = [model]
    if expand:
        for layer in model.layers:
            if is_graph_model(layer):
                found.extend(_models(layer, expand))
    return found


def _source(tensor: Any, facts: Facts) -> tuple[str, int]:
    """The drawn layer (and its call number) that produced `tensor`."""
    node = call_of(tensor)
    op = node.operation
    if key(op) in facts.nested:  # expanded: the inner layer that made this output
        index = next(i for i, t in enumerate(node.output_tensors) if t is tensor)
        return _source(op.outputs[index], facts)
    return key(op), call_number(node)


def _destination(node: Any, index: int, facts: Facts) -> tuple[str, int]:
    """The drawn layer (and its call number) that takes input `index` of `node`."""
    op = node.operation
    if key(op) in facts.nested:  # expanded: the inner input layer
        return _destination(call_of(op.inputs[index]), 0, facts)
    return key(op), call_number(node)


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
                    pairs = [(key(producer(a)), key(producer(b))) for a, b in pairwise(chain)]
                    return [*pairs, (key(producer(t)), key(add_node.operation))]
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
