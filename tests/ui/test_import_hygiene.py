"""The layering rules, checked at run time (fresh interpreters) and statically (import-linter).

* importing every module of ``tui.engine`` and ``tui.lab`` loads neither Textual nor Rich;
* importing every module of ``tui.ui`` does not load confluent_kafka (the UI talks to the engine
  only through commands and snapshots).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

_PROBE = """
import importlib, pkgutil, sys
import {package} as root
names = [root.__name__]
names += [m.name for m in pkgutil.walk_packages(root.__path__, root.__name__ + ".")]
for name in names:
    importlib.import_module(name)
bad = sorted(m for m in sys.modules if m.split(".")[0] in {forbidden!r})
print(len(names), ",".join(bad))
"""


def _probe(package: str, forbidden: set[str]) -> tuple[int, list[str]]:
    out = subprocess.run([sys.executable, "-c", _PROBE.format(package=package, forbidden=forbidden)],
                         cwd=REPO, capture_output=True, text=True, timeout=120, check=True)
    count, _, bad = out.stdout.strip().rpartition("\n")[-1].partition(" ")
    return int(count), [b for b in bad.split(",") if b]


def test_engine_and_lab_import_no_textual_or_rich() -> None:
    for package in ("tui.engine", "tui.lab"):
        count, bad = _probe(package, {"textual", "rich"})
        assert count > 3, f"{package}: found too few modules to be meaningful"
        assert bad == [], f"{package} loaded {bad}"


def test_ui_imports_no_confluent_kafka() -> None:
    count, bad = _probe("tui.ui", {"confluent_kafka"})
    assert count > 10
    assert bad == [], f"tui.ui loaded {bad}"


def test_import_linter_contracts_hold() -> None:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert exe is not None, "import-linter is not installed in this environment"
    result = subprocess.run([exe], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "BROKEN" not in result.stdout


def _ui_imports() -> dict[str, set[str]]:
    """Module -> every ``tui.*`` module it imports, at any depth (functions, TYPE_CHECKING too)."""
    import ast

    graph: dict[str, set[str]] = {}
    for path in sorted((REPO / "tui" / "ui").rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
                # ``from tui.ui import catalog`` imports a module too
                found.update(f"{node.module}.{a.name}" for a in node.names
                             if node.module.startswith("tui.ui"))
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
        graph[name] = {m for m in found if m.startswith("tui.")}
    return graph


def test_no_import_circle_inside_the_ui() -> None:
    graph = _ui_imports()
    edges = {name: {m for m in deps if m in graph and m != name} for name, deps in graph.items()}
    state: dict[str, int] = {}

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for dep in sorted(edges[name]):
            if state.get(dep) == 1:
                raise AssertionError("import circle: " + " -> ".join([*path, name, dep]))
            if dep not in state:
                visit(dep, [*path, name])
        state[name] = 2

    for name in sorted(edges):
        if name not in state:
            visit(name, [])
    # panes, palette and forms ask the app by message: only the launcher, which runs it, imports it
    # the two composition roots: the live explorer and the replay (a subclass of the app)
    assert {name for name, deps in edges.items() if "tui.ui.app" in deps} == {"tui.ui.launch",
                                                                               "tui.ui.replay.app"}


def test_ui_reads_the_engine_through_its_public_surface() -> None:
    # tui.ui.launch is the composition root its owner switches separately
    inside = {name: sorted(m for m in deps if m.startswith("tui.engine."))
              for name, deps in _ui_imports().items() if name != "tui.ui.launch"}
    assert {name: deps for name, deps in inside.items() if deps} == {}
