"""Kafka versions of lab state dirs: ordering, what a version can do, and when a dir refuses one.

The closed set of versions is :class:`tui.vocab.KafkaVersion`; a lab on ``$KAFKA_HOME`` may run any
other 4.x, so the checks here compare version numbers rather than set members.
"""

from __future__ import annotations

import re
from pathlib import Path

from tui.lab.errors import LabError

LEGACY_KAFKA_VERSION = "4.1.1"
"""What a lab whose ``cluster.json`` names no version was formatted with (every lab before versions)."""

SHARE_GROUPS_SINCE = (4, 2)
"""Share groups (KIP-932) are generally available, and usable by librdkafka's ShareConsumer, from 4.2."""


def version_key(version: str) -> tuple[int, ...]:
    """``"4.10.1"`` -> ``(4, 10, 1)``; a suffix ends the key (``"4.2.0-rc1"`` -> ``(4, 2, 0)``)."""
    key: list[int] = []
    for part in version.split("."):
        match = re.match(r"\d+", part)
        if match is None:
            break
        key.append(int(match.group()))
        if match.end() != len(part):
            break
    return tuple(key)


def has_share_groups(version: str) -> bool:
    return version_key(version) >= SHARE_GROUPS_SINCE


class VersionMismatch(LabError):
    """A state dir formatted by one Kafka was asked to run another."""


def check_same_version(state_dir: Path, recorded: str, requested: str) -> None:
    """Refuse, in one sentence offering ``lab reset``, to run ``requested`` on a lab of ``recorded``."""
    if requested == recorded:
        return
    if version_key(recorded) > version_key(requested):
        raise VersionMismatch(
            f"The lab in {state_dir} was formatted by Kafka {recorded}, whose storage Kafka "
            f"{requested} cannot read: run `kafka-explorer lab reset` to start over with "
            f"{requested} (its data is deleted), or use another --state-dir.")
    raise VersionMismatch(
        f"The lab in {state_dir} runs Kafka {recorded}, not {requested}: run `kafka-explorer lab "
        f"reset` to start over with {requested} (its data is deleted), or use another --state-dir.")
