"""Frozen views of the watched cluster for snapshots (rendered by the TUI and headless runners).

Everything here is immutable and built by the watcher thread once per refresh; readers never see a
half-built view. Offsets are Kafka offsets (the *next* offset to be written or read).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any

from tui.engine.jsonview import JsonView

BROKER_STATES = ("up", "unreachable", "fenced-or-missing")
SECTION_STATES = ("ok", "stale", "forbidden", "unsupported")
SECTIONS = ("brokers", "topics", "offsets", "groups", "group-details", "group-offsets")
"""Parts of a refresh that succeed or fail on their own (one slow part never blocks the others)."""
LAG_STATES = ("ok", "lagging", "stalled", "unknown")
"""Burrow-style status of one group partition: ``ok`` (caught up now and then, or catching up),
``lagging`` (consuming, but the lag grew over the whole window), ``stalled`` (lag > 0 and the
committed offset did not move for the stall window: a stopped, stuck or crash-looping consumer),
``unknown`` (lag unknown)."""

TopicPartitionKey = tuple[str, int]
GroupPartitionKey = tuple[str, str, int]


def _empty_mapping() -> Mapping[Any, tuple[float, ...]]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class SectionStatus(JsonView):
    """How fresh one part of the view is."""

    name: str
    """One of :data:`SECTIONS`."""
    state: str
    """``ok`` (fresh this refresh), ``stale`` (timed out or failed: previous data kept),
    ``forbidden`` (ACLs deny it) or ``unsupported`` (the cluster lacks the API)."""
    message: str = ""
    """One sentence explaining a non-ok state ('offsets of partitions led by broker 2 timed out')."""
    updated_at: float | None = None
    """Wall time of the last successful read of this section (None: never)."""


@dataclass(frozen=True, slots=True)
class BrokerView(JsonView):
    """One broker as the cluster metadata and our own requests see it."""

    node_id: int
    host: str
    """Advertised host ('' when the broker is known only from an earlier refresh or the lab spec)."""
    port: int
    """Advertised port (0 when unknown)."""
    state: str
    """``up``: registered and answering; ``unreachable``: registered but our requests to it failed or
    timed out (paused, killed and not yet fenced, network trouble); ``fenced-or-missing``: seen before
    (or a lab node) but absent from the metadata (fenced by the controller, shut down, removed)."""
    is_controller: bool | None
    """True for the active KRaft controller; None when it cannot be learned (only the lab's logs
    tell; ``describe_cluster().controller`` is a random broker in KRaft)."""
    leader_count: int
    """Partitions (of the shown topics) this broker leads."""
    rack: str | None = None
    last_answer_at: float | None = None
    """Wall time this broker last answered one of our requests (None: not yet). While it is not
    ``up``, the time since then is how long it has been silent."""

    @property
    def is_up(self) -> bool:
        """Registered and answering our requests."""
        return self.state == "up"

    @property
    def address(self) -> str:
        """``host:port`` as advertised ('' when the broker is known only from an earlier refresh)."""
        return f"{self.host}:{self.port}" if self.host else ""


@dataclass(frozen=True, slots=True)
class PartitionView(JsonView):
    """One partition: placement from the metadata, offsets from batched ``list_offsets``."""

    topic: str
    partition: int
    leader: int | None
    """Leader broker id; None while the partition is offline."""
    replicas: tuple[int, ...]
    isr: tuple[int, ...]
    offline: bool
    """No leader: nobody can produce to or consume from it."""
    log_start: int | None
    """First offset still in the log (retention and ``delete_records`` move it)."""
    high_watermark: int | None
    """Offset after the last record replicated to the whole ISR (what consumers can read)."""
    last_stable: int | None
    """Last stable offset (READ_COMMITTED ``list_offsets``): below the first open transaction."""
    produce_rate: float | None
    """Records per second appended, from the high watermark's movement between refreshes."""
    offsets_stale: bool = False
    """True when the offsets are not current: never read (they are None), or their leader did not
    answer in time (the last values read are kept, see ``stale_since``)."""
    error: str | None = None
    """Partition-level metadata error name, if the metadata reported one."""
    stale_since: float | None = None
    """When ``offsets_stale`` and values are shown: wall time of the read they come from."""
    placement_stale_since: float | None = None
    """Set when leader, replicas and ISR are the last known rather than confirmed now (the metadata
    could not be read, or the leader does not answer): wall time since which they are unconfirmed.
    Whether the partition can be served is then unknown (see ``unknown``)."""

    @property
    def unknown(self) -> bool:
        """Availability unknown: the metadata is old or the leader does not answer."""
        return self.placement_stale_since is not None

    @property
    def offsets_valid(self) -> bool:
        """Both log start and high watermark are real offsets (librdkafka answers -1001, 'invalid',
        while the leader does not answer: that is no offset, and no 'records' either)."""
        return (self.log_start is not None and self.log_start >= 0
                and self.high_watermark is not None and self.high_watermark >= 0)

    @property
    def records(self) -> int | None:
        """Records currently in the log (high watermark minus log start); None when unknown."""
        high, start = self.high_watermark, self.log_start
        if high is None or start is None or high < 0 or start < 0:
            return None
        return max(0, high - start)

    @property
    def replication_factor(self) -> int:
        return len(self.replicas)

    @property
    def under_replicated(self) -> bool:
        """Fewer replicas in sync than assigned (an acks=all write then needs fewer copies)."""
        return len(self.isr) < len(self.replicas)


