"""Lookups behind the API's read endpoints that the graph layer does not already offer.

Plain functions over the :class:`lernnetz.graph.store.protocol.GraphStore` protocol returning pandas objects
or plain dicts (no FastAPI here), so the routes stay parameter mapping only. What the CLI
shows too comes from ``graph``: programme lookups (projects, events) from
:mod:`lernnetz.graph.analytics.programme`, one municipality and the counts from :mod:`lernnetz.graph.analytics.basic`,
the analytics from :mod:`lernnetz.graph.analytics`.
"""

from __future__ import annotations

import weakref
from typing import Any

import pandas as pd

from lernnetz.graph.analytics.basic import with_district_state
from lernnetz.graph.analytics.programme import list_events
from lernnetz.graph.errors import Ambiguous, NotFound
from lernnetz.graph.regions import candidates, fold, resolve_region
from lernnetz.graph.store import GraphStore, memo

MUNICIPALITY_LIST_COLUMNS = [
    "ags", "name", "type", "unincorporated", "district_key", "district", "state_code", "state",
    "population", "area_km2", "postcode", "lat", "lon", "funded",
]  # fmt: skip
EVENT_ROW_COLUMNS = [
    "id", "kind", "number", "date_start", "date_end", "format", "title", "place_key", "place_name",
    "hosts", "topics", "lat", "lon",
]  # fmt: skip

#: Folded names per municipality frame (the embedded store hands out the same frame each time);
#: the weak reference makes sure a hit is that very frame, not a later one at the same address.
_FOLDED: dict[int, tuple[weakref.ref[pd.DataFrame], pd.Series]] = {}


def _folded_names(m: pd.DataFrame) -> pd.Series:
    hit = _FOLDED.get(id(m))
    if hit is not None and hit[0]() is m:
        return hit[1]
    if len(_FOLDED) > 8:
        _FOLDED.clear()
    folded = m["name"].map(fold)
    _FOLDED[id(m)] = (weakref.ref(m), folded)
    return folded


def state_code(store: GraphStore, state: str) -> str:
    """A Land given as code ("08"), short code ("BW") or name ("Baden-Württemberg") → its code."""
    s = store.states()
    q = state.strip()
    hit = s[
        (s["code"] == q.zfill(2)) | (s["short"].str.upper() == q.upper()) | (s["name"].map(fold) == fold(q))
    ]
    if hit.empty:
        raise NotFound(
            f"no Land {state!r}",
            hint="give the 2-digit code, the short code or the name, e.g. 08, BW or Baden-Württemberg: "
            + ", ".join(f"{r.code} {r.short}" for r in s.itertuples()),
        )
    return str(hit.iloc[0]["code"])


def district_keys(store: GraphStore, district: str) -> list[str]:
    """A Kreis given as 5-digit key or name → its key(s)."""
    d = store.districts()
    q = district.strip()
    hit = d[(d["key"] == q) | (d["name"].map(fold) == fold(q))]
    if hit.empty:
        hit = d[d["key"].isin([c["key"] for c in candidates(store, q) if c["kind"] == "district"])]
    if hit.empty:
        raise NotFound(
            f"no Kreis {district!r}",
            hint="give the 5-digit Kreis key (e.g. 08425) or its official name; GET /regions/resolve?q=… helps",
        )
    return [str(k) for k in hit["key"]]


def municipalities(
    store: GraphStore,
    *,
    q: str | None = None,
    state: str | None = None,
    district: str | None = None,
    funded: bool | None = None,
    min_population: int | None = None,
    max_population: int | None = None,
) -> pd.DataFrame:
    """Municipalities (Gemeinden and gemeindefreie Gebiete) filtered; sorted by AGS.

    ``q`` matches a part of the name, ignoring case, umlauts (ä = ae) and ß = ss, or the start
    of the AGS. ``state`` and ``district`` take keys or names; ``funded`` keeps only Gemeinden
    inside (true) or outside (false) a model project's territory.
    """
    m = store.municipalities()
    keep = pd.Series(True, index=m.index)
    if q and q.strip():
        needle = q.strip()
        if needle.isdigit():
            keep &= m["ags"].str.startswith(needle)
        else:
            keep &= _folded_names(m).str.contains(fold(needle), regex=False)
    if state:
        keep &= m["state_code"] == state_code(store, state)
    if district:
        keep &= m["district_key"].isin(district_keys(store, district))
    if funded is not None:
        keep &= m["funded"].astype(bool) == funded
    if min_population is not None:
        keep &= m["population"] >= min_population
    if max_population is not None:
        keep &= m["population"] <= max_population
    out = with_district_state(store, m[keep])
    return out[MUNICIPALITY_LIST_COLUMNS].reset_index(drop=True)


def topics(store: GraphStore) -> pd.DataFrame:
    """The topic taxonomy with how many projects address, events focus on, and Gemeinden show interest in each
    (counted once per store state)."""
    return memo(store, "topic_counts", lambda: _topics(store))


def _topics(store: GraphStore) -> pd.DataFrame:
    t = store.topics()[["slug", "label_de", "label_en", "family", "parent"]].copy()
    pt = store.project_topics().groupby("topic")["project_id"].nunique()
    et = store.event_topics().groupby("topic")["event_id"].nunique()
    it = store.interests().groupby("topic")["ags"].nunique()
    t["projects"] = t["slug"].map(pt).fillna(0).astype(int)
    t["events"] = t["slug"].map(et).fillna(0).astype(int)
    t["interested_municipalities"] = t["slug"].map(it).fillna(0).astype(int)
    return t.reset_index(drop=True)


def events(
    store: GraphStore, *, kind: str | None = None, year: int | None = None, topic: str | None = None
) -> pd.DataFrame:
    """:func:`lernnetz.graph.analytics.programme.list_events` with the place's name and centre (for maps)."""
    full = memo(store, "event_rows", lambda: _events(store))
    if kind is None and year is None and topic is None:
        return full
    ids = list_events(store, kind=kind, year=year, topic=topic)["id"]
    return full[full["id"].isin(ids)].reset_index(drop=True)


def _events(store: GraphStore) -> pd.DataFrame:
    e = list_events(store)
    keys = [k for k in e["place_key"].fillna("") if k]
    places = store.municipalities(keys)[["ags", "name", "lat", "lon"]].rename(
        columns={"ags": "place_key", "name": "place_name"}
    )
    out = e.merge(places, on="place_key", how="left")
    out["place_name"] = out["place_name"].fillna("")
    out["number"] = out["number"].map(lambda v: None if pd.isna(v) else int(v)).astype(object)
    return out[EVENT_ROW_COLUMNS].reset_index(drop=True)


def region_answer(store: GraphStore, q: str) -> dict[str, Any]:
    """What a region string means: one region (as :func:`lernnetz.graph.regions.resolve_region` resolves
    every ``region=`` parameter), or the candidates when it fits several places.

    Raises :class:`NotFound` when nothing fits.
    """
    try:
        region = resolve_region(store, q)
    except Ambiguous as exc:
        return {"q": q, "status": "ambiguous", "region": None, "candidates": exc.candidates}
    return {"q": q, "status": "resolved", "region": region.as_dict(), "candidates": candidates(store, q)}
