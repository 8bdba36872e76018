"""The Gemeinden's evidence kept as columns; its :class:`Evidence` items made when first asked for.

The participation lists give one piece of evidence per interest and per focus topic of an
attended event: on the 10× register 100,000 pieces over 55,000 Gemeinden, of which an answer
shows a few dozen. The analytics context keeps them as :class:`EvidenceRows` (a few numpy
columns, ordered by position) and hands them out through :class:`EvidenceByPlace`, a ``dict``
position → topic → items that makes a Gemeinde's items on first access and keeps them
(a hit is a plain dict hit). :func:`evidence_strength` computes what every question needs
up front, vectorised where a (Gemeinde, topic) has one piece (nearly all) and item by item
otherwise. Items, their order, de-duplication and strengths are those of the former eager
build (items sorted and de-duplicated where a topic has several; 1 − Π(1 − wᵢ) over them in
that order).
"""

from __future__ import annotations

from collections.abc import Callable, ItemsView, Iterator, KeysView, ValuesView
from dataclasses import dataclass
from itertools import repeat
from typing import Any, overload

import numpy as np
import numpy.typing as npt
import pandas as pd

from lernnetz.graph.analytics.places import Evidence

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
WeightOf = Callable[[str, float, str], float]
PerTopic = dict[str, list[Evidence]]


@dataclass(slots=True)
class EvidenceRows:
    """Participation evidence as columns.

    The *value rows* hold what the tables gave, as given: first one per interest, then one per
    attendance and focus topic; ``kind``, ``source``, ``date``, ``event`` and ``weight`` are
    indexed by them (formatted only when an item is made). The *rows* are the value rows of
    Gemeinden in the register, ordered by position (stably): ``pos``, ``topic`` (an index into
    ``topics``, which are sorted) and ``at`` (the value row). ``extra`` holds ready-made items
    (other-programme evidence of Gemeinden) by position; ``names`` and ``labels`` are the
    context's Gemeinde names and topic labels (for the reasons).
    """

    pos: IntArray
    topic: IntArray
    at: IntArray
    n_interest: int  # value rows below are interests, the others attended events' focus topics
    kind: list[Any]
    source: list[Any]
    date: list[Any]
    event: list[Any]
    weight: npt.NDArray[np.float64]
    topics: list[str]
    names: list[str]
    labels: dict[str, str]
    extra: dict[int, PerTopic]
    positions: IntArray  # every position with evidence (rows or extra), ascending

    def has(self, pos: object) -> bool:
        if not isinstance(pos, int | np.integer) or isinstance(pos, bool):
            return False
        at = int(np.searchsorted(self.positions, pos))
        return at < len(self.positions) and int(self.positions[at]) == pos

    def kept(self, keep: Callable[[str], bool]) -> EvidenceRows:
        """The rows and ready-made items whose kind (as an item has it) ``keep`` accepts."""
        ok = {k: keep(str(k)) for k in dict.fromkeys(self.kind)}
        kept_value = np.fromiter(map(ok.__getitem__, self.kind), dtype=bool, count=len(self.kind))
        sel = np.flatnonzero(kept_value[self.at])
        extra: dict[int, PerTopic] = {}
        for p, per in self.extra.items():
            if mine := {t: kept for t, items in per.items() if (kept := [e for e in items if keep(e.kind)])}:
                extra[p] = mine
        pos = self.pos[sel]
        return EvidenceRows(
            pos=pos, topic=self.topic[sel], at=self.at[sel], n_interest=self.n_interest, kind=self.kind,
            source=self.source, date=self.date, event=self.event, weight=self.weight, topics=self.topics,
            names=self.names, labels=self.labels, extra=extra,
            positions=_sorted_union(pos, list(extra)),
        )  # fmt: skip

    def at_position(self, pos: int) -> PerTopic:
        """A position's items per topic (topics sorted; several items sorted and de-duplicated)."""
        lo = int(np.searchsorted(self.pos, pos))
        hi = int(np.searchsorted(self.pos, pos, side="right"))
        per: PerTopic = {}
        for e in self.items(np.arange(lo, hi)):
            got = per.get(e.topic)
            if got is None:
                per[e.topic] = [e]
            else:
                got.append(e)
        for t, more in self.extra.get(pos, {}).items():
            per.setdefault(t, []).extend(more)
        if not per:
            raise KeyError(pos)
        return {t: sorted(set(v)) if len(v) > 1 else v for t, v in sorted(per.items())}

    def items(self, rows: IntArray) -> list[Evidence]:
        """The items of the given rows, in their order."""
        names, labels, topics, n_interest = self.names, self.labels, self.topics, self.n_interest
        kind, source, date, event = self.kind, self.source, self.date, self.event
        at = self.at[rows]
        out = []
        for i, c, r, w in zip(self.pos[rows].tolist(), self.topic[rows].tolist(), at.tolist(),
                              self.weight[at].tolist(), strict=True):  # fmt: skip
            t, k, src, dt_, e = topics[c], kind[r], source[r], date[r], event[r]
            if r < n_interest:
                why = f"{names[i]}: {k} interest in {labels.get(t, t)} ({dt_}), source {src}"
                out.append(Evidence(t, "interest", str(k), str(src), str(dt_), str(e or ""), w, "", why))
            else:
                why = f"{names[i]}: {k} event {e} ({dt_}) with focus {labels.get(t, t)}, source {src}"
                out.append(Evidence(t, "event", str(k), str(src), str(dt_), str(e), 1.0, "", why))
        return out


