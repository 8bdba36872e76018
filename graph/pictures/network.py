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
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx

from lernnetz.graph.jsonsafe import py

if TYPE_CHECKING:  # pragma: no cover - typing only
    from lernnetz.graph.store import GraphStore

ASSETS = Path(__file__).resolve().parent / "assets"
VIS_JS = ASSETS / "vis-network.min.js"
VIS_CSS = ASSETS / "vis-network.min.css"
VIS_VERSION = "9.1.9"

#: Mean Earth radius (km), as everywhere in lernnetz.
EARTH_RADIUS_KM = 6371.0088
#: The longer side of the graph's bounding box is scaled to about this many pixels.
CANVAS_PX = 1000.0
#: Above this many edges, edge labels are shown in the edge tooltip only.
EDGE_LABEL_LIMIT = 300
#: Up to this many nodes, overlapping nodes are nudged apart (:func:`separate`).
SEPARATE_LIMIT = 400
#: Edge kinds whose label stays in the tooltip (structure, not a reason to connect).
STRUCTURAL_EDGES = frozenset(
    {"territory", "addresses", "focus", "attended", "member_of", "in_district", "in_state"}
)
#: Above this many nodes, node labels are drawn only when zoomed in (vis ``scaling.label.drawThreshold``).
NODE_LABEL_LIMIT = 400

#: Style per node kind: colour, vis shape, legend text (German / English).
KIND_STYLE: dict[str, dict[str, str]] = {
    "project": {"color": "#c0392b", "shape": "diamond", "de": "Modellprojekt (MPSC)", "en": "model project"},
    "funded": {
        "color": "#2e86c1",
        "shape": "dot",
        "de": "geförderte Kommune",
        "en": "funded municipality (in a project's territory)",
    },
    "candidate": {
        "color": "#f39c12",
        "shape": "dot",
        "de": "nicht geförderte Kommune",
        "en": "candidate (not funded)",
    },
    "topic": {"color": "#27ae60", "shape": "box", "de": "Thema", "en": "topic"},
    "event": {"color": "#8e44ad", "shape": "triangle", "de": "Veranstaltung", "en": "event"},
    "other": {"color": "#7f8c8d", "shape": "dot", "de": "sonstiger Knoten", "en": "other node"},
}
KINDS = tuple(KIND_STYLE)

_PREFIX_KIND = {"Project": "project", "Topic": "topic", "Event": "event"}


def _num(value: Any) -> float | None:
    v = py(value)
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    return float(v)


# ---------------------------------------------------------------------------- layout


def node_kind(node: Any, attrs: Mapping[str, Any]) -> str:
    """The display kind of a node: its ``kind`` attribute, else inferred from a ``Kind:key`` id."""
    kind = attrs.get("kind")
    if isinstance(kind, str) and kind in KIND_STYLE:
        return kind
    prefix = str(node).split(":", 1)[0]
    if prefix == "Municipality":
        return "funded" if attrs.get("funded") else "candidate"
    return _PREFIX_KIND.get(prefix, "other")


def project_positions(coords: Mapping[Any, tuple[float, float]]) -> dict[Any, tuple[float, float]]:
    """Screen positions (pixels, y down) for ``{node: (lat, lon)}``.

    Equirectangular projection around the mean position (x = R·Δλ·cos φ0, y = −R·Δφ, in km),
    scaled so the longer side of the bounding box spans about :data:`CANVAS_PX` pixels
    (between 0.5 and 40 px per km). Distances in one graph keep their proportions within a
    fraction of a percent for regional graphs; a Germany-wide graph is distorted by ≤ ~7 %.
    """
    if not coords:
        return {}
    lats = [c[0] for c in coords.values()]
    lons = [c[1] for c in coords.values()]
    lat0, lon0 = sum(lats) / len(lats), sum(lons) / len(lons)
    k = math.cos(math.radians(lat0))
    km = {
        n: (
            EARTH_RADIUS_KM * math.radians(lon - lon0) * k,
            -EARTH_RADIUS_KM * math.radians(lat - lat0),
        )
        for n, (lat, lon) in coords.items()
    }
    xs = [p[0] for p in km.values()]
    ys = [p[1] for p in km.values()]
    extent = max(max(xs) - min(xs), max(ys) - min(ys))
    scale = min(40.0, max(0.5, CANVAS_PX / extent)) if extent > 0 else 10.0
    return {n: (x * scale, y * scale) for n, (x, y) in km.items()}


