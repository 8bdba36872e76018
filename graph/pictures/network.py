"""Interactive network pages: a learning network or any subgraph as one offline HTML file.

pyvis (pinned 0.3.2) sits behind :func:`network_html` only, so the renderer can be swapped.
What this module adds on top of pyvis, and why (see ``../shared/reference/users-and-peers.md`` §4):

* **Offline.** pyvis's ``cdn_resources="in_line"`` still links Bootstrap from a CDN. The page is
  post-processed: every ``http(s)://`` ``<script src>`` / ``<link href>`` is removed and the
  vendored vis-network (``graph/assets/``, MIT/Apache-2.0, see its README) is inlined instead.
  The page works from ``file://`` with the network disconnected.
* **Geography, not physics.** Nodes are placed by their official centre coordinates, projected
  equirectangularly around the graph's mean latitude (km, y pointing north → screen y inverted)
  and scaled to pixels. Physics is off by default (switchable); large graphs render at once.
  Nodes without coordinates (topics, virtual events) are placed beside their neighbours.
* **JSON-safe.** numpy/pandas scalars are cast to Python types before they reach pyvis.
* **Readable.** Colour and shape by kind, size by population (square-root scale), edge labels
  (shared topics and distance; on graphs with more than :data:`EDGE_LABEL_LIMIT` edges the labels
  move into the edge tooltip so the page stays usable), hover tooltips with facts and sources
  (plain text, rendered as text, never as HTML), a legend, a title and the data attribution.
* **Testable.** After vis-network has drawn the first frame the page writes what it rendered
  (node and edge counts, canvas size, milliseconds since navigation start, script errors) into
  the ``data-*`` attributes of ``<div id="lernnetz-status">``; the browser test and the
  benchmark read them.

:func:`show_network` is the notebook helper: it writes the file and returns an object that
displays inline (an ``<iframe srcdoc=…>``; see :class:`NetworkView` for why).
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx

from lernnetz.graph.jsonsafe import py
from lernnetz.graph.pictures.layout import (
    CANVAS_PX,
    EARTH_RADIUS_KM,
    KIND_STYLE,
    KINDS,
    SEPARATE_LIMIT,
    Projection,
    _num,
    layout,
    node_kind,
    node_size,
    project_positions,
    separate,
)
from lernnetz.graph.pictures.vendored import ASSETS, VIS_VERSION, remote_references, vis_css, vis_js

__all__ = [
    "ASSETS",
    "CANVAS_PX", "EARTH_RADIUS_KM", "EDGE_LABEL_LIMIT", "KINDS", "KIND_STYLE", "SEPARATE_LIMIT",
    "Projection", "layout", "network_html", "node_kind", "node_size",
    "project_positions", "remote_references", "separate", "write_network_html",
]  # fmt: skip

if TYPE_CHECKING:  # pragma: no cover - typing only
    pass


#: Above this many edges, edge labels are shown in the edge tooltip only.
EDGE_LABEL_LIMIT = 300
#: Edge kinds whose label stays in the tooltip (structure, not a reason to connect).
STRUCTURAL_EDGES = frozenset(
    {"territory", "addresses", "focus", "attended", "member_of", "in_district", "in_state"}
)
#: Above this many nodes, node labels are drawn only when zoomed in (vis ``scaling.label.drawThreshold``).
NODE_LABEL_LIMIT = 400


# ---------------------------------------------------------------------------- text


def _fmt(value: Any) -> str:
    v = py(value)
    if isinstance(v, float):
        return f"{v:,.2f}".rstrip("0").rstrip(".") if abs(v) < 1e6 else f"{v:,.0f}"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    if isinstance(v, list):
        return ", ".join(
            _fmt(x) if not isinstance(x, dict) else str(x.get("name", x.get("id", x))) for x in v
        )
    if isinstance(v, dict):
        return ", ".join(f"{k}={_fmt(x)}" for k, x in v.items())
    return "" if v is None else str(v)


_TOOLTIP_SKIP = {"title", "label", "kind", "x", "y", "color", "shape", "size", "physics", "font"}


def node_tooltip(node: Any, attrs: Mapping[str, Any], kind: str) -> str:
    """The node's ``title`` attribute if it has one, else its facts as ``key: value`` lines."""
    title = attrs.get("title")
    if isinstance(title, str) and title.strip():
        return title
    lines = [str(attrs.get("label") or node), KIND_STYLE[kind]["de"] + " / " + KIND_STYLE[kind]["en"]]
    for k in sorted(attrs):
        if k in _TOOLTIP_SKIP:
            continue
        text = _fmt(attrs[k])
        if text:
            lines.append(f"{k}: {text}")
    return "\n".join(lines)


