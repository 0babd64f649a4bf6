"""Running a scenario step by step: ``ScenarioRun(scenario, engine)``.

The TUI calls :meth:`ScenarioRun.next_step` (from a worker thread) each time the instructor presses a
key; ``kafka-explorer run`` calls :meth:`ScenarioRun.run_all`. Every step reports progress through the
``on_progress`` callback, ends with a :class:`StepResult`, and the verdict step (added at the end when
the file has none) evaluates the expectations. :meth:`close` stops what the run started and heals the
nodes it broke, so the next scenario starts from a healthy cluster.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from tui.engine import PartitionMeta
from tui.scenario.describe import describe, wait_text
from tui.scenario.driver import Driver, RunMetrics, VerdictFacts
from tui.scenario.expect import ANOMALY_KINDS, MEASURED, parse_measured
from tui.scenario.model import (
    Ask,
    Comparison,
    Expectation,
    Mark,
    MemberAction,
    NodeAction,
    NodeRef,
    Note,
    Produce,
    ResetGroupOffsets,
    Scenario,
    StartMembers,
    StartShareMembers,
    Step,
    StopProducer,
    SwitchPolicy,
    VerdictStep,
    WaitFor,
)
from tui.scenario.results import (
    AskResult,
    ExpectationResult,
    PendingQuestion,
    Progress,
    ProgressCallback,
    RunOutcome,
    StepResult,
)
from tui.scenario.roles import resolve_node

if TYPE_CHECKING:
    from tui.engine import Engine, LaneView

LOG = logging.getLogger("kafka_explorer.scenario")
AnswerSource = Callable[[PendingQuestion], "int | None"]
"""Gives the room's answer to a question (a choice from 0, or None to skip); may block."""
POLL_S = 0.25
"""How often wait conditions are re-checked."""
HEAL_TIMEOUT_S = 90.0
SETTLE_QUIET_S = 1.5
"""Members must deliver, process and commit nothing for this long before the verdict is taken:
the checker compares the broker's committed offsets with the consumption log, and a member caught
between a commit and its log entries would look like it skipped records."""
SETTLE_MAX_S = 20.0


@dataclass
class _State:
    topics: dict[str, str] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)
    producers: dict[str, str] = field(default_factory=dict)
    members: dict[str, str] = field(default_factory=dict)
    saved_nodes: dict[str, int] = field(default_factory=dict)
    touched_nodes: set[int] = field(default_factory=set)


