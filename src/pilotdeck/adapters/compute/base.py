"""The batch-scoring contract every engine implements, now declared in
``pilotdeck.domain.ports.compute``; re-exported here so existing imports work."""

from __future__ import annotations

from pilotdeck.domain.ports.compute import ComputeEngine, ScoreJob, ScoreResult

BatchEngine = ComputeEngine  # the old name

__all__ = ["BatchEngine", "ComputeEngine", "ScoreJob", "ScoreResult"]
