"""Helpers for the analytics tests: a store with participation, and an independent reference.

The reference recomputes the documented semantics of ``lernnetz.graph.analytics.matches`` with plain
Python loops over the loader records (register, programme, participation) — no store, no
numpy, no code from ``lernnetz.graph.analytics`` — so the tests compare two independent computations.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from lernnetz.graph.model import GraphData
from lernnetz.graph.store.nx_store import NetworkXStore
from lernnetz.loaders.records import ParticipationRecord, Programme, Register

R_KM = 6371.0088

#: Hand-made participation around Ulm (source "hand-test"), on top of synthetic records.
#: Blaustein, Neu-Ulm, Ulm (funded), Dornstadt (via the RK3 event's focus), Langenau.
HAND = [
    ParticipationRecord("08425141", "survey", "2024-03-01", "hand-test", topic="strategy-development"),
    ParticipationRecord("09775135", "registered", "2024-03-02", "hand-test", topic="mobility"),
    ParticipationRecord("08421000", "attended", "2024-03-03", "hand-test", topic="strategy-development"),
    ParticipationRecord("08425031", "attended", "2022-04-05", "hand-test", event_id="rk-03-2022-04-05"),
    ParticipationRecord("08425072", "survey", "2024-03-04", "hand-test", topic="energy"),
]


def build_store(data: GraphData, records: Sequence[ParticipationRecord], path: Path) -> NetworkXStore:
    store = NetworkXStore(path)
    store.replace(GraphData(register=data.register, programme=data.programme, participation=list(records)))
    return store


def hav(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * R_KM * math.asin(math.sqrt(min(1.0, a)))


@dataclass
class Reference:
    """Plain-Python facts derived from the loader records."""

    coords: dict[str, tuple[float, float]]
    territory: dict[str, set[str]]
    funded: set[str]
    project_topics: dict[str, set[str]]
    topics_of: dict[str, set[str]]  # municipality → topics (interests + attended events' focus)
    evidence_weights: dict[tuple[str, str], list[float]]
    n_projects: int
    all_topics: list[str]
    programme: Programme | None = None
    #: Kreis/Verband key → its Gemeinden (register), for the places other-programme rows name.
    place_members: dict[str, set[str]] | None = None

    def place_funded(self, key: str) -> bool:
        """A Kreis or Verband listed in a territory itself, or a Verband inside a whole-Kreis territory."""
        listed = {m.key for m in self.programme.members} if self.programme else set()
        return key in listed or (len(key) == 9 and key[:5] in listed)

    def place_distance(self, key: str, keys: Iterable[str]) -> float:
        """Distance from a place (its nearest Gemeinde) to a set of Gemeinden."""
        members = (self.place_members or {}).get(key, set())
        return min((self.dist_to_set(a, keys) for a in members if a in self.coords), default=math.inf)

    def place_topics(self) -> dict[str, set[str]]:
        """Kreis/Verband key → topics of the other-programme rows naming it."""
        out: dict[str, set[str]] = defaultdict(set)
        for pp in self.programme.programme_participation if self.programme else []:
            if pp.level != "gemeinde":
                out[pp.key].update(pp.topics)
        return dict(out)

    @classmethod
    def build(
        cls, register: Register, programme: Programme, records: Iterable[ParticipationRecord]
    ) -> Reference:
        coords = {
            m.ags: (m.lat, m.lon) for m in register.municipalities if m.lat is not None and m.lon is not None
        }
        by_district: dict[str, list[str]] = defaultdict(list)
        by_assoc: dict[str, list[str]] = defaultdict(list)
        for m in register.municipalities:
            if m.district_key:
                by_district[m.district_key].append(m.ags)
            by_assoc[m.association_key].append(m.ags)
        territory: dict[str, set[str]] = defaultdict(set)
        for mem in programme.members:
            if mem.level == "gemeinde":
                territory[mem.project_id].add(mem.key)
            elif mem.level == "kreis":
                territory[mem.project_id].update(by_district[mem.key])
            else:
                territory[mem.project_id].update(by_assoc[mem.key])
        funded = set().union(*territory.values())
        pt: dict[str, set[str]] = defaultdict(set)
        for x in programme.project_topics:
            pt[x.project_id].add(x.topic)
        focus: dict[str, set[str]] = defaultdict(set)
        for et in programme.event_topics:
            focus[et.event_id].add(et.topic)
        kind_w = {"attended": 1.0, "peer-learning": 1.0, "registered": 0.75, "survey": 0.5}
        topics_of: dict[str, set[str]] = defaultdict(set)
        weights: dict[tuple[str, str], list[float]] = defaultdict(list)
        seen: set[tuple[Any, ...]] = set()
        for r in records:
            if r.topic:
                key = ("i", r.ags, r.topic, r.kind, r.date, r.source, r.event_id or "")
                if key not in seen:
                    seen.add(key)
                    topics_of[r.ags].add(r.topic)
                    weights[(r.ags, r.topic)].append(min(1.0, kind_w.get(r.kind, 0.5) * r.weight))
            if r.event_id:
                key = ("a", r.ags, r.event_id, r.kind, r.date, r.source)
                if key not in seen:
                    seen.add(key)
                    for t in focus[r.event_id]:
                        topics_of[r.ags].add(t)
                        weights[(r.ags, t)].append(min(1.0, kind_w.get(r.kind, 0.5) * 0.8))
        # other-programme rows naming a Gemeinde: evidence of that Gemeinde, weight 0.4 per topic
        # (rows naming a Kreis or Verband make candidates of their own level: not modelled here)
        for pp in programme.programme_participation:
            if pp.level == "gemeinde":
                for t in pp.topics:
                    topics_of[pp.key].add(t)
                    weights[(pp.key, t)].append(0.4)
        return cls(
            coords, dict(territory), funded, dict(pt), dict(topics_of), dict(weights), len(programme.projects),
            sorted(t.slug for t in programme.topics), programme,
            {pp.key: set(by_district[pp.key] if pp.level == "kreis" else by_assoc[pp.key])
             for pp in programme.programme_participation if pp.level != "gemeinde"},
        )  # fmt: skip

    def dist_to_set(self, ags: str, keys: Iterable[str]) -> float:
        keys = set(keys)
        if ags in keys:
            return 0.0
        lat, lon = self.coords[ags]
        return min((hav(lat, lon, *self.coords[k]) for k in keys if k in self.coords), default=math.inf)

    def idf(self, topic: str) -> float:
        def raw(t: str) -> float:
            n = sum(1 for ts in self.project_topics.values() if t in ts)
            return math.log((1 + self.n_projects) / (1 + n)) + 1

        return raw(topic) / max(raw(t) for t in self.all_topics)

    def strength(self, ags: str, topic: str) -> float:
        prod = 1.0
        for w in self.weights_for(ags, topic):
            prod *= 1 - w
        return 1 - prod

    def weights_for(self, ags: str, topic: str) -> list[float]:
        return self.evidence_weights.get((ags, topic), [])

    def area(self, members: Sequence[str], radius_km: float) -> dict[str, float]:
        """Every municipality within the radius of the region (plain loop with a latitude prefilter)."""
        mem = [m for m in members if m in self.coords]
        lat_lo = min(self.coords[m][0] for m in mem) - radius_km / 110.0
        lat_hi = max(self.coords[m][0] for m in mem) + radius_km / 110.0
        out = {}
        for a, (lat, _lon) in self.coords.items():
            if lat_lo <= lat <= lat_hi:
                d = self.dist_to_set(a, mem)
                if d <= radius_km:
                    out[a] = d
        return out

    def matches(
        self, members: Sequence[str], radius_km: float, topics: Sequence[str] | None, projects: str
    ) -> dict[str, dict[str, Any]]:
        """ags → {distance_km, shared_topics, projects: {id: (distance_km, shared_topics)}}."""
        area = self.area(members, radius_km)
        allowed = set(topics) if topics is not None else None
        if projects == "near":
            considered = [p for p, terr in self.territory.items() if any(a in area for a in terr)]
        else:
            considered = list(self.territory)
        out = {}
        for a, d in area.items():
            if a in self.funded:
                continue
            mine = self.topics_of.get(a, set())
            if allowed is not None:
                mine = mine & allowed
            plist = {}
            for p in considered:
                shared = mine & self.project_topics.get(p, set())
                if shared:
                    plist[p] = (self.dist_to_set(a, self.territory[p]), sorted(shared))
            if plist:
                shared_all = sorted(set().union(*(set(s) for _, s in plist.values())))
                out[a] = {"distance_km": d, "shared_topics": shared_all, "projects": plist}
        return out


class ShuffledStore:
    """A store whose every table comes back in a different (seeded) row order."""

    def __init__(self, inner: NetworkXStore, seed: int) -> None:
        self._inner = inner
        self._seed = seed
        self.backend = inner.backend

    def _shuffle(self, df: pd.DataFrame) -> pd.DataFrame:
        self._seed += 1
        return df.sample(frac=1.0, random_state=self._seed % (2**32)).reset_index(drop=True)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if name in {
            "municipalities", "districts", "states", "projects", "topics", "events", "territories", "members",
            "project_topics", "event_topics", "event_hosts", "interests", "attendances", "relations", "near",
        }:  # fmt: skip

            def wrapped(*args: Any, **kwargs: Any) -> Any:
                return self._shuffle(attr(*args, **kwargs))

            return wrapped
        return attr


SYNTHETIC_N = 3000
SYNTHETIC_SEED = 11


def analytics_store(
    nx_store: NetworkXStore, data: GraphData, tmp_path_factory: Any
) -> tuple[NetworkXStore, list[ParticipationRecord]]:
    """Register + programme + synthetic participation (3000 records, seed 11) + :data:`HAND`."""
    from lernnetz.graph.synthetic import synthetic_participation

    records = synthetic_participation(nx_store, SYNTHETIC_N, seed=SYNTHETIC_SEED) + HAND
    path = tmp_path_factory.mktemp("analytics") / "graph.pickle"
    return build_store(data, records, path), records


# ---- fixtures (this module is a pytest plugin, see tests/conftest.py): built once per session,
# shared read-only by the analytics test modules; a module's own `store` fixture overrides them.


@pytest.fixture(scope="session")
def store_and_records(
    nx_store: NetworkXStore, graph_data: GraphData, tmp_path_factory: pytest.TempPathFactory
) -> tuple[NetworkXStore, list[ParticipationRecord]]:
    return analytics_store(nx_store, graph_data, tmp_path_factory)


@pytest.fixture(scope="session")
def store(store_and_records: tuple[NetworkXStore, list[ParticipationRecord]]) -> NetworkXStore:
    return store_and_records[0]


@pytest.fixture(scope="session")
def ref(
    register: Register,
    programme: Programme,
    store_and_records: tuple[NetworkXStore, list[ParticipationRecord]],
) -> Reference:
    return Reference.build(register, programme, store_and_records[1])
