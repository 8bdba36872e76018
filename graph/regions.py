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

import threading
import weakref
from dataclasses import dataclass, fields
from itertools import repeat
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
    return pd.concat(frames, ignore_index=True)


@dataclass(slots=True)
class _Names:
    """The places' names folded (``full``, ``core`` columns of the index) and their dict lookups."""

    table: pd.DataFrame
    by_full: dict[str, list[int]]
    by_core: dict[str, list[int]]


def _fold_names(table: pd.DataFrame) -> _Names:
    df = table.copy()
    # each distinct name folded once (names repeat: "Neustadt", "Mühlhausen", a Kreis and its town)
    names = df["name"].tolist()
    distinct = dict.fromkeys(names)
    full = {n: fold(n) for n in distinct}
    core = {n: core_name(n) for n in distinct}
    df["full"] = pd.Series([full[n] for n in names], index=df.index, dtype=df["name"].dtype)
    df["core"] = pd.Series([core[n] for n in names], index=df.index, dtype=df["name"].dtype)
    by_full: dict[str, list[int]] = {}
    by_core: dict[str, list[int]] = {}
    for i, n in enumerate(names):
        by_full.setdefault(full[n], []).append(i)
        by_core.setdefault(core[n], []).append(i)
    return _Names(df, by_full, by_core)


@dataclass(slots=True)
class _Lookup:
    """The place index plus dict lookups, built once per store state (queries are dict hits).
    The folded names (:class:`_Names`) are built on the first question by name: a question by
    AGS or project id never folds 11,000 (or on a 10× register 110,000) names."""

    table: pd.DataFrame
    by_key: dict[tuple[str, str], int]
    muni_offset: int  # the municipality table's first row in ``table`` (then in its order)
    muni_district: list[str]
    muni_state: list[str]
    muni_population: list[int]
    names: _Names | None = None
    groups: _Groups | None = None  # made on the first question about a Kreis or Land


@dataclass(slots=True)
class _Groups:
    """The AGS of each Kreis's and each Land's Gemeinden, in register order."""

    by_district: dict[str, tuple[str, ...]]
    by_state: dict[str, tuple[str, ...]]


_NAMES_LOCK = threading.Lock()


def _named(look: _Lookup) -> _Names:
    if look.names is None:
        with _NAMES_LOCK:
            if look.names is None:
                look.names = _fold_names(look.table)
    return look.names


def _grouped(store: GraphStore, look: _Lookup) -> _Groups:
    if look.groups is None:
        with _NAMES_LOCK:
            if look.groups is None:
                look.groups = _group_members(store.municipalities())
    return look.groups


def _group_members(m: pd.DataFrame) -> _Groups:
    ags, district_keys, state_codes = m["ags"].tolist(), m["district_key"].tolist(), m["state_code"].tolist()
    # one pass each (a groupby over 100,000 rows costs more); missing keys form no group, as in groupby
    by_district: dict[str, list[str]] = {}
    by_state: dict[str, list[str]] = {}
    has_d, has_s = m["district_key"].notna().tolist(), m["state_code"].notna().tolist()
    for a, dk, sc, hd, hs in zip(ags, district_keys, state_codes, has_d, has_s, strict=True):
        if hd:
            by_district.setdefault(str(dk), []).append(a)
        if hs:
            by_state.setdefault(str(sc), []).append(a)
    return _Groups({k: tuple(v) for k, v in sorted(by_district.items())},
                   {k: tuple(v) for k, v in sorted(by_state.items())})  # fmt: skip


#: The store's memo slot; the name carries the fields, so an index persisted by another version
#: of :class:`_Lookup` (in the warm cache beside a snapshot) is never taken for this one.
_MEMO_NAME = "region_lookup:" + ",".join(f.name for f in fields(_Lookup))


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
        box = memo(store, _MEMO_NAME, dict[str, tuple[Any, _Lookup]])
        cached = box.get("lookup")
    else:
        cached = _INDEX_CACHE.get(store)
    if cached is None or cached[0] != stamp:
        cached = (stamp, _build_lookup(store))
        if box is not None:
            box["lookup"] = cached
        else:
            _INDEX_CACHE[store] = cached
    return cached[1]


def _build_lookup(store: GraphStore) -> _Lookup:
    """The place index and its dict lookups (C-level passes: 110,000 Gemeinden on the 10x register);
    the Kreis/Land member lists (:func:`_grouped`) and folded names (:func:`_named`) come later."""
    table = _index(store)
    kinds, keys = table["kind"].tolist(), table["key"].tolist()
    by_key = dict(
        zip(zip(kinds, keys, strict=True), range(len(keys)), strict=True)
    )  # the last row of a key wins
    m = store.municipalities()
    dnames = dict(zip(store.districts()["key"].tolist(), store.districts()["name"].tolist(), strict=True))
    ags = m["ags"].tolist()
    pop = m["population"]
    population = pop.tolist() if pd.api.types.is_integer_dtype(pop.dtype) else [int(p) for p in pop.tolist()]
    return _Lookup(
        table, by_key, by_key[("municipality", ags[0])] if ags else 0,
        list(map(dnames.get, m["district_key"].tolist(), repeat(""))), m["state_code"].tolist(), population,
    )  # fmt: skip


def prepare(store: GraphStore) -> None:
    """Build the name index now (once per store state) instead of in the first lookup."""
    _named(_lookup(store))


def _cached_index(store: GraphStore) -> pd.DataFrame:
    return _named(_lookup(store)).table


def members_of(store: GraphStore, kind: str, key: str) -> tuple[str, ...]:
    """The AGS of the Gemeinden that make up a region."""
    if kind == "municipality":
        return (key,)
    if kind == "project":
        return tuple(store.territories([key])["ags"])
    groups = _grouped(store, _lookup(store))
    if kind == "district":
        return groups.by_district.get(key, ())
    return groups.by_state.get(key, ())


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
            named = _named(look)
            idx = named.table
            qf, qc = fold(q), core_name(q)
            rows = sorted(set(named.by_full.get(qf, [])) | set(named.by_core.get(qc, [])))
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
        if kind == "municipality":
            i = look.by_key[("municipality", key)] - look.muni_offset
            c.update(
                district=look.muni_district[i], state=look.muni_state[i], population=look.muni_population[i]
            )
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
    named = _named(_lookup(store))
    idx = named.table
    choices = list(dict.fromkeys(idx["core"]))
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for core, _score, _ in process.extract(q, choices, scorer=fuzz.WRatio, limit=limit, score_cutoff=75):
        for i in named.by_core.get(core, []):
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
