"""The playbook as Markdown or one self-contained HTML page.

Drawn, like the runbook, from one list of sections so both formats say the same
thing. Everything comes from the playbook view: the standard (as configured)
and the numbers (as measured), never from anywhere else.
"""

from __future__ import annotations

import html
from typing import Any

from pilotdeck.render.model_card import CSS, Section, _inline, html_sections, markdown_sections
from pilotdeck.views.playbook import Playbook

__all__ = ["markdown", "page", "sections"]


def _n(v: Any) -> str:
    return f"{v:g}" if isinstance(v, int | float) else str(v)


def _days(v: float | None) -> str:
    if v is None:
        return "no pilot yet"
    return f"{v * 24:.1f} h" if v < 2 else f"{v:.1f} days"


def _version_line(p: Playbook) -> str:
    if p.version is not None:
        return f"Version **{p.version}** of the standard (sha256 `{p.standard_sha256[:12]}`)."
    if p.latest_version is not None:
        return (f"The standard changed since version {p.latest_version} (now sha256 "
                f"`{p.standard_sha256[:12]}`): publish it with `pilotdeck playbook --publish`.")
    return (f"Not published yet (sha256 `{p.standard_sha256[:12]}`): publish it with "
            "`pilotdeck playbook --publish`.")


def _rubric(r: dict[str, Any]) -> Section:
    rows = [[axis, name, _n(c["weight"]), c.get("description", "")]
            for axis in ("impact", "complexity")
            for name, c in r[axis]["criteria"].items()]
    plan = r.get("plan", {})
    return Section("1. Prioritise: impact against complexity", [
        f"Rubric **{r['name']}**: every pilot is scored {r['scale']['min']}–"
        f"{r['scale']['max']} on each criterion; an axis is the weighted mean.",
        f"High impact is at least {_n(r['impact']['threshold'])}; high complexity at least "
        f"{_n(r['complexity']['threshold'])}. High impact and low complexity: scale now; "
        "high impact and high complexity: build a reference architecture; low impact and "
        "low complexity: consolidate or sunset; low impact and high complexity: sunset.",
        f"The portfolio plan scales at most {plan.get('scaleMax')} pilots and sunsets at most "
        f"{plan.get('sunsetMax')}; a pattern shared by {plan.get('patternMinPilots')} or more "
        "pilots becomes a standard. `pilotdeck prioritize` shows today's matrix and plan."],
        ["axis", "criterion", "weight", "what it measures"], rows)


def _maturity(m: dict[str, Any]) -> Section:
    target = m["targetLevel"]
    return Section("2. Maturity: where each capability must get to", [
        f"Model **{m['name']}** (version {m['version']}); the target is level {target} "
        f"({m['levels'][str(target)]['name']}) on every dimension. Scores are derived from "
        "evidence in the platform as well as answered: `pilotdeck assess`."],
        ["dimension", f"at the target (level {target})", "practices checked"],
        [[d["name"], d["levels"].get(str(target), ""), str(len(d["practices"]))]
         for d in m["dimensions"]])


def _risk(q: dict[str, Any], gov: dict[str, Any]) -> list[Section]:
    tiers = [[tier, _n(t["reviewDays"]), "yes" if t["deployable"] else "no",
              "; ".join(c["text"] for c in t["controls"]) or "none"]
             for tier, t in q["tiers"].items()]
    enforced = ("The gateway refuses live traffic to a version that lacks a control its tier "
                "demands." if gov["enforced"] else "Controls are reported, not enforced "
                "(governance_enforce is off).")
    return [
        Section("3. Risk: the questionnaire", [
            f"Questionnaire **{q['name']}** (version {q['version']}): every pilot answers it "
            "(`pilotdeck risk assess PILOT`); the answers set the risk tier."],
            ["question", "dimension", "asks"],
            [[x["id"], x["dimension"], x["text"]] for x in q["questions"]]),
        Section("4. Controls per risk tier", [
            enforced, f"A board approval is valid for {gov['approvalValidDays']} days."],
            ["tier", "re-assess every (days)", "may go live", "controls"], tiers),
    ]


def _readiness(p: Playbook) -> Section:
    counts = {g.gate: g for g in p.numbers.gates}
    n = p.numbers.checked
    return Section("5. The pilot-to-production checklist", [
        "Answered from evidence in the platform wherever it can be (`pilotdeck readiness "
        "PILOT`); the governance board attests or waives what it cannot see. An item that "
        "blocks `live` holds back any live traffic; `full` holds back 100 %."],
        ["item", "what", "blocks", f"pilots passing (of {n})"],
        [[i["id"], i["text"], i["blocks"],
          str(counts[i["id"]].passed) if i["id"] in counts else ""]
         for i in p.standard["readiness"]])


