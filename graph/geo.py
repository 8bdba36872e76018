"""Great-circle distances, computed the same way by every store."""

from __future__ import annotations

from typing import Any

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


def chord_for_km(radius_km: float) -> float:
    """The straight-line distance between unit vectors that corresponds to ``radius_km`` on the sphere."""
    return float(2.0 * np.sin(min(radius_km, np.pi * EARTH_RADIUS_KM) / (2.0 * EARTH_RADIUS_KM)))


#: ``SpatialIndex.within`` scans (no tree) for at most this many centre × point pairs …
_SCAN_CELLS = 200_000
#: … and only for the first this many questions of a process.
_SCANS_BEFORE_TREE = 32
#: Above this many centres, ``within`` asks each point for its nearest centre instead.
_MANY_CENTRES = 64


class SpatialIndex:
    """Great-circle neighbourhood queries over fixed points, for every caller in lernnetz.

    A k-d tree (SciPy ``cKDTree``) over the points as 3-D unit vectors: the chord between two
    unit vectors is a monotone function of their great-circle distance, so a ball or k-nearest
    query in chord space is exact on the sphere (no haversine ``BallTree`` needed). Callers
    recompute reported distances with :func:`haversine_km`.
    """

    def __init__(self, lat: FloatArray, lon: FloatArray) -> None:
        self.lat = np.asarray(lat, dtype=np.float64)
        self.lon = np.asarray(lon, dtype=np.float64)
        phi, lam = np.radians(self.lat), np.radians(self.lon)
        self.xyz = np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])
        self._kd: Any = None
        self._built = False
        self._scans = 0

    @property
    def _tree(self) -> Any:
        """The k-d tree, built on the first query (a process that never asks one never imports SciPy)."""
        if not self._built:
            if len(self.lat):
                from scipy.spatial import cKDTree

                self._kd = cKDTree(self.xyz)
            self._built = True
        return self._kd

    def build(self) -> None:
        """Import SciPy and build the k-d tree now (a long-lived process, at start-up), not in
        the first question past the few that are answered by a scan."""
        self._tree  # noqa: B018 - the property builds it

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without the k-d tree (rebuilt on the first query that needs it)."""
        return {**self.__dict__, "_kd": None, "_built": False}

    def __len__(self) -> int:
        return len(self.lat)

    def within(self, centres: npt.NDArray[np.intp], radius_km: float) -> npt.NDArray[np.intp]:
        """Sorted positions of the points within ``radius_km`` of any of the indexed points
        ``centres`` (a hair of slack for float noise: filter the exact distance afterwards)."""
        if len(self.lat) == 0 or len(centres) == 0:
            return np.array([], dtype=np.intp)
        if (
            not self._built
            and self._scans < _SCANS_BEFORE_TREE
            and len(centres) * len(self.lat) <= _SCAN_CELLS
        ):
            # a few small questions (a command-line process) are answered by one vectorised scan
            # with the same chord criterion, sparing the SciPy import and the tree build; a
            # long-lived process builds the tree after a few of them
            self._scans += 1
            chord = chord_for_km(radius_km + 1e-6)
            cos = self.xyz @ self.xyz[centres].T  # chord² = 2 − 2 cos
            return np.flatnonzero((cos >= 1.0 - chord * chord / 2.0).any(axis=1)).astype(np.intp)
        chord = chord_for_km(radius_km + 1e-6)
        if len(centres) > _MANY_CENTRES:
            # many centres (a Land): each point's nearest centre, from a tree over the centres —
            # one k=1 query per point instead of millions of ball hits merged in one long call
            # that holds the GIL (it stalled every other request for seconds)
            from scipy.spatial import cKDTree

            d, _ = cKDTree(self.xyz[np.unique(centres)]).query(
                self.xyz, k=1, distance_upper_bound=chord * 1.001
            )
            return np.flatnonzero(d <= chord).astype(np.intp)
        hits = self._tree.query_ball_point(self.xyz[centres], r=chord, return_sorted=False)
        found = hits[0] if len(hits) == 1 else set().union(*hits)
        return np.asarray(sorted(found), dtype=np.intp)

    def near(
        self, centres: npt.NDArray[np.intp], radius_km: float
    ) -> tuple[npt.NDArray[np.intp], FloatArray]:
        """The points within ``radius_km`` of any of the indexed points ``centres``: their
        positions (ascending) and great-circle distances to the nearest centre (0 for a centre).
        The one radius query of every store and analytic (the same floats everywhere)."""
        centres = np.asarray(centres, dtype=np.intp)
        found = self.within(centres, radius_km)
        if len(found) == 0:
            return found, np.array([], dtype=np.float64)
        lat, lon = self.lat[found], self.lon[found]
        clat, clon = self.lat[centres], self.lon[centres]
        if len(centres) > 32:  # a Land-sized region: the nearest centre by a k-d tree (same haversine)
            best, _ = SpatialIndex(clat, clon).query(lat, lon)
        else:
            best = haversine_km(lat[:, None], lon[:, None], clat[None, :], clon[None, :]).min(axis=1)
        if len(centres) <= 32:  # the centres themselves: a small comparison (np.isin sorts both)
            best[(found[:, None] == centres[None, :]).any(axis=1)] = 0.0
        else:
            best[np.isin(found, centres)] = 0.0
        keep = best <= radius_km
        return found[keep], best[keep]

    def nearest(self, k: int) -> npt.NDArray[np.intp]:
        """For every indexed point, the positions of its ``k`` nearest points (itself first)."""
        if self._tree is None:
            return np.empty((0, k), dtype=np.intp)
        _, nbr = self._tree.query(self.xyz, k=min(k, len(self.lat)))
        return np.asarray(nbr, dtype=np.intp).reshape(len(self.lat), -1)

    def query(self, lat: FloatArray, lon: FloatArray) -> tuple[FloatArray, npt.NDArray[np.intp]]:
        """For outside points, the great-circle distance (km) to the nearest indexed point and its position."""
        if self._tree is None:
            return np.full(len(lat), np.inf), np.full(len(lat), -1, dtype=np.intp)
        phi, lam = (
            np.radians(np.asarray(lat, dtype=np.float64)),
            np.radians(np.asarray(lon, dtype=np.float64)),
        )
        xyz = np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])
        _, idx = self._tree.query(xyz, k=1)
        idx = np.asarray(idx, dtype=np.intp)
        return haversine_km(lat, lon, self.lat[idx], self.lon[idx]), idx
