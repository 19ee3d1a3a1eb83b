"""The batch contract every engine implements (declared in the domain's ports)."""

from pilotdeck.domain.ports.compute import ComputeEngine, ScoreJob, ScoreResult

BatchEngine = ComputeEngine  # the former name

__all__ = ["BatchEngine", "ComputeEngine", "ScoreJob", "ScoreResult"]
