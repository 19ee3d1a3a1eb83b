"""A pilot's production runbook, gathered from live configuration, and a published copy."""

from __future__ import annotations

from pydantic import Field

from pilotdeck.domain.sla import SLA
from pilotdeck.views.base import View

__all__ = ["PublishedRunbook", "Runbook", "RunbookEndpoint", "RunbookRule", "RunbookVariant"]


class RunbookEndpoint(View):
    name: str
    method: str
    url: str
    permission: str = Field(description="What the caller's token needs.")


class RunbookVariant(View):
    name: str
    version: int
    weight: float
    note: str = ""


class RunbookRule(View):
    """An alert rule about the pilot, and what it does when it fires."""

    name: str
    metric: str
    meaning: str
    condition: str
    window: str
    severity: str
    actions: list[str]


class Runbook(View):
    pilot: str
    generated_at: str
    business_unit: str
    owner: str
    status: str
    problem: str
    team: list[str]
    endpoints: list[RunbookEndpoint]
    deployment_revision: int | None = Field(description="The deployment it describes; null: "
                                                        "the pilot is not deployed.")
    variants: list[RunbookVariant]
    shadow: list[int]
    fallback: str
    breaker: str
    forced_open: list[str]
    rules_file: str
    alert_rules: list[RunbookRule]
    rollback_command: str | None
    rollback_api: str | None
    sla: SLA | None
    sla_revision: int | None
    escalation: str
    observability: list[str] = Field(description="Where dashboards, metrics and logs are.")


class PublishedRunbook(View):
    pilot: str
    sha256: str = Field(description="Of the Markdown as published.")
    html_sha256: str
    deployment_revision: int | None
    deployment_shape: str | None = Field(
        None, description="What is served and how, without the weights (a staged "
                          "rollout's steps leave a runbook current).")
    sla_revision: int | None
    published_at: str
    published_by: str
