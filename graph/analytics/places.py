"""Evidence items, the ways a Gemeinde is funded, and Kreise/Verbände as candidates.

Used by :mod:`lernnetz.graph.analytics.context` while it builds its precomputed data; this
module imports nothing from the analytics, so there is no import circle.

* **Funded how** (``funded_as``): ``member`` — the place itself is listed in a project's
  territory; ``verband`` — through its listed Gemeindeverband; ``kreis`` — because its
  whole Kreis is a territory. The most specific way wins; ``funded_confidence`` is the
  confidence (S/G/U) of that territory row (the best one when several projects list it).
* **Places** (:class:`Place`): a Kreis or Verband that has evidence of its own (other-
  programme participation names a Landkreis or an Amt). It is a candidate of its own
  level, never spread onto its Gemeinden. A Kreis is funded (``member``) only when it is
  itself a project territory; a Verband when it is listed itself (``member``) or lies in a
  whole-Kreis territory (``kreis``). A place that is not funded names its funded Gemeinden
  in ``funded_members``.
* **Funded means** (``funded_means`` of ``matches``): which ways count as funded.
  ``any`` (default) = ``kreis`` = all three; ``verband`` = listed members and Verbände
  (a Gemeinde funded only through its whole Kreis is a candidate); ``member`` = only
  listed members.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd

#: Ways of being funded, most specific first (their rank is the position).
FUNDED_WAYS = ("member", "verband", "kreis")
#: ``funded_means`` → the largest rank that still counts as funded.
FUNDED_MEANS = {"any": 2, "kreis": 2, "verband": 1, "member": 0}
LEVELS = ("gemeinde", "verband", "kreis")
_CONFIDENCE_ORDER = {"S": 0, "G": 1, "U": 2}


class Evidence(NamedTuple):
    """One piece of evidence that a place cares about a topic."""

    topic: str
    via: str  # "interest" | "event" | "programme"
    kind: str
    source: str
    date: str
    event_id: str
    weight: float
    programme: str = ""
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The public evidence dict (without the weight)."""
        return {
            "topic": self.topic,
            "via": self.via,
            "kind": self.kind,
            "source": self.source,
            "date": self.date,
            "event_id": self.event_id,
            "programme": self.programme,
            "reason": self.reason,
        }


@dataclass(slots=True)
class Place:
    """A Kreis or Verband candidate (see module docstring)."""

    key: str
    level: str
    name: str
    label: str  # "Landkreis Lörrach", "Amt Süderbrarup"
    members: npt.NDArray[np.int64]  # positions of its located Gemeinden
    population: int
    lat: float | None
    lon: float | None
    district: str
    state: str
    funded_as: str = ""
    funded_confidence: str = ""
    funded_members: list[str] = field(default_factory=list)
    evidence: dict[str, list[Evidence]] = field(default_factory=dict)
    strength: dict[str, float] = field(default_factory=dict)


def check_funded_means(value: str) -> int:
    """The rank limit of a ``funded_means`` value (``InvalidArgument``-free: ValueError)."""
    if value not in FUNDED_MEANS:
        raise ValueError(f"funded_means must be one of {', '.join(FUNDED_MEANS)} (got {value!r})")
    return FUNDED_MEANS[value]


def _better(conf: str, have: str) -> bool:
    return _CONFIDENCE_ORDER.get(conf, 9) < _CONFIDENCE_ORDER.get(have, 9)


@dataclass(slots=True)
class Funding:
    """How each Gemeinde (by position) and each listed Kreis/Verband is funded."""

    rank: npt.NDArray[np.int8]  # -1 not funded, else index into FUNDED_WAYS
    confidence: list[str]
    kreise: dict[str, str]  # Kreis key → confidence of its territory row
    verbaende: dict[str, str]  # Verband key → confidence


