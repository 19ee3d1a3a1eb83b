"""What alerting returns: stored alerts and the outcome of one evaluation of the rules."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pilotdeck.views.base import View


class AlertScope(View):
    """The part of a pilot's traffic a rule watches (nothing: all of it)."""

    variant: str | None = None
    version: int | None = None


class ActionResult(View):
    """One action an alert ran (a webhook, a rollback, an opened breaker)."""

    type: Literal["webhook", "open_breaker", "rollback"]
    ok: bool
    url: str | None = None
    status: int | None = Field(default=None, description="the webhook's HTTP status")
    variant: str | None = None
    revision: int | None = Field(default=None, description="the deployment revision it made")
    error: str | None = None


class Alert(View):
    """A stored alert: one per rule and scope while it stays open."""

    id: int
    rule: str
    pilot: str
    metric: str
    scope: AlertScope
    severity: Literal["info", "warning", "critical"]
    status: Literal["open", "resolved"]
    value: float = Field(description="the metric when last evaluated")
    comparison: str
    threshold: float
    count: int = Field(description="evaluations that found it firing")
    first_seen: str
    last_seen: str
    resolved_at: str | None = None
    actions: list[ActionResult]
    revision: int = Field(default=1, description="1 when opened, +1 per change.")
    acknowledged_by: str | None = Field(default=None, description="who owns it now")
    acknowledged_at: str | None = None
    ack_note: str | None = None


class AlertList(View):
    items: list[Alert]


class RuleOutcome(View):
    """What one rule's evaluation found and did.

    ``state``: ``ok`` (did not fire), ``opened`` (fired: a new alert, actions
    run), ``open`` (still firing: the open alert counted), ``resolved`` (stopped
    firing), ``no-data`` (too few rows to judge), ``error`` (could not measure)."""

    rule: str
    pilot: str
    metric: str
    state: Literal["ok", "opened", "open", "resolved", "no-data", "error"]
    silenced: bool = Field(default=False, description="actions held back by a silence")
    value: float | None = None
    rows: int | None = None
    fired: bool | None = None
    alert: int | None = Field(default=None, description="the alert's id")
    new: bool | None = None
    actions: list[ActionResult] = Field(default_factory=list)
    error: str | None = None


class Evaluation(View):
    """The outcome of evaluating a rules file (none configured: no results)."""

    rules: str | None = Field(description="the rules file evaluated")
    results: list[RuleOutcome]
    detail: str | None = None


__all__ = ["ActionResult", "Alert", "AlertList", "AlertScope", "AlertSilence", "Evaluation",
           "RuleOutcome"]


class AlertSilence(View):
    """While active, the rule (for one pilot, or all) opens and updates alerts but
    runs none of its actions: for planned work, or a known issue being handled."""

    id: int
    rule: str
    pilot: str | None
    until: str
    reason: str
    created_by: str
    created_at: str
    active: bool
