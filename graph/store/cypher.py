"""Every Cypher statement of the Neo4j store, as constants and pure builder functions.

Rules that keep this module injection-proof:

* **Values are always parameters** (``$gen``, ``$rows``, ``$keys`` …), never formatted
  into the text.
* **Labels and relationship types come only from the allow-list** :class:`lernnetz.graph.model.NodeKind`
  / :class:`lernnetz.graph.model.EdgeKind`. Every builder that takes a label or type converts it
  with ``NodeKind(x)`` / ``EdgeKind(x)``, which raises ``ValueError`` for anything else.
* Property names that are formatted into a statement come from the fixed column lists
  of :mod:`lernnetz.graph.store.protocol` and :data:`lernnetz.graph.model.KEY_PROPERTY` and are checked against
  ``[a-z_][a-z0-9_]*`` as well.
* The only other formatted value is ``max_hops`` of a path pattern (Cypher does not
  accept a parameter there); it is checked to be an ``int`` in a small range.

Generations (see :mod:`lernnetz.graph.store.neo4j_store`): every node carries ``gen``; the active
generation is the ``gen`` of the one ``(:LernnetzGraph {id: $graph_id})`` pointer node.
Every read finds the active generation itself (:func:`read`); writes and counts of a
given generation take it as the parameter ``$gen``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from lernnetz.graph.geo import EARTH_RADIUS_KM
from lernnetz.graph.model import KEY_PROPERTY, TIE_KINDS, EdgeKind, NodeKind

#: The label of the pointer node holding the active generation (an internal constant).
META_LABEL = "LernnetzGraph"
#: The ``id`` of the pointer node.
GRAPH_ID = "lernnetz"
#: Edge types ignored by path search (the administrative hierarchy).
STRUCTURAL = (EdgeKind.IN_DISTRICT, EdgeKind.IN_STATE)
#: The KTS tie types (relations table).
TIES = TIE_KINDS
#: Largest ``max_hops`` accepted by :func:`shortest_paths`.
MAX_HOPS_LIMIT = 32
#: ``point.distance`` works on a sphere of the WGS-84 equatorial radius (6378.137 km), our
#: distances on the mean radius (6371.0088 km): the index prefilter is enlarged by this
#: factor (the ratio of the radii plus a safety margin) and the exact filter is haversine.
PREFILTER_FACTOR = 6378.137 / EARTH_RADIUS_KM * 1.001
PREFILTER_SLACK_M = 50.0

_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")


def label(kind: NodeKind | str) -> str:
    """A node label from the allow-list (raises ``ValueError`` for anything else)."""
    return NodeKind(kind).value


def rel_type(kind: EdgeKind | str) -> str:
    """A relationship type from the allow-list (raises ``ValueError`` for anything else)."""
    return EdgeKind(kind).value


def prop(name: str) -> str:
    """A property name checked to be a plain identifier."""
    if not _IDENT.match(name):
        raise ValueError(f"not an allowed property name: {name!r}")
    return name


def key_prop(kind: NodeKind | str) -> str:
    """The key property of a node kind (``ags``, ``key``, ``code``, ``id``, ``slug``)."""
    return prop(KEY_PROPERTY[NodeKind(kind)])


# ----------------------------------------------------------------------------- schema


def schema_statements() -> list[str]:
    """Constraints and indexes, all ``IF NOT EXISTS`` (idempotent).

    Uniqueness is per generation: ``(key, gen)`` is unique for each node kind, so an old
    and a new generation can coexist while a load runs. The same constraint's index
    serves every key lookup (``{ags: $x, gen: $gen}``).
    """
    out = [
        f"CREATE CONSTRAINT lernnetz_graph_id IF NOT EXISTS FOR (g:{META_LABEL}) REQUIRE g.id IS UNIQUE",
        "CREATE POINT INDEX municipality_location IF NOT EXISTS FOR (m:Municipality) ON (m.location)",
    ]
    for kind in NodeKind:
        lbl, key = label(kind), key_prop(kind)
        low = lbl.lower()
        out.append(
            f"CREATE CONSTRAINT {low}_{key}_gen IF NOT EXISTS "
            f"FOR (n:{lbl}) REQUIRE (n.{key}, n.gen) IS UNIQUE"
        )
        # Deliberately no index on ``gen`` alone: on a fresh database the planner's
        # statistics made it prefer such an index over the unique (key, gen) seek, and the
        # first load's MERGEs scanned a whole generation per row (40 s instead of 0.5 s).
        # Reading or deleting a whole generation is a label scan, which is as fast here.
        out.append(f"DROP INDEX {low}_gen IF EXISTS")
    return out


AWAIT_INDEXES = "CALL db.awaitIndexes($timeout)"

SHOW_INDEXES = "SHOW INDEXES YIELD name, type, labelsOrTypes, properties, state RETURN *"

SHOW_CONSTRAINTS = "SHOW CONSTRAINTS YIELD name, type, labelsOrTypes, properties RETURN *"

# ----------------------------------------------------------------------------- generations

#: The active generation, its revision (bumped by every participation import) and metadata.
READ_STATE = f"""
MATCH (g:{META_LABEL} {{id: $graph_id}})
RETURN g.gen AS gen, g.rev AS rev, g.meta AS meta
"""

#: A load in progress: ``(:LernnetzLoad {graph_id, load_gen, beat})`` (not ``gen``: the marker is no
#: node of any generation), its ``beat`` renewed every few
#: seconds while the loading process lives (see :mod:`lernnetz.graph.store.neo4j_loads`).
LOAD_LABEL = "LernnetzLoad"

#: Reserve a new generation number and register the load. Numbers are unique across every graph
#: id in the database (one more than the highest any graph has reserved), since nodes are keyed on
#: (key, gen): two graphs must never write into one generation. Monotonic, also after failed loads.
NEXT_GENERATION = f"""
MERGE (g:{META_LABEL} {{id: $graph_id}})
WITH g
MATCH (other:{META_LABEL})
WITH g, max(coalesce(other.last_gen, other.gen, 0)) AS highest
SET g.last_gen = highest + 1
CREATE (:{LOAD_LABEL} {{graph_id: $graph_id, load_gen: g.last_gen, beat: datetime()}})
RETURN g.last_gen AS gen, g.gen AS active
"""

#: The heartbeat of a load in progress.
BEAT_LOAD = f"MATCH (l:{LOAD_LABEL} {{graph_id: $graph_id, load_gen: $gen}}) SET l.beat = datetime()"

#: A load has ended (switched or given up): it no longer holds its generation.
END_LOAD = f"MATCH (l:{LOAD_LABEL} {{graph_id: $graph_id, load_gen: $gen}}) DELETE l"

#: Forget the loads whose heartbeat stopped more than ``$stale_s`` seconds ago (killed).
FORGET_DEAD_LOADS = f"""
MATCH (l:{LOAD_LABEL} {{graph_id: $graph_id}})
WHERE l.beat < datetime() - duration({{seconds: $stale_s}})
DELETE l
"""

#: The generations in use, of every graph in the database: the loads still running (read first: a
#: load ends after its switch, so a load seen ended has already switched) and the active ones.
LIVE_GENERATIONS = f"""
OPTIONAL MATCH (l:{LOAD_LABEL})
WITH collect(l.load_gen) AS busy
OPTIONAL MATCH (g:{META_LABEL}) WHERE g.gen IS NOT NULL
RETURN collect(g.gen) AS active, busy
"""


def delete_abandoned_batch(kind: NodeKind | str) -> str:
    """Delete up to ``$batch`` nodes of one kind that belong to no generation in use: neither an
    active one (``$active``, of any graph) nor one in ``$busy`` (a load still running)."""
    return (
        f"MATCH (n:{label(kind)}) WHERE n.gen IS NOT NULL AND NOT n.gen IN $active "
        "AND NOT n.gen IN $busy WITH n LIMIT $batch DETACH DELETE n RETURN count(*) AS deleted"
    )


#: Switch readers to a completely written generation (one small transaction).
SWITCH_GENERATION = f"""
MATCH (g:{META_LABEL} {{id: $graph_id}})
WITH g, g.gen AS previous
SET g.gen = $gen, g.rev = 0, g.meta = $meta, g.loaded_at = datetime()
RETURN previous
"""

#: Mark a write to the active generation (invalidates cached tables in every process).
BUMP_REVISION = f"""
MATCH (g:{META_LABEL} {{id: $graph_id}})
SET g.rev = coalesce(g.rev, 0) + 1
RETURN g.rev AS rev
"""


def delete_generation_batch(kind: NodeKind | str, *, keep: bool) -> str:
    """Delete up to ``$batch`` nodes of one kind (with their relationships): with ``keep``
    every generation except ``$gen``, otherwise generation ``$gen`` itself."""
    where = "n.gen < $gen OR n.gen > $gen" if keep else "n.gen = $gen"
    return f"MATCH (n:{label(kind)}) WHERE {where} WITH n LIMIT $batch DETACH DELETE n RETURN count(*) AS deleted"


def count_nodes() -> str:
    """Number of nodes per kind in generation ``$gen`` (one row per kind)."""
    parts = [
        f"MATCH (n:{label(k)}) WHERE n.gen = $gen RETURN '{label(k)}' AS kind, count(n) AS n"
        for k in NodeKind
    ]
    return "CALL () { " + " UNION ALL ".join(parts) + " } RETURN kind, n"


#: Relationships by type whose start node belongs to generation ``$gen``.
COUNT_EDGES = """
MATCH (a)-[r]->() WHERE a.gen = $gen
RETURN type(r) AS type, count(r) AS n
"""

#: Every node, the pointer included (a full wipe, for tests and tools).
DELETE_ALL_BATCH = "MATCH (n) WITH n LIMIT $batch DETACH DELETE n RETURN count(*) AS deleted"

# ----------------------------------------------------------------------------- load


def _on_create_and_match(assignments: str) -> str:
    """``SET`` after ``MERGE`` written as ``ON CREATE SET … ON MATCH SET …``: the same effect,
    but the planner needs no ``Eager`` barrier (measured ~2× faster loads)."""
    return f"ON CREATE SET {assignments} ON MATCH SET {assignments}"


def merge_nodes(kind: NodeKind | str) -> str:
    """``UNWIND $rows`` of ``{key, nid, props}`` into nodes of generation ``$gen``.

    Municipalities also get ``location`` (a WGS-84 point) when they have coordinates.
    """
    kind = NodeKind(kind)
    assignments = "n += row.props, n.nid = row.nid"
    if kind == NodeKind.MUNICIPALITY:
        assignments += (
            ", n.location = CASE WHEN row.props.lat IS NULL OR row.props.lon IS NULL THEN null "
            "ELSE point({latitude: row.props.lat, longitude: row.props.lon}) END"
        )
    return (
        f"UNWIND $rows AS row MERGE (n:{label(kind)} {{{key_prop(kind)}: row.key, gen: $gen}}) "
        + _on_create_and_match(assignments)
    )


def merge_edges(
    kind: EdgeKind | str,
    src_kind: NodeKind | str,
    dst_kind: NodeKind | str,
    identity: Sequence[str] = (),
    *,
    on_create_only: bool = False,
) -> str:
    """``UNWIND $rows`` of ``{src, dst, ident, props}`` into relationships of generation ``$gen``.

    The relationship is merged on its endpoints, its type and the ``identity`` properties
    (:data:`lernnetz.graph.model.EDGE_IDENTITY`), so the same row twice gives one relationship.
    With ``on_create_only`` an existing relationship keeps its properties (imports);
    otherwise the row's properties are set (a full load: the last row wins, as in NetworkX).
    """
    ident = ", ".join(f"{prop(f)}: row.ident.{prop(f)}" for f in identity)
    ident_map = f" {{{ident}}}" if ident else ""
    setter = "ON CREATE SET r += row.props" if on_create_only else _on_create_and_match("r += row.props")
    return (
        "UNWIND $rows AS row "
        f"MATCH (a:{label(src_kind)} {{{key_prop(src_kind)}: row.src, gen: $gen}}) "
        f"MATCH (b:{label(dst_kind)} {{{key_prop(dst_kind)}: row.dst, gen: $gen}}) "
        f"MERGE (a)-[r:{rel_type(kind)}{ident_map}]->(b) {setter}"
    )


def missing_keys(kind: NodeKind | str) -> str:
    """Which of ``$keys`` have no node of this kind in generation ``$gen``."""
    return (
        f"UNWIND $keys AS k OPTIONAL MATCH (n:{label(kind)} {{{key_prop(kind)}: k, gen: $gen}}) "
        "WITH k, n WHERE n IS NULL RETURN k AS key"
    )


# ----------------------------------------------------------------------------- reads
#
# Every table query ends with ``WITH <columns> ORDER BY … RETURN collect([<columns>]) AS rows``:
# one result record holding the ordered rows. The Python driver reads each record as its own
# Bolt message (two socket reads per record), so packing the rows into one value makes a
# 300-row radius query ~4× and the 11,004-row municipality table ~2× faster to fetch.
# ``collect`` keeps the incoming order after ``ORDER BY`` and always yields one record
# (``[]`` for no rows); lists inside the list keep ``null`` values in their places.
#
# Every read is wrapped by :func:`read`: it finds the active generation itself (variable
# ``gen``), so a call is one round trip and reads the pointer and the data together.


def _pack(names: Sequence[str]) -> str:
    return "RETURN collect([" + ", ".join(prop(n) for n in names) + "]) AS rows"


def read(body: str) -> str:
    """A read: the active generation and revision from the pointer, then ``body`` with the
    generation as the variable ``gen``, in one statement (one round trip). ``body`` must
    return exactly one record with ``rows``. Result: one record ``gen, rev, rows``; ``gen``
    is null when no graph is loaded."""
    return (
        f"OPTIONAL MATCH (g:{META_LABEL} {{id: $graph_id}}) WITH g.gen AS gen, g.rev AS rev "
        "CALL (gen) { " + body + " } RETURN gen, rev, rows"
    )


# ----------------------------------------------------------------------------- node tables


def node_table(kind: NodeKind | str, columns: Sequence[str], order: Sequence[str], *, by_key: bool) -> str:
    """All nodes of one kind in the active generation (or those whose key is in ``$keys``),
    one column per property, ordered by ``order``."""
    kind = NodeKind(kind)
    where = "n.gen = gen"
    if by_key:
        where = f"n.{key_prop(kind)} IN $keys AND n.gen = gen"
    ret = ", ".join(f"n.{prop(c)} AS {prop(c)}" for c in columns)
    by = ", ".join(prop(c) for c in order)
    return read(f"MATCH (n:{label(kind)}) WHERE {where} WITH {ret} ORDER BY {by} " + _pack(columns))


def _key_expr(var: str) -> str:
    """The key of a node of any kind (``CASE WHEN a:State THEN a.code …``)."""
    cases = " ".join(f"WHEN {var}:{label(k)} THEN {var}.{key_prop(k)}" for k in NodeKind)
    return f"CASE {cases} END"


# ----------------------------------------------------------------------------- edge tables


def territories(*, by_project: bool) -> str:
    """Each project's Gemeinden, one row per (project, Gemeinde), as the NetworkX store: the
    most specific listing names the way in — the Gemeinde itself (``gemeinde``, rank 0), its
    Gemeindeverband (the edge's ``via``, rank 1), its whole Kreis (the Kreis's name, rank 2);
    ties broken by the smallest ``via``."""
    where = "p.gen = gen" + (" AND p.id IN $project_ids" if by_project else "")
    return read(
        f"""
