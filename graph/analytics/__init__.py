"""The analytics: who should learn from whom, and where. One module per question:

* :mod:`.matches`: non-funded places near a region sharing a topic with a model project;
* :mod:`.recommend`: the projects a municipality should learn from;
* :mod:`.networks`: regional learning networks around hub projects;
* :mod:`.white_spots`: places with a topic and no project addressing it within reach;
* :mod:`.events`: where the next events on a topic should go;
* :mod:`.connections`: how two places or projects are connected;
* :mod:`.context`: what they share (parameters, evidence, IDF, regions, the per-store cache);
* :mod:`.basic` and :mod:`.programme`: lookups and the programme's own tables.

Every function takes a :class:`~lernnetz.graph.store.GraphStore` first and uses only the
protocol's table methods, so the embedded and the Neo4j store give the same answers.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from lernnetz.graph.analytics.connections import Connections, connections
from lernnetz.graph.analytics.context import clear_cache
from lernnetz.graph.analytics.matches import match_rows, matches
from lernnetz.graph.analytics.params import (
    GROUP_COLUMNS,
    MATCH_COLUMNS,
    MEMBER_COLUMNS,
    RECOMMEND_COLUMNS,
    WHITE_SPOT_DISTRICT_COLUMNS,
)
from lernnetz.graph.analytics.recommend import recommend
from lernnetz.graph.analytics.white_spots import white_spots, white_spots_by_district

if TYPE_CHECKING:
    from lernnetz.graph.analytics.events import EventPlan, plan_events
    from lernnetz.graph.analytics.networks import LearningNetworks, learning_networks

#: Imported on first use, so a command that does not build learning networks or event plans
#: does not import NetworkX (their module names differ from the names, so a direct import of
#: the submodule cannot shadow them; the others share their module's name and stay eager).
_LAZY = {
    "EventPlan": "events",
    "plan_events": "events",
    "LearningNetworks": "networks",
    "learning_networks": "networks",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # once imported, a plain module attribute
    return value


__all__ = [
    "GROUP_COLUMNS",
    "MATCH_COLUMNS",
    "MEMBER_COLUMNS",
    "RECOMMEND_COLUMNS",
    "WHITE_SPOT_DISTRICT_COLUMNS",
    "Connections",
    "EventPlan",
    "LearningNetworks",
    "clear_cache",
    "connections",
    "learning_networks",
    "match_rows",
    "matches",
    "plan_events",
    "recommend",
    "white_spots",
    "white_spots_by_district",
]
