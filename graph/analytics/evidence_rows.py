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

from collections.abc import Callable, ItemsView, Iterator, KeysView, Sequence, ValuesView
from dataclasses import dataclass
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from lernnetz.graph.analytics.places import Evidence

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
WeightOf = Callable[[str, float, str], float]
PerTopic = dict[str, list[Evidence]]

#: Row kinds (the ``via`` column): an interest, a focus topic of an attended event.
_INTEREST, _EVENT = 0, 1


@dataclass(slots=True)
class EvidenceRows:
    """Participation evidence as columns, one row per piece, ordered by position (stably).

    ``kind``, ``source``, ``date`` and ``event`` are indexes into ``values`` (the distinct raw
    values, formatted only when an item is made); ``topic`` into ``topics`` (sorted);
    ``extra`` holds ready-made items (other-programme evidence of Gemeinden) by position.
    ``names`` and ``labels`` are the context's Gemeinde names and topic labels (for reasons).
    """

    pos: IntArray
    topic: IntArray
    via: npt.NDArray[np.int8]
    kind: IntArray
    source: IntArray
    date: IntArray
    event: IntArray
    weight: npt.NDArray[np.float64]
    values: list[Any]
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

    def at(self, pos: int) -> PerTopic:
        """A position's items per topic (topics sorted; several items sorted and de-duplicated)."""
        lo = int(np.searchsorted(self.pos, pos))
        hi = int(np.searchsorted(self.pos, pos, side="right"))
        per: PerTopic = {}
        for e in self.items(lo, hi):
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

    def items(self, lo: int, hi: int) -> list[Evidence]:
        """The items of rows ``lo`` … ``hi - 1``."""
        v, names, labels, topics = self.values, self.names, self.labels, self.topics
        out = []
        for i, c, via, k, src, dt_, e, w in zip(
            self.pos[lo:hi].tolist(), self.topic[lo:hi].tolist(), self.via[lo:hi].tolist(),
            [v[x] for x in self.kind[lo:hi].tolist()], [v[x] for x in self.source[lo:hi].tolist()],
            [v[x] for x in self.date[lo:hi].tolist()], [v[x] for x in self.event[lo:hi].tolist()],
            self.weight[lo:hi].tolist(), strict=True,
        ):  # fmt: skip
            t = topics[c]
            if via == _INTEREST:
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
        per = self.rows.at(int(pos))
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


def _codes(columns: Sequence[list[Any]], index: dict[Any, int]) -> list[IntArray]:
    """Each column as indexes into the distinct values (``index``: value → index, filled)."""
    out = []
    for col in columns:
        out.append(np.array([index.setdefault(x, len(index)) for x in col], dtype=np.int64))
    return out