CALL (gen) {{
  MATCH (p:Project)<-[r:MEMBER_OF]-(m:Municipality) WHERE {where}
  WITH p, m, CASE WHEN r.via IS NULL OR r.via = '' THEN 'gemeinde' ELSE r.via END AS via
  RETURN p.id AS project_id, m.ags AS ags, via, CASE WHEN via = 'gemeinde' THEN 0 ELSE 1 END AS rank
  UNION ALL
  MATCH (p:Project)<-[:MEMBER_OF]-(d:District)<-[:IN_DISTRICT]-(m:Municipality) WHERE {where}
  RETURN p.id AS project_id, m.ags AS ags, coalesce(d.name, d.key) AS via, 2 AS rank
}}
WITH project_id, ags, via, rank ORDER BY rank, via
WITH project_id, ags, collect(via)[0] AS via
WITH project_id, ags, via ORDER BY project_id, ags
"""
        + _pack(["project_id", "ags", "via"])
    )


def members(*, by_project: bool) -> str:
    """MEMBER_OF edges (Gemeinde or Kreis → project) as stored."""
    where = "p.gen = gen" + (" AND p.id IN $project_ids" if by_project else "")
    return read(
        f"""
MATCH (p:Project)<-[r:MEMBER_OF]-(a) WHERE {where}
WITH p.id AS project_id, labels(a)[0] AS kind, {_key_expr("a")} AS key,
       coalesce(r.role, '') AS role, coalesce(r.level, '') AS level, coalesce(r.via, '') AS via,
       coalesce(r.source, '') AS source, coalesce(r.confidence, '') AS confidence,
       coalesce(r.note, '') AS note
