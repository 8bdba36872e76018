"""Small frame and number helpers the analytics share.

Holds the helpers every analytic uses to build its result: frames from ordered rows with fixed
columns (:func:`_frame`, :func:`_empty`, :func:`_sorted`), rows and columns of the store's frames as
plain Python values (:func:`_rows`, :func:`_columns`), and the number rules of the results (scores
rounded to ``SCORE_DECIMALS``, ``NaN`` as ``None``, distance decay by half-life). They keep no state.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter
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
    names, index, layout = _layout(kinds)
    if len(names) > 1:  # one pass: rows -> columns
        cols = list(zip(*map(itemgetter(*names), rows), strict=True))
    else:
        cols = [tuple(r[names[0]] for r in rows)]
    for j, kind in enumerate(kinds.values()):
        if kind == "float" and all(v is None for v in cols[j]):
            return _frame(rows, names)  # an all-missing column: leave it to inference
    if _from_blocks is None:
        return pd.DataFrame(
            {c: _column(list(cols[j]), kind) for j, (c, kind) in enumerate(kinds.items())}, copy=False
        )
    # the blocks the constructor would consolidate into (one 2-D array per numpy dtype, one
    # extension array per text column), handed to pandas as they are
    n = len(rows)
    blocks: list[tuple[Any, Any]] = []
    for dtype, at, placement in layout:
        if dtype is None:  # a text column
            text = _column(list(cols[at[0]]), "text")
            blocks.append((text if text.ndim == 1 and not isinstance(text, np.ndarray) else text.reshape(1, n),
                           placement))  # fmt: skip
            continue
        block = np.empty((len(at), n), dtype=dtype)
        for i, j in enumerate(at):
            block[i, :] = cols[j]
        blocks.append((block, placement))
    # a view of the kept Index, so that naming one answer's columns leaves the others alone
    frame: pd.DataFrame = _from_blocks(blocks, pd.RangeIndex(n), index.view())
    return frame


#: Per column layout (see :func:`_layout`), one per distinct ``kinds`` (module constants: few).
_LAYOUTS: dict[tuple[tuple[str, str], ...], tuple[list[str], pd.Index, list[tuple[Any, list[int], Any]]]] = {}


def _layout(kinds: dict[str, str]) -> tuple[list[str], pd.Index, list[tuple[Any, list[int], Any]]]:
    """The column names, their (immutable) Index, and the blocks of a frame of these kinds: (numpy
    dtype or ``None`` for a text column, column positions, block placement), in the order of
    :func:`_typed_frame`'s blocks."""
    key = tuple(kinds.items())
    hit = _LAYOUTS.get(key)
    if hit is not None:
        return hit
    names = list(kinds)
    kind_of = [k if k in ("float", "int", "text") else "object" for k in kinds.values()]
    layout: list[tuple[Any, list[int], Any]] = []
    for kind, dtype in (("float", np.float64), ("int", np.int64), ("object", object)):
        at = [j for j, k in enumerate(kind_of) if k == kind]
        if at:
            layout.append((dtype, at, _frozen(at)))
    for j, k in enumerate(kind_of):
        if k == "text":
            layout.append((None, [j], _frozen([j])))
    if len(_LAYOUTS) > 64:
        _LAYOUTS.clear()
    _LAYOUTS[key] = out = (names, pd.Index(names), layout)
    return out


def _frozen(at: list[int]) -> Any:
    """A block placement shared by every frame of one layout: read-only."""
    out = np.array(at, dtype=np.intp)
    out.flags.writeable = False
    return out


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def _sorted(df: pd.DataFrame, by: list[str], ascending: list[bool]) -> pd.DataFrame:
    return df.sort_values(by, ascending=ascending, kind="mergesort").reset_index(drop=True)


@dataclass(slots=True)
class Rows:
    """An answer's ordered rows before they become a frame: what :func:`_typed_frame` turns into
    the DataFrame an analytic returns (:meth:`frame`). The API pages and serialises them as they
    are (:meth:`records`), without making a frame it would take apart again. ``attrs`` become the
    frame's ``attrs`` (e.g. ``notes`` on an empty answer).

    With ``make``, ``items`` are what ``make`` turns into the rows (already in answer order): a
    row is made only when it is read, so a page of a long answer makes only its own rows."""

    items: list[Any]
    kinds: dict[str, str]
    attrs: dict[str, Any] = field(default_factory=dict)
    #: every row has exactly the columns of ``kinds``, in their order (then :meth:`records` is
    #: the rows themselves)
    in_order: bool = False
    make: Callable[[Any], dict[str, Any]] | None = None

    def __len__(self) -> int:
        return len(self.items)

    @property
    def rows(self) -> list[dict[str, Any]]:
        """The rows (made now, once, when ``make`` is given)."""
        if self.make is not None:
            self.items, self.make = [self.make(x) for x in self.items], None
        return self.items

    def frame(self) -> pd.DataFrame:
        """The answer as the analytic returns it (the same frame, dtypes and ``attrs``)."""
        df = _typed_frame(self.rows, self.kinds)
        df.attrs.update(self.attrs)
        return df

    def part(self, start: int, stop: int | None = None) -> Rows:
        """Rows ``start:stop`` (as ``frame().iloc[start:stop]``; ``attrs`` kept; not made yet)."""
        return Rows(self.items[start:stop], self.kinds, self.attrs, self.in_order, self.make)

    def records(self) -> list[dict[str, Any]]:
        """The rows with the frame's columns in their order, to serialise (a missing float as
        ``None`` where the frame holds NaN: both serialise as JSON ``null``): the rows themselves
        when they are ``in_order``, else a new dict per row."""
        rows = self.rows
        if self.in_order:
            return rows
        names = list(self.kinds)
        if len(names) == 1:
            return [{names[0]: r[names[0]]} for r in rows]
        get = itemgetter(*names)
        return [dict(zip(names, get(r), strict=True)) for r in rows]
