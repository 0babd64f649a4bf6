"""tui.kafka.properties: librdkafka judges property names and values, with no broker and no secret
in the sentence; python-only arguments are told apart from settings."""

from __future__ import annotations

import pytest

from tui.errors import UserError
from tui.kafka.properties import (
    PropertyError,
    invalid_property_sentence,
    is_python_callback,
    validate_properties,
)


def test_good_properties_pass() -> None:
    validate_properties({"acks": "all", "linger.ms": "5", "compression.type": "zstd"})


def test_unknown_property_with_its_location() -> None:
    with pytest.raises(PropertyError) as info:
        validate_properties({"acks": "all", "no.such.prop": "1"},
                            where=lambda key: f"here.yaml line {3 if key else 1}")
    assert str(info.value) == "here.yaml line 3: no.such.prop is not a librdkafka property."
    assert isinstance(info.value, UserError)


def test_java_property_gets_a_hint_without_the_secret() -> None:
    jaas = 'org.apache.kafka.common.security.plain.PlainLoginModule required password="pw-5150";'
    with pytest.raises(PropertyError) as info:
        validate_properties({"sasl.jaas.config": jaas})
    assert str(info.value).startswith("Sasl.jaas.config is not a librdkafka property (librdkafka takes "
                                      "sasl.username and sasl.password instead)")
    assert "pw-5150" not in str(info.value)


def test_alias_names_the_property_the_user_wrote() -> None:
    with pytest.raises(PropertyError, match=r"^Linger\.ms: queue\.buffering\.max\.ms has an invalid value"):
        validate_properties({"linger.ms": "soon"})


def test_invalid_value_of_a_secret_is_not_echoed() -> None:
    sentence = invalid_property_sentence('Invalid value "hunter2" for configuration property '
                                         '"sasl.password"', secrets=["hunter2"])
    assert sentence == "sasl.password has an invalid value"


@pytest.mark.parametrize(("key", "callback"), [("error_cb", True), ("logger", True), ("on_delivery", True),
                                               ("stats_cb", True), ("acks", False), ("client.id", False)])
def test_python_callbacks(key: str, callback: bool) -> None:
    assert is_python_callback(key) is callback
