"""Contract of the lake's quality storage (``save_quality_suite`` and friends), run
against every lake implementation in ``test_lake.IMPLEMENTATIONS``."""

from __future__ import annotations

from pathlib import Path

import pytest

from pilotdeck.domain.errors import ValidationFailed
from pilotdeck.domain.ports.lake import Lake
from tests.contract.test_lake import IMPLEMENTATIONS

HOSTILE = ["../etc", "..", "", "A", "Upper", "1abc", "a/b", "a\\b", "a" * 64, "a\x00b",
           "a.b", "-a", "quality/../x", " a", "abc\n"]


@pytest.fixture(params=sorted(IMPLEMENTATIONS))
def lake(request: pytest.FixtureRequest, tmp_path: Path) -> Lake:
    return IMPLEMENTATIONS[request.param](tmp_path / "lake")


def test_a_suite_round_trips_and_is_replaced(lake: Lake) -> None:
    assert lake.load_quality_suite("customers") is None
    lake.save_quality_suite("customers", "columns: {}\n# first\n")
    assert lake.load_quality_suite("customers") == "columns: {}\n# first\n"
    lake.save_quality_suite("customers", "columns: {}\n# second ü\n")
    assert lake.load_quality_suite("customers") == "columns: {}\n# second ü\n"
    assert lake.load_quality_suite("orders") is None


def test_results_are_kept_per_version_and_listed_in_version_order(lake: Lake) -> None:
    assert lake.list_quality_results("customers") == []
    for v in (10, 2, 0):
        lake.save_quality_result("customers", v, {"version": v, "passed": v != 2})
    lake.save_quality_result("orders", 1, {"version": 1})
    assert lake.load_quality_result("customers", 2) == {"version": 2, "passed": False}
    assert lake.load_quality_result("customers", 3) is None
    assert [r["version"] for r in lake.list_quality_results("customers")] == [0, 2, 10]
    lake.save_quality_result("customers", 2, {"version": 2, "passed": True})  # re-checked
    assert lake.load_quality_result("customers", 2) == {"version": 2, "passed": True}
    assert [r["version"] for r in lake.list_quality_results("orders")] == [1]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_dataset_names_are_refused_everywhere(lake: Lake, name: str,
                                                      tmp_path: Path) -> None:
    for call in (lambda: lake.save_quality_suite(name, "x: 1\n"),
                 lambda: lake.load_quality_suite(name),
                 lambda: lake.save_quality_result(name, 1, {}),
                 lambda: lake.load_quality_result(name, 1),
                 lambda: lake.list_quality_results(name)):
        with pytest.raises(ValidationFailed) as err:
            call()
        assert err.value.errors[0].field == "name"
    assert not any(p.name == "x: 1" for p in tmp_path.rglob("*"))


@pytest.mark.parametrize("version", [-1, True, 1.5, "1", 10**18])
def test_bad_versions_are_refused(lake: Lake, version: object) -> None:
    with pytest.raises(ValidationFailed) as err:
        lake.save_quality_result("customers", version, {})  # type: ignore[arg-type]
    assert err.value.errors[0].field == "version"
    with pytest.raises(ValidationFailed):
        lake.load_quality_result("customers", version)  # type: ignore[arg-type]


def test_non_finite_numbers_and_oversized_suites_are_refused(lake: Lake) -> None:
    with pytest.raises(ValidationFailed) as err:
        lake.save_quality_result("customers", 1, {"rate": float("inf")})
    assert err.value.errors[0].field == "result"
    assert lake.load_quality_result("customers", 1) is None
    with pytest.raises(ValidationFailed):
        lake.save_quality_suite("customers", "#" * 1_000_001)
    assert lake.load_quality_suite("customers") is None


def test_a_corrupt_result_file_is_a_clear_error(lake: Lake, tmp_path: Path) -> None:
    lake.save_quality_result("customers", 1, {"version": 1})
    [path] = list(tmp_path.rglob("v1.json"))
    for junk in (b"{not json", b"\xff\xfe", b"[1, 2]"):
        path.write_bytes(junk)
        with pytest.raises(ValidationFailed, match="unreadable quality result"):
            lake.load_quality_result("customers", 1)
        with pytest.raises(ValidationFailed):
            lake.list_quality_results("customers")
    assert not list(tmp_path.rglob("*.tmp"))
