"""The forms driven by Pilot against the fake engine: values refused where they are typed, enter
moves on, ctrl+s submits, engine refusals keep the form open, last values and clones, typing fast,
and every form usable at 80×24."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Button, Input, Static

from tests.ui.fakes import FakeEngine, plain, runner, snapshot
from tui.engine import AddMember, CreateTopic, LabNodeView, Snapshot, StartProducer, StopProducer
from tui.ui.app import ExplorerApp
from tui.ui.fast_table import FastTable
from tui.ui.forms.base import FormScreen
from tui.ui.forms.choice import Choice
from tui.ui.forms.memory import FormValuesRemembered
from tui.ui.settings import Settings, load_settings, save_settings

SMALL = (80, 24)
BIG = (120, 40)


def make_app(engine: FakeEngine, **kwargs: Any) -> ExplorerApp:
    kwargs.setdefault("settings", Settings())
    kwargs.setdefault("remember", False)
    return ExplorerApp(engine, pump=False, **kwargs)


def one_node(snap: Snapshot) -> Snapshot:
    """The fake snapshot on a 1-broker lab (brokers and lab nodes), topics unchanged."""
    assert snap.cluster is not None
    cluster = dataclasses.replace(snap.cluster, brokers=snap.cluster.brokers[:1])
    return dataclasses.replace(snap, cluster=cluster,
                               lab=(LabNodeView(1, 4000, "running", 9091),))


async def until(pilot: Pilot[Any], predicate: Callable[[], object], tries: int = 100) -> None:
    for _ in range(tries):
        if predicate():
            return
        await pilot.pause(0.02)
    raise AssertionError("condition not reached")


async def open_form(pilot: Pilot[Any], app: ExplorerApp, screen_key: str, key: str,
                    name: str) -> FormScreen[Any]:
    app.apply_snapshot(app.engine.snapshot())  # type: ignore[attr-defined]
    await pilot.pause()
    await pilot.press(screen_key)
    if screen_key == "1":
        app.query_one("#nodes", FastTable).focus()
        await pilot.pause()
    await pilot.press(key)
    await until(pilot, lambda: type(app.screen).__name__ == name)
    form = app.screen
    assert isinstance(form, FormScreen)
    await until(pilot, lambda: form.open_ms is not None)
    return form


def field_help(form: FormScreen[Any], name: str) -> str:
    return plain(form.query_one(f"#h-{name}", Static))


def error_line(form: FormScreen[Any]) -> str:
    return plain(form.query_one("#form-error", Static)).strip()


def value(form: FormScreen[Any], name: str) -> Any:
    return form.value(name)


async def test_topic_form_refuses_bad_values_where_they_are_typed() -> None:
    engine = FakeEngine([one_node(snapshot(1))])
    app = make_app(engine)
    async with app.run_test(size=SMALL) as pilot:
        form = await open_form(pilot, app, "1", "n", "TopicForm")
        assert value(form, "name") == "demo-2"  # demo exists: a free name is proposed
        assert error_line(form) == ""
        await pilot.press("ctrl+u", *"demo")
        assert "already exists" in field_help(form, "name")
        assert "already exists" in error_line(form)
        await pilot.press("ctrl+u", *"orders", "enter", "0")
        # the error moved to the partitions line: the name's line says what a name may be again
        assert "at least 1" in field_help(form, "partitions")
        assert "Letters, digits" in field_help(form, "name")
        assert form.query_one("#f-partitions").has_class("-invalid")
        await pilot.press("ctrl+s")
        assert app.screen is form
        assert engine.submitted == []
        await pilot.press("backspace", "4", "enter", "ctrl+u", "5")
        assert "needs 5 brokers; this cluster has 1" in field_help(form, "rf")
        assert value(form, "partitions") == "4"
        await pilot.press("backspace", "1")
        assert error_line(form) == ""  # fixed: the error line clears
        assert not form.query_one("#f-partitions").has_class("-invalid")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen is not form)
        assert engine.submitted == [CreateTopic(spec=engine.submitted[0].spec, exists_ok=False)]  # type: ignore[attr-defined]
        spec = engine.submitted[0].spec  # type: ignore[attr-defined]
        assert (spec.name, spec.partitions, spec.replication_factor) == ("orders", 4, 1)


async def test_an_engine_refusal_keeps_the_form_open_with_every_value() -> None:
    engine = FakeEngine([snapshot(1)], fail={CreateTopic: "Topic 'orders' already exists."})
    app = make_app(engine)
    async with app.run_test(size=SMALL) as pilot:
        form = await open_form(pilot, app, "1", "n", "TopicForm")
        await pilot.press("ctrl+u", *"orders", "enter", "ctrl+u", "9", "ctrl+s")
        await until(pilot, lambda: "already exists" in error_line(form))
        assert app.screen is form
        assert (value(form, "name"), value(form, "partitions")) == ("orders", "9")
        assert "already exists" in field_help(form, "name")  # matched to its field
        assert not form.query_one("#ok", Button).disabled  # try again after fixing it


async def test_enter_moves_to_the_next_field_and_ctrl_s_submits() -> None:
    engine = FakeEngine([snapshot(1)])
    app = make_app(engine)
    async with app.run_test(size=SMALL) as pilot:
        form = await open_form(pilot, app, "1", "n", "TopicForm")
        order = [f"f-{f.name}" for f in form.fields]
        assert app.focused is not None
        assert app.focused.id == order[0]
        for expected in order[1:]:
            await pilot.press("enter")
            assert app.focused is not None
            assert app.focused.id == expected
        await pilot.press("enter")
        assert app.focused is form.query_one("#ok", Button)  # from the last field: OK
        assert engine.submitted == []  # enter never submitted on the way
        await pilot.press("enter")  # enter on OK submits
        await until(pilot, lambda: app.screen is not form)
        assert isinstance(engine.submitted[0], CreateTopic)


async def test_keys_typed_fast_after_opening_land_in_the_form_not_the_pane() -> None:
    """'x' right after 'n' stopped the selected producer while the form was opening; and a fast
    typist's backspace after enter deleted a digit of the next field."""
    from textual import events

    engine = FakeEngine([snapshot(1)])
    app = make_app(engine)
    async with app.run_test(size=SMALL) as pilot:
        app.apply_snapshot(engine.snapshot())
        await pilot.press("2")
        for key in ("n", "x", "x"):  # queued at once, as a terminal delivers them
            app.post_message(events.Key(key, key))
        await until(pilot, lambda: type(app.screen).__name__ == "ProducerForm")
        await pilot.pause(0.2)
        assert not any(isinstance(c, StopProducer) for c in engine.submitted)
        form = app.screen
        assert isinstance(form, FormScreen)
        keys = [("backspace", "\x08"), *((c, c) for c in "fast"), ("enter", "\r"),
                ("backspace", "\x08"), ("backspace", "\x08"), ("z", "z")]
        form.set_focus(form.query_one("#f-name"))
        await pilot.pause()
        for key, char in keys:
            app.post_message(events.Key(key, char))
        await until(pilot, lambda: value(form, "topic") == "z")
        assert value(form, "name") == "fast"
        # a missing topic, then at once to 'Create if missing' and off: the person's choice wins
        # over the form's own following of the topic (whose change messages come later)
        for key, char in (("z", "z"), ("enter", "\r"), ("left", None)):
            app.post_message(events.Key(key, char))
        await until(pilot, lambda: value(form, "topic") == "zz")
        await pilot.pause(0.2)
        assert value(form, "create") is False


