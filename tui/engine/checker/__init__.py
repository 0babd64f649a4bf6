"""The checker: pure functions from a recorded History to a Verdict.

``check(history)`` returns a :class:`Verdict` (anomalies with causes, counts per kind, a summary);
``explain_record(history, msg_id)`` returns one record's timeline for drill-down views.
"""

from tui.engine.checker.check import check
from tui.engine.checker.explain import explain_record
from tui.engine.checker.verdict import (
    EXPECTED,
    JUDGEMENTS,
    KIND_TITLES,
    KINDS,
    LIVENESS,
    VIOLATION,
    Anomaly,
    Verdict,
    VerdictSummary,
)

__all__ = [
    "EXPECTED", "JUDGEMENTS", "KINDS", "KIND_TITLES", "LIVENESS", "VIOLATION", "Anomaly", "Verdict",
    "VerdictSummary", "check", "explain_record",
]
