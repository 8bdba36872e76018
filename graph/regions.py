"""Regions: what a place string means.

A region is given as

* an AGS: 2 digits (Land), 5 digits (Kreis) or 8 digits (Gemeinde),
* a project id (``ulm``, ``landkreis-mayen-koblenz``),
* or a name: "Ulm", "Landkreis Mayen-Koblenz", "Bayern", "Neustadt an der Weinstraße".

A name that fits several places ("Neustadt") raises :class:`graph.errors.Ambiguous`
with the candidates; lernnetz never guesses. The members of a region are the AGS of
its Gemeinden (including gemeindefreie Gebiete of a Kreis or Land).

Distance from a municipality to a region is the great-circle distance between
official centre coordinates (mean Earth radius 6371.0088 km), minimum over the
region's municipalities, 0 inside the region.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from graph.errors import Ambiguous, InvalidArgument, NotFound
from graph.store import GraphStore

# name normalisation is shared with the participation import; re-exported for api.lookups
from loaders.names import core_name as core_name  # noqa: PLC0414
from loaders.names import fold as fold  # noqa: PLC0414

REGION_KINDS = ("state", "district", "municipality", "project")


@dataclass(frozen=True, slots=True)
class Region:
    """A resolved region."""

    kind: str
    key: str
    name: str
    members: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (members counted, not listed)."""
        return {"kind": self.kind, "key": self.key, "name": self.name, "member_count": len(self.members)}


def _index(store: GraphStore) -> pd.DataFrame:
    """All nameable places as (kind, key, name, dtype, full, core) rows."""
    frames = [
        pd.DataFrame({"kind": "state", "key": store.states()["code"], "name": store.states()["name"], "dtype": ""}),
        pd.DataFrame(
            {"kind": "district", "key": store.districts()["key"], "name": store.districts()["name"],
             "dtype": store.districts()["type"]}
        ),
        pd.DataFrame(
            {"kind": "municipality", "key": store.municipalities()["ags"], "name": store.municipalities()["name"],
             "dtype": ""}
        ),
        pd.DataFrame({"kind": "project", "key": store.projects()["id"], "name": store.projects()["name"], "dtype": ""}),
    ]  # fmt: skip
    df = pd.concat(frames, ignore_index=True)
    df["full"] = df["name"].map(fold)
    df["core"] = df["name"].map(core_name)
    return df


_INDEX_CACHE: dict[int, tuple[int, pd.DataFrame]] = {}


def _cached_index(store: GraphStore) -> pd.DataFrame:
    stamp = hash(str(store.info().get("nodes")))
    cached = _INDEX_CACHE.get(id(store))
    if cached is None or cached[0] != stamp:
        cached = (stamp, _index(store))
        _INDEX_CACHE[id(store)] = cached
    return cached[1]


def members_of(store: GraphStore, kind: str, key: str) -> tuple[str, ...]:
    """The AGS of the Gemeinden that make up a region."""
    if kind == "municipality":
        return (key,)
    if kind == "project":
        return tuple(store.territories([key])["ags"])
    m = store.municipalities()
    if kind == "district":
        return tuple(m.loc[m["district_key"] == key, "ags"])
    return tuple(m.loc[m["state_code"] == key, "ags"])


def candidates(store: GraphStore, text: str) -> list[dict[str, Any]]:
    """Every place the text could mean, best matches first (exact key, full name, core name)."""
    q = text.strip()
    if not q:
        return []
    idx = _cached_index(store)
    if q.isdigit():
        kind = {2: "state", 5: "district", 8: "municipality"}.get(len(q))
        hit = idx[(idx["kind"] == kind) & (idx["key"] == q)] if kind else idx.iloc[0:0]
    else:
        # a project id is matched exactly; names mean places first, projects only when no place fits
        hit = idx[(idx["kind"] == "project") & (idx["key"] == q)]
        if hit.empty:
            qf, qc = fold(q), core_name(q)
            places = idx[idx["kind"] != "project"]
            hit = places[(places["full"] == qf) | (places["core"] == qc)]
            if hit.empty and qc:
                # "Neustadt" → every "Neustadt an der …", "Neustadt (Hessen)" …
                hit = places[places["core"].str.startswith(qc + " ")]
            if hit.empty:
                projects = idx[idx["kind"] == "project"]
                hit = projects[(projects["full"] == qf) | (projects["core"] == qc)]
            hit = _narrow_by_prefix(hit, qf)
            hit = _prefer_independent(hit)
    m = store.municipalities().set_index("ags")
    d = store.districts().set_index("key")
    out = []
    for r in hit.itertuples():
        c: dict[str, Any] = {"kind": r.kind, "key": r.key, "name": r.name}
        if r.kind == "municipality" and r.key in m.index:
            row: Any = m.loc[str(r.key)]
            dk = row["district_key"]
            c["district"] = str(d.loc[str(dk), "name"]) if dk in d.index else ""
            c["state"] = row["state_code"]
            c["population"] = int(row["population"])
        out.append(c)
    return out


def _narrow_by_prefix(hit: pd.DataFrame, folded: str) -> pd.DataFrame:
    """ "Landkreis X" means the Kreis, "Stadt X" the town, when the name alone fits both."""
    if len(hit) <= 1:
        return hit
    if folded.startswith(("landkreis ", "kreis ", "eifelkreis ")):
        keep = hit[(hit["kind"] == "district") & hit["dtype"].isin(["Landkreis", "Kreis"])]
    elif folded.startswith(("stadt ", "gemeinde ", "markt ")):
        keep = hit[(hit["kind"] == "municipality") | (hit["dtype"] == "Kreisfreie Stadt")]
    else:
        return hit
    return keep if not keep.empty else hit


def _prefer_independent(hit: pd.DataFrame) -> pd.DataFrame:
    """One place, several records: a kreisfreie Stadt is a Kreis and a Gemeinde; Berlin and
    Hamburg are also a Land. Keep the Gemeinde and drop its Kreis/Land twins."""
    if len(hit) <= 1:
        return hit
    munis = hit[hit["kind"] == "municipality"]
    drop = set()
    for r in hit.itertuples():
        if r.kind == "district" and any(a.startswith(r.key) and a.endswith("000") for a in munis["key"]):
            drop.add(r.Index)
        if r.kind == "state" and any(a.startswith(r.key) and a.endswith("000000") for a in munis["key"]):
            drop.add(r.Index)
    return hit.drop(index=list(drop))


def resolve_region(store: GraphStore, text: str) -> Region:
    """Resolve a region string; :class:`NotFound` or :class:`Ambiguous` when it is not one place."""
    found = candidates(store, text)
    if not found:
        raise NotFound(
            f"no Land, Kreis, Gemeinde or project is called {text!r}",
            hint="give an AGS (2, 5 or 8 digits), a project id, or an official name; "
            "GET /regions/resolve?q=… lists candidates",
        )
    if len(found) > 1:
        raise Ambiguous(
            f"{text!r} fits {len(found)} places",
            found,
            hint="pick one by its key (AGS or project id)",
        )
    c = found[0]
    return Region(
        kind=c["kind"], key=c["key"], name=c["name"], members=members_of(store, c["kind"], c["key"])
    )


def resolve_municipality(store: GraphStore, text: str) -> str:
    """Resolve a Gemeinde by AGS or name to its AGS."""
    region = resolve_region(store, text)
    if region.kind != "municipality":
        raise InvalidArgument(
            f"{text!r} is a {region.kind}, not a Gemeinde", hint="give a Gemeinde's name or 8-digit AGS"
        )
    return region.key
