"""What dataset quality baselines return: a suite, and a version's check result."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pilotdeck.views.base import View

SampleValue = str | int | float | bool | None
Kind = Literal["presence", "dtype", "nullable", "null_rate", "range", "categories", "unique",
               "row_count", "other"]


class SuiteColumn(View):
    """What the suite expects of one column."""

    name: str
    dtype: str
    nullable: bool
    required: bool = True
    unique: bool = False
    checks: list[str] = Field(default_factory=list,
                              description="each check as NAME(ARGS), e.g. in_range(0, 120)")


class QualitySuite(View):
    """A dataset's expectation suite (pandera YAML, editable) and what it says."""

    dataset: str
    suite_hash: str = Field(description="sha256 of the stored YAML text")
    baseline_version: int | None = Field(
        default=None, description="the version it was generated from (None: hand-written)")
    baseline_rows: int | None = None
    min_rows: int | None = None
    max_rows: int | None = None
    unique: list[str] = Field(default_factory=list, description="key columns, unique together")
    columns: list[SuiteColumn]
    yaml: str


class FailingRow(View):
    """One failing row: its position in the checked version and the offending value."""

    row: int | None = Field(description="0-based row position (None: the check is about "
                                        "the table, not a row)")
    value: SampleValue | list[SampleValue]


class CheckResult(View):
    """One check of the suite on one version."""

    check: str = Field(description="COLUMN:CHECK or table:CHECK")
    column: str | None = None
    kind: Kind
    expectation: str
    passed: bool
    failing_rows: int = 0
    observed: int | float | str | None = Field(default=None,
                                         description="the measured value (rate, count, type)")
    sample: list[FailingRow] = Field(default_factory=list,
                                     description="a few failing rows, never the whole input")
    error: str | None = Field(default=None, description="why the check could not run")


class QualityResult(View):
    """A suite run on one version: every check, and the verdict."""

    dataset: str
    version: int
    suite_hash: str
    passed: bool
    rows: int
    checked_at: str
    duration_ms: float
    failed: list[str] = Field(default_factory=list, description="the checks that failed")
    checks: list[CheckResult]
