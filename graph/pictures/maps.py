"""Static pictures for reports: a map of Germany and a chart of interest per topic and Land.

matplotlib only (object API, Agg-safe: no pyplot state, usable in servers and tests);
geopandas is used only when boundaries are available (``lernnetz data fetch --boundaries``, or
a folder such as ``../shared/data`` holding the BKG files). Without them the map draws points.

* :func:`germany_map` — Länder and Kreis outlines, project territories shaded (Gemeinde
  polygons; points when there are no boundaries), project sites, candidate municipalities and
  white spots as points, a legend and the attribution (Destatis; plus BKG when outlines are
  drawn). Positions are in ETRS89 / UTM 32N (EPSG:25832) when pyproj is installed, else an
  equirectangular projection around 51° N.
* :func:`interest_chart` — horizontal stacked bars: number of municipalities interested in each
  topic, split by Land. Synthetic demo data is said so in the title.
* :func:`save_figure` writes PNG or SVG by the file suffix (reproducible SVG: no date stamp).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from lernnetz.graph.errors import InvalidArgument
from lernnetz.graph.pictures.network import KIND_STYLE

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes

    from lernnetz.graph.store import GraphStore

METRIC_CRS = "EPSG:25832"
PROJECT_COLOUR = KIND_STYLE["project"]["color"]
TERRITORY_COLOUR = "#f1948a"
CANDIDATE_COLOUR = KIND_STYLE["candidate"]["color"]
WHITE_SPOT_COLOUR = "#6c3483"
FIGURE_FORMATS = (".png", ".svg")

Projector = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


# ---------------------------------------------------------------------------- helpers


class ReportFigure(Figure):
    """A matplotlib Figure that shows itself in Jupyter without pyplot (``_repr_png_``)."""

    def _repr_png_(self) -> bytes:
        import io

        buf = io.BytesIO()
        self.savefig(buf, format="png", dpi=100, bbox_inches="tight")
        return buf.getvalue()


def _projector() -> tuple[Projector, bool]:
    """(lon, lat) → (x, y) in metres; ``True`` when it is EPSG:25832 (pyproj available)."""
    try:
        from pyproj import Transformer
    except ImportError:  # pragma: no cover - geo extra not installed
        k = math.cos(math.radians(51.0))

        def equirect(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            r = 6_371_008.8
            return np.radians(lon - 10.0) * r * k, np.radians(lat - 51.0) * r

        return equirect, False
    tr = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)

    def utm(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x, y = tr.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
        return np.asarray(x), np.asarray(y)

    return utm, True


def boundaries_available(source: str | Path | None) -> bool:
    """Whether ``source`` (a data dir after ``data fetch --boundaries``, or a folder/file with BKG
    files) yields Kreis and Land outlines, and geopandas is installed."""
    if source is None:
        return False
    try:
        import geopandas  # noqa: F401

        from lernnetz.loaders.boundaries import boundary_source

        boundary_source(source, "kreise")
        boundary_source(source, "laender")
    except Exception:
        return False
    return True


def default_boundaries(data_dir: str | Path) -> Path | None:
    """The data dir when boundaries were fetched into it (``boundaries/boundaries.json``), else None."""
    from lernnetz.loaders.boundaries_fetch import read_boundaries_metadata

    d = Path(data_dir)
    return d if read_boundaries_metadata(d) else None


def _points(ax: Axes, proj: Projector, df: pd.DataFrame, *, size: Any, **style: Any) -> None:
    ok = df.dropna(subset=["lat", "lon"])
    if ok.empty:
        return
    x, y = proj(ok["lon"].to_numpy(dtype=float), ok["lat"].to_numpy(dtype=float))
    s = size(ok) if callable(size) else size
    ax.scatter(x, y, s=s, **style)


def _pop_size(df: pd.DataFrame, base: float = 4.0, per: float = 0.06) -> np.ndarray:
    pop = pd.to_numeric(df.get("population", pd.Series(0, index=df.index)), errors="coerce").fillna(0)
    return np.asarray(base + per * np.sqrt(pop.to_numpy(dtype=float)))


def save_figure(fig: Figure, path: str | Path, *, dpi: int = 150) -> Path:
    """Write ``fig`` as PNG or SVG (chosen by the suffix)."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in FIGURE_FORMATS:
        raise InvalidArgument(f"unsupported picture format {p.suffix!r} ({p})", hint="use .png or .svg")
    p.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".svg":  # text stays text (searchable, editable); no date stamp (reproducible)
        from matplotlib import rc_context

        with rc_context({"svg.fonttype": "none", "svg.hashsalt": "lernnetz"}):
            fig.savefig(p, dpi=dpi, bbox_inches="tight", metadata={"Date": None})
    else:
        fig.savefig(p, dpi=dpi, bbox_inches="tight")
    return p


