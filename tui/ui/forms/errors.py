"""Error handling of one running member, switched live: the error policy (and its retry settings),
the rebalance listener's commit on revoke, the value format it expects and the failures injected
into its processing. Each takes effect at the member's next record (the engine says so)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tui.engine import Command, MemberView, SetCommitOnRevoke, SetErrorPolicy, SetFailures
from tui.ui.forms.base import Field, FieldError, FormScreen
from tui.vocab import ERROR_POLICY_TEXT, ErrorPolicy, MemberValueFormat, PolicyAction

_VALUE_FORMAT_TEXT = {
    MemberValueFormat.KX: "kafka-explorer's own values: only a null value (tombstone) fails",
    MemberValueFormat.JSON: "a JSON object with msg_id and payload: invalid JSON or a missing field fails",
    MemberValueFormat.ANY: "anything passes (only injected failures fail)",
}


@dataclass(frozen=True)
class ErrorHandling:
    policy: str
    retries: int
    retry_backoff_ms: int
    retry_then: str
    dead_letter_topic: str | None
    commit_on_revoke: bool
    value_format: str
    fail_ids: tuple[str, ...]
    fail_rate: float
    fail_transient: int


class ErrorHandlingForm(FormScreen[ErrorHandling]):
    form_id = "errors"
    error_fields = (("retries", "retries"), ("backoff", "backoff"), ("dead-letter topic", "dlt"),
                    ("rate", "fail_rate"), ("transient", "fail_transient"))

    def __init__(self, member: MemberView, *, submits: bool = True) -> None:
        policy = member.error_policy.split()[0] if member.error_policy else ErrorPolicy.FAIL.value
        super().__init__(context={"policy": policy, "listener": member.commit_on_revoke,
                                  "format": member.value_format}, submits=submits)
        self.member = member.name
        self.title_text = f"Error handling of {member.name} (now: {member.error_policy})"
        self.help_text = ("What the member does with a record it cannot process, switched at its next "
                          "record.")
        self.fields = (
            Field("policy", "Error policy", "select", ErrorPolicy.FAIL.value,
                  options=tuple((p.value, ERROR_POLICY_TEXT[p]) for p in ErrorPolicy), remember=False),
            Field("retries", "Retries", "int", 3, help="retry: attempts after the first one."),
            Field("backoff", "Backoff ms", "int", 200,
                  help="retry: the wait before each attempt (the member does not poll meanwhile)."),
            Field("then", "Then", "select", PolicyAction.SKIP.value,
                  options=((PolicyAction.SKIP.value, "retries used up: skip the record"),
                           (PolicyAction.DEAD_LETTER.value, "retries used up: dead-letter it"))),
            Field("dlt", "Dead-letter topic", default="",
                  help="empty: <topic>.DLT, created with the source's partition count on first use."),
            Field("listener", "Commit on revoke", "switch", False, remember=False,
                  help="The rebalance listener commits what was processed before partitions move: "
                       "no processed-twice after a rebalance."),
            Field("format", "Value format", "select", MemberValueFormat.KX.value, remember=False,
                  options=tuple((f.value, _VALUE_FORMAT_TEXT[f]) for f in MemberValueFormat)),
            Field("fail_ids", "Fail msg ids", default="",
                  help="Injected failures: msg ids separated by commas."),
            Field("fail_rate", "Fail rate", "float", 0.0,
                  help="Injected failures: the share of records (0..1, seeded) that fail."),
            Field("fail_transient", "Transient", "int", 0,
                  help="Injected records fail this many times, then succeed (0: they always fail)."),
        )

    def build(self) -> ErrorHandling:
        retries = self.int_value("retries", "Retries", 3, low=0) or 0
        backoff = self.int_value("backoff", "The backoff", 200, low=0) or 0
        rate = self.float_value("fail_rate", "The fail rate", 0.0) or 0.0
        if not 0.0 <= rate <= 1.0:
            raise FieldError("fail_rate", "The fail rate is a share between 0 and 1.")
        transient = self.int_value("fail_transient", "Transient", 0, low=0) or 0
        ids = tuple(i.strip() for i in str(self.value("fail_ids") or "").split(",") if i.strip())
        return ErrorHandling(
            policy=str(self.value("policy")), retries=retries, retry_backoff_ms=backoff,
            retry_then=str(self.value("then")), dead_letter_topic=str(self.value("dlt")) or None,
            commit_on_revoke=bool(self.value("listener")), value_format=str(self.value("format")),
            fail_ids=ids, fail_rate=rate, fail_transient=transient)

    def commands(self, result: ErrorHandling) -> Sequence[tuple[Command, str]]:
        name = self.member
        return (
            (SetErrorPolicy(name, result.policy, retries=result.retries,
                            retry_backoff_ms=result.retry_backoff_ms, retry_then=result.retry_then,
                            dead_letter_topic=result.dead_letter_topic),
             f"{name}: error policy {result.policy}"),
            (SetCommitOnRevoke(name, result.commit_on_revoke),
             f"{name}: commit on revoke {'on' if result.commit_on_revoke else 'off'}"),
            (SetFailures(name, result.fail_ids, result.fail_rate, result.fail_transient,
                         result.value_format), f"{name}: failures and value format"),
        )


__all__ = ["ErrorHandling", "ErrorHandlingForm"]