def _rollout(plan: dict[str, Any]) -> Section:
    steps = " → ".join(f"{_n(s['weight'])} %" for s in plan["steps"])
    return Section("6. Staged rollout", [
        f"Default steps: {steps} of traffic to the challenger.",
        f"Each step waits at least {_n(plan['pauseSeconds'])} s and {plan['minSamples']} "
        f"requests; gates: {', '.join(g['name'] for g in plan['gates'])}, decided with "
        f"anytime-valid tests at α = {_n(plan['alpha'])} (proceed, iterate or roll back).",
        f"A step that cannot decide within {_n(plan['maxStepSeconds'])} s: "
        f"{plan['onTimeout']}. Rollback is immediate and audited: `pilotdeck rollout abort "
        "PILOT`."])


def _operate(sla: dict[str, Any], runbook: list[str]) -> Section:
    return Section("7. Operate: SLA and runbook", [
        f"Default SLA: availability ≥ {_n(sla['availabilityPct'])} %, p99 latency ≤ "
        f"{_n(sla['p99LatencyMs'])} ms, error rate ≤ {_n(sla['maxErrorRate'])}, over "
        f"{_n(sla['windowHours'])} h (`pilotdeck sla set PILOT --file sla.yaml`).",
        "Every pilot publishes a runbook generated from its live configuration "
        f"(`pilotdeck runbook PILOT --publish`) with: {', '.join(runbook)}."])


def _people(s: dict[str, Any]) -> list[Section]:
    return [
        Section("8. Roles", ["What each role may do (a team token carries the role its "
                             "holder has in the team)."], ["role", "permissions"],
                [[r, ", ".join(perms)] for r, perms in s["roles"].items()]),
        Section("9. Teams (the centre of excellence)",
                [] if s["teams"] else ["No teams yet: `pilotdeck teams create NAME --kind "
                                       "platform|enablement|governance-board|pilot`."],
                ["team", "kind", "pilots", "members"],
                [[t["name"], t["kind"], ", ".join(t["pilots"]),
                  ", ".join(f"{m['user']} ({m['role']})" for m in t["members"])]
                 for t in s["teams"]]),
    ]


def _numbers(p: Playbook) -> list[Section]:
    n = p.numbers
    return [
        Section("Where we are today", [
            f"{n.pilots} pilot(s) in the inventory, {n.checked} with a model whose "
            "checklist was evaluated."],
            ["gate", "pilots cleared"], [[g.text, f"{g.passed} of {g.of}"] for g in n.stages]),
        Section("Median time per phase (from the audit log)", [],
                ["phase", "median", "pilots"],
                [[x.phase, _days(x.median_days), str(x.pilots)] for x in n.phases]),
        Section("Most common failures", [] if n.common_failures else
                ["No failing checklist item."], ["item", "pilots failing it"],
                [[f"{f.item}: {f.text}", f"{len(f.pilots)}: {', '.join(f.pilots)}"]
                 for f in n.common_failures]),
    ]


def sections(p: Playbook) -> list[Section]:
    s = p.standard
    return [_rubric(s["rubric"]), _maturity(s["maturity"]), *_risk(s["risk"], s["governance"]),
            _readiness(p), _rollout(s["rollout"]), _operate(s["sla"], s["runbook"]),
            *_people(s), *_numbers(p)]


def _title(p: Playbook) -> str:
    return f"How we move AI from pilot to scale at {p.organisation}"


def markdown(p: Playbook) -> str:
    parts = [f"# {_title(p)}", "", _version_line(p), "",
             f"_Generated by pilotdeck from the configured standard and live records, "
             f"{p.generated_at[:19]}Z._"]
    return "\n".join(parts + markdown_sections(sections(p))) + "\n"


def page(p: Playbook) -> str:
    body = html_sections(sections(p))
    title = html.escape(_title(p))
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{title}</title>"
            f"<style>{CSS}</style></head><body><h1>{title}</h1>"
            f"<p>{_inline(_version_line(p))}</p><p class=note>Generated by pilotdeck from "
            f"the configured standard and live records, {html.escape(p.generated_at[:19])}Z."
            f"</p>{body}</body></html>\n")
