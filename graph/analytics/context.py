"""The analytics' shared context: parameters, precomputed evidence, projects and regions.

Every function takes a :class:`lernnetz.graph.store.protocol.GraphStore` first and uses only the
protocol's table methods (``municipalities``, ``territories``, ``project_topics``,
``interests``, ``attendances``, ``event_topics``, ``shortest_paths`` …), so the
embedded and the Neo4j store give the same answers from one implementation. Radius questions
are answered from the context's own spatial index over the register's coordinates (the
computation of the stores' ``near``, :meth:`lernnetz.graph.geo.SpatialIndex.near`): no store
round trip per question. Results are
pandas objects with fixed columns; errors are :mod:`lernnetz.graph.errors` domain errors
(``NotFound`` for an unknown region or topic, ``Ambiguous`` for a name that fits
several places, ``InvalidArgument`` for a parameter out of range).

Common definitions
------------------
* **Distance** (as in :mod:`lernnetz.graph.regions`): great-circle distance between official
  centre points, mean Earth radius 6371.0088 km; to a region or a project territory it
  is the minimum over its Gemeinden, 0 inside.
* **Funded**: the municipality lies in at least one model project's territory
  (``Municipality.funded``); every other Gemeinde is *non-funded*.
* **A municipality's topics** come only from participation: INTERESTED_IN edges (an
  *interest*) and the FOCUSES_ON topics of events it ATTENDED (an *event* topic).
* **A project's topics**: its ADDRESSES edges.
* **Evidence weight** of one interest or attendance: kind weight (attended 1.0,
  peer-learning 1.0, registered 0.75, survey 0.5, other 0.5) × the record's weight,
  × 0.8 when the topic comes through an attended event's focus, capped at 1.
  **Other-programme evidence** (``data/programme_participation.csv``: a place takes part
  in Smarte.Land.Regionen, Digitale Dörfer, an open-source community …) is its own kind,
  ``programme``, weight 0.4 per row and topic: sourced, but evidence of activity elsewhere,
  so weaker than attending a KTS event (1.0) and than registering for one (0.75). Rows
  that name no topic give no topical evidence. A row naming a Kreis or Verband is evidence
  of that Kreis or Verband, which becomes a candidate of its own level
  (:mod:`lernnetz.graph.analytics.places`); it is never spread onto its Gemeinden.
  ``min_evidence`` (:mod:`lernnetz.graph.analytics.min_evidence`) orders the kinds by
  these weights, weakest first: programme (0.4) < survey and other kinds (0.5) < registered
  (0.75) < attended, peer-learning (1.0); so ``min_evidence="survey"`` already drops the
  other-programme evidence, of Gemeinden and of Kreise/Verbände alike. The
  **evidence strength** s(m, t) of a municipality for a topic combines its pieces of
  evidence as 1 − Π(1 − wᵢ) (more evidence → closer to 1, never above).
* **IDF** of a topic: ln((1 + P) / (1 + pₜ)) + 1 over the P projects, pₜ of which address
  it, divided by the largest IDF (so in (0, 1]): a topic few projects address counts
  more than a generic one.
* **Ordering** is always explicit: score descending, then distance ascending, then key
  (AGS or project id) ascending. Scores are rounded to 6 decimals before sorting.

Precomputation: per store, the register arrays, the evidence per municipality and topic (as
columns; a Gemeinde's items made on first access and kept: :mod:`.evidence_rows`), project
territories and topics, IDF and resolved regions are built once and kept by the store
for its current state (``store.derived``, dropped or re-keyed by every load or import; a store
without it: a cache keyed on the store object, rebuilt when its ``info()`` counts or metadata
change); :func:`clear_cache` drops it.
"""

from __future__ import annotations

import contextlib
import gc
import math
import threading
import weakref
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import numpy.typing as npt

from lernnetz.graph.analytics.evidence_rows import EvidenceByPlace
from lernnetz.graph.analytics.frames import _f
from lernnetz.graph.analytics.params import (
    BoolArray,
    FloatArray,
    IntArray,
)
from lernnetz.graph.analytics.places import (
    FUNDED_WAYS,
    Place,
    check_funded_means,
)
from lernnetz.graph.errors import Ambiguous, InvalidArgument, NotFound
from lernnetz.graph.geo import SpatialIndex, haversine_km
from lernnetz.graph.regions import Region
from lernnetz.graph.store import GraphStore, memo
from lernnetz.loaders.topics import TopicLookup

