"""The child process behind :mod:`tui.kafka.committed`: one AdminClient that reads committed offsets.

Protocol (JSON lines): the first line on stdin is the client configuration (never argv or the
environment: it may hold credentials); every later line is a request ``{"id", "group", "timeout",
"partitions"}`` (partitions: ``[[topic, partition], ...]`` or null for all the group's). Each answer is
one line on stdout: ``{"id", "error": [code, text] | null, "partitions": [[topic, partition, offset,
error code | null, error text], ...]}``. stdin closing (the parent ended, however it ended) ends the
process. Nothing is written to stderr: the parent's terminal may be a TUI.
"""

from __future__ import annotations

import json
import logging
import resource
import signal
import sys
import threading
from functools import partial
from typing import Any, TextIO

from confluent_kafka import KafkaError


def _answer(out: TextIO, lock: threading.Lock, line: dict[str, Any]) -> None:
    text = json.dumps(line, separators=(",", ":"))
    with lock:
        try:
            out.write(text + "\n")
            out.flush()
        except (BrokenPipeError, ValueError):  # the parent is gone: stdin ends next
            pass


def _error(exc: BaseException | None) -> list[Any] | None:
    if exc is None:
        return None
    err: Any = exc.args[0] if exc.args else None
    if isinstance(err, KafkaError):
        return [int(err.code()), str(err.str())]
    return [-1, str(exc)]


def serve(stdin: TextIO, stdout: TextIO) -> int:
    from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition

    from tui.kafka import clients, gc_keeper

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl+C meant for the app; stdin ends us
    # the crash this process exists to contain must not drop a core file in the user's directory
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    gc_keeper.install()  # clients are freed on a Python thread, never inside a librdkafka callback
    logging.basicConfig(handlers=[logging.NullHandler()])
    first = stdin.readline()
    if not first:
        return 0
    admin = clients.admin(json.loads(first), logger=logging.getLogger("kafka_explorer.committed"))
    lock = threading.Lock()

    def done(request_id: int, future: Any) -> None:
        exc = future.exception()
        if exc is not None:
            _answer(stdout, lock, {"id": request_id, "error": _error(exc), "partitions": []})
            return
        rows = []
        for tp in future.result().topic_partitions or ():
            err = tp.error
            rows.append([tp.topic, tp.partition, tp.offset, None if err is None else err.code(),
                         "" if err is None else err.str()])
        _answer(stdout, lock, {"id": request_id, "error": None, "partitions": rows})

    for line in stdin:
        request = json.loads(line)
        request_id = int(request["id"])
        parts = request.get("partitions")
        tps = None if parts is None else [TopicPartition(t, int(p)) for t, p in parts]
        try:
            futures = admin.list_consumer_group_offsets(
                [ConsumerGroupTopicPartitions(request["group"], tps)],
                request_timeout=float(request["timeout"]))
        except Exception as exc:  # a refused argument: answered at once, the process goes on
            _answer(stdout, lock, {"id": request_id, "error": _error(exc), "partitions": []})
            continue
        futures[request["group"]].add_done_callback(partial(done, request_id))
    return 0


if __name__ == "__main__":
    sys.exit(serve(sys.stdin, sys.stdout))
