"""Great-circle distances, computed the same way by every store."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

#: Mean Earth radius (IUGG), used for every distance lernnetz reports.
EARTH_RADIUS_KM = 6371.0088

FloatArray = npt.NDArray[np.float64]


def haversine_km(
    lat1: float | FloatArray,
    lon1: float | FloatArray,
    lat2: float | FloatArray,
    lon2: float | FloatArray,
) -> FloatArray:
    """Great-circle distance in km between points given in decimal degrees (broadcasts)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dlat = p2 - p1
    dlon = np.radians(lon2) - np.radians(lon1)
    a = np.sin(dlat / 2.0) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2.0) ** 2
    return np.asarray(2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))), dtype=np.float64)


def min_distance_km(
    lat: FloatArray, lon: FloatArray, centre_lat: FloatArray, centre_lon: FloatArray
) -> FloatArray:
    """For each point, the distance to the nearest of the centres (a point × centre matrix)."""
    if len(centre_lat) == 0:
        return np.full(len(lat), np.inf)
    d = haversine_km(lat[:, None], lon[:, None], centre_lat[None, :], centre_lon[None, :])
    return np.asarray(d.min(axis=1), dtype=np.float64)
