"""Pure pieces of the UI: themes, settings, keymap, registry, formatting of untrusted bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.ui import fmt
from tui.ui.registry import BY_ID, COMMANDS, SCREENS, display_key
from tui.ui.settings import Settings, load_keymap, load_settings, save_settings
from tui.ui.themes import load_themes, theme_dirs, theme_from_mapping

REPO = Path(__file__).resolve().parents[2]


def test_shipped_themes_load_and_resolve() -> None:
    themes = load_themes([REPO / "themes"])
    assert themes.problems == []
    assert {"kx-dark", "kx-light", "kx-high-contrast"} <= set(themes.themes)
    assert themes.themes["kx-light"].dark is False
    assert themes.resolve("dark") == "kx-dark"
    assert themes.resolve("high-contrast") == "kx-high-contrast"
    assert themes.resolve("light") == "kx-light"
    assert themes.resolve("nope") is None


def test_theme_dirs_cover_wheel_and_checkout() -> None:
    dirs = theme_dirs()
    assert any(d.name == "themes_data" and d.parent.name == "tui" for d in dirs)
    assert REPO / "themes" in dirs


def test_broken_theme_file_is_skipped_with_a_sentence(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("name: broken\nprimary: 12\n")
    (tmp_path / "worse.yaml").write_text(": : :\n  - [")
    (tmp_path / "ok.yaml").write_text("name: mine\nprimary: '#123456'\n")
    themes = load_themes([tmp_path])
    assert set(themes.themes) == {"mine"}
    assert len(themes.problems) == 2
    assert all("was skipped" in p for p in themes.problems)


def test_theme_rejects_unparsable_colour() -> None:
    with pytest.raises(ValueError, match="x.yaml"):
        theme_from_mapping({"name": "x", "primary": "not-a-colour"}, "x.yaml")


def test_settings_roundtrip_keeps_unknown_keys(tmp_path: Path) -> None:
    path = tmp_path / "settings.yaml"
    path.write_text("other: 1\n")
    assert save_settings(Settings(theme="kx-light"), path) is None
    loaded = load_settings(path)
    assert loaded.theme == "kx-light"
    assert "other: 1" in path.read_text()


def test_broken_settings_give_defaults_and_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "settings.yaml"
    path.write_text("- just\n- a list\n")
    loaded = load_settings(path)
    assert loaded.theme is None
    assert loaded.problems
    assert "mapping" in loaded.problems[0]


def test_keymap_accepts_known_ids_and_reports_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "keymap.yaml"
    path.write_text("node.kill: ctrl+k\nno.such: x\nmember.crash: ''\n")
    keymap, problems = load_keymap(set(BY_ID), path)
    assert keymap == {"node.kill": "ctrl+k"}
    assert len(problems) == 2


def test_registry_ids_unique_and_keys_unique_per_scope() -> None:
    ids = [c.id for c in COMMANDS]
    assert len(ids) == len(set(ids))
    for scope in {c.scope for c in COMMANDS}:
        keys = [k for c in COMMANDS if c.scope in (scope, "app") for k in c.key.split(",")]
        assert len(keys) == len(set(keys)), f"duplicate key in scope {scope}"
    assert {f"screen.{pane}" for pane, _ in SCREENS} <= set(BY_ID)
    assert display_key("f1,question_mark") == "f1 / ?"


def test_registry_actions_exist_on_their_targets() -> None:
    from tui.ui.app import ExplorerApp
    from tui.ui.browse.pane import BrowsePane
    from tui.ui.panes.cluster import ClusterPane
    from tui.ui.panes.consumers import ConsumersPane
    from tui.ui.panes.produce import ProducePane
    from tui.ui.panes.timeline import TimelinePane
    from tui.ui.panes.verdict import VerdictPane
    from tui.ui.scenarios_screen import ScenariosScreen
    from tui.ui.tune.pane import TunePane

    targets = {"app": ExplorerApp, "cluster": ClusterPane, "produce": ProducePane,
               "consumers": ConsumersPane, "verdict": VerdictPane, "timeline": TimelinePane,
               "scenarios": ScenariosScreen, "browse": BrowsePane, "tune": TunePane}
    for command in COMMANDS:
        name = command.action.split("(")[0]
        assert hasattr(targets[command.scope], f"action_{name}"), command.id


@pytest.mark.parametrize("data", [
    b"\x1b[31mred\x1b[0m", b"\x1b]0;title\x07", "[bold red]markup[/]", b"\xff\xfe\x00bin",
    b"x" * 5_000_000,
])
def test_payload_is_printable_and_capped(data: bytes | str) -> None:
    text = fmt.payload(data, cap=64)
    assert "\x1b" not in text
    assert "\x07" not in text
    assert "\x00" not in text
    assert len(text) < 120
    assert "[bold red]" not in fmt.markup_safe(data) or "\\[bold red]" in fmt.markup_safe(data)


def test_sparkline_and_bar() -> None:
    assert fmt.sparkline([0, 1, 2, 3, 4, 5, 6, 7], 8) == "▁▂▃▄▅▆▇█"
    assert fmt.sparkline([], 8) == ""
    assert fmt.sparkline([0, 0], 8) == "▁▁"
    assert fmt.bar(10, 10, 4) == "████"
    assert fmt.bar(0, 10, 4) == ""
    assert fmt.rate(25_000) == "25.0k/s"
    # unknown offsets come through as negative numbers; a killed broker once crashed the app here
    assert fmt.sparkline([-1e9, -1, 5, 10, float("nan")], 8) == "▁▁▅█▁"


def test_styles_live_in_tcss_files_next_to_the_code() -> None:
    """No inline CSS in tui/ui; every stylesheet an app or screen names exists and parses."""
    import ast

    from textual.app import App
    from textual.css.stylesheet import Stylesheet

    from tui.ui.app import ExplorerApp
    from tui.ui.forms.base import FormScreen
    from tui.ui.forms.member import StrategyPicker
    from tui.ui.help import HelpScreen
    from tui.ui.panes.explain import ExplainScreen
    from tui.ui.scenarios_screen import ScenariosScreen
    from tui.ui.startup import StartupApp

    inline = []
    for path in (REPO / "tui" / "ui").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id in ("CSS", "DEFAULT_CSS") for t in node.targets):
                inline.append(f"{path.name}:{node.lineno}")
    assert inline == []
    variables = App().get_css_variables()
    for owner in (ExplorerApp, FormScreen, StrategyPicker, HelpScreen, ScenariosScreen, StartupApp,
                  ExplainScreen):
        paths = owner.CSS_PATH if isinstance(owner.CSS_PATH, list) else [owner.CSS_PATH]
        for css in paths:
            assert isinstance(css, Path), css
            assert css.is_absolute(), css  # a subclass elsewhere resolves a relative one beside itself
            assert css.suffix == ".tcss", css
            sheet = Stylesheet(variables=variables)
            sheet.read(css)
            sheet.parse()


def test_offsets_that_are_not_offsets_render_as_a_dash() -> None:
    assert fmt.offset(-1001) == fmt.UNKNOWN == "–"
    assert fmt.offset(-1) == "–"
    assert fmt.offset(None) == "–"
    assert fmt.offset(0) == "0"
    assert fmt.offset(15_330) == "15,330"
    assert fmt.ago(12.2) == "12 s"
    assert fmt.ago(180) == "3 min"


def test_fit_keeps_key_columns_and_hides_the_rightmost_first() -> None:
    from tui.ui.fast_table import Column, fit

    specs = (Column("name", cut=False, drop=False), Column("count", 6), Column("error", cut=False),
             Column("text", 10, flex=True), Column("settings", 8))
    natural = [6, 6, 21, 60, 30]
    wide = fit(specs, natural, 200)
    assert wide.shown == (0, 1, 2, 3, 4)
    assert wide.hidden == 0
    assert wide.widths[3] == 60
    narrow = fit(specs, natural, 60)
    assert narrow.shown[:3] == (0, 1, 2)  # the error name is never cut: others give way
    assert narrow.widths[2] == 21
    assert sum(narrow.widths) + narrow.gap * (len(narrow.shown) - 1) <= 60
    tiny = fit(specs, natural, 36)
    assert tiny.shown == (0, 1, 2)
    assert tiny.hidden == 2


async def test_fast_table_builds_cells_only_for_visible_rows() -> None:
    """30,000 rows: a refresh asks for the cells of the rows on screen, not of every row; the
    filter matches names before any cell is built; the cursor follows its key."""
    from textual.app import App, ComposeResult

    from tui.ui.fast_table import FastTable, LazyRows

    built: list[int] = []

    def cells(i: int) -> tuple[str, ...]:
        built.append(i)
        return (f"t{i % 10}", str(i))

    class TableApp(App[None]):
        CSS_PATH = [REPO / "tui" / "ui" / "fast_table.tcss"]

        def compose(self) -> ComposeResult:
            yield FastTable(["topic", "p"], id="t")

    app = TableApp()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(FastTable)
        items = list(range(30_000))
        table.set_rows(LazyRows(items, str, cells, name=lambda i: f"t{i % 10}"))
        await pilot.pause()
        assert 0 < len(set(built)) <= table.size.height
        table.move_cursor(5)
        built.clear()
        table.set_rows(LazyRows(items, str, cells, name=lambda i: f"t{i % 10}"))  # a refresh
        await pilot.pause()
        assert len(set(built)) <= table.size.height
        built.clear()
        table.set_filter("^t3$")
        await pilot.pause()
        assert table.row_count == 3_000
        assert table.total == 30_000
        assert len(set(built)) <= table.size.height
        assert all(i % 10 == 3 for i in built)
        table.set_filter("[unclosed")  # not a regex: matched as plain text, said once
        assert table.filter_problem is not None
        assert table.row_count == 0
        table.set_filter("")
        assert table.row_count == 30_000
        assert table.selected_key() == "5"  # the cursor stayed on its row through the filters


def test_pump_posts_only_when_what_is_shown_moved() -> None:
    from tests.ui.fakes import FakeEngine, snapshot
    from tui.ui.bridge import SnapshotPump, SnapshotUpdated, same

    assert same((1, "a"), (1, "a"))
    assert not same(None, (1,))
    assert not same((1,), (1, 2))
    first = snapshot(1)
    engine = FakeEngine([first, snapshot(2, runners=first.producers.runners,
                                         members=first.consumers.members)])

    class Target:
        posted: list[object] = []

        def post_message(self, message: object) -> bool:
            self.posted.append(message)
            return True

    target = Target()
    pump = SnapshotPump(engine, target)  # type: ignore[arg-type]
    pump.set_selector(lambda s: (s.producers.runners,))
    pump.pull_once()
    assert len(target.posted) == 1
    assert isinstance(target.posted[0], SnapshotUpdated)
    engine.advance()  # seq 2: the cluster changed, the producers' views are the same objects
    pump.pull_once()
    assert len(target.posted) == 1
    pump.set_selector(lambda s: (s.cluster,))  # another screen: it gets the newest at once
    pump.pull_once()
    assert len(target.posted) == 2


def test_a_filter_that_python_warns_about_compiles_without_printing_a_warning() -> None:
    import re
    import warnings

    from tui.ui.fast_table import compile_filter

    re.purge()  # the warning comes with the first compile only
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pattern, problem = compile_filter("[[a]")
    assert pattern is not None
    assert problem is None
    assert pattern.search("x[a]")
    assert not pattern.search("b")
    pattern, problem = compile_filter("(unclosed")
    assert pattern is not None
    assert problem
    assert pattern.search("an (unclosed one")
