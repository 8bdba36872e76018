"""The analytics: who should learn from whom, and where.

Every function takes a :class:`graph.store.GraphStore` first and uses only the
protocol's table methods (``municipalities``, ``territories``, ``project_topics``,
``interests``, ``attendances``, ``event_topics``, ``near``, ``shortest_paths`` …), so the
embedded and the Neo4j store give the same answers from one implementation. Results are
pandas objects with fixed columns; errors are :mod:`graph.errors` domain errors
(``NotFound`` for an unknown region or topic, ``Ambiguous`` for a name that fits
several places, ``InvalidArgument`` for a parameter out of range).

Common definitions
------------------
* **Distance** (as in :mod:`graph.regions`): great-circle distance between official
  centre points, mean Earth radius 6371.0088 km; to a region or a project territory it
  is the minimum over its Gemeinden, 0 inside.
* **Funded**: the municipality lies in at least one model project's territory
  (``Municipality.funded``); every other Gemeinde is *non-funded*.
* **A municipality's topics** come only from participation: INTERESTED_IN edges (an
  *interest*) and the FOCUSES_ON topics of events it ATTENDED (an *event* topic).
* **A project's topics**: its ADDRESSES edges.
* **Evidence weight** of one interest or attendance: kind weight (attended 1.0,
  peer-learning 1.0, registered 0.75, survey 0.5, other 0.5) × the record's weight,
  × 0.8 when the topic comes through an attended event's focus, capped at 1. The
  **evidence strength** s(m, t) of a municipality for a topic combines its pieces of
  evidence as 1 − Π(1 − wᵢ) (more evidence → closer to 1, never above).
* **IDF** of a topic: ln((1 + P) / (1 + pₜ)) + 1 over the P projects, pₜ of which address
  it, divided by the largest IDF (so in (0, 1]): a topic few projects address counts
  more than a generic one.
* **Ordering** is always explicit: score descending, then distance ascending, then key
  (AGS or project id) ascending. Scores are rounded to 6 decimals before sorting.

Precomputation: per store, the register arrays, the evidence per municipality and topic,
project territories and topics, IDF and resolved regions are built once and kept in a
cache keyed on the store object; it is rebuilt when the store's ``info()`` counts or
metadata change (a load or an import) and can be dropped with :func:`clear_cache`.
"""

from __future__ import annotations

import contextlib
import math
import threading
import weakref
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

import networkx as nx
import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.neighbors import BallTree

from graph.errors import InvalidArgument, NotFound
from graph.geo import haversine_km
from graph.model import NodeKind, node_id, split_node_id
from graph.queries_basic import check_radius
from graph.regions import Region, resolve_region
from graph.store import GraphStore
from loaders.participation import TopicLookup

# ---------------------------------------------------------------------------- parameters

KIND_WEIGHTS: dict[str, float] = {"attended": 1.0, "peer-learning": 1.0, "registered": 0.75, "survey": 0.5}
DEFAULT_KIND_WEIGHT = 0.5
EVENT_FOCUS_FACTOR = 0.8
#: ``matches``/``learning_networks``: the distance decay halves every 30 km.
MATCH_HALF_LIFE_KM = 30.0
#: ``recommend``: the distance score halves every 50 km.
RECOMMEND_HALF_LIFE_KM = 50.0
RECOMMEND_WEIGHTS = {"topic": 0.6, "distance": 0.3, "size": 0.1}
#: Size classes of the MPSC competition: Großstadt ≥ 100,000, Mittelstadt ≥ 20,000, else Kleinstadt/Landgemeinde.
SIZE_CLASSES = (("GS", 100_000), ("MS", 20_000), ("KL", 0))
SIZE_LABELS = {
    "GS": "Großstadt",
    "MS": "Mittelstadt",
    "KL": "Kleinstadt/Landgemeinde",
    "IK": "Interkommunal/Landkreis",
}
STABILITY_SEEDS = 10
#: learning networks: candidate–candidate edges to this many nearest fellow candidates.
PEER_NEIGHBOURS = 8
SCORE_DECIMALS = 6

