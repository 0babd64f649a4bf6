"""THE redaction function: config views, logs, reports, exported files and error messages use it.

Two tools, because secrets leak in two shapes:

* :func:`redact_config` masks the *values of sensitive keys* in a config mapping (librdkafka's
  ``_RK_SENSITIVE`` list plus kafbat's ``KafkaConfigSanitizer`` patterns).
* :func:`redact_text` replaces *known secret values* anywhere in free text (an error message that
  echoes a value, a log line, a report). Values are known because whoever loads a secret calls
  :func:`register_secrets` (``tui.config`` does it for every profile it loads).

Which keys are sensitive (case-insensitive; a key is split into words at ``.``, ``_`` and ``-``):

* librdkafka's list: ``sasl.username``, ``sasl.password``, ``sasl.oauthbearer.config``,
  ``sasl.oauthbearer.client.secret``, ``sasl.oauthbearer.assertion.private.key.*``,
  ``ssl.key.location``, ``ssl.key.password``, ``ssl.key.pem``, ``ssl_key``, ``ssl.ca.pem``,
  ``ssl.keystore.password``;
* any key with a word ``password``/``passwd``/``pwd``/``secret``/``token``/``passphrase``/
  ``credentials``/``jaas``, or containing ``credentials``/``secret``/``password``;
* ``basic.auth.user.info``, ``schema.registry.*auth*``, ``aws.access.*``, ``aws.secret.*``,
  ``aws.session.*``, ``connection.uri``, any ``*.pem``;
* any key with a word ``key`` (``ssl.key.location``, ``api.key``...) EXCEPT keys that *start* with
  ``key.`` (``key.serializer``, ``key.deserializer``, ``key.converter``...): those describe the
  message key, not a cryptographic one. Likewise ``sasl.oauthbearer.token.endpoint.url`` is a URL,
  not a token, but it stays masked: a URL can carry credentials and over-masking is the safe error.

A value that is exactly a ``${NAME}`` reference stays visible: it is not the secret, and showing it
tells the user where the secret comes from (kafbat does the same for config-provider references).

Free-text scrubbing skips registered values shorter than :data:`MIN_SECRET_LEN` characters (replacing
"ab" everywhere would destroy the text); config views still mask such values by key. Identities
(:data:`IDENTITY_KEYS`, i.e. ``sasl.username``) are masked in config views, as librdkafka does, but are
not secret *values*: scrubbing a user name like "explorer" from every text would mangle paths and
messages, and a user name alone grants nothing.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

MASK = "[redacted]"
MIN_SECRET_LEN = 4

SENSITIVE_KEYS = frozenset({
    # librdkafka src/rdkafka_conf.c, properties flagged _RK_SENSITIVE
    "sasl.username", "sasl.password", "sasl.oauthbearer.config", "sasl.oauthbearer.client.secret",
    "sasl.oauthbearer.assertion.private.key.file", "sasl.oauthbearer.assertion.private.key.passphrase",
    "sasl.oauthbearer.assertion.private.key.pem", "ssl.key.location", "ssl.key.password",
    "ssl.key.pem", "ssl_key", "ssl.ca.pem", "ssl.keystore.password",
    # Java-client and schema-registry names users paste into profiles
    "sasl.jaas.config", "basic.auth.user.info", "connection.uri",
})
IDENTITY_KEYS = frozenset({"sasl.username"})
_SENSITIVE_WORDS = frozenset({"password", "passwd", "pwd", "secret", "token", "passphrase",
                              "credentials", "credential", "jaas", "apikey", "key"})
_SENSITIVE_SUBSTRINGS = ("password", "secret", "credential", "passphrase")
_SENSITIVE_PREFIXES = ("aws.access.", "aws.secret.", "aws.session.")
_REFERENCE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")
# `password=xyz`, `sasl.password: "xyz"`, JAAS `password="xyz";` inside free text
_INLINE = re.compile(
    r"(?<![A-Za-z0-9_.\-])"  # start at a word boundary, and bounded runs: linear time on long text
    r"(?P<key>[A-Za-z0-9_.\-]{0,64}?(?:password|passwd|secret|token|passphrase|credentials)"
    r"[A-Za-z0-9_.\-]{0,64})"
    r"(?P<sep>[\"']?\s*[=:]\s*)(?P<value>\"[^\"]{0,1024}\"|'[^']{0,1024}'|\$\{[^}]{0,256}\}|[^\s,;)}\]{\[]{1,1024})",
    re.IGNORECASE)

_MAYBE_INLINE = re.compile(r"password|passwd|secret|token|passphrase|credentials", re.IGNORECASE)
_SENTINEL = "\x00\x01redacted\x01\x00"
_lock = threading.Lock()
_registry: set[str] = set()
_registry_variants: tuple[str, ...] = ()
"""Every registered secret in every escaped form, longest first (rebuilt on register/clear)."""


def is_sensitive_key(key: str) -> bool:
    """True when the value of config ``key`` must never be shown (see the module docstring)."""
    k = key.strip().lower()
    if k in SENSITIVE_KEYS or k.endswith(".pem") or k.startswith(_SENSITIVE_PREFIXES):
        return True
    if "schema.registry" in k and "auth" in k:
        return True
    if any(s in k for s in _SENSITIVE_SUBSTRINGS):
        return True
    words = set(re.split(r"[._\-]", k))
    if "key" in words and k.startswith("key."):
        words.discard("key")  # key.serializer & co. describe the message key
    return bool(words & _SENSITIVE_WORDS)


def is_secret_key(key: str) -> bool:
    """True when the value of ``key`` is a secret (sensitive, and not a mere identity)."""
    return is_sensitive_key(key) and key.strip().lower() not in IDENTITY_KEYS


def _is_reference(value: str) -> bool:
    return bool(_REFERENCE.fullmatch(value.strip()))


def redact_value(key: str, value: Any) -> Any:
    """``value`` itself, or :data:`MASK` when ``key`` is sensitive (``${NAME}`` references stay)."""
    if not is_sensitive_key(key):
        return value
    if isinstance(value, str) and _is_reference(value):
        return value
    if value is None or value == "":
        return value
    return MASK


def redact_config(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``mapping`` with every sensitive value masked; nested mappings are redacted too.

    Non-sensitive values are also passed through :func:`redact_text`, so a registered secret hiding in
    an innocent-looking key (``bootstrap.servers: user:pass@host``) is still masked.
    """
    out: dict[str, Any] = {}
    for key, value in mapping.items():
        skey = str(key)
        if isinstance(value, Mapping):
            out[skey] = MASK if is_sensitive_key(skey) else redact_config(value)
            continue
        masked = redact_value(skey, value)
        if masked is value and isinstance(value, str):
            masked = redact_text(value)
        out[skey] = masked
    return out


