"""Turn pandas/numpy values into plain JSON-safe Python values (one helper for CLI, API, export, viz)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any


def py(value: Any) -> Any:
    """A JSON-safe plain Python value: numpy/pandas scalars unwrapped, NaN → None, containers recursed."""
    if value is None or isinstance(value, bool | str):
        return value
    if value.__class__.__name__ in {"NAType", "NaTType"}:
        return None
    if isinstance(value, Mapping):
        return {str(k): py(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [py(v) for v in items]
    if hasattr(value, "tolist") and not isinstance(value, int | float):  # numpy arrays and scalars
        return py(value.tolist())
    if hasattr(value, "isoformat"):  # datetime, date, pandas Timestamp
        return str(value.isoformat())
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, int):
        return int(value)
    return str(value)
