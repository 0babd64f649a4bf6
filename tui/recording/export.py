"""``kafka-explorer replay FILE --info`` / ``--report OUT``: a recording without opening the explorer.

``--info`` prints what the file holds (who recorded it, how long, how much, the verdict's headline,
the scenario runs); ``--report OUT`` writes the recorded scenario run's reports (HTML, JSON and
Markdown, as ``run --report`` does). The interactive replay is :mod:`tui.ui.replay.launch`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tui.recording.reader import Recording


def describe(recording: Recording) -> list[str]:
    """What the recording holds, one fact a line."""
    header = recording.header
    seconds = recording.end - recording.start
    size = recording.path.stat().st_size if recording.path.exists() else 0
    lines = [f"{recording.path}: a {header.get('kind', '?')} session recorded {header.get('created', '?')} "
             f"by kafka-explorer {header.get('app', '?')} on {recording.label or 'an unnamed cluster'}",
             f"  {seconds:.0f} s, {recording.frames:,} snapshots, {len(recording.events):,} events, "
             f"{len(recording.explanations):,} explained records, {size / 1024:.1f} KiB"]
    verdict = recording.last_verdict()
    lines.append(f"  verdict: {verdict.headline}" if verdict is not None else "  no verdict")
    for run in recording.runs:
        state = ("passed" if run.report.get("passed") else "did not pass") if run.report else "unfinished"
        lines.append(f"  scenario {run.slug}: {run.title} ({state})")
    if recording.stopped:
        lines.append(f"  note: {recording.stopped}")
    if recording.truncated:
        lines.append("  note: the file ends early (the recording was cut off)")
    if recording.decoder.ignored:
        lines.append("  note: fields this version does not know were skipped: "
                     + ", ".join(sorted(recording.decoder.ignored)[:10]))
    return lines


def export(recording: Recording, target: Path) -> list[Path]:
    """Write the reports of the recording's last finished scenario run; returns the files."""
    from tui.recording.outcome import outcome_of
    from tui.scenario import report

    outcome = outcome_of(recording)
    return report.write(outcome, target, timeline=recording.events)


def run_headless(recording: Recording, info: bool, target: Path | None) -> int:
    if info:
        for line in describe(recording):
            print(line, flush=True)
    if target is not None:
        try:
            for path in export(recording, target):
                print(f"report written to {path}", file=sys.stderr, flush=True)
        except OSError as exc:
            print(f"kafka-explorer: cannot write the report {target}: {exc.strerror or exc}",
                  file=sys.stderr, flush=True)
            return 1
    return 0