# ---------------------------------------------------------------------------- precomputation


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
    status: str = ""
    end_date: str = ""
    status_source: str = ""

    def status_note(self) -> str:
        """For an ended (or left) project: what that means for learning from it."""
        if not self.status:
            return ""
        when = f" on {self.end_date}" if self.end_date else ""
        return (
            f"{self.name}: project {self.status}{when} (source {self.status_source}); "
            "its results and people can still be learned from"
        )


#: ``_Context.distances_to_project`` keeps at most this many distances per project.
_PROJECT_KM = 20_000

#: The context's fields that questions fill as they go, left out of its pickle (the warm cache).
_KEPT = frozenset({"rows", "areas", "funded_masks", "topic_parts", "place_arrays", "project_km"})


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
    evidence: EvidenceByPlace  # position → topic → items, made on first access
    strength: dict[int, dict[str, float]]
    has_topic: dict[str, BoolArray]
    has_any: BoolArray
    events: dict[str, dict[str, Any]]
    attribution: str
    funded_rank: npt.NDArray[np.int8]
    funded_confidence: list[str]
    places: dict[str, Place]
    index: SpatialIndex  # over the located Gemeinden (``located`` maps its positions to ours)
    located: IntArray
    regions: dict[str, Region] = field(default_factory=dict)
    centres: dict[tuple[str, str], IntArray] = field(default_factory=dict)
    masks: dict[frozenset[str], BoolArray] = field(default_factory=dict)
    rows: dict[int, dict[str, Any]] = field(default_factory=dict)  # see row(); at most one per Gemeinde
    areas: dict[tuple[str, str, float], tuple[IntArray, FloatArray]] = field(default_factory=dict)  # _near
    funded_masks: dict[str, BoolArray] = field(default_factory=dict)  # funded_under()
    #: per (Gemeinde position or place key, shared topics): what they give a match row whatever the
    #: region (see ``matches._topic_part``); depends on the evidence: a view starts its own
    topic_parts: dict[tuple[int | str, tuple[str, ...]], Any] = field(default_factory=dict)
    #: the places' Gemeinden in one array, for one vectorised minimum per question (``matches``)
    place_arrays: dict[str, Any] = field(default_factory=dict)
    #: per project: the distances (km) of the Gemeinden asked about so far to its territory
    #: (:meth:`distances_to_project`; at most ``_PROJECT_KM`` each)
    project_km: dict[str, dict[int, float]] = field(default_factory=dict)

    def __getstate__(self) -> list[Any]:
        """Pickled (the warm cache) without what questions kept (``_KEPT``)."""
        return [{} if f.name in _KEPT else getattr(self, f.name) for f in fields(self)]

    def __setstate__(self, state: list[Any]) -> None:
        for f, value in zip(fields(self), state, strict=True):
            object.__setattr__(self, f.name, value)

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

    def funded_under(self, funded_means: str) -> BoolArray:
        """Which Gemeinden count as funded when only the ways up to ``funded_means`` count
        (read-only; kept per ``funded_means``, as it depends on the context alone)."""
        hit = self.funded_masks.get(funded_means)
        if hit is not None:
            return hit
        try:
            limit = check_funded_means(funded_means)
        except ValueError as exc:
            raise InvalidArgument(str(exc), hint="member, verband, kreis or any (the default)") from None
        r = self.funded_rank
        out = np.asarray((r >= 0) & (r <= limit), dtype=bool)
        out.flags.writeable = False
        self.funded_masks[funded_means] = out  # a handful of valid spellings: bounded
        return out

    def row(self, pos: int) -> dict[str, Any]:
        """A Gemeinde's row (a new dict each call; the values that depend only on the context are
        kept per position, so a repeated question does not convert them again)."""
        return {**self.row_base(pos), "funded_members": []}

    def row_base(self, pos: int) -> dict[str, Any]:
        """The kept columns of a Gemeinde's row (see :meth:`row`; read them, never change them)."""
        base = self.rows.get(pos)
        if base is None:
            r = int(self.funded_rank[pos])
            base = {
                "ags": str(self.ags[pos]),
                "name": self.name[pos],
                "district": self.district[pos],
                "state": self.state[pos],
                "population": int(self.population[pos]),
                "lat": _f(self.lat[pos]),
                "lon": _f(self.lon[pos]),
                "level": "gemeinde",
                "funded_as": FUNDED_WAYS[r] if r >= 0 else "",
                "funded_confidence": self.funded_confidence[pos],
            }
            self.rows[pos] = base
        return base

    def place_row(self, place: Place) -> dict[str, Any]:
        """The row of a Kreis or Verband candidate (its key in ``ags``, ``level`` says which)."""
        return {
            "ags": place.key,
            "name": place.label,
            "district": place.district,
            "state": place.state,
            "population": place.population,
            "lat": place.lat,
            "lon": place.lon,
            "level": place.level,
            "funded_as": place.funded_as,
            "funded_confidence": place.funded_confidence,
            "funded_members": list(place.funded_members),
        }

    def distance_to_project_from(self, members: IntArray, pid: str) -> float:
        """Distance from a place (its nearest Gemeinde) to a project's territory."""
        if len(members) == 0:
            return math.inf
        return float(self.distance_to_project(members, pid).min())

    def distance_to_project(self, pos: IntArray, pid: str) -> FloatArray:
        p = self.projects[pid]
        if len(pos) == 0 or len(p.territory) == 0:
            return np.full(len(pos), np.inf)
        d = haversine_km(self.lat[pos][:, None], self.lon[pos][:, None], p.lat[None, :], p.lon[None, :])
        out = np.asarray(d.min(axis=1), dtype=np.float64)
        at = np.minimum(np.searchsorted(p.territory, pos), len(p.territory) - 1)
        out[p.territory[at] == pos] = 0.0  # inside (the territory is sorted: no np.isin per call)
        return out

    def distances_to_project(self, pos: list[int], pid: str) -> list[float]:
        """:meth:`distance_to_project` of these Gemeinden, each computed once per context (a
        Gemeinde's distance to a territory does not depend on the question; safe across threads:
        what another thread clears is computed again)."""
        known = self.project_km.get(pid)
        if known is None:
            known = self.project_km.setdefault(pid, {})
        out = [known.get(c) for c in pos]
        missing = [c for c, km in zip(pos, out, strict=True) if km is None]
        if not missing:
            return out  # type: ignore[return-value]
        new = dict(
            zip(
                missing,
                self.distance_to_project(np.array(missing, dtype=np.int64), pid).tolist(),
                strict=True,
            )
        )
        if len(known) + len(new) > _PROJECT_KM:
            known.clear()
        known.update(new)
        return [new[c] if km is None else km for c, km in zip(pos, out, strict=True)]

    def topic_args(self, topics: Sequence[str] | str | None) -> list[str] | None:
        if topics is None:
            return None
        items = [topics] if isinstance(topics, str) else list(topics)
        if not items:
            raise InvalidArgument("topics is empty", hint="give at least one topic, or none for all topics")
        out = []
        for t in items:
            found = self.topic_lookup.lookup(str(t))
            if found.slug is None:
                if len(found.slugs) > 1:
                    raise Ambiguous(
                        f"topic {t!r} fits {len(found.slugs)} topics: {', '.join(found.slugs)}",
                        [
                            {"kind": "topic", "key": s, "name": self.topic_lookup.labels.get(s, s)}
                            for s in found.slugs
                        ],
                        hint="give one of their slugs",
                    )
                raise NotFound(
                    f"unknown topic {t!r}",
                    hint="give a topic slug, label or synonym; `lernnetz topics` / GET /topics lists them",
                    candidates=[
                        {"kind": "topic", "key": c["slug"], "name": c["label"]}
                        for c in self.topic_lookup.candidates(str(t))
                    ],
                )
            out.append(found.slug)
        return sorted(set(out))


