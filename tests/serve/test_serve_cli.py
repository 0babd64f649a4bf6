"""``kafka-explorer serve`` before it serves: addresses, ports, warnings, sentences (no Kafka)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tui.errors import UserError
from tui.headless.serve import exposure_warning, listen, public_url_for


def test_a_port_in_use_is_one_sentence() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(UserError) as refused:
            listen("127.0.0.1", port)
    assert str(refused.value) == f"Cannot listen on 127.0.0.1:{port}: Address already in use."


def test_port_zero_takes_a_free_port_on_loopback() -> None:
    with listen("127.0.0.1", 0) as sock:
        address, port = sock.getsockname()[:2]
    assert address == "127.0.0.1"
    assert port > 0


def test_an_address_this_machine_lacks_is_one_sentence() -> None:
    with pytest.raises(UserError, match=r"^Cannot listen on 'no-such-host.invalid': no such address"):
        listen("no-such-host.invalid", 0)


def test_the_public_url_is_the_served_address_unless_given() -> None:
    assert public_url_for("127.0.0.1", "127.0.0.1", 8765, None) == "http://127.0.0.1:8765"
    assert public_url_for("::1", "::1", 8765, None) == "http://[::1]:8765"
    assert public_url_for("0.0.0.0", "0.0.0.0", 8765, "https://Room.Example/") == "https://room.example"
    with pytest.raises(UserError, match=r"^--host 0.0.0.0 listens on every address; name the one "
                                        r"browsers open with --public-url http://ADDRESS:8765\.$"):
        public_url_for("0.0.0.0", "0.0.0.0", 8765, None)
    with pytest.raises(UserError, match=r"^--public-url: 'room.example:80' is not an http"):
        public_url_for("0.0.0.0", "0.0.0.0", 8765, "room.example:80")


def test_only_an_address_beyond_this_machine_warns() -> None:
    assert exposure_warning("127.0.0.1", "127.0.0.1") is None
    assert exposure_warning("localhost", "::1") is None
    for host in ("0.0.0.0", "192.168.1.20"):
        warning = exposure_warning(host, host)
        assert warning is not None
        assert warning.startswith(f"warning: serving on {host} ({host}), which other machines can reach")
        assert "unencrypted" in warning


def _cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home), "KX_STATE_DIR": str(home / "state"),
           "KX_CONFIG_DIR": str(home / "config")}
    return subprocess.run([sys.executable, "-m", "tui", *args], capture_output=True, text=True,
                          timeout=60, env=env, check=False)


@pytest.mark.parametrize(("args", "sentence"), [
    (("serve", "--port", "70000"), "kafka-explorer: --port must be 0 to 65535, got 70000.\n"),
    (("serve", "--max-sessions", "0"), "kafka-explorer: --max-sessions must be at least 1, got 0.\n"),
    (("serve", "--host", "0.0.0.0", "--port", "0"),
     "kafka-explorer: --host 0.0.0.0 listens on every address; name the one browsers open with "
     "--public-url http://ADDRESS:"),
])
def test_bad_serve_options_end_in_one_sentence_before_any_lab(tmp_path: Path, args: tuple[str, ...],
                                                              sentence: str) -> None:
    out = _cli(*args, home=tmp_path)
    assert out.returncode == 2  # a value the command refuses, as on every other command
    assert out.stderr.startswith(sentence), out.stderr
    assert out.stdout == ""
    assert not (tmp_path / "state" / "lab").exists()  # no lab was started


def test_a_bad_namespace_is_refused_by_the_explorer_options(tmp_path: Path) -> None:
    out = _cli("--namespace", "two words", home=tmp_path)
    assert out.returncode == 2
    assert "A namespace is 1 to 24 letters, digits, '-' or '_'" in out.stderr
    assert "Traceback" not in out.stderr
