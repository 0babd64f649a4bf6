"""Scenario reports: a JSON object (stable keys, for CI), a Markdown page (for the workshop notes) and
a self-contained HTML page (to hand out after a workshop).

Reports contain names, counts and explanations only: never payload bytes or client properties, so
no secret can leak into a file someone attaches to a ticket.
"""

from __future__ import annotations

import html
import json
import re
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.redact import redact_text
from tui.safe_text import safe_text
from tui.scenario.results import AskResult, RunOutcome

if TYPE_CHECKING:
    from tui.engine import Event, LanePartition, LaneView

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
        "questions": [
            {"step": a.step, "question": a.question, "choices": list(a.choices),
             "right": None if a.right is None else a.right + 1, "why": a.why,
             "answer": None if a.answer is None else a.answer + 1, "asked": a.asked,
             "correct": a.correct, "observed": a.observed, "verified": a.verified}
            for a in outcome.asks
        ],
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


def asks_from_json(data: Mapping[str, Any]) -> tuple[AskResult, ...]:
    """The questions of a JSON report (:func:`to_json`) back as results (a replayed run's report)."""

    def index(value: object) -> int | None:
        return value - 1 if isinstance(value, int) and not isinstance(value, bool) else None

    return tuple(AskResult(step=int(q["step"]), question=str(q["question"]),
                           choices=tuple(str(c) for c in q.get("choices") or ()),
                           right=index(q.get("right")), why=str(q.get("why") or ""),
                           answer=index(q.get("answer")), asked=bool(q.get("asked")),
                           observed=str(q.get("observed") or ""),
                           verified=q.get("verified") if isinstance(q.get("verified"), bool) else None)
                 for q in data.get("questions") or ())


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
    if outcome.asks:
        lines += ["", "## Predictions", ""]
        for a in outcome.asks:
            lines.append(f"- Step {a.step}: **{_md(a.question)}**")
            lines.append("  " + " · ".join(f"{i + 1}. {_md(c)}" for i, c in enumerate(a.choices)))
            verdict = "" if a.correct is None else (" — right" if a.correct else " — not right")
            lines.append(f"  - The room answered: {_md(a.answer_text())}{verdict}")
            if a.right is not None:
                lines.append(f"  - Right answer: {_md(a.right_text())}"
                             + (f" — {_md(a.why)}" if a.why else ""))
            if a.observed:
                checked = "" if a.verified is None else (" (verified by the run)" if a.verified
                                                         else " (the run did not confirm it)")
                lines.append(f"  - What happened: {_md(a.observed)}{checked}")
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


def write(outcome: RunOutcome, path: Path, timeline: Sequence[Event] = ()) -> list[Path]:
    """Write ``path`` as JSON (``.json``), Markdown (``.md``) or HTML (``.html``, with ``timeline``);
    any other suffix writes all three."""
    written = []
    suffix = path.suffix.lower()
    targets = ([path] if suffix in (".json", ".md", ".html")
               else [path.with_suffix(path.suffix + ext) for ext in (".html", ".json", ".md")])
    for target in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
        kind = target.suffix.lower()
        if kind == ".json":
            target.write_text(json.dumps(to_json(outcome), indent=2, default=str) + "\n")
        elif kind == ".html":
            target.write_text(to_html(outcome, timeline), encoding="utf-8")
        else:
            target.write_text(to_markdown(outcome))
        written.append(target)
    return written


# ---- HTML: one self-contained page (inline style, no script, nothing fetched) ----------------------