class ScenarioRun:
    """One run of one scenario. Not thread-safe: call it from one thread at a time."""

    def __init__(self, scenario: Scenario, engine: Engine | None = None, *,
                 driver: Driver | None = None, on_progress: ProgressCallback | None = None,
                 run_suffix: str | None = None) -> None:
        if driver is None:
            from tui.scenario.engine_driver import EngineDriver

            if engine is None:
                raise ValueError("A scenario run needs an engine (or a driver).")
            driver = EngineDriver(engine)
        self.scenario = scenario
        self.driver = driver
        self.on_progress = on_progress
        self.suffix = run_suffix or secrets.token_hex(3)
        steps = list(scenario.steps)
        if not any(isinstance(s.action, VerdictStep) for s in steps):
            steps.append(Step(len(steps) + 1, "verdict", VerdictStep(),
                              narrate="The final re-read compares every produced record with what "
                                      "the log holds and what each member saw.",
                              title="verdict"))
        self.steps: tuple[Step, ...] = tuple(replace(s, title=s.title or describe(s)) for s in steps)
        self.position = 0
        """Index of the next step to run."""
        self.results: list[StepResult] = []
        self.verdict: VerdictFacts | None = None
        self.metrics: RunMetrics | None = None
        self.expectation_results: tuple[ExpectationResult, ...] = ()
        self.marks: dict[str, RunMetrics] = {}
        """The run's measured numbers as each ``mark`` step took them."""
        self.error: str | None = None
        self.started = time.time()
        self.finished_at: float | None = None
        self._prepared = False
        self._closed = False
        self._cancel = threading.Event()
        self.asks: list[AskResult] = []
        self.lanes: tuple[LaneView, ...] = ()
        """The final record lanes of the run's topics, drawn after the verdict."""
        """The questions asked so far (``ask:`` steps), with the room's answers."""
        self.question: PendingQuestion | None = None
        """The question the run waits on now (set while :attr:`wait_for_answers` holds it)."""
        self.wait_for_answers = False
        """Pause at each question until :meth:`answer` is called (the Scenarios screen sets it)."""
        self.answer_source: AnswerSource | None = None
        """Asked for each answer on the run's thread (``run --ask`` reads stdin); wins over waiting."""
        self._answered = threading.Event()
        self._answer: int | None = None
        self._st = _State()
        # fresh real names per run, inside the engine's namespace when it has one (a shared cluster)
        self._st.topics = {t.name: self.driver.resource_name(f"{t.name}-{self.suffix}")
                           for t in scenario.topics}

    # ---- public API --------------------------------------------------------------------------

    @property
    def done(self) -> bool:
        return self.finished_at is not None

    @property
    def passed(self) -> bool:
        return (self.done and self.error is None and self.verdict is not None
                and all(r.ok for r in self.expectation_results))

    @property
    def next(self) -> Step | None:
        """The step :meth:`next_step` would run, or None when the run is over."""
        return None if self.done or self.position >= len(self.steps) else self.steps[self.position]

    def answer(self, choice: int | None) -> None:
        """Record the room's answer to the question the run waits on (``choice`` from 0; None:
        skip it); from any thread. Ignored when no question waits."""
        if self.question is None:
            return
        self._answer = choice
        self._answered.set()

    def _ask(self, number: int, ask: Ask) -> None:
        """Put the step's question to the room: wait for the answer (or take it from the answer
        source), or only show it when nobody can answer."""
        answer: int | None = None
        asked = self.answer_source is not None or self.wait_for_answers
        waiting = self.answer_source is None and self.wait_for_answers
        if waiting:  # set before the progress line: whoever hears it finds the question
            self._answer, self._answered = None, threading.Event()
            self.question = PendingQuestion(number, ask)
        self._say("ask", number, ask.question)
        if self.answer_source is not None:
            answer = self.answer_source(PendingQuestion(number, ask))
        elif waiting:
            try:
                while not self._answered.wait(POLL_S):
                    if self._cancel.is_set():
                        raise ValueError("The run was cancelled.")
            finally:
                self.question = None
            answer = self._answer
        if answer is not None and not 0 <= answer < len(ask.choices):
            answer = None
        result = AskResult(number, ask.question, ask.choices, ask.right, ask.why, answer, asked,
                           check=ask.check)
        self.asks.append(result)
        self._say("answer", number, f"the room answered {result.answer_text()}" if asked
                  else "(nobody was asked: the run goes on)")

    def cancel(self) -> None:
        """Ask a waiting step to give up (from any thread)."""
        self._cancel.set()

    def next_step(self) -> StepResult | None:
        """Run the next step (creating topics first); None when there is nothing left to run."""
        if self.done:
            return None
        if not self._prepared:
            try:
                self._prepare()
            except Exception as exc:  # any failure ends the run with one sentence
                self._fail_run(None, _sentence(exc))
                return None
            self._prepared = True
        step = self.steps[self.position]
        self.position += 1
        self._say("step-started", step.number, f"step {step.number}/{len(self.steps)} "
                  f"{step.kind}: {step.title}")
        self.driver.publish("scenario.step", f"scenario step {step.number}: {step.title}",
                            "notice", step=step.number, scenario=self.scenario.slug)
        t0 = time.monotonic()
        try:
            if step.ask is not None:
                self._ask(step.number, step.ask)
            detail = self._execute(step)
        except Exception as exc:
            if not isinstance(exc, ValueError):  # not a user-facing refusal: keep the trace for logs
                LOG.warning("step %d (%s) failed", step.number, step.kind, exc_info=True)
            result = StepResult(step.number, step.kind, step.title, step.narrate, False,
                                _sentence(exc), time.monotonic() - t0)
            self.results.append(result)
            self._say("step-failed", step.number, result.detail)
            self._fail_run(step.number, result.detail)
            return result
        result = StepResult(step.number, step.kind, step.title, step.narrate, True, detail,
                            time.monotonic() - t0)
        self.results.append(result)
        self._say("step-done", step.number, detail)
        if self.position >= len(self.steps):
            self._finish()
        return result

    def run_all(self) -> RunOutcome:
        """Run every remaining step, then return the outcome (the run stays open: call close())."""
        while not self.done:
            self.next_step()
        return self.outcome()

    def outcome(self) -> RunOutcome:
        return RunOutcome(
            scenario=self.scenario, run_suffix=self.suffix, names=self.names(),
            steps=tuple(self.results), verdict=self.verdict, metrics=self.metrics,
            expectations=self.expectation_results, passed=self.passed, error=self.error,
            started=self.started, finished=self.finished_at or time.time(),
            asks=tuple(self.asks), lanes=self.lanes)

    def names(self) -> dict[str, str]:
        st = self._st
        return {**st.topics, **st.groups, **st.producers, **st.members}

    def close(self, heal: bool = True) -> None:
        """Stop producers and members this run started and (unless ``heal`` is False) restart or
        resume the nodes it broke. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._cancel.set()
        try:
            self.driver.close()
        except Exception as exc:
            self._say("warning", None, f"stopping the scenario's clients failed: {_sentence(exc)}")
        if not heal:
            return
        try:
            self._heal(wait=False)
        except Exception as exc:
            self._say("warning", None, f"healing the cluster failed: {_sentence(exc)}")

    def __enter__(self) -> ScenarioRun:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- internals ---------------------------------------------------------------------------

    def _say(self, kind: str, step: int | None, text: str) -> None:
        if self.on_progress is not None:
            try:
                self.on_progress(Progress(kind, step, text))
            except Exception:  # a broken progress sink must not break the run
                pass

    def _fail_run(self, step: int | None, text: str) -> None:
        where = f"step {step}" if step is not None else "setup"
        self.error = f"{where}: {text}"
        self.finished_at = time.time()
        self._say("finished", step, f"scenario failed at {where}: {text}")

    def _prepare(self) -> None:
        need = self.scenario.cluster
        nodes = self.driver.node_ids()
        if nodes and len(nodes) < need.nodes:
            raise ValueError(f"This scenario needs a {need.nodes}-node lab cluster; the one connected "
                             f"has {len(nodes)} node(s) (stop it with `kafka-explorer lab down`: "
                             "`kafka-explorer run` then starts the lab the scenario needs).")
        profile = getattr(self.driver, "cluster_profile", lambda: None)()
        if profile is not None and profile != need.profile:
            raise ValueError(f"This scenario needs the lab profile {need.profile!r}; the lab runs "
                             f"{profile!r} (start it with `kafka-explorer lab up --profile "
                             f"{need.profile}`).")
        self._check_kafka()
        for decl in self.scenario.topics:
            real = self._st.topics[decl.name]
            self._say("setup", None, f"creating topic {real} ({decl.partitions} partition(s), "
                      f"RF {decl.effective_replication_factor})")
            # records stay for the whole run: retention must never look like a loss
            self.driver.create_topic(replace(decl, name=real, config={
                "retention.ms": "-1", "retention.bytes": "-1", **decl.config}))
            self._wait_leaders(real, decl.partitions, 30.0)

    def _check_kafka(self) -> None:
        """Refuse (one sentence) a lab older than the Kafka the scenario needs; share members need 4.2."""
        need = self.scenario.cluster.kafka
        if need is None and any(isinstance(s.action, StartShareMembers) for s in self.steps):
            need = ">=4.2"
        version = getattr(self.driver, "kafka_version", lambda: None)()
        if need is None or version is None or kafka_satisfies(version, need):
            return
        raise ValueError(f"This scenario needs Kafka {need}; the connected lab runs Kafka {version} "
                         "(start a current one with `kafka-explorer lab down` then `kafka-explorer lab up "
                         "--kafka-version 4.4.0`, or `kafka-explorer run ... --kafka-version 4.4.0` when no "
                         "lab runs).")

    def _wait_leaders(self, topic: str, partitions: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            states = [self.driver.partition_state(topic, p) for p in range(partitions)]
            if all(s is not None and s.leader >= 0 for s in states):
                return
            if time.monotonic() > deadline:
                raise ValueError(f"Topic {topic} has partitions without a leader after {timeout:.0f} s.")
            self._sleep(POLL_S)

    def _sleep(self, seconds: float) -> None:
        if self._cancel.wait(seconds):
            raise ValueError("The run was cancelled.")

    def _topic(self, logical: str) -> str:
        return self._st.topics.get(logical, logical)

    def _group(self, logical: str) -> str:
        return self._st.groups.setdefault(logical, self.driver.resource_name(f"{logical}-{self.suffix}"))

    def _member(self, logical: str) -> str:
        if logical not in self._st.members:
            raise ValueError(f"Member {logical!r} is not running in this scenario.")
        return self._st.members[logical]

    def _node(self, ref: NodeRef) -> int:
        state = None
        if ref.role is not None and ref.topic is not None:
            state = self._partition(ref.topic, ref.partition)
        return resolve_node(ref, state, self._st.saved_nodes)

    def _partition(self, logical_topic: str, partition: int) -> PartitionMeta | None:
        return self.driver.partition_state(self._topic(logical_topic), partition)

    def _execute(self, step: Step) -> str:
        action = step.action
        if isinstance(action, Produce):
            return self._produce(action)
        if isinstance(action, StopProducer):
            name = self._st.producers[action.name]
            self.driver.stop_producer(name)
            return f"stopped producer {action.name}"
        if isinstance(action, StartMembers):
            return self._start_members(action)
        if isinstance(action, StartShareMembers):
            return self._start_share_members(action)
        if isinstance(action, SwitchPolicy):
            return self._switch_policy(action)
        if isinstance(action, MemberAction):
            return self._member_action(action)
        if isinstance(action, NodeAction):
            return self._node_action(action)
        if isinstance(action, WaitFor):
            return self._wait(action)
        if isinstance(action, Note):
            return "note"
        if isinstance(action, Mark):
            return self._mark(action)
        if isinstance(action, ResetGroupOffsets):
            return self._reset_offsets(action)
        if isinstance(action, VerdictStep):
            return self._verdict(action)
        raise ValueError(f"Unknown step {step.kind}.")

    def _produce(self, action: Produce) -> str:
        real_name = f"{action.name}-{self.suffix}"
        topic = self._topic(action.workload.topic)
        name = self.driver.start_producer(action, real_name, topic)
        self._st.producers[action.name] = name
        if not action.wait:
            return f"producer {action.name} started in the background"
        if not self.driver.producer_done(name, action.timeout):
            raise ValueError(f"Producer {action.name} did not get every delivery report within "
                             f"{action.timeout:.0f} s.")
        m = self.driver.metrics((topic,), ())
        return (f"producer {action.name} finished (run so far: {m.acked} acked, "
                f"{m.failed_definite} failed, {m.failed_indefinite} unknown)")

    def _mark(self, action: Mark) -> str:
        metrics = self.driver.metrics(tuple(self._st.topics.values()), tuple(self._st.groups.values()))
        self.marks[action.name] = metrics
        lags = ", ".join(f"{g} lag {int(metrics.group_figures.get(real, {}).get('lag', 0))}"
                         for g, real in self._st.groups.items())
        return f"took mark {action.name}" + (f" ({lags})" if lags else "")

    def _start_members(self, action: StartMembers) -> str:
        group = self._group(action.group)
        topics = tuple(self._topic(t) for t in action.topics)
        output = self._topic(action.output_topic) if action.output_topic else None
        logical_ids = action.fail_ids
        if logical_ids:  # the members get this run's msg-id tails
            action = replace(action, fail_ids=tuple(self._fail_id(i) for i in logical_ids))
        for member in action.member_names():
            real = f"{member}-{self.suffix}"
            self._st.members[member] = self.driver.add_member(action, real, group, topics, output)
        how = action.protocol if action.protocol == "consumer" else (action.assignor or "range")
        policy = f", on error {action.on_error}" if action.on_error else ""
        fails = f", failing {', '.join(logical_ids)}" if logical_ids else ""
        return (f"started {', '.join(action.member_names())} in group {action.group} "
                f"({action.strategy}, {how}{policy}{fails})")

    def _switch_policy(self, action: SwitchPolicy) -> str:
        self.driver.set_policy(self._member(action.member), action)
        listener = ("" if action.commit_on_revoke is None
                    else f", commit-on-revoke {'on' if action.commit_on_revoke else 'off'}")
        return f"member {action.member} now handles failures with {action.on_error}{listener}"

    def _start_share_members(self, action: StartShareMembers) -> str:
        group = self._group(action.group)
        topics = tuple(self._topic(t) for t in action.topics)
        self.driver.set_share_config(group, action.auto_offset_reset, action.lock_ms, action.delivery_limit)
        fail_ids = tuple(self._fail_id(i) for i in action.fail_ids)
        for member in action.member_names():
            real = f"{member}-{self.suffix}"
            self._st.members[member] = self.driver.add_share_member(action, real, group, topics, fail_ids)
        policy, ids = action.ack_mode, ", ".join(action.fail_ids)
        if ids:
            k = action.fail_transient
            policy += f", release {ids} ×{k}" if k else f", reject {ids}"
        return f"started {', '.join(action.member_names())} in share group {action.group} ({policy})"

    def _fail_id(self, logical: str) -> str:
        """``p1/4`` -> the msg-id tail of producer p1's record 4 in this run; ``4`` stays (any producer)."""
        producer, _, seq = logical.rpartition("/")
        if not producer:
            return seq
        real = self._st.producers.get(producer) or f"{producer}-{self.suffix}"
        return f"{real}/0/{seq}"

    def _member_action(self, action: MemberAction) -> str:
        name = self._member(action.member)
        self.driver.member_action(name, action.action, action.after_records, action.strategy)
        if action.action == "crash":
            after = ("" if action.after_records is None
                     else f" after {action.after_records} more record(s)")
            return f"member {action.member} set to crash{after}"
        if action.action == "switch":
            return f"member {action.member} switches to {action.strategy}"
        return f"member {action.member}: {action.action}"

    def _node_action(self, action: NodeAction) -> str:
        node = self._node(action.node)
        if action.save_as:
            self._st.saved_nodes[action.save_as] = node
        self._st.touched_nodes.add(node)
        self.driver.node_action(node, action.action)
        past = {"kill": "killed", "stop": "stopped", "pause": "paused", "resume": "resumed",
                "restart": "restarted", "start": "started"}[action.action]
        why = "" if action.node.number is not None else f" ({action.node.describe()})"
        return f"{past} node {node}{why}"

    def _reset_offsets(self, action: ResetGroupOffsets) -> str:
        moved = self.driver.reset_offsets(self._group(action.group), self._topic(action.topic),
                                          action.to, action.partition)
        parts = ", ".join(f"p{p} {'-' if old is None else old} → {new}" for p, old, new in moved)
        return f"offsets of group {action.group} on {action.topic} reset to {action.to}: {parts}"

    # ---- waiting -----------------------------------------------------------------------------

    def _wait(self, cond: WaitFor) -> str:
        if cond.condition == "seconds":
            self._say("waiting", None, f"pausing {cond.seconds:g} s: {cond.reason}")
            self._sleep(cond.seconds)
            return f"paused {cond.seconds:g} s ({cond.reason})"
        if cond.condition == "produced":
            name = self._st.producers[cond.producer or ""]
            if not self.driver.producer_done(name, cond.timeout):
                raise ValueError(f"Producer {cond.producer} was still waiting for delivery reports "
                                 f"after {cond.timeout:.0f} s.")
            return f"producer {cond.producer} got every delivery report"
        deadline = time.monotonic() + cond.timeout
        next_note = time.monotonic() + 3.0
        while True:
            ok, now = self._check(cond)
            if ok:
                return f"{wait_text(cond)}: {now}"
            if time.monotonic() > deadline:
                raise ValueError(f"Timed out after {cond.timeout:g} s waiting until "
                                 f"{wait_text(cond)} (now: {now}).")
            if time.monotonic() >= next_note:
                self._say("waiting", None, f"waiting until {wait_text(cond)} (now: {now})")
                next_note = time.monotonic() + 3.0
            self._sleep(POLL_S)

    def _check(self, cond: WaitFor) -> tuple[bool, str]:
        if cond.condition == "isr-size":
            state = self._partition(cond.topic or "", cond.partition)
            if state is None:
                return False, "no metadata"
            assert cond.comparison is not None
            return cond.comparison.holds(len(state.isr)), f"ISR {list(state.isr)}"
        if cond.condition == "high-watermark":
            high = self.driver.high_watermark(self._topic(cond.topic or ""), cond.partition)
            if high is None:
                return False, "no answer"
            assert cond.comparison is not None
            return cond.comparison.holds(high), f"high watermark {high}"
        if cond.condition == "leader":
            state = self._partition(cond.topic or "", cond.partition)
            if state is None:
                return False, "no metadata"
            if cond.node is None:
                return state.leader >= 0, f"leader {state.leader}"
            node = self._node(cond.node)
            same = state.leader == node
            return (state.leader >= 0 and not same) if cond.negate else same, f"leader {state.leader}"
        if cond.condition == "consumed":
            count = self.driver.consumed(self._group(cond.group or ""))
            assert cond.comparison is not None
            return cond.comparison.holds(count), f"{count} consumed"
        if cond.condition == "processed":
            count = self.driver.processed(self._group(cond.group or ""))
            assert cond.comparison is not None
            return cond.comparison.holds(count), f"{count} processed"
        if cond.condition == "assigned":
            count = self.driver.assigned_members(self._group(cond.group or ""))
            assert cond.comparison is not None
            return cond.comparison.holds(count), f"{count} member(s) with partitions"
        if cond.condition == "stuck":
            stuck = self.driver.stuck_partitions(self._group(cond.group or ""))
            assert cond.comparison is not None
            return cond.comparison.holds(stuck), f"{stuck} partition(s) stuck"
        if cond.condition == "member-state":
            state_name = self.driver.member_state(self._member(cond.member or ""))
            return state_name == cond.state, f"{cond.member} {state_name}"
        if cond.condition == "node-state":
            assert cond.node is not None
            node = self._node(cond.node)
            state_name = self.driver.node_state(node)
            return state_name == cond.state, f"node {node} {state_name}"
        raise ValueError(f"Unknown wait condition {cond.condition}.")

    # ---- verdict -----------------------------------------------------------------------------

    def _heal(self, wait: bool) -> list[str]:
        """Resume paused and start stopped/dead nodes this run touched; optionally wait for ISRs."""
        done: list[str] = []
        for node in sorted(self._st.touched_nodes):
            state = self.driver.node_state(node)
            if state == "paused":
                self.driver.node_action(node, "resume")
                done.append(f"resumed node {node}")
            elif state in ("dead", "stopped"):
                self.driver.node_action(node, "start")
                done.append(f"started node {node}")
        if wait and done:
            self._wait_in_sync(HEAL_TIMEOUT_S)
        return done

    def _wait_in_sync(self, timeout: float) -> None:
        """Until every partition of the scenario's topics has a leader and a full ISR (or timeout)."""
        deadline = time.monotonic() + timeout
        parts = [(self._topic(t.name), p) for t in self.scenario.topics for p in range(t.partitions)]
        while time.monotonic() < deadline:
            states = [self.driver.partition_state(t, p) for t, p in parts]
            if all(s is not None and s.leader >= 0 and set(s.isr) >= set(s.replicas) for s in states):
                return
            self._sleep(0.5)
        self._say("warning", None, f"some partitions were not fully in sync after {timeout:.0f} s; "
                  "judging anyway")

    def _verdict(self, action: VerdictStep) -> str:
        healed = self._heal(wait=True) if action.heal else []
        for logical, name in self._st.producers.items():
            self._say("verdict", None, f"waiting for producer {logical}'s last delivery reports")
            if not self.driver.producer_done(name, 1.0):
                self.driver.stop_producer(name)
                self.driver.producer_done(name, 30.0)
        if self._st.members:
            self._settle()
        topics = tuple(self._st.topics.values())
        self._say("verdict", None, "re-reading every partition and judging every record")
        self.verdict = self.driver.verdict(topics, tuple(self._st.groups.values()), action.timeout)
        self.metrics = self.driver.metrics(topics, tuple(self._st.groups.values()))
        self.expectation_results = tuple(
            evaluate(e, self.verdict, self.metrics, self._st.groups, producers=self._st.producers,
                     topics=self._st.topics, marks=self.marks)
            for e in self.scenario.expectations)
        counts = ", ".join(f"{k} {v}" for k, v in self.verdict.counts.items() if v)
        prefix = f"{'; '.join(healed)}; " if healed else ""
        return f"{prefix}verdict: {counts or 'no anomalies'}"

    def _settle(self) -> None:
        """Wait (bounded) until the run's members have been quiet for SETTLE_QUIET_S."""
        self._say("verdict", None, "waiting for the group members to go quiet")
        deadline = time.monotonic() + SETTLE_MAX_S
        last = self.driver.activity()
        quiet_since = time.monotonic()
        while time.monotonic() < deadline:
            self._sleep(POLL_S)
            now = self.driver.activity()
            if now != last:
                last, quiet_since = now, time.monotonic()
            elif time.monotonic() - quiet_since >= SETTLE_QUIET_S:
                return
        self._say("warning", None, f"members were still busy after {SETTLE_MAX_S:.0f} s; judging "
                  "anyway")

    def _final_lanes(self) -> tuple[LaneView, ...]:
        """The record lane of each topic the run created, after the verdict (drivers that cannot
        draw one give none)."""
        draw = getattr(self.driver, "lane", None)
        if draw is None or self.verdict is None:
            return ()
        out = []
        for real in self._st.topics.values():
            try:
                lane = draw(real)
            except Exception:  # a report without its lane is still a report
                LOG.warning("drawing the record lane of %s failed", real, exc_info=True)
                continue
            if lane is not None:
                out.append(lane)
        return tuple(out)

    def _finish(self) -> None:
        self.asks = [a.observe(self.expectation_results, self.verdict) for a in self.asks]
        self.lanes = self._final_lanes()
        if self.verdict is None and self.error is None:
            self.error = "the run ended without a verdict"
        for res in self.expectation_results:
            mark = "ok " if res.ok else "FAIL"
            actual = "n/a" if res.actual is None else _num(res.actual)
            self._say("expectation", None, f"{mark} {res.subject} {res.expected} (actual {actual})")
        self.finished_at = time.time()
        self._say("finished", None, "every expectation holds" if self.passed
                  else "some expectations do not hold")


