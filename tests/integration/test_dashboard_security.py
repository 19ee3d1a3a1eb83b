"""The dashboard's adversarial suite: sessions, CSRF and the role matrix of every
``/ui`` route, through real HTTP semantics (TestClient; the browser walk is
tests/e2e/test_dashboard.py).

Every page and form is read from the app's route table, so a new one is covered
the day it is added (or this test fails until it is listed here). The API's
matrices (test_api.MUTATIONS, test_authz_matrix) speak bearer tokens and leave
``/ui`` to this module, whose callers are signed-in browsers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from pilotdeck.api.app import api_routes, create_app
from pilotdeck.auth.roles import GRANTS, Permission, Role, local_admin
from tests.conftest import DEMO_PILOTS
from tests.dashboard_fixture import assess
from tests.integration.test_api import permissions_of

ADMIN = local_admin("tester")
PILOT, OTHER = "churn-prediction", "next-best-offer"

# Every page (GET) with a sample path, and the permission it declares.
UI_PAGES: dict[str, tuple[str, Permission]] = {
    "/ui": ("/ui", Permission.PUBLIC),
    "/ui/sign-in": ("/ui/sign-in", Permission.PUBLIC),
    "/ui/portfolio": ("/ui/portfolio?businessUnit=Retail", Permission.PRIORITIZATION_READ),
    "/ui/pilots/{pilot}": (f"/ui/pilots/{PILOT}", Permission.PILOTS_READ),
    "/ui/governance": ("/ui/governance", Permission.MODELS_READ),
    "/ui/platform": ("/ui/platform", Permission.MODELS_READ),
    "/ui/programme": ("/ui/programme?period=month", Permission.PRIORITIZATION_READ),
    "/ui/charts/programme/{name}.png": ("/ui/charts/programme/value.png",
                                        Permission.PRIORITIZATION_READ),
    "/ui/charts/matrix.png": ("/ui/charts/matrix.png", Permission.PRIORITIZATION_READ),
    "/ui/charts/maturity/{pilot}.png": (f"/ui/charts/maturity/{PILOT}.png",
                                        Permission.ASSESSMENTS_READ),
}
# Every form (POST), with a body and the permission of the matching API route.
UI_FORMS: dict[str, tuple[str, dict[str, str], Permission]] = {
    "/ui/sign-out": ("/ui/sign-out", {}, Permission.PUBLIC),
    "/ui/approvals/{approval_id}/decide": (
        "/ui/approvals/1/decide", {"decision": "approve", "reason": "ok"},
        Permission.APPROVALS_DECIDE),
    "/ui/pilots/{pilot}/rollout/start": (f"/ui/pilots/{OTHER}/rollout/start",
                                         {"challenger": "2"}, Permission.DEPLOYMENTS_WRITE),
    "/ui/pilots/{pilot}/rollout/pause": (f"/ui/pilots/{OTHER}/rollout/pause",
                                         {"reason": "x"}, Permission.DEPLOYMENTS_WRITE),
    "/ui/pilots/{pilot}/rollout/resume": (f"/ui/pilots/{OTHER}/rollout/resume", {},
                                          Permission.DEPLOYMENTS_WRITE),
}
SIGN_IN = "/ui/sign-in"  # POST: public, checked on its own below
PEOPLE = (Role.VIEWER, Role.PILOT_TEAM, Role.PLATFORM_ENGINEER, Role.GOVERNANCE_BOARD,
          Role.ADMIN)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any, dict[Role, str]]]:
    """One platform for the module (SQLite: the store is tested on PostgreSQL elsewhere;
    nothing here changes state the next test reads, bar the token revoked last)."""
    from pilotdeck.config import Settings
    from pilotdeck.platform import Platform

    platform = Platform(Settings(home=tmp_path_factory.mktemp("ui"), alert_interval_s=0,
                                 rollout_interval_s=0))
    platform.portfolio.import_path(DEMO_PILOTS, ADMIN)
    assess(platform, PILOT)  # the maturity radar has something to draw
    tokens = {r: platform.access.create(f"u-{r.value}", r.value,
                                        [PILOT] if r is Role.PILOT_TEAM else [],
                                        ADMIN).token for r in Role}
    yield platform, create_app(platform), tokens
    platform.close()


@pytest.fixture
def ui(world):  # type: ignore[no-untyped-def]
    _, app, tokens = world
    return app, tokens


def browser(app: Any, https: bool = False) -> TestClient:
    return TestClient(app, base_url=f"{'https' if https else 'http'}://127.0.0.1",
                      follow_redirects=False)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def sign_in(client: TestClient, token: str) -> str:
    """Sign in; the session's CSRF token."""
    nonce = csrf_of(client.get(SIGN_IN).text)
    r = client.post(SIGN_IN, data={"csrf": nonce, "token": token})
    assert r.status_code == 303, r.text
    return csrf_of(client.get("/ui/programme").text)