MAX_TIMELINE = 2000
"""Events listed in the HTML timeline (the newest are kept when there are more)."""
_CSS = """
body{font:14px/1.45 system-ui,sans-serif;max-width:70em;margin:2em auto;padding:0 1em;color:#1b1f24}
h1{margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #d0d7de;padding:.2em .6em;
text-align:left;vertical-align:top}th{background:#f6f8fa}.num{text-align:right}
.ok{color:#116329}.bad{color:#a40e26;font-weight:bold}.dim{color:#57606a}
.banner{padding:.6em 1em;border-radius:6px;font-weight:bold}.banner.ok{background:#dafbe1}
.banner.bad{background:#ffebe9}blockquote{margin:.2em 0 .2em 1.5em;color:#57606a}
code{background:#f6f8fa;padding:0 .2em}
table.lane{border-collapse:collapse;font-family:monospace}table.lane td,table.lane th{border:0;
padding:0 .05em;text-align:center;min-width:.7em}tr.marks td{font-weight:bold;color:#57606a}
.fp{color:#116329}.fd{color:#0550ae}.f\\.{color:#8c959f}.f2{color:#9a6700}.fs{color:#a40e26}
.fl{color:#a40e26;font-weight:bold}.fx{color:#6639ba}.fa{color:#bc4c00}.f-{color:#8c959f}
"""


def to_html(outcome: RunOutcome, timeline: Sequence[Event] = ()) -> str:
    """The run as one HTML page: verdict (headline and findings), expectations, steps, the record
    lane (see :func:`record_lane_section`), the event timeline and producer numbers. Every string
    from a file, the cluster or a payload is escaped (``safe_text`` then ``html.escape``)."""
    sc = outcome.scenario
    result = "PASSED" if outcome.passed else "FAILED"
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        # nothing in the page may load or run anything, whatever a payload smuggled in
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'\">",
        f"<title>{_h(sc.title)} — {result}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_h(sc.title)}</h1>",
        f'<p class="banner {"ok" if outcome.passed else "bad"}">Result: {result}'
        + (f" — {_h(outcome.error)}" if outcome.error else "") + "</p>",
        f"<p>{_h(sc.goal, 4000)}</p>",
        f'<p class="dim">Cluster: {sc.cluster.nodes} node(s), profile {_h(sc.cluster.profile)}. '
        f"Run {_h(outcome.run_suffix)}, {outcome.finished - outcome.started:.0f} s, started "
        f"{_iso(outcome.started)}.</p>",
        _verdict_section(outcome), _predictions_section(outcome), _expectations_section(outcome),
        _steps_section(outcome),
        record_lane_section(outcome), _timeline_section(timeline), _metrics_section(outcome),
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"


def record_lane_section(outcome: RunOutcome) -> str:
    """The record lane of each of the run's topics after the verdict, as HTML cells: one row of
    cells per partition (a glyph per fate, coloured; the offsets in each cell's title), the markers
    under it, and a legend. Empty when the run drew no lane."""
    if not outcome.lanes:
        return ""
    from tui.engine import FATE_CODES, FATE_GLYPHS, FATE_WORDS, LEGEND_ORDER, fate_of

    parts = ["<h2>Record lane</h2>"]
    for lane in outcome.lanes:
        per = f"{lane.per_cell:,} records per cell" if lane.per_cell != 1 else "one record per cell"
        parts.append(f"<h3>{_h(lane.topic)}</h3><p class=\"dim\">"
                     + (f"Fates for group {_h(lane.group)}" if lane.group else "No group read it")
                     + f", {per}, from the verdict.</p><table class=\"lane\">")
        for part in lane.partitions:
            cells = []
            for i, code in enumerate(part.cells):
                fate = fate_of(code)
                first, after = lane.offsets_of(i)
                where = f"{first}" if lane.per_cell == 1 else f"{first}-{after - 1}"
                if fate is None:
                    cells.append(f'<td title="{where}: outside the log"></td>')
                    continue
                cells.append(f'<td class="f{FATE_CODES[fate]}" title="{where}: '
                             f'{_h(FATE_WORDS[fate])}">{FATE_GLYPHS[fate]}</td>')
            marks = _lane_marks(lane, part)
            parts.append(f"<tr><th>p{part.partition}</th>{''.join(cells)}</tr>"
                         f'<tr class="marks"><th></th>{marks}</tr>')
        parts.append("</table>")
    legend = " ".join(f'<span class="f{FATE_CODES[f]}">{FATE_GLYPHS[f]}</span> {_h(FATE_WORDS[f])}'
                      for f in LEGEND_ORDER)
    parts.append(f'<p class="legend">{legend} · <b>S</b> log start <b>L</b> last stable '
                 "<b>H</b> high watermark <b>C</b> committed (the lane's group) <b>c</b> another "
                 "group's commit</p>")
    return "\n".join(parts)


