"""The one place that builds librdkafka clients.

Every client gets ``logger=`` (librdkafka must never write to the terminal) and an ``error_cb``, plus
lab-safe defaults: a short ``message.timeout.ms`` so failures surface in seconds, and the
``murmur2_random`` partitioner so keys land on the partitions the Java client would pick.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from confluent_kafka import Consumer, KafkaError, Producer, ShareConsumer
from confluent_kafka.admin import AdminClient

ErrorCallback = Callable[[KafkaError], None]

LOG = logging.getLogger("kafka_explorer.librdkafka")

PRODUCER_DEFAULTS: dict[str, Any] = {
    "message.timeout.ms": 15000,
    "partitioner": "murmur2_random",
    "enable.metrics.push": False,
}
CONSUMER_DEFAULTS: dict[str, Any] = {
    "auto.offset.reset": "earliest",
    "enable.metrics.push": False,
}
ADMIN_DEFAULTS: dict[str, Any] = {}
SHARE_CONSUMER_DEFAULTS: dict[str, Any] = {
    "enable.metrics.push": False,
}
"""A share consumer refuses ``auto.offset.reset`` and the group-consumer settings (they are group configs)."""


def _log_error(err: KafkaError) -> None:
    LOG.warning("client error: %s", err)


def _config(defaults: Mapping[str, Any], conf: Mapping[str, Any],
            error_cb: ErrorCallback | None, logger: logging.Logger | None) -> dict[str, Any]:
    merged: dict[str, Any] = {**defaults, **conf}
    merged["error_cb"] = error_cb or _log_error
    merged["logger"] = logger or LOG
    return merged


def producer(conf: Mapping[str, Any], *, error_cb: ErrorCallback | None = None,
             logger: logging.Logger | None = None, lab_defaults: bool = True) -> Producer:
    """A Producer; ``conf`` wins over the lab defaults. Raises KafkaException on a rejected property."""
    return Producer(_config(PRODUCER_DEFAULTS if lab_defaults else {}, conf, error_cb, logger))


def consumer(conf: Mapping[str, Any], *, error_cb: ErrorCallback | None = None,
             logger: logging.Logger | None = None) -> Consumer:
    """A Consumer (group member or assign-only reader)."""
    return Consumer(_config(CONSUMER_DEFAULTS, conf, error_cb, logger))


def share_consumer(conf: Mapping[str, Any], *, error_cb: ErrorCallback | None = None,
                   logger: logging.Logger | None = None) -> ShareConsumer:
    """A ShareConsumer (KIP-932, a preview in librdkafka 2.16): its "Preview" warning goes to
    ``logger`` like every other librdkafka line."""
    return ShareConsumer(_config(SHARE_CONSUMER_DEFAULTS, conf, error_cb, logger))


def admin(conf: Mapping[str, Any], *, error_cb: ErrorCallback | None = None,
          logger: logging.Logger | None = None) -> AdminClient:
    """An AdminClient. Keep one per owner for its whole life: futures fail when it is collected."""
    return AdminClient(_config(ADMIN_DEFAULTS, conf, error_cb, logger))