def funding(members: pd.DataFrame, pos_of: dict[str, int], m: pd.DataFrame) -> Funding:
    """From the stored MEMBER_OF rows (``members()``) and the municipality table (by position)."""
    n = len(m)
    rank = np.full(n, -1, dtype=np.int8)
    conf = [""] * n
    assoc = m["association_key"].astype(str).tolist()
    district = [str(k or "") for k in m["district_key"].tolist()]
    kreise: dict[str, str] = {}
    verbaende: dict[str, str] = {}

    def mark(i: int, r: int, c: str) -> None:
        if rank[i] < 0 or r < rank[i] or (r == rank[i] and _better(c, conf[i])):
            rank[i], conf[i] = r, c

    for kind, raw_key, level, raw_c in zip(
        members["kind"].tolist(), members["key"].tolist(), members["level"].tolist(),
        members["confidence"].tolist(), strict=True,
    ):  # fmt: skip
        key, c = str(raw_key), str(raw_c)
        if kind == "District":
            if key not in kreise or _better(c, kreise[key]):
                kreise[key] = c
            continue
        i = pos_of.get(key)
        if i is None:
            continue
        if level == "verband":
            v = assoc[i]
            if v not in verbaende or _better(c, verbaende[v]):
                verbaende[v] = c
            mark(i, 1, c)
        else:
            mark(i, 0, c)
    for i in range(n):
        k = district[i]
        if k in kreise:
            mark(i, 2, kreise[k])
    return Funding(rank, conf, dict(sorted(kreise.items())), dict(sorted(verbaende.items())))


def programme_reason(place: str, programme: str, year: str, role: str, labels: list[str], source: str) -> str:
    """``"Landkreis Lörrach: Smarte.Land.Regionen 2021-2024 (Modellregion), Mobilität, source ble.de/…"``."""
    when = f" {year}" if year and year not in {"n.d.", "undated"} else ""
    what = f" ({role})" if role else ""
    topics = f", {', '.join(labels)}" if labels else ""
    return f"{place}: {programme}{when}{what}{topics}, source {source}"


def combine(items: list[Evidence], weight_of: Any) -> float:
    """Evidence strength 1 − Π(1 − wᵢ) of a list of evidence items."""
    prod = 1.0
    for e in items:
        prod *= 1.0 - weight_of(e.kind, e.weight, e.via)
    return 1.0 - prod


