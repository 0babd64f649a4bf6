"""Every delivery error class shown carries a one-line explanation with the likely cause."""

from __future__ import annotations

from tui.engine.producer.outcomes import (
    CAUSE_NO_TOPIC,
    DEFINITE,
    INDEFINITE,
    MSG_TIMED_OUT,
    error_name,
    explain_error,
)


def test_a_timeout_names_the_setting_and_the_cause_found() -> None:
    text = explain_error(MSG_TIMED_OUT, 15000, CAUSE_NO_TOPIC)
    assert text == "not acknowledged within message.timeout.ms=15000; the topic does not exist"
    assert "leader was slow" in explain_error(MSG_TIMED_OUT, 15000)


def test_every_known_code_is_explained_in_one_line() -> None:
    for code in DEFINITE | INDEFINITE:
        text = explain_error(code, 15000)
        assert text
        assert "\n" not in text
        assert not text.startswith("librdkafka error"), error_name(code)
    assert explain_error(-999, 1000) == f"librdkafka error {error_name(-999)}"
