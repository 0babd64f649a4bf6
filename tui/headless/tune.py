"""``kafka-explorer tune TOPIC ...``: sweep a grid of producer and consumer settings and print what
each point costs in throughput and latency, with the Pareto frontier (throughput vs p99 latency).

Each axis takes a comma-separated list (``--linger-ms 0,5,50 --compression none,zstd``); the grid is
their cartesian product. Every point writes to its own fresh topic ``TOPIC-tune-<run>-<n>`` (deleted
afterwards unless ``--keep-topics``) with a group member reading it, so end-to-end latency is real.
A bad grid (an unknown value, idempotence with acks=1, batch.size above the broker's
message.max.bytes) gets one sentence before anything runs. Ctrl-C stops the sweep and keeps what was
measured. Exit codes: 0 every point ran; 1 a point failed or the cluster could not be used; 2 bad
options; 130 interrupted (the table and report still cover the points measured).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.headless.output import emit_json, fail, say, usage

if TYPE_CHECKING:
    from tui.engine import Engine, PointResult, SweepView, TuneGrid, TuneWorkload

EXIT_FAILED = 1
EXIT_INTERRUPTED = 130
_AXIS_OPTIONS = (
    # (option, axis, help)
    ("--linger-ms", "linger_ms", "linger.ms values, e.g. 0,5,50 (default 5)"),
    ("--batch-size", "batch_size", "batch.size values in bytes, e.g. 16384,1000000 (default 1000000)"),
    ("--compression", "compression", "none,gzip,snappy,lz4,zstd (default none)"),
    ("--acks", "acks", "0,1,all (default all)"),
    ("--max-in-flight", "max_in_flight", "max.in.flight values, e.g. 1,5 (default 5)"),
    ("--idempotence", "idempotence", "false,true (default false; true needs acks=all)"),
    ("--value-content", "value_content", "kx,random,text,json (default text: compresses like prose)"),
    ("--fetch-min-bytes", "fetch_min_bytes", "the group member's fetch.min.bytes (default 1)"),
    ("--fetch-max-wait-ms", "fetch_max_wait_ms",
     "the member's fetch.wait.max.ms (Java: fetch.max.wait.ms; default 500)"),
    ("--max-poll-records", "max_poll_records",
     "records per consume call: librdkafka has no max.poll.records, the member's batch size plays its "
     "part (default 500)"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("topic", metavar="TOPIC",
                        help="base name: each point writes to its own topic TOPIC-tune-<run>-<n>")
    grid = parser.add_argument_group("the grid (comma-separated values per setting)")
    for option, axis, text in _AXIS_OPTIONS:
        grid.add_argument(option, dest=f"grid_{axis}", default=None, metavar="V,V,...", help=text)
    work = parser.add_argument_group("each point")
    size = work.add_mutually_exclusive_group()
    size.add_argument("--count", type=int, default=20_000, metavar="N",
                      help="records per point (default 20000)")
    size.add_argument("--duration", type=float, default=None, metavar="S",
                      help="send for S seconds per point instead of a count")
    work.add_argument("--rate", type=float, default=None, metavar="R",
                      help="records per second (default: as fast as possible)")
    work.add_argument("--value-size", type=int, default=200, metavar="BYTES")
    work.add_argument("--partitions", type=int, default=1, metavar="N",
                      help="partitions of each point's topic (default 1)")
    work.add_argument("--no-consumer", action="store_true",
                      help="no group member: only send -> ack latency is measured")
    work.add_argument("--keep-topics", action="store_true", help="keep each point's topic")
    out = parser.add_argument_group("output")
    out.add_argument("--json", action="store_true", help="JSON lines: one per point, then the sweep")
    out.add_argument("--report", type=Path, default=None, metavar="FILE",
                     help="write FILE.json and FILE.md (or only the one FILE names)")




def build_grid(args: argparse.Namespace) -> TuneGrid:
    """The grid the options describe (raises TuneError with one sentence)."""
    from tui.engine import TuneGrid, parse_axis

    values: dict[str, Any] = {}
    for _option, axis, _help in _AXIS_OPTIONS:
        raw = getattr(args, f"grid_{axis}", None)
        if raw is not None:
            values[axis] = parse_axis(axis, raw)
    return TuneGrid(**values)


def build_workload(args: argparse.Namespace) -> TuneWorkload:
    from tui.engine import TuneError, TuneWorkload

    if args.count is not None and args.count < 1:
        raise TuneError(f"--count must be at least 1, not {args.count}.")
    if args.duration is not None and not 0 < args.duration <= 3600:
        raise TuneError(f"--duration must be between 0 and 3600 seconds, not {args.duration:g}.")
    if args.rate is not None and not args.rate > 0:
        raise TuneError(f"--rate must be above 0 records/s, not {args.rate:g}.")
    if not 1 <= args.value_size <= 1_000_000:
        raise TuneError(f"--value-size must be between 1 and 1000000 bytes, not {args.value_size}.")
    if not 1 <= args.partitions <= 1000:
        raise TuneError(f"--partitions must be between 1 and 1000, not {args.partitions}.")
    return TuneWorkload(count=args.count, duration=args.duration, rate=args.rate,
                        value_size=args.value_size, partitions=args.partitions,
                        consumer=not args.no_consumer)


def run(args: argparse.Namespace) -> int:
    from tui import connect
    from tui.engine import Engine, TuneError

    try:
        grid = build_grid(args)
        workload = build_workload(args)
        grid.validate(max_message_bytes=None)  # the broker's limit is checked once connected
    except TuneError as exc:
        return usage(str(exc))
    if isinstance(getattr(args, "config", None), str):
        args.config = Path(args.config)
    try:
        connection = connect.resolve(args)
    except connect.ConnectError as exc:
        return fail(str(exc))
    with Engine(connection, watch=False) as engine:
        try:
            grid.validate(max_message_bytes=_broker_limit(engine, args.topic))
        except TuneError as exc:
            return usage(str(exc))
        view, interrupted = _sweep(engine, grid, workload, args)
    _print(view, args.json)
    if args.report is not None:
        for path in write_report(view, args.report):
            if not args.json:
                say(f"report: {path}")
    if interrupted:
        sys.stderr.write(f"kafka-explorer: interrupted after {len(view.results)} of {view.total} "
                         "points; the table covers those measured.\n")
        return EXIT_INTERRUPTED
    if view.state == "failed":
        return fail(view.message or "the sweep failed.")
    if any(r.error for r in view.results):
        return EXIT_FAILED
    return 0


def _broker_limit(engine: Engine, topic: str) -> int | None:
    """max.message.bytes of TOPIC when it exists (its default is the broker's message.max.bytes)."""
    from tui.engine import DescribeTopicConfig

    try:
        config = engine.call(DescribeTopicConfig(topic, include_defaults=True), timeout=20)
    except (ValueError, TimeoutError):
        return None
    entry = config.get("max.message.bytes")
    try:
        return int(entry.value) if entry is not None and entry.value else None
    except ValueError:
        return None


def _sweep(engine: Engine, grid: TuneGrid, workload: TuneWorkload,
           args: argparse.Namespace) -> tuple[SweepView, bool]:
    """Run the sweep on a worker thread so Ctrl-C in this one can cancel it cleanly."""
    from tui.engine import run_sweep

    cancel = threading.Event()
    box: dict[str, SweepView] = {}
    bar = _ProgressBar(enabled=not args.json and sys.stderr.isatty())

    def progress(view: SweepView) -> None:
        box["view"] = view
        bar.show(view)

    finished = threading.Event()

    def work() -> None:
        try:
            box["view"] = run_sweep(engine, grid, workload, args.topic, on_progress=progress,
                                    cancel=cancel, keep_topics=args.keep_topics)
        finally:
            finished.set()

    worker = threading.Thread(target=work, name="tune-sweep", daemon=True)
    worker.start()
    interrupted = False
    # an Event, not Thread.join: a Ctrl-C that interrupts join() can leave is_alive() False while
    # the thread still runs, and the table would miss the point being cut short
    while not finished.is_set():
        try:
            finished.wait(0.2)
        except KeyboardInterrupt:
            interrupted = True
            cancel.set()
            sys.stderr.write("\nkafka-explorer: stopping the sweep (keeping what was measured)...\n")
    bar.done()
    return box["view"], interrupted


class _ProgressBar:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def show(self, view: SweepView) -> None:
        if not self.enabled:
            return
        done = len(view.results)
        width = 24
        filled = int(width * done / max(1, view.total))
        running = f"  {view.running}" if view.running else ""
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{view.total}{running}"
                         "\x1b[K")
        sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


