"""Kreise and Verbände named by evidence: the Association nodes and their properties.

A Gemeindeverband (Amt, Verbandsgemeinde, Samtgemeinde …) is a node of the graph only where
evidence names one: other-programme participation, a participation list row at Verband level
(``ParticipationRecord.level == "verband"``) or an end of a tie (``association``). A load builds
them from the register (:func:`named_associations`, used by :mod:`lernnetz.graph.tables`); an
import that names a Verband not yet in the graph adds its node first (:func:`new_association_rows`,
used by both stores), with the very same properties, so a later load gives the same graph.
Kreise are always nodes (every District of the register).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from lernnetz.graph.model import EdgeRow, GraphData, NodeKind, NodeRow

if TYPE_CHECKING:
    import pandas as pd


def association_props(key: str, name: str, members: int, source: str, ref_date: str) -> dict[str, Any]:
    """The properties of an Association node (the key property ``key`` included)."""
    return {"key": key, "name": name, "district_key": key[:5], "state_code": key[:2], "members": members,
            "source": source, "ref_date": ref_date}  # fmt: skip


def named_associations(data: GraphData) -> list[str]:
    """Every Verband key the evidence of a load names, sorted."""
    keys: set[str] = {p.ags for p in data.participation if p.level == "verband"}
    if data.programme is not None:
        keys.update(r.key for r in data.programme.programme_participation if r.level == "verband")
        for r in data.programme.relations:
            keys.update(
                k for kind, k in ((r.from_kind, r.from_key), (r.to_kind, r.to_key)) if kind == "association"
            )
    return sorted(keys)


def edge_associations(rows: Iterable[EdgeRow]) -> list[str]:
    """The Verband keys the edges start or end at, sorted."""
    keys = {r.src for r in rows if r.src_kind == NodeKind.ASSOCIATION}
    keys.update(r.dst for r in rows if r.dst_kind == NodeKind.ASSOCIATION)
    return sorted(keys)


def new_association_rows(
    keys: Iterable[str], municipalities: pd.DataFrame, meta: dict[str, Any]
) -> list[NodeRow]:
    """Association nodes for ``keys`` (those not yet in the graph), from the store's Gemeinden:
    the Verband's name and its number of Gemeinden, as a load makes them. A key no Gemeinde
    has is left out (the edge then names an unknown node and the import is refused)."""
    wanted = set(keys)
    if not wanted:
        return []
    m = municipalities[municipalities["association_key"].isin(wanted)]
    out = []
    for key, rows in m.groupby("association_key", sort=True):
        name = str(rows["association_name"].iloc[0])
        props = association_props(str(key), name, len(rows), str(meta.get("register_source", "")),
                                  str(meta.get("stichtag", "")))  # fmt: skip
        out.append(NodeRow(NodeKind.ASSOCIATION, str(key), props))
    return out
