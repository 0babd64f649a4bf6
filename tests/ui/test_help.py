"""Keys, help and palette: collisions in keymap.yaml are said (and marked in help), live keys for
titles, what help explains, and a palette with only the explorer's commands and themes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from textual.pilot import Pilot
from textual.widgets import OptionList, Static

from tests.ui.fakes import FakeEngine, plain, snapshot
from tui.ui.app import ExplorerApp
from tui.ui.forms import explain
from tui.ui.help import HelpScreen, help_table
from tui.ui.registry import BY_ID, COMMANDS, key_conflicts, key_for, live_key
from tui.ui.settings import Settings, load_keymap
from tui.vocab import (
    ANOMALY_TITLES,
    Acks,
    Assignor,
    Compression,
    GroupProtocol,
    Isolation,
    OffsetReset,
    Partitioner,
    RemoteAssignor,
    names,
)

SIZE = (120, 40)


def make_app(engine: FakeEngine, **kwargs: Any) -> ExplorerApp:
    kwargs.setdefault("settings", Settings())
    kwargs.setdefault("remember", False)
    return ExplorerApp(engine, pump=False, **kwargs)


def rendered(widget: Any, width: int = 200) -> str:
    import io

    from rich.console import Console

    console = Console(width=width, file=io.StringIO(), record=True, color_system=None)
    console.print(widget)
    return console.export_text()


# ---- key collisions -----------------------------------------------------------------------------


def test_a_remapped_key_that_takes_another_commands_key_is_a_sentence(tmp_path: Path) -> None:
    path = tmp_path / "keymap.yaml"
    path.write_text("member.crash: a\nnode.kill: q\ntimeline.filter: tab\n")
    keymap, problems = load_keymap(set(BY_ID), path)
    assert keymap == {"member.crash": "a", "node.kill": "q", "timeline.filter": "tab"}
    text = "\n".join(problems)
    assert "member.crash: a is already Add member (member.add) on the Consumers screen" in text
    assert "Add member has no key" in text
    assert "node.kill: q is already Quit (app.quit) on the Cluster screen" in text
    assert "Quit has no key" in text
    assert "tab moves the focus" in text
    assert len(problems) == 3


def test_collisions_name_the_winner_and_the_loser() -> None:
    conflicts = key_conflicts({"member.crash": "a"})
    assert [(c.key, c.scope, c.winner, c.loser) for c in conflicts] == \
        [("a", "consumers", "member.crash", "member.add")]
    swapped = {"member.crash": "a", "member.add": "c"}  # a swap is no collision
    assert key_conflicts(swapped) == []
    both = key_conflicts({"producer.new": "y", "producer.stop": "y"})
    assert [c.sentence for c in both] == [
        "producer.new and producer.stop are both mapped to y on the Produce screen; give one "
        "of them another key."]
    assert key_conflicts({"node.kill": "n"})[0].loser == "topic.create"
    assert key_conflicts({"node.kill": "a"}) == []  # a is Add member on another screen only


def test_key_for_follows_the_keymap() -> None:
    assert key_for("member.add") == "a"
    assert key_for("member.add", {"member.add": "ctrl+a"}) == "ctrl+a"
    assert key_for("app.help") == "f1 / ?"

    class Holder:
        keymap = {"producer.new": "P"}

    class Node:
        app = Holder()

    assert live_key(Node(), "producer.new") == "P"
    assert live_key(object(), "producer.new") == "n"


async def test_a_collision_is_notified_and_marked_in_help(tmp_path: Path) -> None:
    keymap = tmp_path / "keymap.yaml"
    keymap.write_text(yaml.safe_dump({"member.crash": "a"}))
    app = make_app(FakeEngine([snapshot(1)]), keymap_path=keymap)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        assert any("Add member has no key" in n.message for n in app._notifications)
        await pilot.press("f1")
        await pilot.pause()
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        commands = rendered(help_screen.query_one("#help-commands", Static).content)
        assert "⚠ no key here: member.crash took a" in commands
        assert "Add member has no key" in plain(help_screen.query_one("#help-conflicts"))


# ---- what help says -----------------------------------------------------------------------------


async def test_help_covers_scenarios_tables_glossary_and_files() -> None:
    app = make_app(FakeEngine([snapshot(1)]))
    async with app.run_test(size=(80, 24)) as pilot:
        app.apply_snapshot(app.engine.snapshot())  # type: ignore[attr-defined]
        await pilot.press("f1")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HelpScreen)
        start = plain(screen.query_one("#help-start"))
        assert "Produce (2): n starts a producer" in start
        assert "Scenarios (6)" in start
        assert "f3 shows the narration" in start
        commands = rendered(screen.query_one("#help-commands", Static).content)
        for command in COMMANDS:
            assert command.id in commands, command.id
        assert "Scenarios" in commands
        assert "Run the rest" in commands
        assert "n / space" in commands
        moving = rendered(screen.query_one("#help-moving", Static).content)
        assert "on Verdict a count shows only that kind of anomaly" in moving
        assert "pgup pgdn" in moving
        assert "ctrl+s: OK" in moving
        glossary = rendered(screen.query_one("#help-glossary", Static).content)
        for word in ("fail indef", "unknown", "gen", "the group generation"):
            assert word in glossary, word
        for number in range(1, 17):
            if number in (13, 15):  # the vocabulary has no A13 or A15 title
                continue
            assert f"(A{number}" in glossary, number
        assert all(title in glossary for title in ANOMALY_TITLES.values())
        files = plain(screen.query_one("#help-files"))
        assert "keymap.yaml" in files
        assert "settings.yaml" in files
        assert "kafka-explorer.log" in files


def test_help_table_lists_lab_only_commands_off_the_lab() -> None:
    table = rendered(help_table({}, is_lab=False))
    assert "(lab only)" in table


def test_every_closed_set_choice_has_its_sentence() -> None:
    for options, vocabulary in ((explain.ACKS, Acks), (explain.COMPRESSION, Compression),
                                (explain.PARTITIONER, Partitioner),
                                (explain.PROTOCOL, GroupProtocol), (explain.ASSIGNOR, Assignor),
                                (explain.ISOLATION, Isolation), (explain.OFFSET_RESET, OffsetReset)):
        assert set(explain.values(options)) == set(names(vocabulary)), vocabulary
        assert all(sentence for _value, sentence in options)
    assert set(explain.values(explain.REMOTE_ASSIGNOR)) == {"default", *names(RemoteAssignor)}
    from tui.engine import STRATEGY_DOCS

    assert set(explain.values(explain.strategies())) == set(STRATEGY_DOCS)


# ---- the palette --------------------------------------------------------------------------------


async def palette_titles(pilot: Pilot[Any], app: ExplorerApp) -> list[str]:
    await pilot.press("ctrl+p")
    for _ in range(50):
        if type(app.screen).__name__ == "CommandPalette":
            options = app.screen.query_one(OptionList)
            if options.option_count:
                break
        await pilot.pause(0.05)
    options = app.screen.query_one(OptionList)
    titles = [str(options.get_option_at_index(i).prompt).split("\n")[0]
              for i in range(options.option_count)]
    await pilot.press("escape")
    await pilot.pause()
    return titles


async def test_palette_offers_only_the_explorers_commands_and_themes() -> None:
    app = make_app(FakeEngine([snapshot(1)]))
    async with app.run_test(size=SIZE) as pilot:
        app.apply_snapshot(app.engine.snapshot())  # type: ignore[attr-defined]
        await pilot.pause()
        titles = await palette_titles(pilot, app)
        assert titles.count("Quit") == 1
        for textual_own in ("Keys", "Maximize", "Screenshot", "Theme", "Change theme"):
            assert textual_own not in titles
        themes = [t for t in titles if t.startswith("Theme: ")]
        assert themes == [f"Theme: {name}" for name in sorted(app.theme_names)]
        assert all(name.startswith("kx-") for name in app.theme_names)
        assert "Next step" not in titles  # a Scenarios-screen command, not offered here
        assert {"Create topic", "Clone producer", "Add member", "Narration"} <= set(titles)
        await pilot.press("6")
        await pilot.pause()
        over_scenarios = await palette_titles(pilot, app)
        assert {"Next step", "Run the rest", "Stop run", "Lab size", "Quit"} <= set(over_scenarios)
        assert "Kill node" not in over_scenarios  # pane commands need the live screens


async def test_palette_command_over_the_scenarios_screen_runs_there() -> None:
    from tui.ui.messages import PaletteCommandChosen

    app = make_app(FakeEngine([snapshot(1)]))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.apply_snapshot(app.engine.snapshot())  # type: ignore[attr-defined]
        await pilot.press("6")
        await pilot.pause()
        scenarios = app.screen
        scenarios.post_message(PaletteCommandChosen("scenarios.next"))
        for _ in range(40):
            if any("Start a scenario first" in n.message for n in app._notifications):
                break
            await pilot.pause(0.05)
        assert any("Start a scenario first" in n.message for n in app._notifications)
        scenarios.post_message(PaletteCommandChosen("screen.produce"))
        for _ in range(40):
            if app.screen is not scenarios:
                break
            await pilot.pause(0.05)
        await pilot.pause()
        assert app.screen is not scenarios
        assert app.query_one("#tabs").active == "tab-produce"  # type: ignore[attr-defined]
