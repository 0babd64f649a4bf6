"""Ownership without Kafka: the owner record, orphan detection, the supervisor and the session's orphan
policies, with a stand-in node (a sleeping process whose command line names ``kafka.Kafka`` and the
lab's properties file, which is the lab's proof that a process is one of its nodes)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from tests.helpers import wait_until
from tui.lab import LabCluster, LabError, process
from tui.lab.ownership import (
    OWNER_FILE,
    RELEASED_EXIT,
    OwnerRecord,
    Supervision,
    describe_command,
    ownership,
    read_record,
    write_record,
)
from tui.lab.session import STOP_MESSAGE, OrphanedLab, lab_session
from tui.lab.spec import LabSpec, NodePorts
from tui.vocab import DEFAULT_KAFKA_VERSION, LabOwnerState

OWNER_SCRIPT = Path(__file__).with_name("lab_owner.py")


def _stand_in(props: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", "kafka.Kafka",
                             str(props)], start_new_session=True)


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[tuple[LabCluster, subprocess.Popen[bytes]]]:
    """A 1-node lab state dir whose node 1 'runs' (a stand-in process)."""
    LabSpec(nodes=1, cluster_id="abc", ports={1: NodePorts(broker=1, controller=2)}).save(
        tmp_path / "cluster.json")
    (tmp_path / "node1").mkdir()
    props = tmp_path / "node1" / "server.properties"
    props.write_text("")
    node = _stand_in(props)
    (tmp_path / "node1" / "pid").write_text(str(node.pid))
    cluster = LabCluster(tmp_path)
    wait_until(lambda: cluster.node_state(1) == "running", timeout=10, message="the stand-in runs")
    yield cluster, node
    if node.poll() is None:
        node.kill()
    node.wait()


def _gone_process() -> tuple[int, int]:
    """PID and start time of a process that has exited."""
    proc = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    started = wait_until(lambda: process.start_time(proc.pid), timeout=10, message="a start time")
    assert proc.stdin is not None
    proc.stdin.close()
    proc.wait()
    return proc.pid, started


def _record(owner: tuple[int, int], supervisor: tuple[int, int]) -> OwnerRecord:
    return OwnerRecord(pid=owner[0], start=owner[1], command="kafka-explorer --nodes 1",
                       supervisor_pid=supervisor[0], supervisor_start=supervisor[1], since=time.time())


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tui", "lab", *args], capture_output=True, text=True,
                          timeout=60, check=False)


def test_owner_states(lab: tuple[LabCluster, subprocess.Popen[bytes]]) -> None:
    cluster, _node = lab
    assert cluster.ownership().state == LabOwnerState.NONE
    me = (os.getpid(), process.start_time(os.getpid()) or 0)
    dead, dead_supervisor = _gone_process(), _gone_process()
    write_record(cluster.dir, _record(me, dead_supervisor))
    assert cluster.ownership().state == LabOwnerState.OWNED
    assert cluster.ownership().describe() == (
        f"owned by pid {me[0]} (kafka-explorer --nodes 1): stops when it ends")
    # the same PID with another start time is another process: the owner is gone
    write_record(cluster.dir, _record((me[0], me[1] + 1), dead_supervisor))
    assert cluster.ownership().state == LabOwnerState.ORPHANED
    write_record(cluster.dir, _record(dead, dead_supervisor))
    orphan = cluster.ownership()
    assert orphan.state == LabOwnerState.ORPHANED
    assert orphan.describe() == f"orphaned (owner {dead[0]} gone)"
    # a live process that is not a supervisor does not count as one, even on the recorded PID
    write_record(cluster.dir, _record(dead, me))
    assert cluster.ownership().state == LabOwnerState.ORPHANED
    # nothing runs any more: the record is stale, not an orphan
    assert ownership(cluster.dir, any_running=False).state == LabOwnerState.NONE


def test_an_orphan_is_refused_reported_and_stopped(lab: tuple[LabCluster, subprocess.Popen[bytes]]) -> None:
    cluster, node = lab
    dead = _gone_process()
    write_record(cluster.dir, _record(dead, _gone_process()))
    with pytest.raises(OrphanedLab) as info, lab_session(cluster.dir, nodes=1):
        pytest.fail("the block must not run")
    assert str(info.value) == (
        f"The lab cluster in {cluster.dir} was left running by kafka-explorer --nodes 1 (pid {dead[0]}), "
        f"which is gone: stop it with `kafka-explorer lab down --state-dir {cluster.dir}`, or keep it "
        f"running with `kafka-explorer lab up --state-dir {cluster.dir}`.")
    assert node.poll() is None  # refusing signals nothing

    human = _cli("status", "--state-dir", str(cluster.dir))
    assert human.returncode == 0, human.stderr
    assert f"owner: orphaned (owner {dead[0]} gone). The lab cluster in" in human.stdout
    as_json = json.loads(_cli("status", "--json", "--state-dir", str(cluster.dir)).stdout)
    assert as_json["owner"]["state"] == "orphaned"
    assert as_json["owner"]["pid"] == dead[0]
    assert as_json["kafka_version"] == DEFAULT_KAFKA_VERSION  # a LabSpec default; written by this test

    down = _cli("down", "--state-dir", str(cluster.dir))
    assert down.returncode == 0, down.stderr
    assert f"stopped the orphaned (owner {dead[0]} gone) lab: nodes [1]" in down.stdout
    assert node.wait(timeout=30) is not None
    assert not (cluster.dir / OWNER_FILE).exists()
    assert cluster.ownership().state == LabOwnerState.NONE


def test_a_session_adopts_an_orphan_and_stops_it_at_the_end(
        lab: tuple[LabCluster, subprocess.Popen[bytes]]) -> None:
    cluster, node = lab
    write_record(cluster.dir, _record(_gone_process(), _gone_process()))
    lines: list[str] = []
    with lab_session(cluster.dir, nodes=1, on_orphan="adopt", progress=lines.append) as session:
        assert (session.started, session.owned, session.adopted) == (False, True, True)
        record = read_record(cluster.dir)
        assert record is not None
        assert record.pid == os.getpid()
        assert record.supervisor_alive()
        assert cluster.ownership().state == LabOwnerState.OWNED
        assert node.poll() is None
    assert any(line.startswith("adopting the lab cluster left running by pid") for line in lines)
    assert STOP_MESSAGE in lines
    assert node.wait(timeout=30) is not None  # stopped by the supervisor when the block ended
    assert read_record(cluster.dir) is None


def test_a_session_with_keep_adopts_it_as_a_lab_up_lab(
        lab: tuple[LabCluster, subprocess.Popen[bytes]]) -> None:
    cluster, node = lab
    write_record(cluster.dir, _record(_gone_process(), _gone_process()))
    with lab_session(cluster.dir, nodes=1, on_orphan="adopt", keep=True) as session:
        assert (session.owned, session.adopted) == (False, True)
    assert node.poll() is None
    assert read_record(cluster.dir) is None
    with pytest.raises(LabError, match="^Unknown orphan policy 'kill'; use one of stop, adopt, refuse"), \
            lab_session(cluster.dir, nodes=1, on_orphan="kill"):
        pytest.fail("the block must not run")


def test_a_takeover_leaves_the_lab_running(lab: tuple[LabCluster, subprocess.Popen[bytes]]) -> None:
    cluster, node = lab
    supervision = Supervision.start(cluster.dir)
    before = cluster.disown()  # what `lab up` does to a lab a program owns
    assert before.state == LabOwnerState.OWNED
    assert supervision.close(timeout=30) == RELEASED_EXIT
    assert node.poll() is None


def test_the_owner_stops_the_lab_itself_when_its_supervisor_was_killed(
        lab: tuple[LabCluster, subprocess.Popen[bytes]]) -> None:
    cluster, node = lab
    with cluster.owned() as supervision:
        os.kill(supervision.pid, signal.SIGKILL)
        wait_until(lambda: not process.alive(supervision.pid), timeout=10, message="supervisor gone")
    assert node.wait(timeout=30) is not None
    assert read_record(cluster.dir) is None


def test_sigterm_to_the_supervisor_stops_the_lab(lab: tuple[LabCluster, subprocess.Popen[bytes]]) -> None:
    cluster, node = lab
    supervision = Supervision.start(cluster.dir)
    os.kill(supervision.pid, signal.SIGTERM)
    assert node.wait(timeout=30) is not None
    assert supervision.close(timeout=30) == 0
    assert read_record(cluster.dir) is None


def test_down_never_signals_a_process_of_another_lab(
        lab: tuple[LabCluster, subprocess.Popen[bytes]], tmp_path_factory: pytest.TempPathFactory) -> None:
    cluster, node = lab
    other = tmp_path_factory.mktemp("other") / "node1" / "server.properties"
    foreign = _stand_in(other)
    try:
        (cluster.dir / "node1" / "pid").unlink()  # found by command line alone
        assert cluster.down(timeout=10) == [1]
        assert node.wait(timeout=10) is not None
        assert foreign.poll() is None
    finally:
        foreign.kill()
        foreign.wait()


@pytest.mark.parametrize("mode", ["supervise", "supervise-fork"])
def test_a_killed_owner_takes_its_lab_along(mode: str, lab: tuple[LabCluster, subprocess.Popen[bytes]]) -> None:
    """SIGKILL of an owner: the supervisor stops the node; also when a forked child of the owner
    still holds the pipe (then the supervisor notices the owner's PID is gone)."""
    cluster, node = lab
    owner = subprocess.Popen([sys.executable, str(OWNER_SCRIPT), mode, str(cluster.dir)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert owner.stdout is not None
        line = owner.stdout.readline()
        assert line.startswith("READY "), line
        ready = json.loads(line.removeprefix("READY "))
        record = read_record(cluster.dir)
        assert record is not None
        assert record == replace(record, pid=ready["owner"], supervisor_pid=ready["supervisor"])
        owner.kill()
        owner.wait()
        started = time.monotonic()
        wait_until(lambda: node.poll() is not None, timeout=30, message="the node stopped")
        wait_until(lambda: not process.alive(ready["supervisor"]), timeout=10, message="supervisor gone")
        assert time.monotonic() - started < 30
        assert read_record(cluster.dir) is None
    finally:
        if owner.stdin is not None:
            owner.stdin.close()  # ends the forked child too
        if owner.poll() is None:
            owner.kill()
        owner.wait()


def test_the_command_is_described_without_values() -> None:
    assert describe_command(["/usr/bin/kafka-explorer", "--nodes", "1"]) == "kafka-explorer --nodes 1"
    assert describe_command(["/x/tui/__main__.py", "run", "-X", "sasl.password=s3cret"]) == (
        "python -m tui run -X")
