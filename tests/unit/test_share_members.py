"""Share members without Kafka: the spec and its acknowledgement policy, the version refusal, the
checker's settings per group, the log merge, the views (and their recording round trip), and the
ShareGroupCommand output parsers and probe."""

from __future__ import annotations

import time

import pytest

from tests.helpers import wait_until
from tui.engine.context import Connection, EngineContext
from tui.engine.evidence import merge_logs
from tui.engine.history import ConsumerEvent
from tui.engine.history import ConsumerEventKind as K
from tui.engine.share.commands import SetShareGroupConfig, ShareMemberSpec, matches
from tui.engine.share.group_config import _changes, text
from tui.engine.share.members import ShareMembers, refusal_for
from tui.engine.share.tool import ShareGroupProbe, ask, parse_members, parse_offsets, parse_state
from tui.engine.share.views import (
    ShareConfigView,
    ShareMembersView,
    ShareMemberView,
    ShareRecordView,
    ShareToolMemberView,
)
from tui.recording.decode import Decoder
from tui.vocab import AckType

STATE = """
GROUP           COORDINATOR (ID)          STATE           GROUP-EPOCH  ASSIGNMENT-EPOCH  #MEMBERS
sg-1            127.0.0.1:59507  (1)      Stable          3            3                 2
"""
MEMBERS = """
GROUP           CONSUMER-ID            HOST            CLIENT-ID       #PARTITIONS  MEMBER-EPOCH  ASSIGNMENT
sg-1            sakGyh6fQQ2f8WJXWt4xgw /127.0.0.1      kx-s1           2            3             jobs:0,1
sg-1            Qk0vVfMBSx6wvFO1lYc8nA /127.0.0.1      kx-s2           3            3            jobs:0,1;more:4

Share group 'sg-2' has no active members.
"""
OFFSETS = """
GROUP           TOPIC           PARTITION  LEADER-EPOCH  START-OFFSET  LAG
sg-1            jobs            0          0             7             2
sg-1            jobs            1          -             -             -
"""


def spec(**kw: object) -> ShareMemberSpec:
    return ShareMemberSpec("sg", ("jobs",), **kw)  # type: ignore[arg-type]


# ---- the spec and its policy ----------------------------------------------------------------------

@pytest.mark.parametrize(("kw", "sentence"), [
    ({"ack_mode": "auto"}, "Unknown acknowledgement mode 'auto'"),
    ({"commit": "later"}, "use sync or async"),
    ({"processing_ms": -1}, "cannot be negative"),
    ({"max_records": 0}, "max.poll.records must be at least 1"),
    ({"fail_transient": -2}, "fail-transient must be 0"),
    ({"crash_after_records": 0}, "crash-after must be at least 1"),
    ({"fail_ids": ("",)}, "fail ids must be msg ids"),
])
def test_a_bad_spec_is_one_sentence(kw: dict[str, object], sentence: str) -> None:
    with pytest.raises(ValueError, match=sentence) as err:
        spec(**kw).validate()
    assert str(err.value).count(".") >= 1
    assert "\n" not in str(err.value)


def test_a_spec_needs_a_group_and_topic_names() -> None:
    with pytest.raises(ValueError, match="share group id"):
        ShareMemberSpec("", ("jobs",)).validate()
    with pytest.raises(ValueError, match="patterns"):
        ShareMemberSpec("sg", ("^jobs.*",)).validate()


def test_fail_ids_match_whole_ids_and_tails_at_a_slash() -> None:
    mid = "r1a2b3c4/p1-ab12/0/15"
    assert matches(("r1a2b3c4/p1-ab12/0/15",), mid)
    assert matches(("p1-ab12/0/15",), mid)
    assert matches(("15",), mid)
    assert not matches(("5",), mid)          # a tail at a '/', not a suffix of the number
    assert not matches(("p1/0/15",), mid)    # another producer
    assert not matches(("15",), None)


def test_the_policy_accepts_rejects_a_poison_record_and_releases_a_transient_one_k_times() -> None:
    poison = spec(ack_mode="explicit", fail_ids=("p1/0/4",))
    assert poison.failure("r/p1/0/3", 1) is None
    assert poison.failure("r/p1/0/4", 1) is AckType.REJECT
    transient = spec(ack_mode="explicit", fail_ids=("p1/0/4",), fail_transient=2)
    assert [transient.failure("r/p1/0/4", n) for n in (1, 2, 3)] == [AckType.RELEASE, AckType.RELEASE, None]
    every = spec(ack_mode="explicit", fail_transient=1)  # like the group members: alone, every record
    assert every.failure("r/p9/0/0", 1) is AckType.RELEASE
    assert every.failure("r/p9/0/0", 2) is None
    assert spec().failure("r/p1/0/4", 1) is None
    assert poison.policy_label == "explicit: reject 1 id"
    assert transient.policy_label == "explicit: release 1 id ×2"
    assert every.policy_label == "explicit: release every record ×1"
    assert spec().policy_label == "implicit"


