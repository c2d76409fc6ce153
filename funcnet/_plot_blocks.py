"""Blocks for overview pictures: the model's own structure, folded to a chosen depth.

A block is a run of layers that reads as one step: a nested model, a trunk that several
heads share, a stage or block of a foreign model (Keras Applications' `conv2_` and
`conv2_block1_`), an inception or NASNet cell. Blocks are found from the graph, not from
a list of known models: layers are put in a topological order, and the order is cut where
the fewest tensors cross (one tensor for a chain of blocks, two for NASNet's cells). A run
of a topological order is always convex (no path leaves it and comes back), so a folded
block never makes a cycle. Among equally narrow cuts, those where the layer names change
earliest (`conv2_...` to `conv3_...`) come first, so stages fold before their blocks.
`fn.plot(model, depth=1)` draws the top level; each larger depth unfolds one level.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

from funcnet._plot_graph import Facts


@dataclass
class Block:
    """A group of layers drawn as one node when folded; `children` unfold one level."""

    name: str
    kind: str  # "model" (a nested model), "trunk" (shared by several heads) or "block"
    children: list[Any] = field(default_factory=list)  # Blocks and layer keys, in order
    model_key: str | None = None  # a nested model's layer key

    @property
    def key(self) -> str:
        return f"block_{id(self)}"

    def members(self) -> list[str]:
        """The keys of every layer inside, at any depth."""
        found: list[str] = []
        for child in self.children:
            found.extend(child.members() if isinstance(child, Block) else [child])
        return found


def block_tree(facts: Facts, model: Any) -> list[Any]:
    """The top level of the model's blocks: inputs, then blocks and layers in order."""
    order = facts.order
    inputs = [k for k in order if _is_input(facts, k)]
    items = _shared_runs(_items(facts, [k for k in order if k not in inputs], parent=None), facts)
    if len(facts.outputs) > 1:
        return [*inputs, *_with_trunk(items, facts)]
    return [*inputs, *_group(items, facts)]


def fold(tree: list[Any], depth: int | None) -> tuple[dict[str, Any], list[Block]]:
    """Which unit draws each layer at `depth`, and the blocks drawn unfolded (clusters).

    Returns:
        (layer key -> the folded Block that draws it, or absent when drawn itself;
        the unfolded blocks, outermost first).
    """
    drawn_by: dict[str, Any] = {}
    open_blocks: list[Block] = []

    def visit(items: list[Any], level: int) -> None:
        for item in items:
            if not isinstance(item, Block):
                continue
            if depth is not None and level >= depth:
                drawn_by.update((k, item) for k in item.members())
            else:
                open_blocks.append(item)
                visit(item.children, level + 1)

    visit(tree, 1)
    return drawn_by, open_blocks


def _is_input(facts: Facts, k: str) -> bool:
    calls = facts.calls.get(k) or []
    return bool(calls) and calls[0].is_input and k not in facts.parent


def _items(facts: Facts, order: list[str], parent: str | None) -> list[Any]:
    """The layers of one model (top or nested) in order, each nested model one Block."""
    items: list[Any] = []
    opened: set[str] = set()
    for k in order:
        owner = k if k in facts.nested else facts.parent.get(k)
        while owner is not None and facts.parent.get(owner) != parent:
            owner = facts.parent.get(owner)
        if facts.parent.get(k) == parent:
            items.append(k)
        elif owner is not None and owner not in opened:
            opened.add(owner)
            inner = _items(facts, [m for m in order if _inside(facts, m, owner)], owner)
            items.append(Block(facts.nested[owner].name, "model", _group(inner, facts), owner))
    return items


def _shared_runs(items: list[Any], facts: Facts) -> list[Any]:
    """Consecutive shared layers that feed one another (an `fn.shared` block of several
    layers, called on each input) become one block."""
    found: list[Any] = []
    run: list[str] = []
    for item in [*items, None]:
        calls = len(facts.calls.get(item, ())) if isinstance(item, str) else 0
        linked = bool(run) and (run[-1], item) in facts.links
        if calls > 1 and (not run or (linked and calls == len(facts.calls[run[0]]))):
            run.append(item)
            continue
        if len(run) >= 2:
            found.append(Block(_block_name(run, facts) or "shared block", "shared", run))
        else:
            found.extend(run)
        run = [item] if calls > 1 else []
        if calls <= 1 and item is not None:
            found.append(item)
    return found


