"""Scenario reports: a JSON object (stable keys, for CI) and a Markdown page (for the workshop notes).

Reports contain names, counts and explanations only: never payload bytes or client properties, so
no secret can leak into a file someone attaches to a ticket.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

from tui.scenario.results import RunOutcome

MAX_EXPLANATIONS = 50
"""Anomaly explanations kept per report (the counts are always complete)."""


def to_json(outcome: RunOutcome) -> dict[str, Any]:
    sc = outcome.scenario
    metrics = outcome.metrics
    return {
        "scenario": sc.slug,
        "title": sc.title,
        "goal": sc.goal,
        "source": sc.source,
        "cluster": {"nodes": sc.cluster.nodes, "profile": sc.cluster.profile},
        "run_suffix": outcome.run_suffix,
        "names": dict(outcome.names),
        "passed": outcome.passed,
        "error": outcome.error,
        "started": _iso(outcome.started),
        "seconds": round(outcome.finished - outcome.started, 3),
        "steps": [
            {"number": s.number, "kind": s.kind, "title": s.title, "ok": s.ok, "detail": s.detail,
             "seconds": round(s.seconds, 3)}
            for s in outcome.steps
        ],
        "expectations": [
            {"subject": e.subject, "expected": e.expected, "actual": e.actual, "ok": e.ok}
            for e in outcome.expectations
        ],
        "verdict": None if outcome.verdict is None else {
            "counts": dict(outcome.verdict.counts),
            "anomalies": [
                {"kind": k, "judgement": j, "explanation": x}
                for k, j, x in outcome.verdict.explanations[:MAX_EXPLANATIONS]
            ],
            "summary": _plain(outcome.verdict.summary),
        },
        "metrics": None if metrics is None else {
            "produced": metrics.produced, "acked": metrics.acked,
            "failed_definite": metrics.failed_definite,
            "failed_indefinite": metrics.failed_indefinite,
            "errors": dict(metrics.errors),
            "partition_counts": {t: {str(p): n for p, n in c.items()}
                                 for t, c in metrics.partition_counts.items()},
            "revoked_partitions": dict(metrics.revoked_partitions),
        },
    }


def to_markdown(outcome: RunOutcome) -> str:
    sc = outcome.scenario
    lines = [f"# {_md(sc.title)}", "", f"**Result: {'PASSED' if outcome.passed else 'FAILED'}**"
             + (f" — {_md(outcome.error)}" if outcome.error else ""), "", _md(sc.goal), "",
             f"Cluster: {sc.cluster.nodes} node(s), profile `{sc.cluster.profile}`. "
             f"Run `{outcome.run_suffix}`, {outcome.finished - outcome.started:.0f} s, "
             f"started {_iso(outcome.started)}.", "", "## Steps", ""]
    for s in outcome.steps:
        lines.append(f"{s.number}. **{_md(s.kind)}** — {_md(s.title)}: "
                     f"{'' if s.ok else '**failed:** '}{_md(s.detail)} ({s.seconds:.1f} s)")
        step = next((x for x in sc.steps if x.number == s.number), None)
        if step is not None and step.narrate:
            lines.append(f"   > {_md(step.narrate)}")
    lines += ["", "## Expectations", "", "| expectation | expected | actual | result |",
              "|---|---|---|---|"]
    for e in outcome.expectations:
        actual = "n/a" if e.actual is None else _num(e.actual)
        lines.append(f"| {_md(e.subject)} | {_md(e.expected)} | {actual} | "
                     f"{'ok' if e.ok else '**FAIL**'} |")
    if outcome.verdict is not None:
        lines += ["", "## Verdict", "", "| anomaly | records |", "|---|---|"]
        lines += [f"| {_md(k)} | {v} |" for k, v in outcome.verdict.counts.items()]
        if outcome.verdict.explanations:
            lines += ["", "### Why", ""]
            lines += [f"- *{_md(k)}* ({_md(j)}): {_md(x)}"
                      for k, j, x in outcome.verdict.explanations[:MAX_EXPLANATIONS]]
    if outcome.metrics is not None and any(outcome.metrics.partition_counts.values()):
        lines += ["", "## Acked records per partition", ""]
        for topic, counts in sorted(outcome.metrics.partition_counts.items()):
            parts = ", ".join(f"{p}: {n}" for p, n in sorted(counts.items()))
            lines.append(f"- {_md(topic)}: {parts}")
    if outcome.metrics is not None and outcome.metrics.errors:
        lines += ["", "## Producer errors", ""]
        lines += [f"- `{k}`: {v}" if re.fullmatch(r"_?[A-Z0-9_]+", k) else f"- {_md(k)}: {v}"
                  for k, v in sorted(outcome.metrics.errors.items())]
    return "\n".join(lines) + "\n"


def write(outcome: RunOutcome, path: Path) -> list[Path]:
    """Write ``path`` as JSON (``.json``) or Markdown (``.md``); any other suffix writes both."""
    written = []
    suffix = path.suffix.lower()
    targets = ([path] if suffix in (".json", ".md")
               else [path.with_suffix(path.suffix + ".json"), path.with_suffix(path.suffix + ".md")])
    for target in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.suffix.lower() == ".json":
            target.write_text(json.dumps(to_json(outcome), indent=2, default=str) + "\n")
        else:
            target.write_text(to_markdown(outcome))
        written.append(target)
    return written


def _plain(value: Any) -> Any:
    """JSON-safe copy (summaries may hold tuples or mappings)."""
    return json.loads(json.dumps(value, default=str))


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.3g}"


def _md(text: str) -> str:
    """Neutralise Markdown/HTML control characters in text that came from files or the cluster."""
    out = str(text).replace("\r", " ").replace("\n", " ")
    for ch in ("\\", "|", "`", "*", "_", "[", "]"):
        out = out.replace(ch, "\\" + ch)
    return out.replace("<", "&lt;")
