"""The ``min_evidence`` option every analytic takes: count only evidence of a given kind or stronger.

``min_evidence`` names the weakest kind of evidence that still counts, by the kind weights of
:mod:`lernnetz.graph.analytics.context` (other-programme participation 0.4, survey and other
kinds 0.5, registered 0.75, attended and peer-learning 1.0): ``"survey"`` drops the
other-programme evidence; ``"registered"`` keeps registrations, attendances and peer-learning
and drops survey answers too; ``"attended"`` keeps only attendances and peer-learning;
``None``, ``"any"`` or ``"programme"`` keeps everything (the default). A number in [0, 1] is
the kind-weight threshold itself. A municipality whose evidence for a topic is all dropped no
longer has the topic; the same holds for a Kreis or Verband candidate (a place left with no
evidence is no candidate).
"""

from __future__ import annotations

import dataclasses
import threading

from lernnetz.graph.analytics.context import _Context
from lernnetz.graph.analytics.evidence_rows import evidence_strength
from lernnetz.graph.analytics.params import DEFAULT_KIND_WEIGHT, KIND_WEIGHTS, _evidence_weight
from lernnetz.graph.analytics.places import Evidence, Place, combine
from lernnetz.graph.errors import InvalidArgument

#: Accepted names, weakest first.
MIN_EVIDENCE_LEVELS: dict[str, float] = {
    "any": 0.0,
    **dict(sorted(KIND_WEIGHTS.items(), key=lambda kv: kv[1])),
}

_VIEWS: dict[tuple[int, float], tuple[_Context, _Context]] = {}
_LOCK = threading.Lock()


def evidence_threshold(min_evidence: str | float | None) -> float:
    """The kind-weight threshold for a ``min_evidence`` value (0.0 = every piece counts)."""
    if min_evidence is None:
        return 0.0
    if isinstance(min_evidence, str):
        key = min_evidence.strip().lower()
        if key in MIN_EVIDENCE_LEVELS:
            return MIN_EVIDENCE_LEVELS[key]
        try:
            value = float(key)
        except ValueError:
            raise InvalidArgument(
                f"min_evidence must be one of {', '.join(MIN_EVIDENCE_LEVELS)} or a number in [0, 1] "
                f"(got {min_evidence!r})",
                hint="e.g. min_evidence=registered counts registrations, attendances and peer-learning only",
            ) from None
    else:
        value = float(min_evidence)
    if not 0.0 <= value <= 1.0:
        raise InvalidArgument(f"min_evidence must be in [0, 1] (got {min_evidence!r})")
    return value


def _kept(items: list[Evidence], threshold: float) -> list[Evidence]:
    return [e for e in items if KIND_WEIGHTS.get(e.kind, DEFAULT_KIND_WEIGHT) >= threshold]


def with_min_evidence(ctx: _Context, min_evidence: str | float | None) -> _Context:
    """The context with only the evidence of at least ``min_evidence`` (the same object when
    everything counts). Views are cached per context and threshold."""
    threshold = evidence_threshold(min_evidence)
    if threshold <= 0.0:
        return ctx
    key = (id(ctx), threshold)
    with _LOCK:
        hit = _VIEWS.get(key)
        if hit is not None and hit[0] is ctx:
            return hit[1]
    # the Gemeinden's evidence from the kept rows (no item made): the items of a (Gemeinde, topic)
    # are then the kept ones of its items, in their order, and so are the strengths
    rows = ctx.evidence.rows.kept(lambda kind: KIND_WEIGHTS.get(kind, DEFAULT_KIND_WEIGHT) >= threshold)
    evidence, strength, has_topic, has_any = evidence_strength(rows, len(ctx.ags), _evidence_weight)
    places: dict[str, Place] = {}
    for place_key, place in ctx.places.items():
        kept_of = {t: kept for t, items in place.evidence.items() if (kept := _kept(items, threshold))}
        if kept_of:
            places[place_key] = dataclasses.replace(
                place,
                evidence=kept_of,
                strength={t: combine(v, _evidence_weight) for t, v in kept_of.items()},
            )
    view = dataclasses.replace(
        ctx,
        evidence=evidence,
        strength=strength,
        has_topic=has_topic,
        has_any=has_any,
        masks={},
        places=places,
        topic_parts={},
        place_arrays={},
    )
    with _LOCK:
        if len(_VIEWS) > 8:
            _VIEWS.clear()
        _VIEWS[key] = (ctx, view)
    return view
