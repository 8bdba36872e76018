"""The learning-network page: who meets whom, one colour per group, on a map of Kreise.

Built from the public result of :func:`lernnetz.graph.analytics.learning_networks`: the tables
``groups``, ``members`` and ``unassigned`` and :meth:`to_graph` (for evidence texts and events).
Extra columns are ignored; missing optional ones (``lat``/``lon`` of unassigned candidates)
only leave things out.

What the page shows, and why (issue 14):

* **One colour per group** (hub = diamond, members = dots), a legend naming each group's hub,
  topics and size. The hub's territory is one node (at its population-weighted centre), not one
  dot per Gemeinde; its Gemeinden are named in its tooltip and found by the search.
* **Geography**: Kreis and Land outlines (BKG, when boundaries are available) drawn beneath the
  nodes in the same projection (:mod:`lernnetz.graph.pictures.outlines`).
* **Readable**: labels are placed in the browser, greedily by priority (hubs, then members by
  population, then the rest), in one of four spots around the node, never overlapping another
  label or node; the rest show when zoomed in. Edge text only on hover.
* **Far-away nodes** (events outside the map's area) go to a side list instead of stretching
  the map.
* Search, a filter by group and by topic, "save as PNG", tooltips and a details panel in German
  and English, names instead of AGS keys, one self-contained offline file.

The page script is ``assets/lernnetz-network.js`` (ours), vis-network is vendored.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd

from lernnetz.graph.jsonsafe import py
from lernnetz.graph.pictures.layout import Projection, _num
from lernnetz.graph.pictures.vendored import ASSETS, VIS_VERSION, remote_references, vis_css, vis_js

#: Group colours (colour-blind-friendly first, distinct hues); more groups get golden-angle hues.
PALETTE = (
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
    "#bcbd22", "#393b79", "#637939", "#843c39",
)  # fmt: skip
UNASSIGNED_COLOUR = "#b3b6b7"
EVENT_COLOUR = "#5d6d7e"
#: Events further than this share of the map's extent outside its box go to the side list.
OFFMAP_MARGIN = 0.15
PAGE_JS = ASSETS / "lernnetz-network.js"
PAGE_CSS = ASSETS / "lernnetz-network.css"
_AGS_IN_TEXT = re.compile(r"\s*\(\d{5,9}\)")


def group_colour(i: int) -> str:
    """The colour of the i-th group (0-based): the palette, then evenly spread hues."""
    if i < len(PALETTE):
        return PALETTE[i]
    hue = (i * 137.508) % 360
    return f"hsl({hue:.0f}, 65%, 42%)"


def _s(v: Any) -> str:
    v = py(v)
    return "" if v is None else str(v)


def _list(v: Any) -> list[str]:
    v = py(v)
    if isinstance(v, list | tuple):
        return [str(x) for x in v]
    return [] if v in (None, "") else [str(v)]


def _col(df: pd.DataFrame | None, name: str) -> bool:
    return df is not None and name in df.columns


def _records(df: Any) -> list[dict[str, Any]]:
    if not isinstance(df, pd.DataFrame) or df.empty:
        return []
    return [{str(k): py(v) for k, v in r.items()} for r in df.to_dict(orient="records")]


def _member_size(population: Any) -> float:
    p = _num(population) or 0.0
    return min(26.0, 5.0 + math.sqrt(max(p, 0.0)) / 30.0)


def _hub_size(population: float) -> float:
    return min(34.0, 14.0 + math.sqrt(max(population, 0.0)) / 60.0)


def _fmt_int(v: Any) -> str:
    n = _num(v)
    return "" if n is None else f"{int(n):,}".replace(",", ".")


def _fmt_km(v: Any) -> str:
    n = _num(v)
    return "" if n is None else f"{n:.1f}".replace(".", ",") + " km"


class _Topics:
    """Topic slug → German label, from the graph's topic nodes (slug as fallback)."""

    def __init__(self, G: nx.Graph) -> None:
        self.labels: dict[str, str] = {}
        for n, a in G.nodes(data=True):
            if str(a.get("kind")) == "topic" and ":" in str(n):
                self.labels[str(n).split(":", 1)[1]] = _s(a.get("label")) or str(n)

    def __call__(self, slug: str) -> str:
        return self.labels.get(slug, slug.replace("-", " "))

    def join(self, slugs: list[str]) -> str:
        return ", ".join(self(t) for t in slugs)


