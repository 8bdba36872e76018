"""The grouping behind :func:`lernnetz.graph.analytics.networks.learning_networks`.

Pure and deterministic: candidates (positions) with their ranked options (hub project, topic),
coordinates, and the limits in; groups and the reason each left-out candidate failed out.

**What it optimises.** Maximise the evidence-weighted number of placed candidates,
Σ over placed c of s(c, t_g) (the evidence strength of c for its group's topic), subject to:

* one group per candidate; each group has one hub project and one topic that the hub
  addresses and every member has evidence for (or, as a fallback for candidates no
  one-topic group can take, a mixed-topic group: every member shares some topic with the hub);
* every member lies within ``reach_km`` of the hub's territory **and** of every other member;
* ``min_size`` ≤ size ≤ ``max_size``.

This is a capacitated, diameter-bounded assignment problem (NP-hard in general); the
heuristic below is greedy and deterministic:

1. **Pools.** Each candidate takes its best option (hub, topic), ranked by
   IDF(t)·s(c,t)·0.5^(d/30 km), then distance, hub id, topic; after all one-topic options
   come the mixed-topic options (hub, :data:`MIXED`), ranked by the best shared topic's score.
   While a pool is smaller than ``min_size``, the smallest pool (ties: key; one-topic pools
   before mixed ones, which collect the leftovers) is dissolved and its candidates move to their
   next option — so small pools feed the large ones instead of being lost.
2. **Spatial split.** A pool larger than ``max_size``, or whose members are more than
   ``reach_km`` apart, is bisected recursively by a balanced 2-means cut in a local
   equirectangular projection (balanced to ⌈n / max_size⌉ parts, so size splits never fall
   under ``min_size`` when ``max_size`` ≥ 2·``min_size`` − 1); a diameter-only split is the
   natural 2-means cut. The first centre is drawn with the ``seed`` (the only use of the seed);
   the second is the member farthest from it.
3. **Repair.** A part below ``min_size`` hands its members one by one to a part of the same
   pool that has room and stays within ``reach_km`` of them (the one with the smallest largest
   distance); parts still too small are dropped and their candidates go back to step 1 with
   that option closed. The loop ends when no candidate is dropped (each round closes at least
   one option, so it ends).
"""

from __future__ import annotations

import heapq
import math
import zlib
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from lernnetz.graph.geo import EARTH_RADIUS_KM, haversine_km

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: (−score, distance_km, hub id, topic, evidence strength): sorts best first.
Option = tuple[float, float, str, str, float]
#: The topic of a mixed-topic group: members sharing different topics with the hub.
MIXED = "*"
PoolKey = tuple[str, str]


@dataclass(frozen=True)
class Failure:
    """Why a candidate's option (hub, topic) did not become its group."""

    code: str  # "below-minimum" | "spread"
    hub: str
    topic: str
    km: float
    pool_size: int


@dataclass
class GroupingCache:
    """What calls with other seeds on the same options and limits can reuse."""

    splits: dict[tuple[object, ...], tuple[list[list[int]], list[int]]] = field(default_factory=dict)
    start: tuple[dict[PoolKey, list[int]], dict[int, int], dict[int, dict[PoolKey, Failure]]] | None = None


@dataclass
class Grouping:
    """Groups as (hub, topic, member positions sorted) and the failures of unplaced candidates."""

    groups: list[tuple[str, str, list[int]]]
    failures: dict[int, list[Failure]]

    def labels(self, cands: list[int]) -> list[str]:
        """One label per candidate (its group, or ``-``), for the adjusted Rand index."""
        of = {c: f"{h}|{t}|{ms[0]}" for h, t, ms in self.groups for c in ms}
        return [of.get(c, "-") for c in cands]