# ---------------------------------------------------------------------------- the map


def germany_map(
    store: GraphStore,
    *,
    boundaries: str | Path | None = None,
    projects: Sequence[str] | None = None,
    candidates: pd.DataFrame | None = None,
    white_spots: pd.DataFrame | None = None,
    focus: Sequence[str] | None = None,
    title: str = "",
    attribution: str | None = None,
    figsize: tuple[float, float] = (8.0, 10.0),
    region: Sequence[str] | None = None,
    radius_km: float | None = None,
) -> Figure:
    """Germany (or the area around ``focus`` AGS) with projects, candidates and white spots.

    ``projects``: ids whose territory is shaded (default: all). ``candidates`` and
    ``white_spots``: result tables with ``lat``/``lon`` (and ``population``), e.g. from
    ``lernnetz.graph.analytics.matches`` and ``lernnetz.graph.analytics.white_spots``. ``boundaries``: a boundary
    source (see :func:`boundaries_available`); without it only points are drawn.
    ``region`` (the region's own Gemeinde keys) with ``radius_km``: the ring of everything within
    ``radius_km`` of the region is drawn (dashed) and the map zooms to it.

    For slides: the legend sits outside the map (right), labels are placed without collisions
    (:func:`lernnetz.graph.pictures.map_parts.place_labels`), a scale bar is drawn on zoomed
    metric maps, and the counts in the legend are those of the points inside the view.
    """
    from lernnetz.graph.pictures import map_parts

    proj, metric = _projector()
    m = store.municipalities()
    terr = store.territories(list(projects) if projects is not None else None)
    terr_ags = set(terr["ags"])
    outlines = metric and boundaries_available(boundaries)
    zoomed = bool(focus) or bool(region and radius_km)
    bg_size, terr_size = (7.0, 16.0) if zoomed else (0.3, 3.0)

    fig = ReportFigure(figsize=figsize)
    ax = fig.add_subplot(1, 1, 1)
    ax.set_aspect("equal")
    ax.set_axis_off()
    handles: list[Any] = []
    notes = [attribution or str(store.info().get("attribution", ""))]

    if outlines:
        from lernnetz.loaders.boundaries import boundary_source, read_level

        assert boundaries is not None
        laender = read_level(boundary_source(boundaries, "laender"), "laender").to_crs(METRIC_CRS)
        kreise = read_level(boundary_source(boundaries, "kreise"), "kreise").to_crs(METRIC_CRS)
        laender.plot(ax=ax, facecolor="#fbfcfc", edgecolor="none", zorder=0)
        shaded = False
        try:
            gem_src = boundary_source(boundaries, "gemeinden")
        except Exception:
            gem_src = None
        if gem_src is not None and terr_ags:
            gem = read_level(gem_src, "gemeinden")
            gem = gem[gem["key"].isin(terr_ags)].to_crs(METRIC_CRS)
            if not gem.empty:
                gem.plot(ax=ax, facecolor=TERRITORY_COLOUR, edgecolor="none", alpha=0.8, zorder=1)
                shaded = True
                handles.append(
                    Patch(facecolor=TERRITORY_COLOUR, label="Gebiet eines Modellprojekts / project territory")
                )
        kreise.boundary.plot(ax=ax, color="#aab7b8", linewidth=0.25, zorder=2)
        laender.boundary.plot(ax=ax, color="#34495e", linewidth=0.7, zorder=3)
        handles.append(Line2D([], [], color="#34495e", lw=0.7, label="Länder"))
        handles.append(Line2D([], [], color="#aab7b8", lw=0.5, label="Kreise"))
        from lernnetz.loaders.boundaries import bkg_attribution

        notes.append(bkg_attribution(boundary_source(boundaries, "kreise").stand))
        if not shaded:
            _points(
                ax,
                proj,
                m[m["ags"].isin(terr_ags)],
                size=terr_size,
                color=TERRITORY_COLOUR,
                zorder=4,
                linewidths=0,
            )
            handles.append(_dot(TERRITORY_COLOUR, "Gemeinde im Projektgebiet / in a project territory"))
    else:
        real = m[~m["unincorporated"].astype(bool)]
        _points(ax, proj, real, size=bg_size, color="#d5d8dc", zorder=0, linewidths=0)
        _points(
            ax,
            proj,
            m[m["ags"].isin(terr_ags)],
            size=terr_size,
            color=TERRITORY_COLOUR,
            zorder=1,
            linewidths=0,
        )
        handles.append(_dot("#d5d8dc", "Gemeinde / municipality"))
        handles.append(_dot(TERRITORY_COLOUR, "Gemeinde im Projektgebiet / in a project territory"))

    # project sites: the lead key's centre (a Kreis: its municipalities' mean)
    sites = _project_sites(store, m, projects)
    if not sites.empty:
        _points(
            ax,
            proj,
            sites,
            size=28,
            marker="D",
            color=PROJECT_COLOUR,
            edgecolors="white",
            linewidths=0.5,
            zorder=6,
        )
        handles.append(
            Line2D(
                [],
                [],
                marker="D",
                ls="",
                color=PROJECT_COLOUR,
                markeredgecolor="white",
                label="Modellprojekt / model project",
            )
        )
    if candidates is not None and not candidates.empty:
        _points(
            ax,
            proj,
            candidates,
            size=_pop_size,
            color=CANDIDATE_COLOUR,
            edgecolors="#784212",
            linewidths=0.3,
            zorder=7,
        )
        handles.append(_dot(CANDIDATE_COLOUR, f"Kandidat / candidate ({len(candidates)})"))
    if white_spots is not None and not white_spots.empty:
        _points(
            ax, proj, white_spots, size=_pop_size, marker="s", color=WHITE_SPOT_COLOUR, linewidths=0, zorder=8
        )
        handles.append(
            Line2D(
                [],
                [],
                marker="s",
                ls="",
                color=WHITE_SPOT_COLOUR,
                label=f"weißer Fleck / white spot ({len(white_spots)})",
            )
        )

    box: tuple[float, float, float, float] | None = None
    ring = None
    if region and radius_km:
        own = m[m["ags"].isin(set(region))].dropna(subset=["lat", "lon"])
        if not own.empty and metric:
            rx, ry = proj(own["lon"].to_numpy(dtype=float), own["lat"].to_numpy(dtype=float))
            ring = map_parts.radius_ring(rx.tolist(), ry.tolist(), float(radius_km) * 1000.0)
            map_parts.draw_ring(ax, ring, color="#1b4f72", lw=1.2, ls=(0, (5, 3)), zorder=5)
            handles.append(
                Line2D(
                    [],
                    [],
                    color="#1b4f72",
                    lw=1.2,
                    ls=(0, (5, 3)),
                    label=f"{radius_km:g} km um die Region / around the region",
                )
            )
            bx0, by0, bx1, by1 = ring.bounds
            pad = max(bx1 - bx0, by1 - by0) * 0.04
            box = (bx0 - pad, bx1 + pad, by0 - pad, by1 + pad)
    if box is None and focus:
        pts = m[m["ags"].isin(set(focus))].dropna(subset=["lat", "lon"])
        if not pts.empty:
            x, y = proj(pts["lon"].to_numpy(dtype=float), pts["lat"].to_numpy(dtype=float))
            pad = max(float(x.max() - x.min()), float(y.max() - y.min()), 20_000.0) * 0.08
            box = (float(x.min()) - pad, float(x.max()) + pad, float(y.min()) - pad, float(y.max()) + pad)
    if box is not None:
        ax.set_xlim(box[0], box[1])
        ax.set_ylim(box[2], box[3])

    # counts refer to what the map shows
    def shown(df: pd.DataFrame | None) -> int:
        if df is None or df.empty:
            return 0
        ok = df.dropna(subset=["lat", "lon"])
        x, y = proj(ok["lon"].to_numpy(dtype=float), ok["lat"].to_numpy(dtype=float))
        return int(map_parts.in_view(ax, x, y).sum()) if box is not None else len(ok)

    for h in handles:
        text = h.get_label()
        if text.startswith("Kandidat / candidate (") and candidates is not None:
            h.set_label(f"Kandidat / candidate ({shown(candidates)} auf der Karte / on the map)")
        if text.startswith("weißer Fleck / white spot (") and white_spots is not None:
            h.set_label(f"weißer Fleck / white spot ({shown(white_spots)} auf der Karte / on the map)")

    if box is not None:
        items: list[tuple[float, float, str, dict[str, Any]]] = []
        obstacles: list[tuple[float, float]] = []
        layers = [(sites, {"fontsize": 7.5, "weight": "bold", "color": PROJECT_COLOUR})]
        if candidates is not None and not candidates.empty and "name" in candidates.columns:
            layers.append((_largest(candidates, 60), {"fontsize": 6.5, "color": "#784212"}))
        if white_spots is not None and not white_spots.empty and "name" in white_spots.columns:
            layers.append((_largest(white_spots, 30), {"fontsize": 6.5, "color": WHITE_SPOT_COLOUR}))
        for df, style in layers:
            ok = df.dropna(subset=["lat", "lon"])
            if ok.empty or "name" not in ok.columns:
                continue
            x, y = proj(ok["lon"].to_numpy(dtype=float), ok["lat"].to_numpy(dtype=float))
            obstacles += list(zip(x.tolist(), y.tolist(), strict=True))
            items += [
                (xi, yi, _short(n), style)
                for xi, yi, n in zip(x.tolist(), y.tolist(), ok["name"], strict=True)
            ]
        for extra in (candidates, white_spots):
            if extra is not None and not extra.empty:
                ok = extra.dropna(subset=["lat", "lon"])
                x, y = proj(ok["lon"].to_numpy(dtype=float), ok["lat"].to_numpy(dtype=float))
                obstacles += list(zip(x.tolist(), y.tolist(), strict=True))
        map_parts.place_labels(ax, items, obstacles=obstacles)
        if metric:
            map_parts.scale_bar(ax)

    ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        borderaxespad=0.0,
        fontsize=7,
        frameon=False,
    )
    if title:
        ax.set_title(title, fontsize=11)
    ax.text(
        0.0, -0.01, "\n".join(_wrap(n) for n in notes if n), transform=ax.transAxes, fontsize=5.5,
        color="#566573", va="top", ha="left",
    )  # fmt: skip
    return fig