def learning_page_data(
    result: Any, *, store: Any = None, boundaries: str | Path | None = None
) -> dict[str, Any]:
    """Everything the page script draws, as JSON-ready data (tested directly, and by the browser)."""
    G: nx.Graph = result.to_graph()
    topics = _Topics(G)
    groups = _records(getattr(result, "groups", None))
    members_df = getattr(result, "members", None)
    members = _records(members_df)
    unassigned = _records(getattr(result, "unassigned", None))
    node_attr = {str(n): a for n, a in G.nodes(data=True)}

    def graph_node(kind: str, key: str) -> Mapping[str, Any]:
        for prefix in (kind, kind.capitalize()):
            found: Mapping[str, Any] | None = node_attr.get(f"{prefix}:{key}")
            if found is not None:
                return found
        return {}

    event_titles = {
        str(n).split(":", 1)[1]: _s(a.get("label")) for n, a in node_attr.items() if a.get("kind") == "event"
    }
    coords: dict[str, tuple[float, float]] = {}
    nodes: list[dict[str, Any]] = []
    group_out: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    topic_slugs: set[str] = set()
    hub_of_group: dict[int, str] = {}
    hub_nodes: dict[str, dict[str, Any]] = {}
    member_ids: dict[str, str] = {}  # ags -> node id
    for i, g in enumerate(groups):
        gid = int(g.get("group_id", i + 1))
        colour = group_colour(i)
        hub = _s(g.get("hub_project"))
        hub_name = _s(g.get("hub_name")) or _s(graph_node("project", hub).get("label")) or hub
        g_topics = _list(g.get("topics"))
        topic_slugs.update(g_topics)
        rows = [m for m in members if int(m.get("group_id", -1)) == gid]
        listed = set(_list(g.get("members")))  # the group's members by key; ``role`` says it too

        def is_member(m: dict[str, Any], listed: set[str] = listed) -> bool:
            role = _s(m.get("role"))
            return role == "member" if role else _s(m.get("ags")) in listed

        terr = [m for m in rows if not is_member(m)]
        mems = [m for m in rows if is_member(m)]
        terr_pop = sum(_num(m.get("population")) or 0.0 for m in terr)
        hub_id = f"hub:{hub}"
        hub_of_group[gid] = hub_id
        pts: list[tuple[float, float, float]] = []
        for m in terr:
            la, lo = _num(m.get("lat")), _num(m.get("lon"))
            if la is not None and lo is not None:
                pts.append((max(_num(m.get("population")) or 0.0, 1.0), la, lo))
        if pts:
            total = sum(p[0] for p in pts)
            lat = sum(p[0] * p[1] for p in pts) / total
            lon = sum(p[0] * p[2] for p in pts) / total
            coords[hub_id] = (lat, lon)
        else:
            a = graph_node("project", hub)
            la, lo = _num(a.get("lat")), _num(a.get("lon"))
            if la is not None and lo is not None:
                coords[hub_id] = (la, lo)
        terr_names = sorted(_s(m.get("name")) for m in terr)
        shown = ", ".join(terr_names[:12]) + (f" … (+{len(terr_names) - 12})" if len(terr_names) > 12 else "")
        project_title = _s(graph_node("project", hub).get("title")).split("\n")
        hub_tip = [
            f"{hub_name}",
            f"Drehscheibe (Modellprojekt Smart Cities) der Gruppe {gid} / hub (model project) of group {gid}",
            *(
                [f"Sitz / lead: {shown}"]  # the analytics give the hub as one row at its lead Gemeinde
                if all(_s(m.get("role")) == "hub" for m in terr)
                else [
                    f"Gebiet / territory: {len(terr)} Gemeinde(n), {_fmt_int(terr_pop)} Einwohner / inhabitants",
                    f"Gemeinden / municipalities: {shown}" if terr_names else "",
                ]
            ),
            f"Themen der Gruppe / group topics: {topics.join(g_topics)}",
            f"Mitglieder / members: {len(mems)}",
            *[line for line in project_title[1:] if line.startswith("source")],
        ]
        if hub_id in hub_nodes:  # a hub leading several groups is one node, in its first group's colour
            hub_node = hub_nodes[hub_id]
            hub_node["groups"].append(gid)
            hub_node["topics"] = sorted(set(hub_node["topics"]) | set(g_topics))
            hub_node["tip"] += (
                f"\nauch Gruppe / also group {gid}: {topics.join(g_topics)}, {len(mems)} Mitglieder / members"
            )
        else:
            hub_nodes[hub_id] = {
                "id": hub_id, "label": hub_name, "kind": "hub", "group": gid, "groups": [gid], "color": colour,
                "size": round(_hub_size(terr_pop), 1), "topics": g_topics,
                "tip": "\n".join(t for t in hub_tip if t), "also": terr_names, "priority": 0,
                "population": terr_pop,
            }  # fmt: skip
            nodes.append(hub_nodes[hub_id])
        for m in mems:
            ags = _s(m.get("ags"))
            nid = f"m:{ags}"
            member_ids[ags] = nid
            la, lo = _num(m.get("lat")), _num(m.get("lon"))
            level = _s(m.get("level"))  # a Kreis or Verband member is a node of its own level
            a = graph_node("municipality" if level in ("", "gemeinde") else level, ags)
            if la is None or lo is None:
                la, lo = _num(a.get("lat")), _num(a.get("lon"))
            if la is not None and lo is not None:
                coords[nid] = (la, lo)
            name = _s(m.get("name")) or _s(a.get("label")) or ags
            title = _s(a.get("title")).split("\n")
            where = _AGS_IN_TEXT.sub("", title[0]) if title and title[0] else name
            shared = _list(m.get("shared_topics"))
            evidence = [_evidence(line, event_titles) for line in title[2:] if line.strip()]
            km = _fmt_km(m.get("distance_km"))
            member_tip = [
                where,
                f"nicht gefördert / not funded · {_fmt_int(m.get('population'))} Einwohner / inhabitants",
                f"Gruppe / group {gid}: trifft / meets {hub_name}" + (f" ({km} zum Gebiet / to its territory)" if km else ""),
                f"Gemeinsame Themen / shared topics: {topics.join(shared)}",
                "Belege / evidence:" if evidence else "",
                *[f"  {line}" for line in evidence],
            ]  # fmt: skip
            nodes.append(
                {
                    "id": nid, "label": name, "kind": "member", "group": gid, "color": colour,
                    "size": round(_member_size(m.get("population")), 1), "topics": shared,
                    "tip": "\n".join(t for t in member_tip if t), "also": [], "priority": 1,
                    "population": _num(m.get("population")) or 0.0,
                }
            )  # fmt: skip
            edges.append(
                {
                    "from": nid, "to": hub_id, "kind": "member", "color": colour,
                    "text": f"{topics.join(shared)} · {km}",
                    "tip": f"{name} — {hub_name}\nGemeinsame Themen / shared topics: {topics.join(shared)}\n"
                    f"Entfernung / distance: {km}",
                }
            )  # fmt: skip
        group_out.append(
            {
                "id": gid, "hub": hub_id, "hubName": hub_name, "color": colour, "size": len(mems),
                "topics": g_topics, "topicLabels": [topics(t) for t in g_topics], "territory": len(terr),
            }
        )  # fmt: skip

    # candidates not assigned: on the map (grey) when we know where they are, else in the side list
    unassigned_pos = _unassigned_positions(unassigned, store)
    side_unassigned: list[dict[str, Any]] = []
    for u in unassigned:
        ags, name = _s(u.get("ags")), _s(u.get("name")) or _s(u.get("ags"))
        tip = f"{name}\nnicht zugeordnet / not assigned: {_s(u.get('reason'))}"
        if ags in unassigned_pos:
            nid = f"u:{ags}"
            coords[nid] = unassigned_pos[ags][:2]
            nodes.append(
                {
                    "id": nid, "label": name, "kind": "unassigned", "group": None, "color": UNASSIGNED_COLOUR,
                    "size": 4.0, "topics": [], "tip": tip, "also": [], "priority": 3,
                    "population": unassigned_pos[ags][2],
                }
            )  # fmt: skip
        else:
            side_unassigned.append({"label": name, "tip": tip})

    # the map's area: hubs, members and unassigned candidates
    lats = [c[0] for c in coords.values()]
    lons = [c[1] for c in coords.values()]
    bbox = (min(lons), min(lats), max(lons), max(lats)) if coords else (5.8, 47.2, 15.1, 55.1)
    mx, my = (bbox[2] - bbox[0]) * OFFMAP_MARGIN + 0.05, (bbox[3] - bbox[1]) * OFFMAP_MARGIN + 0.05

    offmap: list[dict[str, Any]] = []
    for ev_id, a in sorted(node_attr.items()):
        if str(a.get("kind")) != "event":
            continue
        attendees = sorted(
            member_ids[str(v).split(":", 1)[1]]
            for v in G.neighbors(ev_id)
            if str(v).split(":", 1)[-1] in member_ids
        )
        if not attendees:
            continue
        names = sorted({str(nd["label"]) for nd in nodes if nd["id"] in attendees})
        label = _s(a.get("label")) or ev_id
        ev_tip = f"{label}\nVeranstaltung / event: {_s(a.get('title')).split(chr(10))[0]}\nbesucht von / attended by: {', '.join(names)}"
        la, lo = _num(a.get("lat")), _num(a.get("lon"))
        inside = (
            la is not None
            and lo is not None
            and bbox[0] - mx <= lo <= bbox[2] + mx
            and bbox[1] - my <= la <= bbox[3] + my
        )
        if not inside:
            offmap.append({"label": label, "tip": ev_tip, "kind": "event", "attendees": names})
            continue
        eid = f"e:{ev_id.split(':', 1)[-1]}"
        coords[eid] = (float(la), float(lo))  # type: ignore[arg-type]
        nodes.append(
            {
                "id": eid, "label": label, "kind": "event", "group": None, "color": EVENT_COLOUR, "size": 9.0,
                "topics": [], "tip": ev_tip, "also": [], "priority": 2, "population": 0.0,
            }
        )  # fmt: skip
        for who in attendees:
            edges.append({"from": who, "to": eid, "kind": "attended", "color": "#aab7b8", "text": "besucht / attended",
                          "tip": f"{label}\nbesucht von / attended by: {', '.join(names)}"})  # fmt: skip

    projection = Projection.fit(coords, canvas_px=900.0)
    placed = [n for n in nodes if n["id"] in coords]
    for n in placed:
        x, y = projection(*coords[n["id"]])
        n["x"], n["y"] = round(x, 1), round(y, 1)
    _spread_duplicates(placed)
    for n in nodes:
        if n["id"] not in coords:
            side_unassigned.append({"label": n["label"], "tip": n["tip"]})
    outline_data: dict[str, Any] = {"kreise": [], "laender": [], "attribution": ""}
    if boundaries is not None and coords:
        from lernnetz.graph.pictures.outlines import outlines, territories

        outline_data = outlines(boundaries, projection, bbox).as_json()
        outline_data["territories"] = territories(boundaries, projection, group_out, members)
    return {
        "groups": group_out,
        "topics": [{"slug": t, "label": topics(t)} for t in sorted(topic_slugs, key=topics)],
        "nodes": placed,
        "edges": [e for e in edges if e["from"] in coords and e["to"] in coords],
        "offmap": offmap,
        "unplaced": side_unassigned,
        "outlines": outline_data,
    }


