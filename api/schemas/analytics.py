"""The analytics: matches, recommendations, learning networks, white spots, event plans,
connections."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from lernnetz.api.schemas.base import Page, example

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

    model_config = example(
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

    model_config = example(
        {"section": "topics", "rank": 1, "project_id": "ulm", "name": "Ulm", "round": 2019, "category": "GS", "score": 0.878253,
         "topic_score": 1.0, "distance_km": 5.428, "distance_score": 0.927511, "size_score": 0.0,
         "shared_topics": ["strategy-development"],
         "reasons": ["shares topic 'Smart-City-Strategieentwicklung' (IDF 0.79)", "5.4 km away"]}
    )  # fmt: skip

    section: str = Field(
        description="`topics`: shares the municipality's topics; `nearby`: within reach, whatever its topics."
    )
    rank: int = Field(description="Rank within its list, from 1.")
    project_id: str
    name: str
    round: int
    category: str
    score: float = Field(
        description="topics: topic_score × distance_score × (0.75 + 0.25·size_score); nearby: distance_score."
    )
    topic_score: float
    distance_km: float
    distance_score: float
    size_score: float = Field(description="Population similarity 1 − |log10 ratio| / 2, in [0, 1].")
    shared_topics: list[str]
    reasons: list[str]
    project_status: str = Field("", description="`ended`/`left` where a source says so; still recommended.")


class NetworkGroup(BaseModel):
    """A proposed learning network: one hub project and its members."""

    group_id: int
    hub_project: str
    hub_name: str
    topic: str = Field(description="The group's topic ('' for a mixed-topic group).")
    topics: list[str] = Field(description="The topics the members share with the hub.")
    size: int
    members: list[str] = Field(description="AGS of the members (a Kreis's or Verband's key for one).")
    evidence: float = Field(description="Σ of the members' evidence strength for the group's topic.")
    max_member_km: float = Field(description="Largest distance between two members (≤ radius_km).")
    max_hub_km: float = Field(
        description="Largest distance of a member to the hub's territory (≤ radius_km)."
    )


class NetworkMember(BaseModel):
    """A member of a proposed learning network, or its hub (one row, at the project's lead Gemeinde)."""

    group_id: int
    ags: str
    name: str
    role: str = Field(description="`hub` or `member`.")
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
    reason_code: str = Field(
        description="no-project-addresses-topics, no-project-within-reach, below-minimum or spread."
    )
    reason: str
    level: str = Field(
        "gemeinde", description="gemeinde, verband or kreis (`ags` then holds its 9/5-digit key)."
    )


class LearningNetworks(BaseModel):
    """Proposed regional learning networks."""

    model_config = example(
        {"groups": [{"group_id": 1, "hub_project": "ulm", "hub_name": "Ulm", "topic": "strategy-development",
                     "topics": ["strategy-development"], "size": 3, "members": ["09775134", "08425020", "08425141"],
                     "evidence": 2.1, "max_member_km": 24.9, "max_hub_km": 12.8}],
         "members": [{"group_id": 1, "ags": "09775134", "name": "Nersingen", "role": "member", "distance_km": 10.4,
                      "shared_topics": ["strategy-development"], "population": 9512, "funded": False,
                      "lat": 48.428565, "lon": 10.123851}],
         "unassigned": [{"ags": "08117016", "name": "Drackenstein", "reason_code": "no-project-addresses-topics",
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

    model_config = example(
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

    model_config = example(
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


class LevelInterestRow(BaseModel):
    """One recorded interest with its subject: a Gemeinde, a Verband or a Kreis at its own level."""

    model_config = example(
        {"level": "kreis", "key": "05766", "name": "Lippe", "topic": "mobility", "kind": "registered",
         "date": "2024-05-07", "source": "RK Lemgo", "weight": 1.0, "event_id": ""}
    )  # fmt: skip

    level: str = Field(description="gemeinde, verband or kreis")
    key: str = Field(description="AGS (8 digits), Verband key (9) or Kreis key (5), as `level` says")
    name: str = Field(description="the register's name")
    topic: str
    kind: str
    date: str
    source: str
    weight: float
    event_id: str


class Entity(BaseModel):
    """A municipality, Kreis, Verband (``association``) or project."""

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

    model_config = example(
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
