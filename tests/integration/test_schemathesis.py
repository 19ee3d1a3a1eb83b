"""Standing fuzz suite: Schemathesis against the API's and the gateway's OpenAPI.

Every generated request, valid and invalid, sent with an admin token, must get an
answer the document declares: no 5xx, no undocumented status code or content
type. Bounded (``EXAMPLES`` per operation and mode) and derandomised, in process
over ASGI, so it runs the same way every time. The operations are walked here
rather than through Schemathesis's pytest plugin, whose lazy fixtures reach into
pytest internals that pytest 9 no longer has.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    status_code_conformance,
)

from pilotdeck.api.app import create_app
from pilotdeck.auth.roles import local_admin
from pilotdeck.config import Settings
from pilotdeck.domain.serving import DeploymentSpec
from pilotdeck.gateway.app import create_gateway
from pilotdeck.platform import Platform
from tests.governance import minimal_risk

ADMIN = local_admin("fuzzer")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance]
EXAMPLES = 25
# Charts render a matplotlib figure per call (~0.2 s): a few cases cover their inputs.
FEWER = {"/v1/prioritization/chart": 3, "/v1/assessments/chart": 3,
         # An accepted upload is a Delta commit and a catalogue entry, and every later
         # list reads each table's log: a few cases cover the upload's inputs.
         "/v1/datasets/{name}/versions": 8, "/v1/datasets": 8,
         # Each reads the prediction log (compliance) or writes a file and an audit event.
         "/v1/pilots/{pilot}/sla/compliance": 8, "/v1/pilots/{pilot}/runbook/publish": 8,
         # Reads every pilot's logs and, as HTML, draws four charts.
         "/v1/programme/report": 5,
         # Each evaluates every pilot's checklist (and publishing writes a version).
         "/v1/playbook": 6, "/v1/playbook/publish": 3}
DEMO = Path(__file__).resolve().parents[2] / "src/pilotdeck/demo/pilots"
# No shrinking: a failure is reported as found, which keeps a red run fast too.
FUZZ = settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                phases=[Phase.explicit, Phase.generate], print_blob=False,
                suppress_health_check=list(HealthCheck))


def fuzz(app: Any, token: str, pilot: str | None = None) -> list[str]:
    """Every operation x (valid, invalid) input: the failures, one line each.

    With ``pilot``, operations on ``{pilot}`` are also run against that (real,
    deployed) pilot, where random names would mostly meet a 404."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = {"Authorization": f"Bearer {token}"}
    failures: list[str] = []
    for result in schema.get_all_operations():
        op = result.ok()
        fixed: list[dict[str, str] | None] = [None]
        if pilot and "{pilot}" in op.path:
            fixed.append({"pilot": pilot})
        for mode, path in ((m, p) for m in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
                           for p in fixed):

            @settings(FUZZ, max_examples=FEWER.get(op.path, EXAMPLES))
            @given(case=op.as_strategy(generation_mode=mode, path_parameters=path))
            def check(case: Any) -> None:
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                check()
            except Unsatisfiable:
                pass  # no invalid input exists for an operation that takes none
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - all reported at once
                failures.append(f"{op.label} ({mode.value}, {path}): {exc}"[:2000])
    return failures


def _platform(home: Path) -> Platform:
    platform = Platform(Settings(home=home, alert_interval_s=0, gateway_refresh_s=0.2))
    platform.portfolio.import_path(DEMO, ADMIN)
    minimal_risk(platform, "churn-prediction")  # it is deployed below
    return platform


@pytest.fixture(scope="module")
def api_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    platform = _platform(tmp_path_factory.mktemp("fuzz-api"))
    yield platform
    platform.close()


def test_api_answers_only_what_it_documents(api_platform: Platform) -> None:
    token = api_platform.access.create("fuzz-admin", "admin", [], ADMIN).token
    failures = fuzz(create_app(api_platform), token)
    assert not failures, f"{len(failures)} failing operation(s):\n" + "\n\n".join(failures)


def test_gateway_answers_only_what_it_documents(tmp_path: Path,
                                                trained: dict[str, Any]) -> None:
    platform = _platform(tmp_path)
    try:
        platform.models.register("churn-prediction", ADMIN, path=trained["dir"] / "lr")
        platform.models.deploy("churn-prediction", DeploymentSpec.parse(
            {"variants": [{"name": "champion", "version": 1, "weight": 100}]}), ADMIN)
        token = platform.access.create("fuzz-admin", "admin", [], ADMIN).token
        failures = fuzz(create_gateway(platform), token, pilot="churn-prediction")
    finally:
        platform.close()
    assert not failures, f"{len(failures)} failing operation(s):\n" + "\n\n".join(failures)