#: Evidence words of the analytics' tooltips, in German and English.
_EVIDENCE_WORDS = {
    "interest registered": "Interesse angemeldet / registered interest",
    "interest survey": "Umfrage / survey",
    "interest attended": "Teilnahme / attended",
    "interest peer-learning": "Peer-Learning",
    "event attended": "Veranstaltung besucht / attended event",
    "event registered": "zu Veranstaltung angemeldet / registered for event",
    "event peer-learning": "Peer-Learning-Veranstaltung / peer-learning event",
    "event survey": "Umfrage zu Veranstaltung / event survey",
}
_EVENT_REF = re.compile(r"\bevent (?!attended|registered|survey|peer-learning)([A-Za-z][\w.-]*) ")


def _evidence(line: str, event_titles: Mapping[str, str]) -> str:
    """One evidence line with German/English words and event titles instead of event ids."""
    line = _EVENT_REF.sub(lambda m: f"„{event_titles.get(m[1], m[1])}“ ", line)
    for en, both in _EVIDENCE_WORDS.items():
        line = line.replace(f": {en} ", f": {both} ")
    return line.replace("(source: ", "(Quelle / source: ")


def _spread_duplicates(nodes: list[dict[str, Any]]) -> None:
    """Nodes at one spot (a hub at its only Gemeinde's centre and an event there) on a small circle."""
    at: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for n in nodes:
        at.setdefault((round(n["x"] / 4), round(n["y"] / 4)), []).append(n)
    for same in at.values():
        if len(same) < 2:
            continue
        for j, n in enumerate(same[1:], start=1):
            a = 2 * math.pi * j / (len(same) - 1)
            r = same[0]["size"] + n["size"] + 2
            n["x"] = round(n["x"] + r * math.cos(a), 1)
            n["y"] = round(n["y"] + r * math.sin(a), 1)