@dataclass(frozen=True, slots=True)
class TopicView(JsonView):
    name: str
    internal: bool
    """Kafka's own topics (``__consumer_offsets``, ``__transaction_state``...): hidden by default."""
    partitions: tuple[PartitionView, ...]
    error: str | None = None
    """Topic-level metadata error (e.g. TOPIC_AUTHORIZATION_FAILED)."""
    _counts: tuple[int, int, int] | None = field(default=None, init=False, repr=False, compare=False)
    """(under-replicated, offline, unknown) partitions, counted once: a view lives on while its
    topic does not change, and the header and the topics table ask on every paint (at 30,000
    partitions that was a tenth of the explorer's idle time)."""

    def _tally(self) -> tuple[int, int, int]:
        counts = self._counts
        if counts is None:
            parts = self.partitions
            counts = (sum(1 for p in parts if p.under_replicated), sum(1 for p in parts if p.offline),
                      sum(1 for p in parts if p.unknown))
            object.__setattr__(self, "_counts", counts)  # frozen: a cache, not a field change
        return counts

    @property
    def produce_rate(self) -> float | None:
        rates = [p.produce_rate for p in self.partitions if p.produce_rate is not None]
        return sum(rates) if rates else None

    @property
    def replication_factor(self) -> int:
        """The largest replica count of its partitions (0 without partitions)."""
        return max((p.replication_factor for p in self.partitions), default=0)

    @property
    def under_replicated_count(self) -> int:
        """Partitions with fewer in-sync replicas than replicas."""
        return self._tally()[0]

    @property
    def offline_count(self) -> int:
        """Partitions without a leader."""
        return self._tally()[1]

    @property
    def unknown_count(self) -> int:
        """Partitions whose availability is unknown (old metadata or a leader that does not answer)."""
        return self._tally()[2]


@dataclass(frozen=True, slots=True)
class GroupMemberView(JsonView):
    """A group member as its coordinator describes it."""

    member_id: str
    client_id: str
    host: str
    instance_id: str | None
    """``group.instance.id`` of a static member, else None."""
    assignment: tuple[TopicPartitionKey, ...]
    """Partitions the member owns now (sorted)."""
    target_assignment: tuple[TopicPartitionKey, ...] | None = None
    """KIP-848 groups only: what the coordinator wants the member to own (differs while
    reconciling). None for classic groups."""


@dataclass(frozen=True, slots=True)
class GroupPartitionView(JsonView):
    """One partition a group has a commit for (or is assigned)."""

    topic: str
    partition: int
    committed: int | None
    """Committed offset (next record to read); None when the group never committed here."""
    high_watermark: int | None
    lag: int | None
    """High watermark minus committed, as ``kafka-consumer-groups --describe`` computes it; None when
    either side is unknown."""
    member_id: str | None = None
    """Member that owns the partition now, if any."""
    stale_since: float | None = None
    """Set when the committed offset or the high watermark shown is not current: wall time of the
    older of the two reads."""
    oldest_unconsumed_at: float | None = None
    """Timestamp (wall time, seconds) of the oldest unconsumed record, the one at the committed
    offset; None when lag is 0 or it was not read yet (read lazily, a few seconds behind)."""
    status: str = "ok"
    """One of :data:`LAG_STATES`."""
    status_since: float | None = None
    """Wall time the partition entered ``status`` (None: not known)."""

    def lag_age(self, now: float) -> float | None:
        """Lag in time at ``now`` (e.g. the view's ``refreshed_at``): the age of the oldest
        unconsumed record; 0 when caught up; None when unknown."""
        if self.lag == 0:
            return 0.0
        if self.oldest_unconsumed_at is None:
            return None
        return max(0.0, now - self.oldest_unconsumed_at)


