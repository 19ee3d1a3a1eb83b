"""Evaluate alert rules, store and deduplicate alerts, act on them, audit it all.

``evaluate`` is what ``pilotdeck monitor run`` and the server's scheduler call.
A rule that fires opens an alert and runs its actions once; while it keeps
firing the open alert is only touched (count, last value); when it stops, the
alert is resolved. Opening, resolving and every action are audit events.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import yaml

from pilotdeck.audit.log import iso
from pilotdeck.auth.roles import Permission, Principal, Role
from pilotdeck.domain.alerts import AlertRule, parse_rules
from pilotdeck.domain.errors import (
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    PilotdeckError,
    ValidationFailed,
    describe,
)
from pilotdeck.domain.ports.store import Store
from pilotdeck.domain.when import as_utc, parse_window
from pilotdeck.services.monitoring import MonitoringService
from pilotdeck.services.registry import RegistryService
from pilotdeck.views.alerts import ActionResult, Alert, AlertScope, AlertSilence, RuleOutcome

if TYPE_CHECKING:
    from pilotdeck.services.data_quality import DataQualityService
    from pilotdeck.services.sla import SLAService

log = logging.getLogger("pilotdeck.alerts")
MONITOR = Principal("system:monitor", Role.ADMIN)


def load_rules(path: Path) -> list[AlertRule]:
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise ValidationFailed("cannot read alert rules", [FieldError(
            "rules", describe(exc), str(path))]) from None
    except yaml.YAMLError as exc:
        raise ValidationFailed("cannot read alert rules", [FieldError(
            "rules", describe(exc), str(path))]) from None
    return parse_rules(data, str(path))


class AlertService:
    def __init__(self, store: Store, monitoring: MonitoringService, models: RegistryService,
                 webhook_timeout_s: float = 5.0,
                 data_quality: Callable[[], DataQualityService] | None = None,
                 sla: Callable[[], SLAService] | None = None) -> None:
        self.store, self.monitoring, self.models = store, monitoring, models
        self.data_quality, self.sla = data_quality, sla
        self.webhook_timeout_s = webhook_timeout_s
        self._lock = threading.Lock()

    # -- measuring -------------------------------------------------------------
    def measure(self, rule: AlertRule, now: datetime) -> tuple[float | None, int]:
        """The rule's metric over its window and how many rows it rests on."""
        since = now - parse_window(rule.window, "window")
        kind, name = rule.metric.split(".", 1)
        sc = rule.scope
        if kind == "drift":
            out = self.monitoring.window_drift(rule.pilot, version=sc.version,
                                               variant=sc.variant, since=since, until=now)
            # A window below the minimum sample has no verdict: it cannot fire.
            judged = [w for w in out.windows
                      if w.share_drifted is not None and w.dataset_drift is not None]
            if not judged:
                return None, max((w.rows for w in out.windows), default=0)
            # Several versions served: judge the worst of their windows.
            w = max(judged, key=lambda x: (x.share_drifted or 0.0, x.rows))
            value = w.share_drifted if name == "share_drifted" else w.dataset_drift
            return (None if value is None else float(value)), w.rows
        if kind == "dataset":
            return self._dataset_quality(rule)
        if kind == "sla":
            return self._sla(rule, now)
        # The rule's metric names are the views' attribute names (METRICS).
        if kind == "quality":
            q = self.monitoring.quality(rule.pilot, since, now, by=[],
                                        variant=sc.variant, version=sc.version)
            if not q.groups:
                return None, 0
            value = getattr(q.groups[0], name)
            return (None if value is None else float(value)), q.groups[0].n
        if kind == "health":
            h = self.monitoring.health(rule.pilot, since, now, by=[],
                                       variant=sc.variant, version=sc.version)
            if not h.groups:
                return None, 0
            g = h.groups[0]
            value = (getattr(g.latency_ms, name.removeprefix("latency_"))
                     if name.startswith("latency_") else getattr(g, name))
            return float(value), g.requests
        if kind == "fairness":
            f = self.monitoring.fairness(rule.pilot, rule.sensitive, since, now,
                                         version=sc.version)
            value = getattr(f, name)
            return (float(value) if f.rows and value is not None else None), f.rows
        impact = self.monitoring.business_impact(rule.pilot, since, now)
        group = next((g for g in impact.groups
                      if g.variant == (sc.variant or "champion")), None)
        outcome = group.outcome(name) if group is not None else None
        if outcome is None or outcome.mean is None:
            return None, 0
        return float(outcome.mean), outcome.n

    def _dataset_quality(self, rule: AlertRule) -> tuple[float | None, int]:
        """The dataset's latest quality result (the window does not apply); an empty
        version counts as one row, so its failed row-count check is judged."""
        if self.data_quality is None or rule.dataset is None:
            raise Conflict("dataset quality is not available to alert rules here")
        latest = self.data_quality().latest(rule.dataset)
        if latest is None:
            return None, 0
        value = float(not latest.passed) if rule.metric == "dataset.quality_failed" \
            else float(len(latest.failed))
        return value, max(latest.rows, 1)

    def _sla(self, rule: AlertRule, now: datetime) -> tuple[float | None, int]:
        """A measure of the pilot's SLA compliance over the rule's window."""
        if self.sla is None:
            raise Conflict("SLAs are not available to alert rules here")
        c = self.sla().compliance(rule.pilot, parse_window(rule.window, "window"), now)
        name = rule.metric.removeprefix("sla.")
        if name == "breached":
            judged = [t for t in c.targets if t.met is not None]
            return (float(bool(c.breached)) if judged else None), c.requests
        t = next((t for t in c.targets if t.target == name), None)
        return (None, 0) if t is None or t.measured is None else (t.measured, t.rows)

    # -- acting ----------------------------------------------------------------
    def _act(self, rule: AlertRule, value: float, alert_id: int) -> list[dict[str, Any]]:
        reason = (f"alert {rule.name}: {rule.metric} = {value:.4g} {rule.comparison} "
                  f"{rule.threshold:g}")
        results = []
        for a in rule.actions:
            entry: dict[str, Any] = {"type": a.type}
            try:
                if a.type == "webhook":
                    assert a.url is not None
                    entry["url"] = a.url
                    r = httpx.post(a.url, timeout=self.webhook_timeout_s, json={
                        "alert": alert_id, "rule": rule.name, "pilot": rule.pilot,
                        "metric": rule.metric, "value": value, "threshold": rule.threshold,
                        "comparison": rule.comparison, "severity": rule.severity,
                        "scope": rule.scope.model_dump(exclude_none=True), "reason": reason,
                        **({"dataset": rule.dataset} if rule.dataset else {})})
                    entry.update(ok=r.is_success, status=r.status_code)
                    if not r.is_success:
                        entry["error"] = f"the webhook answered HTTP {r.status_code} " \
                                         f"{r.reason_phrase}".rstrip()
                elif a.type == "rollback":
                    entry["variant"] = a.variant
                    dep = self.models.rollback(rule.pilot, a.variant, MONITOR, reason)
                    entry.update(ok=True, revision=dep.revision)
                else:
                    entry["variant"] = a.variant
                    dep = self.models.open_breaker(rule.pilot, a.variant, MONITOR, reason)
                    entry.update(ok=True, revision=dep.revision)
            except (httpx.HTTPError, PilotdeckError) as exc:
                # An action that cannot run is recorded on the alert, never raised:
                # the other actions and rules still run.
                entry.update(ok=False, error=_why(exc, self.webhook_timeout_s))
                log.warning("alert %s action %s failed: %s", rule.name, a.type, exc)
            results.append(entry)
        return results

    # -- the loop body ---------------------------------------------------------
    def evaluate(self, rules: list[AlertRule], now: datetime | None = None
                 ) -> list[RuleOutcome]:
        # One evaluation at a time in this process (the server's loop and an API
        # call), so two cannot both open the same alert.
        with self._lock:
            return self._evaluate(rules, now)

    def _evaluate(self, rules: list[AlertRule], now: datetime | None) -> list[RuleOutcome]:
        now = now or datetime.now(UTC)
        report = []
        for rule in rules:
            entry: dict[str, Any] = {"rule": rule.name, "pilot": rule.pilot,
                                     "metric": rule.metric}
            try:
                value, rows = self.measure(rule, now)
            except PilotdeckError as exc:
                report.append(RuleOutcome(**entry, state="error", error=str(exc)))
                continue
            if value is None or rows < rule.min_rows:
                report.append(RuleOutcome(**entry, state="no-data", rows=rows))
                continue
            fired = rule.fires(value)
            entry.update(value=value, rows=rows, fired=fired)
            entry.update(self._record(rule, value, fired, now))
            report.append(RuleOutcome(**entry))
        return report + self._resolve_orphans({r.fingerprint() for r in rules}, now)

    def _resolve_orphans(self, live: set[str], now: datetime) -> list[RuleOutcome]:
        """Resolve open alerts whose rule is gone from the rules: nothing would ever
        evaluate them again, so they would stay open forever."""
        out = []
        with self.store.write() as uow:
            for row in uow.alerts.list(status="open", limit=10_000):
                if row.fingerprint in live:
                    continue
                row.status, row.resolved_at, row.last_seen = "resolved", now, now
                uow.audit.record(MONITOR.user, "alert.resolved", "alert", str(row.id), {
                    "rule": row.rule, "pilot": row.pilot, "reason": "its rule was removed"})
                out.append(RuleOutcome(rule=row.rule, pilot=row.pilot, metric=row.metric,
                                       state="resolved", alert=row.id))
        return out

    def _record(self, rule: AlertRule, value: float, fired: bool,
                now: datetime) -> dict[str, Any]:
        fp = rule.fingerprint()
        with self.store.write() as uow:
            row = uow.alerts.open_by_fingerprint(fp)
            if fired and row is not None:  # still firing: dedupe
                uow.alerts.update(row, count=row.count + 1, last_seen=now, value=value)
                return {"state": "open", "alert": row.id, "new": False}
            if not fired and row is not None:
                uow.alerts.update(row, status="resolved", resolved_at=now, last_seen=now,
                                  value=value)
                uow.audit.record(MONITOR.user, "alert.resolved", "alert", str(row.id), {
                    "rule": rule.name, "pilot": rule.pilot, "value": value})
                return {"state": "resolved", "alert": row.id}
            if not fired:
                return {"state": "ok"}
            row = uow.alerts.add(
                fingerprint=fp, rule=rule.name, pilot=rule.pilot, metric=rule.metric,
                scope=rule.scope.model_dump(exclude_none=True), severity=rule.severity,
                status="open", value=value, threshold=rule.threshold,
                comparison=rule.comparison, count=1, first_seen=now, last_seen=now,
                actions=[])
            alert_id = row.id
            uow.audit.record(MONITOR.user, "alert.opened", "alert", str(alert_id), {
                "rule": rule.name, "pilot": rule.pilot, "metric": rule.metric, "value": value,
                "comparison": rule.comparison, "threshold": rule.threshold,
                "severity": rule.severity, "scope": rule.scope.model_dump(exclude_none=True)})
            silence = next((x for x in uow.alerts.silences(active_at=now) if x.rule == rule.name
                            and x.pilot in (None, rule.pilot)), None)
            if silence is not None:
                uow.audit.record(MONITOR.user, "alert.silenced", "alert", str(alert_id), {
                    "rule": rule.name, "silence": silence.id, "reason": silence.reason})
                return {"state": "opened", "alert": alert_id, "new": True, "silenced": True}
        # Actions run after the alert is committed: a rollback is its own audited
        # transaction, and a slow webhook must not hold the audit lock.
        actions = self._act(rule, value, alert_id)
        with self.store.write() as uow:
            stored = uow.alerts.get(alert_id)
            assert stored is not None
            uow.alerts.update(stored, actions=actions)
            if actions:
                uow.audit.record(MONITOR.user, "alert.actions", "alert", str(alert_id),
                                 {"rule": rule.name, "actions": actions})
        return {"state": "opened", "alert": alert_id, "new": True, "actions": actions}

    # -- acknowledging and silencing -------------------------------------------------
    def acknowledge(self, alert_id: int, who: Principal, note: str = "",
                    expected_revision: int | None = None) -> Alert:
        """Someone owns the alert now; it stays open until its rule stops firing."""
        if not who.can(Permission.ALERTS_WRITE):
            raise Forbidden(f"{who.user} may not acknowledge alerts")
        now = datetime.now(UTC)
        with self.store.write() as uow:
            row = uow.alerts.get(alert_id)
            if row is None:
                raise NotFound("alert", alert_id)
            if row.status != "open":
                raise Conflict(f"alert {alert_id} is {row.status}; only open alerts are "
                               "acknowledged")
            uow.alerts.update(row, expected_revision, acknowledged_by=who.user,
                              acknowledged_at=now, ack_note=note)
            uow.audit.record(who.user, "alert.acknowledged", "alert", str(alert_id),
                             {"rule": row.rule, "pilot": row.pilot, "note": note}, now)
            return view(uow.alerts.get(alert_id))

    def silence(self, rule: str, who: Principal, *, until: datetime, reason: str,
                pilot: str | None = None) -> AlertSilence:
        if not who.can(Permission.ALERTS_WRITE):
            raise Forbidden(f"{who.user} may not silence alerts")
        now = datetime.now(UTC)
        errors = []
        if not reason.strip():
            errors.append(FieldError("reason", "say why: it is kept in the audit log"))
        if until <= now:
            errors.append(FieldError("until", "must be in the future"))
        elif until - now > timedelta(days=90):
            errors.append(FieldError("until", "at most 90 days ahead: a silence must end"))
        if errors:
            raise ValidationFailed("invalid silence", errors)
        with self.store.write() as uow:
            row = uow.alerts.add_silence(rule=rule, pilot=pilot, until=until, reason=reason,
                                         created_by=who.user, created_at=now)
            uow.audit.record(who.user, "alert.silence-created", "alert-silence", str(row.id),
                             {"rule": rule, "pilot": pilot, "until": iso(until),
                              "reason": reason}, now)
            return silence_view(row, now)

    def unsilence(self, silence_id: int, who: Principal) -> AlertSilence:
        if not who.can(Permission.ALERTS_WRITE):
            raise Forbidden(f"{who.user} may not end silences")
        now = datetime.now(UTC)
        with self.store.write() as uow:
            row = uow.alerts.silence(silence_id)
            if row is None:
                raise NotFound("alert silence", silence_id)
            if row.ended_at is None:
                row.ended_at = now
                uow.audit.record(who.user, "alert.silence-ended", "alert-silence",
                                 str(row.id), {"rule": row.rule, "pilot": row.pilot}, now)
            return silence_view(row, now)

    def silences(self, active: bool = False) -> list[AlertSilence]:
        now = datetime.now(UTC)
        with self.store.read() as uow:
            return [silence_view(r, now)
                    for r in uow.alerts.silences(active_at=now if active else None)]

    def list(self, pilot: str | None = None, status: str | None = None) -> list[Alert]:
        if status is not None and status not in ("open", "resolved"):
            raise ValidationFailed("invalid filter", [FieldError(
                "status", "must be open or resolved")])
        with self.store.read() as uow:
            return [view(r) for r in uow.alerts.list(pilot, status)]


