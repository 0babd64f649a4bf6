"""One-shot admin calls: an AdminClient created, used and dropped by the calling thread, with a timeout.

For callers that ask the cluster something now and then (the lab's readiness check, ``lab status``,
a command's topic check) and would otherwise each build a client of their own. A caller that asks
every second (the watcher) keeps one long-lived client instead.

Every call raises :class:`AdminCallError` (one sentence, with librdkafka's text) when the cluster does
not answer in time or refuses; nothing else escapes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from confluent_kafka import KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient
from confluent_kafka.admin._config import ConfigResource  # the public modules lack re-exports for mypy
from confluent_kafka.admin._listoffsets import OffsetSpec as _OffsetSpec
from confluent_kafka.admin._metadata import ClusterMetadata
from confluent_kafka.admin._resource import ResourceType

from tui.errors import UserError
from tui.kafka import clients
from tui.kafka.errors import error_text, kafka_error

T = TypeVar("T")
OffsetSpec: Any = _OffsetSpec  # its factory methods are untyped


class AdminCallError(UserError):
    """An admin request failed or timed out; ``error`` is librdkafka's error when there is one."""

    def __init__(self, what: str, detail: str, error: KafkaError | None = None) -> None:
        super().__init__(f"The cluster did not answer the {what}: {detail.rstrip('.')}.")
        self.what = what
        self.detail = detail
        self.error = error

    def __reduce__(self) -> tuple[Any, ...]:  # picklable with its own arguments
        return (type(self), (self.what, self.detail, self.error))


def call(conf: Mapping[str, Any], what: str, request: Callable[[AdminClient], T], *,
         logger: logging.Logger | None = None) -> T:
    """Run ``request`` on a fresh AdminClient and drop the client; any failure is AdminCallError.

    ``request`` must wait for its futures itself (with a timeout): the client is gone afterwards.
    """
    try:
        admin = clients.admin(conf, logger=logger)
    except (KafkaException, TypeError, ValueError) as exc:
        raise AdminCallError(what, f"the client settings were rejected ({error_text(exc)})",
                             kafka_error(exc)) from None
    try:
        return request(admin)
    except TimeoutError:
        raise AdminCallError(what, "no answer in time") from None
    except Exception as exc:  # KafkaException, or librdkafka's own ValueError/TypeError on arguments
        raise AdminCallError(what, error_text(exc), kafka_error(exc)) from None
    finally:
        del admin  # released on this thread, after every future we waited for completed


def list_topics(conf: Mapping[str, Any], *, topic: str | None = None, timeout: float = 5.0,
                logger: logging.Logger | None = None) -> ClusterMetadata:
    """Cluster metadata: brokers, and every topic (or just ``topic``) with its partitions."""
    what = f"metadata request for {topic!r}" if topic else "metadata request"
    return call(conf, what, lambda admin: admin.list_topics(topic=topic, timeout=timeout), logger=logger)


def describe_cluster(conf: Mapping[str, Any], *, timeout: float = 5.0,
                     logger: logging.Logger | None = None) -> Any:
    """``DescribeClusterResult``: ``nodes``, ``controller``, ``cluster_id``."""
    return call(conf, "describe-cluster request",
                lambda admin: admin.describe_cluster(request_timeout=timeout).result(timeout=timeout + 1),
                logger=logger)


def topic_configs(conf: Mapping[str, Any], topics: Iterable[str], *, timeout: float = 5.0,
                  logger: logging.Logger | None = None) -> dict[str, dict[str, str | None]]:
    """Each topic's effective configuration (name -> value); a topic that cannot be read is left out."""
    names = [t for t in dict.fromkeys(topics) if t]
    if not names:
        return {}

    def request(admin: AdminClient) -> dict[str, dict[str, str | None]]:
        futures = admin.describe_configs([ConfigResource(ResourceType.TOPIC, t) for t in names],
                                         request_timeout=timeout)
        out: dict[str, dict[str, str | None]] = {}
        for resource, future in futures.items():
            try:
                entries = future.result(timeout=timeout + 1)
            except KafkaException:  # one unknown topic keeps the others
                continue
            out[resource.name] = {name: entry.value for name, entry in entries.items()}
        return out

    return call(conf, "describe-configs request", request, logger=logger)


def list_offsets(conf: Mapping[str, Any], partitions: Iterable[tuple[str, int]], *,
                 latest: bool = True, timeout: float = 5.0,
                 logger: logging.Logger | None = None) -> dict[tuple[str, int], int]:
    """The end (``latest``) or start offset of each partition."""
    wanted = list(dict.fromkeys(partitions))
    if not wanted:
        return {}
    spec = OffsetSpec.latest() if latest else OffsetSpec.earliest()

    def request(admin: AdminClient) -> dict[tuple[str, int], int]:
        futures = admin.list_offsets({TopicPartition(t, p): spec for t, p in wanted},
                                     request_timeout=timeout)
        return {(tp.topic, tp.partition): int(future.result(timeout=timeout + 1).offset)
                for tp, future in futures.items()}

    return call(conf, "list-offsets request", request, logger=logger)
