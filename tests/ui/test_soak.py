"""A seeded random-input soak of the REAL explorer: a real engine on the suite's 1-node lab, driven by Pilot.

Each run takes ``KX_SOAK_ACTIONS`` random actions (default 300) within ``KX_SOAK_SECONDS`` (default
110 s): keys from the command registry on every screen, table navigation and ``/`` filters, palette
commands, the topic, producer and member forms submitted with valid and invalid values, member
crash/restart/remove/pause/strategy, a bounded pause of the lab node, at most two node restarts, theme
switches and 80×24 ↔ 160×48 resizes. Random keys never submit a form or a dialog (no enter, space or
ctrl+s inside one), never quit, and never act on the node: what reaches Kafka is named
``soak-<run>-...`` and the topics are deleted at the end. ``lab1`` is shared by the session, so the node
is running and ready again before the test ends.

After every action the app must be alive and responsive: still running, no unhandled exception, a new
frame within 2 s of a refresh, a harmless key handled within 2 s, no traceback in the log. A failure
prints the seed and the last 20 actions; ``KX_SOAK_SEED=<seed>`` replays the same choices (what the
cluster does in between may still differ).
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.command import CommandList, CommandPalette
from textual.keys import _character_to_key, key_to_character
from textual.pilot import Pilot
from textual.screen import ModalScreen
from textual.widgets import Input, TabbedContent

from tests.helpers import unique
from tests.ui.fakes import FakeEngine, plain
from tests.ui.fakes import snapshot as fake_snapshot
from tui.engine import (
    Connection,
    DeleteGroup,
    DeleteTopic,
    Engine,
    RefreshNow,
    RemoveMember,
    StopProducer,
)
from tui.lab import LabCluster
from tui.ui.app import ExplorerApp
from tui.ui.fast_table import FastTable
from tui.ui.forms.base import FormScreen
from tui.ui.forms.member import MemberForm, StrategyPicker
from tui.ui.forms.producer import ProducerForm
from tui.ui.forms.topic import TopicForm
from tui.ui.panes.cluster import ClusterPane
from tui.ui.registry import BY_ID, COMMANDS, keys_of
from tui.ui.scenarios_screen import ScenariosScreen
from tui.ui.settings import Settings
from tui.vocab import LIVE_MEMBER_STATES

DEADLINE_S = 2.0
"""A frame after a refresh, and a harmless key, must come within this."""
SIZES = ((80, 24), (160, 48))
SETTLE_ROUNDS = 16
"""More than the widget tree is deep."""
HARMLESS_KEY = "f12"
"""Bound nowhere: a round trip through the app's queue that changes nothing."""
MAX_RESTARTS = 2
"""Node restarts (restart, or kill then start) per run: lab1 is the whole session's
(``KX_SOAK_RESTARTS`` lowers it)."""
MAX_PAUSES = 3
MAX_LIVE_MEMBERS = 3
"""Each member is a process; more would only slow a shared 2-core machine."""
MAX_RUNNING_PRODUCERS = 3

NODE_KEYS = frozenset(k for c in COMMANDS if c.id.startswith("node.") for k in keys_of(c, {}))
"""Keys that act on the lab node on the Cluster screen: only the node actions press them there."""
MAIN_KEYS = tuple(sorted({k for c in COMMANDS if c.scope != "scenarios" and c.id != "app.quit"
                          for k in keys_of(c, {})}))
SCENARIO_KEYS = tuple(sorted({k for c in COMMANDS if c.scope in ("scenarios", "app") and c.id != "app.quit"
                              for k in keys_of(c, {})} | {"1", "2", "3", "4", "5", "7"}))
NAV_KEYS = ("up", "down", "pageup", "pagedown", "home", "end", "left", "right", "tab", "shift+tab",
            "enter", "escape", "ctrl+p")
MODAL_KEYS = (*"abcdefghijklmnoprstuvwxyz0123456789-._", "backspace", "delete", "tab", "shift+tab",
              "left", "right", "up", "down", "home", "end")
