"""tui.kafka.explain: librdkafka's connection/TLS/SASL errors as one sentence without secrets.

The messages are verbatim what librdkafka 2.16 reported against the secure lab (see
tests/lab/test_security.py for the same cases on a real cluster).
"""

from __future__ import annotations

import pytest
from confluent_kafka import KafkaError, KafkaException

from tui.kafka.explain import explain_client_error

AUTH = KafkaError._AUTHENTICATION
CASES = [
    (AUTH, "sasl_plaintext://127.0.0.1:52603/bootstrap: SASL authentication error: Authentication failed "
           "during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512 (after 330ms "
           "in state AUTH_REQ)",
     "Authentication failed at 127.0.0.1:52603: the broker rejected the SASL username or password "
     "(mechanism SCRAM-SHA-512)."),
    (AUTH, "sasl_plaintext://127.0.0.1:52603/bootstrap: SASL PLAIN mechanism handshake failed: Broker: "
           "Unsupported SASL mechanism: broker's supported mechanisms: SCRAM-SHA-512 (after 301ms in state "
           "AUTH_HANDSHAKE)",
     "The broker at 127.0.0.1:52603 does not accept SASL mechanism PLAIN; it accepts SCRAM-SHA-512."),
    (AUTH, "sasl_ssl://127.0.0.1:38525/bootstrap: SASL PLAIN mechanism handshake failed: Broker: Request not "
           "valid in current SASL state: broker's supported mechanisms:  (after 1ms in state AUTH_HANDSHAKE)",
     "The listener at 127.0.0.1:38525 does not speak SASL: set security.protocol to match it (e.g. "
     "PLAINTEXT or SSL), or use the SASL port."),
    (KafkaError._SSL, "ssl://127.0.0.1:38525/bootstrap: SSL handshake failed: error:0A000086:SSL routines::"
                      "certificate verify failed: broker certificate could not be verified, verify that "
                      "ssl.ca.location is correctly configured or root CA certificates are installed "
                      "(install ca-certificates package) (after 99ms in state SSL_HANDSHAKE)",
     "TLS handshake failed at 127.0.0.1:38525: the broker's certificate is not signed by a CA you trust; "
     "point ssl.ca.location at the cluster's CA certificate."),
    (KafkaError._TRANSPORT, "ssl://127.0.0.1:52603/bootstrap: SSL handshake failed: Disconnected: SSL "
                            "connection closed by peer: connecting to a PLAINTEXT broker listener? (after "
                            "101ms in state SSL_HANDSHAKE)",
     "TLS handshake failed at 127.0.0.1:52603: the port does not speak TLS (a PLAINTEXT or SASL_PLAINTEXT "
     "listener); set security.protocol to match it or use the TLS port."),
    (KafkaError._TRANSPORT, "127.0.0.1:38525/bootstrap: Disconnected: connection closed by peer: receive 0 "
                            "after POLLIN (after 3ms in state APIVERSION_QUERY)",
     "The broker at 127.0.0.1:38525 closed the connection at once: security.protocol probably does not "
     "match the listener (SASL or TLS port with a PLAINTEXT client?)."),
    (KafkaError._TRANSPORT, "127.0.0.1:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed: Connection refused "
                            "(after 0ms in state CONNECT)",
     "Cannot reach the broker at 127.0.0.1:1: connection refused (is it running, is the port right?)."),
    (KafkaError._ALL_BROKERS_DOWN, "1/1 brokers are down",
     "No broker is reachable: check bootstrap, security.protocol and that the cluster runs."),
]


@pytest.mark.parametrize(("code", "message", "expected"), CASES)
def test_known_errors_become_one_sentence(code: int, message: str, expected: str) -> None:
    err = KafkaError(code, message)
    assert explain_client_error(err) == expected
    assert explain_client_error(KafkaException(err)) == expected  # as raised by list_topics & co.
    assert explain_client_error(message) == expected  # as text, e.g. from a log line


def test_unknown_errors_keep_their_text_but_not_secrets() -> None:
    sentence = explain_client_error("Something odd happened with password=abc123secret and token s3cr3t99",
                                    secrets=["s3cr3t99"])
    assert sentence.startswith("Kafka client error: Something odd happened")
    assert "abc123secret" not in sentence
    assert "s3cr3t99" not in sentence


def test_hostname_mismatch_is_told_apart() -> None:
    sentence = explain_client_error("ssl://broker:9093/bootstrap: SSL handshake failed: certificate verify "
                                    "failed: Hostname mismatch")
    assert "does not name this host" in sentence


def test_never_raises() -> None:
    class Weird:
        def __str__(self) -> str:
            raise RuntimeError("no")

    assert explain_client_error(Weird()) == "Kafka client error (details withheld)."
    assert explain_client_error(None).startswith("Kafka client error")
