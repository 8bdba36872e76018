"""What a region string means."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from lernnetz.api import lookups
from lernnetz.api.deps import StoreDep
from lernnetz.api.render import document, respond
from lernnetz.api.responses import errors
from lernnetz.api.schemas import RegionResolution

router = APIRouter(prefix="/regions", tags=["regions"])


@router.get(
    "/resolve",
    response_model=RegionResolution,
    summary="Resolve a region string",
    responses=errors(404, 422, 503),
)
async def resolve(
    request: Request,
    store: StoreDep,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=200,
            description="An AGS (2 digits Land, 5 Kreis, 8 Gemeinde), a project id, or a name "
            "('Ulm', 'Landkreis Mayen-Koblenz', 'Bayern', 'Neustadt an der Weinstraße').",
            examples=["Neustadt"],
        ),
    ],
) -> Response:
    """What a region parameter means — the same resolution every `region=` parameter uses.

    **Choice:** this lookup answers **200** in both cases: `status: resolved` with the region, or
    `status: ambiguous` with every candidate (pick one by its key). The analytics endpoints
    (`/matches`, `/learning-networks`, …) answer **409** with the same candidates for an ambiguous
    region, because there the question cannot be answered. No match at all → 404."""
    return await respond(request, lambda: document(lookups.region_answer(store, q)), model=RegionResolution)