async def test_producer_form_creates_a_missing_topic_or_refuses_it_by_name() -> None:
    engine = FakeEngine([snapshot(1, runners=())])  # no producer yet: the topic is a guess
    app = make_app(engine)
    async with app.run_test(size=SMALL) as pilot:
        form = await open_form(pilot, app, "2", "n", "ProducerForm")
        assert value(form, "topic") == "demo"
        assert value(form, "create") is False  # demo exists on the cluster
        assert "'demo' exists (3 partitions)" in field_help(form, "topic")
        form.set_focus(form.query_one("#f-topic"))
        await pilot.press("ctrl+u", *"fresh")
        assert value(form, "create") is True  # follows the topic until set by hand
        assert "created first (3 partitions, RF 3)" in field_help(form, "topic")
        await pilot.press("enter", "left")  # to 'Create if missing', and off by hand
        assert value(form, "create") is False
        assert "Topic 'fresh' does not exist" in error_line(form)
        await pilot.press("ctrl+s")
        assert engine.submitted == []
        assert app.screen is form
        form.set_focus(form.query_one("#f-topic"))
        await pilot.press("ctrl+u", *"fresher")
        assert value(form, "create") is False  # set by hand: it stays
        form.query_one("#f-create", Choice).value = True
        await pilot.pause()
        assert error_line(form) == ""
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen is not form)
        create, start = engine.submitted
        assert isinstance(create, CreateTopic)
        assert create.spec.name == "fresher"
        assert create.exists_ok
        assert create.spec.partitions == 3
        assert isinstance(start, StartProducer)
        assert start.workload.topic == "fresher"
        assert not start.require_topic  # created first