def _inside(facts: Facts, k: str, owner: str) -> bool:
    while k in facts.parent:
        k = facts.parent[k]
        if k == owner:
            return True
    return False


def _members(item: Any) -> list[str]:
    return item.members() if isinstance(item, Block) else [item]


def _widths(items: list[Any], facts: Facts) -> list[int]:
    """For each boundary between items i-1 and i: how many producers feed past it."""
    where = {k: i for i, item in enumerate(items) for k in _members(item)}
    spans: dict[Any, int] = {}  # producer (an item's index, or a key outside) -> last use
    for src, dst in facts.links:
        if dst not in where or where.get(src) == where[dst]:
            continue
        producer = where.get(src, ("outside", src))
        spans[producer] = max(spans.get(producer, -1), where[dst])
    widths = [0] * len(items)
    for producer, last in spans.items():
        start = producer + 1 if isinstance(producer, int) else 1  # outside: live from 0
        for b in range(start, last + 1):
            widths[b] += 1
    return widths


def _name_level(a: Any, b: Any, facts: Facts) -> int:
    """How many leading name tokens two neighbours share: 0 when the names part at once."""
    ta, tb = _tokens(a, facts), _tokens(b, facts)
    n = 0
    while n < min(len(ta), len(tb)) and ta[n] == tb[n]:
        n += 1
    return n


def _tokens(item: Any, facts: Facts) -> list[str]:
    if isinstance(item, Block):
        plain = item.name and " " not in item.name and item.kind != "model"
        return list(_split(item.name)) if plain else []
    layer = facts.layers[item]
    return [] if _automatic(layer) else list(_split(layer.name))


@functools.lru_cache(maxsize=4096)
def _split(name: str) -> tuple[str, ...]:
    """Name tokens, each with the separator before it, so that joining them gives the name
    back: "block2a_se" -> ["block2", "a", "_se"] (EfficientNet's stage 2, block a)."""
    tokens: list[str] = []
    for i, part in enumerate(name.split("_")):
        sep = "_" if i else ""
        stage_block = re.fullmatch(r"([A-Za-z]+\d+)([A-Za-z]+)", part)
        if stage_block:
            tokens += [sep + stage_block.group(1), stage_block.group(2)]
        else:
            tokens.append(sep + part)
    return tuple(tokens)


def _automatic(layer: Any) -> bool:
    """True for a name made up for the user ("conv2d_7", fn.residual's "residual_3_add")."""
    return _made_up(type(layer).__name__, layer.name)


@functools.lru_cache(maxsize=4096)
def _made_up(class_name: str, name: str) -> bool:
    kind = re.sub(r"(?<=[a-z])(?=[A-Z])", "_", class_name).lower()
    made_up = rf"{re.escape(kind)}(_\d+)?|input_layer(_\d+)?|residual_\d+_(add|projection)"
    return re.fullmatch(made_up, name) is not None


def _group(items: list[Any], facts: Facts) -> list[Any]:
    """Cuts `items` at its narrowest places into blocks, recursively."""
    if len(items) <= 3:
        return items
    widths = _widths(items, facts)
    inner = range(1, len(items))
    narrow = min(widths[b] for b in inner)
    levels = {b: _name_level(items[b - 1], items[b], facts) for b in inner if widths[b] == narrow}
    first = min(levels.values())
    cuts = [b for b, level in levels.items() if level == first]
    chunks = [items[a:b] for a, b in zip([0, *cuts], [*cuts, len(items)], strict=True)]
    if len(chunks) == 1:
        return items
    chunks = _join_singletons(chunks, facts)
    if len(chunks) == 1:  # a plain chain: its layers are the finest level
        return items
    grouped = [chunk[0] if len(chunk) == 1 else _block(chunk, facts) for chunk in chunks]
    unnamed = [i for i, b in enumerate(grouped) if isinstance(b, Block) and not b.name]
    base = {}  # only automatic names inside: named by what it is, or by its neighbours
    for i in unnamed:
        residual = any(k in facts.residuals for k in grouped[i].members())
        base[i] = "residual block" if residual else _by_neighbour(grouped, i, facts)
    for i in unnamed:
        same = [j for j in unnamed if base[j] == base[i]]
        grouped[i].name = base[i] + (f" {same.index(i) + 1} of {len(same)}" if same[1:] else "")
    return grouped