# ---- pure helpers (unit-tested) -------------------------------------------------------------------


class Unmeasured(ValueError):
    """The subject names a number this run did not measure (no statistics yet, no such mark...)."""


def measure(subject: str, verdict: VerdictFacts, metrics: RunMetrics,
            groups: dict[str, str] | None = None, *, producers: dict[str, str] | None = None,
            topics: dict[str, str] | None = None, marks: dict[str, RunMetrics] | None = None) -> float:
    """The number an expectation subject names, from the verdict and the run's own metrics (or, for
    ``SUBJECT@MARK``, from the metrics a ``mark`` step took). Logical names map to real ones through
    ``groups``, ``producers`` and ``topics``; raises :class:`Unmeasured` for a number not measured."""
    if "@" in subject:
        subject, _, mark = subject.partition("@")
        if marks is None or mark not in marks:
            raise Unmeasured(f"mark {mark!r} was not taken")
        metrics = marks[mark]
    family = subject.partition(".")[0]
    if family in MEASURED:
        return _measured(subject, metrics, groups or {}, producers or {}, topics or {})
    if subject == "sent-no-ack":
        return float(metrics.sent_no_ack)
    if subject in ANOMALY_KINDS:
        return float(verdict.counts.get(subject, 0))
    if subject == "violations":
        found = verdict.raw.get("violations")
        return float(sum(found.values())) if isinstance(found, dict) else 0.0
    if subject.startswith("errors."):
        return float(metrics.errors.get(subject.removeprefix("errors."), 0))
    if subject == "produced":
        return float(metrics.produced)
    if subject == "acked":
        return float(metrics.acked)
    if subject == "failed-definite":
        return float(metrics.failed_definite)
    if subject == "failed-indefinite":
        return float(metrics.failed_indefinite)
    if subject == "revoked-partitions":
        return float(sum(metrics.revoked_partitions.values()))
    if subject.startswith(("consumed.", "processed.")):
        kind, _, logical = subject.partition(".")
        real = (groups or {}).get(logical, logical)
        table = metrics.consumed if kind == "consumed" else metrics.processed
        return float(table.get(real, 0))
    if subject == "share-members-acquiring":
        return float(metrics.share_members_acquiring)
    if subject == "max-delivery-count":
        return float(metrics.max_delivery_count)
    if subject == "max-partition-share":
        shares = []
        for per_partition in metrics.partition_counts.values():
            total = sum(per_partition.values())
            if total:
                shares.append(max(per_partition.values()) / total)
        return max(shares, default=0.0)
    raise ValueError(f"Unknown expectation {subject!r}.")


