"""The programme: projects, topics, events."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from lernnetz.api import lookups
from lernnetz.api.deps import StoreDep, get_state
from lernnetz.api.render import (
    LimitQuery,
    OffsetQuery,
    PlaceFormatQuery,
    Result,
    TableFormatQuery,
    alt_formats,
    document,
    page,
    respond,
)
from lernnetz.api.responses import errors
from lernnetz.api.schemas import EventDetail, EventRow, Page, ProjectDetail, ProjectRow, TopicRow
from lernnetz.graph.analytics.programme import event_detail, list_projects, project_detail

projects_router = APIRouter(prefix="/projects", tags=["programme"])
topics_router = APIRouter(prefix="/topics", tags=["programme"])
events_router = APIRouter(prefix="/events", tags=["programme"])

TopicQuery = Annotated[
    str | None,
    Query(
        max_length=100,
        description="Topic slug (GET /topics lists them); unknown → 404.",
        examples=["mobility"],
    ),
]


@projects_router.get(
    "",
    response_model=Page[ProjectRow],
    summary="Model projects, filtered",
    responses={**alt_formats(geojson=True), **errors(404, 422, 503)},
)
async def list_projects_route(
    request: Request,
    store: StoreDep,
    round: Annotated[
        int | None, Query(ge=2019, le=2021, description="Funding round: 2019, 2020 or 2021.")
    ] = None,
    category: Annotated[
        Literal["GS", "MS", "KL", "IK"] | None,
        Query(
            description="GS Großstadt, MS Mittelstadt, KL Kleinstadt/Landgemeinde, IK interkommunal/Landkreis."
        ),
    ] = None,
    state: Annotated[
        str | None, Query(max_length=10, description="Land short code, e.g. `BY`.", examples=["BY"])
    ] = None,
    topic: TopicQuery = None,
    status: Annotated[
        Literal["active", "ended", "left", "unknown"] | None,
        Query(description="Project status where a source says so (`unknown`: no source)."),
    ] = None,
    fmt: PlaceFormatQuery = "json",
    limit: LimitQuery = 100,
    offset: OffsetQuery = 0,
) -> Response:
    """The 73 Modellprojekte Smart Cities with round, competition category, Länder, territory
    size, topics (only where a source says so) and status (`ended` with its end date where a
    source gives it; an ended project can still be learned from). `geojson`: each project's
    territory as a (multi)polygon (the union of its Gemeinden) when BKG boundaries were fetched,
    else a point at its lead Gemeinde."""

    def compute() -> Result:
        result = page(
            list_projects(store, round=round, category=category, state=state, topic=topic, status=status),
            limit, offset, filename="projects",
        )  # fmt: skip
        if fmt == "geojson":
            from lernnetz.graph.pictures.geo_export import projects_geojson
            from lernnetz.graph.pictures.maps import default_boundaries

            bounds = default_boundaries(get_state(request).settings.data_dir)
            result.geojson = lambda table, attribution: projects_geojson(
                store, table, bounds, attribution=attribution
            )
        return result

    return await respond(
        request,
        compute,
        model=Page[ProjectRow],
        fmt=fmt,
        fast=True,
    )  # fmt: skip


@projects_router.get(
    "/{project_id}",
    response_model=ProjectDetail,
    summary="One model project",
    responses=errors(404, 422, 503),
)
async def get_project(
    request: Request,
    store: StoreDep,
    project_id: Annotated[str, Path(max_length=100, description="Project id (slug).", examples=["ulm"])],
) -> Response:
    """A project's record with source and confidence, its members as listed (Gemeinden, Verbände,
    Kreise) and resolved to Gemeinden, its topics, the events it hosted and its known typed ties."""
    return await respond(
        request, lambda: document(project_detail(store, project_id)), model=ProjectDetail, fast=True
    )


@topics_router.get(
    "",
    response_model=Page[TopicRow],
    summary="The topic taxonomy",
    responses={**alt_formats(geojson=False), **errors(422, 503)},
)
async def list_topics(
    request: Request,
    store: StoreDep,
    fmt: TableFormatQuery = "json",
    limit: LimitQuery = 1000,
    offset: OffsetQuery = 0,
) -> Response:
    """Topic slugs with German and English labels, family (Innovationsfeld, AEG, Charta-Leitlinie,
    profile tag) and parent, plus how many projects, events and municipalities refer to each."""
    return await respond(
        request,
        lambda: page(lookups.topics(store), limit, offset, filename="topics"),
        model=Page[TopicRow],
        fmt=fmt,
        fast=True,
    )


@events_router.get(
    "",
    response_model=Page[EventRow],
    summary="KTS events, filtered",
    responses={**alt_formats(geojson=True), **errors(404, 422, 503)},
)
async def list_events_route(
    request: Request,
    store: StoreDep,
    kind: Annotated[
        str | None,
        Query(
            max_length=100,
            description="regionalkonferenz, kongress, peer-learning, …",
            examples=["regionalkonferenz"],
        ),
    ] = None,
    year: Annotated[
        int | None, Query(ge=1990, le=2100, description="Year the event started.", examples=[2022])
    ] = None,
    topic: TopicQuery = None,
    fmt: PlaceFormatQuery = "json",
    limit: LimitQuery = 100,
    offset: OffsetQuery = 0,
) -> Response:
    """Regionalkonferenzen, MPSC-Kongresse, Peer-Learnings and more, in date order, with hosts,
    focus topics and the place (events without a place, e.g. virtual ones, have no point in GeoJSON)."""
    return await respond(
        request,
        lambda: page(
            lookups.events(store, kind=kind, year=year, topic=topic), limit, offset, filename="events"
        ),
        model=Page[EventRow],
        fmt=fmt,
    )


@events_router.get(
    "/{event_id}", response_model=EventDetail, summary="One event", responses=errors(404, 422, 503)
)
async def get_event(
    request: Request,
    store: StoreDep,
    event_id: Annotated[str, Path(max_length=200, description="Event id.", examples=["rk-03-2022-04-05"])],
) -> Response:
    """An event's record with source and confidence, hosts, topics, and the municipalities recorded
    as attending."""
    return await respond(request, lambda: document(event_detail(store, event_id)), model=EventDetail)
