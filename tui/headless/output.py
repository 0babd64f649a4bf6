"""Printing for headless commands: JSON lines or short human lines, flushed at once."""

from __future__ import annotations

import json
import sys
from typing import Any


def emit_json(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj, default=str, ensure_ascii=True) + "\n")
    sys.stdout.flush()


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


EXIT_USAGE = 2
"""The exit code of bad usage: an option value the command refuses (as argparse's own errors)."""


def fail(text: str) -> int:
    """One clear sentence on stderr; returns the exit code 1."""
    sys.stderr.write(f"kafka-explorer: {text}\n")
    sys.stderr.flush()
    return 1


def usage(text: str) -> int:
    """One clear sentence on stderr about an option value; returns :data:`EXIT_USAGE`."""
    sys.stderr.write(f"kafka-explorer: {text}\n")
    sys.stderr.flush()
    return EXIT_USAGE