def test_an_older_lab_is_refused_before_any_process_starts() -> None:
    sentence = refusal_for("4.1.1")
    assert sentence is not None
    assert sentence.startswith("Share groups need Kafka 4.2 or newer and this lab runs Kafka 4.1.1")
    assert "kafka-explorer lab up --kafka-version 4.4.0" in sentence
    assert refusal_for("4.4.0") is None
    assert refusal_for(None) is None  # a cluster this app did not start: try
    shares = ShareMembers(EngineContext(Connection("127.0.0.1:1")), lambda: "4.1.1")
    with pytest.raises(ValueError, match="need Kafka 4.2"):
        shares.add(spec())
    assert shares.view().members == ()


def test_the_checker_s_share_group_takes_its_settings_from_the_broker_and_its_mode_from_the_spec() -> None:
    shares = ShareMembers(EngineContext(Connection("127.0.0.1:1")))
    from tui.engine.share.state import ShareMemberState  # no process: the specs by hand

    shares._states["s1"] = ShareMemberState("s1", spec(ack_mode="explicit"))
    shares._states["s2"] = ShareMemberState("s2", ShareMemberSpec("sg", ("more",), ack_mode="explicit"))
    (plain,) = shares.share_groups()
    assert (plain.group, plain.topics, plain.ack_mode) == ("sg", ("jobs", "more"), "explicit")
    assert (plain.delivery_count_limit, plain.lock_duration_ms) == (5, 30_000)
    assert plain.auto_offset_reset == "latest"
    read = ShareConfigView("sg", "earliest", 6000, 3)
    (configured,) = shares.share_groups({"sg"}, {"sg": read})
    assert (configured.delivery_count_limit, configured.lock_duration_ms, configured.auto_offset_reset) == \
        (3, 6000, "earliest")
    assert shares.share_groups({"other"}) == ()


def test_group_settings_are_checked_before_they_reach_the_broker() -> None:
    assert _changes(SetShareGroupConfig("g", auto_offset_reset="earliest", lock_duration_ms=6000)) == [
        ("share.auto.offset.reset", "earliest"), ("share.record.lock.duration.ms", "6000")]
    with pytest.raises(ValueError, match="earliest or latest"):
        _changes(SetShareGroupConfig("g", auto_offset_reset="start"))
    view = ShareConfigView("g", "earliest", 6000, 5, sources=(("share.record.lock.duration.ms", "group"),))
    assert text(view) == ("share.auto.offset.reset=earliest, share.record.lock.duration.ms=6000 (group), "
                          "share.delivery.count.limit=5")


# ---- the log merge --------------------------------------------------------------------------------

def ev(seq: int, ts: float, member: str, kind: K = K.ACQUIRED) -> ConsumerEvent:
    return ConsumerEvent(seq, ts, member, 0, "g", "t", kind, partition=0, offset=seq)


def test_two_logs_merge_by_time_each_keeping_its_own_order() -> None:
    group_log = (ev(1, 1.0, "m1"), ev(2, 3.0, "m1"), ev(3, 5.0, "m1"))
    share_log = (ev(1, 2.0, "s1"), ev(2, 6.0, "s1"), ev(3, 4.0, "s1"))  # its own clock went back once
    merged = merge_logs(group_log, share_log)
    assert [(e.member, e.offset) for e in merged] == [("m1", 1), ("s1", 1), ("m1", 2), ("m1", 3), ("s1", 2),
                                                      ("s1", 3)]
    assert [e.seq for e in merged] == [1, 2, 3, 4, 5, 6]
    assert merge_logs(group_log, ()) is group_log


# ---- views ------------------------------------------------------------------------------------------

def member_view(name: str, counts: tuple[tuple[int, int], ...], recent: tuple[ShareRecordView, ...] = (),
                **kw: int) -> ShareMemberView:
    fields = {"acquired": 0, "processed": 0, "failed": 0, "accepted": 0, "released": 0, "rejected": 0,
              "ack_commits_ok": 0, "ack_commits_failed": 0, "in_flight": 0, **kw}
    return ShareMemberView(name=name, group="sg", incarnation=0, state="running", topics=("jobs",),
                           ack_mode="explicit", policy="explicit", fail_ids=(), fail_transient=0,
                           processing_ms=0, delivery_counts=counts, client_id=f"kx-{name}", recent=recent,
                           **fields)


