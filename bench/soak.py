"""``make soak``: every bundled scenario several times in a row (three by default) with ``kafka-explorer
run``, on labs this script starts, then a pass-rate table per scenario.

One lab per kind the scenarios need (node count, profile, Kafka version: share groups need 4.2 or newer,
so those scenarios get a lab of the newest release), each started with ``kafka-explorer lab up`` in a
temporary state dir, used by its scenarios, and stopped with ``lab down`` before the next one starts
(also on a failure or Ctrl-C). Each run's output is kept in the log dir; a failed run prints its last
lines. Exit 0 when every scenario passed every run, 1 otherwise, 2 for bad arguments.

    python bench/soak.py [--runs 3] [--nodes 1] [--only NAME ...] [--logs DIR]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tui.scenario.load import ScenarioError, discover
from tui.scenario.model import Scenario
from tui.scenario.runner import kafka_satisfies
from tui.vocab import DEFAULT_KAFKA_VERSION, KafkaVersion

CLI = (sys.executable, "-m", "tui")
RUN_SLACK_S = 240.0
"""A run may take this much longer than the scenario's own duration before it is stopped as hung."""
STOP_GRACE_S = 30.0


@dataclass(frozen=True, order=True)
class LabKind:
    nodes: int
    profile: str
    kafka_version: str

    def label(self) -> str:
        return f"{self.nodes} node(s), profile {self.profile}, Kafka {self.kafka_version}"


@dataclass
class Tally:
    scenario: str
    runs: int = 0
    passed: int = 0
    seconds: list[float] = field(default_factory=list)
    problem: str = ""
    """Why the scenario could not run at all (a file that does not load, a lab that did not start)."""


def lab_kind(scenario: Scenario) -> LabKind:
    """The lab a scenario runs on: the default Kafka unless it needs a newer one, then the newest."""
    need = scenario.cluster.kafka
    version = str(DEFAULT_KAFKA_VERSION)
    if need is not None and not kafka_satisfies(version, need):
        fitting = [str(v) for v in KafkaVersion if kafka_satisfies(str(v), need)]
        version = fitting[-1] if fitting else version
    return LabKind(scenario.cluster.nodes, scenario.cluster.profile, version)


def cli(*args: str, log: Path, timeout: float) -> int:
    """``kafka-explorer ARGS`` with its output in ``log``; stopped (SIGTERM, then SIGKILL) after
    ``timeout`` seconds or when this script is interrupted."""
    with log.open("ab") as out, subprocess.Popen([*CLI, *args], stdout=out, stderr=subprocess.STDOUT,
                                                  stdin=subprocess.DEVNULL, start_new_session=True) as proc:
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            out.write(f"\n[soak] stopped after {timeout:.0f} s\n".encode())
            return -1
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(STOP_GRACE_S)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()


def tail(log: Path, lines: int = 15) -> str:
    text = log.read_text(errors="replace").rstrip().splitlines()
    return "\n".join(f"      {line}" for line in text[-lines:])


@contextmanager
def lab(kind: LabKind, state: Path, logs: Path) -> Iterator[bool]:
    """A lab of ``kind`` in ``state`` for the block (True when it started); always ``lab down`` after."""
    log = logs / f"lab-{state.name}.log"
    print(f"== lab: {kind.label()} in {state}", flush=True)
    try:
        code = cli("lab", "up", "--nodes", str(kind.nodes), "--profile", kind.profile,
                   "--kafka-version", kind.kafka_version, "--state-dir", str(state), "--timeout", "180",
                   log=log, timeout=300)
        if code != 0:
            print(f"   the lab did not start (exit {code}):\n{tail(log)}", flush=True)
        yield code == 0
    finally:
        code = cli("lab", "down", "--state-dir", str(state), log=log, timeout=120)
        print(f"   lab down (exit {code})", flush=True)


def run_scenario(path: Path, scenario: Scenario, state: Path, logs: Path, runs: int, tally: Tally) -> None:
    for number in range(1, runs + 1):
        log = logs / f"{path.stem}-{number}.log"
        started = time.monotonic()
        code = cli("run", str(path), "--state-dir", str(state), "--quiet", log=log,
                   timeout=scenario.duration + RUN_SLACK_S)
        took = time.monotonic() - started
        tally.runs += 1
        tally.seconds.append(took)
        tally.passed += code == 0
        verdict = "ok" if code == 0 else f"FAILED (exit {code})"
        print(f"   {path.stem}  run {number}/{runs}  {verdict}  ({took:.0f} s)", flush=True)
        if code != 0:
            print(tail(log), flush=True)


def table(tallies: Sequence[Tally], runs: int) -> str:
    width = max([len(t.scenario) for t in tallies] + [8])
    lines = [f"{'scenario':<{width}}  passed  mean s"]
    for t in tallies:
        mean = f"{sum(t.seconds) / len(t.seconds):6.0f}" if t.seconds else "     -"
        note = f"  {t.problem}" if t.problem else ""
        lines.append(f"{t.scenario:<{width}}  {t.passed}/{runs:<4}  {mean}{note}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0].strip("`: "))
    parser.add_argument("--runs", type=int, default=3, help="runs of each scenario in a row (default 3)")
    parser.add_argument("--nodes", type=int, choices=(1, 3), help="only the scenarios of this lab size")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="only these scenarios (file names)")
    parser.add_argument("--logs", type=Path, help="where each run's output goes (default: a new temp dir)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    # SIGTERM and SIGHUP end the script like Ctrl-C: the lab that is up is taken down first
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, _frame: sys.exit(128 + signum))

    found = discover()
    if args.only:
        unknown = set(args.only) - {path.stem for path, _ in found}
        if unknown:
            parser.error(f"no bundled scenario called {', '.join(sorted(unknown))}")
        found = [(path, item) for path, item in found if path.stem in args.only]
    tallies: dict[str, Tally] = {}
    by_lab: dict[LabKind, list[tuple[Path, Scenario]]] = {}
    for path, item in found:
        tallies[path.stem] = tally = Tally(path.stem)
        if isinstance(item, ScenarioError):
            tally.problem = str(item)
        elif args.nodes is None or item.cluster.nodes == args.nodes:
            by_lab.setdefault(lab_kind(item), []).append((path, item))
        else:
            del tallies[path.stem]
    logs = args.logs or Path(tempfile.mkdtemp(prefix="kx-soak-logs-"))
    logs.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="kx-soak-labs-") as root:
        for index, kind in enumerate(sorted(by_lab)):
            state = Path(root) / f"lab{index + 1}-{kind.nodes}n-{kind.profile}-{kind.kafka_version}"
            with lab(kind, state, logs) as up:
                for path, scenario in by_lab[kind]:
                    if not up:
                        tallies[path.stem].problem = f"no lab ({kind.label()}) started"
                        continue
                    run_scenario(path, scenario, state, logs, args.runs, tallies[path.stem])
    minutes = (time.monotonic() - started) / 60
    print(f"\n== pass rates ({args.runs} runs each, {minutes:.0f} min; logs in {logs})")
    print(table(list(tallies.values()), args.runs))
    return 0 if tallies and all(t.passed == args.runs for t in tallies.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
