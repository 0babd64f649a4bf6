"""No lab JVM outlives its owner: real owner processes start real 1-node labs in temporary state dirs
and die by a signal; the node JVM must be gone within 30 s. A `lab up` lab survives its command; an
orphan (owner and supervisor killed together) is reported by `lab status` and stopped by `lab down`.

Each test starts one lab of its own (one at a time); each prints how long the JVM took to go.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import wait_until
from tui.kafka import admin
from tui.lab import LabCluster, process
from tui.lab.ownership import read_record
from tui.lab.session import OrphanedLab, lab_session
from tui.vocab import LabOwnerState

pytestmark = pytest.mark.kafka

OWNER_SCRIPT = Path(__file__).with_name("lab_owner.py")
GONE_WITHIN = 30.0


@dataclass
class Owner:
    proc: subprocess.Popen[str]
    pid: int
    supervisor: int
    node: int


@pytest.fixture
def start_owner(tmp_path: Path) -> Iterator[type[Owner]]:
    owners: list[subprocess.Popen[str]] = []

    def start(mode: str) -> Owner:
        proc = subprocess.Popen([sys.executable, str(OWNER_SCRIPT), mode, str(tmp_path / "lab")],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        owners.append(proc)
        assert proc.stdout is not None
        line = proc.stdout.readline()  # the owner's start-up is bounded by its lab timeout (180 s)
        assert line.startswith("READY "), f"owner did not start: {line!r}"
        ready = json.loads(line.removeprefix("READY "))
        assert ready["node"] is not None
        return Owner(proc, ready["owner"], ready["supervisor"], ready["node"])

    yield start  # type: ignore[misc]
    for proc in owners:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    LabCluster(tmp_path / "lab").down(timeout=10)  # whatever a failed test left


def _gone_after(pid: int, since: float) -> float:
    wait_until(lambda: not process.alive(pid), timeout=GONE_WITHIN, interval=0.05,
               message=f"lab JVM {pid} gone")
    return time.monotonic() - since


@pytest.mark.parametrize(("mode", "sig"), [
    ("session", signal.SIGKILL),
    ("session", signal.SIGHUP),
    ("session", signal.SIGTERM),
    ("running", signal.SIGKILL),
    ("running", signal.SIGABRT),  # how a pytest run died, leaving its session labs running
], ids=lambda value: value.name if isinstance(value, signal.Signals) else value)
def test_the_lab_dies_with_its_owner(start_owner: type[Owner], tmp_path: Path, mode: str,
                                     sig: signal.Signals) -> None:
    owner = start_owner(mode)  # type: ignore[call-arg]
    cluster = LabCluster(tmp_path / "lab")
    assert cluster.ownership().state == LabOwnerState.OWNED
    assert process.is_our_node(owner.node, cluster.properties_file(1))
    killed = time.monotonic()
    owner.proc.send_signal(sig)
    owner.proc.wait()
    took = _gone_after(owner.node, killed)
    wait_until(lambda: not process.alive(owner.supervisor), timeout=10, message="supervisor gone")
    print(f"\n{mode} owner, {sig.name}: JVM gone {took:.2f} s after the signal")
    assert took < GONE_WITHIN
    assert process.find_nodes({1: cluster.properties_file(1)}) == {}
    assert read_record(cluster.dir) is None
    assert cluster.node_state(1) == "stopped"


def test_a_lab_up_lab_survives_its_command(tmp_path: Path) -> None:
    state = tmp_path / "lab"
    cluster = LabCluster(state)
    try:
        up = subprocess.run([sys.executable, "-m", "tui", "lab", "up", "--nodes", "1", "--state-dir",
                             str(state)], capture_output=True, text=True, timeout=240, check=False)
        assert up.returncode == 0, up.stderr
        pid = cluster.pid(1)
        assert pid is not None
        assert cluster.ownership().state == LabOwnerState.NONE
        assert read_record(state) is None
        bootstrap = up.stdout.strip()
        assert {n.id for n in admin.describe_cluster({"bootstrap.servers": bootstrap}, timeout=10).nodes} \
            == {1}
        # a session on it uses it and leaves it running
        with lab_session(state, nodes=1) as session:
            assert (session.started, session.owned) == (False, False)
        assert cluster.pid(1) == pid
    finally:
        cluster.down(timeout=20)


def test_lab_up_takes_over_a_lab_a_program_owns(start_owner: type[Owner], tmp_path: Path) -> None:
    owner = start_owner("session")  # type: ignore[call-arg]
    state = tmp_path / "lab"
    up = subprocess.run([sys.executable, "-m", "tui", "lab", "up", "--nodes", "1", "--state-dir",
                         str(state)], capture_output=True, text=True, timeout=240, check=False)
    assert up.returncode == 0, up.stderr
    assert f"The lab belonged to pid {owner.pid} (lab_owner.py session" in up.stderr
    assert "it now runs until `lab down`." in up.stderr
    owner.proc.kill()
    owner.proc.wait()
    wait_until(lambda: not process.alive(owner.supervisor), timeout=GONE_WITHIN,
               message="the old owner's supervisor gone")
    cluster = LabCluster(state)
    assert cluster.pid(1) == owner.node  # left running: it is a `lab up` lab now
    assert cluster.ownership().state == LabOwnerState.NONE
    assert "left running" in (state / "supervisor.log").read_text()
    assert cluster.down(timeout=20) == [1]


def test_an_orphan_is_reported_and_stopped(start_owner: type[Owner], tmp_path: Path) -> None:
    owner = start_owner("session")  # type: ignore[call-arg]
    state = tmp_path / "lab"
    process.signal_pid(owner.supervisor, signal.SIGKILL)  # the supervisor first, so it cannot act
    owner.proc.kill()
    owner.proc.wait()
    wait_until(lambda: not process.alive(owner.supervisor), timeout=10, message="supervisor gone")
    cluster = LabCluster(state)
    assert process.alive(owner.node)
    assert cluster.ownership().state == LabOwnerState.ORPHANED

    status = subprocess.run([sys.executable, "-m", "tui", "lab", "status", "--state-dir", str(state)],
                            capture_output=True, text=True, timeout=60, check=True)
    assert f"orphaned (owner {owner.pid} gone)" in status.stdout
    assert "kafka-explorer lab down" in status.stdout
    as_json = json.loads(subprocess.run(
        [sys.executable, "-m", "tui", "lab", "status", "--json", "--state-dir", str(state)],
        capture_output=True, text=True, timeout=60, check=True).stdout)
    assert as_json["owner"] == {**as_json["owner"], "state": "orphaned", "pid": owner.pid}
    with pytest.raises(OrphanedLab, match="which is gone: stop it with `kafka-explorer lab down"), \
            lab_session(state, nodes=1):
        pytest.fail("the block must not run")
    assert process.alive(owner.node)  # refusing stopped nothing

    asked = time.monotonic()
    down = subprocess.run([sys.executable, "-m", "tui", "lab", "down", "--state-dir", str(state)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert down.returncode == 0, down.stderr
    assert f"stopped the orphaned (owner {owner.pid} gone) lab: nodes [1]" in down.stdout
    took = _gone_after(owner.node, asked)
    print(f"\norphan: `lab down` stopped the JVM in {took:.2f} s")
    assert cluster.ownership().state == LabOwnerState.NONE
    assert read_record(state) is None
