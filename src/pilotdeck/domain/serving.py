"""How a pilot's models are served: variants and weights, shadows, fallback, breaker.

Pure rules. Sticky assignment hashes a caller key into 10,000 buckets and maps
buckets to variants by cumulative weight, so a caller keeps its variant while
weights stay the same, and moving weight only moves the callers at the edge.
"""

from __future__ import annotations

import hashlib
import random
from typing import Any

from pydantic import ConfigDict, Field, ValidationError, model_validator

from pilotdeck.domain.errors import ValidationFailed
from pilotdeck.domain.inputs import INT64_MAX, Positive64, StorableModel
from pilotdeck.domain.pilot import field_errors

BUCKETS = 10_000


class _M(StorableModel):
    # Storable: timeoutMs: Infinity would switch the hang protection off.
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Variant(_M):
    name: str = Field(pattern=r"^[a-z][a-z0-9-]{0,39}$")
    version: int = Field(ge=1, le=INT64_MAX)
    weight: float = Field(ge=0, le=100)


class BreakerPolicy(_M):
    """When a variant's breaker opens (Resilience4j-style count and latency rules)."""

    error_rate: float = Field(0.5, gt=0, le=1, alias="errorRate")
    min_requests: int = Field(20, ge=1, alias="minRequests")
    window_s: float = Field(30.0, gt=0, alias="windowSeconds")
    consecutive_failures: int = Field(5, ge=1, alias="consecutiveFailures")
    slow_call_ms: float = Field(1000.0, gt=0, alias="slowCallMs")
    timeout_ms: float = Field(2000.0, gt=0, alias="timeoutMs")
    open_s: float = Field(10.0, gt=0, alias="openSeconds")
    half_open_probes: int = Field(3, ge=1, alias="halfOpenProbes")


class Fallback(_M):
    """Where traffic goes when a variant's breaker is open."""

    to: str = Field("champion", pattern="^(champion|default|none)$")
    default: Any = None  # the safe default prediction, when ``to`` is "default"


class Batching(_M):
    """Requests that arrive while a version's model is busy go in one call, up to
    ``maxBatch`` rows. The default is high because a tabular model's call has a
    fixed cost that dominates up to thousands of rows (HistGradientBoosting with
    100 trees: ~750 us a call + ~5 us a row), so merging 100-row requests is
    what lets the gateway outrun a per-request handler (benchmarks/serving:
    64 rows kept 100-row requests apart, 1,024 nearly doubled their
    throughput). Lower it for a model whose time grows with rows, so one batch
    stays well inside ``breaker.timeoutMs``."""

    enabled: bool = True
    max_batch: int = Field(1024, ge=1, le=10_000, alias="maxBatch")