def _unassigned_positions(rows: list[dict[str, Any]], store: Any) -> dict[str, tuple[float, float, float]]:
    out: dict[str, tuple[float, float, float]] = {}
    for r in rows:
        la, lo = _num(r.get("lat")), _num(r.get("lon"))
        if la is not None and lo is not None:
            out[_s(r.get("ags"))] = (la, lo, _num(r.get("population")) or 0.0)
    missing = [_s(r.get("ags")) for r in rows if _s(r.get("ags")) not in out]
    if missing and store is not None:
        m = store.municipalities(missing)
        for ags, la, lo, pop in zip(m["ags"], m["lat"], m["lon"], m["population"], strict=True):
            if _num(la) is not None and _num(lo) is not None:
                out[str(ags)] = (float(la), float(lo), _num(pop) or 0.0)
    return out


@cache
def _page_js() -> str:
    return PAGE_JS.read_text(encoding="utf-8").replace("</script", "<\\/script")


@cache
def _page_css() -> str:
    return PAGE_CSS.read_text(encoding="utf-8")


def _json_for_script(data: Any) -> str:
    text = json.dumps(py(data), ensure_ascii=False, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def learning_page_html(
    data: Mapping[str, Any], *, title: str, subtitle: str, attribution: str, synthetic: bool
) -> str:
    """The whole page for :func:`learning_page_data`: one file, vis-network and our script inlined."""
    bkg = str(data.get("outlines", {}).get("attribution") or "")
    meta = {
        "title": title,
        "file": re.sub(r"[^0-9A-Za-z]+", "-", title).strip("-").lower()[:80] or "lernnetz",
    }
    warn = (
        '<p class="warn">Enthält synthetische Beteiligungsdaten (Demo) / contains synthetic '
        "participation data (demo, source=synthetic)</p>"
        if synthetic
        else ""
    )
    page = f"""<!DOCTYPE html>
<html lang="de">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{vis_css()}</style>
<style>{_page_css()}</style>
<script>{vis_js()}</script>
</head>
<body>
<div id="lernnetz-header">
<h1>{html.escape(title)}</h1>
<p class="sub">{html.escape(subtitle)}</p>
{warn}
<div id="lernnetz-toolbar">
<label>Suche / search <input id="lernnetz-search" type="search" list="lernnetz-names" placeholder="Name …"></label>
<datalist id="lernnetz-names"></datalist>
<label>Gruppe / group <select id="lernnetz-group"><option value="">alle / all</option></select></label>
<label>Thema / topic <select id="lernnetz-topic"><option value="">alle / all</option></select></label>
<button id="lernnetz-png" type="button">Als PNG speichern / save as PNG</button>
<span id="lernnetz-found" aria-live="polite"></span>
</div>
</div>
<div id="lernnetz-main">
<div id="lernnetz-network"></div>
<aside id="lernnetz-aside">
<div id="lernnetz-legend"></div>
<div id="lernnetz-info"><p class="hint">Knoten anklicken für Gründe / click a node for the reasons</p></div>
<div id="lernnetz-offmap"></div>
<div id="lernnetz-unplaced"></div>
</aside>
</div>
<div id="lernnetz-status" data-state="loading" data-expected-nodes="{len(data.get("nodes", []))}"></div>
<div id="lernnetz-footer">
<div id="lernnetz-attribution">Daten / data: {html.escape(attribution)}{"; Grenzen / boundaries: " + html.escape(bkg) if bkg else ""}</div>
<div>Erstellt mit lernnetz; Darstellung mit vis-network {VIS_VERSION} (MIT/Apache-2.0), eingebettet – funktioniert offline.
Position: Gemeindemittelpunkt (Destatis) / official centre point; Drehscheibe: Schwerpunkt ihres Gebiets / hub: centre of its territory.</div>
</div>
<script type="application/json" id="lernnetz-data">{_json_for_script(dict(data))}</script>
<script type="application/json" id="lernnetz-meta">{_json_for_script(meta)}</script>
<script>{_page_js()}</script>
</body>
</html>
"""
    leftovers = remote_references(page)
    if leftovers:
        raise RuntimeError(f"remote references left in the page: {leftovers[:3]}")
    return page