def test_every_ui_route_is_listed_and_declares_one_permission(ui) -> None:
    app, _ = ui
    found = {(m, r.path): permissions_of(r) for r in api_routes(app.routes)
             if r.path.startswith("/ui") for m in r.methods - {"HEAD"}}
    listed = {("GET", p): {perm} for p, (_, perm) in UI_PAGES.items()}
    listed |= {("POST", p): {perm} for p, (_, _, perm) in UI_FORMS.items()}
    listed[("POST", SIGN_IN)] = {Permission.PUBLIC}
    assert found == listed
    assert all(not r.include_in_schema for r in api_routes(app.routes)
               if isinstance(r, APIRoute) and r.path.startswith("/ui"))


def test_signed_out_pages_redirect_and_forms_are_refused(ui) -> None:
    app, _ = ui
    client = browser(app)
    for path, (sample, perm) in UI_PAGES.items():
        r = client.get(sample)
        if perm is Permission.PUBLIC:
            assert r.status_code in (200, 303), (path, r.status_code)
        elif path.startswith("/ui/charts/"):
            assert r.status_code == 401, path
        else:
            assert r.status_code == 303 and r.headers["location"].startswith(
                "/ui/sign-in?next=/ui/"), (path, r.status_code)
    for path, (sample, form, _) in UI_FORMS.items():
        assert client.post(sample, data={**form, "csrf": "x"}).status_code == 401, path
    # A bearer token is for the API, not a session: the dashboard wants its cookie.
    api = browser(app)
    api.headers["Authorization"] = f"Bearer {ui[1][Role.ADMIN]}"
    assert api.get("/ui/governance").status_code == 303


@pytest.mark.parametrize("role", PEOPLE, ids=[r.value for r in PEOPLE])
def test_role_matrix_of_pages_and_forms(ui, role: Role) -> None:
    app, tokens = ui
    client = browser(app)
    csrf = sign_in(client, tokens[role])
    for path, (sample, perm) in UI_PAGES.items():
        r = client.get(sample)
        if perm in GRANTS[role] or perm is Permission.PUBLIC:
            assert r.status_code in (200, 303), (role, path, r.status_code, r.text[:300])
        else:
            assert r.status_code == 403, (role, path, r.status_code)
    for path, (sample, form, perm) in UI_FORMS.items():
        if path == "/ui/sign-out":
            continue  # below: it would end the session the loop needs
        # Without the session's CSRF token, or with a wrong one: 403 for everybody.
        assert client.post(sample, data=form).status_code == 403, (role, path)
        assert client.post(sample, data={**form, "csrf": csrf[::-1]}).status_code == 403
        r = client.post(sample, data={**form, "csrf": csrf})
        if perm in GRANTS[role]:
            # The service decides (no approval 1, no deployment): a page, not a refusal.
            assert r.status_code not in (401, 403) and r.status_code < 500, (
                role, path, r.status_code, r.text[:300])
        else:
            assert r.status_code == 403, (role, path, r.status_code, r.text[:300])
    assert client.post("/ui/sign-out", data={}).status_code == 403  # no CSRF
    r = client.post("/ui/sign-out", data={"csrf": csrf})
    assert r.status_code == 303 and "pilotdeck_session=\"\"" in r.headers["set-cookie"]


def test_a_viewer_sees_no_decision_or_rollout_controls(ui) -> None:
    app, tokens = ui
    client = browser(app)
    sign_in(client, tokens[Role.VIEWER])
    assert "rollout/start" not in client.get(f"/ui/pilots/{PILOT}").text
    assert "/decide" not in client.get("/ui/governance").text


def test_session_cookie_flags_and_sign_in_csrf(ui) -> None:
    app, tokens = ui
    for https in (False, True):
        client = browser(app, https=https)
        page = client.get(SIGN_IN)
        pre = page.headers["set-cookie"]
        assert "HttpOnly" in pre and "SameSite=strict" in pre and "Path=/ui" in pre
        r = client.post(SIGN_IN, data={"csrf": csrf_of(page.text), "token": tokens[Role.VIEWER],
                                       "next": "https://evil.example/"})
        assert r.status_code == 303 and r.headers["location"] == "/ui/portfolio"  # no open redirect
        cookie = next(c for c in r.headers.get_list("set-cookie")
                      if c.startswith("pilotdeck_session="))
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/ui" in cookie
        assert ("Secure" in cookie) is https
        assert tokens[Role.VIEWER] not in cookie  # sealed, not the token in clear
    # The sign-in form itself: without the double-submitted value it is a forgery.
    fresh = browser(app)
    assert fresh.post(SIGN_IN, data={"token": tokens[Role.ADMIN]}).status_code == 403
    nonce = csrf_of(fresh.get(SIGN_IN).text)
    assert fresh.post(SIGN_IN, data={"csrf": "y" * 32, "token": tokens[Role.ADMIN]}
                      ).status_code == 403
    bad = fresh.post(SIGN_IN, data={"csrf": nonce, "token": "pd_wrong"})
    assert bad.status_code == 401 and "not valid" in bad.text and "pd_wrong" not in bad.text
    client_token = fresh.post(SIGN_IN, data={"csrf": nonce, "token": tokens[Role.CLIENT]})
    assert client_token.status_code == 401 and "cannot use the dashboard" in client_token.text


