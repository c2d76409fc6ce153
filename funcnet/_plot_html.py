"""The interactive page: one self-contained HTML file to zoom, pan, search and unfold.

The page holds the SVG of every layer, drawn once with each block as a Graphviz cluster,
and a few lines of script (no library, no network): the wheel zooms, dragging pans,
typing a layer name highlights it, hovering shows a layer's details, and each block
starts folded under a card with its name and size that unfolds on click. Folding covers
a block rather than re-drawing the graph, so the page needs no layout engine.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from typing import Any

from funcnet._plot_blocks import Block
from funcnet._render import render

_STYLE = """
body{margin:0;font:14px Helvetica,Arial,sans-serif;background:#fafafa}
#bar{position:fixed;top:0;left:0;right:0;z-index:2;display:flex;gap:8px;align-items:center;
padding:6px 10px;background:#fff;border-bottom:1px solid #ddd}
#bar input{width:260px;padding:3px 6px}
#hits{color:#555}
#detail{position:fixed;bottom:0;left:0;right:0;z-index:2;padding:5px 10px;background:#fff;
border-top:1px solid #ddd;min-height:1.2em;color:#333}
#view{position:fixed;top:40px;bottom:30px;left:0;right:0;overflow:hidden;cursor:grab}
#view svg{width:100%;height:100%}
.hit polygon,.hit path,.hit ellipse{stroke:#e8a200 !important;stroke-width:5px !important}
.fold rect{fill:#e8eef5;stroke:#4a6fa5;stroke-width:2;cursor:pointer}
.fold text{fill:#222;font:14px Helvetica,Arial,sans-serif;cursor:pointer}
"""

_SCRIPT = """
(function(){
const blocks = JSON.parse(document.getElementById('blocks').textContent);
const view = document.getElementById('view'), svg = view.querySelector('svg');
const graph = svg.querySelector('g.graph') || svg.querySelector('g');
const NS = 'http://www.w3.org/2000/svg';
const layer = document.createElementNS(NS, 'g'); graph.appendChild(layer);
const open = new Set(blocks[''].open), detail = document.getElementById('detail');
function box(id){ const g = document.getElementById('cluster:' + id);
  return g ? g.querySelector('path,polygon').getBBox() : null; }
function draw(){
  layer.replaceChildren();
  const visit = (ids, shown) => ids.forEach(id => { const b = blocks[id];
    if (shown && !open.has(id)) { card(id, b); }
    visit(b.children, shown && open.has(id)); });
  visit(blocks[''].children, true);
}
function card(id, b){ const r = box(id); if (!r) return;
  const g = document.createElementNS(NS, 'g'); g.setAttribute('class', 'fold');
  g.setAttribute('id', 'fold:' + b.name); g.dataset.block = id;
  const rect = document.createElementNS(NS, 'rect');
  for (const [k, v] of Object.entries({x:r.x, y:r.y, width:r.width, height:r.height, rx:8}))
    rect.setAttribute(k, v);
  g.appendChild(rect);
  [b.name + '  (click to unfold)', b.detail].forEach((t, i) => {
    const text = document.createElementNS(NS, 'text');
    text.setAttribute('x', r.x + r.width / 2); text.setAttribute('y', r.y + 22 + 18 * i);
    text.setAttribute('text-anchor', 'middle'); text.textContent = t; g.appendChild(text); });
  g.addEventListener('click', e => { e.stopPropagation(); open.add(id); draw(); });
  g.addEventListener('mouseover', () => { detail.textContent = b.name + ': ' + b.detail; });
  layer.appendChild(g);
}
let vb = svg.viewBox.baseVal, drag = null;
function fit(width){ const aspect = view.clientHeight / Math.max(view.clientWidth, 1);
  vb.width = width; vb.height = width * aspect; }
function show(el){ const r = el.getBoundingClientRect(), a = point({clientX:r.left,
  clientY:r.top}), b = point({clientX:r.right, clientY:r.bottom});
  fit(Math.max(600, 4 * (b.x - a.x)));
  vb.x = (a.x + b.x) / 2 - vb.width / 2; vb.y = (a.y + b.y) / 2 - vb.height / 2; }
const full = {x: vb.x, y: vb.y, width: vb.width};
fit(Math.max(full.width * 1.1, Math.min(900, 3 * full.width)));
vb.x = full.x + full.width / 2 - vb.width / 2; vb.y = full.y;
function zoom(f, cx, cy){ vb.x = cx - (cx - vb.x) * f; vb.y = cy - (cy - vb.y) * f;
  vb.width *= f; vb.height *= f; }
function point(e){ const p = svg.createSVGPoint(); p.x = e.clientX; p.y = e.clientY;
  return p.matrixTransform(svg.getScreenCTM().inverse()); }
view.addEventListener('wheel', e => { e.preventDefault(); const p = point(e);
  zoom(e.deltaY > 0 ? 1.15 : 1 / 1.15, p.x, p.y); }, {passive:false});
view.addEventListener('mousedown', e => { drag = point(e); view.style.cursor = 'grabbing'; });
window.addEventListener('mouseup', () => { drag = null; view.style.cursor = 'grab'; });
view.addEventListener('mousemove', e => { if (!drag) return; const p = point(e);
  vb.x -= p.x - drag.x; vb.y -= p.y - drag.y; });
svg.querySelectorAll('g.node').forEach(n => n.addEventListener('mouseover', () => {
  const a = n.querySelector('a'); detail.textContent = a ? (a.getAttribute('xlink:title')
    || a.getAttribute('title') || '') : n.id; }));
document.getElementById('search').addEventListener('input', e => {
  const q = e.target.value.trim().toLowerCase(); let hits = [];
  svg.querySelectorAll('g.node').forEach(n => { const name = n.id.replace(/^layer:/, '');
    const hit = q !== '' && name.toLowerCase().includes(q);
    n.classList.toggle('hit', hit); if (hit) hits.push(name); });
  Object.entries(blocks).forEach(([id, b]) => {
    if (hits.some(h => b.layers.includes(h))) open.add(id); });
  draw();
  document.getElementById('hits').textContent = q ? hits.length + ' found' : '';
  if (hits.length) { show(document.getElementById('layer:' + hits[0])); }
});
document.getElementById('unfold').addEventListener('click', () => {
  Object.keys(blocks).forEach(id => open.add(id)); draw(); });
document.getElementById('fold').addEventListener('click', () => { open.clear(); draw(); });
draw();
})();
"""


def page(
    model: Any, source: str, tree: list[Any], layers: Mapping[str, Any], depth: int | None = None
) -> str:
    """The self-contained HTML page of `source` (DOT with every block as a cluster).

    `layers` are the drawn layers by key (`Facts.layers`). Blocks above `depth` start
    unfolded; with no depth every block starts folded.
    """
    svg = render(source, "svg").data.decode()
    svg = svg[svg.index("<svg") :]  # drop the XML prolog and doctype: inline SVG has none
    blocks = _blocks_json(tree, model, layers, depth or 1)
    title = html.escape(model.name)
    data = json.dumps(blocks).replace("</", "<\\/")  # never closes the script element
    return (
        f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{title}</title>"
        f"<style>{_STYLE}</style></head><body>"
        "<div id='bar'><b>" + title + "</b>"
        "<input id='search' type='search' placeholder='search a layer name' autofocus>"
        "<span id='hits'></span><button id='unfold'>unfold all</button>"
        "<button id='fold'>fold all</button>"
        "<span style='color:#777'>wheel: zoom · drag: pan · click a block: unfold</span></div>"
        f"<div id='view'>{svg}</div><div id='detail'></div>"
        f"<script type='application/json' id='blocks'>{data}</script>"
        f"<script>{_SCRIPT}</script></body></html>\n"
    )


def _blocks_json(
    tree: list[Any], model: Any, layers: Mapping[str, Any], depth: int
) -> dict[str, Any]:
    """Block key -> name, detail, layer names inside, child block keys; "" is the top,
    with the keys of the blocks that start unfolded."""
    found: dict[str, Any] = {}
    unfolded: list[str] = []

    def visit(items: list[Any], level: int = 1) -> list[str]:
        keys = []
        for item in items:
            if isinstance(item, Block):
                members = item.members()
                found[item.key] = {
                    "name": item.name,
                    "detail": f"{len(members)} layers",
                    "layers": [layers[k].name if k in layers else k for k in members],
                    "children": visit(item.children, level + 1),
                }
                keys.append(item.key)
                if level < depth:
                    unfolded.append(item.key)
        return keys

    top = visit(tree)
    found[""] = {"name": model.name, "detail": "", "layers": [], "children": top}
    found[""]["open"] = unfolded
    return found
