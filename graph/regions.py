"""Regions: what a place string means.

A region is given as

* an AGS: 2 digits (Land), 5 digits (Kreis) or 8 digits (Gemeinde),
* a project id (``ulm``, ``landkreis-mayen-koblenz``),
* or a name: "Ulm", "Landkreis Mayen-Koblenz", "Bayern", "Neustadt an der Weinstraße".

A name that fits several places ("Neustadt") raises :class:`lernnetz.graph.errors.Ambiguous`
with the candidates; lernnetz never guesses. The members of a region are the AGS of
its Gemeinden (including gemeindefreie Gebiete of a Kreis or Land).

Distance from a municipality to a region is the great-circle distance between
official centre coordinates (mean Earth radius 6371.0088 km), minimum over the
region's municipalities, 0 inside the region.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

import pandas as pd

from lernnetz.graph.errors import Ambiguous, InvalidArgument, NotFound
from lernnetz.graph.store import GraphStore, memo

# name normalisation is shared with the participation import; re-exported for api.lookups
from lernnetz.loaders.names import core_name as core_name  # noqa: PLC0414
from lernnetz.loaders.names import fold as fold  # noqa: PLC0414

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


@dataclass(slots=True)
class _Lookup:
    """The name index plus dict lookups, built once per store state (queries are dict hits)."""

    table: pd.DataFrame
    by_full: dict[str, list[int]]
    by_core: dict[str, list[int]]
    by_key: dict[tuple[str, str], int]
    details: dict[str, dict[str, Any]]
    by_district: dict[str, tuple[str, ...]]
    by_state: dict[str, tuple[str, ...]]


#: Per store (weakly held, so a collected store's entry goes with it): the state stamp and index.
_INDEX_CACHE: weakref.WeakKeyDictionary[GraphStore, tuple[Any, _Lookup]] = weakref.WeakKeyDictionary()


def _stamp(store: GraphStore) -> tuple[str, ...]:
    """Changes whenever a load or import changes the graph: counts and load metadata (plain
    strings, the same in every process, so a persisted index can be recognised)."""
    info = store.info()
    return ((str(info.get("nodes")), str(info.get("edges")), str(info.get("register_sha256")),
                 str(info.get("programme_source")), str(info.get("loaded_at", ""))))  # fmt: skip


def _lookup(store: GraphStore) -> _Lookup:
    stamp = _stamp(store)
    # kept by the store itself where it can (dropped with every change, persisted in the embedded
    # store's warm cache), else in this module's weak map
    box: dict[str, tuple[Any, _Lookup]] | None = None
    cached: tuple[Any, _Lookup] | None
    if getattr(store, "derived", None) is not None:
        box = memo(store, "region_lookup", dict[str, tuple[Any, _Lookup]])
        cached = box.get("lookup")
    else:
        cached = _INDEX_CACHE.get(store)
    if cached is None or cached[0] != stamp:
        table = _index(store)
        by_full: dict[str, list[int]] = {}
        by_core: dict[str, list[int]] = {}
        for i, (full, core) in enumerate(zip(table["full"], table["core"], strict=True)):
            by_full.setdefault(full, []).append(i)
            by_core.setdefault(core, []).append(i)
        by_key = {(k, key): i for i, (k, key) in enumerate(zip(table["kind"], table["key"], strict=True))}
        m = store.municipalities()
        dnames = dict(zip(store.districts()["key"], store.districts()["name"], strict=True))
        details = {
            a: {"district": dnames.get(dk, ""), "state": st, "population": int(pop)}
            for a, dk, st, pop in zip(
                m["ags"], m["district_key"], m["state_code"], m["population"], strict=True
            )
        }
        by_district = {str(k): tuple(g["ags"]) for k, g in m.groupby("district_key")}
        by_state = {str(k): tuple(g["ags"]) for k, g in m.groupby("state_code")}
        cached = (stamp, _Lookup(table, by_full, by_core, by_key, details, by_district, by_state))
        if box is not None:
            box["lookup"] = cached
        else:
            _INDEX_CACHE[store] = cached
    return cached[1]


def prepare(store: GraphStore) -> None:
    """Build the name index now (once per store state) instead of in the first lookup."""
    _lookup(store)


def _cached_index(store: GraphStore) -> pd.DataFrame:
    return _lookup(store).table


def members_of(store: GraphStore, kind: str, key: str) -> tuple[str, ...]:
    """The AGS of the Gemeinden that make up a region."""
    if kind == "municipality":
        return (key,)
    if kind == "project":
        return tuple(store.territories([key])["ags"])
    look = _lookup(store)
    if kind == "district":
        return look.by_district.get(key, ())
    return look.by_state.get(key, ())


def candidates(store: GraphStore, text: str) -> list[dict[str, Any]]:
    """Every place the text could mean, best matches first (exact key, full name, core name)."""
    q = text.strip()
    if not q:
        return []
    look = _lookup(store)
    idx = look.table
    if q.isdigit():
        kind = {2: "state", 5: "district", 8: "municipality"}.get(len(q), "")
        row = look.by_key.get((kind, q))
        hit = idx.iloc[[row] if row is not None else []]
    else:
        # a project id is matched exactly; names mean places first, projects only when no place fits
        row = look.by_key.get(("project", q))
        hit = idx.iloc[[row] if row is not None else []]
        if hit.empty:
            qf, qc = fold(q), core_name(q)
            rows = sorted(set(look.by_full.get(qf, [])) | set(look.by_core.get(qc, [])))
            both = idx.iloc[rows]
            hit = both[both["kind"] != "project"]
            if hit.empty and qc:
                # "Neustadt" → every "Neustadt an der …", "Neustadt (Hessen)" …
                places = idx[idx["kind"] != "project"]
                hit = places[places["core"].str.startswith(qc + " ")]
            if hit.empty:
                hit = both[both["kind"] == "project"]
            hit = _narrow_by_prefix(hit, qf)
            hit = _prefer_independent(hit)
    out = []
    for kind, key, name in zip(hit["kind"], hit["key"], hit["name"], strict=True):
        c: dict[str, Any] = {"kind": kind, "key": key, "name": name}
        if kind == "municipality" and key in look.details:
            c.update(look.details[key])
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


def suggestions(store: GraphStore, text: str, limit: int = 5) -> list[dict[str, Any]]:
    """The places whose names are closest to ``text`` (rapidfuzz ``WRatio`` on folded core
    names, at least 75), best first, for "did you mean"; empty when nothing is close."""
    from rapidfuzz import fuzz, process

    q = core_name(text.strip())
    if len(q) < 2:
        return []
    look = _lookup(store)
    idx = look.table
    choices = list(dict.fromkeys(idx["core"]))
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for core, _score, _ in process.extract(q, choices, scorer=fuzz.WRatio, limit=limit, score_cutoff=75):
        for i in look.by_core.get(core, []):
            kind, key, name = str(idx.at[i, "kind"]), str(idx.at[i, "key"]), str(idx.at[i, "name"])
            if (kind, key) not in seen:
                seen.add((kind, key))
                out.append({"kind": str(kind), "key": str(key), "name": str(name)})
    return out[: limit * 2]


def resolve_region(store: GraphStore, text: str) -> Region:
    """Resolve a region string; :class:`NotFound` (with the closest names as ``candidates``)
    or :class:`Ambiguous` when it is not one place."""
    found = candidates(store, text)
    if not found:
        raise NotFound(
            f"no Land, Kreis, Gemeinde or project is called {text!r}",
            hint="give an AGS (2, 5 or 8 digits), a project id, or an official name; "
            "GET /regions/resolve?q=… lists candidates",
            candidates=suggestions(store, text),
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
    """Resolve a Gemeinde by AGS or name to its AGS. Where a name also fits a Kreis or a Land
    ("Neu-Ulm": the town and the Landkreis), the Gemeinde is meant; :class:`Ambiguous` only
    when several Gemeinden fit, :class:`InvalidArgument` when the text names no Gemeinde."""
    found = candidates(store, text)
    munis = [c for c in found if c["kind"] == "municipality"]
    if len(munis) == 1:
        return str(munis[0]["key"])
    if len(munis) > 1:
        raise Ambiguous(f"{text!r} fits {len(munis)} Gemeinden", munis, hint="pick one by its 8-digit AGS")
    region = resolve_region(store, text)
    raise InvalidArgument(
        f"{text!r} is a {region.kind}, not a Gemeinde", hint="give a Gemeinde's name or 8-digit AGS"
    )
