"""One line per setting: what it does and what it trades (the forms show it under each field).

The option sentences say what each choice of a closed set means; the names come from
:mod:`tui.vocab` (a test checks every vocabulary value has its sentence), the commit strategies'
from the engine's own :func:`tui.engine.strategy_info`.
"""

from __future__ import annotations

from tui.ui import catalog
from tui.vocab import (
    Acks,
    Assignor,
    Compression,
    GroupProtocol,
    Isolation,
    OffsetReset,
    Partitioner,
    RemoteAssignor,
)

OptionHelp = tuple[tuple[str, str], ...]
"""(value, what choosing it means) in the vocabulary's order."""

ACKS: OptionHelp = (
    (Acks.NONE, "no answer at all: fastest, and a lost record is never noticed"),
    (Acks.LEADER, "the leader only: fast; lost if the leader dies before a follower copied it"),
    (Acks.ALL, "waits for every in-sync replica: durable, slower"),
)
COMPRESSION: OptionHelp = (
    (Compression.NONE, "no CPU spent, most bytes on the wire and on disk"),
    (Compression.GZIP, "smallest batches, most CPU"),
    (Compression.SNAPPY, "fast, a modest saving"),
    (Compression.LZ4, "fast, a good saving"),
    (Compression.ZSTD, "small and fast; needs Kafka 2.1 or newer"),
)
PARTITIONER: OptionHelp = (
    (Partitioner.MURMUR2_RANDOM, "Java's hash: a key lands where Java clients put it; no key: random"),
    (Partitioner.MURMUR2, "Java's hash; records without a key all go to one partition"),
    (Partitioner.CONSISTENT_RANDOM, "librdkafka's CRC32 hash; no key: random"),
    (Partitioner.CONSISTENT, "librdkafka's CRC32 hash; records without a key go to one partition"),
    (Partitioner.RANDOM, "ignores keys: spread evenly, no order per key"),
    (Partitioner.FNV1A, "FNV-1a hash (as Sarama); no key: one partition"),
    (Partitioner.FNV1A_RANDOM, "FNV-1a hash (as Sarama); no key: random"),
)
PROTOCOL: OptionHelp = (
    (GroupProtocol.CLASSIC, "JoinGroup/SyncGroup: a client-side assignor; each rebalance pauses the "
                            "group unless cooperative"),
    (GroupProtocol.CONSUMER, "KIP-848: the broker assigns partitions incrementally, no group-wide "
                             "pause"),
)
ASSIGNOR: OptionHelp = (
    (Assignor.RANGE, "consecutive partitions per topic: uneven with several topics; eager rebalance"),
    (Assignor.ROUNDROBIN, "partitions dealt in turn: even, but all move on a rebalance (eager)"),
    (Assignor.COOPERATIVE_STICKY, "keeps assignments, moves only what must move (incremental)"),
)
REMOTE_ASSIGNOR: OptionHelp = (
    ("default", "the broker's first group.consumer.assignors entry (uniform)"),
    (RemoteAssignor.UNIFORM, "spreads partitions evenly over the members"),
    (RemoteAssignor.RANGE, "consecutive partitions per topic, co-partitioned topics together"),
)
ISOLATION: OptionHelp = (
    (Isolation.READ_COMMITTED, "skips records of aborted and still-open transactions"),
    (Isolation.READ_UNCOMMITTED, "sees every record, aborted transactional writes too"),
)
OFFSET_RESET: OptionHelp = (
    (OffsetReset.EARLIEST, "a group without a commit starts at the oldest record"),
    (OffsetReset.LATEST, "a group without a commit starts at the end: older records are never read"),
    (OffsetReset.ERROR, "a group without a commit fails instead of guessing"),
)
YES_NO: OptionHelp = (("no", ""), ("yes", ""))


def strategies() -> OptionHelp:
    """Every commit strategy with its title and guarantee (``strategy_info``)."""
    from tui.engine import strategy_info

    out = []
    for name in catalog.strategy_names():
        info = strategy_info(name)
        out.append((name, f"{info.title}; {info.guarantee}"))
    return tuple(out)


def values(options: OptionHelp) -> tuple[str, ...]:
    return tuple(str(value) for value, _ in options)
