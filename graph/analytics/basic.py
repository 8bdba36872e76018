"""Basic queries behind the CLI and API: radius search around a region, lookups."""

from __future__ import annotations

from typing import Any, cast

import pandas as pd

from lernnetz.graph.errors import InvalidArgument, NotFound
from lernnetz.graph.regions import resolve_region
from lernnetz.graph.store import GraphStore, memo

MAX_RADIUS_KM = 1000.0
NEAR_RESULT_COLUMNS = [
    "ags",
    "name",
    "district",
    "state",
    "population",
    "funded",
    "distance_km",
    "lat",
    "lon",
]


def check_radius(radius_km: float, *, maximum: float = MAX_RADIUS_KM) -> float:
    """A radius must be > 0 and ≤ ``maximum`` km."""
    if not radius_km > 0 or radius_km > maximum:
        raise InvalidArgument(
            f"radius_km must be > 0 and ≤ {maximum:g} (got {radius_km:g})",
            hint="give a radius in km, e.g. 30",
        )
    return float(radius_km)


def with_district_state(store: GraphStore, df: pd.DataFrame) -> pd.DataFrame:
    """Add the Kreis and Land names (``district``, ``state``) to a frame with ``district_key``
    and ``state_code`` columns (``district`` is ``""`` where there is no Kreis)."""
    d = store.districts()[["key", "name"]].rename(columns={"key": "district_key", "name": "district"})
    s = store.states()[["code", "name"]].rename(columns={"code": "state_code", "name": "state"})
    out = df.merge(d, on="district_key", how="left").merge(s, on="state_code", how="left")
    out["district"] = out["district"].fillna("")
    return out


def with_names(store: GraphStore, df: pd.DataFrame) -> pd.DataFrame:
    """Add name, Kreis, Land, population, funded and position to a frame with an ``ags`` column."""
    m = store.municipalities(list(df["ags"]))[
        ["ags", "name", "district_key", "state_code", "population", "funded", "lat", "lon"]
    ]
    return with_district_state(store, df.merge(m, on="ags", how="left"))


def _municipality_index(store: GraphStore) -> dict[str, dict[str, Any]]:
    """AGS → the register row with Kreis and Land names (built once per store state)."""
    full = with_district_state(store, store.municipalities())
    records = cast(list[dict[str, Any]], full.to_dict(orient="records"))
    return {str(r["ags"]): r for r in records}


def _territory_index(store: GraphStore) -> dict[str, list[dict[str, str]]]:
    """AGS → the projects whose territory contains it (``id``, ``name``, ``via``), by project id."""
    terr = store.territories()
    p = store.projects()
    names = dict(zip(p["id"], p["name"], strict=True))
    out: dict[str, list[dict[str, str]]] = {}
    for pid, a, via in zip(terr["project_id"], terr["ags"], terr["via"], strict=True):
        out.setdefault(str(a), []).append(
            {"id": str(pid), "name": str(names.get(str(pid), "")), "via": str(via)}
        )
    return out


def prepare_lookups(store: GraphStore) -> None:
    """Build the indexes of :func:`municipality_detail` now (at API start-up), not in the first lookup."""
    memo(store, "municipality_detail", lambda: _municipality_index(store))
    memo(store, "projects_by_ags", lambda: _territory_index(store))


def municipality_detail(store: GraphStore, ags: str) -> dict[str, Any]:
    """One municipality (all register fields, Kreis and Land names), the projects whose territory
    contains it (``id``, ``name``, ``via``), and its recorded interests and attendances (frames).

    Answered from indexes built once per store state (dict hits, no scans of whole tables)."""
    base = memo(store, "municipality_detail", lambda: _municipality_index(store)).get(ags)
    if base is None:
        raise NotFound(
            f"no municipality with AGS {ags!r}",
            hint="an AGS has 8 digits, e.g. 08421000 (Ulm); GET /regions/resolve?q=NAME, "
            "GET /municipalities?q=NAME or `lernnetz municipality NAME` finds the AGS of a name",
        )
    row: dict[str, Any] = dict(base)
    projects = memo(store, "projects_by_ags", lambda: _territory_index(store)).get(ags, [])
    row["projects"] = [dict(p) for p in projects]
    row["funded_as"], row["funded_confidence"] = _funded_as(store, ags, str(row.get("district_key") or ""))
    pp = store.programme_participation()
    mine = pp[(pp["level"] == "gemeinde") & (pp["key"] == ags)]
    row["programmes"] = [
        {"programme_id": str(a), "role": str(b), "year": str(c), "topics": list(d), "source": str(e)}
        for a, b, c, d, e in zip(
            *(mine[k] for k in ("programme_id", "role", "year", "topics", "source")), strict=True
        )
    ]
    row["interests"] = store.interests(ags=[ags])
    row["attendances"] = store.attendances(ags=[ags])
    return row


def _funded_as(store: GraphStore, ags: str, district_key: str) -> tuple[str, str]:
    """How a Gemeinde is funded — ``member`` (listed itself), ``verband`` (through its listed
    Verband), ``kreis`` (its whole Kreis is a territory), '' (not) — and the confidence (S/G/U)
    of that territory row (the best one when several projects list it)."""
    m = store.members()
    found: list[tuple[int, int, str]] = []
    for kind, key, level, conf in zip(m["kind"], m["key"], m["level"], m["confidence"], strict=True):
        if kind == "Municipality" and key == ags:
            found.append((0 if level == "gemeinde" else 1, "SGU".find(str(conf)) % 9, str(conf)))
        elif kind == "District" and district_key and key == district_key:
            found.append((2, "SGU".find(str(conf)) % 9, str(conf)))
    if not found:
        return "", ""
    rank, _, conf = min(found)
    return ("member", "verband", "kreis")[rank], conf


def graph_stats(store: GraphStore) -> dict[str, Any]:
    """Counts of the graph (behind ``lernnetz stats`` and ``GET /stats``): nodes and edges per kind,
    Gemeinden and gemeindefreie Gebiete, population, funded ones, projects by round and category,
    interest edges by source, Stichtag and the data attribution."""
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
        "interest_sources": {  # INTERESTED_IN edges of Gemeinden, Verbände and Kreise
            str(k): int(v)
            for k, v in pd.concat([store.interests()["source"], store.level_interests()["source"]])
            .value_counts()
            .sort_index()
            .items()
        },
        "attribution": str(info.get("attribution") or ""),
    }


def near_region(store: GraphStore, region: str, radius_km: float) -> pd.DataFrame:
    """Every municipality within ``radius_km`` of the region, nearest first.

    Distance: great-circle between official centre points (R = 6371.0088 km),
    minimum over the region's Gemeinden; 0 inside the region.
    """
    radius_km = check_radius(radius_km)
    r = resolve_region(store, region)
    hits = store.near(list(r.members), radius_km)
    out = with_names(store, hits)
    return (
        out[NEAR_RESULT_COLUMNS].sort_values(["distance_km", "ags"], kind="mergesort").reset_index(drop=True)
    )
