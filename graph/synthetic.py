"""Synthetic participation for demos and benchmarks — clearly labelled, never real.

Every record has ``source="synthetic"``. The generator is seeded (same store, ``n`` and
``seed`` → the same records) and only loosely realistic:

* municipalities are drawn with probability ∝ √population (larger places register more);
  gemeindefreie Gebiete never;
* an interest's topic is, with probability 0.6, one of the topics of the nearest model
  project (by territory, if one lies within 80 km — regional diffusion), otherwise drawn
  by how many projects address it (+1, so every topic can appear);
* a share of records (``attendance_share``) are attendances of dated programme events
  (kind ``attended``, date = the event's start), whose FOCUSES_ON topics then count;
* kinds of interests: registered 45 %, survey 40 %, attended 10 %, peer-learning 5 %;
  dates uniform in 2022-01-01 … 2025-06-30.

Remove them again with ``lernnetz demo-data --remove`` (drops them from the ledger;
``lernnetz load`` rebuilds the store).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from lernnetz.graph.errors import InvalidArgument
from lernnetz.graph.geo import SpatialIndex
from lernnetz.graph.store import GraphStore
from lernnetz.loaders.records import ParticipationRecord

SOURCE = "synthetic"
NEAR_PROJECT_KM = 80.0
LOCAL_TOPIC_SHARE = 0.6
KIND_CHOICES = ("registered", "survey", "attended", "peer-learning")
KIND_PROBS = (0.45, 0.40, 0.10, 0.05)
FIRST_DAY = dt.date(2022, 1, 1)
DAYS = (dt.date(2025, 6, 30) - FIRST_DAY).days + 1


def synthetic_participation(
    store: GraphStore, n: int = 10000, seed: int = 7, *, attendance_share: float = 0.1
) -> list[ParticipationRecord]:
    """``n`` distinct synthetic participation records (see module docstring)."""
    if n < 0:
        raise InvalidArgument(f"n must be ≥ 0 (got {n})")
    rng = np.random.default_rng(seed)
    m = store.municipalities()
    m = m[~m["unincorporated"].astype(bool) & m["lat"].notna()].sort_values("ags").reset_index(drop=True)
    if m.empty or n == 0:
        return []
    ags = m["ags"].to_numpy(dtype=str)
    p = np.sqrt(m["population"].to_numpy(dtype=float).clip(min=0)) + 1.0
    p /= p.sum()

    topics = sorted(store.topics()["slug"])
    pt = store.project_topics()
    popularity = np.array([1.0 + float((pt["topic"] == t).sum()) for t in topics])
    popularity /= popularity.sum()
    local = _nearest_project_topics(store, m, pt)

    ev = store.events()
    ev = ev[ev["date_start"].fillna("").astype(str) != ""].sort_values("id")
    event_ids = ev["id"].astype(str).tolist()
    event_dates = dict(zip(event_ids, ev["date_start"].astype(str), strict=True))
    share = attendance_share if event_ids else 0.0

    out: dict[ParticipationRecord, None] = {}
    rounds = 0
    while len(out) < n and rounds < 50:
        rounds += 1
        k = max(64, int((n - len(out)) * 1.3))
        who = rng.choice(len(ags), size=k, p=p)
        is_att = rng.random(k) < share
        use_local = rng.random(k) < LOCAL_TOPIC_SHARE
        pick_global = rng.choice(len(topics), size=k, p=popularity)
        pick_local = rng.random(k)
        kinds = rng.choice(len(KIND_CHOICES), size=k, p=KIND_PROBS)
        days = rng.integers(0, DAYS, size=k)
        pick_event = rng.integers(0, max(1, len(event_ids)), size=k)
        for i in range(k):
            a = str(ags[who[i]])
            if is_att[i]:
                eid = event_ids[int(pick_event[i])]
                rec = ParticipationRecord(a, "attended", event_dates[eid], SOURCE, topic=None, event_id=eid)
            else:
                near = local.get(int(who[i]))
                if near and use_local[i]:
                    topic = near[int(pick_local[i] * len(near))]
                else:
                    topic = topics[int(pick_global[i])]
                date = (FIRST_DAY + dt.timedelta(days=int(days[i]))).isoformat()
                rec = ParticipationRecord(a, KIND_CHOICES[int(kinds[i])], date, SOURCE, topic=topic)
            out.setdefault(rec, None)
            if len(out) >= n:
                break
    return list(out)[:n]


def _nearest_project_topics(store: GraphStore, m: Any, pt: Any) -> dict[int, list[str]]:
    """For each municipality row (position), the sorted topics of the nearest project within 80 km."""
    terr = store.territories()
    by_project = pt.groupby("project_id")["topic"].apply(lambda s: sorted(set(s))).to_dict()
    terr = terr[terr["project_id"].isin(list(by_project))]
    if terr.empty:
        return {}
    pos = store.municipalities(list(terr["ags"].unique()))[["ags", "lat", "lon"]].dropna()
    terr = terr.merge(pos, on="ags").sort_values(["project_id", "ags"]).reset_index(drop=True)
    if terr.empty:
        return {}
    index = SpatialIndex(terr["lat"].to_numpy(dtype=float), terr["lon"].to_numpy(dtype=float))
    dist, idx = index.query(m["lat"].to_numpy(dtype=float), m["lon"].to_numpy(dtype=float))
    out: dict[int, list[str]] = {}
    for i, (d, j) in enumerate(zip(dist, idx, strict=True)):
        if d <= NEAR_PROJECT_KM:
            out[i] = by_project[terr.at[int(j), "project_id"]]
    return out