def _measured(subject: str, metrics: RunMetrics, groups: dict[str, str], producers: dict[str, str],
              topics: dict[str, str]) -> float:
    family, logical, quantile, _mark = parse_measured(subject)
    kind = MEASURED[family][0]
    figure = family if quantile is None else f"{family}.{quantile}"
    if kind == "producer":
        table = metrics.producer_figures.get(producers.get(logical, logical), {})
    elif kind == "group":
        table = metrics.group_figures.get(groups.get(logical, logical), {})
    else:
        table = metrics.topic_figures.get(topics.get(logical, logical), {})
    if figure not in table:
        raise Unmeasured(f"{subject} was not measured")
    return float(table[figure])


def evaluate(exp: Expectation, verdict: VerdictFacts, metrics: RunMetrics,
             groups: dict[str, str] | None = None, *, producers: dict[str, str] | None = None,
             topics: dict[str, str] | None = None,
             marks: dict[str, RunMetrics] | None = None) -> ExpectationResult:
    """One expectation: a subject's value, or (``expect.compare``) the ratio or difference of two."""
    try:
        actual = measure(exp.subject, verdict, metrics, groups, producers=producers, topics=topics,
                         marks=marks)
        if exp.to is not None:
            other = measure(exp.to, verdict, metrics, groups, producers=producers, topics=topics,
                            marks=marks)
            if exp.mode == "ratio":
                if other == 0:
                    raise Unmeasured(f"{exp.to} is 0")
                actual = actual / other
            else:
                actual = actual - other
    except Unmeasured:
        return ExpectationResult(exp.text, exp.comparison.text(), None, False)
    return ExpectationResult(exp.text, exp.comparison.text(), actual, exp.comparison.holds(actual))


def kafka_satisfies(version: str, need: str) -> bool:
    """Whether Kafka ``version`` meets ``need`` (``>=4.2`` or an exact ``4.4.0``)."""
    from tui.lab.versions import version_key

    if need.startswith(">="):
        want = version_key(need[2:])
        return version_key(version)[:len(want)] >= want
    want = version_key(need)
    return version_key(version)[:len(want)] == want


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.3g}"


def _sentence(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if text.endswith((".", "!", "?")) else text + "."


__all__ = ["Comparison", "ExpectationResult", "Progress", "RunOutcome", "ScenarioRun", "StepResult",
           "describe", "evaluate", "measure"]