ORDER BY project_id, kind, key
"""
        + _pack(["project_id", "kind", "key", "role", "level", "via", "source", "confidence", "note"])
    )


PROJECT_TOPICS = read(
    """
MATCH (p:Project)-[r:ADDRESSES]->(t:Topic) WHERE p.gen = gen
WITH p.id AS project_id, t.slug AS topic, coalesce(r.source, '') AS source,
       coalesce(r.confidence, '') AS confidence
ORDER BY project_id, topic
"""
    + _pack(["project_id", "topic", "source", "confidence"])
)

EVENT_TOPICS = read(
    """
MATCH (e:Event)-[r:FOCUSES_ON]->(t:Topic) WHERE e.gen = gen
WITH e.id AS event_id, t.slug AS topic, coalesce(r.source, '') AS source,
       coalesce(r.confidence, '') AS confidence
ORDER BY event_id, topic
"""
    + _pack(["event_id", "topic", "source", "confidence"])
)

EVENT_HOSTS = read(
    """
MATCH (p:Project)-[:HOSTED]->(e:Event) WHERE e.gen = gen
WITH e.id AS event_id, p.id AS project_id
ORDER BY event_id, project_id
"""
    + _pack(["event_id", "project_id"])
)


def interests(*, by_ags: bool, by_topic: bool) -> str:
    """INTERESTED_IN edges, optionally only for ``$ags`` and/or ``$topics``, sorted by all columns."""
    where = ["t.gen = gen", "m.gen = gen"]
    if by_ags:
        where.append("m.ags IN $ags")
    if by_topic:
        where.append("t.slug IN $topics")
    return read(
        f"""
