"""The ``GraphStore`` protocol: what every store (NetworkX, Neo4j) offers.

The protocol is table-shaped so a server store can answer each call with one query:
node tables, edge tables, a radius query and path search. The analytics in
:mod:`lernnetz.graph.analytics` are written once against it.

Every returned DataFrame has the documented columns in that order and is sorted by
its key columns, so two stores holding the same graph return equal frames.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

import pandas as pd

from lernnetz.graph.model import GraphData
from lernnetz.loaders.records import ParticipationRecord, RelationRecord

MUNICIPALITY_COLUMNS = [
    "ags", "ars", "name", "type_code", "type", "unincorporated", "state_code", "district_key",
    "association_key", "association_name", "population", "population_male", "population_female",
    "area_km2", "postcode", "lat", "lon", "funded", "source", "ref_date",
]  # fmt: skip
DISTRICT_COLUMNS = ["key", "name", "type", "type_code", "state_code", "source", "ref_date"]
STATE_COLUMNS = ["code", "short", "name", "source", "ref_date"]
PROJECT_COLUMNS = [
    "id", "name", "label", "round", "category", "type", "states", "lead_key", "phase",
    "profile_url", "source", "confidence", "note", "ref_date", "territory_size", "status", "end_date",
    "status_source",
]  # fmt: skip
TOPIC_COLUMNS = ["slug", "label_de", "label_en", "family", "parent", "source", "confidence", "ref_date"]
EVENT_COLUMNS = [
    "id", "kind", "number", "date_start", "date_end", "place_key", "format", "title",
    "participants", "host_projects", "source", "confidence", "note", "ref_date",
]  # fmt: skip
#: ``territories()``: one row per (project, Gemeinde) of the project's territory.
TERRITORY_COLUMNS = ["project_id", "ags", "via"]
#: ``members()``: the MEMBER_OF edges as stored (Gemeinde or Kreis → project).
MEMBER_COLUMNS = ["project_id", "kind", "key", "role", "level", "via", "source", "confidence", "note"]
PROJECT_TOPIC_COLUMNS = ["project_id", "topic", "source", "confidence"]
EVENT_TOPIC_COLUMNS = ["event_id", "topic", "source", "confidence"]
EVENT_HOST_COLUMNS = ["event_id", "project_id"]
INTEREST_COLUMNS = ["ags", "topic", "kind", "date", "source", "weight", "event_id"]
ATTENDANCE_COLUMNS = ["ags", "event_id", "kind", "date", "source"]
#: ``level_interests()`` / ``level_attendances()``: participation recorded at a Kreis (``level``
#: ``kreis``, ``key`` the 5-digit key) or Verband (``verband``, the 9-digit key).
LEVEL_INTEREST_COLUMNS = ["level", "key", "topic", "kind", "date", "source", "weight", "event_id"]
LEVEL_ATTENDANCE_COLUMNS = ["level", "key", "event_id", "kind", "date", "source"]
RELATION_COLUMNS = ["type", "from_kind", "from_key", "to_kind", "to_key", "source", "confidence", "note"]
NEAR_COLUMNS = ["ags", "distance_km"]
#: ``programmes()``: other programmes (``topics`` a list of slugs).
PROGRAMME_COLUMNS = ["id", "name", "operator", "years", "kind", "topics", "source", "confidence", "note"]
#: ``programme_participation()``: one row per PARTICIPATES_IN edge; ``key`` is an AGS, Verband
#: or Kreis key as ``level`` says; ``topics`` a list of slugs.
PROGRAMME_PARTICIPATION_COLUMNS = [
    "programme_id", "key", "level", "name", "role", "year", "topics", "topic_evidence", "source",
    "confidence", "note",
]  # fmt: skip

#: ``progress(stage, done, total)``: how far :meth:`GraphStore.replace` is (``done`` of
#: ``total`` units of work, counted over all stages together).
ProgressFn = Callable[[str, int, int], None]


@runtime_checkable
class GraphStore(Protocol):
    """A place that holds one lernnetz graph and answers table-shaped questions."""

    backend: str

    # ---- lifecycle
    def replace(self, data: GraphData, *, progress: ProgressFn | None = None) -> None:
        """Replace the whole graph atomically: on failure the previous graph stays.
        ``progress`` is called as the load advances (for a progress bar)."""
        ...

    def add_participation(self, records: Sequence[ParticipationRecord]) -> int:
        """Merge participation edges (idempotent, atomic). Returns how many were new."""
        ...

    def add_ties(self, records: Sequence[RelationRecord]) -> int:
        """Merge typed KTS ties (idempotent, atomic; one per type and pair). Returns how many were new."""
        ...

    def info(self) -> dict[str, Any]:
        """Backend, Stichtag, sources, attribution and counts per node/edge kind."""
        ...

    def ping(self) -> None:
        """Raise :class:`lernnetz.graph.errors.StoreUnavailable` if the store cannot answer."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...

    def stale(self) -> bool:
        """Whether another process has written a newer graph than this object holds (cheap:
        the embedded store compares its snapshot file's identity; Neo4j is always current)."""
        ...

    def refresh(self) -> bool:
        """Catch up with a newer graph written by another process (see :meth:`stale`); returns
        whether anything changed. Writers call it under the write lock before they write."""
        ...

    # ---- node tables
    def municipalities(self, ags: Sequence[str] | None = None) -> pd.DataFrame:
        """MUNICIPALITY_COLUMNS, sorted by ags; all, or those with the given keys."""
        ...

    def districts(self) -> pd.DataFrame:
        """DISTRICT_COLUMNS, sorted by key."""
        ...

    def states(self) -> pd.DataFrame:
        """STATE_COLUMNS, sorted by code."""
        ...

    def projects(self) -> pd.DataFrame:
        """PROJECT_COLUMNS, sorted by id."""
        ...

    def topics(self) -> pd.DataFrame:
        """TOPIC_COLUMNS, sorted by slug."""
        ...

    def events(self) -> pd.DataFrame:
        """EVENT_COLUMNS, sorted by (date_start, id)."""
        ...

    # ---- edge tables
    def territories(self, project_ids: Sequence[str] | None = None) -> pd.DataFrame:
        """TERRITORY_COLUMNS sorted by (project_id, ags): Kreis and Verband members expanded to
        Gemeinden; ``via`` is "gemeinde" for a Gemeinde listed itself, else the name of the most
        specific listing that brings it in (its Gemeindeverband before its Kreis)."""
        ...

    def members(self, project_ids: Sequence[str] | None = None) -> pd.DataFrame:
        """MEMBER_COLUMNS sorted by (project_id, kind, key)."""
        ...

    def project_topics(self) -> pd.DataFrame:
        """PROJECT_TOPIC_COLUMNS sorted by (project_id, topic)."""
        ...

    def event_topics(self) -> pd.DataFrame:
        """EVENT_TOPIC_COLUMNS sorted by (event_id, topic)."""
        ...

    def event_hosts(self) -> pd.DataFrame:
        """EVENT_HOST_COLUMNS sorted by (event_id, project_id)."""
        ...

    def interests(
        self, ags: Sequence[str] | None = None, topics: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """INTEREST_COLUMNS sorted by all columns; optionally filtered. Gemeinden only (the
        interests of Kreise and Verbände: :meth:`level_interests`)."""
        ...

    def attendances(self, ags: Sequence[str] | None = None) -> pd.DataFrame:
        """ATTENDANCE_COLUMNS sorted by all columns. Gemeinden only."""
        ...

    def level_interests(self) -> pd.DataFrame:
        """LEVEL_INTEREST_COLUMNS sorted by all columns: INTERESTED_IN edges of Kreise and Verbände."""
        ...

    def level_attendances(self) -> pd.DataFrame:
        """LEVEL_ATTENDANCE_COLUMNS sorted by all columns: ATTENDED edges of Kreise and Verbände."""
        ...

    def relations(self) -> pd.DataFrame:
        """RELATION_COLUMNS sorted by all columns."""
        ...

    def programmes(self) -> pd.DataFrame:
        """PROGRAMME_COLUMNS sorted by id."""
        ...

    def programme_participation(self) -> pd.DataFrame:
        """PROGRAMME_PARTICIPATION_COLUMNS sorted by (programme_id, level, key, role, year)."""
        ...

    # ---- spatial and paths
    def near(self, centres: Sequence[str], radius_km: float) -> pd.DataFrame:
        """NEAR_COLUMNS: every municipality with a point within ``radius_km`` of any centre
        municipality (AGS), with the distance to the nearest centre, great-circle on a
        sphere of radius 6371.0088 km. Centres are included at 0. Sorted by
        (distance_km, ags)."""
        ...

    def shortest_paths(
        self, source: str, target: str, *, max_hops: int = 6, limit: int = 5
    ) -> list[list[str]]:
        """Up to ``limit`` shortest undirected paths between two node ids (``Kind:key``),
        ignoring the structural IN_DISTRICT/IN_STATE edges; each path a list of node ids,
        sorted lexicographically for a stable order."""
        ...
