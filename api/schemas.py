"""Response schemas (pydantic) with examples: what the /docs page shows an analyst.

Field names equal the column names of the ``graph`` functions' DataFrames, so a JSON row,
a CSV row and a notebook DataFrame row read the same.
"""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")

ULM_EXAMPLE = {
    "ags": "08421000",
    "name": "Ulm, Universitätsstadt",
    "type": "Stadtkreis",
    "unincorporated": False,
    "district_key": "08421",
    "district": "Ulm",
    "state_code": "08",
    "state": "Baden-Württemberg",
    "population": 126790,
    "area_km2": 118.69,
    "postcode": "89073",
    "lat": 48.39841,
    "lon": 9.99155,
    "funded": True,
}


def _example(example: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": [example]})


class Page(BaseModel, Generic[T]):
    """One page of a table: ``items`` are rows ``offset … offset+limit-1`` of ``total``."""

    total: int = Field(description="Rows in the whole result (all pages).", examples=[1])
    limit: int = Field(description="Page size asked for.", examples=[100])
    offset: int = Field(description="Rows skipped.", examples=[0])
    items: list[T]
    notes: list[str] = Field(
        default_factory=list,
        description="When an analytic finds nothing: why, and what would help (wider radius, more projects, data).",
    )


# ---------------------------------------------------------------------------- errors


class Candidate(BaseModel):
    """One place an ambiguous name could mean."""

    model_config = _example(
        {"kind": "municipality", "key": "07316000", "name": "Neustadt an der Weinstraße, Stadt",
         "district": "Neustadt an der Weinstraße", "state": "07", "population": 53148}
    )  # fmt: skip

    kind: str = Field(description="state, district, municipality or project")
    key: str = Field(description="AGS (2, 5 or 8 digits) or project id")
    name: str
    district: str | None = None
    state: str | None = None
    population: int | None = None


class ErrorBody(BaseModel):
    """The one error body of every error response."""

    model_config = _example(
        {"error": "not_found", "detail": "no municipality with AGS '99999999'",
         "hint": "an AGS has 8 digits, e.g. 08421000 (Ulm); GET /regions/resolve?q=NAME finds the AGS of a name"}
    )  # fmt: skip

    error: str = Field(description="Machine-readable code, e.g. not_found, ambiguous, invalid_request.")
    detail: str = Field(description="What went wrong, naming the parameter, file, row, column or value.")
    hint: str = Field(description="What to do about it.")
    candidates: list[Candidate] | None = Field(
        default=None, description="Only for 409 ambiguous: every place the name could mean."
    )


# ---------------------------------------------------------------------------- health, stats


class Health(BaseModel):
    """Whether the API can answer, from which data."""

    model_config = _example(
        {"status": "ok", "backend": "networkx", "store_reachable": True, "stichtag": "2020-12-31",
         "population_date": "2019-12-31", "nodes": {"Municipality": 11004, "Project": 73},
         "edges": {"MEMBER_OF": 565}, "generation": 0, "detail": "", "hint": "",
         "attribution": "© Statistisches Bundesamt (Destatis), … Datenlizenz Deutschland – Namensnennung – Version 2.0"}
    )  # fmt: skip

    status: Literal["ok", "unavailable"]
    backend: str
    store_reachable: bool
    stichtag: str = Field(description="Gebietsstand of the official register (ISO date).")
    population_date: str = ""
    nodes: dict[str, int] = Field(default_factory=dict, description="Node counts per kind.")
    edges: dict[str, int] = Field(default_factory=dict, description="Edge counts per type.")
    generation: int = Field(description="Changes whenever the API writes to the graph (imports).")
    detail: str = Field("", description="Why the store is unavailable.")
    hint: str = ""
    attribution: str = Field(description="The data licence's source note (dl-de/by-2-0).")


class Stats(BaseModel):
    """Counts of the graph."""

    model_config = _example(
        {"backend": "networkx", "stichtag": "2020-12-31", "population_date": "", "nodes": {"Municipality": 11004},
         "edges": {"MEMBER_OF": 565}, "municipalities": 10794, "unincorporated_areas": 210,
         "population": 83166711, "funded_municipalities": 547, "funded_unincorporated_areas": 3,
         "projects_by_round": {"2019": 13, "2020": 32, "2021": 28},
         "projects_by_category": {"GS": 25}, "interest_sources": {"synthetic": 10000},
         "attribution": "© Statistisches Bundesamt (Destatis), …"}
    )  # fmt: skip

    backend: str
    stichtag: str
    population_date: str
    nodes: dict[str, int]
    edges: dict[str, int]
    municipalities: int = Field(description="Gemeinden (politically independent).")
    unincorporated_areas: int = Field(description="Gemeindefreie Gebiete (kept apart).")
    population: int
    funded_municipalities: int = Field(description="Gemeinden inside any model project's territory.")
    funded_unincorporated_areas: int
    projects_by_round: dict[str, int]
    projects_by_category: dict[str, int]
    interest_sources: dict[str, int] = Field(
        description="INTERESTED_IN edges per source; `synthetic` marks generated demo data."
    )
    attribution: str


# ---------------------------------------------------------------------------- municipalities


class MunicipalityRow(BaseModel):
    """A municipality (Gemeinde, or gemeindefreies Gebiet when ``unincorporated``)."""

    model_config = _example(ULM_EXAMPLE)

    ags: str = Field(description="Amtlicher Gemeindeschlüssel, 8 digits.")
    name: str = Field(description="Official name with suffixes such as ', Stadt'.")
    type: str
    unincorporated: bool
    district_key: str = Field(description="Kreis key, 5 digits ('' for a few unincorporated areas).")
    district: str
    state_code: str
    state: str | None
    population: int
    area_km2: float | None
    postcode: str
    lat: float | None = Field(description="Official centre, WGS84 latitude.")
    lon: float | None
    funded: bool = Field(description="Inside any model project's territory.")


class ProjectRef(BaseModel):
    """A project covering a municipality, and how (the Gemeinde itself, its Verband or Kreis)."""

    id: str
    name: str
    via: str


class InterestRow(BaseModel):
    """An INTERESTED_IN edge: a municipality's interest in a topic, with its evidence."""

    ags: str
    topic: str
    kind: str = Field(description="registered, attended, survey, peer-learning, …")
    date: str
    source: str = Field(description="Where it comes from; `synthetic` marks generated demo data.")
    weight: float
    event_id: str


class AttendanceRow(BaseModel):
    """An ATTENDED edge: a municipality at an event."""

    ags: str
    event_id: str
    kind: str
    date: str
    source: str


class MunicipalityDetail(MunicipalityRow):
    """One municipality with its keys, Verband, the projects covering it and recorded interests."""

    model_config = _example(
        {**ULM_EXAMPLE, "ars": "084210000000", "association_key": "084210000", "association_name": "Ulm, Stadt",
         "population_male": 62586, "population_female": 64204, "source": "…", "ref_date": "2020-12-31",
         "projects": [{"id": "ulm", "name": "Ulm", "via": "gemeinde"}], "interests": [], "attendances": []}
    )  # fmt: skip

    ars: str
    association_key: str
    association_name: str
    population_male: int | None
    population_female: int | None
    source: str
    ref_date: str
    projects: list[ProjectRef]
    funded_as: str = Field(
        "",
        description="member (listed itself), verband (through its Verband), kreis (whole Kreis), '' = not funded.",
    )
    funded_confidence: str = Field("", description="Confidence (S/G/U) of the territory row that funds it.")
    programmes: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Its participation in other programmes (data/programme_participation.csv).",
    )
    interests: list[InterestRow]
    attendances: list[AttendanceRow]