def _lane_marks(lane: LaneView, part: LanePartition) -> str:
    """The marker row under a partition's cells (later letters win a shared cell)."""
    marks = [""] * len(part.cells)
    plan: list[tuple[str, list[int | None]]] = [
        ("S", [part.log_start]), ("L", [part.last_stable]), ("H", [part.high_watermark]),
        ("c", [o for g, o in part.committed if g != lane.group]),
        ("C", [o for g, o in part.committed if g == lane.group])]
    for letter, offsets in plan:
        for offset in offsets:
            if offset is not None and 0 <= (cell := lane.cell_of(offset)) < len(marks):
                marks[cell] = letter
    return "".join(f"<td>{m}</td>" for m in marks)


def _predictions_section(outcome: RunOutcome) -> str:
    """Each question put to the room: the answer, the right one and why, and what the run showed."""
    if not outcome.asks:
        return ""
    items = []
    for a in outcome.asks:
        choices = "".join(
            f'<li class="{"ok" if i == a.right else ""}">{_h(c)}'
            + (" <b>(the room)</b>" if i == a.answer else "") + "</li>"
            for i, c in enumerate(a.choices))
        verdict = "" if a.correct is None else (' <span class="ok">right</span>' if a.correct else
                                                ' <span class="bad">not right</span>')
        right = (f"<p>Right answer: {_h(a.right_text())}" + (f" — {_h(a.why, 2000)}" if a.why else "")
                 + "</p>") if a.right is not None else ""
        checked = "" if a.verified is None else (' <span class="ok">(verified by the run)</span>'
                                                 if a.verified else
                                                 ' <span class="bad">(the run did not confirm it)'
                                                 "</span>")
        observed = f"<p>What happened: {_h(a.observed, 2000)}{checked}</p>" if a.observed else ""
        items.append(f"<li><p><b>Step {a.step}: {_h(a.question, 2000)}</b></p><ol>{choices}</ol>"
                     f"<p>The room answered: {_h(a.answer_text())}{verdict}</p>{right}{observed}</li>")
    return "<h2>Predictions</h2><ul>" + "".join(items) + "</ul>"


def _verdict_section(outcome: RunOutcome) -> str:
    verdict = outcome.verdict
    if verdict is None:
        return "<h2>Verdict</h2><p>No verdict was taken.</p>"
    headline = verdict.raw.get("headline") if verdict.raw else None
    ok = bool(verdict.raw.get("ok", True)) if verdict.raw else True
    lines = ["<h2>Verdict</h2>"]
    if headline:
        lines.append(f'<p class="banner {"ok" if ok else "bad"}">{_h(str(headline))}</p>')
    violations = verdict.raw.get("violations", {}) if verdict.raw else {}
    counted = sorted(verdict.counts.items(), key=lambda kv: (kv[1] == 0, list(verdict.counts).index(kv[0])))
    rows = "".join(
        f'<tr><td>{_h(kind)}</td><td class="num">{count:,}</td>'
        f'<td class="num{" bad" if violations.get(kind) else ""}">{int(violations.get(kind) or 0):,}</td></tr>'
        for kind, count in counted if count)
    zero = [kind for kind, count in counted if not count]
    lines.append("<table><tr><th>anomaly</th><th>records</th><th>violations</th></tr>"
                 + (rows or '<tr><td colspan="3">no anomalies</td></tr>') + "</table>")
    if zero:
        lines.append(f'<p class="dim">None of: {_h(", ".join(zero), 4000)}.</p>')
    if verdict.explanations:
        lines.append("<h3>Findings</h3><ul>")
        lines += [f"<li><b>{_h(k)}</b> ({_h(j)}): {_h(x, 2000)}</li>"
                  for k, j, x in verdict.explanations[:MAX_EXPLANATIONS]]
        lines.append("</ul>")
        if len(verdict.explanations) > MAX_EXPLANATIONS:
            lines.append(f'<p class="dim">… and {len(verdict.explanations) - MAX_EXPLANATIONS:,} more '
                         "findings (counted above).</p>")
    return "\n".join(lines)


