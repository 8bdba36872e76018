"""Lookups behind the API's read endpoints that the graph layer does not already offer.

Plain functions over the :class:`graph.store.GraphStore` protocol returning pandas objects
or plain dicts (no FastAPI here), so the routes stay parameter mapping only. Programme
lookups (projects, events) come from :mod:`graph.programme_views`, the analytics from
:mod:`graph.queries`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from graph.errors import NotFound
from graph.programme_views import list_events
from graph.regions import candidates, fold, members_of
from graph.store import GraphStore

MUNICIPALITY_LIST_COLUMNS = [
    "ags", "name", "type", "unincorporated", "district_key", "district", "state_code", "state",
    "population", "area_km2", "postcode", "lat", "lon", "funded",
]  # fmt: skip
EVENT_ROW_COLUMNS = [
    "id", "kind", "number", "date_start", "date_end", "format", "title", "place_key", "place_name",
    "hosts", "topics", "lat", "lon",
]  # fmt: skip

_FOLDED: dict[tuple[int, int], pd.Series] = {}


def _folded_names(store: GraphStore, m: pd.DataFrame) -> pd.Series:
    key = (id(store), id(m))
    hit = _FOLDED.get(key)
    if hit is None or len(hit) != len(m):
        if len(_FOLDED) > 8:
            _FOLDED.clear()
        hit = m["name"].map(fold)
        _FOLDED[key] = hit
    return hit


def _named(store: GraphStore, m: pd.DataFrame) -> pd.DataFrame:
    d = store.districts()[["key", "name"]].rename(columns={"key": "district_key", "name": "district"})
    s = store.states()[["code", "name"]].rename(columns={"code": "state_code", "name": "state"})
    out = m.merge(d, on="district_key", how="left").merge(s, on="state_code", how="left")
    out["district"] = out["district"].fillna("")
    return out


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
            keep &= _folded_names(store, m).str.contains(fold(needle), regex=False)
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
    out = _named(store, m[keep])
    return out[MUNICIPALITY_LIST_COLUMNS].reset_index(drop=True)


def municipality_detail(store: GraphStore, ags: str) -> dict[str, Any]:
    """One municipality with its Kreis, Land, projects covering it and the interests recorded."""
    m = store.municipalities([ags])
    if m.empty:
        raise NotFound(
            f"no municipality with AGS {ags!r}",
            hint="an AGS has 8 digits, e.g. 08421000 (Ulm); GET /regions/resolve?q=NAME or "
            "GET /municipalities?q=NAME finds the AGS of a name",
        )
    row: dict[str, Any] = {str(k): v for k, v in _named(store, m).iloc[0].to_dict().items()}
    terr = store.territories()
    covering = terr[terr["ags"] == ags]
    names = dict(zip(store.projects()["id"], store.projects()["name"], strict=True))
    row["projects"] = [
        {"id": r.project_id, "name": str(names.get(str(r.project_id), "")), "via": r.via}
        for r in covering.itertuples()
    ]
    row["interests"] = store.interests(ags=[ags])
    row["attendances"] = store.attendances(ags=[ags])
    return row


def topics(store: GraphStore) -> pd.DataFrame:
    """The topic taxonomy with how many projects address, events focus on, and Gemeinden show interest in each."""
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
    """:func:`graph.programme_views.list_events` with the place's name and centre (for maps)."""
    e = list_events(store, kind=kind, year=year, topic=topic)
    keys = [k for k in e["place_key"].fillna("") if k]
    places = store.municipalities(keys)[["ags", "name", "lat", "lon"]].rename(
        columns={"ags": "place_key", "name": "place_name"}
    )
    out = e.merge(places, on="place_key", how="left")
    out["place_name"] = out["place_name"].fillna("")
    out["number"] = out["number"].map(lambda v: None if pd.isna(v) else int(v)).astype(object)
    return out[EVENT_ROW_COLUMNS].reset_index(drop=True)


def event_kinds(store: GraphStore) -> list[str]:
    """The event kinds in the graph."""
    return sorted(str(k) for k in store.events()["kind"].dropna().unique())


def region_answer(store: GraphStore, q: str) -> dict[str, Any]:
    """What a region string means: one region, or the candidates when it fits several places.

    Raises :class:`NotFound` when nothing fits.
    """
    found = candidates(store, q)
    if not found:
        raise NotFound(
            f"no Land, Kreis, Gemeinde or project is called {q!r}",
            hint="give an AGS (2, 5 or 8 digits), a project id, or an official name such as "
            "'Ulm', 'Landkreis Mayen-Koblenz' or 'Bayern'",
        )
    if len(found) > 1:
        return {"q": q, "status": "ambiguous", "region": None, "candidates": found}
    c = found[0]
    members = members_of(store, c["kind"], c["key"])
    region = {"kind": c["kind"], "key": c["key"], "name": c["name"], "member_count": len(members)}
    return {"q": q, "status": "resolved", "region": region, "candidates": found}


def stats(store: GraphStore) -> dict[str, Any]:
    """Counts behind ``GET /stats``: nodes, edges, Gemeinden, population, funded, projects by round."""
    info = store.info()
    m = store.municipalities()
    unincorporated = m["unincorporated"].astype(bool)
    funded = m["funded"].astype(bool)
    p = store.projects()
    return {
        "backend": info["backend"],
        "stichtag": str(info.get("stichtag") or ""),
        "population_date": str(info.get("population_date") or ""),
        "nodes": {str(k): int(v) for k, v in info["nodes"].items()},
        "edges": {str(k): int(v) for k, v in info["edges"].items()},
        "municipalities": int((~unincorporated).sum()),
        "unincorporated_areas": int(unincorporated.sum()),
        "population": int(m["population"].sum()),
        "funded_municipalities": int((funded & ~unincorporated).sum()),
        "funded_unincorporated_areas": int((funded & unincorporated).sum()),
        "projects_by_round": {str(k): int(v) for k, v in p.groupby("round")["id"].count().items()},
        "projects_by_category": {str(k): int(v) for k, v in p.groupby("category")["id"].count().items()},
        "interest_sources": {
            str(k): int(v) for k, v in store.interests().groupby("source")["ags"].count().items()
        },
        "attribution": str(info.get("attribution") or ""),
    }
