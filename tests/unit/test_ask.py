"""Predict, then observe: ``ask:`` steps in scenario files (loader errors, one sentence each), the
runner pausing for the room's answer (fake driver), the answer read from stdin, and the reports."""

from __future__ import annotations

import io
import json
import threading
import time
from pathlib import Path

import pytest

from tests.scenarios.fake_driver import FakeDriver
from tui.headless.run import read_answer
from tui.scenario import report
from tui.scenario.load import ScenarioError, discover, loads
from tui.scenario.runner import ScenarioRun

ASKING = """
title: predict the crash
goal: the room guesses first
cluster: {nodes: 1}
topics: [{name: t, partitions: 1}]
steps:
  - produce: {name: p1, topic: t, count: 10}
  - start-members: {group: g, topic: t, strategy: auto}
    ask:
      question: How many records will be skipped?
      choices: [none, "7", all ten]
      answer: 2
      why: auto-commit committed the whole batch before the crash
      check: skipped
  - note: {}
    ask: {question: Open question, choices: ["yes", "no"]}
expect:
  skipped: 7
"""


def _load(text: str = ASKING, name: str = "ask.yaml") -> object:
    return loads(text, source=name)


def test_ask_is_parsed_with_its_answer_why_and_check() -> None:
    scenario = loads(ASKING, source="ask.yaml")
    ask = scenario.steps[1].ask
    assert ask is not None
    assert ask.question == "How many records will be skipped?"
    assert ask.choices == ("none", "7", "all ten")
    assert (ask.right, ask.why, ask.check) == (1, "auto-commit committed the whole batch before the crash",
                                               ("skipped",))
    assert scenario.steps[0].ask is None
    open_question = scenario.steps[2].ask
    assert open_question is not None
    assert open_question.right is None
    by_text = loads(ASKING.replace("answer: 2", "answer: all ten"), source="ask.yaml")
    assert by_text.steps[1].ask is not None
    assert by_text.steps[1].ask.right == 2


@pytest.mark.parametrize(("change", "message"), [
    ("choices: [none, \"7\", all ten]", "ask.yaml: step 2 (start-members): 'ask.choices' must list "
     "2 to 5 answers, not 1."),
    ("answer: 2", "ask.yaml: step 2 (start-members): 'ask.answer' must be a choice number from 1 to "
     "3, not 4."),
    ("answer: 2", "ask.yaml: step 2 (start-members): 'ask.answer' must be a choice number (1-3) or "
     "one of the choices, not 'most'."),
    ("check: skipped", "ask.yaml: step 2 (start-members): 'ask.check' names 'lost', which 'expect:' "
     "does not check (it checks skipped)."),
    ("why: auto-commit", "ask.yaml: step 2 (start-members): unknown field 'because' in 'ask'"),
    ("question: How many records will be skipped?", "ask.yaml: step 2 (start-members): "
     "'ask.question' must be the question the room answers, as text."),
    ("choices: [none, \"7\", all ten]", "ask.yaml: step 2 (start-members): 'ask.choices' must be "
     "distinct, non-empty answers."),
    ("choices: [none, \"7\", all ten]", "ask.yaml: step 2 (start-members): 'ask.choices' must list "
     "2 to 5 answers, not 6."),
])
def test_ask_errors_are_one_sentence_naming_file_step_and_field(change: str, message: str) -> None:
    replacement = {
        "'ask.choices' must list 2 to 5 answers, not 1.": "choices: [only]",
        "not 4.": "answer: 4",
        "not 'most'.": "answer: most",
        "names 'lost'": "check: lost",
        "'because'": "because: auto-commit",
        "'ask.question'": "question: ''",
        "distinct": "choices: [a, a, b]",
        "not 6.": "choices: [a, b, c, d, e, f]",
    }
    new = next(v for k, v in replacement.items() if k in message)
    text = ASKING.replace(change, new)
    with pytest.raises(ScenarioError) as info:
        loads(text, source="ask.yaml")
    sentence = str(info.value)
    assert sentence.startswith(message), sentence
    assert "\n" not in sentence


def _run(driver: FakeDriver) -> ScenarioRun:
    return ScenarioRun(loads(ASKING, source="ask.yaml"), driver=driver, run_suffix="s1")


