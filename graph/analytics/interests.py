"""``interest_rows``: every recorded interest, of Gemeinden, Kreise and Verbände, with its subject.

One row per INTERESTED_IN edge: ``level`` (``gemeinde``, ``verband`` or ``kreis``), ``key`` (the
8-digit AGS, the 9-digit Verband key or the 5-digit Kreis key), ``name`` (the register's name),
the topic and the edge's provenance (kind, date, source, weight, event id). A Kreis or Verband
named in a participation list keeps its own rows here; the analytics that rank Gemeinden
(matches, recommend, learning networks, white spots, event plans) count only Gemeinde rows
and never spread a Kreis's interest onto its Gemeinden.
"""

from __future__ import annotations

import pandas as pd

from lernnetz.graph.errors import InvalidArgument
from lernnetz.graph.store import GraphStore

INTEREST_ROW_COLUMNS = ["level", "key", "name", "topic", "kind", "date", "source", "weight", "event_id"]
LEVELS = ("gemeinde", "verband", "kreis")


def place_names(store: GraphStore) -> dict[tuple[str, str], str]:
    """(level, key) → register name, for every Gemeinde, Verband and Kreis."""
    m = store.municipalities()
    names = {("gemeinde", str(a)): str(n) for a, n in zip(m["ags"], m["name"], strict=True)}
    for k, n in zip(m["association_key"], m["association_name"], strict=True):
        if k and n:
            names.setdefault(("verband", str(k)), str(n))
    d = store.districts()
    names.update({("kreis", str(k)): str(n) for k, n in zip(d["key"], d["name"], strict=True)})
    return names


def interest_rows(store: GraphStore, *, topic: str | None = None, level: str | None = None) -> pd.DataFrame:
    """Every interest with the level, key and name of its subject, ordered by level (Gemeinde,
    Verband, Kreis), key, topic, kind, date, source; ``topic`` (slug or label) and ``level`` filter.
    ``df.attrs["counts"]`` holds the number of rows per level."""
    if level is not None and level not in LEVELS:
        raise InvalidArgument(f"level must be one of {', '.join(LEVELS)} (got {level!r})")
    slug = None
    if topic is not None:  # slug, label, synonym or close typo, as every analytic reads it
        from lernnetz.graph.analytics.context import _context

        slug = (_context(store).topic_args(topic) or [topic])[0]
    g = store.interests(topics=[slug] if slug else None)
    g = g.assign(level="gemeinde").rename(columns={"ags": "key"})
    lv = store.level_interests()
    if slug:
        lv = lv[lv["topic"] == slug]
    rows = pd.concat([g, lv], ignore_index=True) if len(lv) else g
    names = place_names(store)
    rows = rows.assign(
        name=[names.get((lvl, k), k) for lvl, k in zip(rows["level"], rows["key"], strict=True)]
    )
    rank = rows["level"].map({lv_: i for i, lv_ in enumerate(LEVELS)})
    rows = rows.assign(_rank=rank).sort_values(["_rank", "key", "topic", "kind", "date", "source", "event_id"],
                                               kind="mergesort")  # fmt: skip
    out = rows[INTEREST_ROW_COLUMNS].reset_index(drop=True)
    counts = {lv_: int((out["level"] == lv_).sum()) for lv_ in LEVELS}
    if level is not None:
        out = out[out["level"] == level].reset_index(drop=True)
    out.attrs["counts"] = counts
    return out