def _wrap(text: str, width: int = 150) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


def _short(name: Any) -> str:
    """A label without the register's status suffix (``Erbach, Stadt`` → ``Erbach``)."""
    return str(name).split(",")[0].strip()


def _largest(df: pd.DataFrame, n: int) -> pd.DataFrame:
    if "population" not in df.columns:
        return df.head(n)
    return df.assign(_p=pd.to_numeric(df["population"], errors="coerce")).nlargest(n, "_p")


def _dot(colour: str, label: str) -> Line2D:
    return Line2D([], [], marker="o", ls="", color=colour, markersize=5, label=label)


def _project_sites(store: GraphStore, m: pd.DataFrame, projects: Sequence[str] | None) -> pd.DataFrame:
    p = store.projects()
    if projects is not None:
        p = p[p["id"].isin(set(projects))]
    pos = m.set_index("ags")[["lat", "lon"]]
    rows = []
    for r in p.itertuples(index=False):
        lead = str(r.lead_key)
        if lead in pos.index:
            lat, lon = pos.loc[lead, "lat"], pos.loc[lead, "lon"]
        else:
            here = pos[pos.index.str.startswith(lead)] if lead else pos.iloc[0:0]
            if here.empty:
                continue
            lat, lon = here["lat"].mean(), here["lon"].mean()
        rows.append({"id": r.id, "name": r.name, "lat": lat, "lon": lon})
    return pd.DataFrame(rows, columns=["id", "name", "lat", "lon"])