def build_places(
    participation: pd.DataFrame,
    programmes: pd.DataFrame,
    m: pd.DataFrame,
    pos_of: dict[str, int],
    topic_labels: dict[str, str],
    districts: pd.DataFrame,
    state_names: dict[str, str],
    fund: Funding,
    weight_of: Any,
) -> tuple[dict[int, dict[str, list[Evidence]]], dict[str, Place]]:
    """Other-programme evidence: of Gemeinden (by position), and the Kreis/Verband places.

    ``m`` is the municipality table in position order.
    """
    names = dict(zip(programmes["id"].tolist(), programmes["name"].tolist(), strict=True))
    d_name = dict(zip(districts["key"].tolist(), districts["name"].tolist(), strict=True))
    d_type = dict(zip(districts["key"].tolist(), districts["type"].tolist(), strict=True))
    mun_name = m["name"].astype(str).tolist()
    assoc = m["association_key"].astype(str).tolist()
    assoc_name = m["association_name"].astype(str).tolist()
    district = [str(k or "") for k in m["district_key"].tolist()]
    pop = m["population"].fillna(0).to_numpy(dtype=np.int64)
    lat = m["lat"].to_numpy(dtype=np.float64)
    lon = m["lon"].to_numpy(dtype=np.float64)
    located = ~np.isnan(lat) & ~np.isnan(lon)

    gemeinde: dict[int, dict[str, list[Evidence]]] = {}
    places: dict[str, Place] = {}
    # the Gemeinden (positions, ascending) of each Verband / Kreis the rows name: one pass, not a
    # scan per place, keeping only those (a few dozen of 110,000 on the 10x register)
    groups: dict[str, dict[str, list[int]]] = {"verband": defaultdict(list), "kreis": defaultdict(list)}
    named = list(zip(participation["level"].astype(str).tolist(), participation["key"].astype(str).tolist(),
                     strict=True))  # fmt: skip
    want_v = {k for lv, k in named if lv == "verband"}
    want_k = {k for lv, k in named if lv not in ("gemeinde", "verband")}
    for at, (v, k) in enumerate(zip(assoc, district, strict=True)):
        if v in want_v:
            groups["verband"][v].append(at)
        if k in want_k:
            groups["kreis"][k].append(at)
    rows: Any = participation.itertuples(index=False)  # columns known by name only at run time
    for r in rows:
        key, level = str(r.key), str(r.level)
        topics = [str(t) for t in (r.topics if r.topics is not None else [])]
        if not topics:
            continue
        if level == "gemeinde":
            i = pos_of.get(key)
            if i is None:
                continue
            label = mun_name[i]
        elif level == "kreis":
            label = f"{d_type.get(key, 'Kreis')} {d_name.get(key, str(r.name))}".strip()
        else:
            label = str(r.name)
        programme = names.get(str(r.programme_id), str(r.programme_id))
        reason = programme_reason(label, programme, str(r.year), str(r.role),
                                  [topic_labels.get(t, t) for t in topics], str(r.source))  # fmt: skip
        items = {
            t: Evidence(
                t, "programme", "programme", str(r.source), str(r.year), "", 1.0, str(r.programme_id), reason
            )
            for t in topics
        }
        if level == "gemeinde":
            per = gemeinde.setdefault(pos_of[key], {})
        else:
            place = places.get(key)
            if place is None:
                place = places[key] = _new_place(
                    key, level, label, assoc, assoc_name, district, d_name, state_names, pop, lat, lon,
                    located, mun_name, fund, groups,
                )  # fmt: skip
            per = place.evidence
        for t, e in items.items():
            per.setdefault(t, []).append(e)
    for place in places.values():
        place.evidence = {t: sorted(set(v)) for t, v in sorted(place.evidence.items())}
        place.strength = {t: combine(v, weight_of) for t, v in place.evidence.items()}
    return gemeinde, dict(sorted(places.items()))


def _new_place(
    key: str,
    level: str,
    label: str,
    assoc: list[str],
    assoc_name: list[str],
    district: list[str],
    d_name: dict[str, str],
    state_names: dict[str, str],
    pop: npt.NDArray[np.int64],
    lat: npt.NDArray[np.float64],
    lon: npt.NDArray[np.float64],
    located: npt.NDArray[np.bool_],
    mun_name: list[str],
    fund: Funding,
    groups: dict[str, dict[str, list[int]]],
) -> Place:
    everyone = np.array(groups["verband" if level == "verband" else "kreis"].get(key, []), dtype=np.int64)
    members = everyone[located[everyone]] if len(everyone) else everyone
    anchor = int(members[np.lexsort((members, -pop[members]))[0]]) if len(members) else -1
    kreis = key if level == "kreis" else (district[int(everyone[0])] if len(everyone) else "")
    if level == "verband" and label == key and len(everyone):
        label = assoc_name[int(everyone[0])]
    place = Place(
        key=key,
        level=level,
        name=label,
        label=label,
        members=members,
        population=int(pop[everyone].sum()) if len(everyone) else 0,
        lat=float(lat[anchor]) if anchor >= 0 else None,
        lon=float(lon[anchor]) if anchor >= 0 else None,
        district=d_name.get(kreis, ""),
        state=state_names.get(key[:2], ""),
    )
    if level == "kreis" and key in fund.kreise:
        place.funded_as, place.funded_confidence = "member", fund.kreise[key]
    elif level == "verband" and key in fund.verbaende:
        place.funded_as, place.funded_confidence = "member", fund.verbaende[key]
    elif level == "verband" and kreis in fund.kreise:
        place.funded_as, place.funded_confidence = "kreis", fund.kreise[kreis]
    else:
        place.funded_members = [
            f"{mun_name[int(i)]} ({FUNDED_WAYS[int(fund.rank[i])]})"
            for i in everyone.tolist()
            if fund.rank[i] >= 0
        ]
    return place
