"""``kafka-explorer produce`` refuses bad input with one sentence and exit 2, before connecting."""

from __future__ import annotations

import pytest

from tui.cli import main


@pytest.mark.parametrize(("argv", "pattern"), [
    (["--acks", "1", "--idempotence"], "Idempotence needs acks=all"),
    (["--key-mode", "cycle:zero"], "cycle:N needs a whole number"),
    (["--rate", "-5"], "rate must be above 0"),
    (["--header", "nope"], "name=value"),
    (["--max-in-flight", "10", "--idempotence"], "at most 5 requests"),
    (["-X", "novalue"], "-X expects KEY=VALUE"),
])
def test_bad_options_exit_2_with_one_sentence(argv: list[str], pattern: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["produce", "some-topic", "-b", "127.0.0.1:1", *argv])
    err = capsys.readouterr().err
    assert code == 2
    assert pattern in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_unknown_choice_is_an_argparse_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["produce", "t", "--compression", "brotli"])
    assert info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
