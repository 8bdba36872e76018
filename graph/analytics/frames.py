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

import numpy as np
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


try:  # pandas >= 2.3: a frame from its blocks, without per-column inference and consolidation
    from pandas.api.internals import create_dataframe_from_blocks as _from_blocks
except ImportError:  # pragma: no cover - older pandas: the plain constructor
    _from_blocks = None

#: The dtype pandas infers for a column of text (``str`` in pandas 3, ``object`` before).
_TEXT = pd.Series(["x"]).dtype


def _column(values: list[Any], kind: str) -> Any:
    """One column made with the dtype inference would give it: ``text`` (every value a str),
    ``int`` (ints), ``float`` (floats, ``None`` as NaN, at least one a float), else objects."""
    if kind == "text" and isinstance(_TEXT, pd.StringDtype):
        # the extension-array constructor of the interface (pd.array's own path is slower)
        cls: Any = _TEXT.construct_array_type()
        return cls._from_sequence(values, dtype=_TEXT)
    if kind == "int":
        return np.array(values, dtype=np.int64)
    if kind == "float":
        return np.array(values, dtype=np.float64)
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _typed_frame(rows: list[dict[str, Any]], kinds: dict[str, str]) -> pd.DataFrame:
    """As :func:`_frame`, for columns of known kinds (see :func:`_column`; every column in
    ``kinds``, in its order): the same frame without inferring each column's dtype (a third of
    the cost of a small analytic answer)."""
    if not rows:
        return _empty(list(kinds))
    for c, kind in kinds.items():
        if kind == "float" and all(r[c] is None for r in rows):
            return _frame(rows, list(kinds))  # an all-missing column: leave it to inference
    if _from_blocks is None:
        return pd.DataFrame({c: _column([r[c] for r in rows], kind) for c, kind in kinds.items()}, copy=False)
    # the blocks the constructor would consolidate into (one 2-D array per numpy dtype, one
    # extension array per text column), handed to pandas as they are
    n, names = len(rows), list(kinds)
    blocks: list[tuple[Any, Any]] = []
    kind_of = [k if k in ("float", "int", "text") else "object" for k in kinds.values()]
    for kind, dtype in (("float", np.float64), ("int", np.int64), ("object", object)):
        at = [j for j, k in enumerate(kind_of) if k == kind]
        if at:
            block = np.empty((len(at), n), dtype=dtype)
            for i, j in enumerate(at):
                block[i, :] = [r[names[j]] for r in rows]
            blocks.append((block, np.array(at, dtype=np.intp)))
    for j, c in enumerate(names):
        if kinds[c] == "text":
            text = _column([r[c] for r in rows], "text")
            blocks.append((text if text.ndim == 1 and not isinstance(text, np.ndarray) else text.reshape(1, n),
                           np.array([j], dtype=np.intp)))  # fmt: skip
    frame: pd.DataFrame = _from_blocks(blocks, pd.RangeIndex(n), pd.Index(names))
    return frame


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def _sorted(df: pd.DataFrame, by: list[str], ascending: list[bool]) -> pd.DataFrame:
    return df.sort_values(by, ascending=ascending, kind="mergesort").reset_index(drop=True)
