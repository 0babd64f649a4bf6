"""New-producer form: every producer-profile setting, the key mode and the workload.

The profile and workload validate themselves (pure checks, no Kafka) before the form closes, so a
combination such as idempotence with acks=1 is explained in the form, not after submit.
"""

from __future__ import annotations

from tui.engine import ProducerProfile, Workload, parse_header, parse_key_mode
from tui.ui.forms.base import Field, FormScreen
from tui.vocab import Acks, Compression, Partitioner, names

ProducerRequest = tuple[ProducerProfile, Workload]


def parse_extra(text: str) -> dict[str, str]:
    """``k=v, k2=v2`` -> dict (the same -X properties the command line takes)."""
    out: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"Extra properties look like key=value, not {item!r}.")
        out[key.strip()] = value.strip()
    return out


class ProducerForm(FormScreen[ProducerRequest]):
    title_text = "Start a producer"
    help_text = ("Every record carries a run id and a sequence number, so the verdict can follow it. "
                 "Count empty = until stopped; rate empty = as fast as possible.")

    def __init__(self, name: str = "p1", topic: str = "demo", acks: str = "all") -> None:
        super().__init__()
        self.fields = (
            Field("name", "Profile name", default=name),
            Field("topic", "Topic", default=topic),
            Field("acks", "acks", "select", acks, names(Acks)),
            Field("idempotence", "Idempotence", "switch", False,
                  help="needs acks=all and max in-flight <= 5"),
            Field("retries", "Retries", "int", 2147483647),
            Field("in_flight", "Max in-flight", "int", 5),
            Field("linger", "linger.ms", "int", 5),
            Field("batch", "batch.size (bytes)", "int", 1_000_000),
            Field("compression", "Compression", "select", "none", names(Compression)),
            Field("partitioner", "Partitioner", "select", "murmur2_random", names(Partitioner)),
            Field("timeout", "message.timeout.ms", "int", 15_000),
            Field("txn", "transactional.id", default="", help="empty: not transactional"),
            Field("keys", "Key mode", default="cycle:16",
                  help="none | fixed:K | cycle:N | random | hot:P"),
            Field("value_size", "Value size (bytes)", "int", 100),
            Field("headers", "Extra headers", default="", help="name=value, name2=value2"),
            Field("count", "Count", "int", 10_000, help="empty: until stopped"),
            Field("rate", "Rate (records/s)", "float", 1000, help="empty: as fast as possible"),
            Field("partition", "Partition", "int", "", help="empty: the partitioner decides"),
            Field("extra", "Extra -X properties", default="", help="key=value, key2=value2"),
        )

    def build(self) -> ProducerRequest:
        txn = str(self.value("txn")) or None
        profile = ProducerProfile(
            name=str(self.value("name")),
            acks=str(self.value("acks")),
            idempotence=bool(self.value("idempotence")),
            retries=self.int_value("retries", "Retries", 2147483647) or 0,
            max_in_flight=self.int_value("in_flight", "Max in-flight", 5) or 0,
            linger_ms=self.int_value("linger", "linger.ms", 5) or 0,
            batch_size=self.int_value("batch", "batch.size", 1_000_000) or 0,
            compression=str(self.value("compression")),
            partitioner=str(self.value("partitioner")),
            message_timeout_ms=self.int_value("timeout", "message.timeout.ms", 15_000) or 0,
            transactional_id=txn,
            extra=parse_extra(str(self.value("extra"))),
        ).validate()
        headers = tuple(parse_header(h.strip()) for h in str(self.value("headers")).split(",")
                        if h.strip())
        workload = Workload(
            topic=str(self.value("topic")),
            count=self.int_value("count", "Count"),
            rate=self.float_value("rate", "Rate"),
            key_mode=parse_key_mode(str(self.value("keys")) or "none"),
            value_size=self.int_value("value_size", "Value size", 100) or 0,
            headers=headers,
            partition=self.int_value("partition", "Partition"),
        ).validate()
        return profile, workload