"""Keys typed into an open form, dialog or palette: nothing that submits it (enter, space, ctrl+s) and
no ``q`` (quit outside an input)."""
FILTER_CHARS = "abcdefgmnoprst0123456789-.*[("
"""A ``[`` or ``(`` makes an unfinished regular expression: the filter must say so, not fail."""
DANGEROUS_TITLES = frozenset(c.title for c in COMMANDS if c.lab_only or c.id == "app.quit")
"""Palette entries the soak never runs (the node actions have their own bounded action)."""
SAFE_STRATEGIES = ("auto", "auto-stored", "sync-per-message", "sync-per-batch", "async-per-batch",
                   "commit-before", "never")
KINDS: tuple[tuple[str, int], ...] = (
    ("key", 30), ("nav", 8), ("filter", 5), ("palette", 8), ("topic_form", 5), ("producer_form", 7),
    ("member_form", 6), ("member_op", 8), ("producer_op", 3), ("browse", 3), ("theme", 3),
    ("resize", 4), ("verdict", 2), ("pause_node", 2), ("restart_node", 1))


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


class Soak:
    """The random actions and the liveness check that follows each."""

    def __init__(self, app: ExplorerApp, pilot: Pilot[Any], engine: Engine, lab: LabCluster,
                 seed: int, prefix: str, caplog: pytest.LogCaptureFixture, journal: Path) -> None:
        self.app, self.pilot, self.engine, self.lab = app, pilot, engine, lab
        self.seed, self.prefix, self.caplog = seed, prefix, caplog
        self.rng = random.Random(seed)
        self.max_restarts = min(MAX_RESTARTS, env_int("KX_SOAK_RESTARTS", MAX_RESTARTS))
        self.journal = journal.open("a", buffering=1)
        """Every action as it starts, flushed: what was done when the process itself dies (a crash in
        a C library takes pytest's captured output with it)."""
        self.node = lab.spec.node_ids()[0]
        self.actions: deque[str] = deque(maxlen=20)
        self.count = 0
        self.kinds: Counter[str] = Counter()
        self.spent: Counter[str] = Counter()
        """Seconds per kind of action (the liveness checks under ``check``)."""
        self.findings: list[str] = []
        """Valid values a form refused (with the form's sentence): worth a look, not a crash."""
        self.errors: Counter[str] = Counter()
        """Error notifications by title."""
        self.topics: list[str] = []
        self.groups: dict[str, tuple[str, str]] = {}
        """Group -> (protocol, assignor) its members were started with."""
        self.names = 0
        self.frames = 0
        self.size = SIZES[1]
        self.restarts = 0
        self.pauses = 0
        self.modal_age = 0
        self.worst_round_trip = 0.0
        self._log_seen = 0
        display, notify = app._display, app.notify

        def counting(screen: Any, renderable: Any) -> None:
            self.frames += 1
            display(screen, renderable)

        def notified(message: str, *args: Any, **kwargs: Any) -> None:
            if kwargs.get("severity") == "error":
                self.errors[str(kwargs.get("title") or message)[:80]] += 1
            notify(message, *args, **kwargs)

        app._display = counting  # type: ignore[method-assign]
        app.notify = notified  # type: ignore[method-assign]

    # ---- the loop ----------------------------------------------------------------------------

    async def run(self, actions: int, seconds: float) -> float:
        started = time.monotonic()
        await self.until(lambda: self.app.snapshot and self.app.snapshot.cluster, 30, "the first snapshot")
        while self.count < actions and time.monotonic() - started < seconds:
            self.count += 1
            await self.step()
            checked = time.monotonic()
            await self.check_alive()
            self.spent["check"] += time.monotonic() - checked
        await self.close_modals()
        return time.monotonic() - started

    async def step(self) -> None:
        # each action draws from its own generator: action N makes the same choices in a replay
        # even when an earlier one found the app in another state
        self.rng.seed(f"{self.seed}:{self.count}")
        if isinstance(self.app.screen, ModalScreen):
            await self.modal()
            return
        self.modal_age = 0
        names, weights = zip(*KINDS, strict=True)
        kind = self.rng.choices(names, weights)[0]
        self.kinds[kind] += 1
        started = time.monotonic()
        await getattr(self, f"do_{kind}")()
        self.spent[kind] += time.monotonic() - started

    def note(self, text: str) -> None:
        self.actions.append(f"{self.count:>3} {text}")
        self.journal.write(f"{time.strftime('%H:%M:%S')} {self.actions[-1]}\n")

    def last_actions(self) -> str:
        return "\n".join(self.actions)

    # ---- liveness ----------------------------------------------------------------------------

    async def check_alive(self) -> None:
        app = self.app
        assert app.is_running, "the app is no longer running"
        assert app._exception is None, f"unhandled exception in the app: {app._exception!r}"
        frames, started = self.frames, time.monotonic()
        app.screen.refresh()
        while self.frames == frames:  # the screen's own update timer paints it
            assert time.monotonic() - started < DEADLINE_S, f"no new frame within {DEADLINE_S:.0f} s"
            await asyncio.sleep(0.01)
        started = time.monotonic()
        await self.press(HARMLESS_KEY)
        took = time.monotonic() - started
        self.worst_round_trip = max(self.worst_round_trip, took)
        assert took < DEADLINE_S, f"a key took {took:.1f} s to go through the app"
        assert app._exception is None, f"unhandled exception in the app: {app._exception!r}"
        records = self.caplog.records[self._log_seen:]
        self._log_seen += len(records)
        tracebacks = [f"{r.name}: {r.getMessage()}" for r in records
                      if r.exc_info or "Traceback (most recent call last)" in r.getMessage()]
        assert not tracebacks, f"traceback in the app log: {tracebacks}"

    async def press(self, *keys: str) -> None:
        """Each key as a terminal sends it, handled to the end before the next one is sent (Pilot's
        press also waits for the process to go idle, which a process with Kafka clients never is)."""
        for key in keys:
            if len(key) == 1 and not key.isalnum():
                key = _character_to_key(key)
            self.app.post_message(events.Key(key, key_to_character(key)))
            await self.settle()

    async def settle(self) -> None:
        """Until the app and the screen's widgets have handled what is queued: each round lets each of
        them handle what came before it, one hop of a key's way up the widget tree."""
        for _ in range(SETTLE_ROUNDS):
            await self.pilot._wait_for_screen()
            pumps = [self.app, *self.app.screen.walk_children(with_self=True)]
            if all(pump._message_queue.empty() for pump in pumps):
                return

    async def until(self, predicate: Callable[[], Any], seconds: float, what: str) -> Any:
        deadline = time.monotonic() + seconds
        while not (value := predicate()):
            assert time.monotonic() < deadline, f"timed out after {seconds:.0f} s waiting for {what}"
            await self.pilot.pause(0.1)
        return value

    # ---- where the app is ---------------------------------------------------------------------

    @property
    def main(self) -> Any:
        return self.app.screen_stack[0]

    def cluster_has_focus(self) -> bool:
        """The node keys would reach the Cluster screen (its tab is shown, or the focus is in it)."""
        focused = self.app.focused
        in_cluster = focused is not None and any(isinstance(a, ClusterPane)
                                                 for a in focused.ancestors_with_self)
        active = self.app.active_pane()
        return in_cluster or (active is not None and active.id == "cluster")

    async def show(self, pane: str, table: str | None = None) -> FastTable | None:
        """The live screen ``pane`` with ``table`` focused (from the Scenarios screen too)."""
        if isinstance(self.app.focused, Input):
            self.app.set_focus(None)  # a filter has the focus: the number key would be typed into it
        await self.press(BY_ID[f"screen.{pane}"].key)
        await self.until(lambda: self.app.screen is self.main and (active := self.app.active_pane())
                         and active.id == pane, 5, f"the {pane} screen")
        if table is None:
            return None
        widget: FastTable = self.main.query_one(f"#{table}", FastTable)
        widget.focus()
        await self.settle()
        return widget

    async def pick_row(self, table: FastTable, wanted: Callable[[str], bool] = lambda _k: True) -> str | None:
        keys = [k for k in table.keys if wanted(k)]
        if not keys:
            return None
        key = self.rng.choice(keys)
        table.move_cursor(table.keys.index(key))
        await self.settle()
        return key

    def live_members(self) -> list[Any]:
        return [m for m in self.engine.snapshot().consumers.members if m.state in LIVE_MEMBER_STATES]

    def running_producers(self) -> int:
        return sum(r.state in ("starting", "running", "draining")
                   for r in self.engine.snapshot().producers.runners)

    def fresh(self, kind: str) -> str:
        self.names += 1
        return f"{self.prefix}-{kind}{self.names}"

    # ---- modals: fuzz a little, then close --------------------------------------------------

    async def modal(self) -> None:
        screen = self.app.screen
        self.modal_age += 1
        keys = [self.rng.choice(MODAL_KEYS) for _ in range(self.rng.randint(1, 5))]
        self.kinds["modal"] += 1
        self.note(f"in {type(screen).__name__}: {' '.join(keys)}")
        for key in keys:
            await self.press(key)
            if self.app.screen is not screen:
                return
        if self.modal_age >= 3 or self.rng.random() < 0.6:
            await self.close(screen)

    async def close(self, screen: Any) -> None:
        for _ in range(3):
            if self.app.screen is not screen:
                return
            await self.press("escape")
            await self.settle()
        assert self.app.screen is not screen, f"escape did not close {type(screen).__name__}"

    async def close_modals(self) -> None:
        while isinstance(self.app.screen, ModalScreen):
            await self.close(self.app.screen)

    # ---- keys --------------------------------------------------------------------------------

    async def do_key(self) -> None:
        if isinstance(self.app.screen, ScenariosScreen):
            pool = SCENARIO_KEYS + NAV_KEYS
            where = "scenarios"
        else:
            pool = MAIN_KEYS + NAV_KEYS
            if self.cluster_has_focus():
                pool = tuple(k for k in pool if k not in NODE_KEYS)
            active = self.app.active_pane()
            where = active.id if active is not None else "?"
        key = self.rng.choice(pool)
        self.note(f"key {key} on {where}")
        await self.press(key)

    async def do_nav(self) -> None:
        keys = [self.rng.choice(NAV_KEYS[:10]) for _ in range(self.rng.randint(2, 6))]
        self.note(f"navigate {' '.join(keys)}")
        await self.press(*keys)

    async def do_filter(self) -> None:
        pane = self.rng.choice(("cluster", "produce", "consumers", "timeline", "verdict"))
        table = {"cluster": "topics", "produce": "producers", "consumers": "members",
                 "timeline": "events", "verdict": "anomalies"}[pane]
        await self.show(pane, table)
        await self.press("slash")
        text = "".join(self.rng.choice(FILTER_CHARS) for _ in range(self.rng.randint(1, 6)))
        end = self.rng.choice(("enter", "escape"))
        self.note(f"filter {pane}/{table}: {text!r} then {end}")
        for char in text:
            if not isinstance(self.app.focused, Input):
                return  # the bar did not open or closed: letters would be commands
            await self.press(char)
        if isinstance(self.app.focused, Input):
            await self.press(end)

    async def do_palette(self) -> None:
        if isinstance(self.app.screen, ScenariosScreen):
            titles = [c.title for c in COMMANDS if c.scope in ("app", "scenarios")]
        else:
            titles = [c.title for c in COMMANDS if c.scope != "scenarios"]
        titles += [f"Theme: {name}" for name in self.app.theme_names]
        title = self.rng.choice(titles)
        query = title[:self.rng.randint(3, len(title))] if len(title) > 3 else title
        await self.press("ctrl+p")
        palette = await self.until(lambda: isinstance(self.app.screen, CommandPalette) and self.app.screen,
                                   5, "the command palette")
        await self.press(*("space" if c == " " else c for c in query))
        options = palette.query_one(CommandList)
        listed = await self.listed(options)
        if not listed:
            self.note(f"palette {query!r}: nothing listed")
            await self.close(palette)
            return
        await self.press("down")
        index = options.highlighted
        hit = options.get_option_at_index(index).hit.text if index is not None else None
        if hit is None or hit in DANGEROUS_TITLES:
            self.note(f"palette {query!r}: not running {hit!r}")
            await self.close(palette)
            return
        self.note(f"palette {query!r}: {hit}")
        await self.press("enter")
        await self.until(lambda: self.app.screen is not palette, 5, f"the palette to run {hit!r}")

    async def listed(self, options: CommandList) -> bool:
        deadline = time.monotonic() + DEADLINE_S
        while options.option_count == 0:
            if time.monotonic() > deadline:
                return False
            await self.pilot.pause(0.05)
        return True

    async def do_theme(self) -> None:
        before = self.app.theme
        await self.press(BY_ID["app.theme"].key)
        self.note(f"theme {before} -> {self.app.theme}")
        assert self.app.theme != before or len(self.app.theme_names) < 2, "f2 did not change the theme"

    async def do_resize(self) -> None:
        self.size = SIZES[0] if self.size == SIZES[1] else SIZES[1]
        self.note(f"resize to {self.size[0]}x{self.size[1]}")
        await self.pilot.resize_terminal(*self.size)
        await self.until(lambda: tuple(self.app.size) == self.size, DEADLINE_S, f"the app at {self.size}")

    async def do_verdict(self) -> None:
        self.note("verdict")
        await self.show("verdict", "counts")
        await self.press(BY_ID["verdict.compute"].key)

    # ---- forms -------------------------------------------------------------------------------

    async def open_form(self, pane: str, table: str, command_id: str, form_type: type[Any]) -> Any:
        await self.show(pane, table)
        await self.press(BY_ID[command_id].key)
        return await self.until(lambda: isinstance(self.app.screen, form_type) and self.app.screen, 5,
                                form_type.__name__)

    async def submit(self, form: FormScreen[Any], values: dict[str, Any], valid: bool, what: str) -> bool:
        """Fill ``form`` and press ctrl+s: a valid form closes once the engine accepted it (or says
        why not), an invalid one stays open with its sentence. True when the form closed."""
        self.note(f"{what} ({'valid' if valid else 'invalid'}): {values}")
        for name, value in values.items():
            form.set_value(name, value)
        await self.settle()
        error = form.query_one("#form-error")
        await self.press("ctrl+s")
        if not valid:
            # refused by the form at once, or by the engine once it asked the cluster
            await self.until(lambda: self.app.screen is not form or error.has_class("-error"), 60,
                             f"{what}: the refusal")
            assert self.app.screen is form, f"{what}: the form took invalid values {values}"
            assert plain(error).strip(), f"{what}: invalid values {values} and no sentence says why"
            await self.close(form)
            return False
        await self.until(lambda: self.app.screen is not form or error.has_class("-error"), 60,
                         f"{what}: the engine's answer")
        if self.app.screen is form:
            self.findings.append(f"{what}: {plain(error).strip()}")
            await self.close(form)
            return False
        return True

    async def do_topic_form(self) -> None:
        form = await self.open_form("cluster", "nodes", "topic.create", TopicForm)
        valid = self.rng.random() < 0.65
        name = self.fresh("t")
        values: dict[str, Any] = {"name": name, "partitions": str(self.rng.randint(1, 4)), "rf": "1",
                                  "min_isr": self.rng.choice(("", "1")), "unclean": self.rng.random() < 0.2}
        if not valid:
            values.update(self.rng.choice((
                {"partitions": "0"}, {"rf": "7"}, {"name": "bad name!"}, {"partitions": ""},
                {"min_isr": "4"}, *([{"name": self.rng.choice(self.topics)}] if self.topics else []))))
        if await self.submit(form, values, valid, "topic form"):
            self.topics.append(name)

    async def do_producer_form(self) -> None:
        valid = self.rng.random() < 0.65 and self.running_producers() < MAX_RUNNING_PRODUCERS
        form = await self.open_form("produce", "producers", "producer.new", ProducerForm)
        options = {f.name: f.option_values() for f in form.fields}
        topic = self.rng.choice(self.topics) if self.topics and self.rng.random() < 0.7 else self.fresh("t")
        acks = self.rng.choice(options["acks"])
        idempotent = acks == "all" and self.rng.random() < 0.4
        values: dict[str, Any] = {
            "name": self.fresh("p").removeprefix(f"{self.prefix}-"), "topic": topic, "acks": acks,
            "idempotence": idempotent, "in_flight": str(self.rng.randint(1, 5)),
            "retries": str(self.rng.choice((3, 2147483647) if idempotent else (0, 3, 2147483647))),
            "linger": str(self.rng.randint(0, 50)),
            "batch": str(self.rng.choice((16384, 100_000, 1_000_000))),
            "compression": self.rng.choice(options["compression"]),
            "partitioner": self.rng.choice(options["partitioner"]),
            "keys": self.rng.choice(("none", "cycle:8", "random", "fixed:k1")),
            "value_size": str(self.rng.randint(10, 500)), "count": str(self.rng.randint(20, 400)),
            "rate": str(self.rng.randint(100, 1000)), "txn": "", "headers": "", "partition": "", "extra": ""}
        if not valid:
            values.update(self.rng.choice((
                {"acks": "1", "idempotence": True}, {"retries": ""}, {"in_flight": "0"},
                {"keys": "bogus:x"}, {"extra": "novalue"}, {"name": ""}, {"batch": "0"},
                {"topic": self.fresh("missing"), "create": False})))
        if await self.submit(form, values, valid, "producer form") and topic not in self.topics:
            self.topics.append(topic)

    async def do_member_form(self) -> None:
        valid = (self.rng.random() < 0.65 and bool(self.topics)
                 and len(self.live_members()) < MAX_LIVE_MEMBERS)
        form = await self.open_form("consumers", "members", "member.add", MemberForm)
        options = {f.name: f.option_values() for f in form.fields}
        if self.groups and self.rng.random() < 0.5:
            group = self.rng.choice(sorted(self.groups))
            protocol, assignor = self.groups[group]
        else:
            group = self.fresh("g")
            protocol, assignor = self.rng.choice(options["protocol"]), self.rng.choice(options["assignor"])
        values: dict[str, Any] = {
            "group": group, "topics": self.rng.choice(self.topics) if self.topics else self.fresh("t"),
            "count": "1", "name": self.fresh("m").removeprefix(f"{self.prefix}-"),
            "strategy": self.rng.choice(SAFE_STRATEGIES), "protocol": protocol, "assignor": assignor,
            "remote": "default", "instance": "", "processing": str(self.rng.randint(0, 20)),
            "batch": str(self.rng.randint(1, 20)), "auto_commit": str(self.rng.randint(100, 1000)),
            "isolation": self.rng.choice(options["isolation"]), "reset": self.rng.choice(options["reset"]),
            "crash_after": str(self.rng.randint(5, 40)) if self.rng.random() < 0.3 else "", "output": ""}
        if not valid:
            values.update(self.rng.choice((
                {"count": "99"}, {"group": ""}, {"count": "2", "name": "two"}, {"batch": "0"},
                {"strategy": "transactional", "output": ""}, {"crash_after": "0"}, {"topics": ""})))
        if await self.submit(form, values, valid, "member form"):
            self.groups.setdefault(group, (protocol, assignor))

    # ---- members, producers, browse ----------------------------------------------------------

    async def do_member_op(self) -> None:
        table = await self.show("consumers", "members")
        assert table is not None
        member = await self.pick_row(table)
        command_id = self.rng.choice(("member.crash", "member.restart", "member.remove", "member.pause",
                                      "member.resume", "member.strategy", "member.clone"))
        self.note(f"{command_id} on {member}")
        await self.press(BY_ID[command_id].key)
        if command_id != "member.strategy" or member is None:
            return
        picker = await self.until(lambda: isinstance(self.app.screen, StrategyPicker) and self.app.screen,
                                  5, "the strategy picker")
        await self.press(*["down"] * self.rng.randint(0, 6))
        await self.press(self.rng.choice(("enter", "escape")))
        await self.until(lambda: self.app.screen is not picker, 5, "the picker to close")

    async def do_producer_op(self) -> None:
        table = await self.show("produce", "producers")
        assert table is not None
        producer = await self.pick_row(table)
        command_id = self.rng.choice(("producer.stop", "producer.clone"))
        self.note(f"{command_id} on {producer}")
        await self.press(BY_ID[command_id].key)

    async def do_browse(self) -> None:
        table = await self.show("cluster", "topics")
        assert table is not None
        topic = await self.pick_row(table, lambda key: key.startswith(self.prefix))
        self.note(f"browse {topic}")
        if topic is None:
            await self.show("browse")
            await self.press(BY_ID["browse.open"].key)  # the form: fuzzed and closed next
            return
        await self.press(BY_ID["topic.browse"].key)

    # ---- the lab node: a bounded pause, at most two restarts ---------------------------------

    def node_view(self) -> tuple[str, int | None]:
        view = next(n for n in self.engine.snapshot().lab if n.node_id == self.node)
        return view.state, view.pid

    async def node_key(self, command_id: str) -> None:
        table = await self.show("cluster", "nodes")
        assert table is not None
        await self.until(lambda: str(self.node) in table.keys, 10, f"node {self.node} in the Nodes table")
        table.move_cursor(table.keys.index(str(self.node)))
        await self.settle()
        await self.press(BY_ID[command_id].key)

    async def wait_node(self, state: str, seconds: float, pid: int | None = None) -> None:
        """Until the node is in ``state`` (with another PID than ``pid``), checking the app meanwhile."""
        deadline = time.monotonic() + seconds
        while True:
            now, now_pid = self.node_view()
            if now == state and (pid is None or now_pid != pid):
                return
            assert time.monotonic() < deadline, f"node {self.node} not {state} after {seconds:.0f} s"
            await self.check_alive()
            await self.pilot.pause(0.2)

    async def do_pause_node(self) -> None:
        if self.pauses >= MAX_PAUSES:
            await self.do_key()
            return
        self.pauses += 1
        hold = self.rng.uniform(0.5, 2.5)
        self.note(f"pause node {self.node} for {hold:.1f} s")
        await self.node_key("node.pause")
        await self.wait_node("paused", 15)
        end = time.monotonic() + hold
        while time.monotonic() < end:
            await self.check_alive()
        await self.node_key("node.resume")
        await self.wait_node("running", 15)

    async def do_restart_node(self) -> None:
        if self.restarts >= self.max_restarts:
            await self.do_key()
            return
        self.restarts += 1
        _state, pid = self.node_view()
        if self.rng.random() < 0.5:
            self.note(f"restart node {self.node}")
            await self.node_key("node.restart")
        else:
            self.note(f"kill node {self.node}, then start it")
            await self.node_key("node.kill")
            await self.wait_node("dead", 20)
            await self.node_key("node.start")
        await self.wait_node("running", 120, pid)
        await asyncio.to_thread(self.lab.wait_ready, 120)

    def report(self, seed: int, seconds: float) -> str:
        kinds = ", ".join(f"{kind} {n} ({self.spent[kind]:.0f} s)" for kind, n in sorted(self.kinds.items()))
        lines = [f"soak: {self.count} actions, seed {seed}, {seconds:.0f} s, 0 crashes; "
                 f"worst key round trip {self.worst_round_trip * 1000:.0f} ms; node restarts "
                 f"{self.restarts}, pauses {self.pauses}", f"  actions: {kinds}",
                 f"  liveness checks {self.spent['check']:.0f} s; topics {len(self.topics)}, "
                 f"groups {len(self.groups)}"]
        lines += [f"  refused valid form: {finding}" for finding in self.findings]
        lines += [f"  error notifications: {title} x{n}" for title, n in self.errors.most_common()]
        return "\n".join(lines)