_CACHE: weakref.WeakKeyDictionary[Any, _Context] = weakref.WeakKeyDictionary()
_CACHE_BY_ID: dict[int, _Context] = {}
_LOCK = threading.RLock()


#: The context is kept by the store itself (``store.derived``: dropped with every change, and
#: persisted in the embedded store's warm cache beside the snapshot); the name carries the
#: fields, so a cache written by another version of this class is never taken for this one.
_MEMO_NAME = "analytics_context:" + ",".join(f.name for f in fields(_Context))


def _box(store: GraphStore) -> dict[str, _Context] | None:
    """The store's slot for its context, or ``None`` for a store that keeps no derived data."""
    if getattr(store, "derived", None) is None:
        return None
    return memo(store, _MEMO_NAME, dict)


def clear_cache(store: GraphStore | None = None) -> None:
    """Drop the precomputed data of one store (or of all that this process cached itself)."""
    with _LOCK:
        if store is None:
            _CACHE.clear()
            _CACHE_BY_ID.clear()
            return
        box = _box(store)
        if box is not None:
            box.clear()
        with contextlib.suppress(TypeError):
            _CACHE.pop(store, None)
        _CACHE_BY_ID.pop(id(store), None)


def prepare(store: GraphStore, *, persist: bool = True) -> None:
    """Build the analytics context and the region index now (once; at API start-up, after a
    load) instead of in the first question; with ``persist``, an embedded store then writes
    its warm cache beside the snapshot, so the next process does not rebuild them."""
    from lernnetz.graph.regions import prepare as prepare_regions

    _context(store)
    prepare_regions(store)
    write = getattr(store, "persist_warm", None)
    if persist and write is not None:
        write()