def _expectations_section(outcome: RunOutcome) -> str:
    if not outcome.expectations:
        return ""
    rows = "".join(
        f'<tr><td>{_h(e.subject)}</td><td>{_h(e.expected)}</td>'
        f'<td class="num">{"n/a" if e.actual is None else _num(e.actual)}</td>'
        f'<td class="{"ok" if e.ok else "bad"}">{"ok" if e.ok else "FAIL"}</td></tr>'
        for e in outcome.expectations)
    return ("<h2>Expectations</h2><table><tr><th>expectation</th><th>expected</th><th>actual</th>"
            f"<th>result</th></tr>{rows}</table>")


def _steps_section(outcome: RunOutcome) -> str:
    narration = {s.number: s.narrate for s in outcome.scenario.steps}
    items = []
    for s in outcome.steps:
        narrate = s.narrate or narration.get(s.number, "")
        items.append(f'<li><b>{_h(s.kind)}</b> — {_h(s.title)}: '
                     f'<span class="{"ok" if s.ok else "bad"}">{"" if s.ok else "failed: "}'
                     f"{_h(s.detail, 2000)}</span> ({s.seconds:.1f} s)"
                     + (f"<blockquote>{_h(narrate, 4000)}</blockquote>" if narrate else "") + "</li>")
    return "<h2>Steps</h2><ol>" + "".join(items) + "</ol>" if items else ""


def _timeline_section(timeline: Sequence[Event]) -> str:
    if not timeline:
        return ""
    shown = list(timeline)[-MAX_TIMELINE:]
    base = shown[0].ts
    rows = "".join(
        f'<tr><td class="num">+{e.ts - base:.3f}s</td><td>{_h(e.severity)}</td><td>{_h(e.kind)}</td>'
        f"<td>{_h(e.source)}</td><td>{_h(redact_text(e.text), 1000)}</td></tr>" for e in shown)
    skipped = len(timeline) - len(shown)
    note = f'<p class="dim">The first {skipped:,} events are left out.</p>' if skipped else ""
    return ("<h2>Timeline</h2>" + note + "<table><tr><th>time</th><th>severity</th><th>event</th>"
            f"<th>source</th><th>what happened</th></tr>{rows}</table>")


def _metrics_section(outcome: RunOutcome) -> str:
    metrics = outcome.metrics
    if metrics is None:
        return ""
    lines = ["<h2>Producers</h2>",
             f"<p>{metrics.produced:,} produced, {metrics.acked:,} acknowledged, "
             f"{metrics.failed_definite:,} failed, {metrics.failed_indefinite:,} indefinite.</p>"]
    for topic, counts in sorted(metrics.partition_counts.items()):
        parts = ", ".join(f"{p}: {n:,}" for p, n in sorted(counts.items()))
        lines.append(f"<p>Acked per partition of {_h(topic)}: {_h(parts, 4000)}</p>")
    if metrics.errors:
        lines.append("<table><tr><th>producer error</th><th>count</th></tr>" + "".join(
            f'<tr><td><code>{_h(k)}</code></td><td class="num">{v:,}</td></tr>'
            for k, v in sorted(metrics.errors.items())) + "</table>")
    return "\n".join(lines)


def _h(text: object, cap: int = 500) -> str:
    """Untrusted text for HTML: controls escaped and length capped (safe_text), then HTML-escaped."""
    return html.escape(safe_text(str(text), cap), quote=True)


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
