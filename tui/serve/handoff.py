"""How ``serve`` hands its connection to each explorer it starts: in an environment variable, never
on the command line (``ps`` shows every user the arguments; a process's environment is readable by
its own user only), and taken out of the environment as soon as the explorer has read it, so nothing
the explorer starts inherits the secrets.

    env[CONNECTION_ENV] = encode(connection)        # serve, for each browser connection
    connection = take_connection()                  # the explorer: None when not started by serve
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from tui.errors import UserError
from tui.kafka.connection import Connection

CONNECTION_ENV = "KX_SERVE_CONNECTION"


def encode(connection: Connection) -> str:
    """The connection as one JSON string (properties may hold secrets: environment only)."""
    return json.dumps({
        "bootstrap": connection.bootstrap,
        "properties": dict(connection.properties),
        "label": connection.label,
        "lab_dir": None if connection.lab_dir is None else str(connection.lab_dir),
    })


def decode(text: str) -> Connection:
    """The connection :func:`encode` wrote; UserError for anything else."""
    try:
        data = json.loads(text)
        properties = data["properties"]
        lab_dir = data["lab_dir"]
        if not (isinstance(data["bootstrap"], str) and isinstance(properties, dict)
                and all(isinstance(k, str) and isinstance(v, str) for k, v in properties.items())):
            raise TypeError("bad field")
        return Connection(bootstrap=data["bootstrap"], properties=properties, label=str(data["label"]),
                          lab_dir=None if lab_dir is None else Path(lab_dir))
    except (ValueError, KeyError, TypeError):
        raise UserError(f"${CONNECTION_ENV} does not hold a connection written by `kafka-explorer "
                        "serve`.") from None


def take_connection() -> Connection | None:
    """The connection ``serve`` handed this process, removed from the environment (its secrets
    registered for redaction); None when the variable is not set."""
    text = os.environ.pop(CONNECTION_ENV, None)
    if text is None:
        return None
    connection = decode(text)
    from tui import redact

    redact.register_config_secrets(connection.properties)
    return connection
