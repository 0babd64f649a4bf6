"""Running Kafka's own Java command-line tools from the fetched jars (independent checks, demos).

Each call is a JVM start (~1-3 s): the app itself uses the AdminClient; these are for tests, the
benchmarks and users who want to compare with what Kafka's tools print.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass

from tui.lab.errors import LabError
from tui.lab.jars import classpath, ensure_jars
from tui.lab.java import java_executable

TOPIC_COMMAND = "org.apache.kafka.tools.TopicCommand"
GROUP_COMMAND = "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand"
CONSOLE_PRODUCER = "org.apache.kafka.tools.ConsoleProducer"
CONSOLE_CONSUMER = "org.apache.kafka.tools.consumer.ConsoleConsumer"
PRODUCER_PERF = "org.apache.kafka.tools.ProducerPerformance"
QUORUM_COMMAND = "org.apache.kafka.tools.MetadataQuorumCommand"

TOOL_JVM_FLAGS = ["-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                  "-Dlog4j2.level=WARN"]


def tool_command(main_class: str, args: list[str], heap: str = "256m",
                 kafka_version: str | None = None) -> list[str]:
    """The argv that runs one Kafka tool class with the jars of ``kafka_version`` (default: the
    lab's default version; pass a lab's ``spec.kafka_version`` for tools only newer Kafkas have)."""
    flags = [f if not f.startswith("-Xmx") else f"-Xmx{heap}" for f in TOOL_JVM_FLAGS]
    libs = ensure_jars(version=kafka_version)
    return [java_executable(), *flags, "-cp", classpath(libs), main_class, *args]


def run_tool(main_class: str, args: list[str], *, stdin: str | None = None,
             timeout: float = 120.0, kafka_version: str | None = None) -> str:
    """Run a tool to completion and return its stdout; LabError with its stderr tail on failure."""
    cmd = tool_command(main_class, args, kafka_version=kafka_version)
    try:
        proc = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=timeout,
                              check=False)
    except subprocess.TimeoutExpired as exc:
        raise LabError(f"{main_class.rsplit('.', 1)[-1]} did not finish within {timeout:.0f} s.") from exc
    if proc.returncode != 0:
        tail = " / ".join(proc.stderr.strip().splitlines()[-3:])
        raise LabError(f"{main_class.rsplit('.', 1)[-1]} failed (exit {proc.returncode}): {tail}")
    return proc.stdout


@dataclass(frozen=True)
class ToolPartition:
    """One partition line of ``kafka-topics --describe``."""

    topic: str
    partition: int
    leader: int
    replicas: tuple[int, ...]
    isr: tuple[int, ...]
    elr: tuple[int, ...]


_PARTITION_LINE = re.compile(
    r"Topic:\s*(?P<topic>\S+)\s+Partition:\s*(?P<p>\d+)\s+Leader:\s*(?P<leader>-?\d+|none)\s+"
    r"Replicas:\s*(?P<replicas>[\d,]*)\s+Isr:\s*(?P<isr>[\d,]*)(?:\s+Elr:\s*(?P<elr>[\d,]*))?")


def _ids(text: str | None) -> tuple[int, ...]:
    return tuple(int(x) for x in (text or "").split(",") if x.strip())


def parse_topic_describe(output: str) -> list[ToolPartition]:
    parts = []
    for match in _PARTITION_LINE.finditer(output):
        leader = match.group("leader")
        parts.append(ToolPartition(match.group("topic"), int(match.group("p")),
                                   -1 if leader == "none" else int(leader), _ids(match.group("replicas")),
                                   _ids(match.group("isr")), _ids(match.group("elr"))))
    return parts


def describe_topic(bootstrap: str, topic: str) -> list[ToolPartition]:
    """What Kafka's own TopicCommand says about a topic's partitions."""
    out = run_tool(TOPIC_COMMAND, ["--bootstrap-server", bootstrap, "--describe", "--topic", topic])
    return parse_topic_describe(out)


def describe_group(bootstrap: str, group: str) -> str:
    """Raw ``kafka-consumer-groups --describe`` output for one group."""
    return run_tool(GROUP_COMMAND, ["--bootstrap-server", bootstrap, "--describe", "--group", group])