# ---------------------------------------------------------------------------- regions


class Region(BaseModel):
    """A resolved region."""

    kind: str = Field(description="state, district, municipality or project")
    key: str
    name: str
    member_count: int = Field(description="Gemeinden in the region.")


class RegionResolution(BaseModel):
    """What a region string means.

    ``status`` is ``resolved`` (``region`` set, one candidate) or ``ambiguous`` (``region`` is
    null, ``candidates`` lists every place the name could mean — pick one by its key).
    """

    model_config = _example(
        {"q": "Ulm", "status": "resolved",
         "region": {"kind": "municipality", "key": "08421000", "name": "Ulm, Universitätsstadt", "member_count": 1},
         "candidates": [{"kind": "municipality", "key": "08421000", "name": "Ulm, Universitätsstadt",
                         "district": "Ulm", "state": "08", "population": 126790}]}
    )  # fmt: skip

    q: str
    status: Literal["resolved", "ambiguous"]
    region: Region | None
    candidates: list[Candidate]


# ---------------------------------------------------------------------------- programme


class ProjectRow(BaseModel):
    """A model project (MPSC)."""

    model_config = _example(
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

    model_config = _example(
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

    model_config = _example(
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

    model_config = _example(
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


# ---------------------------------------------------------------------------- analytics


class MatchProject(BaseModel):
    """A considered project sharing a topic with the municipality."""

    id: str
    name: str
    distance_km: float = Field(description="From the municipality to the project's territory (0 inside).")
    shared_topics: list[str]
    status: str = Field(
        "", description="`ended`/`left` where a source says so ('' = unknown); still learnable."
    )
    end_date: str = Field("", description="ISO date the project ended, where a source gives it.")


class MatchEvidence(BaseModel):
    """Why the municipality has a topic: an interest, or an attended event's focus."""

    topic: str
    via: str = Field(description="`interest`, `event` or `programme` (participation in another programme).")
    kind: str
    source: str = Field(description="Where it comes from; `synthetic` marks generated demo data.")
    date: str
    event_id: str
    programme: str = Field("", description="The other programme's id (via `programme`).")
    reason: str = Field("", description="The evidence in words, with its source.")


class MatchRow(BaseModel):
    """A non-funded place (Gemeinde, Verband or Kreis) near the region sharing a topic with a model project."""

    model_config = _example(
        {"ags": "08425141", "name": "Blaustein, Stadt", "district": "Alb-Donau-Kreis", "state": "Baden-Württemberg",
         "population": 16296, "distance_km": 5.428,
         "shared_topics": ["strategy-development"],
         "projects": [{"id": "ulm", "name": "Ulm", "distance_km": 5.428, "shared_topics": ["strategy-development"]}],
         "evidence": [{"topic": "strategy-development", "via": "interest", "kind": "registered",
                       "source": "synthetic", "date": "2023-12-29", "event_id": ""}],
         "score": 0.524562,
         "score_components": {"topic_idf": 0.792874, "evidence": 0.75, "distance_decay": 0.882, "nearest_project_km": 5.428},
         "lat": 48.416145, "lon": 9.921863}
    )  # fmt: skip

    ags: str
    name: str
    district: str
    state: str
    population: int
    distance_km: float = Field(description="To the region (nearest of its Gemeinden; 0 inside).")
    shared_topics: list[str]
    projects: list[MatchProject]
    evidence: list[MatchEvidence]
    score: float = Field(description="topic_idf × evidence × distance_decay (see score_components).")
    score_components: dict[str, float]
    lat: float | None
    lon: float | None
    level: str = Field(
        "gemeinde", description="gemeinde, verband or kreis (`ags` then holds its 9/5-digit key)."
    )
    funded_as: str = Field(
        "", description="How the place is funded: member, verband, kreis ('' = not funded)."
    )
    funded_confidence: str = Field("", description="Confidence (S/G/U) of the territory row that funds it.")
    funded_members: list[str] = Field(
        default_factory=list,
        description="A Kreis's or Verband's funded Gemeinden (and how), if it is not funded.",
    )
    reasons: list[str] = Field(
        default_factory=list, description="The evidence in words; ended projects noted."
    )


class RecommendationRow(BaseModel):
    """A model project ranked for one municipality to learn from, with the reasons."""

    model_config = _example(
        {"rank": 1, "project_id": "ulm", "name": "Ulm", "round": 2019, "category": "GS", "score": 0.878253,
         "topic_score": 1.0, "distance_km": 5.428, "distance_score": 0.927511, "size_score": 0.0,
         "shared_topics": ["strategy-development"],
         "reasons": ["shares topic 'Smart-City-Strategieentwicklung' (IDF 0.79)", "5.4 km away"]}
    )  # fmt: skip

    rank: int
    project_id: str
    name: str
    round: int
    category: str
    score: float = Field(description="0.6·topic_score + 0.3·distance_score + 0.1·size_score.")
    topic_score: float
    distance_km: float
    distance_score: float
    size_score: float
    shared_topics: list[str]
    reasons: list[str]
    project_status: str = Field("", description="`ended`/`left` where a source says so; still recommended.")


class NetworkGroup(BaseModel):
    """A proposed learning network: one hub project and its members."""

    group_id: int
    hub_project: str
    hub_name: str
    topics: list[str]
    size: int
    members: list[str] = Field(description="AGS of the members.")


class NetworkMember(BaseModel):
    """A member of a proposed learning network (or the hub's own territory)."""

    group_id: int
    ags: str
    name: str
    role: str = Field(description="`hub-territory` or `member`.")
    distance_km: float
    shared_topics: list[str]
    population: int
    funded: bool
    lat: float | None
    lon: float | None
    level: str = Field(
        "gemeinde", description="gemeinde, verband or kreis (`ags` then holds its 9/5-digit key)."
    )


class Unassigned(BaseModel):
    """A candidate no group took, and why."""

    ags: str
    name: str
    reason: str
    level: str = Field(
        "gemeinde", description="gemeinde, verband or kreis (`ags` then holds its 9/5-digit key)."
    )


class LearningNetworks(BaseModel):
    """Proposed regional learning networks."""

    model_config = _example(
        {"groups": [{"group_id": 1, "hub_project": "ulm", "hub_name": "Ulm", "topics": ["strategy-development"],
                     "size": 12, "members": ["09775134", "08425020"]}],
         "members": [{"group_id": 1, "ags": "09775134", "name": "Nersingen", "role": "member", "distance_km": 10.4,
                      "shared_topics": ["strategy-development"], "population": 9512, "funded": False,
                      "lat": 48.428565, "lon": 10.123851}],
         "unassigned": [{"ags": "08117016", "name": "Drackenstein",
                         "reason": "no project near the region addresses its topics (health-care)"}],
         "stability": 1.0,
         "params": {"topic": None, "radius_km": 40.0, "max_size": 12, "seed": 42}}
    )  # fmt: skip

    groups: list[NetworkGroup]
    members: list[NetworkMember]
    unassigned: list[Unassigned]
    stability: float = Field(description="Mean adjusted Rand index over 10 seeds (1.0 = seed-independent).")
    params: dict[str, Any]
    notes: list[str] = Field(
        default_factory=list, description="When no group is proposed: why, and what would help."
    )


class WhiteSpotRow(BaseModel):
    """A municipality interested in the topic with no project addressing it within reach."""

    model_config = _example(
        {"ags": "06439002", "name": "Bad Schwalbach, Kreisstadt", "district": "Rheingau-Taunus-Kreis",
         "state": "Hessen", "population": 11191, "interest_weight": 1.8,
         "nearest_project": "landkreis-mayen-koblenz", "nearest_project_km": 32.8, "lat": 50.140276, "lon": 8.069825}
    )  # fmt: skip

    ags: str
    name: str
    district: str
    state: str
    population: int
    interest_weight: float
    nearest_project: str = Field(description="Nearest project addressing the topic ('' when none does).")
    nearest_project_km: float | None
    lat: float | None
    lon: float | None
    level: str = Field(
        "gemeinde", description="gemeinde, verband or kreis (`ags` then holds its 9/5-digit key)."
    )


class WhiteSpotDistrict(BaseModel):
    """White spots aggregated per Kreis."""

    district_key: str
    district: str
    state: str
    municipalities: int
    population: int


class WhiteSpots(Page[WhiteSpotRow]):
    """White spots (paginated) plus their aggregation per Kreis (all of it)."""

    by_district: list[WhiteSpotDistrict]


class EventHost(BaseModel):
    """A chosen host project, in the greedy order."""

    rank: int
    project_id: str
    name: str
    newly_covered: int = Field(description="Interested non-funded municipalities this host adds.")
    covered_total: int
    lat: float | None
    lon: float | None


class Coverage(BaseModel):
    """An interested municipality within reach of a chosen host."""

    ags: str
    name: str
    host_project: str
    distance_km: float
    level: str = Field(
        "gemeinde", description="gemeinde, verband or kreis (`ags` then holds its 9/5-digit key)."
    )


class Uncovered(BaseModel):
    """An interested municipality no chosen host reaches."""

    ags: str
    name: str
    nearest_project: str
    nearest_project_km: float | None
    level: str = Field(
        "gemeinde", description="gemeinde, verband or kreis (`ags` then holds its 9/5-digit key)."
    )


class EventPlan(BaseModel):
    """Where to hold the next events on a topic (greedy maximum coverage)."""

    model_config = _example(
        {"hosts": [{"rank": 1, "project_id": "verband-region-rhein-neckar", "name": "Verband Region Rhein-Neckar",
                    "newly_covered": 42, "covered_total": 42, "lat": 49.48778, "lon": 8.466275}],
         "coverage": [{"ags": "07335010", "name": "Frankenstein", "host_project": "verband-region-rhein-neckar",
                       "distance_km": 2.27}],
         "uncovered": [{"ags": "01060080", "name": "Stocksee", "nearest_project": "kiel", "nearest_project_km": 3.2}],
         "params": {"topic": "mobility", "k": 3, "radius_km": 50.0, "algorithm": "greedy maximum coverage"}}
    )  # fmt: skip

    hosts: list[EventHost]
    coverage: list[Coverage]
    uncovered: list[Uncovered]
    params: dict[str, Any]
    notes: list[str] = Field(
        default_factory=list, description="When no host is chosen: why, and what would help."
    )


class Entity(BaseModel):
    """A municipality or project."""

    kind: str
    key: str
    name: str


class SharedTopic(BaseModel):
    """A topic both sides have, with the evidence on each side."""

    topic: str
    label: str
    a_evidence: str
    b_evidence: str


class SharedEvent(BaseModel):
    """An event both sides took part in."""

    event_id: str
    title: str
    date: str
    kind: str
    a_role: str
    b_role: str


class Tie(BaseModel):
    """A typed KTS tie between the two."""

    type: str
    from_kind: str
    from_key: str
    to_kind: str
    to_key: str
    source: str
    note: str


class PathNode(BaseModel):
    """A node on a path."""

    id: str
    kind: str
    key: str
    name: str


class ConnectionSummary(BaseModel):
    """One line of the summary (also the CSV rows)."""

    connection: str = Field(description="topic, event, tie or path")
    key: str
    label: str
    detail: str


class Connections(BaseModel):
    """How two municipalities or projects are linked — material for a warm introduction."""

    model_config = _example(
        {"a": {"kind": "project", "key": "ulm", "name": "Ulm"},
         "b": {"kind": "municipality", "key": "08425141", "name": "Blaustein, Stadt"},
         "shared_topics": [{"topic": "strategy-development", "label": "Smart-City-Strategieentwicklung",
                            "a_evidence": "addresses", "b_evidence": "interest registered 2023-12-29 (synthetic)"}],
         "shared_events": [], "ties": [],
         "paths": [[{"id": "Project:ulm", "kind": "Project", "key": "ulm", "name": "Ulm"},
                    {"id": "Municipality:08425141", "kind": "Municipality", "key": "08425141", "name": "Blaustein, Stadt"}]],
         "summary": [{"connection": "topic", "key": "strategy-development", "label": "Smart-City-Strategieentwicklung",
                      "detail": "Ulm: addresses | Blaustein, Stadt: interest registered 2023-12-29 (synthetic)"}]}
    )  # fmt: skip

    a: Entity
    b: Entity
    shared_topics: list[SharedTopic]
    shared_events: list[SharedEvent]
    ties: list[Tie]
    paths: list[list[PathNode]]
    summary: list[ConnectionSummary]


class ImportReport(BaseModel):
    """What a participation import did (nothing is written on a dry run or a 422)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {"file": "registrations.csv", "rows_read": 120, "matched_exact": 110, "matched_fuzzy": 6,
                 "ambiguous": 2, "unmatched": 2, "rows_imported": 116, "rows_rejected": 4, "records": 150,
                 "records_new": 150, "edges_new": 150, "dry_run": False,
                 "rejected": [{"row": 17, "column": "municipality", "value": "Neustadt",
                               "reason": "ambiguous: 14 candidates"}]}
            ]
        },
    )  # fmt: skip

    file: str
    rows_read: int
    matched_exact: int
    matched_fuzzy: int
    ambiguous: int
    unmatched: int
    rows_imported: int
    rows_rejected: int
    records: int
    records_new: int
    edges_new: int
    dry_run: bool
    rejected: list[dict[str, Any]] = Field(description="Every rejected row: row, column, value, reason.")
    review: list[dict[str, Any]] = Field(default_factory=list, description="Fuzzy matches to double-check.")
    columns: dict[str, str] = Field(default_factory=dict, description="How the file's columns were read.")
    ignored_columns: list[str] = Field(default_factory=list)