def test_the_view_sums_acknowledgements_delivery_counts_and_shows_every_redelivery() -> None:
    again = ShareRecordView(2.0, "jobs", 0, 4, "r/p1/0/4", 2, "accept", b"k", b"\xff\x00v")
    first = ShareRecordView(1.0, "jobs", 0, 5, "r/p1/0/5", 1, "held")
    view = ShareMembersView(members=(
        member_view("s1", ((1, 8), (2, 1)), (first, again), acquired=9, accepted=7, released=1, in_flight=1),
        member_view("s2", ((1, 3),), acquired=3, accepted=2, rejected=1)))
    assert view.acknowledged == {"accept": 9, "release": 1, "reject": 1}
    assert view.delivery_counts == ((1, 11), (2, 1))
    assert (view.acquired, view.in_flight) == (12, 1)
    assert view.redeliveries == (("s1", again),)
    assert view.member("s1") is not None
    assert view.member("s1").redelivered == 1  # type: ignore[union-attr]
    assert view.topics == frozenset({"jobs"})


def test_the_view_survives_a_recording_round_trip() -> None:
    rec = ShareRecordView(2.0, "jobs", 0, 4, "r/p1/0/4", 2, "release", b"k", b"\xff\x00v")
    view = ShareMembersView(members=(member_view("s1", ((1, 8), (2, 1)), (rec,), acquired=9),),
                            notes=("a note",), tool_seconds=3.2, log_events=40)
    assert Decoder(strict=True).decode(ShareMembersView, view.to_json(), "ShareMembersView") == view


# ---- ShareGroupCommand ------------------------------------------------------------------------------

def test_the_tool_s_state_members_and_offsets_are_parsed() -> None:
    assert parse_state(STATE) == {"sg-1": ("Stable", "127.0.0.1:59507 (1)")}
    members = parse_members(MEMBERS)
    assert set(members) == {"sg-1"}
    s1, s2 = members["sg-1"]
    assert s1 == ShareToolMemberView("sakGyh6fQQ2f8WJXWt4xgw", "kx-s1", "127.0.0.1", 3,
                                     (("jobs", 0), ("jobs", 1)))
    assert s2.assignment == (("jobs", 0), ("jobs", 1), ("more", 4))
    assert parse_offsets(OFFSETS) == {"sg-1": {("jobs", 0): (7, 2), ("jobs", 1): (None, None)}}


def test_one_round_asks_for_every_group_at_once_and_a_failure_is_said_per_group() -> None:
    calls: list[list[str]] = []

    def run(args: list[str]) -> str:
        calls.append(args)
        return {"--state": STATE, "--members": MEMBERS, "--offsets": OFFSETS}[args[-2]]

    found = ask(run, ["sg-1", "sg-2"])
    assert [c[:5] for c in calls] == [["--describe", "--group", "sg-1", "--group", "sg-2"]] * 3
    assert (found["sg-1"].state, len(found["sg-1"].members), found["sg-2"].members) == ("Stable", 2, ())
    assert found["sg-1"].partitions[0].start_offset == 7

    def broken(args: list[str]) -> str:
        raise RuntimeError("ShareGroupCommand failed: no Java")

    failed = ask(broken, ["sg-1"])
    assert failed["sg-1"].error == "ShareGroupCommand failed: no Java"
    assert ask(run, []) == {}


def test_the_probe_runs_when_asked_and_waits_its_interval_between_rounds() -> None:
    rounds: list[float] = []

    def run(args: list[str]) -> str:
        if args[-2] == "--state":
            rounds.append(time.monotonic())
        return STATE

    results: list[dict[str, object]] = []
    probe = ShareGroupProbe(run, lambda: ("sg-1",), lambda: False, lambda r, s: results.append(r),
                            interval=0.3)
    probe.refresh()  # no member runs: only the screen's request starts rounds
    try:
        wait_until(lambda: len(rounds) >= 3, 10, message="three rounds after a refresh")
        gaps = [b - a for a, b in zip(rounds, rounds[1:], strict=False)]
        assert min(gaps) >= 0.3
        assert results[0]["sg-1"].state == "Stable"  # type: ignore[attr-defined]
    finally:
        probe.close(2.0)
    assert ShareGroupProbe(None, lambda: ("sg-1",), lambda: True, lambda r, s: None).available is False


def test_what_the_preview_client_cannot_do_is_said_instead_of_failing() -> None:
    ctx = EngineContext(Connection("127.0.0.1:1"))
    events = ctx.bus.subscribe(kinds=("share.preview",))
    shares = ShareMembers(ctx)
    shares.remember_config(ShareConfigView("sg", "earliest", 6000, 5))
    shares._preview_gaps("s1", spec(processing_ms=7000))     # longer than the lock: no RENEW
    shares._preview_gaps("s2", spec(processing_ms=10, max_records=5))  # a best-effort limit
    shares._preview_gaps("s3", spec(processing_ms=10))
    said = [(e.source, e.text) for e in events.drain()]
    assert said == [("member:s1", "s1: librdkafka's ShareConsumer is a preview: it cannot renew a record's "
                                  "acquisition lock (RENEW, KIP-1222), so a record processed for longer "
                                  "than share.record.lock.duration.ms is redelivered."),
                    ("member:s2", "s2: max.poll.records is a hint to the preview client, not a limit (no "
                                  "strict record_limit acquire mode): a poll may return more records.")]
