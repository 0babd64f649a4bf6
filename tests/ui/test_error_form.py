"""The error-handling form of a running member: policy, listener, value format and failures switched
live through the engine's commands, bad values refused where they are typed."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input

from tests.ui.fakes import FakeEngine, snapshot
from tests.ui.test_forms import make_app, open_form, until
from tui.engine import SetCommitOnRevoke, SetErrorPolicy, SetFailures
from tui.ui.fast_table import FastTable
from tui.ui.forms.choice import Choice
from tui.ui.forms.errors import ErrorHandlingForm

SIZE = (120, 40)


async def test_the_form_sends_policy_listener_and_failures() -> None:
    engine = FakeEngine([snapshot(1)])
    app = make_app(engine)
    async with app.run_test(size=SIZE) as pilot:
        app.apply_snapshot(engine.snapshot())
        await pilot.press("3")
        app.query_one("#members", FastTable).focus()
        await pilot.pause()
        form = await open_form(pilot, app, "3", "e", "ErrorHandlingForm")
        assert isinstance(form, ErrorHandlingForm)
        form.query_one("#f-policy", Choice).value = "retry"
        form.query_one("#f-retries", Input).value = "2"
        form.query_one("#f-then", Choice).value = "dead-letter"
        form.query_one("#f-listener", Choice).value = True
        form.query_one("#f-fail_ids", Input).value = "run1/p1/0/3, run1/p1/0/4"
        await pilot.press("ctrl+s")
        switches = SetErrorPolicy | SetCommitOnRevoke | SetFailures
        await until(pilot, lambda: len([c for c in engine.submitted if isinstance(c, switches)]) == 3)
        sent: dict[type[Any], Any] = {type(c): c for c in engine.submitted}
        policy = sent[SetErrorPolicy]
        assert (policy.policy, policy.retries, policy.retry_then) == ("retry", 2, "dead-letter")
        assert sent[SetCommitOnRevoke].on is True
        assert sent[SetFailures].fail_ids == ("run1/p1/0/3", "run1/p1/0/4")


async def test_a_rate_above_one_is_refused_under_its_field() -> None:
    engine = FakeEngine([snapshot(1)])
    app = make_app(engine)
    async with app.run_test(size=SIZE) as pilot:
        app.apply_snapshot(engine.snapshot())
        await pilot.press("3")
        app.query_one("#members", FastTable).focus()
        await pilot.pause()
        form = await open_form(pilot, app, "3", "e", "ErrorHandlingForm")
        form.query_one("#f-fail_rate", Input).value = "1.5"
        await pilot.pause()
        assert "between 0 and 1" in str(form.query_one("#h-fail_rate").render())
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ErrorHandlingForm)  # still open: nothing was sent
        assert not [c for c in engine.submitted if isinstance(c, SetFailures)]
