"""``learning_networks``: regional learning networks around hub projects.

Definitions shared by every analytic (distance, funded, evidence, IDF, ordering) are in
:mod:`lernnetz.graph.analytics.context`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import numpy.typing as npt
import pandas as pd

from lernnetz.graph.analytics.basic import check_radius
from lernnetz.graph.analytics.context import (
    GROUP_COLUMNS,
    MATCH_HALF_LIFE_KM,
    MEMBER_COLUMNS,
    PEER_NEIGHBOURS,
    STABILITY_SEEDS,
    UNASSIGNED_COLUMNS,
    _Context,
    _context,
    _decay,
    _empty,
    _f,
    _near,
    _projects_near,
    _region,
    _rows,
)
from lernnetz.graph.analytics.notes import network_notes
from lernnetz.graph.analytics.place_candidates import network_rows
from lernnetz.graph.errors import InvalidArgument
from lernnetz.graph.geo import SpatialIndex, haversine_km
from lernnetz.graph.store import GraphStore

# ---------------------------------------------------------------------------- learning networks


@dataclass
class LearningNetworks:
    """Proposed learning networks (see :func:`learning_networks`)."""

    groups: pd.DataFrame
    members: pd.DataFrame
    unassigned: pd.DataFrame
    stability: float
    params: dict[str, Any]
    graph: nx.Graph = field(repr=False, default_factory=nx.Graph)
    #: When no group is proposed: why, and what would help.
    notes: list[str] = field(default_factory=list)

    def to_graph(self) -> nx.Graph:
        """A NetworkX graph of the proposal: nodes with ``kind`` (project, funded, candidate,
        topic, event), ``label``, ``lat``, ``lon``, ``population``, ``title`` (tooltip with
        sources) and ``group``; edges with ``label`` (shared topics and distance) and ``kind``."""
        return self.graph.copy()


def learning_networks(
    store: GraphStore,
    region: str,
    topic: str | None = None,
    radius_km: float = 50.0,
    max_size: int = 12,
    seed: int = 42,
) -> LearningNetworks:
    """Propose regional learning networks: one hub project each, with members that share
    the topic and lie within reach.

    * **Candidates**: the non-funded municipalities within ``radius_km`` of the region
      that have a topic (``topic`` if given).
    * **Hubs**: projects whose territory lies within ``radius_km`` of the region and that
      address a topic of some candidate (``topic`` if given).
    * **Feasible pair** (candidate c, hub h): they share a topic and c's distance to h's
      territory is ≤ ``radius_km`` ("within reach"). Pair weight w(c,h) =
      Σ_{shared t} IDF(t)·s(c,t) × 0.5^(d/30 km).
    * **Communities**: Louvain (``networkx.community.louvain_communities``, seeded with
      ``seed``, nodes and edges inserted in sorted order) on the graph of feasible pairs
      plus candidate–candidate edges to each candidate's 8 nearest fellow candidates
      (if they share topics and are ≤ ``radius_km`` apart; weight Σ IDF·min(s) × decay). Each candidate prefers the feasible hub of its own community
      with the largest w, then its other feasible hubs by w (ties: distance, id).
    * **Capacity**: a hub takes at most ``max_size`` members; candidates propose in order
      of preference and each hub keeps the ones with the largest w (deferred acceptance,
      ties by AGS) — deterministic.
    * **Unassigned** candidates carry the reason: no project within reach shares their
      topics (nearest such project named), or every such project is full.
    * **Stability**: the mean adjusted Rand index between the assignment with ``seed``
      and those with the next 9 seeds (1.0 = the same groups whatever the seed).

    Groups are ordered by size (desc) and hub id; ``group_id`` counts from 1.
    """
    radius_km = check_radius(radius_km)
    if not 1 <= int(max_size) <= 200:
        raise InvalidArgument(f"max_size must be between 1 and 200 (got {max_size})")
    ctx = _context(store)
    reg = _region(store, ctx, region)
    wanted = ctx.topic_args([topic]) if topic is not None else None
    allowed = frozenset(wanted) if wanted is not None else None
    pos, near_km = _near(store, ctx, reg, radius_km)
    keep = ~ctx.funded[pos] & ctx.mask(wanted)[pos]
    cands = sorted(pos[keep].tolist())
    hubs = {
        pid: (ctx.projects[pid].topics if allowed is None else ctx.projects[pid].topics & allowed)
        for pid in _projects_near(ctx, pos)
    }
    hubs = {pid: ts for pid, ts in hubs.items() if ts}
    params: dict[str, Any] = {
        "region": reg.as_dict(),
        "topic": wanted[0] if wanted else None,
        "radius_km": radius_km,
        "reach_km": radius_km,
        "max_size": int(max_size),
        "seed": int(seed),
        "stability_seeds": list(range(int(seed), int(seed) + STABILITY_SEEDS)),
        "algorithm": "seeded Louvain on candidate–hub and candidate–candidate topic/proximity weights, "
        "then capacity-limited deferred acceptance to one hub per member",
        "attribution": ctx.attribution,
    }
    cand_topics = {c: ctx.topics_of(c, allowed) for c in cands}

    # feasible pairs
    pairs: dict[int, list[tuple[float, float, str, list[str]]]] = defaultdict(list)
    nearest_sharing: dict[int, tuple[float, str]] = {}
    for pid, pts in hubs.items():
        who = [c for c in cands if pts.intersection(cand_topics[c])]
        if not who:
            continue
        d = ctx.distance_to_project(np.array(who, dtype=np.int64), pid)
        for c, km in zip(who, d.tolist(), strict=True):
            if (km, pid) < nearest_sharing.get(c, (math.inf, "")):
                nearest_sharing[c] = (km, pid)
            if km <= radius_km:
                ts = sorted(pts.intersection(cand_topics[c]))
                w = sum(ctx.idf.get(t, 0.0) * ctx.strength[c][t] for t in ts) * _decay(km, MATCH_HALF_LIFE_KM)
                pairs[c].append((w, km, pid, ts))
    for lst in pairs.values():
        lst.sort(key=lambda x: (-x[0], x[1], x[2]))

    graph = _community_graph(ctx, sorted(pairs), pairs, cand_topics, radius_km)
    assignment = _assign(graph, pairs, int(max_size), int(seed))
    labels = [assignment.get(c, "-") for c in sorted(pairs)]
    others = []
    for s in params["stability_seeds"][1:]:
        alt = _assign(graph, pairs, int(max_size), s)
        others.append([alt.get(c, "-") for c in sorted(pairs)])
    stability = _stability(labels, others)

    # tables
    by_hub: dict[str, list[int]] = defaultdict(list)
    for c, h in assignment.items():
        by_hub[h].append(c)
    pair_of = {(c, pid): (w, km, ts) for c, lst in pairs.items() for w, km, pid, ts in lst}
    order = sorted(by_hub, key=lambda h: (-len(by_hub[h]), h))
    group_rows, member_rows = [], []
    for gid, h in enumerate(order, start=1):
        members = sorted(by_hub[h], key=lambda c: (-pair_of[(c, h)][0], str(ctx.ags[c])))
        topics = sorted({t for c in members for t in pair_of[(c, h)][2]})
        group_rows.append(
            {
                "group_id": gid,
                "hub_project": h,
                "hub_name": ctx.projects[h].name,
                "topics": topics,
                "size": len(members),
                "members": [str(ctx.ags[c]) for c in members],
            }
        )
        hub_topics = sorted(ctx.projects[h].topics.intersection(topics))
        for t_pos in ctx.projects[h].territory.tolist():
            member_rows.append(_member_row(ctx, gid, t_pos, "hub-territory", 0.0, hub_topics))
        for c in members:
            _w, km, ts = pair_of[(c, h)]
            member_rows.append(_member_row(ctx, gid, c, "member", km, ts))
    unassigned_rows = []
    for c in cands:
        if c in assignment:
            continue
        if c in pairs:
            reason = (
                f"every project within {radius_km:g} km that shares its topics already has "
                f"{max_size} members ({', '.join(pid for _, _, pid, _ in pairs[c])})"
            )
        elif c in nearest_sharing:
            km, pid = nearest_sharing[c]
            reason = (
                f"no project within {radius_km:g} km shares its topics; nearest that does: "
                f"{pid} at {km:.1f} km"
            )
        else:
            reason = "no project near the region addresses its topics (" + ", ".join(cand_topics[c]) + ")"
        unassigned_rows.append(
            {"ags": str(ctx.ags[c]), "name": ctx.name[c], "reason": reason, "level": "gemeinde"}
        )

    groups = pd.DataFrame(group_rows, columns=GROUP_COLUMNS) if group_rows else _empty(GROUP_COLUMNS)
    members_df = pd.DataFrame(member_rows, columns=MEMBER_COLUMNS) if member_rows else _empty(MEMBER_COLUMNS)
    unassigned = (
        pd.DataFrame(unassigned_rows, columns=UNASSIGNED_COLUMNS)
        if unassigned_rows
        else _empty(UNASSIGNED_COLUMNS)
    )
    result = LearningNetworks(groups, members_df, unassigned, stability, params)
    result.graph = _network_graph(ctx, result, pair_of)
    _add_places(ctx, result, dict(zip(pos.tolist(), near_km.tolist(), strict=True)), hubs, allowed, radius_km)
    return result


def _add_places(
    ctx: _Context,
    result: LearningNetworks,
    dist_of: dict[int, float],
    hubs: dict[str, frozenset[str]],
    allowed: frozenset[str] | None,
    radius_km: float,
) -> None:
    """Kreise/Verbände of their own level (:func:`place_candidates.network_rows`), and the notes.
    A place joins its hub's group (``members``/``size`` then count it too, beyond ``max_size``);
    a hub only places chose gets a group of its own, numbered after the others."""
    extra, left = network_rows(ctx, dist_of, hubs, allowed, radius_km)
    groups = result.groups.to_dict(orient="records")
    by_hub = {g["hub_project"]: g for g in groups}
    rows = []
    for r in extra:
        hub = r.pop("hub")
        g = by_hub.get(hub)
        if g is None:  # a hub only places chose: a group of its own, after the others
            g = by_hub[hub] = {"group_id": len(by_hub) + 1, "hub_project": hub, "hub_name": ctx.projects[hub].name,
                               "topics": [], "size": 0, "members": []}  # fmt: skip
            groups.append(g)
            hub_topics = sorted(ctx.projects[hub].topics.intersection(r["shared_topics"]))
            rows += [_member_row(ctx, g["group_id"], t, "hub-territory", 0.0, hub_topics)
                     for t in ctx.projects[hub].territory.tolist()]  # fmt: skip
        g["members"] = [*g["members"], r["ags"]]
        g["size"] += 1
        g["topics"] = sorted(set(g["topics"]) | set(r["shared_topics"]))
        rows.append({**r, "group_id": g["group_id"]})
    if rows:
        result.groups = pd.DataFrame(groups, columns=GROUP_COLUMNS)
        result.members = pd.concat(
            [result.members, pd.DataFrame(rows, columns=MEMBER_COLUMNS)], ignore_index=True
        )
    if left:
        result.unassigned = pd.concat(
            [result.unassigned, pd.DataFrame(left, columns=UNASSIGNED_COLUMNS)], ignore_index=True
        )
    if result.groups.empty:
        result.notes = network_notes(ctx, result.params["region"]["name"], radius_km, len(result.unassigned),
                                     bool(hubs))  # fmt: skip


def _member_row(ctx: _Context, gid: int, pos: int, role: str, km: float, topics: list[str]) -> dict[str, Any]:
    return {
        "group_id": gid,
        "ags": str(ctx.ags[pos]),
        "name": ctx.name[pos],
        "role": role,
        "distance_km": float(km),
        "shared_topics": list(topics),
        "population": int(ctx.population[pos]),
        "funded": bool(ctx.funded[pos]),
        "lat": _f(ctx.lat[pos]),
        "lon": _f(ctx.lon[pos]),
        "level": "gemeinde",
    }


def _community_graph(
    ctx: _Context,
    cands: list[int],
    pairs: dict[int, list[tuple[float, float, str, list[str]]]],
    cand_topics: dict[int, list[str]],
    reach_km: float,
) -> nx.Graph:
    G: nx.Graph = nx.Graph()
    hubs = sorted({pid for c in cands for _, _, pid, _ in pairs[c]})
    G.add_nodes_from(f"c:{ctx.ags[c]}" for c in cands)
    G.add_nodes_from(f"h:{h}" for h in hubs)
    edges: list[tuple[str, str, float]] = []
    for c in cands:
        for w, _km, pid, _ts in pairs[c]:
            if w > 0:
                edges.append((f"c:{ctx.ags[c]}", f"h:{pid}", w))
    if len(cands) > 1:
        # each candidate links to its nearest fellow candidates within reach (k-NN keeps it O(n·k))
        arr = np.array(cands, dtype=np.int64)
        nbr = SpatialIndex(ctx.lat[arr], ctx.lon[arr]).nearest(PEER_NEIGHBOURS + 1)
        links = sorted({(min(i, j), max(i, j)) for i in range(len(cands)) for j in nbr[i].tolist() if i != j})
        for i, j in links:
            a, b = cands[i], cands[j]
            km = float(haversine_km(ctx.lat[a], ctx.lon[a], ctx.lat[b], ctx.lon[b]))
            common = sorted(set(cand_topics[a]).intersection(cand_topics[b]))
            if km > reach_km or not common:
                continue
            w = sum(ctx.idf.get(t, 0.0) * min(ctx.strength[a][t], ctx.strength[b][t]) for t in common)
            w *= _decay(km, MATCH_HALF_LIFE_KM)
            if w > 0:
                edges.append((f"c:{ctx.ags[a]}", f"c:{ctx.ags[b]}", w))
    G.add_weighted_edges_from(sorted(edges))
    G.graph["pos_of"] = {f"c:{ctx.ags[c]}": c for c in cands}
    return G


def _assign(
    G: nx.Graph, pairs: dict[int, list[tuple[float, float, str, list[str]]]], max_size: int, seed: int
) -> dict[int, str]:
    """Community-informed preferences, then capacity-limited deferred acceptance."""
    if G.number_of_nodes() == 0:
        return {}
    communities = nx.community.louvain_communities(G, weight="weight", seed=seed)
    community_of: dict[str, int] = {}
    for i, com in enumerate(sorted((sorted(c) for c in communities), key=lambda c: c[0])):
        for n in com:
            community_of[n] = i
    pos_of: dict[str, int] = G.graph["pos_of"]
    prefs: dict[int, list[str]] = {}
    weight: dict[tuple[int, str], float] = {}
    for name, c in sorted(pos_of.items()):
        lst = pairs.get(c, [])
        if not lst:
            continue
        mine = community_of.get(name)
        same = [pid for _, _, pid, _ in lst if community_of.get(f"h:{pid}") == mine]
        rest = [pid for _, _, pid, _ in lst if pid not in same]
        prefs[c] = same + rest
        for w, _km, pid, _ts in lst:
            weight[(c, pid)] = w
    # deferred acceptance (candidates propose; hubs keep their best max_size)
    nxt = dict.fromkeys(prefs, 0)
    held: dict[str, list[int]] = defaultdict(list)
    free = sorted(prefs)
    while free:
        c = free.pop(0)
        if nxt[c] >= len(prefs[c]):
            continue
        h = prefs[c][nxt[c]]
        nxt[c] += 1
        held[h].append(c)
        if len(held[h]) > max_size:
            held[h].sort(key=lambda x: (-weight[(x, h)], x))
            bumped = held[h].pop()
            free.append(bumped)
            free.sort()
    return {c: h for h, cs in held.items() for c in cs}


def _stability(base: list[str], others: list[list[str]]) -> float:
    if len(base) < 2 or not others:
        return 1.0
    scores = [adjusted_rand_index(base, o) for o in others]
    return round(float(np.mean(scores)), 4)


def adjusted_rand_index(a: Sequence[str], b: Sequence[str]) -> float:
    """Adjusted Rand index of two labelings of the same items (Hubert & Arabie 1985): 1 for
    identical partitions, about 0 for chance agreement."""
    _, ai = np.unique(np.asarray(a), return_inverse=True)
    _, bi = np.unique(np.asarray(b), return_inverse=True)
    table = np.zeros((ai.max() + 1, bi.max() + 1), dtype=np.int64)
    np.add.at(table, (ai, bi), 1)

    def pairs(x: npt.NDArray[np.int64]) -> float:
        return float((x * (x - 1) // 2).sum())

    n = len(ai)
    index, rows, cols = pairs(table), pairs(table.sum(axis=1)), pairs(table.sum(axis=0))
    expected = rows * cols / (n * (n - 1) / 2)
    best = (rows + cols) / 2
    if best == expected:  # both partitions trivial (one cluster, or all singletons)
        return 1.0
    return (index - expected) / (best - expected)


def _network_graph(
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
        G.add_node(
            pnode,
            kind="project",
            label=h.name,
            lat=alat,
            lon=alon,
            population=h.population,
            group=int(g.group_id),
            title=(
                f"{h.name} — Modellprojekt Smart Cities, round {h.round}, category {h.category}\n"
                f"topics: {', '.join(ctx.topic_labels.get(t, t) for t in sorted(h.topics))}\n"
                f"source: {h.source}"
            ),
        )
        for t in g.topics:
            if t in h.topics:
                G.add_edge(pnode, f"topic:{t}", label="addresses", kind="addresses")
                if alat is not None and alon is not None:
                    topic_nodes[t].append((alat, alon))
        for t_pos in h.territory.tolist():
            mnode = f"municipality:{ctx.ags[t_pos]}"
            G.add_node(
                mnode,
                kind="funded",
                label=ctx.name[t_pos],
                lat=_f(ctx.lat[t_pos]),
                lon=_f(ctx.lon[t_pos]),
                population=int(ctx.population[t_pos]),
                group=int(g.group_id),
                title=(
                    f"{ctx.name[t_pos]} ({ctx.ags[t_pos]}), {ctx.district[t_pos]}, {ctx.state[t_pos]}\n"
                    f"population {int(ctx.population[t_pos]):,}; territory of {h.name}"
                ),
            )
            G.add_edge(mnode, pnode, label="territory", kind="territory")
        for a in g.members:
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