# ---------------------------------------------------------------------------- interest chart


def interest_table(store: GraphStore, *, topics: Sequence[str] | None = None) -> pd.DataFrame:
    """Municipalities interested per topic (rows, by total desc) and Land (columns, short names).

    A municipality counts once per topic however many interest rows it has.
    """
    i = store.interests(topics=list(topics) if topics is not None else None)
    if i.empty:
        return pd.DataFrame()
    m = store.municipalities(sorted(set(i["ags"])))[["ags", "state_code"]]
    states = store.states().set_index("code")["short"]
    d = i[["ags", "topic"]].drop_duplicates().merge(m, on="ags", how="left")
    d["land"] = d["state_code"].map(states).fillna("?")
    t = d.pivot_table(index="topic", columns="land", values="ags", aggfunc="count", fill_value=0)
    order = [s for s in states.tolist() if s in t.columns]
    t = t[order]
    t = t.loc[t.sum(axis=1).sort_values(ascending=False, kind="mergesort").index]
    t.columns.name = "Land"
    return t.astype(int)


def interest_chart(
    store: GraphStore,
    *,
    topics: Sequence[str] | None = None,
    top: int = 15,
    title: str = "",
    attribution: str | None = None,
    figsize: tuple[float, float] = (9.0, 6.5),
) -> Figure:
    """Horizontal stacked bars: interested municipalities per topic (top ``top``), by Land."""
    t = interest_table(store, topics=topics)
    if t.empty:
        raise InvalidArgument(
            "no interests in the graph to chart",
            hint="import participation lists (lernnetz import participation FILE) or add synthetic demo data",
        )
    t = t.head(top).iloc[::-1]
    labels = store.topics().set_index("slug")["label_de"]
    synthetic = bool((store.interests(topics=list(t.index))["source"] == "synthetic").any())
    fig = ReportFigure(figsize=figsize)
    ax = fig.add_subplot(1, 1, 1)
    cmap = _colours(len(t.columns))
    left = np.zeros(len(t))
    y = np.arange(len(t))
    for j, land in enumerate(t.columns):
        vals = t[land].to_numpy(dtype=float)
        ax.barh(y, vals, left=left, color=cmap[j], label=str(land), height=0.7, linewidth=0)
        left += vals
    ax.set_yticks(y, [str(labels.get(s, s)) for s in t.index], fontsize=8)
    ax.set_xlabel("interessierte Gemeinden / interested municipalities", fontsize=8)
    ax.tick_params(axis="x", labelsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(title="Land", fontsize=7, title_fontsize=7, ncols=2, loc="lower right", frameon=False)
    head = title or "Interesse je Thema und Land / interest per topic and Land"
    if synthetic:
        head += "\n(synthetische Demo-Daten / synthetic demo data)"
    ax.set_title(head, fontsize=10)
    fig.text(
        0.01,
        0.005,
        attribution or str(store.info().get("attribution", "")),
        fontsize=5.5,
        color="#566573",
        va="bottom",
        wrap=True,
    )
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return fig


def _colours(n: int) -> list[Any]:
    from matplotlib import colormaps

    cmap = colormaps["tab20"]
    return [cmap(i % 20) for i in range(n)]
