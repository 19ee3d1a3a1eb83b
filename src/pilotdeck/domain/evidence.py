"""Evidence derived from a pilot's own record (pure).

These are the facts a manifest can prove by itself; providers that look at the
registry, monitoring or the audit log add more keys.
"""

from __future__ import annotations

from pilotdeck.domain.maturity import Evidence
from pilotdeck.domain.pilot import PilotManifest

QUALITY_BAR = 0.8


def _share(n: int, total: int) -> str:
    return f"{n}/{total}"


def manifest_evidence(m: PilotManifest) -> list[Evidence]:
    spec = m.spec
    sources = spec.data_sources
    n = len(sources)
    out = [Evidence("data.sources_declared", n > 0, f"{n} data source(s) declared")]
    if n:
        owned = sum(1 for s in sources if s.owner)
        quality = [s.quality for s in sources if s.quality is not None]
        lineage = sum(1 for s in sources if s.lineage)
        out += [
            Evidence("data.owners_named", owned == n, f"{_share(owned, n)} sources have an owner"),
            Evidence("data.quality_baseline", len(quality) == n,
                     f"{_share(len(quality), n)} sources have a quality baseline"),
            Evidence("data.lineage_documented", lineage == n,
                     f"{_share(lineage, n)} sources have documented lineage"),
            Evidence("data.quality_high",
                     len(quality) == n and min(quality, default=0) >= QUALITY_BAR,
                     f"lowest source quality {min(quality):.2f} (bar {QUALITY_BAR})"
                     if quality else "no quality baseline"),
            Evidence("data.pii_flagged", True,
                     f"{sum(s.contains_pii for s in sources)} source(s) flagged as personal data"),
        ]
    out.append(Evidence("models.declared", bool(spec.stack.models),
                        f"{len(spec.stack.models)} model(s) named in the stack"))
    base = set(spec.baseline.metrics)
    cur = set(spec.current.metrics)
    out.append(Evidence("monitoring.baseline_metrics", bool(base),
                        f"{len(base)} baseline metric(s)"))
    out.append(Evidence("monitoring.current_metrics", bool(base) and base <= cur,
                        f"{len(base & cur)}/{len(base)} baseline metrics tracked now"))
    roles = sum(1 for t in spec.team if t.role)
    out.append(Evidence("team.owner_and_team", bool(m.metadata.owner) and roles >= 2,
                        f"owner {m.metadata.owner}, {roles} team member(s) with roles"))
    econ = spec.economics
    out.append(Evidence("team.business_case",
                        econ.production_cost_per_year > 0 and econ.expected_value_per_year > 0,
                        "cost and value estimated" if econ.production_cost_per_year > 0
                        and econ.expected_value_per_year > 0 else "cost or value missing"))
    return out


def aggregate(per_pilot: list[dict[str, Evidence]], share: float = 0.75) -> dict[str, Evidence]:
    """Organisation-level evidence: a key holds when ``share`` of pilots satisfy it."""
    keys = sorted({k for ev in per_pilot for k in ev})
    out: dict[str, Evidence] = {}
    total = len(per_pilot)
    for k in keys:
        yes = sum(1 for ev in per_pilot if k in ev and ev[k].satisfied)
        out[k] = Evidence(k, total > 0 and yes / total >= share,
                          f"{yes}/{total} live pilots satisfy it (needs {share:.0%})")
    return out