class EvidenceByPlace(dict[int, PerTopic]):
    """Evidence per position and topic (see module docstring): behaves as the full ``dict``
    (``in``, ``len``, iteration in position order, ``get``, ``items`` …), but a position's
    items are made on its first access. Pickled as its rows only; holds no reference cycle."""

    __slots__ = ("rows",)

    def __init__(self, rows: EvidenceRows, made: dict[int, PerTopic] | None = None) -> None:
        super().__init__(made or {})
        self.rows = rows

    def __missing__(self, pos: int) -> PerTopic:
        if not self.rows.has(pos):
            raise KeyError(pos)
        per = self.rows.at_position(int(pos))
        self[int(pos)] = per
        return per

    def __reduce__(self) -> tuple[Any, ...]:
        return (EvidenceByPlace, (self.rows,))

    def __contains__(self, pos: object) -> bool:
        return self.rows.has(pos)

    def __iter__(self) -> Iterator[int]:
        return iter(self.rows.positions.tolist())

    def __len__(self) -> int:
        return len(self.rows.positions)

    def __repr__(self) -> str:
        return f"EvidenceByPlace({len(self)} places, {len(self.rows.pos)} rows)"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, dict) and dict(self.items()) == dict(other.items())

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None  # unhashable, as a dict

    def keys(self) -> KeysView[int]:  # type: ignore[override]
        return KeysView(self)

    def values(self) -> ValuesView[PerTopic]:  # type: ignore[override]
        return ValuesView(self)

    def items(self) -> ItemsView[int, PerTopic]:  # type: ignore[override]
        return ItemsView(self)

    def copy(self) -> dict[int, PerTopic]:
        return dict(self.items())

    @overload
    def get(self, pos: int, default: None = None, /) -> PerTopic | None: ...
    @overload
    def get(self, pos: int, default: PerTopic, /) -> PerTopic: ...
    @overload
    def get(self, pos: int, default: Any, /) -> Any: ...
    def get(self, pos: int, default: Any = None, /) -> Any:
        return self[pos] if self.rows.has(pos) else default


