"""diff(): change events from two cluster views (pure)."""

from __future__ import annotations

from dataclasses import replace

from tui.engine.watcher.diff import MAX_EVENTS, CommitCoalescer, diff
from tui.engine.watcher.views import (
    SECTIONS,
    BrokerView,
    ClusterView,
    GroupMemberView,
    GroupPartitionView,
    GroupView,
    PartitionView,
    SectionStatus,
    TopicView,
    WatchFilter,
)

OK = tuple(SectionStatus(n, "ok", updated_at=1.0) for n in SECTIONS)


def part(p: int = 0, leader: int | None = 1, isr: tuple[int, ...] = (1, 2, 3),
         topic: str = "t") -> PartitionView:
    return PartitionView(topic, p, leader, (1, 2, 3), isr, leader is None, 0, 10, 10, None)


def group(gid: str = "g", state: str = "Stable", members: tuple[GroupMemberView, ...] = (),
          committed: dict[int, int | None] | None = None, lag: int | None = 0) -> GroupView:
    parts = tuple(GroupPartitionView("t", p, c, 100, None) for p, c in (committed or {}).items())
    return GroupView(gid, "classic", state, "range", False, 1, members, parts, lag, None)


def member(mid: str, *parts: int) -> GroupMemberView:
    return GroupMemberView(mid, f"client-{mid}", "/127.0.0.1", None, tuple(("t", p) for p in parts))


def view(parts: tuple[PartitionView, ...] = (part(),), brokers: tuple[str, ...] = ("up", "up", "up"),
         groups: tuple[GroupView, ...] = (), controller: int | None = None, **kw: object) -> ClusterView:
    bs = tuple(BrokerView(i + 1, "127.0.0.1", 9000 + i, s, None, 0) for i, s in enumerate(brokers))
    return ClusterView(seq=1, brokers=bs, topics=(TopicView("t", False, parts),), groups=groups,
                       sections=OK, controller=controller, **kw)  # type: ignore[arg-type]


def kinds(changes: list) -> list[str]:
    return [c.kind for c in changes]


def test_first_view_has_no_events() -> None:
    assert diff(None, view()) == []


def test_identical_views_have_no_events() -> None:
    v = view(groups=(group(members=(member("a", 0),), committed={0: 5}),))
    assert diff(v, v) == []


def test_broker_down_and_up() -> None:
    before, after = view(), view(brokers=("up", "unreachable", "fenced-or-missing"))
    changes = diff(before, after)
    assert kinds(changes) == ["broker.down", "broker.down"]
    assert [c.data["broker"] for c in changes] == [2, 3]
    assert changes[1].data["state"] == "fenced-or-missing"
    back = diff(after, before)
    assert kinds(back) == ["broker.up", "broker.up"]
    assert back[0].data["was"] == "unreachable"


def test_unreachable_to_fenced_is_not_another_down() -> None:
    assert diff(view(brokers=("up", "unreachable", "up")),
                view(brokers=("up", "fenced-or-missing", "up"))) == []


def test_leader_change_and_isr_shrink_name_the_replica() -> None:
    changes = diff(view((part(leader=1),)), view((part(leader=2, isr=(2, 3)),)))
    assert kinds(changes) == ["partition.leader-changed", "partition.isr-shrunk"]
    assert changes[0].data == {"topic": "t", "partition": 0, "leader": 2, "was": 1}
    assert changes[1].data["removed"] == [1]
    assert "replica 1 left the ISR" in changes[1].text


def test_isr_expanded() -> None:
    changes = diff(view((part(isr=(2, 3)),)), view((part(isr=(2, 3, 1)),)))
    assert kinds(changes) == ["partition.isr-expanded"]
    assert changes[0].data["added"] == [1]


def test_offline_and_online() -> None:
    off = diff(view((part(leader=1),)), view((part(leader=None, isr=(1, 2, 3)),)))
    assert kinds(off) == ["partition.offline"]
    assert off[0].severity == "error"
    on = diff(view((part(leader=None),)), view((part(leader=3),)))
    assert kinds(on) == ["partition.online"]
    assert on[0].data["leader"] == 3


def test_controller_changed() -> None:
    changes = diff(view(controller=1), view(controller=2))
    assert kinds(changes) == ["cluster.controller-changed"]
    assert diff(view(controller=None), view(controller=2)) == []


def test_topic_created_and_deleted_but_not_on_filter_change() -> None:
    base = view()
    more = replace(base, topics=base.topics + (TopicView("u", False, (part(topic="u"),)),))
    assert kinds(diff(base, more)) == ["topic.created"]
    assert kinds(diff(more, base)) == ["topic.deleted"]
    narrowed = replace(base, filter=WatchFilter(topics=("t",)))
    assert diff(more, narrowed) == []


