"""Create-topic form: partitions, replication factor, min.insync.replicas, unclean election."""

from __future__ import annotations

from tui.engine import TopicSpec
from tui.ui.forms.base import Field, FormScreen


class TopicForm(FormScreen[TopicSpec]):
    title_text = "Create a topic"
    help_text = ("RF above the number of brokers fails; min.insync.replicas decides how many "
                 "replicas an acks=all write needs.")

    def __init__(self, brokers: int = 1, name: str = "demo") -> None:
        super().__init__()
        rf = min(3, max(1, brokers))
        self.fields = (
            Field("name", "Name", default=name, help="letters, digits, . _ -"),
            Field("partitions", "Partitions", "int", 6),
            Field("rf", "Replication factor", "int", rf),
            Field("min_isr", "min.insync.replicas", "int", max(1, rf - 1) if rf > 1 else "",
                  help="empty: broker default"),
            Field("unclean", "Unclean leader election", "switch", False,
                  help="allow an out-of-sync replica to become leader (can lose acked writes)"),
        )

    def build(self) -> TopicSpec:
        spec = TopicSpec(
            name=str(self.value("name")),
            partitions=self.int_value("partitions", "Partitions", 1) or 1,
            replication_factor=self.int_value("rf", "Replication factor", 1) or 1,
            min_insync_replicas=self.int_value("min_isr", "min.insync.replicas"),
            unclean_leader_election=bool(self.value("unclean")),
        )
        return spec.validate()
