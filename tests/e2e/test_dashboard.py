"""The dashboard in a real browser: headless Chromium (Debian's ``chromium``
package, driven by Playwright for Python) against a real API server and gateway
on 127.0.0.1, with the demo's portfolio.

Each role signs in with its own token and walks every page; the board approves a
version and a platform engineer starts and pauses its rollout, all through the
forms. Every page is screenshotted under ``artifacts/screenshots/`` (``make
screenshots`` copies the main ones into ``docs/screenshots/``), must log no
console error, must make no request that leaves 127.0.0.1, and must pass axe-core's
WCAG 2 A/AA rules (labels, alt text, contrast, landmarks), vendored under
``tests/e2e/vendor`` so nothing is fetched.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from pilotdeck.auth.roles import Principal, Role, local_admin
from pilotdeck.config import Settings
from pilotdeck.platform import Platform
from tests.backends import missing
from tests.dashboard_fixture import populate
from tests.polling import wait_until

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "artifacts" / "screenshots"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
CHROMIUM = os.environ.get("PILOTDECK_CHROMIUM", "/usr/bin/chromium")
ADMIN = local_admin("tester")
BOARD = Principal("board:amara", Role.GOVERNANCE_BOARD)
PILOT = "churn-prediction"
OTHER = "fraud-detection-realtime"
UNBLOCKED = dict.fromkeys(("data-catalogued", "data-quality", "serving-batch", "observability",
                           "fairness", "explainability", "runbook", "team-trained", "sla",
                           "model-registered"), "none")
ROLES = (Role.VIEWER, Role.PILOT_TEAM, Role.GOVERNANCE_BOARD, Role.PLATFORM_ENGINEER,
         Role.ADMIN)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(app: Any, port: int) -> tuple[Any, threading.Thread]:
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: bool(server.started), timeout=30,
               message=f"uvicorn to start on port {port}")
    return server, thread


@dataclass
class Site:
    platform: Platform
    base: str
    tokens: dict[Role, str]
    approval: int


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    from pilotdeck.api.app import create_app
    from pilotdeck.domain.readiness import parse_blocks
    from pilotdeck.gateway.app import create_gateway

    home = tmp_path_factory.mktemp("dash")
    gw_port = _free_port()
    p = Platform(Settings(home=home, gateway_port=gw_port, gateway_refresh_s=0.2,
                          rollout_interval_s=0, alert_interval_s=0))
    p.readiness.blocks.update(parse_blocks(UNBLOCKED))
    p.portfolio.import_path(REPO / "src/pilotdeck/demo/pilots", ADMIN)
    # Assessed, two versions (v1 with a profile, explanation and fairness report) and
    # v1 serving, a day of labelled traffic, a waiver and an attestation lapsing soon.
    populate(p, PILOT, home)
    approval = p.approvals.request(PILOT, 2, ADMIN, "ready for live traffic").id
    p.audit.checkpoint(ADMIN)
    tokens = {r: p.access.create(f"{r.value}-user", r.value,
                                 [PILOT] if r is Role.PILOT_TEAM else [], ADMIN).token
              for r in ROLES}
    tokens[Role.CLIENT] = p.access.create("an-app", "client", [], ADMIN).token
    gw, gw_thread = _serve(create_gateway(p), gw_port)
    api_port = _free_port()
    api, api_thread = _serve(create_app(p), api_port)
    yield Site(p, f"http://127.0.0.1:{api_port}", tokens, approval)
    for server in (api, gw):
        server.should_exit = True
    for thread in (api_thread, gw_thread):
        thread.join(timeout=30)
    p.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).is_file():
        missing(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        missing(f"playwright is not installed ({exc})")
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield b
        b.close()


@dataclass
class Watch:
    """What a page did that it must not: console errors, requests off this machine."""

    errors: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        page.on("console", lambda m: m.type == "error" and self.errors.append(
            f"{page.url}: {m.text}"))
        page.on("pageerror", lambda e: self.errors.append(f"{page.url}: {e}"))
        page.on("request", self._request)

    def _request(self, request: Any) -> None:
        url = urlparse(request.url)
        if url.scheme != "data" and url.hostname != "127.0.0.1":
            self.outside.append(request.url)


def _labels_and_alt(page: Any) -> list[str]:
    """Every visible form control has a label, every image an alt text."""
    return list(page.evaluate("""() => {
      const bad = [];
      for (const el of document.querySelectorAll('input, select, textarea')) {
        if (el.type === 'hidden') continue;
        const named = (el.id && document.querySelector(`label[for="${el.id}"]`))
          || el.closest('label') || el.getAttribute('aria-label');
        if (!named) bad.push(`unlabelled ${el.tagName} ${el.name}`);
      }
      for (const img of document.querySelectorAll('img'))
        if (!img.getAttribute('alt')) bad.push(`image without alt: ${img.src}`);
      return bad;
    }"""))


def _axe(page: Any) -> list[str]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text() + "\n;0")
    result = page.evaluate("""async () => {
      const r = await axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
      return r.violations.map(v => `${v.id}: ${v.help} (${v.nodes.length} node(s): `
        + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ') + ')');
    }""")
    return list(result)


def _shoot(page: Any, role: Role, name: str, checked: set[str]) -> None:
    page.wait_for_load_state("load")  # images included
    assert page.locator("main").count() == 1
    assert not _labels_and_alt(page), (name, _labels_and_alt(page))
    if name not in checked:  # axe once per page kind: every role sees the same markup
        checked.add(name)
        assert not _axe(page), (name, _axe(page))
    page.screenshot(path=str(SHOTS / f"{role.value}-{name}.png"), full_page=True)


def _sign_in(page: Any, base: str, token: str) -> None:
    page.goto(f"{base}/ui/portfolio")
    assert "/ui/sign-in" in page.url
    page.fill("#token", token)
    for _ in range(10):  # the keyboard reaches the button
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "sign-in":
            break
    else:
        pytest.fail("Tab never reached the sign-in button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/ui/portfolio"), page.url


def _walk(page: Any, site: Site, role: Role, checked: set[str]) -> None:
    base = site.base
    bubbles = page.locator("svg.matrix a.pilot")
    assert bubbles.count() == len(site.platform.prioritization.scores())
    _shoot(page, role, "portfolio", checked)
    page.select_option("#business-unit", "Retail")  # HTMX swaps the body in place
    page.wait_for_url(re.compile(r"businessUnit=Retail"))
    page.wait_for_function("() => !document.body.textContent.includes('fraud-detection')")
    _shoot(page, role, "portfolio-retail", checked)
    if role is ROLES[0]:
        _matrix_leads_to_pilots(page)
    for pilot in (PILOT, OTHER):
        page.goto(f"{base}/ui/pilots/{pilot}")
        assert page.locator("h1").inner_text() == pilot
        if pilot == PILOT:
            _pilot_sections(page)
        _shoot(page, role, f"pilot-{pilot}", checked)
    for name in ("governance", "platform", "programme"):
        page.goto(f"{base}/ui/{name}")
        if name == "governance":
            assert "runbook" in page.locator("#waivers").inner_text()
            assert page.locator("#expiring tbody tr").count() == 2
        _shoot(page, role, name, checked)


def _matrix_leads_to_pilots(page: Any) -> None:
    """The filtered matrix shows Retail's pilots only; a bubble is a link that a click
    or the keyboard follows to the pilot's page; no two names overlap on screen."""
    hrefs = page.locator("svg.matrix a.pilot").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))")
    assert f"/ui/pilots/{PILOT}" in hrefs and f"/ui/pilots/{OTHER}" not in hrefs
    boxes = page.locator("svg.matrix a.pilot text").evaluate_all(
        "ts => ts.map(t => { const b = t.getBoundingClientRect();"
        " return [b.left, b.top, b.right, b.bottom]; })")
    assert not [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:]
                if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]]
    bubble = page.locator(f'svg.matrix a.pilot[href="/ui/pilots/{PILOT}"]')
    assert PILOT in (bubble.locator("title").text_content() or "")
    with page.expect_navigation():
        bubble.locator("circle").click()
    assert page.url.endswith(f"/ui/pilots/{PILOT}")
    assert page.locator("h1").inner_text() == PILOT
    page.go_back()
    page.locator(f'svg.matrix a.pilot[href="/ui/pilots/{PILOT}"]').focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/ui/pilots/{PILOT}")