def group_candidates(
    options: dict[int, list[Option]],
    lat: FloatArray,
    lon: FloatArray,
    *,
    reach_km: float,
    max_size: int,
    min_size: int,
    seed: int,
    cache: GroupingCache | None = None,
) -> Grouping:
    """Group the candidates (see the module docstring). ``options[c]`` must be sorted best first;
    ``cache`` may be shared between calls with other seeds on the same options."""
    cache = GroupingCache() if cache is None else cache  # valid for one (options, reach, sizes) only
    cur = dict.fromkeys(options, 0)
    closed: defaultdict[int, dict[PoolKey, Failure]] = defaultdict(dict)

    def key_of(c: int) -> PoolKey | None:
        i = cur[c]
        opts = options[c]
        while i < len(opts) and (opts[i][2], opts[i][3]) in closed[c]:
            i += 1
        cur[c] = i
        return (opts[i][2], opts[i][3]) if i < len(opts) else None

    def close(c: int, key: PoolKey, code: str, size: int) -> None:
        km = next(o[1] for o in options[c] if (o[2], o[3]) == key)
        closed[c][key] = Failure(code, key[0], key[1], km, size)

    def dissolve(pools: dict[PoolKey, list[int]], small: list[PoolKey]) -> None:
        """Dissolve pools below the minimum, smallest first (one-topic pools before the mixed
        ones, which collect what every one-topic dissolution leaves over)."""
        heap = [(k[1] == MIXED, len(pools[k]), k) for k in small if len(pools.get(k, ())) < min_size]
        heapq.heapify(heap)
        while heap:
            _, n, k = heapq.heappop(heap)
            if k not in pools or len(pools[k]) != n:
                continue
            for c in pools.pop(k):
                close(c, k, "below-minimum", n)
                nk = key_of(c)
                if nk is not None:
                    pools.setdefault(nk, []).append(c)
                    if len(pools[nk]) < min_size:
                        heapq.heappush(heap, (nk[1] == MIXED, len(pools[nk]), nk))

    start = cache.start  # the first round does not depend on the seed
    if start is None:
        pools: dict[PoolKey, list[int]] = {}
        for c in sorted(options):
            k = key_of(c)
            if k is not None:
                pools.setdefault(k, []).append(c)
        dissolve(pools, list(pools))
        cache.start = (
            {k: list(v) for k, v in pools.items()},
            dict(cur),
            {c: dict(v) for c, v in closed.items() if v},
        )
    else:
        pools = {k: list(v) for k, v in start[0].items()}
        cur = dict(start[1])
        closed = defaultdict(dict, {c: dict(v) for c, v in start[2].items() if v})
    while True:
        # split spatially, repair; candidates in parts too small go back with that option closed
        groups: list[tuple[str, str, list[int]]] = []
        dropped: list[tuple[int, PoolKey, int]] = []
        for k in sorted(pools):
            members = sorted(pools[k])
            parts, out = _split_pool(k, members, lat, lon, reach_km, max_size, min_size, seed, cache)
            groups.extend((k[0], k[1], p) for p in parts)
            dropped.extend((c, k, len(members)) for c in out)
        if not dropped:
            placed = {c for _, _, ms in groups for c in ms}
            failures = {
                c: [closed[c][(o[2], o[3])] for o in options[c] if (o[2], o[3]) in closed[c]]
                for c in sorted(options)
                if c not in placed
            }
            return Grouping(groups, failures)
        touched = []
        for c, k, size in dropped:
            close(c, k, "spread", size)
            pools[k].remove(c)
            nk = key_of(c)
            if nk is not None:
                pools.setdefault(nk, []).append(c)
                touched.append(nk)
        dissolve(pools, sorted(set(touched)))
        pools = {k: v for k, v in pools.items() if v}


