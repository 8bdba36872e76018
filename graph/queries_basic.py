"""Basic queries behind the CLI and API: radius search around a region, lookups."""

from __future__ import annotations

import pandas as pd

from graph.errors import InvalidArgument
from graph.regions import resolve_region
from graph.store import GraphStore

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


def with_names(store: GraphStore, df: pd.DataFrame) -> pd.DataFrame:
    """Add name, Kreis, Land, population, funded and position to a frame with an ``ags`` column."""
    m = store.municipalities(list(df["ags"]))[
        ["ags", "name", "district_key", "state_code", "population", "funded", "lat", "lon"]
    ]
    d = store.districts()[["key", "name"]].rename(columns={"key": "district_key", "name": "district"})
    s = store.states()[["code", "name"]].rename(columns={"code": "state_code", "name": "state"})
    out = (
        df.merge(m, on="ags", how="left")
        .merge(d, on="district_key", how="left")
        .merge(s, on="state_code", how="left")
    )
    out["district"] = out["district"].fillna("")
    return out


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
