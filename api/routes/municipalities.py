"""Municipalities: list with filters, one by AGS, recommendations for one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from lernnetz.api import lookups
from lernnetz.api.deps import StoreDep
from lernnetz.api.render import (
    LimitQuery,
    OffsetQuery,
    PlaceFormatQuery,
    TableFormatQuery,
    alt_formats,
    document,
    page,
    respond,
)
from lernnetz.api.responses import errors
from lernnetz.api.routes.analytics import MinEvidenceQuery
from lernnetz.api.schemas import MunicipalityDetail, MunicipalityRow, Page, RecommendationRow
from lernnetz.graph import analytics as queries
from lernnetz.graph.analytics.basic import municipality_detail

router = APIRouter(prefix="/municipalities", tags=["municipalities"])

AgsPath = Annotated[
    str,
    Path(
        pattern=r"^[0-9]{8}$",
        description="Amtlicher Gemeindeschlüssel, 8 digits (find it with GET /regions/resolve?q=NAME).",
        examples=["08421000"],
    ),
]


@router.get(
    "",
    response_model=Page[MunicipalityRow],
    summary="Municipalities, filtered",
    responses={**alt_formats(geojson=True), **errors(404, 422, 503)},
)
async def list_municipalities(
    request: Request,
    store: StoreDep,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Part of the name (case, ä/ae and ß/ss ignored) or the start of the AGS.",
            examples=["Neustadt"],
        ),
    ] = None,
    state: Annotated[
        str | None,
        Query(
            max_length=100,
            description="Land: code, short code or name (`08`, `BW`, `Baden-Württemberg`).",
            examples=["BW"],
        ),
    ] = None,
    district: Annotated[
        str | None,
        Query(max_length=200, description="Kreis: 5-digit key or official name.", examples=["08425"]),
    ] = None,
    funded: Annotated[
        bool | None, Query(description="Only Gemeinden inside (true) / outside (false) a project territory.")
    ] = None,
    min_population: Annotated[int | None, Query(ge=0, description="At least this many inhabitants.")] = None,
    max_population: Annotated[int | None, Query(ge=0, description="At most this many inhabitants.")] = None,
    fmt: PlaceFormatQuery = "json",
    limit: LimitQuery = 100,
    offset: OffsetQuery = 0,
) -> Response:
    """Every municipality of the official register (Gebietsstand of the loaded Destatis
    Gemeindeverzeichnis), sorted by AGS, with Kreis, Land, population, centre and whether a model
    project covers it. Filters combine with AND. Unknown `state`/`district` → 404 with a hint."""
    return await respond(
        request,
        lambda: page(
            lookups.municipalities(
                store, q=q, state=state, district=district, funded=funded,
                min_population=min_population, max_population=max_population,
            ),
            limit, offset, filename="municipalities",
        ),
        model=Page[MunicipalityRow],
        fmt=fmt,
    )  # fmt: skip


@router.get(
    "/{ags}",
    response_model=MunicipalityDetail,
    summary="One municipality",
    responses=errors(404, 422, 503),
)
async def get_municipality(request: Request, store: StoreDep, ags: AgsPath) -> Response:
    """Key, ARS, Kreis, Land, Gemeindeverband, population, area, centre, the projects whose
    territory contains it (and how: itself, its Verband or its Kreis), and recorded interests and
    event attendances with their sources. Unknown AGS → 404 with a hint."""
    return await respond(request, lambda: document(municipality_detail(store, ags)), model=MunicipalityDetail)


@router.get(
    "/{ags}/recommendations",
    response_model=Page[RecommendationRow],
    summary="Which model projects this municipality should learn from",
    responses={**alt_formats(geojson=False), **errors(404, 422, 503)},
)
async def recommendations(
    request: Request,
    store: StoreDep,
    ags: AgsPath,
    top: Annotated[
        int, Query(ge=1, le=100, description="How many projects sharing its topics.", examples=[5])
    ] = 5,
    nearby: Annotated[
        int, Query(ge=0, le=20, description="How many nearest projects, whatever their topics.", examples=[3])
    ] = 3,
    reach_km: Annotated[
        float, Query(gt=0, le=300, description="'Nearby' means within this many km.", examples=[50.0])
    ] = 50.0,
    min_evidence: MinEvidenceQuery = None,
    fmt: TableFormatQuery = "json",
) -> Response:
    """Model projects for this municipality to learn from (projects covering it are left out), in
    two lists (`section`): **`topics`**, projects sharing at least one of its topics, ranked by
    `score = topic_score × distance_score × (0.75 + 0.25·size_score)` — topic_score is the IDF- and
    evidence-weighted share of its topics the project addresses, distance_score halves every 50 km
    (a project 5 km away outranks an equal one 200 km away fifteenfold), size_score compares its
    population with the project's (a multi-Gemeinde or Kreis project's typical Gemeinde); then
    **`nearby`**, the nearest projects within `reach_km` whatever their topics. Each row carries
    its reasons in words."""
    return await respond(
        request,
        lambda: page(
            queries.recommend(store, ags, top, nearby=nearby, reach_km=reach_km, min_evidence=min_evidence),
            top + nearby, 0, filename=f"recommendations-{ags}",
        ),
        model=Page[RecommendationRow],
        fmt=fmt,
    )  # fmt: skip
