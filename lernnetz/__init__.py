"""lernnetz: the knowledge-transfer network of the Modellprojekte Smart Cities (MPSC).

The public face for analysts: open the graph once, then ask it questions; every answer is a
pandas DataFrame (or a small result object with DataFrames and a networkx graph), computed by
the same functions that the ``lernnetz`` command line and the HTTP API call.

>>> import lernnetz as ln
>>> kn = ln.open()                                   # doctest: +SKIP
>>> kn.matches("Ulm", radius_km=40).head()           # doctest: +SKIP
>>> nets = kn.learning_networks("Ulm", radius_km=30)  # doctest: +SKIP
>>> kn.show(nets, "ulm.html")                        # doctest: +SKIP

An empty answer says why and what would help: ``df.attrs["notes"]`` for a DataFrame,
``.notes`` for a learning-network proposal or an event plan (e.g. "widen the radius",
"--projects all", "import a participation list").

:func:`open` takes the embedded store from the cache (``lernnetz load`` wrote it) or Neo4j;
:func:`fetch` and :func:`load` are ``lernnetz data fetch`` and ``lernnetz load`` for a
notebook that starts from an empty data directory.

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
    from matplotlib.figure import Figure

    from lernnetz.graph.analytics import Connections, EventPlan, LearningNetworks
    from lernnetz.graph.pictures.views import NetworkView
    from lernnetz.graph.settings import Settings
    from lernnetz.graph.store import GraphStore
    from lernnetz.loaders.fetch import FetchResult

try:
    __version__ = version("lernnetz")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"

__all__ = ["Lernnetz", "__version__", "fetch", "load", "open"]


class Lernnetz:
    """One opened graph and the questions an analyst asks of it.

    Every method is a thin call of the function of the same name in
    :mod:`lernnetz.graph.analytics` (or :mod:`lernnetz.graph.analytics.programme`) with this
    graph's store as the first argument; see those docstrings for the exact semantics.
    """

    def __init__(self, store: GraphStore, settings: Settings | None = None) -> None:
        from lernnetz.graph.settings import Settings

        self._store = store
        self.settings = settings or Settings()

    @property
    def store(self) -> GraphStore:
        """The store, caught up with a newer graph another process wrote (a ``lernnetz load``
        or import while the notebook runs)."""
        if self._store.stale():
            self._store.refresh()
        return self._store

    def __repr__(self) -> str:
        return f"Lernnetz({type(self._store).__name__})"

    @property
    def attribution(self) -> str:
        """The licence attribution of the reference data (show it under every result)."""
        return str(self.store.info().get("attribution") or "")

    # ------------------------------------------------------------------ the questions

    def matches(self, region: str, radius_km: float = 50.0, **options: Any) -> pd.DataFrame:
        """Non-funded places (Gemeinden, Verbände, Kreise) near ``region`` that share a topic with a
        model project; options ``topics``, ``projects`` ("near"/"all"), ``funded_means``
        ("any"/"member"/"verband"/"kreis"), ``min_evidence``. Empty: ``df.attrs["notes"]`` says why."""
        from lernnetz.graph.analytics import matches

        return matches(self.store, region, radius_km, **options)

    def recommend(self, municipality: str, **options: Any) -> pd.DataFrame:
        """The projects a municipality should learn from, with reasons: those sharing its topics,
        then the nearest ones whatever their topics (options: ``top``, ``nearby``, ``reach_km``,
        ``min_evidence``)."""
        from lernnetz.graph.analytics import recommend

        return recommend(self.store, municipality, **options)

    def learning_networks(self, region: str, **options: Any) -> LearningNetworks:
        """Proposed regional learning networks (groups around hub projects; options: ``topic``,
        ``radius_km``, ``max_size``, ``min_size``, ``seed``, ``min_evidence``)."""
        from lernnetz.graph.analytics import learning_networks

        return learning_networks(self.store, region, **options)

    def white_spots(self, topic: str, radius_km: float = 50.0, **options: Any) -> pd.DataFrame:
        """Places with a topic and no project addressing it within ``radius_km`` (options:
        ``region`` to look only within ``radius_km`` of it, ``min_evidence``)."""
        from lernnetz.graph.analytics import white_spots

        return white_spots(self.store, topic, radius_km, **options)

    def plan_events(self, topic: str, k: int = 3, radius_km: float = 50.0, **options: Any) -> EventPlan:
        """Where the next ``k`` events on ``topic`` should go (greedy maximum coverage; options:
        ``region``, ``min_evidence``)."""
        from lernnetz.graph.analytics import plan_events

        return plan_events(self.store, topic, k, radius_km, **options)

    def white_spots_by_district(self, topic: str, radius_km: float = 50.0) -> pd.DataFrame:
        """:meth:`white_spots` summed per Kreis."""
        from lernnetz.graph.analytics import white_spots_by_district

        return white_spots_by_district(self.store, topic, radius_km)

    def connections(self, a: str, b: str) -> Connections:
        """How two places (Gemeinden, Kreise, Verbände) or projects are connected: shared topics,
        events, ties, paths."""
        from lernnetz.graph.analytics import connections

        return connections(self.store, a, b)

    # ------------------------------------------------------------------ the tables

    def municipalities(self, ags: list[str] | None = None) -> pd.DataFrame:
        """Gemeinden (all, or those with the given keys) with Kreis and Land names."""
        from lernnetz.graph.analytics.basic import with_district_state

        return with_district_state(self.store, self.store.municipalities(ags))

    def projects(self, **filters: Any) -> pd.DataFrame:
        """The model projects, filtered by ``round``, ``category``, ``state``, ``topic``, ``status``."""
        from lernnetz.graph.analytics.programme import list_projects

        return list_projects(self.store, **filters)

    def near(self, region: str, radius_km: float) -> pd.DataFrame:
        """Every municipality within ``radius_km`` of a region, nearest first."""
        from lernnetz.graph.analytics.basic import near_region

        return near_region(self.store, region, radius_km)

    def topics(self) -> pd.DataFrame:
        """The topics (slug, German and English label)."""
        return self.store.topics()

    def interests(self) -> pd.DataFrame:
        """Municipalities interested per topic (rows) and Land (columns); Kreis- and Verband-level
        rows are in :meth:`interest_rows`."""
        from lernnetz.graph.pictures.maps import interest_table

        table = interest_table(self.store)
        n = len(self.store.level_interests())
        if n:  # counted per Gemeinde only: a Kreis's interest is never spread onto its Gemeinden
            table.attrs["notes"] = [f"{n} interest row(s) of Kreise or Verbände are not counted here; "
                                    "kn.interest_rows() lists them"]  # fmt: skip
        return table

    def interest_rows(self, topic: str | None = None, level: str | None = None) -> pd.DataFrame:
        """Every recorded interest with the ``level`` (gemeinde, verband, kreis), ``key`` and ``name``
        of its subject (``lernnetz interests``, ``GET /interests``)."""
        from lernnetz.graph.analytics.interests import interest_rows

        return interest_rows(self.store, topic=topic, level=level)

    def stats(self) -> dict[str, Any]:
        """Counts, funded municipalities, Stichtag and attribution."""
        from lernnetz.graph.analytics.basic import graph_stats

        return graph_stats(self.store)

    # ------------------------------------------------------------------ imports

    def import_participation(self, path: str | Path, dry_run: bool = False, **options: Any) -> Any:
        """Import a participation list (CSV/XLSX) as ``lernnetz import participation`` does; options:
        ``rejects_path``, ``resolution_path``, ``mapping_file``, ``sheet``, ``source``, ``date``.
        Returns the import report (``.as_dict()`` for plain data)."""
        from lernnetz.graph.participation import import_participation

        return import_participation(self.store, self.settings, path, dry_run, **options)

    def import_ties(self, path: str | Path, dry_run: bool = False, **options: Any) -> Any:
        """Import typed ties (CSV/XLSX) as ``lernnetz import ties`` does; options: ``rejects_path``,
        ``resolution_path``, ``sheet``, ``source``. Returns the report."""
        from lernnetz.graph.ties import import_ties

        return import_ties(self.store, self.settings, path, dry_run, **options)

    # ------------------------------------------------------------------ pictures

    def _boundaries(self) -> Path | None:
        from lernnetz.graph.pictures.maps import default_boundaries
        from lernnetz.graph.settings import Settings

        return default_boundaries(Settings().data_dir)

    def show(self, result: Any, path: str | Path = "lernnetz-network.html", **options: Any) -> NetworkView:
        """Write the offline network page for a result (or a networkx graph) and show it inline
        (learning networks with Kreis outlines when boundaries were fetched)."""
        from lernnetz.graph.pictures.views import show_network

        if not hasattr(result, "number_of_nodes"):
            options.setdefault("store", self.store)
            options.setdefault("boundaries", self._boundaries())
        return show_network(result, path, **options)

    def export(self, result: Any, path: str | Path, **options: Any) -> Path:
        """Write a result by the file's suffix: ``.csv`` (``dialect="excel"`` for German Excel),
        ``.xlsx``, ``.geojson``, ``.graphml`` or ``.gexf`` (see :func:`lernnetz.graph.pictures.export.save`)."""
        from lernnetz.graph.pictures.export import save

        options.setdefault("attribution", str(self.store.info().get("attribution", "")))
        return save(result, path, **options)

    def map(self, path: str | Path | None = None, *, region: str | None = None, radius_km: float = 50.0,
            **options: Any) -> Figure:  # fmt: skip
        """A static map (see :func:`lernnetz.graph.pictures.maps.germany_map`); with ``region``
        zoomed to it with its radius ring and its candidates. Saved as PNG/SVG when ``path`` is given."""
        from lernnetz.graph.analytics import matches
        from lernnetz.graph.analytics.basic import near_region
        from lernnetz.graph.pictures.maps import germany_map, save_figure
        from lernnetz.graph.regions import resolve_region

        options.setdefault("boundaries", self._boundaries())
        if region is not None:
            reg = resolve_region(self.store, region)
            options.setdefault("region", list(reg.members))
            options.setdefault("radius_km", radius_km)
            options.setdefault("focus", list(near_region(self.store, region, radius_km)["ags"]))
            options.setdefault("candidates", matches(self.store, region, radius_km))
            options.setdefault("title", f"Modellprojekte Smart Cities · {reg.name}, {radius_km:g} km")
        fig = germany_map(self.store, **options)
        if path is not None:
            save_figure(fig, path)
        return fig

    def interest_chart(self, top: int = 15, **options: Any) -> Figure:
        """Bars: interested municipalities per topic (the ``top`` topics), stacked by Land."""
        from lernnetz.graph.pictures.maps import interest_chart

        return interest_chart(self.store, top=top, **options)

    def save(self, what: Any, path: str | Path) -> Path:
        """Write a figure as PNG/PDF/SVG, or a result as :meth:`export` does (by the suffix)."""
        from matplotlib.figure import Figure

        from lernnetz.graph.pictures.maps import save_figure

        if isinstance(what, Figure):
            return save_figure(what, path)
        return self.export(what, path)

    # ------------------------------------------------------------------ demo data

    def add_demo_data(self, n: int = 10_000, seed: int = 7) -> int:
        """Add SYNTHETIC participation (``source=synthetic``, not real data), like
        ``lernnetz demo-data``; returns the number of new edges."""
        from lernnetz.graph.participation import persist_records
        from lernnetz.graph.synthetic import synthetic_participation

        return persist_records(self.store, self.settings, synthetic_participation(self.store, n, seed))[1]


def open(settings: Settings | None = None, *, backend: str | None = None) -> Lernnetz:
    """Open the configured graph: the embedded store from the cache (``lernnetz load`` wrote
    it), or Neo4j when ``LERNNETZ_BACKEND=neo4j`` (or ``backend="neo4j"``)."""
    from lernnetz.graph.settings import Settings
    from lernnetz.graph.store import open_store

    settings = settings or Settings()
    return Lernnetz(open_store(settings, backend=backend), settings)


def fetch(source: str | Path | None = None, settings: Settings | None = None) -> FetchResult:
    """``lernnetz data fetch [--from SOURCE]``: the official register into the data directory."""
    from lernnetz.graph.settings import Settings
    from lernnetz.graph.writer import exclusive
    from lernnetz.loaders.fetch import fetch_register

    settings = settings or Settings()
    with exclusive(settings):  # the cache is an input of every load: one writer at a time
        return fetch_register(settings.data_dir, source, progress=False)


def load(settings: Settings | None = None, *, backend: str | None = None) -> Lernnetz:
    """``lernnetz load``: build the graph from the cached register, the programme files and the
    participation imports, write it into the store, and open it."""
    from lernnetz.graph.pipeline import load as load_graph
    from lernnetz.graph.settings import Settings

    settings = settings or Settings()
    return Lernnetz(load_graph(settings, backend=backend), settings)