# ---- the test ------------------------------------------------------------------------------------


@pytest.fixture
def soak_engine(lab1: LabCluster) -> Iterator[Engine]:
    with Engine(Connection(bootstrap=lab1.bootstrap, lab_dir=lab1.dir, label="lab"),
                watch_interval=0.5) as engine:
        yield engine


def heal(lab: LabCluster) -> None:
    """The shared node running and ready again, whatever the soak left it as."""
    for node in lab.spec.node_ids():
        state = lab.node_state(node)
        if state == "paused":
            lab.resume(node)
        elif state in ("dead", "stopped"):
            lab.start_node(node)
    lab.wait_ready(timeout=120)


def clean_up(engine: Engine, prefix: str, created: list[str]) -> None:
    """Stop what the soak started, then delete its topics and groups (DeleteTopic, DeleteGroup)."""
    snapshot = engine.snapshot()
    for member in snapshot.consumers.members:
        if member.state in LIVE_MEMBER_STATES:
            engine.submit(RemoveMember(member.name))
    for runner in snapshot.producers.runners:
        if runner.state in ("starting", "running", "draining"):
            engine.submit(StopProducer(runner.name))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        snapshot = engine.snapshot()
        if not any(m.state in LIVE_MEMBER_STATES for m in snapshot.consumers.members):
            break
        time.sleep(0.2)  # cleanup outside the app: nothing else to wait on
    engine.call(RefreshNow())
    seen = {t.name for t in snapshot.cluster.topics} if snapshot.cluster else set()
    left: list[str] = []
    for topic in sorted({t for t in seen if t.startswith(prefix)} | set(created)):
        try:
            engine.call(DeleteTopic(topic), timeout=40)
        except ValueError as exc:
            if topic in seen:
                left.append(f"{topic}: {exc}")
    groups = {m.group for m in snapshot.consumers.members if m.group.startswith(prefix)}
    for group in sorted(groups):
        try:
            engine.call(DeleteGroup(group), timeout=20)
        except ValueError:  # a member that just left may still be on the coordinator's books
            pass
    assert not left, f"soak topics not deleted: {left}"