@dataclass(frozen=True, slots=True)
class GroupView(JsonView):
    """A consumer group of any origin (this app, Java clients, other tools)."""

    group_id: str
    type: str
    """``classic`` (JoinGroup/SyncGroup protocol), ``consumer`` (KIP-848) or ``unknown``."""
    state: str
    """Kafka's state name: Stable, Empty, PreparingRebalance, CompletingRebalance, Assigning,
    Reconciling, Dead, Unknown."""
    assignor: str
    """Classic: the client-side assignor the members agreed on (range, roundrobin,
    cooperative-sticky...); consumer: the broker-side assignor (uniform, range). '' when none."""
    simple: bool
    """A 'simple' group: offsets committed without group membership (e.g. assign-only clients)."""
    coordinator: int | None
    members: tuple[GroupMemberView, ...]
    partitions: tuple[GroupPartitionView, ...]
    """Committed offset and lag per partition (sorted by topic, partition)."""
    total_lag: int | None
    """Sum of the known per-partition lags (None when no lag is known)."""
    consume_rate: float | None
    """Records per second the group's committed offsets advanced (its consumption as committed)."""
    stale: bool = False
    """True when this refresh could not describe the group or read its offsets (old data kept)."""
    error: str | None = None
    """Why the group's data is missing or stale (one sentence)."""
    stale_since: float | None = None
    """When ``stale``: wall time of the last complete read of the group (None: never)."""

    @property
    def stalled_count(self) -> int:
        """Partitions whose status is ``stalled``."""
        return sum(1 for p in self.partitions if p.status == "stalled")

    @property
    def oldest_unconsumed_at(self) -> float | None:
        """Timestamp of the oldest unconsumed record over the group's partitions (see
        :meth:`GroupPartitionView.lag_age`)."""
        return min((p.oldest_unconsumed_at for p in self.partitions
                    if p.oldest_unconsumed_at is not None), default=None)


@dataclass(frozen=True, slots=True)
class SeriesView(JsonView):
    """Bounded history for sparklines: one value per fresh read, oldest first.

    On a big cluster idle partitions are read less often than busy ones, and a partition whose high
    watermark did not move over a whole window has no partition series (idle: nothing to draw)."""

    length: int = 0
    """Capacity of each ring buffer."""
    partition_high_watermark: Mapping[TopicPartitionKey, tuple[float, ...]] = field(
        default_factory=_empty_mapping)
    partition_produce_rate: Mapping[TopicPartitionKey, tuple[float, ...]] = field(
        default_factory=_empty_mapping)
    group_lag: Mapping[str, tuple[float, ...]] = field(default_factory=_empty_mapping)
    """Total lag per group."""
    group_consume_rate: Mapping[str, tuple[float, ...]] = field(default_factory=_empty_mapping)
    group_partition_lag: Mapping[GroupPartitionKey, tuple[float, ...]] = field(
        default_factory=_empty_mapping)
    """Lag per (group, topic, partition); capped in number of keys."""


@dataclass(frozen=True, slots=True)
class WatchFilter(JsonView):
    """What the watcher is narrowed to."""

    groups: tuple[str, ...] = ()
    """Only these groups (empty: all groups)."""
    topics: tuple[str, ...] = ()
    """Only these topics (empty: all topics)."""
    show_internal: bool = False


