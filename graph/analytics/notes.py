"""Why an answer is empty, and what would help: the ``notes`` of an empty result.

Every analytic that can return no rows (``matches``, ``white_spots``, ``plan_events``,
``learning_networks``) puts a list of sentences into ``df.attrs["notes"]`` (or the
result's ``notes``); the CLI prints them and the API returns them as ``notes``. Each note
says what was missing and names the option or the data that would help.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

IMPORT_HINT = "import a participation list (`lernnetz import participation FILE`)"


def _has_participation(ctx: Any) -> bool:
    """Whether any evidence comes from a participation list (interests, attendances), not other
    programmes (stops at the first: an empty answer's notes no longer count every item)."""
    return any(e.via != "programme" for per in ctx.evidence.values() for items in per.values() for e in items)


def data_notes(ctx: Any, min_evidence: str | float | None = None) -> list[str]:
    """What the loaded evidence is made of, when that explains an empty answer; with a
    ``min_evidence`` that drops evidence, that it does (the view no longer shows the rest)."""
    from lernnetz.graph.analytics.min_evidence import evidence_threshold

    if evidence_threshold(min_evidence) > 0.0:
        return [
            f"Only evidence of kind {min_evidence} or stronger counts (--min-evidence): weaker kinds, such as "
            "other-programme participation (0.4) or survey answers (0.5), are left out. Lower or drop "
            "--min-evidence to count them."
        ]
    if _has_participation(ctx):
        return []
    return [
        "No participation list is loaded (no interests or attendances, not even synthetic demo data): only "
        "the curated other-programme evidence in data/programme_participation.csv counts. "
        f"To see more candidates, {IMPORT_HINT}."
    ]


def _topics(ctx: Any, wanted: Sequence[str] | None) -> str:
    if not wanted:
        return "any topic"
    return ", ".join(ctx.topic_labels.get(t, t) for t in wanted)


def match_notes(
    ctx: Any,
    region: str,
    radius_km: float,
    wanted: Sequence[str] | None,
    projects: str,
    funded_means: str,
    *,
    n_candidates: int,
    n_funded_excluded: int,
    offered: frozenset[str],
    funded_any: Any,
    min_evidence: str | float | None = None,
) -> list[str]:
    """Notes for an empty ``matches`` answer."""
    notes: list[str] = []
    where = f"within {radius_km:g} km of {region}"
    if n_candidates == 0:
        notes.append(
            f"No non-funded Gemeinde, Verband or Kreis {where} has evidence of {_topics(ctx, wanted)}. "
            f"Widen the radius (--radius-km), or {IMPORT_HINT}."
        )
    elif not offered:
        scope = f"near {region} (within {radius_km:g} km)" if projects == "near" else "at all"
        notes.append(
            f"No model project {scope} addresses {_topics(ctx, wanted)}. "
            + ("Consider every project (--projects all) or widen the radius." if projects == "near" else "")
        )
    else:
        notes.append(
            f"{n_candidates} non-funded place(s) {where} have evidence, but none of their topics is addressed "
            "by a considered project. "
            + (
                "Consider every project (--projects all)"
                if projects == "near"
                else "Drop the --topics filter"
            )
            + " or widen the radius."
        )
    if n_funded_excluded and funded_means != "member":
        n_any = int(np.count_nonzero(funded_any))
        notes.append(
            f"{n_any} funded Gemeinde(n) {where} with evidence are left out as funded (--funded-means "
            f"{funded_means}); --funded-means member keeps those funded only through their Verband or Kreis."
        )
    return notes + data_notes(ctx, min_evidence)


def topic_notes(
    ctx: Any,
    what: str,
    topic: str,
    radius_km: float,
    *,
    interested: int,
    hosts: int,
    min_evidence: str | float | None = None,
) -> list[str]:
    """Notes for an empty ``white_spots`` or ``plan_events`` answer on one topic."""
    label = ctx.topic_labels.get(topic, topic)
    notes: list[str] = []
    if interested == 0:
        notes.append(f"No place has evidence of {label}, so there is nothing to {what}. {IMPORT_HINT[0].upper()}"
                     f"{IMPORT_HINT[1:]}, or choose another topic.")  # fmt: skip
    elif what == "plan events for" and hosts == 0:
        notes.append(f"No model project addresses {label}, so none can host an event on it.")
    elif what == "plan events for":
        notes.append(
            f"No host project addressing {label} lies within {radius_km:g} km of the {interested} interested "
            "non-funded place(s). Widen the radius (--radius-km)."
        )
    else:
        notes.append(
            f"All {interested} place(s) with evidence of {label} have a project addressing it within "
            f"{radius_km:g} km: no white spot. Narrow the radius (--radius-km) to see the farther ones."
        )
    return notes + data_notes(ctx, min_evidence)


def network_notes(
    ctx: Any,
    region: str,
    radius_km: float,
    reason_codes: Sequence[str],
    hubs: bool,
    min_evidence: str | float | None = None,
) -> list[str]:
    """Notes for ``learning_networks`` without a group (``reason_codes`` of the unassigned)."""
    unassigned = len(reason_codes)
    too_few = sum(1 for c in reason_codes if c in ("below-minimum", "spread"))
    if not hubs:
        note = (
            f"No model project within {radius_km:g} km of {region} addresses a topic of the candidates there "
            "(or the chosen topic). Widen the radius (--radius-km) or choose another topic."
        )
    elif too_few:
        note = (
            f"{too_few} candidate(s) near {region} have a project within {radius_km:g} km sharing a topic, but "
            "too few of them lie within reach of each other to form a group of the minimum size (see "
            "`unassigned`). Lower the minimum (--min-size) or widen the radius (--radius-km)."
        )
    elif unassigned:
        note = (
            f"{unassigned} candidate(s) near {region} have evidence, but no project within {radius_km:g} km "
            "shares their topics (see `unassigned`). Widen the radius (--radius-km)."
        )
    else:
        note = (
            f"No non-funded Gemeinde, Verband or Kreis within {radius_km:g} km of {region} has evidence "
            f"(of the chosen topic). Widen the radius (--radius-km), or {IMPORT_HINT}."
        )
    return [note, *data_notes(ctx, min_evidence)]