@pytest.mark.kafka
@pytest.mark.soak
@pytest.mark.timeout(420)
async def test_soak_random_input(lab1: LabCluster, soak_engine: Engine,
                                 caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    seed = env_int("KX_SOAK_SEED", random.SystemRandom().randrange(1 << 32))
    actions = env_int("KX_SOAK_ACTIONS", 300)
    seconds = env_int("KX_SOAK_SECONDS", 110)
    journal = tmp_path / "soak-actions.log"
    journal.write_text(f"soak seed {seed}\n")
    print(f"soak seed {seed} ({actions} actions within {seconds} s; replay with KX_SOAK_SEED={seed}; "
          f"actions as they run: {journal})")
    caplog.set_level(logging.WARNING)
    prefix = unique("soak")
    app = ExplorerApp(soak_engine, settings=Settings(), remember=False)
    soak: Soak | None = None
    try:
        async with app.run_test(size=SIZES[1]) as pilot:
            soak = Soak(app, pilot, soak_engine, lab1, seed, prefix, caplog, journal)
            try:
                took = await soak.run(actions, seconds)
            except Exception as exc:
                shot = app.save_screenshot(path=str(tmp_path), filename="soak-failure.svg")
                raise AssertionError(
                    f"soak failed at action {soak.count} (seed {seed}; replay with KX_SOAK_SEED={seed} "
                    f"KX_SOAK_ACTIONS={soak.count}): {exc}\nthe screen: {shot}; focus: {app.focused!r}\n"
                    f"last actions:\n{soak.last_actions()}") from exc
        assert app._exception is None, f"the app ended with {app._exception!r}"
        print(soak.report(seed, took))
    finally:
        if soak is not None:
            soak.journal.close()
        heal(lab1)
        clean_up(soak_engine, prefix, soak.topics if soak is not None else [])


# ---- what the soak found, pinned on the fake engine -----------------------------------------------


async def test_a_field_changed_with_another_still_follows() -> None:
    """'Create if missing' follows the topic even when the topic's change message comes after the
    name's already had the form checked with the new topic (a fast typist, values set at once): the
    soak's valid producer forms were refused with "does not exist"."""
    engine = FakeEngine([fake_snapshot(1)])
    app = ExplorerApp(engine, pump=False, settings=Settings(), remember=False)
    async with app.run_test(size=SIZES[0]) as pilot:
        app.apply_snapshot(engine.snapshot())
        await pilot.press("2", "n")
        while not isinstance(app.screen, ProducerForm):
            await pilot.pause(0.02)
        form = app.screen
        assert form.value("create") is False  # demo exists
        form.set_value("name", "fast")
        form.set_value("topic", "brand-new")
        await pilot.pause()
        assert form.value("create") is True
        assert plain(form.query_one("#form-error")).strip() == ""


async def test_a_focus_landing_in_a_hidden_pane_keeps_the_shown_screen() -> None:
    """A deferred focus() from before the last screen key (or Textual moving a hidden widget's focus
    to its sibling) switched back to the old screen: "b" on a topic, then "1" quickly, ended on
    Browse."""
    engine = FakeEngine([fake_snapshot(1)])
    app = ExplorerApp(engine, pump=False, settings=Settings(), remember=False)
    async with app.run_test(size=SIZES[0]) as pilot:
        app.apply_snapshot(engine.snapshot())
        await pilot.press("7", "1")
        app.query_one("#browse-records", FastTable).focus()  # as a late focus() from the Browse screen
        await pilot.pause()
        await pilot.pause()
        assert app.query_one("#tabs", TabbedContent).active == "tab-cluster"
        assert app.focused is app.query_one("#nodes", FastTable)