@dataclass(frozen=True)
class ClusterView(JsonView):
    """The watched cluster at one refresh."""

    seq: int = 0
    """Refresh number, 1 for the first."""
    refreshed_at: float = 0.0
    """Wall time (``time.time()``) the refresh started."""
    duration: float = 0.0
    """Seconds the refresh took (requests + building this view)."""
    interval: float = 1.0
    """Seconds between refreshes."""
    cpu: float = 0.0
    """CPU seconds the watcher thread spent on this refresh (wall time minus waiting, roughly)."""
    requests: int | None = None
    """Admin calls issued by this refresh (each is one or a few Kafka requests)."""
    cluster_id: str | None = None
    controller: int | None = None
    """Active KRaft controller id when learnable (lab clusters), else None."""
    brokers: tuple[BrokerView, ...] = ()
    topics: tuple[TopicView, ...] = ()
    """Shown topics sorted by name (internal ones only with ``show_internal``)."""
    groups: tuple[GroupView, ...] = ()
    """Shown consumer groups sorted by id."""
    sections: tuple[SectionStatus, ...] = ()
    """Freshness of each part, in :data:`SECTIONS` order."""
    series: SeriesView = field(default_factory=SeriesView)
    filter: WatchFilter = field(default_factory=WatchFilter)
    lag_threshold: int = 1000
    """Total group lag above which ``group.lag-high`` is published."""

    def section(self, name: str) -> SectionStatus:
        for status in self.sections:
            if status.name == name:
                return status
        return SectionStatus(name, "stale", "not read yet")

    def partitions(self) -> Iterator[PartitionView]:
        for topic in self.topics:
            yield from topic.partitions

    def partition(self, topic: str, partition: int) -> PartitionView | None:
        for t in self.topics:
            if t.name == topic:
                for p in t.partitions:
                    if p.partition == partition:
                        return p
        return None

    def topic(self, name: str) -> TopicView | None:
        return next((t for t in self.topics if t.name == name), None)

    def group(self, group_id: str) -> GroupView | None:
        return next((g for g in self.groups if g.group_id == group_id), None)

    def broker(self, node_id: int) -> BrokerView | None:
        return next((b for b in self.brokers if b.node_id == node_id), None)

    @property
    def ok(self) -> bool:
        """Every section fresh."""
        return all(s.state == "ok" for s in self.sections)

    @property
    def stale_sections(self) -> tuple[SectionStatus, ...]:
        """Sections that are not fresh this refresh (stale, forbidden or unsupported)."""
        return tuple(s for s in self.sections if s.state != "ok")

    def section_age(self, name: str, now: float) -> float | None:
        """Seconds since section ``name`` was last read successfully, when it is not fresh now
        (None: fresh, or never read)."""
        status = self.section(name)
        if status.state == "ok" or status.updated_at is None:
            return None
        return max(0.0, now - status.updated_at)

    @property
    def brokers_answering(self) -> bool:
        """The brokers section was read this refresh (else every broker state is a memory)."""
        return self.section("brokers").state == "ok"

    def partition_rate(self, p: PartitionView) -> float | None:
        """``p.produce_rate`` when it measures appends: None while the offsets are invalid and on
        the first refresh after they were (a jump from -1,001 to the real offset is no rate)."""
        if not p.offsets_valid or p.produce_rate is None:
            return None
        history = self.series.partition_high_watermark.get((p.topic, p.partition), ())
        if len(history) >= 2 and history[-2] < 0:
            return None
        return p.produce_rate

    def topic_rate(self, topic: TopicView) -> float | None:
        """Records/s appended to ``topic``: the sum of its partitions' :meth:`partition_rate`."""
        rates = [r for p in topic.partitions if (r := self.partition_rate(p)) is not None]
        return sum(rates) if rates else None

    # Counting walks every partition (tens of thousands on a big cluster) and a view never changes:
    # count once per view, however many renders read it.
    @cached_property
    def all_partitions(self) -> tuple[PartitionView, ...]:
        """Every shown partition, topic by topic (one flat tuple for tables that show them all)."""
        return tuple(p for t in self.topics for p in t.partitions)

    @cached_property
    def offsets_stale_count(self) -> int:
        """Partitions whose offsets this refresh could not read (previous values kept)."""
        return sum(1 for p in self.all_partitions if p.offsets_stale)

    @cached_property
    def partition_count(self) -> int:
        return sum(len(t.partitions) for t in self.topics)

    @cached_property
    def under_replicated_count(self) -> int:
        """Partitions with fewer in-sync replicas than replicas."""
        return sum(t.under_replicated_count for t in self.topics)

    @cached_property
    def offline_count(self) -> int:
        """Partitions without a leader."""
        return sum(t.offline_count for t in self.topics)

    @cached_property
    def unknown_count(self) -> int:
        """Partitions whose availability is unknown (old metadata or a leader that does not answer)."""
        return sum(t.unknown_count for t in self.topics)
