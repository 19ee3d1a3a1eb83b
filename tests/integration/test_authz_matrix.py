"""The standing authorisation matrix: every route of the API and the gateway ×
every kind of caller, against the permission the route declares.

Routes are read from the apps' route tables, so a new route is covered the day
it is added: it must declare exactly one permission (``require`` or
``public``), or be listed in ``UNDECLARED_PUBLIC``. Callers are generated from
``auth.roles``: no token, a bad token, every role, and for every role whose
grant can be limited to pilots a token limited to the pilot in the request and
one limited to another pilot. Expected: 401 without a valid token, 403 without
the permission (or outside the pilots), anything else but a 5xx when allowed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount

from pilotdeck.auth.roles import GRANTS, MUST_BE_SCOPED, SCOPED, Permission, Role
from pilotdeck.config import Settings
from pilotdeck.platform import Platform
from tests.conftest import DEMO_PILOTS
from tests.integration.test_api import permissions_of

PILOT, OTHER, VICTIM = "churn-prediction", "next-best-offer", "legacy-faq-bot"

# Framework routes without a dependency: the OpenAPI document and its viewers.
UNDECLARED_PUBLIC = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc",
                     "/docs/assets",  # Swagger UI's own files, served offline
                     "/ui/static"}  # the dashboard's CSS and JavaScript
# The dashboard's routes: callers are signed-in browsers (a session cookie and a CSRF
# token), so their matrix is tests/integration/test_dashboard_security.py, which
# also fails when a /ui route is not listed there.
UI_PREFIX = "/ui"


@dataclass(frozen=True)
class Caller:
    name: str
    token: str | None
    role: Role | None = None
    pilots: frozenset[str] | None = None  # None: not limited


@dataclass(frozen=True)
class Case:
    """A request for one route; ``pilot`` is the pilot it acts on, if any."""

    method: str
    path: str
    permission: Permission
    body: Any = None
    pilot: str | None = None


def routes(app: FastAPI) -> Iterator[Any]:
    for route in app.routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from inner.routes
        else:
            yield route


def callers(platform: Platform) -> list[Caller]:
    admin = _local_admin()
    out = [Caller("no token", None), Caller("bad token", "pd_" + "x" * 43)]
    for role in Role:
        kinds: list[tuple[str, frozenset[str] | None]] = []
        if role not in MUST_BE_SCOPED:
            kinds.append(("", None))
        if role in SCOPED:
            kinds += [(" in scope", frozenset({PILOT})), (" out of scope", frozenset({OTHER}))]
        for suffix, pilots in kinds:
            tok = platform.access.create(f"m-{role.value}{suffix.replace(' ', '-')}",
                                         role.value, sorted(pilots or []), admin).token
            out.append(Caller(role.value + suffix, tok, role, pilots))
    # The administrator goes last: what it may do (delete, revoke) it really does.
    return sorted(out, key=lambda c: c.role is Role.ADMIN)


def _local_admin() -> Any:
    from pilotdeck.auth.roles import local_admin

    return local_admin("matrix")


def allowed(caller: Caller, case: Case) -> bool:
    if case.permission is Permission.PUBLIC:
        return True
    if caller.role is None or case.permission not in GRANTS[caller.role]:
        return False
    if caller.pilots is not None and case.permission in SCOPED.get(caller.role, frozenset()):
        return case.pilot in caller.pilots
    return True


def check(client: TestClient, cases: list[Case], people: list[Caller]) -> list[str]:
    bad = []
    for caller in people:
        headers = {"Authorization": f"Bearer {caller.token}"} if caller.token else {}
        for case in cases:
            r = client.request(case.method, case.path, json=case.body, headers=headers)
            ok = allowed(caller, case)
            want = "not 401/403" if ok else ("401" if caller.role is None else "403")
            good = (r.status_code < 500 and r.status_code not in (401, 403) if ok
                    else r.status_code == int(want))
            if not good:
                bad.append(f"{case.method} {case.path} as {caller.name}: {r.status_code}, "
                           f"expected {want} ({case.permission.value})")
    return bad


def cases_for(app: FastAPI, samples: dict[str, str], bodies: dict[tuple[str, str], Any],
              bad: list[str]) -> list[Case]:
    """One request per route and method; problems with the route table go to ``bad``."""
    out = []
    for route in routes(app):
        if isinstance(route, APIRoute) and route.path.startswith(UI_PREFIX):
            continue
        if not isinstance(route, APIRoute):
            if route.path not in UNDECLARED_PUBLIC:
                bad.append(f"{route.path}: no declared permission and not listed as public")
            elif isinstance(route, Mount):
                continue  # static files under a listed public prefix
            else:
                out.append(Case("GET", route.path, Permission.PUBLIC))
            continue
        perms = permissions_of(route)
        if len(perms) != 1:
            bad.append(f"{sorted(route.methods)} {route.path}: declares {len(perms)} "
                       "permissions; every route declares exactly one")
            continue
        (perm,) = perms
        for method in sorted(route.methods - {"HEAD"}):
            path, params = route.path, route.param_convertors
            for name in params:
                key = f"{method} {name}"
                value = samples.get(key, samples.get(name))
                if value is None:
                    bad.append(f"{method} {route.path}: no sample for path parameter {name}")
                    break
                path = path.replace("{" + name + "}", value)
            body = bodies.get((method, route.path), {})
            pilot = samples["pilot"] if "pilot" in params else None
            if isinstance(body, dict) and "pilot" in body:
                pilot = body["pilot"]
            if (method, route.path) in NAMES_PILOT_IN_BODY_OR_PATH:
                pilot = PILOT
            scoped = any(perm in s for s in SCOPED.values())
            if scoped and pilot is None:
                bad.append(f"{method} {route.path}: {perm.value} can be limited to pilots, "
                           "so say which pilot the request acts on (bodies/samples here)")
            out.append(Case(method, path, perm, body, pilot))
    return out


# Routes that act on a pilot named in the body (manifests) rather than in a
# ``{pilot}`` path parameter or a ``pilot`` key.
NAMES_PILOT_IN_BODY_OR_PATH = {("POST", "/v1/pilots"), ("POST", "/v1/pilots/import"),
                               ("PUT", "/v1/pilots/{name}")}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    home = tmp_path_factory.mktemp("matrix")
    platform = Platform(Settings(home=home, alert_interval_s=0, gateway_refresh_s=30))
    platform.portfolio.import_path(DEMO_PILOTS, _local_admin())
    manifest = platform.portfolio.get(PILOT).manifest()
    spare = platform.access.create("spare", "viewer", [], _local_admin())
    platform.teams.create("coe", "platform", _local_admin())
    people = callers(platform)
    samples = {"pilot": PILOT, "name": PILOT, "DELETE name": VICTIM, "alias": "champion",
               "token_id": str(spare.id), "seq": "0", "version": "1", "approval_id": "1",
               "alert_id": "1", "silence_id": "1", "view": "customer_stats",
               "item": "runbook", "team": "coe", "user": "ana"}
    bodies: dict[tuple[str, str], Any] = {
        ("POST", "/v1/pilots"): manifest,
        ("PUT", "/v1/pilots/{name}"): manifest,
        ("POST", "/v1/pilots/import"): {"manifests": [manifest]},
        ("POST", "/v1/assessments"): {"pilot": PILOT},
        ("POST", "/v1/feedback"): {"requestId": "0" * 40, "pilot": PILOT, "label": 1},
    }
    yield platform, people, samples, bodies
    platform.close()


def test_every_api_route_against_every_caller(world) -> None:
    from pilotdeck.api.app import create_app

    platform, people, samples, bodies = world
    app = create_app(platform)
    bad: list[str] = []
    cases = cases_for(app, samples, bodies, bad)
    assert len(cases) > 40
    bad += check(TestClient(app), cases, people)
    assert not bad, f"{len(bad)} violation(s):\n" + "\n".join(bad)


def test_every_gateway_route_against_every_caller(world) -> None:
    from pilotdeck.gateway.app import create_gateway

    platform, people, samples, bodies = world
    app = create_gateway(platform)
    bad: list[str] = []
    cases = cases_for(app, samples, bodies, bad)
    assert {c.path for c in cases} >= {f"/v1/pilots/{PILOT}/predict", "/v1/feedback"}
    with TestClient(app) as client:  # runs the lifespan: tokens loaded from the store
        bad += check(client, cases, people)
    assert not bad, f"{len(bad)} violation(s):\n" + "\n".join(bad)


def test_the_matrix_catches_an_undeclared_route_and_a_wrong_grant(world) -> None:
    """The suite itself can fail: a route without a permission, and a route whose
    handler lets an out-of-scope token through."""
    from fastapi import APIRouter

    from pilotdeck.http import install_problems, require, set_authenticator

    platform, people, samples, bodies = world
    app = FastAPI()
    install_problems(app)
    set_authenticator(app, platform.access.authenticate)
    router = APIRouter()

    @router.get("/v1/open")
    def open_route() -> dict[str, str]:
        return {}

    @router.post("/v1/assessments")
    def lax(who: Any = require(Permission.ASSESSMENTS_WRITE)) -> dict[str, str]:
        return {}  # forgets to check the pilot in the body

    app.include_router(router)
    bad: list[str] = []
    cases = cases_for(app, samples, bodies, bad)
    assert any("/v1/open" in b and "declares 0" in b for b in bad)
    found = check(TestClient(app), cases, people)
    assert any("pilot-team out of scope: 200, expected 403" in b for b in found), found


def test_dataset_grants_against_every_caller(world, tmp_path_factory) -> None:
    """The datasets' own rules, per caller: every read path of the API (rows, quality
    checks) for a plain and a ``pii`` dataset, without a grant, with a grant to the
    caller's role, and with a grant to the pilot a token is limited to."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pilotdeck.api.app import create_app

    platform, people, _, _ = world
    admin = _local_admin()
    src = tmp_path_factory.mktemp("ds") / "t.parquet"
    pq.write_table(pa.table({"id": [1, 2, 3]}), src)
    for name, tags in (("matrix_plain", []), ("matrix_pii", ["pii"])):
        platform.datasets.register(name, src, admin, owner="owners", tags=tags)
    client = TestClient(create_app(platform))

    def expected(c: Caller, name: str, grant: str | None) -> int:
        if c.role is None:
            return 401
        if Permission.DATASETS_READ not in GRANTS[c.role]:
            return 403
        if c.role is Role.ADMIN or name == "matrix_plain":
            return 200
        if grant == f"role:{c.role.value}":
            return 200
        if grant == f"pilot:{PILOT}" and c.pilots is not None and PILOT in c.pilots:
            return 200
        return 403

    bad = []
    for grant in (None, "role:viewer", f"pilot:{PILOT}"):
        if grant:
            platform.datasets.access.grant("matrix_pii", grant, "read", admin)
        for c in people:
            headers = {"Authorization": f"Bearer {c.token}"} if c.token else {}
            for name in ("matrix_plain", "matrix_pii"):
                want = expected(c, name, grant)
                for method, path in (("GET", f"/v1/datasets/{name}/rows"),
                                     ("POST", f"/v1/datasets/{name}/quality/checks")):
                    r = client.request(method, path, json={} if method == "POST" else None,
                                       headers=headers)
                    got = 200 if r.status_code in (200, 201, 404) and want == 200 else (
                        r.status_code)  # 404: no quality suite, after the read was allowed
                    if got != want:
                        bad.append(f"{method} {path} as {c.name} (grant {grant}): "
                                   f"{r.status_code}, expected {want}")
        if grant:
            platform.datasets.access.revoke("matrix_pii", grant, "read", admin)
    assert not bad, f"{len(bad)} violation(s):\n" + "\n".join(bad)
    denied = platform.audit.log(action="dataset.read-denied", limit=1000)
    assert denied and all(e.entity.id == "matrix_pii" for e in denied)
