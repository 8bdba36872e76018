"""Municipalities and regions: rows, details, region resolution."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from lernnetz.api.schemas.base import ULM_EXAMPLE, Candidate, example

# ---------------------------------------------------------------------------- municipalities


class MunicipalityRow(BaseModel):
    """A municipality (Gemeinde, or gemeindefreies Gebiet when ``unincorporated``)."""

    model_config = example(ULM_EXAMPLE)

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

    model_config = example(
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

    model_config = example(
        {"q": "Ulm", "status": "resolved",
         "region": {"kind": "municipality", "key": "08421000", "name": "Ulm, Universitätsstadt", "member_count": 1},
         "candidates": [{"kind": "municipality", "key": "08421000", "name": "Ulm, Universitätsstadt",
                         "district": "Ulm", "state": "08", "population": 126790}]}
    )  # fmt: skip

    q: str
    status: Literal["resolved", "ambiguous"]
    region: Region | None
    candidates: list[Candidate]
