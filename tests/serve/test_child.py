"""The explorer a browser connection gets: its command (no shell, no secrets), the connection handed
over in the environment, and its namespace."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

import pytest

from tui import redact
from tui.errors import UserError
from tui.kafka.connection import Connection
from tui.serve.child import explorer_launch
from tui.serve.handoff import CONNECTION_ENV, decode, encode, take_connection
from tui.serve.namespace import (
    NAMESPACE_ENV,
    NamespaceCounter,
    NamespaceError,
    check_namespace,
    namespace_argument,
    namespace_from,
)

SECRET = "s3cret-password-for-the-room"
REMOTE = Connection("broker.example:9093", {"security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN",
                                            "sasl.username": "room", "sasl.password": SECRET},
                    label="profile room")


def test_the_command_carries_no_connection_property_and_quotes_for_people() -> None:
    launch = explorer_launch(REMOTE, namespace="p3")
    assert launch.argv == (sys.executable, "-m", "tui", "--namespace", "p3")
    assert not any(SECRET in part or "broker.example" in part for part in launch.argv)
    assert shlex.split(launch.display) == list(launch.argv)
    assert launch.env[NAMESPACE_ENV] == "p3"
    assert decode(launch.env[CONNECTION_ENV]) == REMOTE


def test_without_a_namespace_the_explorer_gets_none() -> None:
    launch = explorer_launch(REMOTE)
    assert "--namespace" not in launch.argv
    assert NAMESPACE_ENV not in launch.env


def test_a_name_with_shell_characters_never_reaches_a_command() -> None:
    with pytest.raises(NamespaceError):
        explorer_launch(REMOTE, namespace="p1; rm -rf ~")


def test_a_quoted_display_survives_a_path_with_spaces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "executable", "/opt/my venv/bin/python")
    launch = explorer_launch(REMOTE, namespace="alice")
    assert launch.display.startswith("'/opt/my venv/bin/python' -m tui")
    assert shlex.split(launch.display) == list(launch.argv)


def test_the_lab_directory_travels_with_the_connection() -> None:
    lab = Connection("127.0.0.1:19092", {}, label="lab (1 node)", lab_dir=Path("/tmp/some lab"))
    assert decode(encode(lab)) == lab


def test_the_explorer_takes_the_connection_out_of_its_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CONNECTION_ENV, encode(REMOTE))
    assert take_connection() == REMOTE
    assert take_connection() is None  # gone: nothing the explorer starts inherits it
    assert SECRET not in redact.redact_text(f"login failed with {SECRET}")


@pytest.mark.parametrize("text", ["", "{}", "[1]", '{"bootstrap": 1, "properties": {}, "label": "", '
                                                   '"lab_dir": null}', "not json"])
def test_a_foreign_handoff_is_one_sentence(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setenv(CONNECTION_ENV, text)
    with pytest.raises(UserError, match=r"^\$KX_SERVE_CONNECTION does not hold a connection written "
                                        r"by `kafka-explorer serve`\.$"):
        take_connection()


@pytest.mark.parametrize("name", ["p1", "alice", "Team-3", "a_b", "x" * 24, "9"])
def test_namespaces_that_can_prefix_kafka_names(name: str) -> None:
    assert check_namespace(name) == name


@pytest.mark.parametrize("name", ["", "-p1", "_p", "a b", "a.b", "a/b", "ä", "x" * 25, "p1\n"])
def test_namespaces_that_cannot(name: str) -> None:
    with pytest.raises(NamespaceError, match=r"^A namespace is 1 to 24 letters"):
        check_namespace(name)
    with pytest.raises(argparse.ArgumentTypeError):
        namespace_argument(name)


def test_the_option_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(NAMESPACE_ENV, raising=False)
    assert namespace_from(None) is None
    monkeypatch.setenv(NAMESPACE_ENV, "from-env")
    assert namespace_from(None) == "from-env"
    assert namespace_from("typed") == "typed"
    monkeypatch.setenv(NAMESPACE_ENV, "bad name")
    with pytest.raises(NamespaceError):
        namespace_from(None)


def test_counted_names_follow_arrival() -> None:
    counter = NamespaceCounter()
    assert [counter.next() for _ in range(3)] == ["p1", "p2", "p3"]