def _why(exc: Exception, timeout_s: float) -> str:
    """Why an action failed, in words (the alert and the CLI show it)."""
    if isinstance(exc, httpx.TimeoutException):
        return f"the webhook did not answer within {timeout_s:g} s"
    if isinstance(exc, httpx.HTTPError):
        return f"cannot reach the webhook: {describe(exc)}"
    return str(exc)


def silence_view(r: Any, now: datetime) -> AlertSilence:
    return AlertSilence(id=r.id, rule=r.rule, pilot=r.pilot, until=iso(as_utc(r.until)),
                        reason=r.reason, created_by=r.created_by,
                        created_at=iso(as_utc(r.created_at)),
                        active=r.ended_at is None and as_utc(r.until) > now)


def view(r: Any) -> Alert:
    """A stored alert row as its view (scope and actions are stored as JSON)."""
    return Alert(id=r.id, rule=r.rule, pilot=r.pilot, metric=r.metric,
                 scope=AlertScope(**r.scope), severity=r.severity, status=r.status,
                 value=r.value, comparison=r.comparison, threshold=r.threshold,
                 count=r.count, first_seen=iso(r.first_seen), last_seen=iso(r.last_seen),
                 resolved_at=iso(r.resolved_at) if r.resolved_at else None, revision=r.revision,
                 actions=[ActionResult(**a) for a in r.actions or []],
                 acknowledged_by=r.acknowledged_by, ack_note=r.ack_note,
                 acknowledged_at=iso(as_utc(r.acknowledged_at)) if r.acknowledged_at else None)