async def test_producer_form_without_a_topic_list_asks_the_engine_for_the_topic() -> None:
    # the watcher has not read the topics yet (it catches up after a fault): the form cannot
    # refuse a missing topic itself, so the StartProducer it sends asks the cluster first
    engine = FakeEngine([dataclasses.replace(snapshot(1, runners=()), cluster=None)])
    app = make_app(engine)
    async with app.run_test(size=BIG) as pilot:
        form = await open_form(pilot, app, "2", "n", "ProducerForm")
        form.set_value("topic", "maybe")
        form.set_value("create", False)  # in the same moment: the topic's change comes later
        await pilot.pause()
        assert value(form, "create") is False
        await pilot.press("ctrl+s")
        await until(pilot, lambda: engine.submitted)
        (start,) = engine.submitted
        assert isinstance(start, StartProducer)
        assert start.workload.topic == "maybe"
        assert start.require_topic


async def test_producer_form_explains_each_choice_and_partition_range() -> None:
    engine = FakeEngine([snapshot(1)])
    app = make_app(engine)
    async with app.run_test(size=BIG) as pilot:
        form = await open_form(pilot, app, "2", "n", "ProducerForm")
        assert "waits for every in-sync replica: durable, slower" in field_help(form, "acks")
        acks = form.query_one("#f-acks", Choice)
        form.set_focus(acks)
        await pilot.press("left")
        assert acks.value == "1"
        assert "the leader only" in field_help(form, "acks")
        form.query_one("#f-idempotence", Choice).value = True
        await pilot.pause()
        assert "needs acks=all" in field_help(form, "idempotence")
        form.query_one("#f-idempotence", Choice).value = False
        form.query_one("#f-partition", Input).value = "7"
        await pilot.pause()
        assert "partitions 0-2; there is no partition 7" in field_help(form, "partition")


async def test_member_form_describes_strategies_and_warns_on_a_group_mismatch() -> None:
    engine = FakeEngine([snapshot(1)])  # group g1: classic, range, one member
    app = make_app(engine)
    async with app.run_test(size=BIG) as pilot:
        form = await open_form(pilot, app, "3", "a", "MemberForm")
        assert value(form, "group") == "g1"
        assert "synchronous commit after each batch" in field_help(form, "strategy")
        form.query_one("#f-strategy", Choice).value = "auto"
        await pilot.pause()
        assert "at-most-once" in field_help(form, "strategy")
        form.query_one("#f-assignor", Choice).value = "roundrobin"
        await pilot.pause()
        warning = field_help(form, "assignor")
        assert "Group g1 uses range now (1 member)" in warning
        assert "INCONSISTENT_GROUP_PROTOCOL" in warning
        assert form.query_one("#h-assignor").has_class("-warning")
        form.query_one("#f-assignor", Choice).value = "range"
        form.query_one("#f-count", Input).value = "2"
        await pilot.pause()
        assert "uses range" not in field_help(form, "assignor")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: len(engine.submitted) == 2)
        assert all(isinstance(c, AddMember) and c.spec.strategy == "auto"
                   for c in engine.submitted)