MATCH (m:Municipality)-[r:INTERESTED_IN]->(t:Topic) WHERE {" AND ".join(where)}
WITH m.ags AS ags, t.slug AS topic, coalesce(r.kind, '') AS kind, coalesce(r.date, '') AS date,
       coalesce(r.source, '') AS source, coalesce(toFloat(r.weight), 1.0) AS weight,
       coalesce(r.event_id, '') AS event_id
ORDER BY ags, topic, kind, date, source, weight, event_id
"""
        + _pack(["ags", "topic", "kind", "date", "source", "weight", "event_id"])
    )


def attendances(*, by_ags: bool) -> str:
    """ATTENDED edges, optionally only for ``$ags``, sorted by all columns."""
    where = "m.gen = gen" + (" AND m.ags IN $ags" if by_ags else "")
    return read(
        f"""
MATCH (m:Municipality)-[r:ATTENDED]->(e:Event) WHERE {where}
WITH m.ags AS ags, e.id AS event_id, coalesce(r.kind, '') AS kind, coalesce(r.date, '') AS date,
       coalesce(r.source, '') AS source
ORDER BY ags, event_id, kind, date, source
"""
        + _pack(["ags", "event_id", "kind", "date", "source"])
    )


#: PARTICIPATES_IN edges (Gemeinde, Verband or Kreis → other programme), sorted as the NetworkX store.
PROGRAMME_PARTICIPATION = read(
    f"""