def evidence_rows(
    interests: pd.DataFrame,
    attendances: pd.DataFrame,
    event_topics: dict[str, list[str]],
    pos_of: dict[str, int],
    names: list[str],
    topic_labels: dict[str, str],
    extra: dict[int, PerTopic],
) -> EvidenceRows:
    """The rows of the interests (columns ags, topic, kind, date, source, weight, event_id) and
    of the attendances (ags, event_id, kind, date, source) × their events' focus topics (sorted,
    distinct), of Gemeinden in ``pos_of``; ``extra``: ready-made items by position."""
    get = pos_of.get
    n_i = len(interests)
    ipos = np.fromiter(map(get, map(str, interests["ags"].tolist()), repeat(-1)), dtype=np.int64, count=n_i)
    itopic = list(map(str, interests["topic"].tolist()))
    kind, source, date, event = (interests[c].tolist() for c in ("kind", "source", "date", "event_id"))
    weight = interests["weight"].to_numpy(dtype=np.float64, copy=True)
    # attendances: one value row per focus topic of the event
    a_pos: list[int] = []
    a_topic: list[str] = []
    a_at: list[int] = []  # the attendance row
    focus = {e: sorted(set(ts)) for e, ts in event_topics.items()}
    for r, (a, e) in enumerate(
        zip(attendances["ags"].tolist(), attendances["event_id"].tolist(), strict=True)
    ):
        i = get(str(a))
        if i is None:
            continue
        for t in focus.get(str(e), ()):
            a_pos.append(i)
            a_topic.append(t)
            a_at.append(r)
    if a_at:
        for values, c in ((kind, "kind"), (source, "source"), (date, "date"), (event, "event_id")):
            col = attendances[c].tolist()
            values.extend([col[r] for r in a_at])
        weight = np.concatenate([weight, np.ones(len(a_at), dtype=np.float64)])
    topics = sorted(set(itopic) | set(a_topic) | {t for per in extra.values() for t in per})
    code = {t: c for c, t in enumerate(topics)}
    every = np.concatenate([ipos, np.array(a_pos, dtype=np.int64)])
    tcode = np.fromiter(map(code.__getitem__, itopic + a_topic), dtype=np.int64, count=len(every))
    placed = np.flatnonzero(every >= 0)
    at = placed[np.argsort(every[placed], kind="stable")]
    pos = every[at]
    positions = _sorted_union(pos, list(extra))
    return EvidenceRows(
        pos=pos, topic=tcode[at], at=at, n_interest=n_i, kind=kind, source=source, date=date, event=event,
        weight=weight, topics=topics, names=names, labels=topic_labels, extra=extra, positions=positions,
    )  # fmt: skip


def _sorted_union(ascending: IntArray, more: list[int]) -> IntArray:
    """The distinct values of an ascending array and a few more, ascending (``np.union1d``
    without hashing or sorting the large array: 10 ms less on 100,000 values)."""
    distinct = ascending[np.r_[True, ascending[1:] != ascending[:-1]]] if len(ascending) else ascending
    extra = np.array(sorted(set(more)), dtype=np.int64)
    extra = extra[~np.isin(extra, distinct)] if len(extra) else extra
    if not len(extra):
        return distinct.astype(np.int64)
    out = np.concatenate([distinct, extra]).astype(np.int64)
    out.sort(kind="stable")
    return out