def test_group_state_members_and_rebalance() -> None:
    before = view(groups=(group(members=(member("a", 0, 1),)),))
    joining = view(groups=(group(state="PreparingRebalance",
                                 members=(member("a"), member("b"))),))
    settled = view(groups=(group(members=(member("a", 0), member("b", 1))),))
    first = diff(before, joining)
    assert kinds(first) == ["group.state-changed", "group.member-joined"]
    assert first[1].data["member_id"] == "b"
    assert first[1].data["client_id"] == "client-b"
    second = diff(joining, settled)
    assert kinds(second) == ["group.state-changed", "group.rebalanced"]
    assert second[1].data["assignment"] == {"a": ["t-0"], "b": ["t-1"]}
    left = diff(settled, before)
    assert "group.member-left" in kinds(left)
    assert "group.rebalanced" in kinds(left)


def test_commit_aggregated_per_group() -> None:
    before = view(groups=(group(committed={0: 5, 1: 5, 2: None}),))
    after = view(groups=(group(committed={0: 9, 1: 7, 2: 3}),))
    changes = diff(before, after)
    assert kinds(changes) == ["group.committed"]
    assert changes[0].data["records"] == 6
    assert changes[0].data["partitions"] == 3


def test_lag_high_fires_once_when_crossing() -> None:
    low, high, higher = (view(groups=(group(lag=n),), lag_threshold=100) for n in (50, 150, 500))
    assert kinds(diff(low, high)) == ["group.lag-high"]
    assert diff(high, higher) == []
    assert kinds(diff(higher, low)) == ["group.lag-recovered"]


def test_group_appears_and_goes() -> None:
    empty = view()
    with_group = view(groups=(group(),))
    assert kinds(diff(empty, with_group)) == ["group.appeared"]
    assert kinds(diff(with_group, empty)) == ["group.gone"]


def test_nothing_appears_before_anything_was_ever_read() -> None:
    never = replace(view(), topics=(), sections=tuple(SectionStatus(n, "stale") for n in SECTIONS))
    assert diff(never, view(groups=(group(),))) == []


def test_group_appearing_with_a_member_reports_the_join() -> None:
    busy = view(groups=(group(members=(member("a", 0),), committed={0: 3}),))
    assert kinds(diff(view(), busy)) == ["group.appeared", "group.member-joined", "group.rebalanced",
                                         "group.committed"]
    assert kinds(diff(busy, view())) == ["group.member-left", "group.gone"]


def test_flood_is_capped() -> None:
    many = tuple(part(p) for p in range(MAX_EVENTS + 10))
    moved = tuple(part(p, leader=2, isr=(2, 3)) for p in range(MAX_EVENTS + 10))
    changes = diff(view(many), view(moved))
    assert len(changes) == MAX_EVENTS + 1
    assert changes[-1].kind == "watcher.events-truncated"
    assert changes[-1].data["dropped"] == 2 * (MAX_EVENTS + 10) - MAX_EVENTS


def test_commit_coalescer_limits_rate_and_keeps_totals() -> None:
    before = view(groups=(group(committed={0: 0}),))
    coalescer = CommitCoalescer(window=5.0)
    out = []
    for step in range(1, 8):
        after = view(groups=(group(committed={0: step * 10}),))
        out += coalescer.feed(diff(before, after), now=float(step))
        before = after
    commits = [c for c in out if c.kind == "group.committed"]
    assert len(commits) == 2  # t=1 (first) and t=6 (window elapsed)
    assert sum(c.data["records"] for c in commits) == 60  # t=7's 10 records still pending


def test_groups_listed_by_the_first_answer_did_not_appear() -> None:
    """At start the group list is in flight (not stale) but nothing is listed yet: the groups its
    answer then brings existed before the explorer looked, and are no 'group.appeared' (a cluster
    with 1,000 groups filled the timeline with them)."""
    import concurrent.futures

    from tests.unit.watcher_fakes import build, fetcher, with_group
    from tui.engine.watcher.build import ViewBuilder
    from tui.engine.watcher.fetch import _Call
    from tui.engine.watcher.raw import Outcome

    f = fetcher(100.0)
    builder = ViewBuilder()
    f.pending[("groups",)] = _Call(("groups",), [concurrent.futures.Future()], 100.0, lambda c: True)
    first = build(builder, f, 100.0, 1)
    assert first.section("groups").state == "ok"  # being answered within its budget
    assert first.section("groups").updated_at is None  # but nothing was read yet
    del f.pending[("groups",)]
    f.outcomes[("groups",)] = Outcome("ok", "", 101.0)
    with_group(f, "g-old", {("t", 0): 1}, 101.0)
    second = build(builder, f, 101.0, 2, groups=("g-old",))
    assert "group.appeared" not in kinds(diff(first, second))
    with_group(f, "g-new", {("t", 0): 1}, 102.0)
    third = build(builder, f, 102.0, 3, groups=("g-new", "g-old"))
    assert kinds(diff(second, third))[:1] == ["group.appeared"]  # one created while watching
