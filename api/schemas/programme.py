"""The programme: projects, members, territories, topics, events, ties."""

from __future__ import annotations

from pydantic import BaseModel, Field

from lernnetz.api.schemas.base import example
from lernnetz.api.schemas.places import AttendanceRow

# ---------------------------------------------------------------------------- programme


class ProjectRow(BaseModel):
    """A model project (MPSC)."""

    model_config = example(
        {"id": "ulm", "name": "Ulm", "label": "", "round": 2019, "category": "GS", "type": "Stadt",
         "states": ["BW"], "territory_size": 1, "topics": ["strategy-development"]}
    )  # fmt: skip

    id: str = Field(description="Stable slug.")
    name: str
    label: str = Field(description="Brand or label of the project.")
    round: int = Field(description="Funding round year: 2019, 2020 or 2021.")
    category: str = Field(
        description="GS Großstadt, MS Mittelstadt, KL Kleinstadt/Landgemeinde, IK interkommunal/Landkreis."
    )
    type: str
    states: list[str] = Field(description="Länder (short codes).")
    territory_size: int = Field(description="Gemeinden in the territory.")
    topics: list[str]
    status: str = Field("", description="active, ended or left where a source says so; '' = unknown.")
    end_date: str = Field("", description="ISO date of the actual end, where a source gives it.")


class ProjectRecord(BaseModel):
    """All fields of a project as curated, with its source and confidence (S/G/U)."""

    id: str
    name: str
    label: str
    round: int
    category: str
    type: str
    states: list[str]
    lead_key: str
    phase: str
    profile_url: str
    source: str
    confidence: str
    note: str
    ref_date: str
    territory_size: int
    status: str = Field("", description="active, ended or left where a source says so; '' = unknown.")
    end_date: str = ""
    status_source: str = ""


class MemberRow(BaseModel):
    """A member key as listed (a Gemeinde, or a whole Kreis)."""

    project_id: str
    kind: str
    key: str
    role: str
    level: str
    via: str
    source: str
    confidence: str
    note: str


class TerritoryRow(BaseModel):
    """A Gemeinde of the project's territory, and how it came in."""

    project_id: str
    ags: str
    via: str
    name: str | None
    population: int | None
    funded: bool | None


class ProjectTopicRow(BaseModel):
    """A topic the project addresses, with its source."""

    project_id: str
    topic: str
    source: str
    confidence: str


class ProjectEvent(BaseModel):
    """An event the project hosted."""

    id: str
    kind: str
    date_start: str
    title: str
    format: str


class RelationRow(BaseModel):
    """A typed KTS tie (ROLE_MODEL_FOR, EXCHANGES_WITH, CO_DEVELOPS_WITH, TRANSFERS_TO)."""

    type: str
    from_kind: str
    from_key: str
    to_kind: str
    to_key: str
    source: str
    confidence: str
    note: str


class ProjectDetail(BaseModel):
    """One project: the record, members as listed and resolved to Gemeinden, topics, events, ties."""

    model_config = example(
        {"project": {"id": "ulm", "name": "Ulm", "label": "", "round": 2019, "category": "GS", "type": "Stadt",
                     "states": ["BW"], "lead_key": "08421000", "phase": "", "profile_url": "", "source": "…",
                     "confidence": "S", "note": "", "ref_date": "2019", "territory_size": 1},
         "members": [], "gemeinden": [], "topics": [], "events": [], "ties": []}
    )  # fmt: skip

    project: ProjectRecord
    members: list[MemberRow]
    gemeinden: list[TerritoryRow]
    topics: list[ProjectTopicRow]
    events: list[ProjectEvent]
    ties: list[RelationRow]


class TopicRow(BaseModel):
    """A topic of the taxonomy, with usage counts."""

    model_config = example(
        {"slug": "mobility", "label_de": "Mobilität", "label_en": "Mobility", "family": "Innovationsfeld",
         "parent": "", "projects": 20, "events": 3, "interested_municipalities": 512}
    )  # fmt: skip

    slug: str
    label_de: str
    label_en: str
    family: str
    parent: str
    projects: int = Field(description="Projects addressing it.")
    events: int = Field(description="Events focusing on it.")
    interested_municipalities: int = Field(description="Municipalities with an INTERESTED_IN edge to it.")


class EventRow(BaseModel):
    """A KTS event (Regionalkonferenz, Kongress, Peer-Learning …)."""

    model_config = example(
        {"id": "rk-03-2022-04-05", "kind": "regionalkonferenz", "number": 3, "date_start": "2022-04-05",
         "date_end": "", "format": "virtual", "title": "Smart-City-Strategien gemeinsam entwickeln …",
         "place_key": "08421000", "place_name": "Ulm, Universitätsstadt", "hosts": ["ulm"],
         "topics": ["strategy-development"], "lat": 48.39841, "lon": 9.99155}
    )  # fmt: skip

    id: str
    kind: str
    number: int | None
    date_start: str = Field(description="ISO date; '' when only a month or nothing is known.")
    date_end: str
    format: str = Field(description="virtual, in_person, hybrid or ''.")
    title: str
    place_key: str = Field(description="AGS of the place ('' for virtual events).")
    place_name: str
    hosts: list[str] = Field(description="Host project ids.")
    topics: list[str]
    lat: float | None
    lon: float | None


class EventRecord(BaseModel):
    """All fields of an event as curated."""

    id: str
    kind: str
    number: int | None
    date_start: str
    date_end: str
    place_key: str
    format: str
    title: str
    participants: int | None
    host_projects: list[str]
    source: str
    confidence: str
    note: str
    ref_date: str
    hosts: list[str]
    topics: list[str]


class EventDetail(BaseModel):
    """One event with hosts, topics and the municipalities recorded as attending."""

    event: EventRecord
    attendees: list[AttendanceRow]