MATCH_COLUMNS = [
    "ags", "name", "district", "state", "population", "distance_km", "shared_topics", "projects",
    "evidence", "score", "score_components", "lat", "lon",
]  # fmt: skip
RECOMMEND_COLUMNS = [
    "rank", "project_id", "name", "round", "category", "score", "topic_score", "distance_km",
    "distance_score", "size_score", "shared_topics", "reasons",
]  # fmt: skip
GROUP_COLUMNS = ["group_id", "hub_project", "hub_name", "topics", "size", "members"]
MEMBER_COLUMNS = [
    "group_id", "ags", "name", "role", "distance_km", "shared_topics", "population", "funded", "lat", "lon",
]  # fmt: skip
UNASSIGNED_COLUMNS = ["ags", "name", "reason"]
WHITE_SPOT_COLUMNS = [
    "ags", "name", "district", "state", "population", "interest_weight", "nearest_project",
    "nearest_project_km", "lat", "lon",
]  # fmt: skip
WHITE_SPOT_DISTRICT_COLUMNS = ["district_key", "district", "state", "municipalities", "population"]
HOST_COLUMNS = ["rank", "project_id", "name", "newly_covered", "covered_total", "lat", "lon"]
COVERAGE_COLUMNS = ["ags", "name", "host_project", "distance_km"]
UNCOVERED_COLUMNS = ["ags", "name", "nearest_project", "nearest_project_km"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


# ---------------------------------------------------------------------------- precomputation


class Evidence(NamedTuple):
    """One piece of evidence that a municipality cares about a topic."""

    topic: str
    via: str  # "interest" | "event"
    kind: str
    source: str
    date: str
    event_id: str
    weight: float

    def as_dict(self) -> dict[str, Any]:
        """The public evidence dict (without the weight)."""
        return {
            "topic": self.topic,
            "via": self.via,
            "kind": self.kind,
            "source": self.source,
            "date": self.date,
            "event_id": self.event_id,
        }


@dataclass(slots=True)
class _Project:
    id: str
    name: str
    round: int
    category: str
    topics: frozenset[str]
    territory: IntArray  # positions
    lat: FloatArray
    lon: FloatArray
    anchor: int  # position of the lead Gemeinde, else the most populous of the territory
    population: int
    source: str


@dataclass(slots=True)
class _Context:
    stamp: Any
    ags: npt.NDArray[np.str_]
    pos_of: dict[str, int]
    name: list[str]
    district_key: list[str]
    district: list[str]
    state: list[str]
    population: npt.NDArray[np.int64]
    lat: FloatArray
    lon: FloatArray
    funded: BoolArray
    topic_labels: dict[str, str]
    topic_lookup: TopicLookup
    projects: dict[str, _Project]
    projects_at: dict[int, list[str]]
    idf: dict[str, float]
    evidence: dict[int, dict[str, list[Evidence]]]
    strength: dict[int, dict[str, float]]
    has_topic: dict[str, BoolArray]
    has_any: BoolArray
    events: dict[str, dict[str, Any]]
    attribution: str
    regions: dict[str, Region] = field(default_factory=dict)
    masks: dict[frozenset[str], BoolArray] = field(default_factory=dict)

    # -- lookups
    def positions(self, ags: Iterable[str]) -> IntArray:
        get = self.pos_of.get
        return np.array([i for i in (get(a) for a in ags) if i is not None], dtype=np.int64)

    def mask(self, topics: Sequence[str] | None) -> BoolArray:
        if topics is None:
            return self.has_any
        key = frozenset(topics)
        m = self.masks.get(key)
        if m is None:
            m = np.zeros(len(self.ags), dtype=bool)
            for t in sorted(key):
                if t in self.has_topic:
                    m |= self.has_topic[t]
            if len(self.masks) > 256:
                self.masks.clear()
            self.masks[key] = m
        return m

    def topics_of(self, pos: int, allowed: frozenset[str] | None) -> list[str]:
        own = self.strength.get(pos, {})
        return sorted(t for t in own if allowed is None or t in allowed)

    def row(self, pos: int) -> dict[str, Any]:
        return {
            "ags": str(self.ags[pos]),
            "name": self.name[pos],
            "district": self.district[pos],
            "state": self.state[pos],
            "population": int(self.population[pos]),
            "lat": _f(self.lat[pos]),
            "lon": _f(self.lon[pos]),
        }

    def distance_to_project(self, pos: IntArray, pid: str) -> FloatArray:
        p = self.projects[pid]
        if len(pos) == 0 or len(p.territory) == 0:
            return np.full(len(pos), np.inf)
        d = haversine_km(self.lat[pos][:, None], self.lon[pos][:, None], p.lat[None, :], p.lon[None, :])
        out = np.asarray(d.min(axis=1), dtype=np.float64)
        inside = np.isin(pos, p.territory)
        out[inside] = 0.0
        return out

    def topic_args(self, topics: Sequence[str] | str | None) -> list[str] | None:
        if topics is None:
            return None
        items = [topics] if isinstance(topics, str) else list(topics)
        if not items:
            raise InvalidArgument("topics is empty", hint="give at least one topic, or none for all topics")
        out = []
        for t in items:
            slug = self.topic_lookup.get(str(t))
            if slug is None:
                raise NotFound(
                    f"unknown topic {t!r}",
                    hint="give a topic slug or label; `lernnetz topics` / GET /topics lists them",
                )
            out.append(slug)
        return sorted(set(out))


_CACHE: weakref.WeakKeyDictionary[Any, _Context] = weakref.WeakKeyDictionary()
_CACHE_BY_ID: dict[int, _Context] = {}
_LOCK = threading.RLock()


def clear_cache(store: GraphStore | None = None) -> None:
    """Drop the precomputed data of one store (or of all)."""
    with _LOCK:
        if store is None:
            _CACHE.clear()
            _CACHE_BY_ID.clear()
            return
        with contextlib.suppress(TypeError):
            _CACHE.pop(store, None)
        _CACHE_BY_ID.pop(id(store), None)


def _stamp(info: dict[str, Any]) -> Any:
    nodes = tuple(sorted((info.get("nodes") or {}).items()))
    edges = tuple(sorted((info.get("edges") or {}).items()))
    meta = tuple(
        str(info.get(k, "")) for k in ("stichtag", "register_sha256", "programme_source", "register_source")
    )
    return (nodes, edges, meta)


def _context(store: GraphStore) -> _Context:
    info = store.info()
    stamp = _stamp(info)
    with _LOCK:
        try:
            ctx = _CACHE.get(store)
        except TypeError:
            ctx = _CACHE_BY_ID.get(id(store))
        if ctx is not None and ctx.stamp == stamp:
            return ctx
        ctx = _build_context(store, stamp, str(info.get("attribution", "")))
        try:
            _CACHE[store] = ctx
        except TypeError:
            _CACHE_BY_ID[id(store)] = ctx
        return ctx


def _evidence_weight(kind: str, weight: float, via: str) -> float:
    w = KIND_WEIGHTS.get(kind, DEFAULT_KIND_WEIGHT) * float(weight)
    if via == "event":
        w *= EVENT_FOCUS_FACTOR
    return min(1.0, max(0.0, w))


def _columns(df: pd.DataFrame, *names: str) -> list[list[Any]]:
    """Columns as Python lists (iterating pandas string arrays element by element is slow)."""
    return [df[n].tolist() for n in names]


def _build_context(store: GraphStore, stamp: Any, attribution: str) -> _Context:
    m = store.municipalities().sort_values("ags", kind="mergesort").reset_index(drop=True)
    d = store.districts()
    s = store.states()
    dnames = dict(zip(d["key"].tolist(), d["name"].tolist(), strict=True))
    snames = dict(zip(s["code"].tolist(), s["name"].tolist(), strict=True))
    ags = m["ags"].to_numpy(dtype=str)
    pos_of = {str(a): i for i, a in enumerate(ags)}
    district_key = [str(k or "") for k in m["district_key"]]
    population = m["population"].fillna(0).to_numpy(dtype=np.int64)
    lat = m["lat"].to_numpy(dtype=np.float64)
    lon = m["lon"].to_numpy(dtype=np.float64)

    topics = store.topics()
    topic_labels = {
        str(k): str(v) for k, v in zip(topics["slug"].tolist(), topics["label_de"].tolist(), strict=True)
    }

    pt = store.project_topics()
    p_topics: dict[str, set[str]] = defaultdict(set)
    for pid, t in zip(pt["project_id"].tolist(), pt["topic"].tolist(), strict=True):
        p_topics[str(pid)].add(str(t))
    terr = store.territories()
    p_terr: dict[str, list[int]] = defaultdict(list)
    projects_at: dict[int, list[str]] = defaultdict(list)
    for pid, a in zip(terr["project_id"].tolist(), terr["ags"].tolist(), strict=True):
        i = pos_of.get(str(a))
        if i is not None:
            p_terr[str(pid)].append(i)
            projects_at[i].append(str(pid))
    projects: dict[str, _Project] = {}
    for r in _rows(store.projects()):
        pid = str(r.id)
        tpos = np.array(sorted(set(p_terr.get(pid, []))), dtype=np.int64)
        tpos = tpos[~np.isnan(lat[tpos]) & ~np.isnan(lon[tpos])] if len(tpos) else tpos
        lead = pos_of.get(str(r.lead_key or ""))
        if lead is None or lead not in set(tpos.tolist()):
            lead = int(tpos[np.lexsort((tpos, -population[tpos]))[0]]) if len(tpos) else -1
        projects[pid] = _Project(
            id=pid,
            name=str(r.name),
            round=int(r.round),
            category=str(r.category),
            topics=frozenset(p_topics.get(pid, set())),
            territory=tpos,
            lat=lat[tpos],
            lon=lon[tpos],
            anchor=int(lead),
            population=int(population[tpos].sum()) if len(tpos) else 0,
            source=str(r.source or ""),
        )
    for v in projects_at.values():
        v.sort()

    n_projects = max(1, len(projects))
    raw_idf = {
        t: math.log((1 + n_projects) / (1 + sum(1 for p in projects.values() if t in p.topics))) + 1.0
        for t in sorted(topic_labels)
    }
    top = max(raw_idf.values(), default=1.0)
    idf = {t: v / top for t, v in raw_idf.items()}

    # evidence: interests and attended events' focus topics
    ev_topics: dict[str, list[str]] = defaultdict(list)
    et = store.event_topics()
    for e, t in zip(et["event_id"].tolist(), et["topic"].tolist(), strict=True):
        ev_topics[str(e)].append(str(t))
    evidence: dict[int, dict[str, list[Evidence]]] = defaultdict(lambda: defaultdict(list))
    i_df = store.interests()
    for a, t, k, dt_, src, w, e in zip(
        *_columns(i_df, "ags", "topic", "kind", "date", "source", "weight", "event_id"), strict=True
    ):
        i = pos_of.get(str(a))
        if i is not None:
            evidence[i][str(t)].append(
                Evidence(str(t), "interest", str(k), str(src), str(dt_), str(e or ""), float(w))
            )
    a_df = store.attendances()
    for a, e, k, dt_, src in zip(*_columns(a_df, "ags", "event_id", "kind", "date", "source"), strict=True):
        i = pos_of.get(str(a))
        if i is None:
            continue
        for t in sorted(set(ev_topics.get(str(e), []))):
            evidence[i][t].append(Evidence(t, "event", str(k), str(src), str(dt_), str(e), 1.0))
    strength: dict[int, dict[str, float]] = {}
    frozen: dict[int, dict[str, list[Evidence]]] = {}
    has_topic: dict[str, BoolArray] = {}
    for i in sorted(evidence):
        per = {}
        st = {}
        for t in sorted(evidence[i]):
            items = sorted(set(evidence[i][t]))
            per[t] = items
            prod = 1.0
            for e_ in items:
                prod *= 1.0 - _evidence_weight(e_.kind, e_.weight, e_.via)
            st[t] = 1.0 - prod
            if t not in has_topic:
                has_topic[t] = np.zeros(len(ags), dtype=bool)
            has_topic[t][i] = True
        frozen[i] = per
        strength[i] = st
    has_any = np.zeros(len(ags), dtype=bool)
    if strength:
        has_any[np.array(sorted(strength), dtype=np.int64)] = True

    events = {}
    ev_df = store.events()
    for r in _rows(ev_df):
        events[str(r.id)] = {
            "title": str(r.title or ""),
            "date": str(r.date_start or ""),
            "kind": str(r.kind or ""),
            "place_key": str(r.place_key or ""),
            "source": str(r.source or ""),
            "topics": sorted(set(ev_topics.get(str(r.id), []))),
        }
    return _Context(
        stamp=stamp,
        ags=ags,
        pos_of=pos_of,
        name=[str(x) for x in m["name"]],
        district_key=district_key,
        district=[str(dnames.get(k, "")) for k in district_key],
        state=[str(snames.get(c, "")) for c in m["state_code"]],
        population=population,
        lat=lat,
        lon=lon,
        funded=m["funded"].fillna(False).to_numpy(dtype=bool),
        topic_labels=topic_labels,
        topic_lookup=TopicLookup.from_frame(topics),
        projects=projects,
        projects_at=dict(projects_at),
        idf=idf,
        evidence=frozen,
        strength=strength,
        has_topic=has_topic,
        has_any=has_any,
        events=events,
        attribution=attribution,
    )


def _region(store: GraphStore, ctx: _Context, text: str) -> Region:
    key = text.strip()
    with _LOCK:
        hit = ctx.regions.get(key)
    if hit is not None:
        return hit
    region = resolve_region(store, key)
    with _LOCK:
        if len(ctx.regions) > 4096:
            ctx.regions.clear()
        ctx.regions[key] = region
    return region


def _f(x: Any) -> float | None:
    v = float(x)
    return None if math.isnan(v) else v


def _round(x: float) -> float:
    return round(float(x), SCORE_DECIMALS)


def _decay(km: float, half_life: float) -> float:
    return float(0.5 ** (km / half_life)) if math.isfinite(km) else 0.0


def _near(store: GraphStore, ctx: _Context, region: Region, radius_km: float) -> tuple[IntArray, FloatArray]:
    """Positions and distances of every municipality within the radius of the region."""
    hits = store.near(list(region.members), radius_km)
    get = ctx.pos_of.get
    idx = np.array([get(a, -1) for a in hits["ags"].tolist()], dtype=np.int64)
    keep = idx >= 0
    return idx[keep], hits["distance_km"].to_numpy(dtype=np.float64)[keep]


def _projects_near(ctx: _Context, pos: IntArray) -> list[str]:
    """Projects whose territory has a Gemeinde among the hits (lies within the radius), sorted."""
    return sorted({pid for p in pos[ctx.funded[pos]].tolist() for pid in ctx.projects_at.get(p, ())})


def _projects_all(ctx: _Context) -> list[str]:
    """Every project with a placed territory, sorted."""
    return [pid for pid in sorted(ctx.projects) if len(ctx.projects[pid].territory)]


# ---------------------------------------------------------------------------- matches


def matches(
    store: GraphStore,
    region: str,
    radius_km: float,
    topics: Sequence[str] | None = None,
    projects: Literal["near", "all"] = "near",
) -> pd.DataFrame:
    """Non-funded municipalities near a region that share a topic with a model project.

    Semantics, exactly:

    1. ``region`` is resolved with :func:`graph.regions.resolve_region` (AGS, project id or
       name; unknown → ``NotFound``, ambiguous → ``Ambiguous``); ``0 < radius_km ≤ 1000``.
    2. The **area** is every municipality whose distance to the region (min over the
       region's Gemeinden, 0 inside) is ≤ ``radius_km`` (``store.near``).
    3. **Candidates**: municipalities in the area that are not funded and have at least one
       topic (interest or attended event's focus); with ``topics`` given, only those
       topics count (unknown topic → ``NotFound``).
    4. **Considered projects**: ``projects="near"`` — every project whose territory lies
       within ``radius_km`` of the region (min distance territory ↔ region ≤ radius);
       ``projects="all"`` — every project.
    5. A candidate is returned iff it shares at least one topic with at least one
       considered project: a *shared topic* is a topic of the candidate (after the
       ``topics`` filter) that a considered project ADDRESSES.
    6. ``projects`` lists, for the row, every considered project sharing a topic with it:
       ``{id, name, distance_km, shared_topics}`` with ``distance_km`` from the candidate
       to the project's territory; ordered by IDF-weighted shared topics (desc),
       distance, id. ``evidence`` lists the interests/attendances behind the shared
       topics: ``{topic, via, kind, source, date, event_id}``.
    7. ``distance_km`` is the candidate's distance to the region.
    8. ``score = topic_idf × evidence × distance_decay`` where ``topic_idf`` = Σ IDF of
       the shared topics, ``evidence`` = the IDF-weighted mean evidence strength over
       them, and ``distance_decay`` = 0.5^(d / 30 km) with d the distance to the nearest
       listed project. All four parts are in ``score_components`` (with
       ``nearest_project_km``).

    Rows are ordered by score (desc), distance_km (asc), AGS (asc).
    """
    radius_km = check_radius(radius_km)
    if projects not in ("near", "all"):
        raise InvalidArgument(f"projects must be 'near' or 'all' (got {projects!r})")
    ctx = _context(store)
    reg = _region(store, ctx, region)
    wanted = ctx.topic_args(topics)
    allowed = frozenset(wanted) if wanted is not None else None
    pos, dist = _near(store, ctx, reg, radius_km)
    keep = ~ctx.funded[pos] & ctx.mask(wanted)[pos]
    cand, cand_dist = pos[keep], dist[keep]
    considered = _projects_near(ctx, pos) if projects == "near" else _projects_all(ctx)
    proj_topics = {
        pid: (ctx.projects[pid].topics if allowed is None else ctx.projects[pid].topics & allowed)
        for pid in considered
    }
    proj_topics = {pid: ts for pid, ts in proj_topics.items() if ts}
    offered = frozenset().union(*proj_topics.values()) if proj_topics else frozenset()
    if len(cand) == 0 or not offered:
        return _empty(MATCH_COLUMNS)

    # the candidates that share something, and their shared topics
    shared: dict[int, list[str]] = {}
    for c in cand.tolist():
        ts = [t for t in ctx.topics_of(c, allowed) if t in offered]
        if ts:
            shared[c] = ts
    if not shared:
        return _empty(MATCH_COLUMNS)
    rows_pos = np.array(sorted(shared), dtype=np.int64)
    dist_of = dict(zip(cand.tolist(), cand_dist.tolist(), strict=True))

    # project distances per candidate (one vectorised call per project)
    listed: dict[int, list[tuple[float, float, str, list[str]]]] = defaultdict(list)
    for pid, pts in proj_topics.items():
        who = [c for c in rows_pos.tolist() if pts.intersection(shared[c])]
        if not who:
            continue
        d = ctx.distance_to_project(np.array(who, dtype=np.int64), pid)
        for c, km in zip(who, d.tolist(), strict=True):
            ts = sorted(pts.intersection(shared[c]))
            weight = sum(ctx.idf.get(t, 0.0) for t in ts)
            listed[c].append((-weight, km, pid, ts))

    out = []
    for c in rows_pos.tolist():
        plist = sorted(listed[c])
        ts = shared[c]
        idf_sum = sum(ctx.idf.get(t, 0.0) for t in ts)
        weighted = sum(ctx.idf.get(t, 0.0) * ctx.strength[c][t] for t in ts)
        evidence = weighted / idf_sum if idf_sum > 0 else 0.0
        nearest = min(km for _, km, _, _ in plist)
        decay = _decay(nearest, MATCH_HALF_LIFE_KM)
        row = ctx.row(c)
        row.update(
            distance_km=float(dist_of[c]),
            shared_topics=ts,
            projects=[
                {"id": pid, "name": ctx.projects[pid].name, "distance_km": round(km, 3), "shared_topics": pts}
                for _, km, pid, pts in plist
            ],
            evidence=[e.as_dict() for t in ts for e in ctx.evidence[c][t]],
            score=_round(idf_sum * evidence * decay),
            score_components={
                "topic_idf": _round(idf_sum),
                "evidence": _round(evidence),
                "distance_decay": _round(decay),
                "nearest_project_km": round(nearest, 3),
            },
        )
        out.append(row)
    out.sort(key=lambda r: (-r["score"], r["distance_km"], r["ags"]))
    return _frame(out, MATCH_COLUMNS)


def _rows(df: pd.DataFrame) -> Iterator[Any]:
    """Rows as named tuples (typed loosely: columns are known by name only at run time)."""
    return iter(df.itertuples(index=False))


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    """A frame from already ordered rows (columns built directly: faster than records)."""
    if not rows:
        return _empty(columns)
    return pd.DataFrame({c: [r[c] for r in rows] for c in columns}, columns=columns)


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def _sorted(df: pd.DataFrame, by: list[str], ascending: list[bool]) -> pd.DataFrame:
    return df.sort_values(by, ascending=ascending, kind="mergesort").reset_index(drop=True)


# ---------------------------------------------------------------------------- recommend


def size_class(population: int) -> str:
    """GS (≥ 100,000), MS (≥ 20,000) or KL."""
    for code, minimum in SIZE_CLASSES:
        if population >= minimum:
            return code
    return "KL"


def size_score(population: int, category: str) -> float:
    """1 for the same size class, 0.5 for the neighbouring one, 0 otherwise; an IK project
    (Interkommunal/Landkreis) fits Kleinstädte best (1), Mittelstädte half (0.5)."""
    cls = size_class(population)
    if category == "IK":
        return {"KL": 1.0, "MS": 0.5}.get(cls, 0.0)
    order = {"GS": 0, "MS": 1, "KL": 2}
    if category not in order:
        return 0.0
    gap = abs(order[cls] - order[category])
    return {0: 1.0, 1: 0.5}.get(gap, 0.0)


def recommend(store: GraphStore, municipality: str, top: int = 5) -> pd.DataFrame:
    """Model projects ranked for one municipality to learn from, with reasons.

    For municipality m (name or AGS; a Gemeinde) and every project p whose territory does
    not contain m:

    * ``topic_score`` = Σ_{t ∈ T(m) ∩ T(p)} IDF(t)·s(m,t) / Σ_{t ∈ T(m)} IDF(t)·s(m,t): the
      IDF- and evidence-weighted share of m's topics that p addresses (0 when m has no
      recorded topics);
    * ``distance_score`` = 0.5^(d / 50 km), d = distance from m to p's territory;
    * ``size_score`` = :func:`size_score` of m's size class against p's category;
    * ``score`` = 0.6·topic_score + 0.3·distance_score + 0.1·size_score.

    Ordered by score (desc), distance (asc), project id; the first ``top`` (1–100).
    ``reasons`` says it in words, one item per shared topic, distance and size.
    """
    if not 1 <= int(top) <= 100:
        raise InvalidArgument(f"top must be between 1 and 100 (got {top})")
    ctx = _context(store)
    reg = _region(store, ctx, municipality)
    if reg.kind != "municipality":
        raise InvalidArgument(
            f"{municipality!r} is a {reg.kind}, not a Gemeinde", hint="give a Gemeinde's name or 8-digit AGS"
        )
    pos_arr = ctx.positions([reg.key])
    if len(pos_arr) == 0:
        raise NotFound(f"no Gemeinde with AGS {reg.key}")
    m = int(pos_arr[0])
    mine = ctx.strength.get(m, {})
    total = sum(ctx.idf.get(t, 0.0) * s for t, s in sorted(mine.items()))
    own = set(ctx.projects_at.get(m, []))
    cls = size_class(int(ctx.population[m]))
    rows = []
    for pid in sorted(ctx.projects):
        if pid in own:
            continue
        p = ctx.projects[pid]
        shared = sorted(set(mine) & p.topics)
        topic_score = (sum(ctx.idf.get(t, 0.0) * mine[t] for t in shared) / total) if total > 0 else 0.0
        d = float(ctx.distance_to_project(np.array([m], dtype=np.int64), pid)[0])
        ds = _decay(d, RECOMMEND_HALF_LIFE_KM)
        ss = size_score(int(ctx.population[m]), p.category)
        score = (
            RECOMMEND_WEIGHTS["topic"] * topic_score
            + RECOMMEND_WEIGHTS["distance"] * ds
            + RECOMMEND_WEIGHTS["size"] * ss
        )
        reasons = []
        if not mine:
            reasons.append("no recorded interests or attended events: ranked by distance and size only")
        for t in shared:
            ev = ctx.evidence[m][t]
            kinds = ", ".join(sorted({f"{e.kind} ({e.via})" for e in ev}))
            reasons.append(
                f"shares topic {ctx.topic_labels.get(t, t)!r} (IDF {ctx.idf.get(t, 0):.2f}; evidence: {kinds})"
            )
        if mine and not shared:
            reasons.append("shares none of the municipality's topics")
        reasons.append(f"{d:.1f} km away (distance score {ds:.2f})")
        reasons.append(
            f"size: {SIZE_LABELS[cls]} ({int(ctx.population[m]):,} inhabitants) vs project category "
            f"{p.category} ({SIZE_LABELS.get(p.category, p.category)}): size score {ss:.1f}"
        )
        rows.append(
            {
                "project_id": pid,
                "name": p.name,
                "round": p.round,
                "category": p.category,
                "score": _round(score),
                "topic_score": _round(topic_score),
                "distance_km": d,
                "distance_score": _round(ds),
                "size_score": ss,
                "shared_topics": shared,
                "reasons": reasons,
            }
        )
    if not rows:
        return _empty(RECOMMEND_COLUMNS)
    df = _sorted(pd.DataFrame(rows), ["score", "distance_km", "project_id"], [False, True, True]).head(
        int(top)
    )
    df.insert(0, "rank", range(1, len(df) + 1))
    return df[RECOMMEND_COLUMNS].reset_index(drop=True)


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
    pos, _ = _near(store, ctx, reg, radius_km)
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
        unassigned_rows.append({"ags": str(ctx.ags[c]), "name": ctx.name[c], "reason": reason})

    groups = pd.DataFrame(group_rows, columns=GROUP_COLUMNS) if group_rows else _empty(GROUP_COLUMNS)
    members_df = pd.DataFrame(member_rows, columns=MEMBER_COLUMNS) if member_rows else _empty(MEMBER_COLUMNS)
    unassigned = (
        pd.DataFrame(unassigned_rows, columns=UNASSIGNED_COLUMNS)
        if unassigned_rows
        else _empty(UNASSIGNED_COLUMNS)
    )
    result = LearningNetworks(groups, members_df, unassigned, stability, params)
    result.graph = _network_graph(ctx, result, pair_of)
    return result


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
        pts = np.radians(np.column_stack([ctx.lat[arr], ctx.lon[arr]]))
        k = min(len(cands), PEER_NEIGHBOURS + 1)
        _, nbr = BallTree(pts, metric="haversine").query(pts, k=k)
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
    from sklearn.metrics import adjusted_rand_score

    scores = [float(adjusted_rand_score(base, o)) for o in others]
    return round(float(np.mean(scores)), 4)


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


# ---------------------------------------------------------------------------- white spots


def _interested(ctx: _Context, topic: str) -> IntArray:
    return np.flatnonzero(ctx.has_topic.get(topic, np.zeros(len(ctx.ags), dtype=bool))).astype(np.int64)


def _nearest_addressing(ctx: _Context, pos: IntArray, topic: str) -> tuple[FloatArray, list[str]]:
    """Distance to and id of the nearest project addressing the topic, for each position."""
    best = np.full(len(pos), np.inf)
    who = [""] * len(pos)
    for pid in sorted(ctx.projects):
        if topic not in ctx.projects[pid].topics:
            continue
        d = ctx.distance_to_project(pos, pid)
        better = d < best
        best = np.where(better, d, best)
        for i in np.flatnonzero(better).tolist():
            who[i] = pid
    return best, who


def white_spots(store: GraphStore, topic: str, radius_km: float) -> pd.DataFrame:
    """Municipalities interested in a topic with no project addressing it within reach.

    A municipality is listed when it has the topic (interest or attended event's focus)
    and every project that ADDRESSES the topic has its territory more than ``radius_km``
    away (or no project addresses it at all: then ``nearest_project`` is empty and
    ``nearest_project_km`` NaN). Funded municipalities are included (their own project
    may not address the topic). ``interest_weight`` is the sum of the evidence weights for
    the topic. Ordered by interest_weight (desc), nearest_project_km (desc), AGS.
    """
    radius_km = check_radius(radius_km)
    ctx = _context(store)
    slugs = ctx.topic_args([topic])
    assert slugs is not None
    t = slugs[0]
    pos = _interested(ctx, t)
    if len(pos) == 0:
        return _empty(WHITE_SPOT_COLUMNS)
    best, who = _nearest_addressing(ctx, pos, t)
    rows = []
    for i, p in enumerate(pos.tolist()):
        if best[i] <= radius_km:
            continue
        row = ctx.row(p)
        weight = sum(_evidence_weight(e.kind, e.weight, e.via) for e in ctx.evidence[p][t])
        row.update(
            interest_weight=_round(weight),
            nearest_project=who[i],
            nearest_project_km=float(best[i]) if math.isfinite(best[i]) else math.nan,
        )
        rows.append(row)
    if not rows:
        return _empty(WHITE_SPOT_COLUMNS)
    df = pd.DataFrame(rows)
    df["_km"] = df["nearest_project_km"].fillna(math.inf)
    df = _sorted(df, ["interest_weight", "_km", "ags"], [False, False, True])
    return df[WHITE_SPOT_COLUMNS]


def white_spots_by_district(store: GraphStore, topic: str, radius_km: float) -> pd.DataFrame:
    """:func:`white_spots` aggregated per Kreis: how many white-spot municipalities and their
    population. Ordered by municipalities (desc), population (desc), Kreis key."""
    spots = white_spots(store, topic, radius_km)
    if spots.empty:
        return _empty(WHITE_SPOT_DISTRICT_COLUMNS)
    ctx = _context(store)
    pos = ctx.positions(spots["ags"])
    df = pd.DataFrame(
        {
            "district_key": [ctx.district_key[p] for p in pos.tolist()],
            "district": [ctx.district[p] for p in pos.tolist()],
            "state": [ctx.state[p] for p in pos.tolist()],
            "population": spots["population"].astype(int).to_numpy(),
        }
    )
    agg = (
        df.groupby(["district_key", "district", "state"], as_index=False)
        .agg(municipalities=("population", "size"), population=("population", "sum"))
        .astype({"municipalities": int, "population": int})
    )
    return _sorted(agg, ["municipalities", "population", "district_key"], [False, False, True])[
        WHITE_SPOT_DISTRICT_COLUMNS
    ]


# ---------------------------------------------------------------------------- event planning


@dataclass
class EventPlan:
    """Where to hold events on a topic (see :func:`plan_events`)."""

    hosts: pd.DataFrame
    coverage: pd.DataFrame
    uncovered: pd.DataFrame
    params: dict[str, Any]


def plan_events(store: GraphStore, topic: str, k: int, radius_km: float) -> EventPlan:
    """Choose up to ``k`` host projects for events on a topic, maximising how many
    interested non-funded municipalities lie within reach of a host.

    Algorithm: **greedy maximum coverage** (it is within a factor 1 − 1/e ≈ 0.63 of the
    optimum). Hosts are the projects that ADDRESS the topic; a municipality is covered by a
    host when its distance to the host's territory is ≤ ``radius_km``. Each step takes the
    host covering the most not-yet-covered municipalities (ties: more newly covered
    inhabitants, then project id); it stops after ``k`` hosts or when no host adds
    coverage (so fewer than ``k`` hosts can be returned).

    ``hosts``: rank, project_id, name, newly_covered, covered_total, lat/lon of the
    project's lead Gemeinde. ``coverage``: each covered municipality with the host that
    first covered it and the distance to that host. ``uncovered``: the rest, with the
    nearest project addressing the topic (chosen or not) and its distance.
    """
    radius_km = check_radius(radius_km)
    if not 1 <= int(k) <= 100:
        raise InvalidArgument(f"k must be between 1 and 100 (got {k})")
    ctx = _context(store)
    slugs = ctx.topic_args([topic])
    assert slugs is not None
    t = slugs[0]
    pos = _interested(ctx, t)
    pos = pos[~ctx.funded[pos]]
    params = {"topic": t, "k": int(k), "radius_km": radius_km, "algorithm": "greedy maximum coverage"}
    hosts_all = [pid for pid in sorted(ctx.projects) if t in ctx.projects[pid].topics]
    dist = {pid: ctx.distance_to_project(pos, pid) for pid in hosts_all}
    covers = {pid: set(np.flatnonzero(dist[pid] <= radius_km).tolist()) for pid in hosts_all}
    covered: dict[int, tuple[str, float]] = {}
    host_rows: list[dict[str, Any]] = []
    for rank in range(1, int(k) + 1):
        chosen = {r["project_id"] for r in host_rows}
        options = []
        for pid in hosts_all:
            if pid in chosen:
                continue
            new = sorted(covers[pid] - covered.keys())
            options.append((-len(new), -int(ctx.population[pos[new]].sum()) if new else 0, pid))
        if not options or min(options)[0] == 0:
            break
        best = min(options)
        pid = best[2]
        newly = -best[0]
        for i in sorted(covers[pid] - covered.keys()):
            covered[i] = (pid, float(dist[pid][i]))
        a = ctx.projects[pid].anchor
        host_rows.append(
            {
                "rank": rank,
                "project_id": pid,
                "name": ctx.projects[pid].name,
                "newly_covered": newly,
                "covered_total": len(covered),
                "lat": _f(ctx.lat[a]) if a >= 0 else None,
                "lon": _f(ctx.lon[a]) if a >= 0 else None,
            }
        )
    rank_of = {r["project_id"]: r["rank"] for r in host_rows}
    cov_rows = [
        {"ags": str(ctx.ags[pos[i]]), "name": ctx.name[int(pos[i])], "host_project": pid, "distance_km": km}
        for i, (pid, km) in covered.items()
    ]
    unc_rows = []
    for i in range(len(pos)):
        if i in covered:
            continue
        near = [(float(dist[pid][i]), pid) for pid in hosts_all]
        km, pid = min(near) if near else (math.nan, "")
        unc_rows.append(
            {
                "ags": str(ctx.ags[pos[i]]),
                "name": ctx.name[int(pos[i])],
                "nearest_project": pid,
                "nearest_project_km": km,
            }
        )
    hosts = pd.DataFrame(host_rows, columns=HOST_COLUMNS) if host_rows else _empty(HOST_COLUMNS)
    if cov_rows:
        coverage = pd.DataFrame(cov_rows, columns=COVERAGE_COLUMNS)
        coverage["_rank"] = coverage["host_project"].map(rank_of)
        coverage = _sorted(coverage, ["_rank", "distance_km", "ags"], [True, True, True])[COVERAGE_COLUMNS]
    else:
        coverage = _empty(COVERAGE_COLUMNS)
    if unc_rows:
        uncovered = pd.DataFrame(unc_rows, columns=UNCOVERED_COLUMNS)
        uncovered["_km"] = uncovered["nearest_project_km"].fillna(math.inf)
        uncovered = _sorted(uncovered, ["_km", "ags"], [True, True])[UNCOVERED_COLUMNS]
    else:
        uncovered = _empty(UNCOVERED_COLUMNS)
    params["interested_non_funded"] = len(pos)
    params["hosts_addressing_topic"] = len(hosts_all)
    return EventPlan(hosts, coverage, uncovered, params)


# ---------------------------------------------------------------------------- connections


@dataclass
class Connections:
    """How two municipalities or projects are linked (see :func:`connections`)."""

    a: dict[str, Any]
    b: dict[str, Any]
    shared_topics: pd.DataFrame
    shared_events: pd.DataFrame
    ties: pd.DataFrame
    paths: list[list[dict[str, Any]]]

    def to_frame(self) -> pd.DataFrame:
        """One summary table: ``connection`` (topic, event, tie, path), ``key``, ``label``, ``detail``."""
        rows = []
        for r in _rows(self.shared_topics):
            rows.append(
                {"connection": "topic", "key": r.topic, "label": r.label,
                 "detail": f"{self.a['name']}: {r.a_evidence} | {self.b['name']}: {r.b_evidence}"}
            )  # fmt: skip
        for r in _rows(self.shared_events):
            rows.append(
                {"connection": "event", "key": r.event_id, "label": r.title,
                 "detail": f"{r.date} {r.kind}; {self.a['name']} {r.a_role}, {self.b['name']} {r.b_role}"}
            )  # fmt: skip
        for r in _rows(self.ties):
            rows.append(
                {"connection": "tie", "key": r.type, "label": f"{r.from_key} → {r.to_key}",
                 "detail": f"{r.note} (source: {r.source})".strip()}
            )  # fmt: skip
        for i, p in enumerate(self.paths, start=1):
            rows.append(
                {"connection": "path", "key": str(i), "label": f"{len(p) - 1} hops",
                 "detail": " — ".join(f"{n['name']} [{n['kind']}]" for n in p)}
            )  # fmt: skip
        return pd.DataFrame(rows, columns=["connection", "key", "label", "detail"])


SHARED_TOPIC_COLUMNS = ["topic", "label", "a_evidence", "b_evidence"]
SHARED_EVENT_COLUMNS = ["event_id", "title", "date", "kind", "a_role", "b_role"]
TIE_COLUMNS = ["type", "from_kind", "from_key", "to_kind", "to_key", "source", "note"]


def _entity(store: GraphStore, ctx: _Context, text: str) -> dict[str, Any]:
    reg = _region(store, ctx, text)
    if reg.kind not in {"municipality", "project"}:
        raise InvalidArgument(
            f"{text!r} is a {reg.kind}; connections are between municipalities and projects",
            hint="give a Gemeinde (name or AGS) or a project id",
        )
    return {"kind": reg.kind, "key": reg.key, "name": reg.name}


def _entity_topics(ctx: _Context, ent: dict[str, Any]) -> dict[str, str]:
    """topic → description of why the entity has it."""
    if ent["kind"] == "project":
        return dict.fromkeys(sorted(ctx.projects[ent["key"]].topics), "addresses")
    pos = ctx.positions([ent["key"]])
    if len(pos) == 0:
        return {}
    out = {}
    for t, items in sorted(ctx.evidence.get(int(pos[0]), {}).items()):
        out[t] = "; ".join(
            f"{e.via} {e.kind} {e.date}" + (f" at {e.event_id}" if e.event_id else "") + f" ({e.source})"
            for e in items
        )
    return out


def _entity_events(store: GraphStore, ent: dict[str, Any]) -> dict[str, str]:
    if ent["kind"] == "project":
        h = store.event_hosts()
        return dict.fromkeys(sorted(h.loc[h["project_id"] == ent["key"], "event_id"].astype(str)), "hosted")
    a = store.attendances([ent["key"]])
    out: dict[str, set[str]] = defaultdict(set)
    for e, k in zip(*_columns(a, "event_id", "kind"), strict=True):
        out[str(e)].add(str(k))
    return {e: "attended (" + ", ".join(sorted(ks)) + ")" for e, ks in sorted(out.items())}


def connections(store: GraphStore, a: str, b: str) -> Connections:
    """How two municipalities or projects are linked — material for a warm introduction.

    ``a`` and ``b`` are each a Gemeinde (name or AGS) or a project (id or name).
    ``shared_topics``: topics both have (a municipality's from its interests and attended
    events, a project's from ADDRESSES), with the evidence on each side.
    ``shared_events``: events both took part in (a municipality ATTENDED, a project HOSTED).
    ``ties``: the typed KTS ties between the two (either direction), plus MEMBER_OF when
    the municipality lies in the project's territory. ``paths``: up to 5 shortest paths
    in the graph (ignoring Kreis/Land structure edges, at most 6 hops), each a list of
    ``{id, kind, key, name}``.
    """
    ctx = _context(store)
    ea, eb = _entity(store, ctx, a), _entity(store, ctx, b)
    if (ea["kind"], ea["key"]) == (eb["kind"], eb["key"]):
        raise InvalidArgument(f"{a!r} and {b!r} are the same {ea['kind']}")
    ta, tb = _entity_topics(ctx, ea), _entity_topics(ctx, eb)
    shared_t = [
        {"topic": t, "label": ctx.topic_labels.get(t, t), "a_evidence": ta[t], "b_evidence": tb[t]}
        for t in sorted(set(ta) & set(tb))
    ]
    va, vb = _entity_events(store, ea), _entity_events(store, eb)
    shared_e = []
    for e in sorted(set(va) & set(vb)):
        ev = ctx.events.get(e, {})
        shared_e.append(
            {"event_id": e, "title": ev.get("title", ""), "date": ev.get("date", ""), "kind": ev.get("kind", ""),
             "a_role": va[e], "b_role": vb[e]}
        )  # fmt: skip
    rel = store.relations()
    ka, kb = (ea["kind"], ea["key"]), (eb["kind"], eb["key"])
    tie_rows = [
        {c: str(getattr(r, c) or "") for c in TIE_COLUMNS}
        for r in _rows(rel)
        if {(r.from_kind, r.from_key), (r.to_kind, r.to_key)} == {ka, kb}
    ]
    for m_, p_ in ((ea, eb), (eb, ea)):
        if m_["kind"] == "municipality" and p_["kind"] == "project":
            terr = store.territories([p_["key"]])
            if (terr["ags"] == m_["key"]).any():
                via = str(terr.loc[terr["ags"] == m_["key"], "via"].iloc[0])
                tie_rows.append(
                    {"type": "MEMBER_OF", "from_kind": "municipality", "from_key": m_["key"], "to_kind": "project",
                     "to_key": p_["key"], "source": "data/project_members.csv", "note": f"territory (via {via})"}
                )  # fmt: skip
    ties = pd.DataFrame(tie_rows, columns=TIE_COLUMNS) if tie_rows else _empty(TIE_COLUMNS)
    ids = store.shortest_paths(
        node_id(_node_kind(ea["kind"]), ea["key"]),
        node_id(_node_kind(eb["kind"]), eb["key"]),
        max_hops=6,
        limit=5,
    )
    paths = [[_describe_node(store, ctx, n) for n in p] for p in ids]
    return Connections(
        a=ea,
        b=eb,
        shared_topics=pd.DataFrame(shared_t, columns=SHARED_TOPIC_COLUMNS)
        if shared_t
        else _empty(SHARED_TOPIC_COLUMNS),
        shared_events=pd.DataFrame(shared_e, columns=SHARED_EVENT_COLUMNS)
        if shared_e
        else _empty(SHARED_EVENT_COLUMNS),
        ties=ties,
        paths=paths,
    )


def _node_kind(kind: str) -> NodeKind:
    return NodeKind.PROJECT if kind == "project" else NodeKind.MUNICIPALITY


def _describe_node(store: GraphStore, ctx: _Context, nid: str) -> dict[str, Any]:
    kind, key = split_node_id(nid)
    name = key
    if kind == NodeKind.MUNICIPALITY:
        pos = ctx.positions([key])
        name = ctx.name[int(pos[0])] if len(pos) else key
    elif kind == NodeKind.PROJECT:
        name = ctx.projects[key].name if key in ctx.projects else key
    elif kind == NodeKind.TOPIC:
        name = ctx.topic_labels.get(key, key)
    elif kind == NodeKind.EVENT:
        name = str(ctx.events.get(key, {}).get("title") or key)
    elif kind == NodeKind.DISTRICT:
        d = store.districts()
        hit = d.loc[d["key"] == key, "name"]
        name = str(hit.iloc[0]) if len(hit) else key
    elif kind == NodeKind.STATE:
        s = store.states()
        hit = s.loc[s["code"] == key, "name"]
        name = str(hit.iloc[0]) if len(hit) else key
    return {"id": nid, "kind": kind.value, "key": key, "name": name}