def test_runner_waits_for_the_rooms_answer_and_observes_after_the_verdict() -> None:
    run = _run(FakeDriver(nodes=1, counts={"skipped": 7}))
    run.wait_for_answers = True

    def room() -> None:
        deadline = time.monotonic() + 10
        for choice in (1, None):
            while run.question is None and time.monotonic() < deadline:
                time.sleep(0.01)
            assert run.question is not None
            run.answer(choice)
            while run.question is not None and time.monotonic() < deadline:
                time.sleep(0.01)

    answering = threading.Thread(target=room)
    answering.start()
    outcome = run.run_all()
    answering.join(10)
    assert outcome.passed
    first, second = outcome.asks
    assert (first.step, first.answer, first.asked, first.correct) == (2, 1, True, True)
    assert first.verified is True
    assert first.observed == "skipped = 7 (expected == 7: holds)"
    assert (second.answer, second.answer_text(), second.correct) == (None, "skipped", None)
    assert second.observed.startswith("verdict: skipped 7")


def test_runner_without_anyone_to_answer_goes_on() -> None:
    seen: list[str] = []
    run = _run(FakeDriver(nodes=1, counts={"skipped": 7}))
    run.on_progress = lambda p: seen.append(p.kind)
    outcome = run.run_all()
    assert [a.asked for a in outcome.asks] == [False, False]
    assert [a.answer_text() for a in outcome.asks] == ["not asked", "not asked"]
    assert seen.count("ask") == 2


def test_an_answer_source_answers_and_a_wrong_answer_is_not_right() -> None:
    run = _run(FakeDriver(nodes=1, counts={"skipped": 3}))
    run.answer_source = lambda q: 0
    outcome = run.run_all()
    assert not outcome.passed
    first = outcome.asks[0]
    assert first.answer == 0
    assert first.correct is False
    assert first.verified is False  # the run measured 3 skipped, not the 7 the file says


def test_cancel_while_waiting_for_an_answer_fails_the_step() -> None:
    run = _run(FakeDriver(nodes=1))
    run.wait_for_answers = True
    run.next_step()
    threading.Timer(0.3, run.cancel).start()
    result = run.next_step()
    assert result is not None
    assert not result.ok
    assert "cancelled" in result.detail
    assert run.question is None


def test_read_answer_from_stdin() -> None:
    prompts = io.StringIO()
    assert read_answer(("a", "b", "c"), io.StringIO("2\n"), prompts) == 1
    assert read_answer(("a", "b"), io.StringIO("\n"), prompts) is None
    assert read_answer(("a", "b"), io.StringIO(""), prompts) is None
    assert read_answer(("a", "b"), io.StringIO("x\n9\n1\n"), prompts) == 0
    assert "'x' is not a choice: type a number from 1 to 2, or nothing to skip." in prompts.getvalue()
    assert read_answer(("a", "b"), io.StringIO("x\nx\nx\n1\n"), prompts) is None


def test_reports_contain_questions_answers_and_outcomes(tmp_path: Path) -> None:
    run = _run(FakeDriver(nodes=1, counts={"skipped": 7}))
    run.answer_source = lambda q: 1 if q.step == 2 else None
    outcome = run.run_all()
    data = report.to_json(outcome)
    first = data["questions"][0]
    assert first == {"step": 2, "question": "How many records will be skipped?",
                     "choices": ["none", "7", "all ten"], "right": 2,
                     "why": "auto-commit committed the whole batch before the crash", "answer": 2,
                     "asked": True, "correct": True,
                     "observed": "skipped = 7 (expected == 7: holds)", "verified": True}
    assert json.loads(json.dumps(data))["questions"][1]["answer"] is None
    md = report.to_markdown(outcome)
    assert "## Predictions" in md
    assert "The room answered: 2. 7 — right" in md
    assert "What happened: skipped = 7 (expected == 7: holds) (verified by the run)" in md
    page = report.to_html(outcome)
    assert "<h2>Predictions</h2>" in page
    assert "How many records will be skipped?" in page
    assert "(verified by the run)" in page


def test_at_least_eight_bundled_scenarios_ask_and_check_their_answers() -> None:
    asking = []
    for path, item in discover():
        assert not isinstance(item, ScenarioError), str(item)
        asks = [s.ask for s in item.steps if s.ask is not None]
        if asks:
            asking.append(path.stem)
        for ask in asks:
            assert ask.right is not None, f"{path.name}: every bundled question says which is right"
            assert ask.why, f"{path.name}: and why"
            assert ask.check, f"{path.name}: and which expectation verifies it"
    assert len(asking) >= 8, asking
    topics = " ".join(asking)
    for theme in ("acks", "idempotent", "commit", "rebalance", "transactions"):
        assert theme in topics, theme


def test_an_unquoted_yes_is_refused_with_the_fix() -> None:
    with pytest.raises(ScenarioError, match=r"quote yes, no, on and off"):
        loads(ASKING.replace('choices: ["yes", "no"]', "choices: [yes, no]"), source="ask.yaml")
