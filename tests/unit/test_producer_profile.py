"""Producer profiles: our own explanations of invalid combinations, and the librdkafka config."""

from __future__ import annotations

import pytest
from confluent_kafka import KafkaException

from tui.engine.producer.profile import ProducerProfile, ProfileError, reword_client_error
from tui.kafka import clients


def test_defaults_are_valid_and_java_compatible() -> None:
    conf = ProducerProfile("p").validate().to_conf()
    assert conf["partitioner"] == "murmur2_random"
    assert conf["acks"] == "all"
    assert conf["enable.idempotence"] is False


def test_idempotence_with_acks_1_is_refused_in_our_words() -> None:
    with pytest.raises(ProfileError, match=r"Idempotence needs acks=all.*acks=1"):
        ProducerProfile("p", acks="1", idempotence=True).validate()


def test_idempotence_limits_in_flight() -> None:
    with pytest.raises(ProfileError, match="at most 5 requests in flight"):
        ProducerProfile("p", idempotence=True, max_in_flight=6).validate()
    ProducerProfile("p", idempotence=True, max_in_flight=5).validate()


def test_idempotence_needs_retries() -> None:
    with pytest.raises(ProfileError, match="retries >= 1"):
        ProducerProfile("p", idempotence=True, retries=0).validate()


def test_transactional_id_implies_idempotence() -> None:
    profile = ProducerProfile("p", acks="1", transactional_id="tx-1")
    assert profile.effective_idempotence
    with pytest.raises(ProfileError, match="transactional.id turns idempotence on"):
        profile.validate()
    assert ProducerProfile("p", transactional_id="tx-1").validate().settings().transactional


def test_raw_properties_are_checked_too() -> None:
    with pytest.raises(ProfileError, match="needs acks=all"):
        ProducerProfile("p", extra={"enable.idempotence": "true", "request.required.acks": "1"}).validate()
    with pytest.raises(ProfileError, match="whole number"):
        ProducerProfile("p", extra={"max.in.flight": "many"}).validate()
    assert ProducerProfile("p", extra={"acks": "-1"}).effective_acks == "all"


@pytest.mark.parametrize(("kwargs", "pattern"), [
    ({"acks": "2"}, "acks must be 0, 1 or all"),
    ({"compression": "brotli"}, "Compression must be one of"),
    ({"partitioner": "crc"}, "Partitioner must be one of"),
    ({"linger_ms": -1}, "linger.ms must be at least 0"),
    ({"max_in_flight": 0}, "max in-flight must be at least 1"),
    ({"name": "a b"}, "may only use letters"),
])
def test_invalid_settings(kwargs: dict[str, object], pattern: str) -> None:
    with pytest.raises(ProfileError, match=pattern):
        ProducerProfile(**{"name": "p", **kwargs}).validate()  # type: ignore[arg-type]


def test_extra_wins_over_fields() -> None:
    conf = ProducerProfile("p", linger_ms=5, extra={"linger.ms": "50"}).to_conf()
    assert conf["linger.ms"] == "50"


def test_settings_for_the_checker() -> None:
    s = ProducerProfile("x", acks="1", retries=0, max_in_flight=1).settings()
    assert (s.name, s.acks, s.idempotent, s.retries, s.max_in_flight) == ("x", "1", False, 0, 1)


@pytest.mark.parametrize(("extra", "pattern"), [
    ({"foo.bar": "1"}, "does not know the property 'foo.bar'"),
    ({"linger.ms": "abc"}, "rejected the value"),
    ({"compression.type": "brotli"}, "rejected the value 'brotli'"),
])
def test_librdkafka_rejections_are_reworded(extra: dict[str, str], pattern: str) -> None:
    """The sentences come from librdkafka's real construction errors (no broker needed)."""
    conf = ProducerProfile("p", extra=extra).to_conf()
    with pytest.raises(KafkaException) as info:
        clients.producer({"bootstrap.servers": "127.0.0.1:1", **conf})
    assert pattern in reword_client_error(info.value.args[0].str())