def register_secrets(values: Iterable[str | None]) -> None:
    """Remember secret values so every later :func:`redact_text` call scrubs them."""
    global _registry_variants
    with _lock:
        for value in values:
            if isinstance(value, str) and len(value) >= MIN_SECRET_LEN and not _is_reference(value):
                _registry.add(value)
        _registry_variants = _all_variants(_registry)


def secrets_of(mapping: Mapping[str, Any]) -> list[str]:
    """The values of the sensitive keys of ``mapping`` (what to pass to :func:`register_secrets`)."""
    found: list[str] = []
    for key, value in mapping.items():
        if isinstance(value, str) and value and is_secret_key(str(key)) and not _is_reference(value):
            found.append(value)
    return found


def known_secrets() -> frozenset[str]:
    with _lock:
        return frozenset(_registry)


def clear_secrets() -> None:
    """Forget every registered secret (tests; switching connections)."""
    global _registry_variants
    with _lock:
        _registry.clear()
        _registry_variants = ()


def _all_variants(secrets: Iterable[str]) -> tuple[str, ...]:
    # a secret may reach text verbatim, JSON-escaped or repr()-escaped; longest first so a secret
    # that contains another is replaced whole
    out: set[str] = set()
    for secret in secrets:
        out.update(v for v in (secret, json.dumps(secret)[1:-1], repr(secret)[1:-1]) if v)
    return tuple(sorted(out, key=len, reverse=True))


def redact_text(text: str, secrets: Iterable[str] | None = None) -> str:
    """``text`` with every known secret value (registered + ``secrets``) and every inline
    ``password=...``-style assignment replaced by :data:`MASK`. Never raises."""
    try:
        variants = _registry_variants
        if secrets is not None:
            extra = [s for s in secrets if isinstance(s, str) and len(s) >= MIN_SECRET_LEN]
            if extra:
                variants = _all_variants([*extra, *known_secrets()])
        result = str(text)
        # a sentinel no secret can contain, so one replacement never forms the next secret
        for variant in variants:
            if variant in result:
                result = result.replace(variant, _SENTINEL)
        if _SENTINEL not in result and not _MAYBE_INLINE.search(result):
            return result  # the common case: nothing to mask
        return _INLINE.sub(_mask_inline, result).replace(_SENTINEL, MASK)
    except Exception:  # a redactor that raises would take the error path down with it
        return MASK


def _mask_inline(match: re.Match[str]) -> str:
    value = match.group("value")
    bare = value.strip("\"'")
    if not bare or bare in (MASK, _SENTINEL) or _is_reference(bare) or bare.startswith("${"):
        return match.group(0)
    quote = value[0] if value[0] in "\"'" else ""
    return f"{match.group('key')}{match.group('sep')}{quote}{MASK}{quote}"


class RedactingFilter(logging.Filter):
    """A logging filter that rewrites each record's message (and traceback text) through
    :func:`redact_text`. Install it on a *handler* (filters on a logger skip records propagated from
    child loggers), e.g. ``install_log_redaction(file_handler, connection_secrets)``."""

    def __init__(self, secrets: Iterable[str] | None = None, name: str = "") -> None:
        super().__init__(name)
        self._secrets = [s for s in (secrets or ()) if isinstance(s, str)]

    def add_secrets(self, values: Iterable[str]) -> None:
        self._secrets.extend(v for v in values if isinstance(v, str))

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the record
            message = str(record.msg)
        record.msg = redact_text(message, self._secrets)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text, self._secrets)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info, self._secrets)
        return True


def install_log_redaction(handler: logging.Handler,
                          secrets: Iterable[str] | None = None) -> RedactingFilter:
    """Add a :class:`RedactingFilter` to ``handler`` (and register ``secrets``); returns the filter."""
    values = list(secrets or ())
    register_secrets(values)
    flt = RedactingFilter(values)
    handler.addFilter(flt)
    return flt


def register_config_secrets(mapping: Mapping[str, Any]) -> None:
    """Register the secret values of a client config (e.g. a connection built from ``-X`` options)."""
    register_secrets(secrets_of(mapping))


def app_log_handler(path: Path | None = None, secrets: Iterable[str] = ()) -> logging.Handler:
    """The app's log file handler (default ``tui.paths.log_file()``): the file is created 0600 and
    every record passes :class:`RedactingFilter`. Falls back to a NullHandler when it cannot be opened."""
    from tui import paths

    target = Path(path) if path is not None else paths.log_file()
    handler: logging.Handler
    try:
        paths.ensure(target.parent)
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
        handler = logging.FileHandler(target, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    except OSError:
        handler = logging.NullHandler()
    install_log_redaction(handler, secrets)
    return handler