def _by_neighbour(items: list[Any], i: int, facts: Facts) -> str:
    """'before mixed0' for a block whose layers all have automatic names."""
    for j in range(i + 1, len(items)):
        if _tokens(items[j], facts):
            return f"before {_display(items[j], facts)}"
    for j in range(i - 1, -1, -1):
        if _tokens(items[j], facts):
            return f"after {_display(items[j], facts)}"
    return f"block {i + 1}"


def _join_singletons(chunks: list[list[Any]], facts: Facts) -> list[list[Any]]:
    """Runs of three or more one-layer chunks (a stem, a chain) become one chunk.

    Outputs stay apart: an overview must show every head.
    """
    joined: list[list[Any]] = []
    run: list[Any] = []
    for chunk in [*chunks, []]:
        if len(chunk) == 1 and not isinstance(chunk[0], Block) and chunk[0] not in facts.outputs:
            run.append(chunk[0])
            continue
        if len(run) >= 3:
            joined.append(run)
        else:
            joined.extend([r] for r in run)
        run = []
        if chunk:
            joined.append(chunk)
    return joined


def _block(chunk: list[Any], facts: Facts) -> Block:
    return Block(_block_name(chunk, facts), "block", _group(chunk, facts))


def _block_name(chunk: list[Any], facts: Facts) -> str:
    """The names' common prefix ("conv2_block1"), a residual's name, or "first … last"."""
    tokens = [_tokens(item, facts) for item in chunk]
    tokens = [t for t in tokens if t]
    common: list[str] = []
    if len(tokens) == len(chunk):
        for parts in zip(*tokens, strict=False):
            if len(set(parts)) != 1:
                break
            common.append(parts[0])
    if common:
        return "".join(common)
    adds = [facts.layers[k] for k in _members_of(chunk) if k in facts.residuals]
    adds = [a.name for a in adds if not _automatic(a)]
    if len(adds) == 1 and adds[0].endswith("_add"):
        return adds[0].removesuffix("_add")  # fn.residual's block name
    named = [item for item in chunk if _tokens(item, facts)]  # Keras's names say nothing
    if not named:
        return ""  # named after its neighbours by the caller
    first, last = (_display(item, facts) for item in (named[0], named[-1]))
    return first if first == last else f"{first} … {last}"


def _members_of(chunk: list[Any]) -> list[str]:
    return [k for item in chunk for k in _members(item)]


def _display(item: Any, facts: Facts) -> str:
    return item.name if isinstance(item, Block) else str(facts.layers[item].name)


def _with_trunk(items: list[Any], facts: Facts) -> list[Any]:
    """Several heads on one trunk: the trunk is one block, then the heads' layers."""
    reach = _reached_outputs(items, facts)
    n = 0
    while n < len(items) and reach[n] == set(facts.outputs):
        n += 1
    if n < 4 or n == len(items):
        return _group(items, facts)
    return [Block("trunk", "trunk", _group(items[:n], facts)), *_group(items[n:], facts)]


def _reached_outputs(items: list[Any], facts: Facts) -> list[set[str]]:
    """For each item, the output layers that depend on it."""
    succ = facts.successors()
    reach: dict[str, set[str]] = {}
    for k in reversed([k for item in items for k in _members(item)]):  # consumers first
        reach[k] = ({k} & set(facts.outputs)).union(*(reach.get(n, set()) for n in succ[k]))
    return [set().union(*(reach[k] for k in _members(item))) for item in items]
