"""Parts of a slide-ready map: collision-free labels, the radius ring, a scale bar, words for slugs.

Used by :func:`lernnetz.graph.pictures.maps.germany_map`; all work on a matplotlib ``Axes``
in metres (ETRS89 / UTM 32N) or any metric projection.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes
    from matplotlib.transforms import Bbox

#: Offsets (points) tried for a label, in this order: right, left, above, below, and diagonals.
LABEL_SPOTS: tuple[tuple[float, float, str, str], ...] = (
    (5, 0, "left", "center"), (-5, 0, "right", "center"), (0, 5, "center", "bottom"),
    (0, -5, "center", "top"), (4, 4, "left", "bottom"), (-4, 4, "right", "bottom"),
    (4, -4, "left", "top"), (-4, -4, "right", "top"),
)  # fmt: skip


def _overlap(a: Bbox, b: Bbox) -> bool:
    return bool(a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1)


def place_labels(
    ax: Axes,
    items: Sequence[tuple[float, float, str, dict[str, Any]]],
    *,
    obstacles: Sequence[tuple[float, float]] = (),
    obstacle_px: float = 3.0,
) -> list[Any]:
    """Greedy label placement: each ``(x, y, text, style)`` in order (most important first) takes
    the first spot of :data:`LABEL_SPOTS` where its box stays inside the axes and overlaps no
    placed label and no obstacle point; a label with no free spot is left out.

    Returns the placed ``Text`` artists (their window extents never overlap pairwise).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = ax.figure
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)  # type: ignore[arg-type]
    renderer = canvas.get_renderer()  # type: ignore[no-untyped-call]
    frame = ax.get_window_extent(renderer)
    from matplotlib.transforms import Bbox

    pts: Any = (
        ax.transData.transform(np.asarray(obstacles, dtype=float).reshape(-1, 2)) if len(obstacles) else []
    )
    blocked = [
        Bbox.from_extents(x - obstacle_px, y - obstacle_px, x + obstacle_px, y + obstacle_px) for x, y in pts
    ]
    placed: list[Bbox] = []
    artists: list[Any] = []
    for x, y, text, style in items:
        px, py_ = ax.transData.transform((x, y))
        if not (frame.x0 <= px <= frame.x1 and frame.y0 <= py_ <= frame.y1):
            continue
        own = Bbox.from_extents(px - obstacle_px, py_ - obstacle_px, px + obstacle_px, py_ + obstacle_px)
        for dx, dy, ha, va in LABEL_SPOTS:
            t = ax.annotate(
                text, (x, y), xytext=(dx, dy), textcoords="offset points", ha=ha, va=va, zorder=9,
                annotation_clip=True, **style,
            )  # fmt: skip
            box = t.get_window_extent(renderer).padded(1.0)
            inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
            free = not any(_overlap(box, b) for b in placed) and not any(
                _overlap(box, b) for b in blocked if not _overlap(b, own)
            )
            if inside and free:
                placed.append(box)
                artists.append(t)
                break
            t.remove()
    return artists


def radius_ring(xs: Sequence[float], ys: Sequence[float], radius_m: float) -> Any:
    """The area within ``radius_m`` of any of the region's Gemeinde centres (a shapely geometry):
    exactly lernnetz's distance rule (minimum over the region's Gemeinden)."""
    from shapely.geometry import MultiPoint

    return MultiPoint(list(zip(xs, ys, strict=True))).buffer(radius_m, 64)


def draw_ring(ax: Axes, ring: Any, **style: Any) -> None:
    """Draw the outline(s) of ``ring`` (a (multi)polygon)."""
    for poly in getattr(ring, "geoms", [ring]):
        x, y = poly.exterior.xy
        ax.plot(x, y, **style)


def nice_length_km(span_km: float) -> float:
    """A round scale-bar length: about a fifth of the visible width (1, 2, 5 × 10^k km)."""
    target = max(span_km / 5.0, 0.5)
    k = 10 ** math.floor(math.log10(target))
    return float(next(m * k for m in (1, 2, 5, 10) if m * k >= target))


def scale_bar(ax: Axes) -> float:
    """A scale bar in the lower right corner (axes in metres); returns its length in km."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    km = nice_length_km((x1 - x0) / 1000.0)
    length = km * 1000.0
    right = x1 - (x1 - x0) * 0.04
    base = y0 + (y1 - y0) * 0.04
    ax.plot([right - length, right], [base, base], color="#17202a", lw=2.5, solid_capstyle="butt", zorder=10)
    for xv in (right - length, right):
        ax.plot([xv, xv], [base, base + (y1 - y0) * 0.008], color="#17202a", lw=1, zorder=10)
    ax.text(right - length / 2, base + (y1 - y0) * 0.012, f"{km:g} km", ha="center", va="bottom", fontsize=7,
            zorder=10, bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8})  # fmt: skip
    return km


def in_view(ax: Axes, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Which points lie within the axes' current limits."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    return np.asarray((x >= min(x0, x1)) & (x <= max(x0, x1)) & (y >= min(y0, y1)) & (y <= max(y0, y1)))