def _stamp(info: dict[str, Any]) -> Any:
    nodes = tuple(sorted((info.get("nodes") or {}).items()))
    edges = tuple(sorted((info.get("edges") or {}).items()))
    meta = tuple(
        str(info.get(k, "")) for k in ("stichtag", "register_sha256", "programme_source", "register_source")
    )
    return (nodes, edges, meta)


def _context(store: GraphStore) -> _Context:
    box = _box(store)
    if box is not None:
        ctx = box.get("ctx")
        if ctx is not None:
            # the box is the store's for its current state (``derived`` is dropped or re-keyed with
            # every change): no ``info()`` per question (on Neo4j that was a second round trip)
            return ctx
        with _LOCK:  # one build at a time: concurrent first requests wait for it, not build their own
            ctx = box.get("ctx")
            if ctx is None:
                # ``info()`` too without the collector: on the embedded store its first call groups
                # every edge by type (223,000 tuples on the 10x register), which with the collector on
                # set off full collections over the whole graph
                with _collector_paused(store):
                    ctx = _build(store, store.info())
                box["ctx"] = ctx
            return ctx
    info = store.info()
    stamp = _stamp(info)
    with _LOCK:
        try:
            ctx = _CACHE.get(store)
        except TypeError:
            ctx = _CACHE_BY_ID.get(id(store))
        if ctx is not None and ctx.stamp == stamp:
            return ctx
        with _collector_paused(store):
            ctx = _build(store, info)
        try:
            _CACHE[store] = ctx
        except TypeError:
            _CACHE_BY_ID[id(store)] = ctx
        return ctx


def _build(store: GraphStore, info: dict[str, Any]) -> _Context:
    from lernnetz.graph.analytics.context_build import build_context  # it imports this module

    return build_context(store, _stamp(info), str(info.get("attribution", "")))


@contextlib.contextmanager
def _collector_paused(store: GraphStore) -> Iterator[None]:
    """The context build without the cyclic garbage collector, and its objects kept out of
    later collections.

    The build, with the store's first ``info()`` and tables, allocates hundreds of thousands of
    objects (the 10× register's 100,000 interest rows, its 223,000 edges grouped by type, beside
    its 650,000-object graph); with the collector on, they trigger full collections during the
    build (each a walk over the whole heap: 0.25-0.7 s apiece on the 10× register) and, paused
    only, one later. So: collector off during the build; the build's own cyclic temporaries
    collected by a young-generation pass (it walks only what the build made and kept: a few
    thousand containers, as the evidence is kept as columns, 0.03 s); then ``gc.freeze()``, so
    later collections skip everything allocated so far.

    The trade-off: frozen objects that become cyclic garbage are not collected until
    ``gc.unfreeze()``. The context itself has no reference cycles (dropped, it goes by
    reference counting; see tests/test_warm_cache.py); a NetworkX graph has (its cached views), so
    the embedded store unfreezes when it swaps its graph, and a store that is dropped
    unfreezes by a finalizer. Nothing is frozen when the caller had the collector off (it
    manages collection itself, e.g. the API server's ``ApiState.settle``)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
        gc.collect(0)
        gc.freeze()
        with contextlib.suppress(TypeError):  # not weak-referenceable: stays until unfrozen
            weakref.finalize(store, gc.unfreeze)
    finally:
        gc.enable()
