"""Small frame and number helpers the analytics share.

Holds the helpers every analytic uses to build its result: frames from ordered rows with fixed
columns (:func:`_frame`, :func:`_empty`, :func:`_sorted`), rows and columns of the store's frames as
plain Python values (:func:`_rows`, :func:`_columns`), and the number rules of the results (scores
rounded to ``SCORE_DECIMALS``, ``NaN`` as ``None``, distance decay by half-life). They keep no state.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pandas as pd

from lernnetz.graph.analytics.params import SCORE_DECIMALS


def _columns(df: pd.DataFrame, *names: str) -> list[list[Any]]:
    """Columns as Python lists (iterating pandas string arrays element by element is slow)."""
    return [df[n].tolist() for n in names]


def _f(x: Any) -> float | None:
    v = float(x)
    return None if math.isnan(v) else v


def _round(x: float) -> float:
    return round(float(x), SCORE_DECIMALS)


def _decay(km: float, half_life: float) -> float:
    return float(0.5 ** (km / half_life)) if math.isfinite(km) else 0.0


def _rows(df: pd.DataFrame) -> Iterator[Any]:
    """Rows as named tuples (typed loosely: columns are known by name only at run time)."""
    return iter(df.itertuples(index=False))


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    """A frame from already ordered rows (columns built directly: faster than records)."""
    if not rows:
        return _empty(columns)
    return pd.DataFrame({c: [r[c] for r in rows] for c in columns}, columns=columns)


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def _sorted(df: pd.DataFrame, by: list[str], ascending: list[bool]) -> pd.DataFrame:
    return df.sort_values(by, ascending=ascending, kind="mergesort").reset_index(drop=True)