MATCH (a)-[r:PARTICIPATES_IN]->(p:Programme) WHERE p.gen = gen
WITH p.id AS programme_id, {_key_expr("a")} AS key, coalesce(r.level, '') AS level,
       coalesce(r.name, '') AS name, coalesce(r.role, '') AS role, coalesce(r.year, '') AS year,
       coalesce(r.topics, []) AS topics, coalesce(r.topic_evidence, '') AS topic_evidence,
       coalesce(r.source, '') AS source, coalesce(r.confidence, '') AS confidence,
       coalesce(r.note, '') AS note
ORDER BY programme_id, level, key, role, year
"""
    + _pack(["programme_id", "key", "level", "name", "role", "year", "topics", "topic_evidence", "source",
             "confidence", "note"])
)  # fmt: skip


# ----------------------------------------------------------------------------- spatial, paths


#: Municipalities within ``$radius_km`` of any centre (``$centres``: AGS list).
#:
#: 1. the centres with coordinates; 2. for each, a point-index seek with the enlarged
#: radius ``$prefilter_m`` (``point.distance`` in metres on its own sphere); 3. the exact
#: haversine distance (mean Earth radius ``$earth_radius_km``, the same operations as
#: :func:`lernnetz.graph.geo.haversine_km`), minimum over the centres that reached the point
#: (any farther centre is beyond the radius anyway); centres themselves at 0;
#: 4. ``<= $radius_km``, ordered by (distance_km, ags).
NEAR = read(
    """