class DeploymentSpec(_M):
    """A pilot's serving configuration, stored with a revision and audited."""

    variants: list[Variant] = Field(min_length=1)
    shadow: list[Positive64] = Field(default_factory=list,
                                     description="Versions that get copies.")
    fallback: Fallback = Field(default_factory=lambda: Fallback.model_validate({}))
    breaker: BreakerPolicy = Field(default_factory=lambda: BreakerPolicy.model_validate({}))
    batching: Batching = Field(default_factory=lambda: Batching.model_validate({}))
    cache_ttl_s: float = Field(300.0, ge=0, alias="cacheTtlSeconds")
    allow_missing: list[str] = Field(default_factory=list, alias="allowMissing")
    force_open: list[str] = Field(default_factory=list, alias="forceOpen",
                                  description="Variants whose breaker is held open (by an "
                                              "operator or an alert) until removed.")

    @model_validator(mode="after")
    def _rules(self) -> DeploymentSpec:
        names = [v.name for v in self.variants]
        if len(set(names)) != len(names):
            raise ValueError("variant names must be unique")
        if "champion" not in names:
            raise ValueError("one variant must be named 'champion'")
        if sum(v.weight for v in self.variants) <= 0:
            raise ValueError("at least one variant needs a weight above 0")
        unknown = sorted(set(self.force_open) - set(names))
        if unknown:
            raise ValueError(f"forceOpen names no variant: {', '.join(unknown)}")
        routed = {v.version for v in self.variants}
        if routed & set(self.shadow):
            raise ValueError("a shadow version cannot also take live traffic")
        return self

    @classmethod
    def parse(cls, data: Any) -> DeploymentSpec:
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ValidationFailed("invalid deployment", field_errors(exc)) from None

    def variant(self, name: str) -> Variant | None:
        return next((v for v in self.variants if v.name == name), None)

    def with_weights(self, weights: dict[str, float]) -> DeploymentSpec:
        unknown = set(weights) - {v.name for v in self.variants}
        if unknown:
            from pilotdeck.domain.errors import FieldError

            raise ValidationFailed("invalid weights", [
                FieldError(f"weights.{n}", "is not a variant of this deployment")
                for n in sorted(unknown)])
        data = self.model_dump(by_alias=True)
        for v in data["variants"]:
            v["weight"] = weights.get(v["name"], v["weight"])
        return DeploymentSpec.parse(data)

    def reweighted(self, weights: dict[str, float]) -> DeploymentSpec:
        """New weights asked for by an operator: they must add up to 100 %, so a
        typo (60 + 30) is refused instead of being scaled up silently."""
        out = self.with_weights(weights)
        total = sum(v.weight for v in out.variants)
        if abs(total - 100) > 1e-6:
            from pilotdeck.domain.errors import FieldError

            shares = ", ".join(f"{v.name}={v.weight:g}" for v in out.variants)
            raise ValidationFailed("invalid weights", [FieldError(
                "weights", f"must add up to 100, got {total:g} ({shares})")])
        return out

    def rolled_back(self, variant: str) -> DeploymentSpec:
        """``variant`` at weight 0 with its share moved to the champion.

        Moving the share (rather than only zeroing it) keeps the spec valid when the
        champion itself had weight 0, as in a full cut-over to a challenger: a rollback
        must always leave somewhere for the traffic to go."""
        current = self.variant(variant)
        champion = self.variant("champion")
        if current is None or champion is None or variant == "champion":
            return self.with_weights({variant: 0})
        return self.with_weights({variant: 0, "champion": champion.weight + current.weight})

    def with_breaker_open(self, variant: str) -> DeploymentSpec:
        data = self.model_dump(by_alias=True)
        data["forceOpen"] = sorted(set(self.force_open) | {variant})
        return DeploymentSpec.parse(data)

    def document(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)

    def shape(self) -> str:
        """A fingerprint of what is served and how, without the weights: which
        version each variant runs, shadows, fallback, breaker. A staged rollout
        moves weights at every step; a runbook stays true across them."""
        import hashlib

        from pilotdeck.domain.canonical import canonical_json

        doc = self.document()
        doc["variants"] = sorted([v["name"], v["version"]] for v in doc["variants"])
        return hashlib.sha256(canonical_json(doc)).hexdigest()


def bucket(key: str) -> int:
    """Stable bucket 0..9999 for a caller key (same key, same bucket, every process)."""
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % BUCKETS


class Router:
    """Precomputed cumulative bucket boundaries for one deployment's weights."""

    __slots__ = ("names", "bounds")

    def __init__(self, variants: list[Variant]) -> None:
        live = [v for v in variants if v.weight > 0]
        total = sum(v.weight for v in live)
        self.names = [v.name for v in live]
        acc, bounds = 0.0, []
        for v in live:
            acc += v.weight
            bounds.append(round(acc / total * BUCKETS))
        bounds[-1] = BUCKETS
        self.bounds = bounds

    def pick(self, key: str | None) -> str:
        b = bucket(key) if key else random.randrange(BUCKETS)
        for name, bound in zip(self.names, self.bounds, strict=True):
            if b < bound:
                return name
        return self.names[-1]


def profile_name(pilot: str, version: int) -> str:
    """The profile a version's logged traffic is compared with (stored when the
    version is registered with a reference table)."""
    return f"{pilot}.v{version}"