async def test_last_values_are_offered_again_and_saved_with_the_settings(tmp_path: Any) -> None:
    settings = Settings()
    engine = FakeEngine([snapshot(1)])
    app = make_app(engine, settings=settings)
    remembered: list[str] = []

    def hook(message: object) -> None:
        if isinstance(message, FormValuesRemembered):
            remembered.append(message.form_id)

    async with app.run_test(size=SMALL, message_hook=hook) as pilot:
        form = await open_form(pilot, app, "2", "n", "ProducerForm")
        form.query_one("#f-acks", Choice).value = "1"
        form.query_one("#f-linger", Input).value = "50"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen is not form)
        again = await open_form(pilot, app, "2", "n", "ProducerForm")
        assert (value(again, "acks"), value(again, "linger")) == ("1", "50")
        assert value(again, "name") == "p3"  # names are never reused
    assert set(remembered) == {"producer"}  # seen by the form and again by the app (it bubbles)
    assert settings.forms["producer"]["acks"] == "1"
    path = tmp_path / "settings.yaml"
    assert save_settings(settings, path) is None
    assert load_settings(path).forms["producer"]["linger"] == "50"


async def test_clone_opens_the_form_with_the_selected_producers_settings() -> None:
    engine = FakeEngine([snapshot(1, runners=(runner("p1"), runner("p2", acks="1")))])
    app = make_app(engine)
    async with app.run_test(size=SMALL) as pilot:
        app.apply_snapshot(engine.snapshot())
        await pilot.press("2", "down")
        await pilot.press("N")
        await until(pilot, lambda: type(app.screen).__name__ == "ProducerForm")
        form = app.screen
        assert isinstance(form, FormScreen)
        assert value(form, "acks") == "1"  # p2's
        assert value(form, "name") == "p3"
        assert value(form, "keys") == "cycle:16"


async def test_every_form_fits_80x24_with_one_line_inputs_and_ok_visible() -> None:
    for screen_key, key, name in (("1", "n", "TopicForm"), ("2", "n", "ProducerForm"),
                                  ("3", "a", "MemberForm")):
        app = make_app(FakeEngine([snapshot(1)]))
        async with app.run_test(size=SMALL) as pilot:
            form = await open_form(pilot, app, screen_key, key, name)
            await pilot.pause()
            assert form.open_ms is not None
            assert form.open_ms < 2000, form.open_ms  # about 70-300 ms on a busy 2-core box
            inside = form.query_one("#form").content_region  # within the border, not on it
            for widget_id in ("#ok", "#cancel", "#form-error"):
                region = form.query_one(widget_id).region
                assert inside.contains_region(region), (name, widget_id, region)
            assert form.query_one("#form").region.width <= 80
            for widget in form.query("FormInput, Choice"):
                assert widget.region.height in (0, 1), (name, widget.id)  # 0: scrolled away
            # the last field is reachable: enter walks there and it scrolls into view
            for _ in form.fields:
                await pilot.press("enter")
            await pilot.pause()
            assert app.focused is form.query_one("#ok", Button)


async def test_a_long_refusal_never_pushes_ok_off_the_screen() -> None:
    app = make_app(FakeEngine([snapshot(1, runners=())]))
    async with app.run_test(size=SMALL) as pilot:
        form = await open_form(pilot, app, "2", "n", "ProducerForm")
        form.set_focus(form.query_one("#f-topic"))
        await pilot.press("ctrl+u", *"a-topic-name-long-enough-to-wrap-the-sentence", "enter",
                          "left")
        await until(pilot, lambda: "does not exist on this cluster" in error_line(form))
        await pilot.pause(0.1)
        assert form.query_one("#form-error").region.height >= 2
        inside = form.query_one("#form").content_region  # within the border, not on it
        assert inside.contains_region(form.query_one("#ok").region)
