"""The pilot page's deeper sections: maturity and its gaps, the model card of the
version that serves, drift, quality, fairness, business impact and explanations.

Each obeys the permission of the API route that returns the same data, and each
reads what is cheap: monitoring takes the newest :data:`MAX_REQUESTS` requests of
the last :data:`MONITOR_WINDOW` (one read shared by drift, quality and fairness, the
last on its newest :data:`FAIRNESS_ROWS` rows), and
explanations and the pre-serving fairness report are the stored ones, never a SHAP
run on a page load.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pilotdeck.api.ui.sections import Empty, Section, section
from pilotdeck.audit.log import utcnow
from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.platform import Platform
from pilotdeck.views.monitoring import OUTCOMES

MONITOR_WINDOW = timedelta(days=7)
MAX_REQUESTS = 10_000  # newest requests a page load reads from the prediction log
# fairlearn's per-group metrics cost ~0.1 s per 1,000 rows (a Python loop per row):
# live fairness takes the newest rows only.
FAIRNESS_ROWS = 5_000
TOP_FEATURES = 12
NO_VERSION = "No model version registered yet (pilotdeck models register)."
NO_TRAFFIC = f"Not enough data: no requests logged in the last {MONITOR_WINDOW.days} days."

FORBIDDEN = {
    Permission.ASSESSMENTS_READ: "your role may not read maturity assessments",
    Permission.MODELS_READ: "your role may not read model versions",
    Permission.MONITORING_READ: "your role may not read monitoring",
}


def allowed(who: Principal, permission: Permission, build: Callable[[], Any],
            empty: str | None = None) -> Section:
    """``section(build)`` for a principal whose grant has ``permission`` (the API
    route's), otherwise the refusal as the section's sentence."""
    if not who.can(permission):
        return Section(missing=FORBIDDEN.get(permission, f"your role lacks {permission}"))
    return section(build, empty)


@dataclass
class ModelCardSection:
    version: int
    serving: bool
    html: str  # rendered and escaped by render.model_card.html_sections


@dataclass
class Monitoring:
    """The rows read once for drift, quality and fairness, and whether older rows
    of the window were left out."""

    rows: Any
    capped: bool


@dataclass
class PilotInsights:
    maturity: Section
    model_card: Section
    drift: Section
    quality: Section
    fairness_live: Section
    fairness_stored: Section
    impact: Section
    explanation: Section
    window_days: int
    max_requests: int
    fairness_rows: int
    capped: bool = False


def pilot_insights(platform: Platform, name: str, who: Principal, serving: int | None,
                   newest: int | None) -> PilotInsights:
    """The sections for pilot ``name``: ``serving`` is the champion's version (None when
    nothing serves), ``newest`` the newest registered one (the card falls back to it)."""
    version = serving if serving is not None else newest
    stored_fairness = allowed(who, Permission.MODELS_READ,
                              lambda: _stored(platform.fairness.stored, name, version,
                                              "No fairness report stored for v{version} "
                                              "(pilotdeck models fairness)."))
    log = allowed(who, Permission.MONITORING_READ, lambda: _read_log(platform, name))
    since = utcnow() - MONITOR_WINDOW
    sensitive = (stored_fairness.value.report.sensitive
                 if stored_fairness.value is not None else [])

    def monitored(build: Callable[[Monitoring], Any]) -> Section:
        m: Monitoring | None = log.value
        if m is None:  # refused, or the log could not be read: the same sentence
            return Section(missing=log.missing)
        if not m.rows.num_rows:
            return Section(missing=NO_TRAFFIC)
        return section(lambda: build(m))

    return PilotInsights(
        maturity=allowed(who, Permission.ASSESSMENTS_READ,
                         lambda: platform.assessments.latest(name),
                         "Not assessed yet (pilotdeck assess run --pilot NAME)."),
        model_card=allowed(who, Permission.MODELS_READ,
                           lambda: _card(platform, name, version, serving)),
        drift=monitored(lambda m: platform.monitoring.window_drift(name, rows=m.rows)),
        quality=monitored(lambda m: _quality(platform, name, m)),
        fairness_live=monitored(lambda m: _live_fairness(platform, name, sensitive, m)),
        fairness_stored=stored_fairness,
        impact=allowed(who, Permission.MONITORING_READ,
                       lambda: _impact(platform, name, since)),
        explanation=allowed(who, Permission.MODELS_READ,
                            lambda: _explanation(platform, name, version)),
        window_days=MONITOR_WINDOW.days, max_requests=MAX_REQUESTS,
        fairness_rows=FAIRNESS_ROWS,
        capped=bool(log.value and log.value.capped))


def _read_log(platform: Platform, name: str) -> Monitoring:
    rows, capped = platform.monitoring.recent_rows(name, utcnow() - MONITOR_WINDOW,
                                                   MAX_REQUESTS)
    return Monitoring(rows, capped)


def _card(platform: Platform, name: str, version: int | None,
          serving: int | None) -> ModelCardSection:
    from pilotdeck.render.model_card import html_sections, sections

    if version is None:
        raise Empty(NO_VERSION)
    card = platform.model_cards.card(name, version)
    return ModelCardSection(version=version, serving=version == serving,
                            html=html_sections(sections(card), heading=3))


def _quality(platform: Platform, name: str, m: Monitoring) -> Any:
    report = platform.monitoring.quality(name, by=["version", "variant"], rows=m.rows)
    if not report.labelled_rows:
        raise Empty("Not enough data: no feedback labels for the "
                    "logged requests yet (send them to the gateway's /v1/feedback).")
    return report


def _live_fairness(platform: Platform, name: str, sensitive: list[str],
                   m: Monitoring) -> Any:
    if not sensitive:
        raise Empty("No sensitive columns known for this pilot: "
                    "evaluate the version's fairness first (pilotdeck models fairness "
                    "… --sensitive …).")
    missing = [c for c in sensitive if c not in m.rows.column_names]
    if missing:
        raise Empty(f"The logged requests do not carry "
                    f"{', '.join(missing)}: live fairness cannot be measured from the log.")
    rows = m.rows.slice(max(m.rows.num_rows - FAIRNESS_ROWS, 0))
    report = platform.monitoring.fairness(name, sensitive, rows=rows)
    if report.overall is None:
        raise Empty("Not enough data: no feedback labels for the "
                    "logged requests yet.")
    return report


def _impact(platform: Platform, name: str, since: Any) -> Any:
    report = platform.monitoring.business_impact(name, since)
    if not any(g.outcome(o).n for g in report.groups
               for o in OUTCOMES):
        raise Empty("Not enough data: no business outcomes fed back in the last "
                    f"{MONITOR_WINDOW.days} days.")
    return report


def _stored(load: Callable[[str, int], Any], name: str, version: int | None,
            missing: str) -> Any:
    """What is stored beside ``version`` (never computed on a page load: that is a
    SHAP run or a scoring run); ``missing`` says what to do when nothing is."""
    if version is None:
        raise Empty(NO_VERSION)
    found = load(name, version)
    if found is None:
        raise Empty(missing.format(version=version))
    return found


def _explanation(platform: Platform, name: str, version: int | None) -> Any:
    found = _stored(platform.explanations.stored, name, version,
                    "No global explanation stored for v{version}: register it with a "
                    "reference table or run `pilotdeck explain global`.")
    top = dict(list(found.importance.items())[:TOP_FEATURES])
    return found.model_copy(update={"importance": top})
