"""``kafka-explorer browse`` on the real lab: kcat-style lines and JSON checked against a plain consumer,
hostile payloads escaped and capped, ``--follow`` sees a new record, a closed pipe ends quietly, bad
options exit 2 with one sentence."""

from __future__ import annotations

import base64
import json
import signal
import subprocess
import sys
import time

import pytest
from confluent_kafka import TopicPartition

from tests.engine.test_consumer_support import create_topics
from tests.helpers import unique
from tui.cli import main
from tui.kafka import clients
from tui.lab import LabCluster

pytestmark = pytest.mark.kafka
HOSTILE = [b"\x1b]0;owned\x07\x1b[2J", "\u009b31m\u202eevil".encode(), b"caf\xe9 \xff\xfe", b"ok"]


def _produce(bootstrap: str, topic: str, values: list[bytes | None], key: bytes | None = None,
             headers: list[tuple[str, bytes]] | None = None) -> None:
    producer = clients.producer({"bootstrap.servers": bootstrap, "message.max.bytes": 1_040_000})
    for value in values:
        producer.produce(topic, key=key, value=value, partition=0, headers=headers)
    assert producer.flush(30) == 0


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _oracle_offsets(bootstrap: str, topic: str) -> list[int]:
    consumer = clients.consumer({"bootstrap.servers": bootstrap, "group.id": unique("oracle"),
                                 "enable.auto.commit": False})
    try:
        _low, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
        consumer.assign([TopicPartition(topic, 0, 0)])
        seen: list[int] = []
        deadline = time.monotonic() + 30
        while len(seen) < high:
            assert time.monotonic() < deadline
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                seen.append(msg.offset() or 0)
        return seen
    finally:
        consumer.close()


def test_lines_are_kcat_style_escaped_and_capped(lab1: LabCluster, capsys: pytest.CaptureFixture[str]) -> None:
    topic = unique("cli-browse")
    create_topics(lab1.bootstrap, [topic])
    big = b"A" * 1_000_000
    _produce(lab1.bootstrap, topic, [*HOSTILE, big, None], key=b"\x1b[31mk",
             headers=[("h\x1b", b"\x9b\x1b[2J")])
    code, out, err = _cli(capsys, "-b", lab1.bootstrap, "browse", topic)
    assert code == 0, err
    assert "never joins a group and never commits offsets" in err
    lines = out.splitlines()
    assert [int(line.split("\t")[1]) for line in lines] == _oracle_offsets(lab1.bootstrap, topic)
    # no ESC, C1, bidi override or raw control character in any field
    assert all(field.isprintable() for line in lines for field in line.split("\t"))
    first = lines[0].split("\t")
    assert first[0] == "0"
    assert first[2].startswith("CreateTime:")
    assert first[3] == "\\x1b[31mk"
    assert first[4] == "h\\x1b=\\x9b\\x1b[2J"  # a lone 0x9b byte is not UTF-8
    assert first[5] == "\\x1b]0;owned\\x07\\x1b[2J"
    assert lines[1].split("\t")[5] == "\\u009b31m\\u202eevil"
    assert lines[2].split("\t")[5] == "caf\\xe9 \\xff\\xfe"
    assert lines[4].split("\t")[5] == "A" * 256 + f"… (+{len(big) - 256} bytes)"
    assert lines[5].split("\t")[5] == "(null)"


def test_json_keeps_bytes_exact_or_capped(lab1: LabCluster, capsys: pytest.CaptureFixture[str]) -> None:
    topic = unique("cli-json")
    create_topics(lab1.bootstrap, [topic])
    _produce(lab1.bootstrap, topic, [*HOSTILE, "é".encode() * 400_000],
             headers=[("kx-id", b"abcd1234/p/0/7")])
    code, out, err = _cli(capsys, "-b", lab1.bootstrap, "browse", topic, "--json")
    assert code == 0, err
    assert out.isascii()
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["offset"] for r in rows] == [0, 1, 2, 3, 4]
    assert rows[0]["value"] == HOSTILE[0].decode()
    assert rows[1]["value"] == HOSTILE[1].decode()
    assert base64.b64decode(rows[2]["value"]["base64"]) == HOSTILE[2]
    assert rows[4]["value"] == "é" * 128 + f"… (+{800_000 - 256} bytes)"
    assert rows[4]["value_bytes"] == 800_000
    assert rows[0]["kx"] == {"msg_id": "abcd1234/p/0/7", "run": "abcd1234", "producer": "p",
                             "incarnation": 0, "seq": 7}
    assert rows[0]["timestamp"]["type"] == "CreateTime"