def test_tampered_expired_and_revoked_sessions_end(world) -> None:
    import time

    from pilotdeck.api.ui import session

    platform, app, _ = world
    token = platform.access.create("short-lived", "viewer", [], ADMIN)
    client = browser(app)
    sign_in(client, token.token)
    assert client.get("/ui/governance").status_code == 200
    good = client.cookies["pilotdeck_session"]
    for bad in (good[:-2] + ("AA" if not good.endswith("AA") else "BB"), "x", "A" * 5000):
        client.cookies.set("pilotdeck_session", bad, domain="127.0.0.1", path="/ui")
        assert client.get("/ui/governance").status_code == 303, bad[:20]

    class Req:  # what seal() reads from a request
        def __init__(self) -> None:
            self.app = app

    old, _ = session.seal(Req(), token.token,  # type: ignore[arg-type]
                          now=time.time() - session.LIFETIME_S - 1)
    client.cookies.set("pilotdeck_session", old, domain="127.0.0.1", path="/ui")
    assert client.get("/ui/governance").status_code == 303
    client.cookies.set("pilotdeck_session", good, domain="127.0.0.1", path="/ui")
    assert client.get("/ui/governance").status_code == 200
    platform.access.revoke(token.id, ADMIN)
    r = client.get("/ui/governance")  # revoking the token ends the session
    assert r.status_code == 303 and r.headers["location"].startswith("/ui/sign-in")
    assert client.get(r.headers["location"]).status_code == 200  # the form, not a loop


def test_bad_form_input_is_a_4xx_never_a_500(ui) -> None:
    app, tokens = ui
    client = browser(app)
    csrf = sign_in(client, tokens[Role.ADMIN])
    base = f"/ui/pilots/{PILOT}/rollout/start"
    for form in ({"challenger": "abc"}, {"challenger": "-1"}, {"challenger": "9" * 40},
                 {"challenger": ""}, {"challenger": "1", "mode": "sideways"}):
        r = client.post(base, data={**form, "csrf": csrf})
        assert 400 <= r.status_code < 500, (form, r.status_code, r.text[:300])
    r = client.post(base, content=b'{"challenger": 2}', headers={
        "content-type": "application/json"})
    assert r.status_code == 403  # not a form: no CSRF token either
    r = client.post(base, content=b"csrf=" + csrf.encode() + b"&challenger=%ff%fe",
                    headers={"content-type": "application/x-www-form-urlencoded"})
    assert 400 <= r.status_code < 500
    for path in ("/ui/approvals/0/decide", "/ui/approvals/99999999999999999999999/decide"):
        assert 400 <= client.post(path, data={"csrf": csrf, "decision": "approve",
                                              "reason": "x"}).status_code < 500
    r = client.post("/ui/approvals/1/decide", data={"csrf": csrf, "decision": "maybe"})
    assert 400 <= r.status_code < 500
    assert client.get("/ui/pilots/no-such-pilot").status_code == 404
    assert client.get("/ui/pilots/" + "x" * 300).status_code == 422
    assert client.get("/ui/portfolio?businessUnit=" + "%00").status_code < 500
    page = client.get("/ui/portfolio")
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_the_programme_page_shows_the_programme_report(world) -> None:
    """The page's figures are the report's (the report's own numbers are tested
    against hand-computed totals in tests/service/test_programme.py)."""
    platform, app, tokens = world
    client = browser(app)
    sign_in(client, tokens[Role.VIEWER])
    report = platform.programme.report("month")
    page = client.get("/ui/programme?period=month")
    assert page.status_code == 200
    assert f"{report.currency} {report.net_value:,.0f}" in page.text
    assert f"Target: under {report.time_to_scale_days.target_days} days" in page.text
    for unit in report.adoption.by_business_unit:
        assert unit.business_unit in page.text
    png = client.get("/ui/charts/programme/time-to-scale.png?period=quarter")
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.get("/ui/charts/programme/nope.png").status_code == 404
