"""The analytics of :mod:`lernnetz.graph.analytics` over HTTP (parameter mapping only)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from lernnetz.api.deps import StateDep, StoreDep
from lernnetz.api.errors import ApiError
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
from lernnetz.api.schemas import (
    Connections,
    EventPlan,
    LearningNetworks,
    LevelInterestRow,
    MatchRow,
    Page,
    WhiteSpots,
)
from lernnetz.graph import analytics as queries
from lernnetz.graph.analytics.interests import interest_rows
from lernnetz.graph.pictures.maps import default_boundaries
from lernnetz.graph.pictures.views import learning_network_html, learning_network_sheets
from lernnetz.graph.regions import resolve_region
from lernnetz.graph.store import GraphStore

router = APIRouter(tags=["analytics"])

MAX_API_RADIUS_KM = 300.0

RegionQuery = Annotated[
    str,
    Query(min_length=1, max_length=200,
          description="AGS (2 Land, 5 Kreis, 8 Gemeinde), project id or name; ambiguous → 409 with candidates.",
          examples=["Ulm"]),
]  # fmt: skip


def radius(default: float, what: str) -> Any:
    """A ``radius_km`` query parameter (0 < r ≤ 300 km in the API)."""
    return Query(
        gt=0,
        le=MAX_API_RADIUS_KM,
        description=f"{what} in km, great-circle between official centres (0 < r ≤ 300).",
        examples=[default],
    )


TopicRequired = Annotated[
    str,
    Query(min_length=1, max_length=100, description="Topic slug or German label (GET /topics); unknown → 404.",
          examples=["mobility"]),
]  # fmt: skip
TopicOptional = Annotated[
    str | None,
    Query(max_length=100, description="Only this topic (slug or label; unknown → 404). Default: every topic.",
          examples=["strategy-development"]),
]  # fmt: skip

MinEvidenceQuery = Annotated[
    str | None,
    Query(max_length=20,
          pattern=r"^(any|programme|survey|registered|attended|peer-learning|0(\.[0-9]{1,6})?|1(\.0{1,6})?)$",
          description="Count only evidence of this kind or stronger, by kind weight: `programme` (other "
          "programmes, 0.4) < `survey` (0.5) < `registered` (0.75: registrations, attendances, peer-learning) "
          "< `attended` (1.0: attendances, peer-learning), or a kind weight 0–1. `survey` drops the "
          "other-programme evidence. Default: every piece of evidence.",
          examples=["registered"]),
]  # fmt: skip
OptionalRegionQuery = Annotated[
    str | None,
    Query(max_length=200,
          description="Only municipalities within `radius_km` of this region (AGS, project id or name; "
          "ambiguous → 409). Default: all of Germany.",
          examples=["Ulm"]),
]  # fmt: skip
MinSize = Annotated[
    int, Query(ge=1, le=200, description="At least this many members per group (capped at max_size).")
]
NetworkRadius = Annotated[float, radius(50.0, "Reach around the region and to a hub's territory")]
MaxSize = Annotated[int, Query(ge=1, le=200, description="At most this many members per group.")]
Seed = Annotated[int, Query(ge=0, le=2**31 - 1, description="Seed of the community detection.")]


@router.get(
    "/matches",
    response_model=Page[MatchRow],
    summary="Non-funded municipalities near a region sharing a topic with a model project",
    responses={**alt_formats(geojson=True), **errors(404, 409, 422, 503)},
)
async def matches(
    request: Request,
    store: StoreDep,
    region: RegionQuery,
    radius_km: Annotated[float, radius(30.0, "Radius around the region")] = 30.0,
    topic: Annotated[
        list[str] | None,
        Query(
            max_length=20,
            description="Only these topics (repeat the parameter for several). Default: every topic.",
            examples=[["strategy-development"]],
        ),
    ] = None,
    projects: Annotated[
        Literal["near", "all"],
        Query(
            description="`near`: projects whose territory lies within the radius of the region; `all`: every project."
        ),
    ] = "near",
    funded_means: Annotated[
        Literal["any", "member", "verband", "kreis"],
        Query(
            description="Which ways of being funded exclude a place: `any` (default, = `kreis`) every way; "
            "`verband` listed members and Verbände; `member` only listed members (a Gemeinde inside a funded "
            "Landkreis is then a candidate)."
        ),
    ] = "any",
    min_evidence: MinEvidenceQuery = None,
    fmt: PlaceFormatQuery = "json",
    limit: LimitQuery = 100,
    offset: OffsetQuery = 0,
) -> Response:
    """Every **non-funded** municipality within `radius_km` of the region that shares at least one topic
    (from its interests or the focus of events it attended) with a considered model project. Each row
    lists the shared topics, the matching projects with their distance, the evidence (which interest or
    event gave the topic, with its source) and the score with its components
    (`topic_idf × evidence × distance_decay`, decay halving every 30 km). Ordered by score, distance, AGS.
    Kreise and Verbände with evidence of their own (other programmes) are candidates of their own `level`.
    An empty answer has `notes`: why, and what would help."""
    return await respond(
        request,
        lambda: page(
            queries.match_rows(store, region, radius_km, topics=topic or None, projects=projects,
                            funded_means=funded_means, min_evidence=min_evidence),
            limit, offset, filename="matches",
        ),
        model=Page[MatchRow],
        fmt=fmt,
        fast=True,
    )  # fmt: skip


@router.get(
    "/learning-networks",
    response_model=LearningNetworks,
    summary="Proposed regional learning networks",
    responses={**alt_formats(geojson=True), **errors(404, 409, 422, 503)},
)
async def learning_networks(
    request: Request,
    state: StateDep,
    store: StoreDep,
    region: RegionQuery,
    topic: TopicOptional = None,
    radius_km: NetworkRadius = 50.0,
    max_size: MaxSize = 12,
    seed: Seed = 42,
    min_size: MinSize = 3,
    min_evidence: MinEvidenceQuery = None,
    fmt: PlaceFormatQuery = "json",
) -> Response:
    """Groups around hub projects (several per hub: one per topic, split spatially when too many or
    too far apart) of `min_size`–`max_size` non-funded members that share the group's topic with
    the hub and lie within `radius_km` of the hub's territory and of each other (`max_member_km`,
    `max_hub_km`). Objective: place as many candidates as possible, weighted by their evidence.
    Every candidate not placed is listed with `reason_code` and reason; `stability` is the mean
    adjusted Rand index over 10 seeds. `csv`/`geojson` export the member table (one `hub` row per
    group, then its members). The interactive picture: GET /learning-networks/view."""
    limit = state.settings.heavy_max_places
    return await respond(
        request,
        lambda: _networks(store, region, topic, radius_km, max_size, seed, min_size, min_evidence, limit),
        model=LearningNetworks,
        fmt=fmt,
        heavy=True,
    )


def check_size(store: GraphStore, region: str, radius_km: float, limit: int) -> None:
    """422 ``region_too_large`` when the region and its radius hold more than ``limit`` Gemeinden
    (the size budget of the heavy analytics; ``LERNNETZ_HEAVY_MAX_PLACES``)."""
    places = len(store.near(list(resolve_region(store, region).members), radius_km))
    if places > limit:
        raise ApiError(
            422,
            "region_too_large",
            f"{region!r} with radius_km={radius_km:g} covers {places} Gemeinden, more than this server "
            f"computes learning networks for ({limit})",
            hint="narrow the region (a Kreis instead of a Land) or the radius",
        )


def _networks(
    store: GraphStore,
    region: str,
    topic: str | None,
    radius_km: float,
    max_size: int,
    seed: int,
    min_size: int,
    min_evidence: str | None,
    limit: int,
) -> Result:
    check_size(store, region, radius_km, limit)
    ln = queries.learning_networks(
        store, region, topic=topic, radius_km=radius_km, max_size=max_size, seed=seed, min_size=min_size,
        min_evidence=min_evidence,
    )  # fmt: skip
    result = document(
        {"groups": ln.groups, "members": ln.members, "unassigned": ln.unassigned, "stability": ln.stability,
         "params": ln.params, "notes": ln.notes},
        ln.members, filename="learning-networks",
    )  # fmt: skip
    result.sheets = learning_network_sheets(ln)
    return result


NETWORK_MEDIA = {"graphml": "application/graphml+xml", "gexf": "application/gexf+xml"}


@router.get(
    "/learning-networks/graph",
    response_class=Response,
    summary="Proposed learning networks as a network file (GraphML or GEXF, for Gephi and yEd)",
    responses={200: {"content": {m: {"schema": {"type": "string"}} for m in NETWORK_MEDIA.values()},
                     "description": "The network file."}, **errors(404, 409, 422, 503)},
)  # fmt: skip
async def learning_networks_graph(
    request: Request,
    store: StoreDep,
    region: RegionQuery,
    topic: TopicOptional = None,
    radius_km: NetworkRadius = 50.0,
    max_size: MaxSize = 12,
    seed: Seed = 42,
    fmt: Annotated[
        Literal["graphml", "gexf"], Query(alias="format", description="`graphml` (default) or `gexf`.")
    ] = "graphml",
) -> Response:
    """The graph of GET /learning-networks/view (hubs, members, territory, topics, events) as GraphML
    or GEXF that networkx, Gephi and yEd read: attributes without a value are left out, lists are
    `; `-joined text."""
    from lernnetz.graph.pictures.export import network_bytes

    def compute() -> Result:
        ln = queries.learning_networks(
            store, region, topic=topic, radius_km=radius_km, max_size=max_size, seed=seed
        )
        return Result(raw=(network_bytes(ln.to_graph(), fmt), NETWORK_MEDIA[fmt], f".{fmt}"),
                      filename="learning-networks")  # fmt: skip

    return await respond(request, compute, model=None, fmt=fmt)


@router.get(
    "/learning-networks/view",
    response_class=Response,
    summary="Proposed learning networks as an interactive page (HTML)",
    responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}, "description": "The page."},
               **errors(404, 409, 422, 503)},
)  # fmt: skip
async def learning_networks_view(
    request: Request,
    state: StateDep,
    store: StoreDep,
    region: RegionQuery,
    topic: TopicOptional = None,
    radius_km: NetworkRadius = 50.0,
    max_size: MaxSize = 12,
    seed: Seed = 42,
    min_size: MinSize = 3,
    min_evidence: MinEvidenceQuery = None,
    physics: Annotated[
        bool, Query(description="Let the layout move (default: nodes at their geography).")
    ] = False,
) -> Response:
    """The proposal of GET /learning-networks as one self-contained, offline HTML page: one colour
    per group with a legend (hub, topics, size), each hub's territory as one node, Kreis and Land
    outlines when boundaries were fetched, members placed by geography, reasons (shared topics,
    evidence, distance) in German and English on hover and click, search, filters, save as PNG.
    No script or stylesheet is loaded from the network. ``physics`` is ignored (kept for old links)."""
    limit = state.settings.heavy_max_places

    def view() -> Result:
        check_size(store, region, radius_km, limit)
        return Result(
            html=learning_network_html(
                queries.learning_networks(
                    store,
                    region,
                    topic=topic,
                    radius_km=radius_km,
                    max_size=max_size,
                    seed=seed,
                    min_size=min_size,
                    min_evidence=min_evidence,
                ),
                attribution=state.attribution,
                physics=physics,
                store=store,
                boundaries=default_boundaries(state.settings.data_dir),
            )
        )

    return await respond(request, view, model=None, fmt="html", heavy=True)


@router.get(
    "/white-spots",
    response_model=WhiteSpots,
    summary="Where interest in a topic meets no project within reach",
    responses={**alt_formats(geojson=True), **errors(404, 409, 422, 503)},
)
async def white_spots(
    request: Request,
    store: StoreDep,
    topic: TopicRequired,
    radius_km: Annotated[float, radius(30.0, "Reach of a project's territory")] = 30.0,
    region: OptionalRegionQuery = None,
    min_evidence: MinEvidenceQuery = None,
    fmt: PlaceFormatQuery = "json",
    limit: LimitQuery = 100,
    offset: OffsetQuery = 0,
) -> Response:
    """Municipalities interested in the topic (interests or attended events) with no project addressing
    it whose territory lies within `radius_km`, each with its nearest such project; `by_district`
    aggregates all of them per Kreis (number of municipalities, population). Kreise and Verbände with
    evidence of their own (other programmes) are rows of their own `level`. With `region`, only
    municipalities within `radius_km` of the region count (a Kreis or Verband when one of its
    Gemeinden does). An empty answer has `notes`: why, and what would help."""
    opts = {"region": region, "min_evidence": min_evidence}
    return await respond(
        request,
        lambda: page(
            queries.white_spots(store, topic, radius_km, **opts), limit, offset, filename="white-spots",
            by_district=queries.white_spots_by_district(store, topic, radius_km, **opts),
        ),
        model=WhiteSpots,
        fmt=fmt,
        heavy=True,
    )  # fmt: skip


@router.get(
    "/event-plans",
    response_model=EventPlan,
    summary="Where to hold the next events on a topic",
    responses={**alt_formats(geojson=True), **errors(404, 409, 422, 503)},
)
async def event_plans(
    request: Request,
    store: StoreDep,
    topic: TopicRequired,
    k: Annotated[int, Query(ge=1, le=100, description="How many host projects to choose.", examples=[3])] = 3,
    radius_km: Annotated[float, radius(50.0, "Reach of an event around its host's territory")] = 50.0,
    region: OptionalRegionQuery = None,
    min_evidence: MinEvidenceQuery = None,
    fmt: PlaceFormatQuery = "json",
) -> Response:
    """Up to `k` host projects addressing the topic, chosen greedily to cover the most interested
    non-funded municipalities within `radius_km` (greedy maximum coverage, a (1 − 1/e) approximation),
    with the coverage per host and the uncovered rest; non-funded Kreise and Verbände with evidence of
    their own are units of their own `level`. With `region`, only the interested municipalities
    within `radius_km` of the region count (a Kreis or Verband when one of its Gemeinden does).
    `csv`/`geojson` export the hosts. An empty plan has `notes`: why, and what would help."""
    return await respond(
        request,
        lambda: _plan(store, topic, k, radius_km, region, min_evidence),
        model=EventPlan,
        fmt=fmt,
        heavy=True,
    )


def _plan(
    store: GraphStore, topic: str, k: int, radius_km: float, region: str | None, min_evidence: str | None
) -> Result:
    plan = queries.plan_events(store, topic, k, radius_km, region=region, min_evidence=min_evidence)
    return document(
        {"hosts": plan.hosts, "coverage": plan.coverage, "uncovered": plan.uncovered, "params": plan.params,
         "notes": plan.notes},
        plan.hosts, filename="event-plans",
    )  # fmt: skip


@router.get(
    "/connections",
    response_model=Connections,
    summary="How two municipalities or projects are linked",
    responses={**alt_formats(geojson=False), **errors(404, 409, 422, 503)},
)
async def connections(
    request: Request,
    store: StoreDep,
    a: Annotated[
        str,
        Query(
            min_length=1,
            max_length=200,
            description="A Gemeinde (name or AGS), a Kreis, a Verband ('VG Vallendar', 9-digit key) or a project id.",
            examples=["ulm"],
        ),
    ],
    b: Annotated[
        str,
        Query(
            min_length=1,
            max_length=200,
            description="Another Gemeinde, Kreis, Verband or project.",
            examples=["08425141"],
        ),
    ],
    fmt: TableFormatQuery = "json",
) -> Response:
    """Shared topics (with the evidence on each side), shared events, typed KTS ties and the shortest
    paths through the graph — material for a warm introduction. `csv` gives the one-table summary."""
    return await respond(request, lambda: _connections(store, a, b), model=Connections, fmt=fmt, heavy=True)


@router.get(
    "/interests",
    response_model=Page[LevelInterestRow],
    summary="Recorded interests of Gemeinden, Verbände and Kreise",
    responses={**alt_formats(geojson=False), **errors(404, 409, 422, 503)},
)
async def interests(
    request: Request,
    store: StoreDep,
    topic: Annotated[str | None, Query(max_length=200, description="Topic slug, label or synonym.")] = None,
    level: Annotated[
        Literal["gemeinde", "verband", "kreis"] | None, Query(description="Only rows of this level.")
    ] = None,
    fmt: TableFormatQuery = "json",
    limit: LimitQuery = 100,
    offset: OffsetQuery = 0,
) -> Response:
    """Every INTERESTED_IN row with the level, key and name of its subject: a Kreis or Verband named
    in a participation list keeps its own rows (never spread onto its Gemeinden)."""
    return await respond(
        request,
        lambda: page(interest_rows(store, topic=topic, level=level), limit, offset, filename="interests"),
        model=Page[LevelInterestRow],
        fmt=fmt,
    )


def _connections(store: GraphStore, a: str, b: str) -> Result:
    c = queries.connections(store, a, b)
    summary = c.to_frame()
    return document(
        {"a": c.a, "b": c.b, "shared_topics": c.shared_topics, "shared_events": c.shared_events, "ties": c.ties,
         "paths": c.paths, "summary": summary},
        summary, filename="connections",
    )  # fmt: skip