def _split_pool(
    key: PoolKey,
    members: list[int],
    lat: FloatArray,
    lon: FloatArray,
    reach_km: float,
    max_size: int,
    min_size: int,
    seed: int,
    cache: GroupingCache,
) -> tuple[list[list[int]], list[int]]:
    whole = (key, tuple(members))
    hit = cache.splits.get(whole)  # a pool that needs no split is the same for every seed
    if hit is not None:
        return hit
    arr = np.asarray(members, dtype=np.int64)
    if len(arr) <= max_size and _diameter(lat[arr], lon[arr]) <= reach_km:
        cache.splits[whole] = ([members], [])
        return [members], []
    ck = (key, tuple(members), seed)
    hit = cache.splits.get(ck)
    if hit is not None:
        return hit
    rng = np.random.default_rng([seed, zlib.crc32(f"{key[0]}|{key[1]}".encode())])
    la, lo = lat[arr], lon[arr]
    r = EARTH_RADIUS_KM
    xy = np.column_stack([np.radians(lo) * math.cos(math.radians(float(la.mean()))) * r, np.radians(la) * r])
    parts = _bisect(np.arange(len(arr)), xy, la, lo, reach_km, max_size, rng)
    parts = _repair(parts, la, lo, reach_km, max_size, min_size)
    out_local = [i for p in parts if len(p) < min_size for i in p]
    result = (
        sorted(sorted(int(arr[i]) for i in p) for p in parts if len(p) >= min_size),
        sorted(int(arr[i]) for i in out_local),
    )
    cache.splits[ck] = result
    return result


def _diameter(la: FloatArray, lo: FloatArray) -> float:
    if len(la) < 2:
        return 0.0
    return float(haversine_km(la[:, None], lo[:, None], la[None, :], lo[None, :]).max())


def _bisect(
    idx: IntArray,
    xy: FloatArray,
    la: FloatArray,
    lo: FloatArray,
    reach_km: float,
    max_size: int,
    rng: np.random.Generator,
) -> list[list[int]]:
    n = len(idx)
    if n <= max_size and _diameter(la[idx], lo[idx]) <= reach_km:
        return [idx.tolist()]
    pts = xy[idx]
    parts = math.ceil(n / max_size)
    a = int(rng.integers(n))
    b = int(np.argmax(((pts - pts[a]) ** 2).sum(axis=1)))
    ca, cb = pts[a], pts[b]
    in_a = np.zeros(n, dtype=bool)
    for _ in range(8):
        diff = np.hypot(*(pts - ca).T) - np.hypot(*(pts - cb).T)
        new = np.zeros(n, dtype=bool)
        if parts >= 2:  # balanced cut: the A side gets ⌊parts/2⌋ parts' share of the members
            na = round(n * (parts // 2) / parts)
            new[np.lexsort((idx, diff))[:na]] = True
        else:
            new = diff <= 0
            if new.all() or not new.any():
                new = np.zeros(n, dtype=bool)
                new[np.lexsort((idx, diff))[: n // 2]] = True
        if (new == in_a).all():
            break
        in_a = new
        ca, cb = pts[in_a].mean(axis=0), pts[~in_a].mean(axis=0)
    return _bisect(idx[in_a], xy, la, lo, reach_km, max_size, rng) + _bisect(
        idx[~in_a], xy, la, lo, reach_km, max_size, rng
    )


def _repair(
    parts: list[list[int]], la: FloatArray, lo: FloatArray, reach_km: float, max_size: int, min_size: int
) -> list[list[int]]:
    """Move members of too-small parts into a part with room, never a smaller one, that stays
    within reach of them (Σ size² grows with every move, so this ends)."""
    parts = [list(p) for p in parts]
    moved = True
    while moved:
        moved = False
        for i in sorted(range(len(parts)), key=lambda j: (len(parts[j]), j)):
            if not 0 < len(parts[i]) < min_size:
                continue
            for m in sorted(parts[i]):
                best: tuple[float, int] | None = None
                for j, q in enumerate(parts):
                    if j == i or not q or len(q) >= max_size or len(q) < len(parts[i]):
                        continue
                    far = float(haversine_km(la[m], lo[m], la[q], lo[q]).max())
                    if far <= reach_km and (best is None or (far, j) < best):
                        best = (far, j)
                if best is not None:
                    parts[i].remove(m)
                    parts[best[1]].append(m)
                    moved = True
    return [p for p in parts if p]
