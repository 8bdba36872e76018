"""The analytics' typed frame builder gives exactly the frame pandas' own inference gives."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from lernnetz.graph.analytics.frames import _frame, _typed_frame

KINDS = {"key": "text", "n": "int", "km": "float", "topics": "object", "items": "object", "note": "text"}


def row(key: str, n: int, km: float | None, topics: list[str], items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"key": key, "n": n, "km": km, "topics": topics, "items": items, "note": f"about {key}"}


@pytest.mark.parametrize(
    "rows",
    [
        [row("a", 1, 2.5, ["x"], [{"t": "x"}])],  # one row whose lists have one element
        [
            row("a", 1, 2.5, ["x", "y"], []),
            row("b", 2, None, ["z", "w"], [{"t": 1}, {"t": 2}]),
        ],  # equal lengths
        [
            row(str(i), i, float(i), ["x", "y", "z"], [{}, {}, {}]) for i in range(3)
        ],  # lists as long as the frame
    ],
)
def test_typed_frame_equals_the_inferred_frame(rows: list[dict[str, Any]]) -> None:
    got = _typed_frame(rows, KINDS)
    pd.testing.assert_frame_equal(got, _frame(rows, list(KINDS)), check_exact=True)
    assert [got.at[i, "topics"] for i in range(len(rows))] == [r["topics"] for r in rows]
    assert [got.at[i, "items"] for i in range(len(rows))] == [r["items"] for r in rows]


def test_typed_frame_of_nothing_and_of_missing_floats() -> None:
    pd.testing.assert_frame_equal(_typed_frame([], KINDS), _frame([], list(KINDS)))
    rows = [row("a", 1, None, [], [])]  # a float column with no float: as inference leaves it
    pd.testing.assert_frame_equal(_typed_frame(rows, KINDS), _frame(rows, list(KINDS)))