MATCH (c:Municipality) WHERE c.ags IN $centres AND c.gen = gen AND c.location IS NOT NULL
WITH c, gen
MATCH (m:Municipality)
WHERE point.distance(m.location, c.location) <= $prefilter_m AND m.gen = gen
WITH m, c, radians(m.lat) AS p1, radians(c.lat) AS p2
WITH m, c, p1, p2, sin((p2 - p1) / 2.0) AS s1, sin((radians(c.lon) - radians(m.lon)) / 2.0) AS s2
WITH m, s1 * s1 + cos(p1) * cos(p2) * (s2 * s2) AS a
WITH m, 2.0 * $earth_radius_km * asin(sqrt(CASE WHEN a < 0.0 THEN 0.0 WHEN a > 1.0 THEN 1.0 ELSE a END)) AS d
WITH m, min(d) AS nearest
WITH m, CASE WHEN m.ags IN $centres THEN 0.0 ELSE nearest END AS distance_km
WHERE distance_km <= $radius_km
WITH m.ags AS ags, distance_km
ORDER BY distance_km, ags
RETURN collect([ags, distance_km]) AS rows
"""
)


def near_params(centres: Sequence[str], radius_km: float) -> dict[str, Any]:
    """The parameters of :data:`NEAR` (besides ``$graph_id``)."""
    return {
        "centres": list(centres),
        "radius_km": float(radius_km),
        "prefilter_m": float(radius_km) * 1000.0 * PREFILTER_FACTOR + PREFILTER_SLACK_M,
        "earth_radius_km": EARTH_RADIUS_KM,
    }


def shortest_paths(src_kind: NodeKind | str, dst_kind: NodeKind | str, max_hops: int) -> str:
    """All shortest undirected paths over the non-structural relationship types between
    ``$src`` and ``$dst`` (keys), at most ``max_hops`` long, as distinct lists of node ids,
    sorted, at most ``$limit`` (one record: ``rows``, the list of paths)."""
    if isinstance(max_hops, bool) or not isinstance(max_hops, int) or not 1 <= max_hops <= MAX_HOPS_LIMIT:
        raise ValueError(f"max_hops must be an int between 1 and {MAX_HOPS_LIMIT}, not {max_hops!r}")
    types = "|".join(rel_type(t) for t in EdgeKind if t not in STRUCTURAL)
    return read(
        f"MATCH (a:{label(src_kind)} {{{key_prop(src_kind)}: $src, gen: gen}}) "
        f"MATCH (b:{label(dst_kind)} {{{key_prop(dst_kind)}: $dst, gen: gen}}) "
        f"MATCH p = allShortestPaths((a)-[:{types}*..{max_hops}]-(b)) "
        "WITH DISTINCT [n IN nodes(p) | n.nid] AS ids "
        "ORDER BY ids LIMIT $limit RETURN collect(ids) AS rows"
    )


# ----------------------------------------------------------------------------- misc

PING = "RETURN 1 AS ok"
