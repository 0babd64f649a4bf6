"""The engine's public surface: everything the UI, headless commands, scenarios and benchmarks use.

``from tui.engine import Engine, StartProducer, Snapshot`` -- nothing outside the engine imports its
submodules (an import-linter contract forbids it), so runners, ledgers, the consumption log and the
verdict gathering can change without touching a caller.

Names are loaded on first use (PEP 562), so importing one engine module (a member process imports
``tui.engine.consumer.member_main``) does not pull in the whole engine.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tui.engine.admin_ops import (
        ALTERABLE,
        AlterResult,
        AlterTopicConfig,
        ConfigChange,
        ConfigEntryView,
        DeleteGroup,
        DeleteTopic,
        DescribeTopicConfig,
        ResetOffsets,
        ResetPlan,
        ResetRow,
        ResetTarget,
        TopicConfigView,
        parse_topic_targets,
        validate_change,
    )
    from tui.engine.browse.browsers import BrowseHandle
    from tui.engine.browse.commands import BrowseClose, BrowseOpen, BrowsePause, BrowseSeek
    from tui.engine.browse.filters import RecordFilter, parse_header_filter
    from tui.engine.browse.start import StartAt, parse_timestamp
    from tui.engine.browse.views import BrowseRecordView, BrowseView
    from tui.engine.checker.verdict import KIND_TITLES, KINDS, Anomaly, Verdict, VerdictSummary
    from tui.engine.commands import Command, Explain, Judge, LabAction, RunScope
    from tui.engine.consumer.columns import COLUMNS_COMPILED
    from tui.engine.consumer.commands import (
        AddMember,
        CrashMember,
        MemberSpec,
        PauseMember,
        RemoveMember,
        RestartMember,
        ResumeMember,
        ResumePartition,
        SetCommitOnRevoke,
        SetErrorPolicy,
        SetFailures,
        SetProcessingTime,
        SetSlow,
        SetStrategy,
    )
    from tui.engine.consumer.strategies import STRATEGY_DOCS, strategy_info
    from tui.engine.consumer.views import (
        ConsumedRecordView,
        ConsumersView,
        GroupLatencyView,
        MemberPartitionView,
        MemberView,
        StuckPartitionView,
    )
    from tui.engine.context import Connection
    from tui.engine.engine import Engine
    from tui.engine.events import SEVERITIES, Event, Subscription
    from tui.engine.lanes import (
        FATE_CODES,
        FATE_GLYPHS,
        FATE_WORDS,
        LEGEND_ORDER,
        LanePartition,
        LaneView,
        WatchLane,
        fate_of,
    )

    # producers: value content, poison records, client statistics, latency summaries
    from tui.engine.latency import LatencySummary
    from tui.engine.producer.commands import StartProducer, StopProducer
    from tui.engine.producer.profile import ProducerProfile, ProfileError
    from tui.engine.producer.tune import (
        SWEEP_PREFIX,
        TUNE_AXES,
        PointResult,
        SweepView,
        TuneError,
        TuneGrid,
        TunePoint,
        TuneWorkload,
        pareto,
        parse_axis,
        run_sweep,
    )
    from tui.engine.producer.views import (
        DeliveryReportView,
        ErrorCount,
        ProducerStats,
        ProducersView,
        RunnerView,
        StatLine,
    )
    from tui.engine.producer.workload import (
        KeyMode,
        PoisonSpec,
        Workload,
        WorkloadError,
        parse_header,
        parse_key_mode,
        parse_poison,
    )
    from tui.engine.record_format import encode_value, headers_for, make_msg_id, msg_id_of, parse_msg_id
    from tui.engine.share.commands import (
        PREVIEW_GAPS,
        AddShareMember,
        CrashShareMember,
        DescribeShareGroupConfig,
        RefreshShareGroups,
        RemoveShareMember,
        RestartShareMember,
        SetAckPolicy,
        SetShareGroupConfig,
        ShareMemberSpec,
    )
    from tui.engine.share.views import (
        ShareConfigView,
        ShareGroupView,
        ShareMembersView,
        ShareMemberView,
        SharePartitionView,
        ShareRecordView,
        ShareToolMemberView,
    )
    from tui.engine.snapshot import ConnectionView, LabNodeView, PartitionMeta, Snapshot
    from tui.engine.topics import CreateTopic, TopicError, TopicSpec
    from tui.engine.watcher.commands import (
        RefreshNow,
        SetInterval,
        SetLagThreshold,
        ShowInternal,
        WatchGroups,
        WatchTopics,
    )
    from tui.engine.watcher.views import (
        BrokerView,
        ClusterView,
        GroupMemberView,
        GroupPartitionView,
        GroupView,
        PartitionView,
        SectionStatus,
        SeriesView,
        TopicView,
        WatchFilter,
    )

_WHERE: dict[str, str] = {
    # the facade and its inputs
    "Engine": "engine", "Connection": "context",
    "Command": "commands", "LabAction": "commands", "Judge": "commands", "Explain": "commands",
    "RunScope": "commands",
    "StartProducer": "producer.commands", "StopProducer": "producer.commands",
    "ProducerProfile": "producer.profile", "ProfileError": "producer.profile",
    "Workload": "producer.workload", "WorkloadError": "producer.workload", "KeyMode": "producer.workload",
    "parse_key_mode": "producer.workload", "parse_header": "producer.workload",
    "AddMember": "consumer.commands", "RemoveMember": "consumer.commands",
    "CrashMember": "consumer.commands", "RestartMember": "consumer.commands",
    "SetStrategy": "consumer.commands", "PauseMember": "consumer.commands",
    "ResumeMember": "consumer.commands", "SetProcessingTime": "consumer.commands",
    "SetSlow": "consumer.commands", "MemberSpec": "consumer.commands",
    "SetErrorPolicy": "consumer.commands", "SetFailures": "consumer.commands",
    "SetCommitOnRevoke": "consumer.commands", "ResumePartition": "consumer.commands",
    "STRATEGY_DOCS": "consumer.strategies", "strategy_info": "consumer.strategies",
    "COLUMNS_COMPILED": "consumer.columns",
    "CreateTopic": "topics", "TopicSpec": "topics", "TopicError": "topics",
    "SetInterval": "watcher.commands", "WatchGroups": "watcher.commands",
    "WatchTopics": "watcher.commands", "ShowInternal": "watcher.commands",
    "SetLagThreshold": "watcher.commands", "RefreshNow": "watcher.commands",
    # what comes out: snapshots, views, events, verdicts
    "Snapshot": "snapshot", "ConnectionView": "snapshot", "LabNodeView": "snapshot",
    "ProducersView": "producer.views", "RunnerView": "producer.views",
    "DeliveryReportView": "producer.views", "ErrorCount": "producer.views",
    "ConsumersView": "consumer.views", "MemberView": "consumer.views",
    "MemberPartitionView": "consumer.views", "ConsumedRecordView": "consumer.views",
    "StuckPartitionView": "consumer.views", "GroupLatencyView": "consumer.views",
    "ClusterView": "watcher.views", "BrokerView": "watcher.views", "TopicView": "watcher.views",
    "PartitionView": "watcher.views", "GroupView": "watcher.views",
    "GroupMemberView": "watcher.views", "GroupPartitionView": "watcher.views",
    "SectionStatus": "watcher.views", "SeriesView": "watcher.views", "WatchFilter": "watcher.views",
    "PartitionMeta": "snapshot",
    "Event": "events", "Subscription": "events", "SEVERITIES": "events",
    "Verdict": "checker.verdict", "Anomaly": "checker.verdict", "VerdictSummary": "checker.verdict",
    "KINDS": "checker.verdict", "KIND_TITLES": "checker.verdict",
    # the record format (documented, so other tools can write and read our records)
    "encode_value": "record_format", "headers_for": "record_format", "make_msg_id": "record_format",
    "msg_id_of": "record_format", "parse_msg_id": "record_format",
    # browse & fix: the record browser, offset resets, deletes, topic configs
    "BrowseOpen": "browse.commands", "BrowseSeek": "browse.commands", "BrowsePause": "browse.commands",
    "BrowseClose": "browse.commands", "BrowseHandle": "browse.browsers",
    "BrowseView": "browse.views", "BrowseRecordView": "browse.views",
    "RecordFilter": "browse.filters", "parse_header_filter": "browse.filters",
    "StartAt": "browse.start", "parse_timestamp": "browse.start",
    "ResetOffsets": "admin_ops", "DeleteGroup": "admin_ops", "DeleteTopic": "admin_ops",
    "DescribeTopicConfig": "admin_ops", "AlterTopicConfig": "admin_ops", "ResetPlan": "admin_ops",
    "ResetRow": "admin_ops", "ResetTarget": "admin_ops", "TopicConfigView": "admin_ops",
    "ConfigEntryView": "admin_ops", "ConfigChange": "admin_ops", "AlterResult": "admin_ops",
    "ALTERABLE": "admin_ops", "parse_topic_targets": "admin_ops", "validate_change": "admin_ops",
    # the record lane
    "WatchLane": "lanes", "LaneView": "lanes", "LanePartition": "lanes", "FATE_CODES": "lanes",
    "fate_of": "lanes", "FATE_GLYPHS": "lanes", "FATE_WORDS": "lanes", "LEGEND_ORDER": "lanes",
    # producers: value content, poison records, client statistics, latency summaries
    "LatencySummary": "latency", "ProducerStats": "producer.views", "StatLine": "producer.views",
    "PoisonSpec": "producer.workload", "parse_poison": "producer.workload",
    "SWEEP_PREFIX": "producer.tune", "TUNE_AXES": "producer.tune", "PointResult": "producer.tune",
    "SweepView": "producer.tune",
    "TuneError": "producer.tune", "TuneGrid": "producer.tune", "TunePoint": "producer.tune",
    "TuneWorkload": "producer.tune", "pareto": "producer.tune", "parse_axis": "producer.tune",
    "run_sweep": "producer.tune",
    # share groups (KIP-932): share members, their acknowledgements, the group's settings
    "ShareMemberSpec": "share.commands", "AddShareMember": "share.commands",
    "RemoveShareMember": "share.commands", "CrashShareMember": "share.commands",
    "RestartShareMember": "share.commands", "SetAckPolicy": "share.commands",
    "RefreshShareGroups": "share.commands", "SetShareGroupConfig": "share.commands",
    "DescribeShareGroupConfig": "share.commands", "PREVIEW_GAPS": "share.commands",
    "ShareMembersView": "share.views", "ShareMemberView": "share.views", "ShareRecordView": "share.views",
    "ShareGroupView": "share.views", "ShareConfigView": "share.views",
    "SharePartitionView": "share.views", "ShareToolMemberView": "share.views",
}

__all__ = [
    # group members: error policies, the rebalance listener, stuck partitions, end-to-end latency
    "GroupLatencyView", "ResumePartition", "SetCommitOnRevoke", "SetErrorPolicy", "SetFailures",
    "StuckPartitionView", "COLUMNS_COMPILED",
    "AddMember", "Anomaly", "BrokerView", "ClusterView", "Command", "Connection", "ConnectionView",
    "ConsumedRecordView", "ConsumersView", "CrashMember", "CreateTopic", "DeliveryReportView",
    "Engine", "ErrorCount", "Event", "Explain", "GroupMemberView", "GroupPartitionView",
    "GroupView", "Judge", "KINDS", "KIND_TITLES", "KeyMode", "LabAction", "LabNodeView",
    "MemberPartitionView", "MemberSpec", "MemberView", "PartitionMeta", "PartitionView",
    "PauseMember", "ProducerProfile", "ProducersView", "ProfileError", "RefreshNow", "RemoveMember",
    "RestartMember", "ResumeMember", "RunScope", "RunnerView", "SEVERITIES", "STRATEGY_DOCS",
    "SectionStatus", "SeriesView", "SetInterval", "SetLagThreshold", "SetProcessingTime", "SetSlow",
    "SetStrategy", "ShowInternal", "Snapshot", "StartProducer", "StopProducer", "Subscription",
    "TopicError", "TopicSpec", "TopicView", "Verdict", "VerdictSummary", "WatchFilter",
    "WatchGroups", "WatchTopics", "Workload", "WorkloadError", "encode_value", "headers_for",
    "make_msg_id", "msg_id_of", "parse_header", "parse_key_mode", "parse_msg_id", "strategy_info",
    # browse & fix
    "ALTERABLE", "AlterResult", "AlterTopicConfig", "BrowseClose", "BrowseHandle", "BrowseOpen",
    "BrowsePause", "BrowseRecordView", "BrowseSeek", "BrowseView", "ConfigChange", "ConfigEntryView",
    "DeleteGroup", "DeleteTopic", "DescribeTopicConfig", "RecordFilter", "ResetOffsets", "ResetPlan",
    "ResetRow", "ResetTarget", "StartAt", "TopicConfigView", "parse_header_filter",
    "parse_timestamp", "parse_topic_targets", "validate_change",
    # the record lane
    "FATE_CODES", "FATE_GLYPHS", "FATE_WORDS", "LEGEND_ORDER", "LanePartition", "LaneView",
    "WatchLane", "fate_of",
    # producers: value content, poison records, client statistics, latency summaries
    "LatencySummary", "PoisonSpec", "ProducerStats", "StatLine", "parse_poison",
    "PointResult", "SWEEP_PREFIX", "SweepView", "TUNE_AXES", "TuneError", "TuneGrid", "TunePoint",
    "TuneWorkload", "pareto", "parse_axis", "run_sweep",
    # share groups
    "AddShareMember", "CrashShareMember", "DescribeShareGroupConfig", "PREVIEW_GAPS",
    "RefreshShareGroups", "RemoveShareMember", "RestartShareMember", "SetAckPolicy",
    "SetShareGroupConfig", "ShareConfigView", "ShareGroupView", "ShareMemberSpec", "ShareMemberView",
    "ShareMembersView", "SharePartitionView", "ShareRecordView", "ShareToolMemberView",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'tui.engine' has no public name {name!r}")
    value = getattr(importlib.import_module(f"tui.engine.{module}"), name)
    globals()[name] = value  # the next access skips this hook
    return value


def __dir__() -> list[str]:
    return __all__
