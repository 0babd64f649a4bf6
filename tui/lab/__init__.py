"""The local Apache Kafka lab cluster: real JVMs from Maven jars, started, broken and stopped on demand.

Never imports Textual or Rich. The one public entry point is :class:`LabCluster`.
"""

from tui.lab.cluster import LabCluster, NodeStatus
from tui.lab.errors import LabError
from tui.lab.spec import LabSpec

__all__ = ["LabCluster", "LabError", "LabSpec", "NodeStatus"]