def test_seek_count_and_filters_from_the_command_line(lab1: LabCluster,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    topic = unique("cli-seek")
    create_topics(lab1.bootstrap, [topic])
    _produce(lab1.bootstrap, topic, [f"v{i}".encode() for i in range(10)], key=b"a")
    _produce(lab1.bootstrap, topic, [b"other"], key=b"b", headers=[("tag", b"x")])

    def offsets(*extra: str) -> list[int]:
        code, out, err = _cli(capsys, "-b", lab1.bootstrap, "browse", topic, *extra)
        assert code == 0, err
        return [int(line.split("\t")[1]) for line in out.splitlines()]

    assert offsets("--from", "7") == [7, 8, 9, 10]
    assert offsets("--from", "-2") == [9, 10]
    assert offsets("--from", "3", "--count", "2") == [3, 4]
    assert offsets("--grep", "v[2-4]") == [2, 3, 4]
    assert offsets("--key", "b") == [10]
    assert offsets("--header", "tag=x") == [10]
    assert offsets("--from", "end") == []


@pytest.mark.parametrize(("argv", "code", "words"), [
    (["--from", "yesterday"], 2, "is not beginning, end"),
    (["--grep", "(x"], 2, "not a valid regular expression"),
    (["--count", "0"], 2, "at least 1"),
    (["--header", "=v"], 2, "name=value"),
    (["-p", "9"], 1, "there is no partition 9"),
])
def test_bad_options_are_one_sentence(lab1: LabCluster, capsys: pytest.CaptureFixture[str],
                                      argv: list[str], code: int, words: str) -> None:
    topic = unique("cli-bad")
    create_topics(lab1.bootstrap, [topic])
    got, out, err = _cli(capsys, "-b", lab1.bootstrap, "browse", topic, *argv)
    assert got == code
    assert words in err
    assert err.count("\n") == 1
    assert out == ""


def test_a_missing_topic_is_refused(lab1: LabCluster, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = _cli(capsys, "-b", lab1.bootstrap, "browse", unique("no-such"))
    assert code == 1
    assert "does not exist" in err


def test_follow_prints_a_record_produced_after_it_started(lab1: LabCluster) -> None:
    topic = unique("cli-follow")
    create_topics(lab1.bootstrap, [topic])
    _produce(lab1.bootstrap, topic, [b"before"])
    # Ctrl-C as a terminal sends it: a suite started in the background (`.ci/run &`) hands its
    # children SIGINT ignored, and Python keeps an ignored SIGINT ignored
    proc = subprocess.Popen([sys.executable, "-m", "tui", "-b", lab1.bootstrap, "browse", topic,
                             "--from", "end", "--follow"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        assert proc.stderr is not None
        assert proc.stdout is not None
        notice = proc.stderr.readline()  # printed once the start offsets are known
        assert "following" in notice
        _produce(lab1.bootstrap, topic, [b"after"])
        line = proc.stdout.readline()
        assert line.rstrip("\n").split("\t")[1:2] == ["1"]
        assert line.rstrip("\n").endswith("\tafter")
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(60)  # 0.1 s on a quiet machine
        except subprocess.TimeoutExpired:
            proc.kill()
            raise AssertionError("browse --follow did not end 60 s after SIGINT: "
                                 f"{proc.stderr.read()}") from None
        assert code == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_closed_pipe_ends_the_browser_quietly(lab1: LabCluster) -> None:
    topic = unique("cli-pipe")
    create_topics(lab1.bootstrap, [topic])
    _produce(lab1.bootstrap, topic, [f"r{i}".encode() for i in range(20_000)])
    proc = subprocess.run(f"{sys.executable} -m tui -b {lab1.bootstrap} browse {topic} | head -1",
                          shell=True, capture_output=True, text=True, timeout=60)
    assert proc.stdout.split("\t")[1] == "0"
    assert "Traceback" not in proc.stderr
    assert "BrokenPipe" not in proc.stderr
