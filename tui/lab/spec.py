"""What a lab cluster is: node count, profile, security and the ports it was given."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tui.lab.errors import LabError
from tui.lab.versions import LEGACY_KAFKA_VERSION
from tui.vocab import DEFAULT_KAFKA_VERSION, LabProfile, SecurityMode, names

PROFILES = names(LabProfile)
SECURITY_MODES = names(SecurityMode)
NODE_COUNTS = (1, 3)
SPEC_FILE = "cluster.json"


@dataclass(frozen=True)
class NodePorts:
    """Ports of one node: the client listener, the controller listener and (optional) a secure one."""

    broker: int
    controller: int
    secure: int | None = None


@dataclass(frozen=True)
class LabSpec:
    """The persistent description of a lab cluster, stored as ``cluster.json`` in its state dir."""

    nodes: int = 3
    profile: str = "default"
    security: str = "plaintext"
    cluster_id: str = ""
    ports: dict[int, NodePorts] = field(default_factory=dict)
    kafka_version: str = str(DEFAULT_KAFKA_VERSION)
    """The Kafka that formatted the storage; one state dir runs one version."""

    def node_ids(self) -> list[int]:
        return list(range(1, self.nodes + 1))

    def bootstrap(self) -> str:
        """PLAINTEXT bootstrap servers (always present: the lab itself and tests use it)."""
        return ",".join(f"127.0.0.1:{self.ports[n].broker}" for n in self.node_ids())

    def secure_bootstrap(self) -> str | None:
        """Bootstrap servers of the secure listener, when the lab was started with one."""
        if self.security == "plaintext":
            return None
        return ",".join(f"127.0.0.1:{self.ports[n].secure}" for n in self.node_ids())

    def save(self, path: Path) -> None:
        data = asdict(self)
        data["ports"] = {str(k): asdict(v) for k, v in self.ports.items()}
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> LabSpec:
        data = json.loads(path.read_text())
        ports = {int(k): NodePorts(**v) for k, v in data.pop("ports").items()}
        data.setdefault("kafka_version", LEGACY_KAFKA_VERSION)  # written before versions existed
        return cls(ports=ports, **data)


def load_spec(state_dir: Path) -> LabSpec:
    """The spec of the lab in ``state_dir``; LabError when there is none or it is unreadable."""
    path = Path(state_dir) / SPEC_FILE
    if not path.exists():
        raise LabError(f"No lab cluster in {state_dir}; start one with `kafka-explorer lab up`.")
    try:
        return LabSpec.load(path)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise LabError(f"The lab state in {path} is unreadable ({exc}); "
                       "run `kafka-explorer lab reset`.") from exc
