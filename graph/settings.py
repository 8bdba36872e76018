"""Settings: every variable lernnetz reads, in one pydantic-settings class.

Environment variables (also read from a ``.env`` file in the working directory):

* ``LERNNETZ_DATA_DIR``: cache for downloaded reference data and the embedded
  snapshot (default: the platform's user cache dir, e.g. ``~/.cache/lernnetz``).
* ``LERNNETZ_CURATED_DIR``: the curated programme files (default: ``data/`` of the
  source tree, which an installed wheel does not contain — set it there; the Docker image
  does). ``lernnetz load`` says so when the folder is missing.
* ``LERNNETZ_BACKEND``: ``networkx`` (default, embedded) or ``neo4j``.
* ``NEO4J_URI``, ``NEO4J_USER``, ``NEO4J_PASSWORD`` (secret), ``NEO4J_DATABASE``.
* ``LERNNETZ_API_TOKEN`` (secret): bearer token for write endpoints of the API.
* ``LERNNETZ_CORS_ORIGINS``: comma-separated origins allowed by CORS.
* ``LERNNETZ_LOCK_TIMEOUT``: seconds a writer waits for another one (default 120); see
  :mod:`lernnetz.graph.writer`.
* ``LERNNETZ_API_CACHE``: ``1`` (default) lets the API cache rendered answers of the
  embedded store (keyed on the graph generation); ``0`` switches it off.
* ``LERNNETZ_HEAVY_CONCURRENCY`` (default 1): how many heavy analytics (learning networks,
  event plans, white spots, connections) one API process computes at once; more at the same
  time are answered 503 with ``Retry-After`` at once, never queued. One by default: on two cores
  a second heavy thread tripled ``/health``'s p99 under load (13–18 ms → 40–45 ms, measured).
* ``LERNNETZ_API_LANES`` (default 1): how many of the other answers (lookups, matches, tables)
  one API process computes at once on the embedded store; the rest wait their turn, first
  come first served. One by default: the computations hold the GIL, so more threads only share
  one core among the answers under way (every answer then takes as long as all of them, and a
  large one longer) and pay for the thread switches. ``0`` hands them to the shared thread pool
  as before. Neo4j answers always go to the pool (they mostly wait on the server).
* ``LERNNETZ_HEAVY_BUDGET_S`` (default 30): a heavy answer not ready within this many seconds
  is answered 503 with ``Retry-After`` (the computation finishes and is cached for the retry).
* ``LERNNETZ_HEAVY_MAX_PLACES`` (default 20000): a learning-network question over more
  Gemeinden than this (region plus radius) is refused with 422 and a hint to narrow it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Where the curated programme files live by default (``data/`` at the repository root).
CURATED_DIR = Path(__file__).resolve().parent.parent / "data"


class Settings(BaseSettings):
    """All lernnetz settings; see the module docstring for the variables."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_ignore_empty=True)

    data_dir: Path = Field(
        default_factory=lambda: Path(platformdirs.user_cache_dir("lernnetz")), alias="LERNNETZ_DATA_DIR"
    )
    curated_dir: Path = Field(default=CURATED_DIR, alias="LERNNETZ_CURATED_DIR")
    backend: Literal["networkx", "neo4j"] = Field(default="networkx", alias="LERNNETZ_BACKEND")
    neo4j_uri: str = Field(default="bolt://127.0.0.1:7687", alias="NEO4J_URI")
    neo4j_user: str = Field(default="neo4j", alias="NEO4J_USER")
    neo4j_password: SecretStr = Field(default=SecretStr(""), alias="NEO4J_PASSWORD")
    neo4j_database: str = Field(default="neo4j", alias="NEO4J_DATABASE")
    api_token: SecretStr = Field(default=SecretStr(""), alias="LERNNETZ_API_TOKEN")
    cors_origins: str = Field(default="", alias="LERNNETZ_CORS_ORIGINS")
    api_cache: bool = Field(default=True, alias="LERNNETZ_API_CACHE")
    lock_timeout_s: float = Field(default=120.0, ge=0, alias="LERNNETZ_LOCK_TIMEOUT")
    heavy_concurrency: int = Field(default=1, ge=1, le=64, alias="LERNNETZ_HEAVY_CONCURRENCY")
    api_lanes: int = Field(default=1, ge=0, le=64, alias="LERNNETZ_API_LANES")
    heavy_budget_s: float = Field(default=30.0, gt=0, le=3600, alias="LERNNETZ_HEAVY_BUDGET_S")
    heavy_max_places: int = Field(default=20_000, ge=1, alias="LERNNETZ_HEAVY_MAX_PLACES")

    @property
    def snapshot_path(self) -> Path:
        """The embedded store's snapshot file."""
        return self.data_dir / "graph.pickle"
