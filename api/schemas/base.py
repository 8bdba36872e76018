"""What every response shares: the page envelope, the error body, health and stats;
the example row and the helper that attaches an example to a schema."""

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


def example(example: dict[str, Any]) -> ConfigDict:
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

    model_config = example(
        {"kind": "municipality", "key": "07316000", "name": "Neustadt an der Weinstraße, Stadt",
         "district": "Neustadt an der Weinstraße", "state": "07", "population": 53148}
    )  # fmt: skip

    kind: str = Field(description="state, district, municipality, project or topic")
    key: str = Field(description="AGS (2, 5 or 8 digits), project id or topic slug")
    name: str
    district: str | None = None
    state: str | None = None
    population: int | None = None


class ErrorBody(BaseModel):
    """The one error body of every error response."""

    model_config = example(
        {"error": "not_found", "detail": "no municipality with AGS '99999999'",
         "hint": "an AGS has 8 digits, e.g. 08421000 (Ulm); GET /regions/resolve?q=NAME finds the AGS of a name"}
    )  # fmt: skip

    error: str = Field(description="Machine-readable code, e.g. not_found, ambiguous, invalid_request.")
    detail: str = Field(description="What went wrong, naming the parameter, file, row, column or value.")
    hint: str = Field(description="What to do about it.")
    candidates: list[Candidate] | None = Field(
        default=None,
        description="For 409 ambiguous: every place the name could mean; for 404/422 not found: the closest "
        "known regions or topics (did you mean).",
    )


# ---------------------------------------------------------------------------- health, stats


class Health(BaseModel):
    """Whether the API can answer, from which data."""

    model_config = example(
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

    model_config = example(
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