def layout(G: nx.Graph) -> dict[Any, tuple[float, float]]:
    """Pixel positions for every node of ``G`` (deterministic).

    Nodes with ``lat``/``lon`` are projected (:func:`project_positions`). Nodes sharing a
    position are spread on a small circle. Nodes without coordinates go beside the mean of
    their placed neighbours (golden-angle offsets), or, with no placed neighbour, in a row
    below the map.
    """
    coords: dict[Any, tuple[float, float]] = {}
    for n, a in G.nodes(data=True):
        lat, lon = _num(a.get("lat")), _num(a.get("lon"))
        if lat is not None and lon is not None:
            coords[n] = (lat, lon)
    pos = project_positions(coords)
    order = sorted(G.nodes, key=str)
    golden = math.pi * (3 - math.sqrt(5))
    unplaced = [n for n in order if n not in pos]
    orphans: list[Any] = []
    for i, n in enumerate(unplaced):
        near = [pos[m] for m in sorted(G.neighbors(n), key=str) if m in pos]
        if not near:
            orphans.append(n)
            continue
        cx = sum(p[0] for p in near) / len(near)
        cy = sum(p[1] for p in near) / len(near)
        r = 60.0 + 12.0 * (i % 5)
        pos[n] = (cx + r * math.cos(golden * (i + 1)), cy + r * math.sin(golden * (i + 1)))
    if orphans:
        bottom = max((p[1] for p in pos.values()), default=0.0) + 120.0
        left = min((p[0] for p in pos.values()), default=0.0)
        for j, n in enumerate(orphans):
            pos[n] = (left + 140.0 * (j % 8), bottom + 80.0 * (j // 8))
    # spread exact duplicates (a project drawn at its lead municipality's centre, …)
    groups: dict[tuple[int, int], list[Any]] = {}
    for n in order:
        x, y = pos[n]
        groups.setdefault((round(x), round(y)), []).append(n)
    for members in groups.values():
        if len(members) > 1:
            x, y = pos[members[0]]
            r = 14.0 + 2.0 * len(members)
            for j, n in enumerate(members):
                a = 2 * math.pi * j / len(members)
                pos[n] = (x + r * math.cos(a), y + r * math.sin(a))
    if len(order) <= SEPARATE_LIMIT:
        radii = [_footprint(n, G.nodes[n]) for n in order]
        pos = dict(zip(order, separate([pos[n] for n in order], radii), strict=True))
    return pos


def _footprint(node: Any, attrs: Mapping[str, Any]) -> float:
    """Approximate radius (px) a node covers: its size, or half the width of a labelled box."""
    kind = node_kind(node, attrs)
    r = node_size(attrs.get("population"), kind)
    if KIND_STYLE[kind]["shape"] == "box":
        r = max(r, 3.5 * len(str(attrs.get("label") or node)))
    return r


def separate(
    points: list[tuple[float, float]], radii: list[float], *, gap: float = 4.0, iterations: int = 80
) -> list[tuple[float, float]]:
    """Nudge overlapping circles apart (deterministic; pairs overlapping by d move d/2 each, damped).

    Geography stays: only nodes closer than the sum of their radii plus ``gap`` move, and only
    as far as needed. Used for graphs up to :data:`SEPARATE_LIMIT` nodes.
    """
    import numpy as np

    P = np.asarray(points, dtype=float).reshape(-1, 2)
    R = np.asarray(radii, dtype=float) + gap / 2
    n = len(P)
    if n < 2:
        return [(float(x), float(y)) for x, y in P]
    idx = np.arange(n)
    # fallback directions for coincident points: fixed angles by index
    fallback = np.stack([np.cos(idx * 2.399963), np.sin(idx * 2.399963)], axis=1)
    for _ in range(iterations):
        D = P[:, None, :] - P[None, :, :]
        dist = np.sqrt((D**2).sum(axis=2))
        need = R[:, None] + R[None, :]
        over = need - dist
        np.fill_diagonal(over, 0.0)
        if not (over > 0.05).any():
            break
        with np.errstate(invalid="ignore", divide="ignore"):
            U = np.where(
                dist[..., None] > 1e-9, D / dist[..., None], fallback[:, None, :] - fallback[None, :, :]
            )
        push = np.clip(over, 0.0, None)[..., None] * U * 0.5 * 0.6
        P = P + push.sum(axis=1)
    return [(float(x), float(y)) for x, y in P]


def node_size(population: Any, kind: str) -> float:
    """Node radius in pixels: 5 + √population / 25, capped at 45 (0 → 5, 1,000 → 6, 100,000 → 18, 1 M → 45)."""
    p = _num(population)
    fixed = {"project": 20.0, "topic": 14.0, "event": 14.0}
    if p is None or (p <= 0 and kind in fixed):  # no population: topics, events, projects without a figure
        return fixed.get(kind, 8.0)
    return min(45.0, 5.0 + math.sqrt(max(p, 0.0)) / 25.0)


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


@cache
def _vis_js() -> str:
    text = VIS_JS.read_text(encoding="utf-8")
    return re.sub(r"//# sourceMappingURL=\S*\s*$", "", text).replace("</script", "<\\/script")


@cache
def _vis_css() -> str:
    text = VIS_CSS.read_text(encoding="utf-8")
    return re.sub(r"/\*# sourceMappingURL=\S*\s*\*/\s*$", "", text).replace("</style", "<\\/style")


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
    status.textContent = 'rendered ' + network.body.nodeIndices.length + ' nodes';
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

#: What :func:`remote_references` looks for: any script, stylesheet or CSS import from the web.
REMOTE_REFERENCE = re.compile(
    r"<script\b[^>]*\bsrc\s*=\s*[\"']?\s*(?:https?:)?//"
    r"|<link\b[^>]*\bhref\s*=\s*[\"']?\s*(?:https?:)?//"
    r"|@import\s+(?:url\()?\s*[\"']?\s*(?:https?:)?//"
    r"|url\(\s*[\"']?\s*(?:https?:)?//",
    re.IGNORECASE,
)


def remote_references(page: str) -> list[str]:
    """Every place where ``page`` would load a script or stylesheet from the web (empty when offline)."""
    return [page[m.start() : m.start() + 120] for m in REMOTE_REFERENCE.finditer(page)]


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
        f"<style>{_vis_css()}</style>\n<script>{_vis_js()}</script>\n"
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


# ---------------------------------------------------------------------------- learning networks


def _default_attribution(params: Mapping[str, Any]) -> str:
    if params.get("attribution"):
        return str(params["attribution"])
    from lernnetz.loaders.register import attribution as destatis_attribution

    return destatis_attribution(str(params.get("stichtag", "")))


def learning_network_title(result: Any) -> tuple[str, str]:
    """(title, subtitle) for a :class:`lernnetz.graph.analytics.LearningNetworks` result."""
    params: Mapping[str, Any] = getattr(result, "params", {}) or {}
    region = params.get("region_name") or params.get("region") or ""
    if isinstance(region, Mapping):
        region = region.get("name") or region.get("key") or ""
    topic = params.get("topic_label") or params.get("topic") or "alle Themen / all topics"
    radius = params.get("radius_km")
    title = f"Lernnetzwerke / learning networks: {region} · {topic}"
    if radius is not None:
        title += f" · {_fmt(radius)} km"
    groups = getattr(result, "groups", None)
    members = getattr(result, "members", None)
    unassigned = getattr(result, "unassigned", None)
    parts = []
    if groups is not None:
        parts.append(f"{len(groups)} Gruppe(n) / group(s)")
    if members is not None:
        parts.append(f"{len(members)} Mitglieder / members")
    if unassigned is not None:
        parts.append(f"{len(unassigned)} nicht zugeordnet / unassigned")
    stability = _num(getattr(result, "stability", None))
    if stability is not None:
        parts.append(f"Stabilität / stability {stability:.2f}")
    return title, " · ".join(parts)


def learning_network_html(
    result: Any,
    path: str | Path | None = None,
    *,
    attribution: str | None = None,
    physics: bool = False,
) -> str:
    """The interactive page of a learning-network proposal (``lernnetz.graph.analytics.LearningNetworks``).

    Writes it to ``path`` when given; always returns the HTML. ``attribution`` defaults to
    ``result.params["attribution"]`` or the Destatis note for ``result.params["stichtag"]``;
    callers holding a store should pass ``store.info()["attribution"]``.
    """
    G = result.to_graph()
    params: Mapping[str, Any] = getattr(result, "params", {}) or {}
    title, subtitle = learning_network_title(result)
    page = network_html(
        G,
        title=title,
        subtitle=subtitle + f" · {G.number_of_nodes()} Knoten / nodes",
        physics=physics,
        attribution=attribution or _default_attribution(params),
    )
    if path is not None:
        _write_text(Path(path), page)
    return page


# ---------------------------------------------------------------------------- notebooks


@dataclass(frozen=True)
class NetworkView:
    """A written network page that displays inline in Jupyter.

    Displayed as ``<iframe srcdoc="…">`` holding the whole page, because:

    * an ``IFrame(src=path)`` only works when the notebook server serves that path under the
      same relative URL — true in classic Jupyter from the notebook's folder, not in JupyterLab
      (different URL layout), VS Code, or an exported notebook: the frame stays blank;
    * inserting the page as plain ``HTML`` runs vis-network's script in the notebook's own
      document: several views share (and overwrite) the global ``network``/``nodes`` variables,
      the page CSS leaks into the notebook, and some front ends do not run ``<script>`` in
      HTML output at all;
    * ``srcdoc`` gives the page its own document, needs no server and no network (everything is
      inlined), and works the same in classic Jupyter and JupyterLab. The frame is sandboxed
      (``allow-scripts`` only).

    The cost: the page (about 1 MB) is stored in the notebook's output — commit notebooks
    without outputs.
    """

    path: Path
    html: str
    height: int = 780

    def _repr_html_(self) -> str:
        return (
            f'<iframe srcdoc="{html.escape(self.html, quote=True)}" width="100%" height="{self.height}" '
            'style="border:1px solid #ddd" sandbox="allow-scripts" '
            f'title="{html.escape(self.path.name)}"></iframe>'
        )

    def __repr__(self) -> str:
        return f"NetworkView({str(self.path)!r}, {len(self.html):,} characters)"


def show_network(
    G_or_result: Any,
    path: str | Path,
    *,
    title: str | None = None,
    attribution: str | None = None,
    physics: bool = False,
    height: int = 780,
) -> NetworkView:
    """Write the interactive page for a graph or a learning-network result and return a
    :class:`NetworkView` that displays it inline in classic Jupyter and JupyterLab."""
    p = Path(path)
    if isinstance(G_or_result, nx.Graph):
        page = network_html(
            G_or_result,
            title=title or p.stem,
            physics=physics,
            attribution=attribution or _default_attribution(G_or_result.graph),
        )
        _write_text(p, page)
    else:
        page = learning_network_html(G_or_result, p, attribution=attribution, physics=physics)
    return NetworkView(path=p, html=page, height=height)


# ---------------------------------------------------------------------------- subgraphs from a store


def store_subgraph(store: GraphStore, ags: Iterable[str], *, with_projects: bool = True) -> nx.Graph:
    """A display graph of municipalities (and the projects whose territory touches them).

    Nodes ``Municipality:<ags>`` (kind funded/candidate) and ``Project:<id>`` (kind project,
    placed at its lead key's centre, or its territory's mean position); edges MEMBER_OF from each
    municipality in a project's territory to the project. For quick looks and benchmarks; the
    analytics give richer graphs (``learning_networks(...).to_graph()``).
    """
    keys = sorted(set(ags))
    m = store.municipalities(keys)
    G = nx.Graph()
    for r in m.itertuples(index=False):
        G.add_node(
            f"Municipality:{r.ags}",
            kind="funded" if bool(r.funded) else "candidate",
            label=str(r.name),
            lat=_num(r.lat),
            lon=_num(r.lon),
            population=py(r.population),
            title=(
                f"{r.name} (AGS {r.ags})\nEinwohner / population: {_fmt(r.population)}\n"
                f"{'gefördert / funded' if bool(r.funded) else 'nicht gefördert / not funded'}\n"
                f"Quelle / source: {r.source} ({r.ref_date})"
            ),
        )
    if not with_projects or m.empty:
        return G
    terr = store.territories()
    terr = terr[terr["ags"].isin(set(m["ags"]))]
    if terr.empty:
        return G
    projects = store.projects().set_index("id")
    pos = m.set_index("ags")[["lat", "lon"]]
    all_pos = store.municipalities(sorted(set(terr["ags"])))[["ags", "lat", "lon"]].set_index("ags")
    for pid, rows in terr.groupby("project_id", sort=True):
        p = projects.loc[pid]
        lead = str(p["lead_key"])
        if lead in all_pos.index:
            lat, lon = all_pos.loc[lead, "lat"], all_pos.loc[lead, "lon"]
        else:
            here = pos.loc[[a for a in rows["ags"] if a in pos.index]]
            lat, lon = here["lat"].mean(), here["lon"].mean()
        G.add_node(
            f"Project:{pid}",
            kind="project",
            label=str(p["label"] or p["name"]),
            lat=_num(lat),
            lon=_num(lon),
            title=(
                f"{p['name']}\nModellprojekt / model project, Staffel / round {p['round']}, {p['category']}\n"
                f"Gebiet / territory: {_fmt(p['territory_size'])} Gemeinden\nQuelle / source: {p['source']}"
            ),
        )
        for a in rows["ags"]:
            G.add_edge(f"Municipality:{a}", f"Project:{pid}", type="MEMBER_OF", label="")
    _add_ties(store, G)
    return G


def _add_ties(store: GraphStore, G: nx.Graph) -> None:
    """The typed KTS ties (curated and imported) between nodes already drawn."""
    for r in store.relations().itertuples(index=False):
        u = f"{'Project' if r.from_kind == 'project' else 'Municipality'}:{r.from_key}"
        v = f"{'Project' if r.to_kind == 'project' else 'Municipality'}:{r.to_key}"
        if u in G and v in G:
            G.add_edge(u, v, type=str(r.type), label=str(r.type).replace("_", " ").lower(),
                       title=f"{r.type} ({r.source})")  # fmt: skip
