"""lernnetz: the knowledge-transfer network of the Modellprojekte Smart Cities (MPSC).

The public face for analysts: open the graph once, then ask it questions; every answer is a
pandas DataFrame (or a small result object with DataFrames and a networkx graph), computed by
the same functions that the ``lernnetz`` command line and the HTTP API call.

>>> import lernnetz as ln
>>> kn = ln.open()                                   # embedded store from the cache, or Neo4j
>>> kn.matches("Ulm", radius_km=40).head()           # doctest: +SKIP
>>> nets = kn.learning_networks("Ulm", radius_km=30)  # doctest: +SKIP
>>> kn.show(nets, "ulm.html")                        # doctest: +SKIP

An empty answer says why and what would help: ``df.attrs["notes"]`` for a DataFrame,
``.notes`` for a learning-network proposal or an event plan (e.g. "widen the radius",
"--projects all", "import a participation list").

The packages below are the layers, loaders → graph → interfaces:

* :mod:`lernnetz.loaders`: read and validate files into records (no neo4j, no fastapi);
* :mod:`lernnetz.graph`: model, stores (:mod:`~lernnetz.graph.store`), analytics
  (:mod:`~lernnetz.graph.analytics`), pictures and exports (:mod:`~lernnetz.graph.pictures`);
* :mod:`lernnetz.api`: the interfaces, the HTTP API and the command line (:mod:`lernnetz.api.cli`).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from lernnetz.graph.analytics import Connections, EventPlan, LearningNetworks
    from lernnetz.graph.pictures.network import NetworkView
    from lernnetz.graph.settings import Settings
    from lernnetz.graph.store import GraphStore

try:
    __version__ = version("lernnetz")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"

__all__ = ["Lernnetz", "__version__", "open"]


class Lernnetz:
    """One opened graph and the questions an analyst asks of it.

    Every method is a thin call of the function of the same name in
    :mod:`lernnetz.graph.analytics` (or :mod:`lernnetz.graph.analytics.programme`) with this
    graph's store as the first argument; see those docstrings for the exact semantics.
    """

    def __init__(self, store: GraphStore) -> None:
        self.store = store

    def __repr__(self) -> str:
        return f"Lernnetz({type(self.store).__name__})"

    # ------------------------------------------------------------------ the questions

    def matches(self, region: str, radius_km: float = 50.0, **options: Any) -> pd.DataFrame:
        """Non-funded places (Gemeinden, Verbände, Kreise) near ``region`` that share a topic with a
        model project; options ``topics``, ``projects`` ("near"/"all"), ``funded_means``
        ("any"/"member"/"verband"/"kreis"). Empty: ``df.attrs["notes"]`` says why."""
        from lernnetz.graph.analytics import matches

        return matches(self.store, region, radius_km, **options)

    def recommend(self, municipality: str, **options: Any) -> pd.DataFrame:
        """The projects a municipality should learn from, with reasons."""
        from lernnetz.graph.analytics import recommend

        return recommend(self.store, municipality, **options)

    def learning_networks(self, region: str, **options: Any) -> LearningNetworks:
        """Proposed regional learning networks (groups around hub projects)."""
        from lernnetz.graph.analytics import learning_networks

        return learning_networks(self.store, region, **options)

    def white_spots(self, topic: str, radius_km: float = 50.0, **options: Any) -> pd.DataFrame:
        """Places with a topic and no project addressing it within ``radius_km``."""
        from lernnetz.graph.analytics import white_spots

        return white_spots(self.store, topic, radius_km, **options)

    def plan_events(self, topic: str, k: int = 3, radius_km: float = 50.0, **options: Any) -> EventPlan:
        """Where the next ``k`` events on ``topic`` should go (greedy maximum coverage)."""
        from lernnetz.graph.analytics import plan_events

        return plan_events(self.store, topic, k, radius_km, **options)

    def connections(self, a: str, b: str) -> Connections:
        """How two places or projects are connected: shared topics, events, ties, paths."""
        from lernnetz.graph.analytics import connections

        return connections(self.store, a, b)

    # ------------------------------------------------------------------ the tables

    def municipalities(self, ags: list[str] | None = None) -> pd.DataFrame:
        """Gemeinden (all, or those with the given keys) with Kreis and Land names."""
        from lernnetz.graph.analytics.basic import with_district_state

        return with_district_state(self.store, self.store.municipalities(ags))

    def projects(self, **filters: Any) -> pd.DataFrame:
        """The model projects, filtered by ``round``, ``category``, ``state``, ``topic``."""
        from lernnetz.graph.analytics.programme import list_projects

        return list_projects(self.store, **filters)

    def stats(self) -> dict[str, Any]:
        """Counts, funded municipalities, Stichtag and attribution."""
        from lernnetz.graph.analytics.basic import graph_stats

        return graph_stats(self.store)

    # ------------------------------------------------------------------ pictures

    def show(self, result: Any, path: str | Path = "lernnetz-network.html", **options: Any) -> NetworkView:
        """Write the offline network page for a result (or a networkx graph) and show it inline."""
        from lernnetz.graph.pictures.network import show_network

        return show_network(result, path, **options)


def open(settings: Settings | None = None, *, backend: str | None = None) -> Lernnetz:
    """Open the configured graph: the embedded store from the cache (``lernnetz load`` wrote
    it), or Neo4j when ``LERNNETZ_BACKEND=neo4j`` (or ``backend="neo4j"``)."""
    from lernnetz.graph.store import open_store

    return Lernnetz(open_store(settings, backend=backend))