def edge_label(attrs: Mapping[str, Any]) -> str:
    """The edge's ``label``, else shared topics and distance, else its type."""
    label = attrs.get("label")
    if isinstance(label, str) and label:
        return label
    parts = []
    topics = py(attrs.get("shared_topics"))
    if topics:
        parts.append(", ".join(str(t) for t in topics) if isinstance(topics, list) else str(topics))
    dist = _num(attrs.get("distance_km"))
    if dist is not None:
        parts.append(f"{dist:.1f} km")
    if not parts and attrs.get("type"):
        parts.append(str(attrs["type"]))
    return " · ".join(parts)


def edge_tooltip(u: Any, v: Any, attrs: Mapping[str, Any], G: nx.Graph) -> str:
    """``title`` if set, else both endpoint labels, the label and the edge's other facts."""
    title = attrs.get("title")
    if isinstance(title, str) and title.strip():
        return title
    a = G.nodes[u].get("label") or u
    b = G.nodes[v].get("label") or v
    lines = [f"{a} — {b}"]
    label = edge_label(attrs)
    if label:
        lines.append(label)
    for k in sorted(attrs):
        if k in {"label", "title", "shared_topics", "distance_km", "width", "color"}:
            continue
        text = _fmt(attrs[k])
        if text:
            lines.append(f"{k}: {text}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------- page


def _options(n_nodes: int, n_edges: int, physics: bool) -> dict[str, Any]:
    big = n_nodes > 1000
    opts: dict[str, Any] = {
        "autoResize": True,
        "layout": {"improvedLayout": False, "randomSeed": 42},
        "nodes": {
            "borderWidth": 1,
            "font": {
                "size": 14,
                "face": "Arial, Helvetica, sans-serif",
                "strokeWidth": 3,
                "strokeColor": "#ffffff",
            },
        },
        "edges": {
            "smooth": False,
            "color": {"color": "#9aa5b1", "highlight": "#34495e", "hover": "#34495e"},
            "font": {"size": 11, "align": "middle", "face": "Arial, Helvetica, sans-serif", "strokeWidth": 3},
            "width": 1.5,
        },
        "interaction": {
            "hover": True,
            "tooltipDelay": 120,
            "hideEdgesOnDrag": big,
            "hideEdgesOnZoom": big,
            "navigationButtons": False,
            "keyboard": {"enabled": True, "bindToWindow": False},
            "multiselect": True,
        },
        "physics": {
            "enabled": bool(physics),
            "solver": "forceAtlas2Based",
            "forceAtlas2Based": {"gravitationalConstant": -40, "springLength": 80, "avoidOverlap": 0.4},
            "stabilization": {"enabled": True, "iterations": 300, "updateInterval": 50, "fit": True},
        },
    }
    if n_nodes > NODE_LABEL_LIMIT:  # names appear once zoomed in (view font size ≥ 11 px)
        opts["nodes"]["font"]["size"] = 12
        opts["nodes"]["scaling"] = {"label": {"enabled": False, "drawThreshold": 12}}
    return opts


_PAGE_CSS = """
body { margin: 0; padding: 12px 18px; font-family: Arial, Helvetica, sans-serif; color: #1c2833; background: #fff; }
#lernnetz-header h1 { font-size: 22px; margin: 0 0 4px 0; }
#lernnetz-header .sub { font-size: 13px; color: #566573; margin: 0 0 8px 0; }
#lernnetz-header .warn { font-size: 13px; background: #fdebd0; border: 1px solid #f5b041; padding: 4px 8px;
  display: inline-block; margin: 0 0 8px 0; }
#lernnetz-legend { display: flex; flex-wrap: wrap; gap: 6px 16px; font-size: 13px; margin: 0 0 8px 0; }
#lernnetz-legend .item { display: inline-flex; align-items: center; gap: 6px; }
#lernnetz-legend .sw { display: inline-block; width: 12px; height: 12px; border: 1px solid #555; }
#lernnetz-legend .dot { border-radius: 50%; }
#lernnetz-legend .diamond { transform: rotate(45deg); width: 10px; height: 10px; }
#lernnetz-legend .triangle { width: 0; height: 0; border: none; border-left: 7px solid transparent;
  border-right: 7px solid transparent; border-bottom: 12px solid var(--c); background: none !important; }
#lernnetz-legend .note { color: #566573; }
#mynetwork { float: none !important; box-sizing: border-box; }
#lernnetz-status { font-size: 11px; color: #95a5a6; min-height: 13px; }
#lernnetz-footer { clear: both; font-size: 11px; color: #566573; margin-top: 8px; line-height: 1.4; }
div.vis-tooltip { max-width: 480px; white-space: normal; }
.lernnetz-tip { white-space: pre-line; font-family: Arial, Helvetica, sans-serif; font-size: 12px; }
"""

# Runs before the network is created: plain-text tooltips become elements (text, never HTML),
# script errors are recorded for the tests.
_PRE_JS = """
window.lernnetzErrors = [];
window.addEventListener('error', function (e) { window.lernnetzErrors.push(String(e.message)); });
function lernnetzPrepare(nodes, edges) {
  function tip(text) { var d = document.createElement('div'); d.className = 'lernnetz-tip'; d.textContent = text; return d; }
  [nodes, edges].forEach(function (ds) {
    var upd = [];
    ds.forEach(function (item) { if (typeof item.title === 'string') { upd.push({id: item.id, title: tip(item.title)}); } });
    if (upd.length) { ds.update(upd); }
  });
}
function lernnetzRendered(network) {
  network.once('afterDrawing', function () {
    var status = document.getElementById('lernnetz-status');
    var canvas = document.querySelector('#mynetwork canvas');
    status.setAttribute('data-nodes', String(network.body.data.nodes.length));
    status.setAttribute('data-drawn-nodes', String(network.body.nodeIndices.length));
    status.setAttribute('data-edges', String(network.body.data.edges.length));
    status.setAttribute('data-canvas', canvas ? canvas.width + 'x' + canvas.height : '');
    status.setAttribute('data-render-ms', performance.now().toFixed(1));
    status.setAttribute('data-physics', String(!!network.physics.options.enabled));
    status.setAttribute('data-errors', String(window.lernnetzErrors.length));
    status.setAttribute('data-state', 'rendered');
  });
}
"""

_LINK_HTTP = re.compile(r"<link\b[^>]*\bhref\s*=\s*[\"']?(?:https?:)?//[^>]*>", re.IGNORECASE | re.DOTALL)
_SCRIPT_HTTP = re.compile(
    r"<script\b[^>]*\bsrc\s*=\s*[\"']?(?:https?:)?//[^>]*>\s*</script\s*>", re.IGNORECASE | re.DOTALL
)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_CENTER_H1 = re.compile(r"<center>\s*<h1>.*?</h1>\s*</center>", re.DOTALL)
_PYVIS_VIS = re.compile(r"<script>/\*\*\s*\n \* vis-network.*?</script>", re.DOTALL)
_PYVIS_VIS_CSS = re.compile(r"<style>\.vis-overlay.*?</style>", re.DOTALL)


def _legend(kinds: Iterable[str]) -> str:
    items = []
    for k in kinds:
        st = KIND_STYLE[k]
        shape = {"dot": "dot", "diamond": "diamond", "triangle": "triangle"}.get(st["shape"], "")
        items.append(
            f'<span class="item" data-kind="{k}"><span class="sw {shape}" '
            f'style="background:{st["color"]};--c:{st["color"]}"></span>'
            f"{html.escape(st['de'])} / {html.escape(st['en'])}</span>"
        )
    items.append(
        '<span class="item note">Größe ∝ √Einwohner / size ∝ √population · '
        "Position: Gemeindemittelpunkt / official centre point</span>"
    )
    return '<div id="lernnetz-legend">' + "".join(items) + "</div>"


def _mentions_synthetic(G: nx.Graph) -> bool:
    def hit(attrs: Mapping[str, Any]) -> bool:
        return any("synthetic" in str(v) for v in attrs.values())

    return any(hit(a) for _, a in G.nodes(data=True)) or any(hit(a) for _, _, a in G.edges(data=True))


def network_html(
    G: nx.Graph,
    *,
    title: str,
    physics: bool = False,
    attribution: str,
    subtitle: str = "",
    height: str = "660px",
) -> str:
    """One self-contained, offline HTML page showing ``G``.

    Node attributes used: ``kind`` (project, funded, candidate, topic, event; inferred from a
    ``Kind:key`` node id when missing), ``label``, ``lat``/``lon`` (position), ``population``
    (size), ``title`` (tooltip; else all attributes as lines). Edge attributes: ``label``
    (else ``shared_topics`` and ``distance_km``, else ``type``), ``title``, ``weight`` (width).
    """
    from pyvis.network import Network

    pos = layout(G)
    n_nodes, n_edges = G.number_of_nodes(), G.number_of_edges()
    net = Network(
        height=height,
        width="100%",
        directed=G.is_directed(),
        notebook=False,
        cdn_resources="in_line",
        heading="",
    )
    kinds_present: list[str] = []
    for n in sorted(G.nodes, key=str):
        a = G.nodes[n]
        kind = node_kind(n, a)
        if kind not in kinds_present:
            kinds_present.append(kind)
        st = KIND_STYLE[kind]
        x, y = pos[n]
        net.add_node(
            str(n),
            label=str(py(a.get("label")) or n),
            title=node_tooltip(n, a, kind),
            shape=st["shape"],
            color={"background": st["color"], "border": "#2c3e50", "highlight": {"background": st["color"]}},
            size=round(node_size(a.get("population"), kind), 2),
            x=round(float(x), 2),
            y=round(float(y), 2),
            kind=kind,
        )
    show_labels = n_edges <= EDGE_LABEL_LIMIT
    for u, v in sorted(G.edges(), key=lambda e: (str(e[0]), str(e[1]))):
        a = G.edges[u, v]
        extra: dict[str, Any] = {"title": edge_tooltip(u, v, a, G)}
        label = edge_label(a)
        if show_labels and label and str(a.get("kind", "")).lower() not in STRUCTURAL_EDGES:
            extra["label"] = label
        w = _num(a.get("weight"))
        if w is not None and w > 0:
            extra["width"] = round(min(6.0, 1.0 + math.log1p(w)), 2)
        net.add_edge(str(u), str(v), **extra)
    net.options = _options(n_nodes, n_edges, physics)
    page = net.generate_html(notebook=False)
    kinds_order = [k for k in KINDS if k in kinds_present]
    return _postprocess(
        page,
        title=title,
        subtitle=subtitle
        or f"{n_nodes} Knoten / nodes · {n_edges} Kanten / edges"
        + (
            ""
            if show_labels
            else f" · Kantenbeschriftung im Tooltip / edge labels in tooltips (> {EDGE_LABEL_LIMIT} edges)"
        ),
        attribution=attribution,
        legend=_legend(kinds_order),
        synthetic=_mentions_synthetic(G),
        expected_nodes=n_nodes,
        physics=physics,
    )


def _postprocess(
    page: str,
    *,
    title: str,
    subtitle: str,
    attribution: str,
    legend: str,
    synthetic: bool,
    expected_nodes: int,
    physics: bool,
) -> str:
    """Make pyvis's page offline and add header, legend, footer and the render hook."""
    page = _COMMENT.sub("", page)
    page = _LINK_HTTP.sub("", page)
    page = _SCRIPT_HTTP.sub("", page)
    page = _CENTER_H1.sub("", page)
    vendored = (
        f"<style>{vis_css()}</style>\n<script>{vis_js()}</script>\n"
        f"<style>{_PAGE_CSS}</style>\n<script>{_PRE_JS}</script>"
    )
    page, count = _PYVIS_VIS.subn(lambda _m: vendored, page, count=1)
    if count != 1:  # pyvis changed its template: fail loudly rather than ship a page without vis
        raise RuntimeError("pyvis page layout not recognised: cannot inline vis-network")
    page = _PYVIS_VIS_CSS.sub("", page, count=1)
    page = page.replace("<html>", '<!DOCTYPE html>\n<html lang="de">', 1)
    page = page.replace(
        '<meta charset="utf-8">',
        '<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>",
        1,
    )
    header = (
        '<div id="lernnetz-header">'
        f"<h1>{html.escape(title)}</h1>"
        f'<p class="sub">{html.escape(subtitle)}</p>'
        + (
            '<p class="warn">Enthält synthetische Beteiligungsdaten (Demo) / contains synthetic '
            "participation data (demo, source=synthetic)</p>"
            if synthetic
            else ""
        )
        + legend
        + f'<div id="lernnetz-status" data-state="loading" data-expected-nodes="{expected_nodes}"></div>'
        + "</div>"
    )
    footer = (
        '<div id="lernnetz-footer">'
        f'<div id="lernnetz-attribution">Daten / data: {html.escape(attribution)}</div>'
        f"<div>Erstellt mit lernnetz; Darstellung mit vis-network {VIS_VERSION} (MIT/Apache-2.0), "
        "eingebettet – funktioniert offline. Physik / physics: "
        f"{'an / on' if physics else 'aus / off'}.</div>"
        "</div>"
    )
    body_start = page.index("<body>") + len("<body>")
    page = page[:body_start] + "\n" + header + page[body_start:]
    creation = "network = new vis.Network(container, data, options);"
    if creation not in page:
        raise RuntimeError("pyvis page layout not recognised: no network creation found")
    page = page.replace(
        creation, f"lernnetzPrepare(nodes, edges);\n{creation}\nlernnetzRendered(network);", 1
    )
    end = page.rindex("</body>")
    page = page[:end] + footer + "\n" + page[end:]
    leftovers = remote_references(page)
    if leftovers:
        raise RuntimeError(f"remote references left in the page: {leftovers[:3]}")
    return page


def write_network_html(
    G: nx.Graph,
    path: str | Path,
    *,
    title: str,
    physics: bool = False,
    attribution: str,
    subtitle: str = "",
) -> Path:
    """Write :func:`network_html` to ``path`` (UTF-8, atomically) and return the path."""
    page = network_html(G, title=title, physics=physics, attribution=attribution, subtitle=subtitle)
    return _write_text(Path(path), page)


def _write_text(path: Path, text: str) -> Path:
    from lernnetz.loaders.textio import write_text_atomic

    return write_text_atomic(path, text)
