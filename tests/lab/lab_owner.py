"""A program that owns a lab, for the orphan tests: ``python tests/lab/lab_owner.py MODE STATE_DIR``.

MODE:
* ``session``: :func:`tui.lab.session.lab_session` starts a real 1-node lab (what the TUI and ``run`` do);
* ``running``: :meth:`LabCluster.running` starts it (what the test suite and benchmarks do);
* ``supervise``: only takes ownership of an existing state dir (tests start a stand-in node);
* ``supervise-fork``: like ``supervise``, then forks a child that inherits the pipe's write end and
  outlives this process (the supervisor must notice the owner's death without EOF).

Prints one line ``READY {"owner": pid, "supervisor": pid, "node": pid|null, "child": pid|null}`` and
then waits to be killed. Exits 0 if stdin closes (the test is gone), so it can never linger.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tui.lab import LabCluster  # noqa: E402
from tui.lab.ownership import read_record  # noqa: E402
from tui.lab.session import lab_session  # noqa: E402


@contextlib.contextmanager
def own(mode: str, state_dir: Path) -> Iterator[LabCluster]:
    cluster = LabCluster(state_dir)
    if mode == "session":
        with lab_session(state_dir, nodes=1, timeout=180) as session:
            yield session.cluster
    elif mode == "running":
        with cluster.running(nodes=1, timeout=180):
            yield cluster
    else:
        with cluster.owned(command="lab_owner.py"):
            yield cluster


def main(mode: str, state_dir: Path) -> int:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # SIGABRT in a test must not write a core file
    with own(mode, state_dir) as cluster:
        child = None
        if mode == "supervise-fork":
            child = os.fork()
            if child == 0:  # holds the write end of the supervisor's pipe, as a forked worker would
                sys.stdin.read()
                os._exit(0)
        record = read_record(state_dir)
        ready = {"owner": os.getpid(), "supervisor": record.supervisor_pid if record else None,
                 "node": cluster.pid(1), "child": child}
        print("READY " + json.dumps(ready), flush=True)
        sys.stdin.read()  # until the test closes stdin (or kills us)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], Path(sys.argv[2])))
