"""The analytics' parameters: evidence weights, distance half-lives, size classes and result columns.

Holds the tunable numbers every analytic shares (the evidence kind weights and
:func:`_evidence_weight`, which turns one interest, attendance or programme row into a weight in
[0, 1]; the distance half-lives of ``matches``/``learning_networks`` and ``recommend``; the MPSC size
classes; the score rounding), the fixed column lists of the result frames, and the numpy array
aliases. It imports nothing from the rest of the package, so any analytics module can use it; the
meaning of the weights is documented in :mod:`lernnetz.graph.analytics.context`.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

#: Evidence kind → weight. ``programme``: participation in another programme (sourced, but
#: activity outside the KTS: weaker than attending (1.0) or registering for (0.75) a KTS event,
#: and than a survey answer (0.5)). ``min_evidence`` ranks the kinds by these weights:
#: programme < survey < registered < attended = peer-learning (``min_evidence="survey"``
#: excludes programme evidence; ``"programme"`` or ``"any"`` keeps everything).
KIND_WEIGHTS: dict[str, float] = {
    "attended": 1.0,
    "peer-learning": 1.0,
    "registered": 0.75,
    "survey": 0.5,
    "programme": 0.4,
}
DEFAULT_KIND_WEIGHT = 0.5
EVENT_FOCUS_FACTOR = 0.8
#: ``matches``/``learning_networks``: the distance decay halves every 30 km.
MATCH_HALF_LIFE_KM = 30.0
#: ``recommend``: the distance score halves every 50 km.
RECOMMEND_HALF_LIFE_KM = 50.0
RECOMMEND_WEIGHTS = {"topic": 0.6, "distance": 0.3, "size": 0.1}
#: Size classes of the MPSC competition: Großstadt ≥ 100,000, Mittelstadt ≥ 20,000, else Kleinstadt/Landgemeinde.
SIZE_CLASSES = (("GS", 100_000), ("MS", 20_000), ("KL", 0))
SIZE_LABELS = {
    "GS": "Großstadt",
    "MS": "Mittelstadt",
    "KL": "Kleinstadt/Landgemeinde",
    "IK": "Interkommunal/Landkreis",
}
STABILITY_SEEDS = 10
#: learning networks: candidate–candidate edges to this many nearest fellow candidates.
PEER_NEIGHBOURS = 8
SCORE_DECIMALS = 6

MATCH_COLUMNS = [
    "ags", "name", "district", "state", "population", "distance_km", "shared_topics", "projects",
    "evidence", "score", "score_components", "lat", "lon", "level", "funded_as", "funded_confidence",
    "funded_members", "reasons",
]  # fmt: skip

RECOMMEND_COLUMNS = [
    "section", "rank", "project_id", "name", "round", "category", "score", "topic_score", "distance_km",
    "distance_score", "size_score", "shared_topics", "reasons", "project_status",
]  # fmt: skip
GROUP_COLUMNS = [
    "group_id", "hub_project", "hub_name", "topic", "topics", "size", "members", "evidence", "max_member_km",
    "max_hub_km",
]  # fmt: skip
MEMBER_COLUMNS = [
    "group_id", "ags", "name", "role", "distance_km", "shared_topics", "population", "funded", "lat", "lon",
    "level",
]  # fmt: skip
UNASSIGNED_COLUMNS = ["ags", "name", "reason_code", "reason", "level"]
WHITE_SPOT_COLUMNS = [
    "ags", "name", "district", "state", "population", "interest_weight", "nearest_project",
    "nearest_project_km", "lat", "lon", "level",
]  # fmt: skip
WHITE_SPOT_DISTRICT_COLUMNS = ["district_key", "district", "state", "municipalities", "population"]
HOST_COLUMNS = ["rank", "project_id", "name", "newly_covered", "covered_total", "lat", "lon"]
#: ``level``: gemeinde, or verband/kreis for a Kreis or Verband candidate (its key in ``ags``).
COVERAGE_COLUMNS = ["ags", "name", "host_project", "distance_km", "level"]
UNCOVERED_COLUMNS = ["ags", "name", "nearest_project", "nearest_project_km", "level"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def _evidence_weight(kind: str, weight: float, via: str) -> float:
    w = KIND_WEIGHTS.get(kind, DEFAULT_KIND_WEIGHT) * float(weight)
    if via == "event":
        w *= EVENT_FOCUS_FACTOR
    return min(1.0, max(0.0, w))