def _pilot_sections(page: Any) -> None:
    """The maturity radar is drawn, monitoring has the day's traffic, and the model
    card opens from the keyboard (so axe checks its content too)."""
    page.wait_for_selector("#maturity-radar")
    assert page.evaluate(
        "() => document.querySelector('#maturity-radar').naturalWidth") > 500
    for table in ("#maturity-gaps", "#drift", "#quality", "#impact", "#importance"):
        assert page.locator(f"{table} tbody tr").count() >= 1, table
    page.focus("details.card summary")
    page.keyboard.press("Enter")
    assert page.locator("details.card").get_attribute("open") is not None
    assert page.locator("details.card h3", has_text="Model details").is_visible()


def _csrf(page: Any) -> str:
    return str(page.locator("input[name=csrf]").first.get_attribute("value"))


def test_every_role_walks_every_page_and_the_forms_work(site: Site, browser: Any) -> None:
    watch = Watch()
    checked: set[str] = set()
    base = site.base
    for role in ROLES:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        watch.attach(page)
        _sign_in(page, base, site.tokens[role])
        cookie = next(c for c in context.cookies() if c["name"] == "pilotdeck_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/ui"
        _walk(page, site, role, checked)

        page.goto(f"{base}/ui/governance")
        approve = page.get_by_role("button", name="Approve v2")
        if role is Role.GOVERNANCE_BOARD:
            page.fill(f"#approve-reason-{site.approval}", "validated on the holdout set")
            with page.expect_navigation():
                approve.click()
            assert "approval is recorded" in page.locator("[role=status]").inner_text()
            _shoot(page, role, "governance-approved", checked)
        elif approve.count() == 0:  # a forged decision is refused like the API's
            r = page.request.post(f"{base}/ui/approvals/{site.approval}/decide", form={
                "csrf": _csrf(page), "decision": "approve", "reason": "forged"})
            assert r.status == 403, (role, r.status)

        page.goto(f"{base}/ui/pilots/{PILOT}")
        start = page.get_by_role("button", name=re.compile("Start rollout"))
        if role is Role.PLATFORM_ENGINEER:
            page.select_option("#challenger", "2")
            with page.expect_navigation():
                start.click()
            assert page.locator("#rollout-phase").inner_text() == "running"
            assert page.locator("#rollout-progress").get_attribute("value") == "5.0"
            site.platform.rollouts.check(PILOT)  # what the controller does each round
            page.reload()
            gates = page.locator("#gates tbody tr").all_inner_texts()
            assert any(g.startswith("errorRate") for g in gates), gates
            page.fill("#pause-reason", "waiting for the marketing campaign to end")
            with page.expect_navigation():
                page.get_by_role("button", name="Pause rollout").click()
            assert page.locator("#rollout-phase").inner_text() == "paused"
            _shoot(page, role, "pilot-rollout-paused", checked)
        elif role in (Role.VIEWER, Role.PILOT_TEAM, Role.GOVERNANCE_BOARD):
            assert start.count() == 0 and page.locator("#pause-rollout").count() == 0
            r = page.request.post(f"{base}/ui/pilots/{PILOT}/rollout/start",
                                  form={"csrf": _csrf(page), "challenger": "2"})
            assert r.status == 403, (role, r.status)

        with page.expect_navigation():
            page.get_by_role("button", name="Sign out").click()
        assert "/ui/sign-in" in page.url
        page.goto(f"{base}/ui/governance")
        assert "/ui/sign-in" in page.url  # the session is gone
        context.close()

    rollout = site.platform.rollouts.status(PILOT)
    assert (rollout.phase, rollout.challenger_version, rollout.started_by) == (
        "paused", 2, "platform-engineer-user")
    assert site.platform.approvals.get(site.approval).status == "approved"
    assert not watch.errors, watch.errors
    assert not watch.outside, watch.outside
    assert len(list(SHOTS.glob("*.png"))) == len(ROLES) * 7 + 2


def test_a_client_token_cannot_sign_in(site: Site, browser: Any) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{site.base}/ui/sign-in")
    page.fill("#token", site.tokens[Role.CLIENT])
    with page.expect_navigation():
        page.click("#sign-in")
    assert "cannot use the dashboard" in page.locator("[role=alert]").inner_text()
    assert not [c for c in context.cookies() if c["name"] == "pilotdeck_session"]
    context.close()