# ---- output -------------------------------------------------------------------------------------

COLUMNS = ("point", "rec/s", "MB/s", "ack p50", "ack p99", "e2e p50", "e2e p99", "rec/batch", "fill",
           "ratio", "CPU µs/rec", "frontier")


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f}ms"


def _num(value: float | None, fmt: str = "{:,.1f}") -> str:
    return "-" if value is None else fmt.format(value)


def row_cells(r: PointResult) -> tuple[str, ...]:
    """One point as the table shows it (the Markdown report uses the same cells)."""
    e2e = r.e2e
    return (r.label, f"{r.throughput:,.0f}", f"{r.mb_rate:.2f}", _ms(r.ack.p50), _ms(r.ack.p99),
            _ms(e2e.p50 if e2e else None), _ms(e2e.p99 if e2e else None),
            _num(r.records_per_batch), _num(None if r.batch_fill is None else r.batch_fill * 100,
                                            "{:.0f}%"),
            _num(r.compression_ratio, "{:.2f}x"), _num(r.cpu_us_per_record, "{:.1f}"),
            "*" if r.frontier else ("failed" if r.error else ""))


def _print(view: SweepView, as_json: bool) -> None:
    if as_json:
        for r in view.results:
            emit_json({"type": "point", **r.to_json()})
        emit_json({"type": "sweep", "topic": view.topic, "state": view.state, "total": view.total,
                   "measured": len(view.results), "varied": list(view.varied),
                   "frontier": [r.label for r in view.results if r.frontier]})
        return
    rows = [COLUMNS, *(row_cells(r) for r in view.results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    for n, row in enumerate(rows):
        say("  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                      for i, cell in enumerate(row)))
        if n == 0:
            say("  ".join("-" * w for w in widths))
    for r in view.results:
        if r.error:
            say(f"  {r.label}: {r.error}")
    front = [r.label for r in view.results if r.frontier]
    if front:
        say(f"Pareto frontier (throughput vs p99 {'e2e' if _has_e2e(view) else 'send→ack'} latency): "
            + ", ".join(front))


def _has_e2e(view: SweepView) -> bool:
    return any(r.e2e is not None and r.e2e.p99 is not None for r in view.results)


def markdown(view: SweepView) -> str:
    lines = [f"# Tuning sweep on {view.topic}", "",
             f"{len(view.results)} of {view.total} points measured ({view.state}); varied: "
             f"{', '.join(view.varied) or 'nothing'}.", "",
             "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(row_cells(r)) + " |" for r in view.results]
    front = [r.label for r in view.results if r.frontier]
    lines += ["", "Frontier (`*`): no other point has both a higher throughput and a lower p99 latency"
              f" ({'produce → first delivery' if _has_e2e(view) else 'send → ack'}): "
              + (", ".join(front) or "none") + ".", ""]
    lines += [f"- {r.label}: {r.error}" for r in view.results if r.error]
    return "\n".join(lines) + "\n"


def write_report(view: SweepView, target: Path) -> list[Path]:
    """``target``.json and ``target``.md, or only the one its suffix names."""
    paths = ([target] if target.suffix in (".json", ".md")
             else [Path(f"{target}.json"), Path(f"{target}.md")])
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".json":
            path.write_text(json.dumps(view.to_json(), indent=2) + "\n", encoding="utf-8")
        else:
            path.write_text(markdown(view), encoding="utf-8")
    return paths
