"""Jinja2 templates of the dashboard, rendered into responses with a strict CSP."""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi.responses import HTMLResponse

from pilotdeck.domain.prioritization import QUADRANT_LABELS, Quadrant

# Everything comes from this server; no inline script or style runs.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "same-origin", "Cache-Control": "no-store",
           "X-Frame-Options": "DENY"}


def money(value: float | None, currency: str = "$") -> str:
    """``$1.2M``, ``$350k``, ``$900`` (manifests default to USD), sign kept."""
    if value is None:
        return "—"
    sign = "−" if value < 0 else ""
    v = abs(value)
    if v >= 1e6:
        return f"{sign}{currency}{v / 1e6:.1f}M"
    if v >= 1e3:
        return f"{sign}{currency}{v / 1e3:.0f}k"
    return f"{sign}{currency}{v:.0f}"


def pct(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f} %"


def label(q: Quadrant | str) -> str:
    try:
        return QUADRANT_LABELS[Quadrant(q)]
    except ValueError:
        return str(q)


@cache
def environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("pilotdeck.api.ui", "templates"),
        autoescape=True, trim_blocks=True,
        lstrip_blocks=True)
    env.globals.update(money=money, pct=pct, label=label)
    return env


def render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("signed", None)
    context.setdefault("notice", None)
    context.setdefault("active", "")
    context.setdefault("title", context.get("active") or "pilotdeck")
    html = environment().get_template(name).render(**context)
    return HTMLResponse(html, status_code=status, headers=HEADERS)
