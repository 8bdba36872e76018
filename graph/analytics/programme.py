"""Programme lookups shared by the CLI and the API: projects, one project, events, topics."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lernnetz.graph.errors import InvalidArgument, NotFound
from lernnetz.graph.jsonsafe import py
from lernnetz.graph.store import GraphStore, memo

PROJECT_LIST_COLUMNS = [
    "id",
    "name",
    "label",
    "round",
    "category",
    "type",
    "states",
    "territory_size",
    "topics",
    "status",
    "end_date",
]
#: ``status`` filter values: a sourced status, or ``unknown`` (no source says).
PROJECT_STATUSES = ("active", "ended", "left", "unknown")
EVENT_LIST_COLUMNS = [
    "id",
    "kind",
    "number",
    "date_start",
    "date_end",
    "format",
    "title",
    "place_key",
    "hosts",
    "topics",
]


#: Integer fields that may be missing: a table column holding them is float64 with NaN gaps.
EVENT_OPTIONAL_INT_COLUMNS = ("number", "participants")


def _record(row: pd.DataFrame, optional_ints: tuple[str, ...] = ()) -> dict[str, Any]:
    """The first row of ``row`` as plain Python values: a missing value (NaN, ``pd.NA``) is
    ``None`` and an optional integer field is an ``int`` again (pandas stores ``[150, None]``
    as ``150.0, NaN``; a NaN reached the response model as a number and gave a 500)."""
    record: dict[str, Any] = py(row.iloc[0].to_dict())
    for column in optional_ints:
        value = record.get(column)
        if isinstance(value, float) and value.is_integer():
            record[column] = int(value)
    return record


def _topics_by(df: pd.DataFrame, key: str) -> dict[str, list[str]]:
    return {str(k): sorted(g["topic"]) for k, g in df.groupby(key)}


def check_topic(store: GraphStore, topic: str) -> str:
    """A topic slug that exists, or :class:`NotFound` with the known slugs as hint."""
    slugs = memo(store, "topic_slugs", lambda: frozenset(store.topics()["slug"]))
    if topic not in slugs:
        raise NotFound(f"unknown topic {topic!r}", hint=f"known topics: {', '.join(sorted(slugs)[:40])} …")
    return topic


def list_projects(
    store: GraphStore,
    *,
    round: int | None = None,
    category: str | None = None,
    state: str | None = None,
    topic: str | None = None,
    status: str | None = None,
) -> pd.DataFrame:
    """Projects filtered by round, competition category, Land (short code), topic and status
    (``active``, ``ended``, ``left`` where a source says so; ``unknown`` = no source)."""
    p = memo(store, "project_list", lambda: _project_list(store))
    if round is not None:
        p = p[p["round"] == round]
    if category:
        p = p[p["category"] == category.upper()]
    if state:
        p = p[p["states"].map(lambda s: state.upper() in s).astype(bool)]
    if topic:
        slug = check_topic(store, topic)
        p = p[p["topics"].map(lambda t: slug in t).astype(bool)]
    if status:
        if status not in PROJECT_STATUSES:
            raise InvalidArgument(
                f"unknown project status {status!r}", hint=f"one of {', '.join(PROJECT_STATUSES)}"
            )
        p = p[p["status"].fillna("") == ("" if status == "unknown" else status)]
    return p[PROJECT_LIST_COLUMNS].reset_index(drop=True)


def _project_list(store: GraphStore) -> pd.DataFrame:
    """Every project with its sorted topics (built once per store state; filtered per call)."""
    p = store.projects().copy()
    topics = _topics_by(store.project_topics(), "project_id")
    p["topics"] = p["id"].map(lambda i: topics.get(i, []))
    return p


def project_detail(store: GraphStore, project_id: str) -> dict[str, Any]:
    """One project: its record, members (as listed and resolved to Gemeinden), topics, events, ties."""
    records = memo(store, "project_records", lambda: _project_records(store))
    info = records.get(project_id)
    if info is None:  # also accept the official name or the label ("Smarte Region MYK10")
        from lernnetz.loaders.names import fold

        p = store.projects()
        wanted = fold(project_id)
        row = p[(p["name"].map(fold) == wanted) | (p["label"].fillna("").map(fold) == wanted)]
        if len(row) != 1:
            raise NotFound(
                f"no project with id or name {project_id!r}",
                hint="GET /projects or `lernnetz projects` lists the ids",
            )
        info = records[str(row.iloc[0]["id"])]
    info = dict(info)
    project_id = str(info["id"])
    done: dict[str, dict[str, Any]] = memo(store, "project_detail", dict)
    hit = done.get(project_id)
    if hit is None:  # at most one entry per project id of the graph
        hit = done[project_id] = _project_parts(store, project_id)
    return {"project": info, **hit}


def _project_records(store: GraphStore) -> dict[str, dict[str, Any]]:
    p = store.projects()
    return {str(pid): _record(p.iloc[[i]]) for i, pid in enumerate(p["id"].tolist())}


def _project_parts(store: GraphStore, project_id: str) -> dict[str, Any]:
    terr = store.territories([project_id])
    m = store.municipalities(list(terr["ags"]))[["ags", "name", "population", "funded"]]
    gemeinden = terr.merge(m, on="ags", how="left")
    pt = store.project_topics()
    hosts = store.event_hosts()
    ev = store.events()
    ev = ev[ev["id"].isin(hosts.loc[hosts["project_id"] == project_id, "event_id"])]
    rel = store.relations()
    ties = rel[((rel["from_kind"] == "project") & (rel["from_key"] == project_id))
               | ((rel["to_kind"] == "project") & (rel["to_key"] == project_id))]  # fmt: skip
    return {
        "members": store.members([project_id]),
        "gemeinden": gemeinden,
        "topics": pt[pt["project_id"] == project_id].reset_index(drop=True),
        "events": ev[["id", "kind", "date_start", "title", "format"]].reset_index(drop=True),
        "ties": ties.reset_index(drop=True),
    }


def list_events(
    store: GraphStore, *, kind: str | None = None, year: int | None = None, topic: str | None = None
) -> pd.DataFrame:
    """Events filtered by kind, year and focus topic, in date order."""
    e = memo(store, "event_list", lambda: _event_list(store))
    if kind:
        e = e[e["kind"] == kind]
    if year is not None:
        e = e[e["date_start"].fillna("").str.startswith(str(year))]
    if topic:
        check_topic(store, topic)
        e = e[e["topics"].map(lambda t: topic in t).astype(bool)]
    return e[EVENT_LIST_COLUMNS].reset_index(drop=True)


def _event_list(store: GraphStore) -> pd.DataFrame:
    """Every event with its sorted hosts and topics (built once per store state)."""
    e = store.events().copy()
    hosts = store.event_hosts()
    by_event = {k: sorted(g["project_id"]) for k, g in hosts.groupby("event_id")}
    topics = _topics_by(store.event_topics(), "event_id")
    e["hosts"] = e["id"].map(lambda i: by_event.get(i, []))
    e["topics"] = e["id"].map(lambda i: topics.get(i, []))
    return e


def _event_index(store: GraphStore) -> dict[str, tuple[dict[str, Any], pd.DataFrame]]:
    """Event id → (its record with hosts and topics, its attendees), for every event."""
    listed = list_events(store)
    full = store.events()
    att = store.attendances()
    by_event = {str(k): v for k, v in att.groupby("event_id", sort=False).indices.items()}
    empty = att.iloc[0:0].reset_index(drop=True)
    out: dict[str, tuple[dict[str, Any], pd.DataFrame]] = {}
    for i, eid in enumerate(listed["id"].tolist()):
        record = _record(
            full.iloc[[int(np.flatnonzero((full["id"] == eid).to_numpy())[0])]], EVENT_OPTIONAL_INT_COLUMNS
        )
        pos = by_event.get(str(eid))
        attendees = empty if pos is None else att.iloc[pos].reset_index(drop=True)
        out[str(eid)] = ({**record, **_record(listed.iloc[[i]], EVENT_OPTIONAL_INT_COLUMNS)}, attendees)
    return out


def event_detail(store: GraphStore, event_id: str) -> dict[str, Any]:
    """One event with hosts, topics and attendees (from an index built once per store state)."""
    hit = memo(store, "event_detail", lambda: _event_index(store)).get(event_id)
    if hit is None:
        raise NotFound(
            f"no event with id {event_id!r}", hint="GET /events or `lernnetz events` lists the ids"
        )
    record, attendees = hit
    return {"event": dict(record), "attendees": attendees}
