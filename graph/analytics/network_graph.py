"""The graph of a learning-network proposal (:attr:`LearningNetworks.graph`): hubs, members,
topics and events with tooltips and sources; built on first use. Kreis/Verband members are added
by :func:`lernnetz.graph.analytics.place_candidates.add_place_nodes`."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np

from lernnetz.graph.analytics.context import _Context
from lernnetz.graph.analytics.frames import _f, _rows

if TYPE_CHECKING:
    from lernnetz.graph.analytics.networks import LearningNetworks


def network_graph(
    ctx: _Context, result: LearningNetworks, pair_of: dict[tuple[int, str], tuple[float, float, list[str]]]
) -> nx.Graph:
    G: nx.Graph = nx.Graph(title="lernnetz learning networks", attribution=ctx.attribution, **{
        k: v for k, v in result.params.items() if k in {"topic", "radius_km", "max_size", "seed"}
    })  # fmt: skip
    if result.groups.empty:
        return G
    topic_nodes: dict[str, list[tuple[float, float]]] = defaultdict(list)
    event_nodes: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for g in _rows(result.groups):
        h = ctx.projects[g.hub_project]
        pnode = f"project:{h.id}"
        alat = _f(ctx.lat[h.anchor]) if h.anchor >= 0 else None
        alon = _f(ctx.lon[h.anchor]) if h.anchor >= 0 else None
        if pnode in G:  # a hub leading several groups is one node (its territory is the hub)
            groups_of = G.nodes[pnode]["groups"]
            groups_of.append(int(g.group_id))
        else:
            groups_of = [int(g.group_id)]
        G.add_node(
            pnode,
            kind="project",
            groups=groups_of,
            label=h.name,
            lat=alat,
            lon=alon,
            population=h.population,
            group=groups_of[0],
            title=(
                f"{h.name} — Modellprojekt Smart Cities, round {h.round}, category {h.category}\n"
                f"topics: {', '.join(ctx.topic_labels.get(t, t) for t in sorted(h.topics))}\n"
                f"territory: {len(h.territory)} Gemeinde(n), population {h.population:,}\n"
                f"source: {h.source}"
            ),
        )
        for t in g.topics:
            if t in h.topics:
                G.add_edge(pnode, f"topic:{t}", label="addresses", kind="addresses")
                if alat is not None and alon is not None:
                    topic_nodes[t].append((alat, alon))
        for a in g.members:
            if a not in ctx.pos_of:  # a Kreis or Verband: add_place_nodes
                continue
            c = int(ctx.positions([a])[0])
            w, km, ts = pair_of[(c, h.id)]
            lines = [
                f"{ctx.name[c]} ({a}), {ctx.district[c]}, {ctx.state[c]}",
                f"population {int(ctx.population[c]):,}; not funded",
            ]
            for t in ts:
                for e in ctx.evidence[c][t]:
                    lines.append(
                        f"{ctx.topic_labels.get(t, t)}: {e.via} {e.kind} {e.date} "
                        f"{('event ' + e.event_id + ' ') if e.event_id else ''}(source: {e.source})"
                    )
                    if e.via == "event" and e.event_id:
                        event_nodes[e.event_id].append((float(ctx.lat[c]), float(ctx.lon[c])))
                        G.add_edge(
                            f"municipality:{a}", f"event:{e.event_id}", label="attended", kind="attended"
                        )
            G.add_node(
                f"municipality:{a}",
                kind="candidate",
                label=ctx.name[c],
                lat=_f(ctx.lat[c]),
                lon=_f(ctx.lon[c]),
                population=int(ctx.population[c]),
                group=int(g.group_id),
                title="\n".join(lines),
            )
            G.add_edge(
                f"municipality:{a}",
                pnode,
                label=f"{', '.join(ctx.topic_labels.get(t, t) for t in ts)} · {km:.1f} km",
                kind="member",
                weight=round(float(w), 6),
                distance_km=round(float(km), 3),
            )
            for t in ts:
                topic_nodes[t].append((float(ctx.lat[c]), float(ctx.lon[c])))
    for t, pts in sorted(topic_nodes.items()):
        G.add_node(
            f"topic:{t}",
            kind="topic",
            label=ctx.topic_labels.get(t, t),
            lat=float(np.mean([p[0] for p in pts])),
            lon=float(np.mean([p[1] for p in pts])),
            population=0,
            title=f"Topic: {ctx.topic_labels.get(t, t)} ({t}); IDF {ctx.idf.get(t, 0):.2f}",
        )
    for e_id, pts in sorted(event_nodes.items()):
        ev = ctx.events.get(e_id, {})
        place = (
            ctx.positions([ev.get("place_key", "")]) if ev.get("place_key") else np.array([], dtype=np.int64)
        )
        lat = float(ctx.lat[place[0]]) if len(place) else float(np.mean([p[0] for p in pts]))
        lon = float(ctx.lon[place[0]]) if len(place) else float(np.mean([p[1] for p in pts]))
        G.add_node(
            f"event:{e_id}",
            kind="event",
            label=ev.get("title") or e_id,
            lat=lat,
            lon=lon,
            population=0,
            title=f"{ev.get('kind', '')} {ev.get('date', '')}: {ev.get('title', '')}\nsource: {ev.get('source', '')}",
        )
        for t in ev.get("topics", []):
            if f"topic:{t}" in G:
                G.add_edge(f"event:{e_id}", f"topic:{t}", label="focus", kind="focus")
    return G
