"""tui.kafka.errors and tui.kafka.admin without a cluster: the text of a Kafka error, and a one-shot
admin call against nobody ends in one sentence within its timeout."""

from __future__ import annotations

import time

import pytest
from confluent_kafka import KafkaError, KafkaException

from tui.errors import UserError
from tui.kafka import admin
from tui.kafka.errors import error_text, kafka_error


def test_a_kafka_exception_is_its_message() -> None:
    err = KafkaError(KafkaError._TRANSPORT, "127.0.0.1:1/bootstrap: Connection refused")
    exc = KafkaException(err)
    assert "KafkaError{" in str(exc)  # what the idiom avoids
    assert error_text(exc) == "127.0.0.1:1/bootstrap: Connection refused"
    assert error_text(err) == "127.0.0.1:1/bootstrap: Connection refused"
    assert error_text(exc, named=True) == "_TRANSPORT: 127.0.0.1:1/bootstrap: Connection refused"
    assert kafka_error(exc) is err
    assert kafka_error(err) is err


def test_other_exceptions_keep_their_text() -> None:
    assert error_text(ValueError("bad value")) == "bad value"
    assert error_text(KafkaException("plain text")) == "plain text"
    assert error_text(RuntimeError("x"), named=True) == "x"
    assert kafka_error(ValueError("x")) is None
    assert kafka_error(None) is None


def test_an_error_without_text_falls_back_to_its_name() -> None:
    err = KafkaError(KafkaError._TIMED_OUT)
    assert error_text(KafkaException(err)) in (err.str(), err.name())
    assert error_text(KafkaException(err))


def test_one_shot_call_to_nobody_is_one_sentence_in_time() -> None:
    conf = {"bootstrap.servers": "127.0.0.1:1", "socket.timeout.ms": 1000,
            "reconnect.backoff.max.ms": 200}
    began = time.monotonic()
    with pytest.raises(admin.AdminCallError) as info:
        admin.list_topics(conf, timeout=1.0)
    assert time.monotonic() - began < 10
    assert isinstance(info.value, UserError)
    assert str(info.value).startswith("The cluster did not answer the metadata request: ")
    assert "\n" not in str(info.value)
    with pytest.raises(admin.AdminCallError, match="describe-cluster request"):
        admin.describe_cluster(conf, timeout=1.0)


def test_rejected_client_settings_are_one_sentence() -> None:
    with pytest.raises(admin.AdminCallError, match="the client settings were rejected") as info:
        admin.list_topics({"bootstrap.servers": "127.0.0.1:1", "no.such.property": "1"}, timeout=1.0)
    assert "no.such.property" in str(info.value)
    assert admin.topic_configs({"bootstrap.servers": "127.0.0.1:1"}, []) == {}  # nothing asked, no client
    assert admin.list_offsets({"bootstrap.servers": "127.0.0.1:1"}, []) == {}
