"""The Neo4j store's part for Kreise and Verbände: their participation tables, the ties table
(whose ends may be Kreise and Verbände) and the Association nodes an import needs.

:class:`Neo4jLevels` is mixed into :class:`lernnetz.graph.store.neo4j_store.Neo4jStore` (which
provides ``_edge_table``, ``_state`` and ``municipalities``): ``level_interests`` and
``level_attendances`` and ``relations`` answer as the NetworkX store does (same columns, order and dtypes).
:func:`merge_associations` runs inside an import's transaction: a Verband named for the first
time (by a participation row at Verband level or an end of a tie) gets its node, with the
properties a load gives it (:mod:`lernnetz.graph.levels`). Cypher follows the rules of
:mod:`lernnetz.graph.store.cypher`: values are parameters, labels come from the allow-list.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, LiteralString

import pandas as pd
from neo4j import ManagedTransaction

from lernnetz.graph.levels import edge_associations, new_association_rows
from lernnetz.graph.model import TIE_END_NAME, TIE_KINDS, EdgeRow, NodeKind, node_id
from lernnetz.graph.store import cypher as cy
from lernnetz.graph.store import protocol as S


def _level_edges(rel: str, target: str) -> str:
    """``level, n, r, x`` for the ``rel`` edges of Kreise and Verbände to ``target`` nodes: one label
    scan per kind (a few hundred nodes), not a scan of every edge of the type (mostly Gemeinden')."""
    parts = [
        f"MATCH (n:{cy.label(kind)})-[r:{cy.rel_type(rel)}]->(x:{cy.label(target)}) "
        f"WHERE n.gen = gen AND x.gen = gen RETURN '{level}' AS level, n, r, x"
        for kind, level in ((NodeKind.DISTRICT, "kreis"), (NodeKind.ASSOCIATION, "verband"))
    ]
    return "CALL (gen) { " + " UNION ALL ".join(parts) + " }"


#: INTERESTED_IN edges of Kreise and Verbände, sorted as the NetworkX store sorts them.
LEVEL_INTERESTS = cy.read(
    f"""
{_level_edges("INTERESTED_IN", "Topic")}
WITH level, n.key AS key, x.slug AS topic, coalesce(r.kind, '') AS kind,
       coalesce(r.date, '') AS date, coalesce(r.source, '') AS source, coalesce(toFloat(r.weight), 1.0) AS weight,
       coalesce(r.event_id, '') AS event_id
ORDER BY level, key, topic, kind, date, source, weight, event_id
"""
    + cy._pack(S.LEVEL_INTEREST_COLUMNS)
)
#: ATTENDED edges of Kreise and Verbände, sorted as the NetworkX store sorts them.
LEVEL_ATTENDANCES = cy.read(
    f"""
{_level_edges("ATTENDED", "Event")}
WITH level, n.key AS key, x.id AS event_id, coalesce(r.kind, '') AS kind,
       coalesce(r.date, '') AS date, coalesce(r.source, '') AS source
ORDER BY level, key, event_id, kind, date, source
"""
    + cy._pack(S.LEVEL_ATTENDANCE_COLUMNS)
)


def _end_kind(v: str) -> str:
    """A tie end's kind word (:data:`lernnetz.graph.model.TIE_END_NAME`) as a Cypher ``CASE``."""
    cases = " ".join(
        f"WHEN {v}:{cy.label(k)} THEN '{w}'" for k, w in TIE_END_NAME.items() if w != "municipality"
    )
    return f"CASE {cases} ELSE 'municipality' END"


#: The typed KTS ties (ends: project, municipality, district, association), sorted by all columns.
RELATIONS = cy.read(
    f"""
MATCH (a)-[r:{"|".join(cy.rel_type(t) for t in TIE_KINDS)}]->(b) WHERE a.gen = gen
WITH type(r) AS type, {_end_kind("a")} AS from_kind, {cy._key_expr("a")} AS from_key,
       {_end_kind("b")} AS to_kind, {cy._key_expr("b")} AS to_key,
       coalesce(r.source, '') AS source, coalesce(r.confidence, '') AS confidence,
       coalesce(r.note, '') AS note
ORDER BY type, from_kind, from_key, to_kind, to_key, source, confidence, note
"""
    + cy._pack(S.RELATION_COLUMNS)
)


def _q(text: str) -> LiteralString:
    return text  # a statement of this module or of cypher: no values in its text


class Neo4jLevels:
    """``relations``, ``level_interests``, ``level_attendances`` and the Association rows of an import."""

    _edge_table: Callable[[str, str, list[str]], pd.DataFrame]
    _state: Callable[[], tuple[int, int, dict[str, Any]]]
    municipalities: Callable[..., pd.DataFrame]

    def relations(self) -> pd.DataFrame:
        return self._edge_table("relations", RELATIONS, S.RELATION_COLUMNS)

    def level_interests(self) -> pd.DataFrame:
        return self._edge_table("level_interests", LEVEL_INTERESTS, S.LEVEL_INTEREST_COLUMNS)

    def level_attendances(self) -> pd.DataFrame:
        return self._edge_table("level_attendances", LEVEL_ATTENDANCES, S.LEVEL_ATTENDANCE_COLUMNS)

    def _association_payloads(self, rows: list[EdgeRow]) -> list[dict[str, Any]]:
        """Node rows (``{key, nid, props}``) of the Verbände the edges name (created only if missing)."""
        keys = edge_associations(rows)
        if not keys:
            return []
        meta = self._state()[2]
        return [{"key": n.key, "nid": node_id(n.kind, n.key), "props": n.props}
                for n in new_association_rows(keys, self.municipalities(), meta)]  # fmt: skip


def merge_associations(tx: ManagedTransaction, payloads: list[dict[str, Any]], gen: int) -> None:
    """Create the Association nodes of ``payloads`` that generation ``gen`` lacks (in ``tx``)."""
    if not payloads:
        return
    keys = [p["key"] for p in payloads]
    missing = {r[0] for r in tx.run(_q(cy.missing_keys(NodeKind.ASSOCIATION)), keys=keys, gen=gen).values()}
    rows = [p for p in payloads if p["key"] in missing]
    if rows:
        tx.run(_q(cy.merge_nodes(NodeKind.ASSOCIATION)), rows=rows, gen=gen).consume()
