"""librdkafka's connection, TLS and SASL errors as one sentence a user can act on, without secrets.

``Authentication failed at 127.0.0.1:9093: the broker rejected the SASL username or password
(mechanism SCRAM-SHA-512).`` instead of ``sasl_ssl://127.0.0.1:9093/bootstrap: SASL authentication
error: ... (after 330ms in state AUTH_REQ)``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from tui.redact import redact_text

_BROKER_PREFIX = re.compile(r"^\s*(?:[a-z_]+://)?(?P<broker>[^\s/]+:\d+)(?:/[\w-]+)?:\s*")
_AFTER = re.compile(r"\s*\(after \d+ms in state \w+\)\s*$")


def _error_parts(err: Any) -> tuple[str, str]:
    """(code name, message) of a KafkaError, a KafkaException, any exception or text."""
    from tui.kafka.errors import kafka_error

    found = kafka_error(err)
    if found is not None:
        return found.name(), found.str()
    return "", str(err)


def explain_client_error(err: Any, secrets: Iterable[str] = ()) -> str:
    """One sentence for a librdkafka connection, TLS or authentication error, without secrets.

    ``err`` is a ``KafkaError`` (as ``error_cb`` gets it), a ``KafkaException`` or any text.
    """
    try:
        code, raw = _error_parts(err)
        message = _AFTER.sub("", raw)
        match = _BROKER_PREFIX.match(message)
        broker = match.group("broker") if match else ""
        if match:
            message = message[match.end():]
        at = f" at {broker}" if broker else ""
        return redact_text(_sentence(code, message, at), secrets)
    except Exception:
        return "Kafka client error (details withheld)."


def _sentence(code: str, message: str, at: str) -> str:
    low = message.lower()
    mech = re.search(r"SASL (\S+) mechanism handshake failed", message)
    if "invalid credentials" in low or "authentication failed" in low:
        used = re.search(r"mechanism (\S+)", message)
        return (f"Authentication failed{at}: the broker rejected the SASL username or password"
                + (f" (mechanism {used.group(1)})" if used else "") + ".")
    if "unsupported sasl mechanism" in low:
        supported = message.rsplit("supported mechanisms:", 1)[-1].strip() or "none"
        return (f"The broker{at} does not accept SASL mechanism "
                f"{mech.group(1) if mech else 'in sasl.mechanism'}; it accepts {supported}.")
    if "request not valid in current sasl state" in low or (
            mech and "supported mechanisms:" in low and low.rstrip().endswith("mechanisms:")):
        return (f"The listener{at} does not speak SASL: set security.protocol to match it "
                "(e.g. PLAINTEXT or SSL), or use the SASL port.")
    if "certificate verify failed" in low or "unable to get local issuer" in low \
            or "self-signed certificate" in low or "self signed certificate" in low:
        if "hostname" in low or "ip address mismatch" in low:
            return (f"TLS handshake failed{at}: the broker's certificate does not name this host; "
                    "connect with the name in the certificate (ssl.endpoint.identification."
                    "algorithm=none turns this check off).")
        return (f"TLS handshake failed{at}: the broker's certificate is not signed by a CA "
                "you trust; point ssl.ca.location at the cluster's CA certificate.")
    if "connecting to a plaintext broker listener" in low or "wrong version number" in low:
        return (f"TLS handshake failed{at}: the port does not speak TLS (a PLAINTEXT or "
                "SASL_PLAINTEXT listener); set security.protocol to match it or use the TLS port.")
    if "connecting to a ssl listener" in low or "connecting to an ssl listener" in low:
        return (f"The broker{at} closed the connection: it expects TLS; set security.protocol "
                "to SSL or SASL_SSL.")
    if "ssl handshake failed" in low or code == "_SSL":
        return f"TLS handshake failed{at}: {_clause(message)}."
    if "connection refused" in low:
        return f"Cannot reach the broker{at}: connection refused (is it running, is the port right?)."
    if "resolve" in low and ("failed" in low or "name" in low):
        return f"Cannot resolve the broker address{at}: check the host name in bootstrap."
    if "connection closed by peer" in low or "disconnected" in low:
        return (f"The broker{at} closed the connection at once: security.protocol probably does "
                "not match the listener (SASL or TLS port with a PLAINTEXT client?).")
    if code == "_ALL_BROKERS_DOWN" or "brokers are down" in low:
        return "No broker is reachable: check bootstrap, security.protocol and that the cluster runs."
    if code in ("_AUTHENTICATION", "SASL_AUTHENTICATION_FAILED"):
        return f"Authentication failed{at}: {_clause(message)}."
    if code == "_TIMED_OUT" or "timed out" in low:
        return f"The cluster did not answer in time{at}: {_clause(message)}."
    return f"Kafka client error{at}: {_clause(message)}."


def _clause(message: str) -> str:
    text = " ".join(message.split()).rstrip(". ")
    return text[:300] if text else "no details"