def evidence_rows(
    interests: dict[str, list[Any]],
    attendances: dict[str, list[Any]],
    event_topics: dict[str, list[str]],
    pos_of: dict[str, int],
    names: list[str],
    topic_labels: dict[str, str],
    extra: dict[int, PerTopic],
) -> EvidenceRows:
    """The rows of the interests (columns ags, topic, kind, date, source, weight, event_id) and
    of the attendances (ags, event_id, kind, date, source) × their events' focus topics, of
    Gemeinden in ``pos_of``; ``extra``: ready-made items by position (other programmes)."""
    get = pos_of.get
    ipos = [get(str(a), -1) for a in interests["ags"]]
    # attendances: one row per focus topic of the event (sorted, distinct), as the items were made
    a_pos: list[int] = []
    a_topic: list[str] = []
    a_at: list[int] = []  # the attendance row
    focus = {e: sorted(set(ts)) for e, ts in event_topics.items()}
    for r, (a, e) in enumerate(zip(attendances["ags"], attendances["event_id"], strict=True)):
        i = get(str(a))
        if i is None:
            continue
        for t in focus.get(str(e), ()):
            a_pos.append(i)
            a_topic.append(t)
            a_at.append(r)
    ipos_a = np.array(ipos, dtype=np.int64)
    keep = np.flatnonzero(ipos_a >= 0)
    all_keep = len(keep) == len(ipos)

    def kept(col: list[Any]) -> list[Any]:
        return col if all_keep else [col[r] for r in keep.tolist()]

    itopic = [str(t) for t in kept(interests["topic"])]
    topics = sorted(set(itopic) | set(a_topic) | {t for per in extra.values() for t in per})
    code = {t: c for c, t in enumerate(topics)}
    index: dict[Any, int] = {}
    i_kind, i_source, i_date, i_event = _codes([kept(interests[c]) for c in ("kind", "source", "date", "event_id")],
                                               index)  # fmt: skip
    a_cols = [[attendances[c][r] for r in a_at] for c in ("kind", "source", "date")]
    a_kind, a_source, a_date = _codes(a_cols, index)
    a_event = _codes([[attendances["event_id"][r] for r in a_at]], index)[0]
    n_i = len(keep)
    pos = np.concatenate([ipos_a[keep], np.array(a_pos, dtype=np.int64)])
    order = np.argsort(pos, kind="stable")
    weight = np.concatenate(
        [np.asarray(kept(interests["weight"]), dtype=np.float64), np.ones(len(a_pos), dtype=np.float64)]
    )
    topic = np.array([code[t] for t in itopic] + [code[t] for t in a_topic], dtype=np.int64)
    via = np.concatenate([np.zeros(n_i, dtype=np.int8), np.ones(len(a_pos), dtype=np.int8)])
    positions = np.union1d(pos, np.array(sorted(extra), dtype=np.int64)).astype(np.int64)
    return EvidenceRows(
        pos=pos[order], topic=topic[order], via=via[order],
        kind=np.concatenate([i_kind, a_kind])[order], source=np.concatenate([i_source, a_source])[order],
        date=np.concatenate([i_date, a_date])[order], event=np.concatenate([i_event, a_event])[order],
        weight=weight[order], values=list(index), topics=topics, names=names, labels=topic_labels,
        extra=extra, positions=positions,
    )  # fmt: skip


def evidence_strength(
    rows: EvidenceRows, n: int, weight_of: WeightOf
) -> tuple[EvidenceByPlace, dict[int, dict[str, float]], dict[str, BoolArray], BoolArray]:
    """The evidence per position (made on demand), its strength 1 − Π(1 − wᵢ) per position and
    topic, and per topic (and for any topic) which of the ``n`` positions have evidence."""
    n_topics = max(1, len(rows.topics))
    key = rows.pos * n_topics + rows.topic  # rows are by position: sorted by key within each
    order = np.argsort(key, kind="stable")
    sk = key[order]
    first = np.flatnonzero(np.r_[True, sk[1:] != sk[:-1]]) if len(sk) else np.zeros(0, dtype=np.int64)
    count = np.diff(np.r_[first, len(sk)])
    gkey = sk[first]
    # the effective weight of each row, from its few distinct (kind, via, weight)
    wu, winv = np.unique(rows.weight, return_inverse=True)
    combo = (rows.kind * 2 + rows.via) * max(1, len(wu)) + winv.reshape(-1)
    cu, cinv = np.unique(combo, return_inverse=True)
    via_name = ("interest", "event")
    w_of = np.array(
        [weight_of(str(rows.values[k // 2]), float(wu[w]), via_name[k % 2])
         for k, w in (divmod(int(x), max(1, len(wu))) for x in cu)],
        dtype=np.float64,
    )  # fmt: skip
    w_eff = w_of[cinv.reshape(-1)] if len(cu) else np.zeros(0, dtype=np.float64)
    value = 1.0 - (1.0 - w_eff[order[first]])  # one piece: as 1 − Π(1 − wᵢ)
    # (position, topic) with several pieces or other-programme items: item by item
    code = {t: c for c, t in enumerate(rows.topics)}
    extra_keys = [p * n_topics + code[t] for p, per in rows.extra.items() for t in per]
    skeys = np.union1d(gkey, np.array(extra_keys, dtype=np.int64)).astype(np.int64)
    svals = np.empty(len(skeys), dtype=np.float64)
    svals[np.searchsorted(skeys, gkey)] = value
    slow = np.union1d(gkey[count > 1], np.array(extra_keys, dtype=np.int64)).astype(np.int64)
    made: dict[int, PerTopic] = {}
    cache: dict[tuple[str, float, str], float] = {}
    for k in slow.tolist():
        p, c = divmod(k, n_topics)
        per = made.get(p)
        if per is None:
            per = made[p] = rows.at(p)
        prod = 1.0
        for e in per[rows.topics[c]]:
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
    return EvidenceByPlace(rows, made), strength, has_topic, has_any
