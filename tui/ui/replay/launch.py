"""``kafka-explorer replay FILE [--speed X]``: the explorer on a recording, no cluster needed.

The replay's composition root (like ``tui.ui.launch`` for a live session): it reads the file, builds
the :class:`~tui.recording.replay.ReplayEngine` and runs :class:`~tui.ui.replay.app.ReplayApp`.
With ``--info`` or ``--report`` it opens no screen (:mod:`tui.recording.export`). It lives with the UI
because it opens it; the recording package below it never imports the UI.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from tui.errors import UserError


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number like 2 or 0.5, got {text!r}") from None
    if not 0 < value <= 1000:
        raise argparse.ArgumentTypeError("the speed must be above 0 and at most 1000")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", type=Path, help="a recording (run --record, --record)")
    parser.add_argument("--speed", type=_speed, default=1.0, metavar="X",
                        help="play X times as fast as recorded (default 1)")
    parser.add_argument("--paused", action="store_true", help="open paused at the start")
    parser.add_argument("--info", action="store_true",
                        help="print what the recording holds; do not open the explorer")
    parser.add_argument("--report", type=Path, metavar="FILE",
                        help="write the recorded scenario run's report (FILE.html, FILE.json, FILE.md, "
                             "or all three for any other name); do not open the explorer")


def run(args: argparse.Namespace) -> int:
    from tui.recording.reader import load

    began = time.monotonic()
    recording = load(args.file)
    if args.info or args.report is not None:
        from tui.recording.export import run_headless

        return run_headless(recording, args.info, args.report)
    from tui.recording.replay import ReplayEngine
    from tui.ui.replay.app import ReplayApp
    from tui.ui.themes import load_themes

    themes = load_themes()
    requested = getattr(args, "theme", None)
    if requested and themes.resolve(requested) is None:
        names = ", ".join(sorted(themes.themes)) or "none found"
        raise UserError(f"Unknown theme {requested!r}; available themes: {names}.")
    engine = ReplayEngine(recording, speed=args.speed, playing=not args.paused)
    app = ReplayApp(engine, theme=requested, themes=themes, remember=False)
    app.log.info(f"replay loaded in {time.monotonic() - began:.2f} s")
    app.run()
    return app.return_code or 0
