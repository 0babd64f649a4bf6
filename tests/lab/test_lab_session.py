"""lab_session: start the lab if none runs, stop only what this session started."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.kafka import admin
from tui.lab import LabCluster, LabError
from tui.lab.session import STOP_MESSAGE, LabStartError, UpFunction, lab_session, running_nodes

pytestmark = pytest.mark.kafka


def _answers(bootstrap: str) -> set[int]:
    return {node.id for node in admin.describe_cluster({"bootstrap.servers": bootstrap}, timeout=10).nodes}


def test_a_running_lab_is_used_and_left_running(lab1: LabCluster) -> None:
    lines: list[str] = []
    with lab_session(lab1.dir, nodes=1, progress=lines.append, properties={"client.id": "kx-session"}) \
            as session:
        assert (session.started, session.owned) == (False, False)
        assert session.connection.bootstrap == lab1.bootstrap
        assert session.connection.label == "lab (1 node)"
        assert session.connection.lab_dir == lab1.dir
        assert session.connection.properties == {"client.id": "kx-session"}
        assert _answers(session.connection.bootstrap) == {1}
    assert running_nodes(lab1) == (1, 1)
    assert STOP_MESSAGE not in lines


def test_a_start_that_fails_is_one_sentence_and_leaves_nothing(tmp_path: Path) -> None:
    (tmp_path / "cluster.json").write_text("{not json")
    with pytest.raises(LabStartError) as info, lab_session(tmp_path, nodes=1):
        pytest.fail("the block must not run")
    assert str(info.value).startswith("The lab cluster did not start: The lab state in ")
    assert "unreadable" in info.value.reason
    assert isinstance(info.value, LabError)


def test_a_starter_that_gives_up_is_reported(tmp_path: Path) -> None:
    def refuse(_up: UpFunction) -> None:
        raise LabError("start-up aborted by the user")

    with pytest.raises(LabStartError, match="^The lab cluster did not start: start-up aborted by the user$"), \
            lab_session(tmp_path / "a", nodes=1, starter=refuse):
        pytest.fail("the block must not run")

    def forget(_up: UpFunction) -> None:
        return None  # returns without starting anything

    with pytest.raises(LabStartError, match="it exited before it was ready"), \
            lab_session(tmp_path / "b", nodes=1, starter=forget):
        pytest.fail("the block must not run")
    assert running_nodes(LabCluster(tmp_path / "b")) == (0, 0)


def test_a_session_stops_only_the_lab_it_started(tmp_path: Path) -> None:
    """One real 1-node lab in a temporary state dir: started, reused by a nested session, stopped;
    then started with keep=True and left running (and stopped by the test)."""
    lines: list[str] = []
    cluster = LabCluster(tmp_path)
    ran_starter: list[bool] = []

    def starter(up: UpFunction) -> None:  # what the TUI does: run the start behind its own screen
        ran_starter.append(True)
        up(lines.append)

    try:
        with lab_session(tmp_path, nodes=1, progress=lines.append, starter=starter, timeout=180) as outer:
            assert (outer.started, outer.owned) == (True, True)
            assert ran_starter == [True]
            assert any("Lab cluster ready" in line for line in lines)
            assert _answers(outer.connection.bootstrap) == {1}
            with lab_session(tmp_path, nodes=1) as inner:  # a second user of the same lab
                assert (inner.started, inner.owned) == (False, False)
            assert running_nodes(cluster) == (1, 1)  # the inner session stopped nothing
        assert STOP_MESSAGE in lines
        assert running_nodes(cluster) == (0, 1)
        assert cluster.node_state(1) == "stopped"

        with lab_session(tmp_path, nodes=1, keep=True, timeout=180) as kept:
            assert (kept.started, kept.owned) == (True, False)
        assert running_nodes(cluster) == (1, 1)
    finally:
        cluster.down(timeout=20)
    assert running_nodes(cluster) == (0, 1)
