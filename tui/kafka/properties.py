"""librdkafka property checks: names and values judged by librdkafka itself, without connecting.

:func:`validate_properties` builds a client handle with no ``bootstrap.servers`` (so it has nobody to
talk to) and closes it at once: typos, Java-only properties (``sasl.jaas.config``, truststores,
serializers) and unreadable PEM files come back as one sentence, never with a secret value in it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from tui.errors import UserError
from tui.redact import is_sensitive_key, redact_text

JAVA_HINTS = {
    "sasl.jaas.config": "librdkafka takes sasl.username and sasl.password instead",
    "key.serializer": "librdkafka has no serializers; kafka-explorer sends bytes",
    "value.serializer": "librdkafka has no serializers; kafka-explorer sends bytes",
    "key.deserializer": "librdkafka has no deserializers; kafka-explorer reads bytes",
    "value.deserializer": "librdkafka has no deserializers; kafka-explorer reads bytes",
    "ssl.truststore.location": "librdkafka takes a PEM CA file in ssl.ca.location instead",
    "ssl.truststore.password": "librdkafka takes a PEM CA file in ssl.ca.location instead",
    "ssl.truststore.type": "librdkafka takes a PEM CA file in ssl.ca.location instead",
    "bootstrap.server": "did you mean the profile's `bootstrap:` key?",
}
"""Java client properties people carry over, with what librdkafka wants instead."""

# python-side client arguments: callables, meaningless (and rejected) in a file or on a command line
_PYTHON_ONLY = re.compile(r"^(logger|on_delivery|on_commit|.*_cb)$")


class PropertyError(UserError):
    """librdkafka rejects a property; the sentence names it (and where it was written)."""


def is_python_callback(key: str) -> bool:
    """``error_cb``, ``logger``, ``on_delivery`` ...: arguments of the Python client, not settings."""
    return bool(_PYTHON_ONLY.match(key))


def silent_logger() -> logging.Logger:
    """A detached logger for throwaway handles: their "no bootstrap.servers" chatter must not reach
    the app log."""
    logger = logging.Logger("kafka_explorer.kafka.check", level=logging.CRITICAL)
    logger.addHandler(logging.NullHandler())
    logger.propagate = False
    return logger


def _property_of(message: str) -> str | None:
    match = re.search(r'property:? "([^"]+)"', message) or re.search(r"([a-z0-9_.]+) failed:", message)
    return match.group(1) if match else None


def invalid_property_sentence(message: str, secrets: Iterable[str] = ()) -> str:
    """librdkafka's complaint about a property as a clause without secrets."""
    message = " ".join(message.split())
    text = redact_text(message, secrets)
    key = _property_of(message)
    if message.startswith("No such configuration property") and key:
        hint = JAVA_HINTS.get(key)
        return f"{key} is not a librdkafka property" + (f" ({hint})" if hint else "")
    if message.startswith("Invalid value") and key:
        if is_sensitive_key(key):
            return f"{key} has an invalid value"
        return f"{key} has an invalid value ({text})"
    text = re.sub(r"^Failed to create (producer|consumer): ", "", text)
    if key and key.endswith(".location") and f"{key} failed" in message:
        return f"{key} could not be loaded: check that the file exists and holds PEM data"
    return f"librdkafka rejects the configuration: {text}"


def validate_properties(properties: Mapping[str, str], where: Callable[[str], str] | None = None,
                        secrets: Iterable[str] = ()) -> None:
    """Let librdkafka check property names and values without connecting anywhere.

    ``where(key)`` gives the location to prefix the sentence with (``""`` for no particular key).
    Mechanisms that would act at creation (Kerberos kinit, OIDC token fetch) are probed on a
    PLAINTEXT handle, which still checks every name and value. Raises :class:`PropertyError`.
    """
    from confluent_kafka import KafkaException

    from tui.kafka import clients
    from tui.kafka.errors import error_text

    conf: dict[str, Any] = dict(properties)
    mechanism = conf.get("sasl.mechanism", conf.get("sasl.mechanisms", "")).upper()
    if mechanism == "GSSAPI" or str(conf.get("sasl.oauthbearer.method", "")).lower() == "oidc":
        conf["security.protocol"] = "plaintext"
    locate = where or (lambda _key: "")

    def sentence_at(key: str | None, sentence: str) -> str:
        prefix = locate(key) if key else locate("")
        sentence = sentence.rstrip(". ")
        return f"{prefix}: {sentence}." if prefix else f"{sentence[0].upper()}{sentence[1:]}."

    for key in conf:
        if key in JAVA_HINTS:  # librdkafka's own message for these is long-winded or missing
            raise PropertyError(sentence_at(key, f"{key} is not a librdkafka property ({JAVA_HINTS[key]})"))
    try:
        handle = clients.producer(conf, logger=silent_logger(), lab_defaults=False)
    except KafkaException as exc:
        message = error_text(exc)
        culprit = _property_of(message)
        if culprit is not None and culprit not in conf:
            culprit = _culprit(conf) or culprit  # librdkafka names the canonical property, not the alias
        sentence = invalid_property_sentence(message, secrets)
        if culprit is not None and culprit not in sentence:
            sentence = f"{culprit}: {sentence}"
        raise PropertyError(sentence_at(culprit, sentence)) from None
    except (TypeError, ValueError) as exc:
        text = redact_text(str(exc), secrets)
        raise PropertyError(sentence_at(None, f"librdkafka rejects the configuration ({text})")) from None
    _close(handle)


def _close(handle: Any) -> None:
    close = getattr(handle, "close", None)  # Producer.close() is missing in older confluent-kafka
    if callable(close):
        close()


def _culprit(conf: Mapping[str, Any]) -> str | None:
    """The first property librdkafka rejects on its own (error path only: one handle per key)."""
    from confluent_kafka import KafkaException

    from tui.kafka import clients

    for key, value in conf.items():
        try:
            handle = clients.producer({key: value}, logger=silent_logger(), lab_defaults=False)
        except (KafkaException, TypeError, ValueError):
            return key
        _close(handle)
    return None