def _effective_weights(rows: EvidenceRows, weight_of: WeightOf) -> npt.NDArray[np.float64]:
    """``weight_of(kind, weight, via)`` of every value row, called once per distinct triple."""
    n = len(rows.kind)
    if n == 0:
        return np.zeros(0, dtype=np.float64)
    kinds = {k: i for i, k in enumerate(dict.fromkeys(rows.kind))}
    kcode = np.fromiter(map(kinds.__getitem__, rows.kind), dtype=np.int64, count=n)
    via = (np.arange(n) >= rows.n_interest).astype(np.int64)
    winv, wu = pd.factorize(rows.weight, use_na_sentinel=False)  # hashing: faster than np.unique
    combo = (kcode * 2 + via) * len(wu) + winv
    cinv, cu = pd.factorize(combo)
    first = list(kinds)
    w_of = [
        weight_of(str(first[k // 2]), float(wu[w]), ("interest", "event")[k % 2])
        for k, w in (divmod(int(x), len(wu)) for x in cu.tolist())
    ]
    out: npt.NDArray[np.float64] = np.asarray(w_of, dtype=np.float64)[cinv]
    return out


def evidence_strength(
    rows: EvidenceRows, n: int, weight_of: WeightOf
) -> tuple[EvidenceByPlace, dict[int, dict[str, float]], dict[str, BoolArray], BoolArray]:
    """The evidence per position (made on demand), its strength 1 − Π(1 − wᵢ) per position and
    topic, and per topic (and for any topic) which of the ``n`` positions have evidence."""
    n_topics = max(1, len(rows.topics))
    key = rows.pos * n_topics + rows.topic
    order = np.argsort(key, kind="stable")
    sk = key[order]
    first = np.flatnonzero(np.r_[True, sk[1:] != sk[:-1]]) if len(sk) else np.zeros(0, dtype=np.int64)
    count = np.diff(np.r_[first, len(sk)]).astype(np.int64)
    gkey = sk[first]
    # one piece: 1 − (1 − w), as 1 − Π(1 − wᵢ) over one item
    value = 1.0 - (1.0 - _effective_weights(rows, weight_of)[rows.at[order[first]]])
    code = {t: c for c, t in enumerate(rows.topics)}
    extra_keys = np.array(
        [p * n_topics + code[t] for p, per in rows.extra.items() for t in per], dtype=np.int64
    )
    skeys = _sorted_union(gkey, extra_keys.tolist())
    svals = np.empty(len(skeys), dtype=np.float64)
    svals[np.searchsorted(skeys, gkey)] = value
    # several pieces, or other-programme items too: the items made (in one pass) and combined
    with_extra = np.zeros(len(gkey), dtype=bool)  # the groups with other-programme items too
    at = np.minimum(np.searchsorted(gkey, extra_keys), max(0, len(gkey) - 1))
    if len(gkey):
        with_extra[at[gkey[at] == extra_keys]] = True
    slow = np.flatnonzero((count > 1) | with_extra)
    starts, counts = first[slow], count[slow]
    idx = np.repeat(starts - np.r_[0, np.cumsum(counts)[:-1]], counts) + np.arange(int(counts.sum()))
    made = iter(rows.items(order[idx]))
    pieces = {
        k: [next(made) for _ in range(c)] for k, c in zip(gkey[slow].tolist(), counts.tolist(), strict=True)
    }
    for k in extra_keys.tolist():
        p, c = divmod(k, n_topics)
        pieces.setdefault(k, []).extend(rows.extra[p][rows.topics[c]])
    cache: dict[tuple[str, float, str], float] = {}
    for k, items in pieces.items():
        prod = 1.0
        for e in sorted(set(items)) if len(items) > 1 else items:
            w = cache.get((e.kind, e.weight, e.via))
            if w is None:
                w = cache[(e.kind, e.weight, e.via)] = weight_of(e.kind, e.weight, e.via)
            prod *= 1.0 - w
        svals[np.searchsorted(skeys, k)] = 1.0 - prod
    spos, scode = skeys // n_topics, skeys % n_topics
    strength: dict[int, dict[str, float]] = {}
    topics = rows.topics
    last, st = -1, {}
    for p, c, s in zip(spos.tolist(), scode.tolist(), svals.tolist(), strict=True):
        if p != last:
            st = strength[p] = {}
            last = p
        st[topics[c]] = s
    has_topic: dict[str, BoolArray] = {}
    for c, t in enumerate(topics):
        where = spos[scode == c]
        if len(where):
            has_topic[t] = np.zeros(n, dtype=bool)
            has_topic[t][where] = True
    has_any = np.zeros(n, dtype=bool)
    has_any[spos] = True
    return EvidenceByPlace(rows), strength, has_topic, has_any
