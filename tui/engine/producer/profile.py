"""Producer profiles: the settings a user chooses, checked in our own words before librdkafka sees them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tui.engine.history import ProducerSettings
from tui.engine.record_format import valid_name
from tui.vocab import Acks, Compression, Partitioner, names

ACKS = names(Acks)
COMPRESSIONS = names(Compression)
PARTITIONERS = names(Partitioner)
MAX_IDEMPOTENT_IN_FLIGHT = 5
# -X spellings of the settings validate() reasons about (librdkafka accepts aliases)
_ACKS_KEYS = ("acks", "request.required.acks")
_IN_FLIGHT_KEYS = ("max.in.flight", "max.in.flight.requests.per.connection")
_RETRIES_KEYS = ("retries", "message.send.max.retries")
_TRUE = ("true", "1", "yes", "on")


class ProfileError(ValueError):
    """A profile that cannot work; the message is one sentence for the user."""


def normalize_acks(value: object) -> str:
    text = str(value).strip().lower()
    return "all" if text in ("all", "-1") else text


@dataclass(frozen=True)
class ProducerProfile:
    """One producer configuration. ``name`` names its runner (``producer-runner:<name>``)."""

    name: str
    acks: str = "all"
    """'0' (fire and forget), '1' (leader only) or 'all' (every in-sync replica)."""
    idempotence: bool = False
    retries: int = 2147483647
    max_in_flight: int = 5
    linger_ms: int = 5
    batch_size: int = 1_000_000
    compression: str = "none"
    partitioner: str = "murmur2_random"
    """murmur2_random puts keys where Java clients put them (librdkafka's default does not)."""
    message_timeout_ms: int = 15_000
    transactional_id: str | None = None
    resend: int = 0
    """Application-level resends: re-send a record whose delivery failed or timed out, up to this many
    times per record (0: never). A resend is a new produce() with its own msg_id, so idempotence cannot
    de-duplicate it."""
    extra: Mapping[str, str] = field(default_factory=dict)
    """Raw ``-X key=value`` librdkafka properties; they win over the fields above."""

    # ---- effective values (a field, or its -X override) ------------------------------------

    def _extra(self, keys: tuple[str, ...]) -> str | None:
        for key in keys:
            if key in self.extra:
                return str(self.extra[key])
        return None

    @property
    def effective_acks(self) -> str:
        raw = self._extra(_ACKS_KEYS)
        return normalize_acks(raw if raw is not None else self.acks)

    @property
    def effective_transactional_id(self) -> str | None:
        raw = self._extra(("transactional.id",))
        return raw if raw else self.transactional_id

    @property
    def effective_idempotence(self) -> bool:
        """True when idempotence is on, explicitly or because a transactional.id implies it."""
        raw = self._extra(("enable.idempotence",))
        explicit = raw.strip().lower() in _TRUE if raw is not None else self.idempotence
        return explicit or self.effective_transactional_id is not None

    @property
    def effective_max_in_flight(self) -> int:
        raw = self._extra(_IN_FLIGHT_KEYS)
        return _int(raw, "max.in.flight") if raw is not None else self.max_in_flight

    @property
    def effective_retries(self) -> int:
        raw = self._extra(_RETRIES_KEYS)
        return _int(raw, "retries") if raw is not None else self.retries

    # ---- checks -----------------------------------------------------------------------------

    def validate(self) -> ProducerProfile:
        """Raise :class:`ProfileError` explaining the first invalid setting; return self if fine.

        Unknown ``-X`` property names are caught when the client is built (librdkafka is the only
        authority on its property list); the producers rewords that error too.
        """
        if not valid_name(self.name):
            raise ProfileError(f"Producer name {self.name!r} may only use letters, digits, '_', '.' "
                               "and '-'.")
        acks = self.effective_acks
        if acks not in ACKS:
            raise ProfileError(f"acks must be 0, 1 or all, not {acks!r}.")
        if self.compression not in COMPRESSIONS:
            raise ProfileError(f"Compression must be one of {', '.join(COMPRESSIONS)}, not "
                               f"{self.compression!r}.")
        if self.partitioner not in PARTITIONERS:
            raise ProfileError(f"Partitioner must be one of {', '.join(PARTITIONERS)}, not "
                               f"{self.partitioner!r}.")
        for label, value, low in (("retries", self.effective_retries, 0),
                                  ("max in-flight", self.effective_max_in_flight, 1),
                                  ("linger.ms", self.linger_ms, 0), ("batch.size", self.batch_size, 1),
                                  ("message.timeout.ms", self.message_timeout_ms, 0),
                                  ("resend", self.resend, 0)):
            if value < low:
                raise ProfileError(f"{label} must be at least {low}, not {value}.")
        if self.effective_idempotence:
            why = ("a transactional.id turns idempotence on, so it" if self.effective_transactional_id
                   and not self.idempotence else "idempotence")
            if acks != "all":
                raise ProfileError(
                    f"{why[0].upper()}{why[1:]} needs acks=all: the broker can only de-duplicate "
                    f"retries it has fully replicated, and acks={acks} would not wait for that.")
            if self.effective_max_in_flight > MAX_IDEMPOTENT_IN_FLIGHT:
                raise ProfileError(
                    f"{why[0].upper()}{why[1:]} allows at most {MAX_IDEMPOTENT_IN_FLIGHT} requests in "
                    f"flight (the broker tracks 5 batches per producer), not "
                    f"{self.effective_max_in_flight}.")
            if self.effective_retries < 1:
                raise ProfileError(f"{why[0].upper()}{why[1:]} needs retries >= 1: without retries "
                                   "there is nothing to de-duplicate.")
        return self

    # ---- outputs ----------------------------------------------------------------------------

    def to_conf(self) -> dict[str, Any]:
        """The librdkafka settings of this profile (``extra`` last, so raw -X values win)."""
        conf: dict[str, Any] = {
            "acks": "all" if self.acks == "all" else self.acks,
            "enable.idempotence": self.idempotence,
            "retries": self.retries,
            "max.in.flight.requests.per.connection": self.max_in_flight,
            "linger.ms": self.linger_ms,
            "batch.size": self.batch_size,
            "compression.type": self.compression,
            "partitioner": self.partitioner,
            "message.timeout.ms": self.message_timeout_ms,
        }
        if self.transactional_id:
            conf["transactional.id"] = self.transactional_id
        conf.update(self.extra)
        return conf

    def settings(self) -> ProducerSettings:
        """What the checker needs to judge this producer's records."""
        return ProducerSettings(self.name, self.effective_acks, self.effective_idempotence,
                                self.effective_retries, self.effective_max_in_flight,
                                self.effective_transactional_id is not None, resend=self.resend > 0)

    def summary(self) -> str:
        """A one-line description, e.g. ``acks=all idempotent in-flight=5 linger=5ms lz4``."""
        parts = [f"acks={self.effective_acks}"]
        if self.effective_idempotence:
            parts.append("idempotent")
        parts.append(f"in-flight={self.effective_max_in_flight}")
        parts.append(f"linger={self.linger_ms}ms")
        if self.compression != "none":
            parts.append(self.compression)
        if self.effective_retries == 0:
            parts.append("no-retries")
        if self.resend:
            parts.append(f"resend<={self.resend}")
        return " ".join(parts)


def _int(raw: str, label: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ProfileError(f"{label} must be a whole number, not {raw!r}.") from None


def reword_client_error(text: str) -> str:
    """librdkafka's construction error as one sentence of ours."""
    import re

    if match := re.search(r'No such configuration property: "([^"]+)"', text):
        return f"librdkafka does not know the property {match.group(1)!r}; check its spelling."
    if match := re.search(r'Invalid value "([^"]*)" for configuration property "([^"]+)"', text):
        return f"librdkafka rejected the value {match.group(1)!r} for {match.group(2)!r}."
    if match := re.search(r'Invalid value for configuration property "([^"]+)"(?::\s*(.*))?', text):
        value = f" {match.group(2)!r}" if match.group(2) else ""
        return f"librdkafka rejected the value{value} for {match.group(1)!r}."
    text = text.removeprefix("Failed to create producer: ").strip().rstrip(".")
    return f"librdkafka refused the producer settings: {text}."
