"""Scenario YAML -> :class:`Scenario`, with errors a workshop author can fix from one sentence.

Every error names the file, the step number (when inside ``steps:``) and the field, e.g.
``acks1.yaml: step 3 (kill-node): 'leader-of' must look like topic/partition, not 'orders'.``
The file is read by :mod:`tui.yamldoc` (size cap, ``yaml.safe_load`` only: a scenario file can never
run code) with its typed getters; this module knows the scenario schema.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tui.engine import ResetTarget, TopicSpec, parse_poison
from tui.scenario.expect import (
    COMPARE_MODES,
    MEASURED,
    SUBJECTS,
    parse_comparison,
    parse_measured,
    valid_error_name,
)
from tui.scenario.model import (
    Ask,
    ClusterNeeds,
    Comparison,
    Expectation,
    Mark,
    MemberAction,
    NodeAction,
    NodeRef,
    Note,
    Produce,
    ProducerDecl,
    ResetGroupOffsets,
    Scenario,
    StartMembers,
    StartShareMembers,
    Step,
    StopProducer,
    SwitchPolicy,
    VerdictStep,
    WaitFor,
    WorkloadDecl,
)
from tui.vocab import (
    AckMode,
    Assignor,
    Compression,
    ErrorPolicy,
    GroupProtocol,
    Isolation,
    LabProfile,
    MemberState,
    MemberValueFormat,
    NodeState,
    OffsetReset,
    PolicyAction,
    Strategy,
    ValueContent,
    names,
)
from tui.vocab import NodeAction as NodeActionName
from tui.yamldoc import (
    MAX_BYTES,
    Where,
    YamlError,
    get_bool,
    get_choice,
    get_float,
    get_int,
    get_opt_choice,
    get_opt_int,
    get_opt_str,
    get_seconds,
    get_str,
    get_str_list,
    get_text_map,
    mapping,
    only,
    parse,
    read_text,
)
from tui.yamldoc import kind as value_kind

MAX_FILE_BYTES = MAX_BYTES
NODE_ACTIONS = names(NodeActionName)
WAIT_CONDITIONS = ("isr-size", "high-watermark", "leader", "consumed", "processed", "produced",
                   "assigned", "node-state",
                   "member-state", "stuck", "seconds")
STEP_KINDS = ("produce", "stop-producer", "start-members", "crash-member", "restart-member",
              "stop-member", "switch-strategy", "switch-policy", *(f"{a}-node" for a in NODE_ACTIONS),
              "wait", "note",
              "verdict", "reset-offsets", "mark")
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
_POLICY_FIELDS = ("on-error", "retries", "retry-backoff-ms", "retry-then")
_KAFKA_NEED = re.compile(r"^(>=)?\d+\.\d+(\.\d+)?$")
_FAIL_ID = re.compile(r"^([A-Za-z0-9_.-]{1,100}/)?\d{1,9}$")
_KEY_MODE = re.compile(r"^(none|random|fixed:.{1,1024}|cycle:[1-9]\d{0,6}|hot:\d{1,3}(\.\d+)?)$")


def bundled_dir() -> Path:
    """Where the bundled workshop scenarios live: the source checkout's ``sample_configs/``, or the
    copy an installed wheel carries as ``tui/sample_configs_data/``."""
    here = Path(__file__).resolve()
    checkout = here.parents[2] / "sample_configs" / "scenarios"
    if checkout.is_dir():
        return checkout
    return here.parents[1] / "sample_configs_data" / "scenarios"


def discover(directory: Path | None = None) -> list[tuple[Path, Scenario | ScenarioError]]:
    """Every ``*.yaml`` in ``directory`` (default: the bundled set), loaded or with its error."""
    root = directory or bundled_dir()
    found: list[tuple[Path, Scenario | ScenarioError]] = []
    for path in sorted(root.glob("*.y*ml")) if root.is_dir() else []:
        try:
            found.append((path, load_file(path)))
        except ScenarioError as exc:
            found.append((path, exc))
    return found


class ScenarioError(YamlError, ValueError):
    """A scenario file that cannot run; the message is one sentence naming file, step and field."""

    exit_code = 2  # `kafka-explorer run`: 2 when the file is wrong


def _step(w: Where, number: int, step_kind: str | None = None) -> Where:
    """Messages inside ``steps:`` say ``file: step 3 (kill-node): ``."""
    return w.within(f"step {number}" + (f" ({step_kind})" if step_kind else ""))


def _norm(key: object) -> str:
    return str(key).strip().replace("_", "-").lower()


def _mapping(w: Where, raw: object, what: str) -> dict[str, Any]:
    """A mapping whose keys are normalised: ``replica_assignment`` is ``replica-assignment``."""
    return mapping(w, raw, what, _norm)


def _name(w: Where, data: Mapping[str, Any], key: str, default: str | None = None) -> str:
    text = get_str(w, data, key, default)
    if not _NAME.match(text):
        w.fail(f"'{key}' may only use letters, digits, '_', '.' and '-' (1-100 chars), not {text!r}.")
    return text


# ---- top level ----------------------------------------------------------------------------------


def load_file(path: Path) -> Scenario:
    """Read and validate one scenario file; raises :class:`ScenarioError` (never anything else)."""
    text = read_text(path, what="scenario file", name=path.name, max_bytes=MAX_FILE_BYTES,
                     error=ScenarioError)
    return loads(text, source=path.name, slug=path.stem)


def loads(text: str, source: str = "<scenario>", slug: str = "") -> Scenario:
    """Parse scenario text; raises :class:`ScenarioError` for anything wrong."""
    w = Where(source, ScenarioError)
    raw = parse(text, source, error=ScenarioError).data
    try:
        return _scenario(w, raw, slug or _slug(source))
    except RecursionError:
        w.fail("the file nests too deeply.")


def _slug(source: str) -> str:
    return Path(source).stem if source and not source.startswith("<") else "scenario"


def _scenario(w: Where, raw: object, slug: str) -> Scenario:
    if not isinstance(raw, Mapping):
        w.fail(f"a scenario must be a mapping with title, goal and steps, not {value_kind(raw)}.")
    data = _mapping(w, raw, "scenario")
    only(w, data, ("title", "goal", "duration", "cluster", "topics", "steps", "expect", "tags"),
          "the scenario")
    title = get_str(w, data, "title", required=True)
    goal = get_str(w, data, "goal", required=True)
    duration = get_seconds(w, data, "duration", 60.0, high=3600.0)
    cluster = _cluster(w, data.get("cluster"))
    topics = _topics(w, data.get("topics"), cluster)
    tags = get_str_list(w, data, "tags")
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        w.fail("'steps' must be a non-empty list.")
    ctx = _StepContext(w, cluster, {t.name for t in topics})
    steps = tuple(ctx.step(i + 1, item) for i, item in enumerate(raw_steps))
    ctx.check_fail_producers()
    expectations = _expectations(w, data.get("expect"), ctx.groups, ctx)
    _check_asks(w, steps, expectations)
    return Scenario(title=title, goal=goal, steps=steps, expectations=expectations,
                    duration=duration, cluster=cluster, topics=topics, source=w.source, slug=slug,
                    tags=tuple(tags))


def _cluster(w: Where, raw: object) -> ClusterNeeds:
    data = _mapping(w, raw, "cluster")
    only(w, data, ("nodes", "profile", "kafka"), "'cluster'")
    nodes = get_int(w, data, "nodes", 1, low=1, high=3)
    if nodes not in (1, 3):
        w.fail(f"'cluster.nodes' must be 1 or 3, not {nodes}.")
    profile = get_choice(w, data, "profile", LabProfile, LabProfile.DEFAULT)
    kafka = None if data.get("kafka") is None else get_str(w, data, "kafka").replace(" ", "")
    if kafka is not None and not _KAFKA_NEED.match(kafka):
        w.fail(f"'cluster.kafka' must be a version like \">=4.2\" or \"4.4.0\", not {kafka!r}.")
    return ClusterNeeds(nodes, profile, kafka)


def _topics(w: Where, raw: object, cluster: ClusterNeeds) -> tuple[TopicSpec, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        w.fail("'topics' must be a list of topics (each with at least a name).")
    out: list[TopicSpec] = []
    for index, item in enumerate(raw, 1):
        data = _mapping(w, item, f"topics[{index}]")
        only(w, data, ("name", "partitions", "replication-factor", "min-insync-replicas",
                        "unclean-leader-election", "config", "replica-assignment"),
              f"topic {index}")
        name = _name(w, data, "name")
        if any(t.name == name for t in out):
            w.fail(f"topic {name!r} is declared twice.")
        rf = get_int(w, data, "replication-factor", 1, low=1, high=3)
        if rf > cluster.nodes:
            w.fail(f"topic {name!r} has replication-factor {rf} but the scenario's cluster has "
                   f"{cluster.nodes} node(s).")
        assignment = _assignment(w, data.get("replica-assignment"), name, cluster)
        partitions = get_int(w, data, "partitions", len(assignment) if assignment else 1, low=1,
                          high=1000)
        if assignment and len(assignment) != partitions:
            w.fail(f"topic {name!r}: replica-assignment lists {len(assignment)} partition(s) but "
                   f"partitions is {partitions}.")
        min_isr = get_opt_int(w, data, "min-insync-replicas", low=1, high=3)
        spec = TopicSpec(name=name, partitions=partitions, replication_factor=rf,
                         min_insync_replicas=min_isr,
                         unclean_leader_election=get_bool(w, data, "unclean-leader-election", False),
                         config=get_text_map(w, data.get("config"), "config"),
                         replica_assignment=assignment)
        try:
            out.append(spec.validate())
        except ValueError as exc:
            w.fail(f"topic {name!r}: {exc}")
    return tuple(out)


def _assignment(w: Where, raw: object, topic: str,
                cluster: ClusterNeeds) -> tuple[tuple[int, ...], ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not raw or not all(isinstance(r, list) and r for r in raw):
        w.fail(f"topic {topic!r}: replica-assignment must be a list of node lists, e.g. [[1, 2]].")
    out = []
    for replicas in raw:
        if not all(isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= cluster.nodes
                   for n in replicas) or len(set(replicas)) != len(replicas):
            w.fail(f"topic {topic!r}: replica-assignment entries must be distinct node numbers "
                   f"1..{cluster.nodes}.")
        out.append(tuple(replicas))
    return tuple(out)


def _expectations(w: Where, raw: object, groups: set[str],
                  ctx: _StepContext | None = None) -> tuple[Expectation, ...]:
    data = _mapping(w, raw, "expect")
    out: list[Expectation] = []
    for key, value in data.items():
        if key == "compare":
            out.extend(_comparisons(w, value, ctx))
            continue
        if key in ("consumed", "processed"):
            if not isinstance(value, Mapping) or not value:
                w.fail(f"'expect.{key}' must map group names to comparisons, e.g. {{readers: 20}}.")
            for group, cmp_raw in value.items():
                if group not in groups:
                    w.fail(f"'expect.{key}' names group {group!r}, which no start-members step uses.")
                out.append(Expectation(f"{key}.{group}", _cmp(w, cmp_raw, f"expect.{key}.{group}"),
                                       group=str(group)))
            continue
        if key == "errors":
            if not isinstance(value, Mapping) or not value:
                w.fail("'expect.errors' must map error names to comparisons, e.g. "
                       "{NOT_ENOUGH_REPLICAS: \">0\"}.")
            for name, cmp_raw in value.items():
                if not valid_error_name(name):
                    w.fail(f"'expect.errors' key {name!r} is not an error name like "
                           "NOT_ENOUGH_REPLICAS.")
                out.append(Expectation(f"errors.{name}", _cmp(w, cmp_raw, f"expect.errors.{name}")))
            continue
        if key not in SUBJECTS:
            w.fail(f"unknown expectation '{key}'; expect one of: {', '.join(SUBJECTS)}, errors, "
                   "consumed, processed.")
        out.append(Expectation(key, _cmp(w, value, f"expect.{key}")))
    return tuple(out)


def _comparisons(w: Where, raw: object, ctx: _StepContext | None) -> list[Expectation]:
    """``compare: [{of: SUBJECT, to: SUBJECT, ratio: CMP}, {of:, to:, difference: CMP}]``."""
    if not isinstance(raw, list) or not raw:
        w.fail("'expect.compare' must be a list like [{of: latency.p50.slow, to: latency.p50.fast, "
               "ratio: \">=3\"}].")
    out: list[Expectation] = []
    for index, item in enumerate(raw, 1):
        data = _mapping(w, item, f"expect.compare[{index}]")
        only(w, data, ("of", "to", *COMPARE_MODES), f"expect.compare[{index}]")
        modes = [m for m in COMPARE_MODES if data.get(m) is not None]
        if len(modes) != 1:
            w.fail(f"'expect.compare[{index}]' needs exactly one of 'ratio' or 'difference'.")
        of = _compared(w, get_str(w, data, "of", required=True), ctx, f"expect.compare[{index}].of")
        to = _compared(w, get_str(w, data, "to", required=True), ctx, f"expect.compare[{index}].to")
        out.append(Expectation(of, _cmp(w, data[modes[0]], f"expect.compare[{index}].{modes[0]}"),
                               to=to, mode=modes[0]))
    return out


def _compared(w: Where, subject: str, ctx: _StepContext | None, key: str) -> str:
    """A subject a comparison may name, checked against the scenario's names and marks."""
    text, _, mark = subject.strip().partition("@")
    if mark and (ctx is None or mark not in ctx.marks):
        w.fail(f"'{key}' reads mark {mark!r}, which no 'mark' step takes.")
    family = text.partition(".")[0]
    if family in MEASURED:
        try:
            _family, name, _quantile, _mark = parse_measured(text)
        except ValueError as exc:
            w.fail(f"'{key}': {exc}.")
        kind = MEASURED[family][0]
        known = ({"producer": set(ctx.producers), "group": ctx.groups, "topic": ctx.topics}[kind]
                 if ctx is not None else None)
        if known is not None and name not in known:
            w.fail(f"'{key}' names {kind} {name!r}, which the scenario does not "
                   f"{'declare' if kind == 'topic' else 'start'}.")
        return subject.strip()
    if family in ("consumed", "processed"):
        group = text.partition(".")[2]
        if ctx is not None and group not in ctx.groups:
            w.fail(f"'{key}' names group {group!r}, which no start-members step uses.")
        return subject.strip()
    if text.startswith("errors.") and valid_error_name(text.removeprefix("errors.")):
        return subject.strip()
    if text in SUBJECTS:
        if mark and text not in ("produced", "acked", "sent-no-ack", "failed-definite",
                                 "failed-indefinite", "revoked-partitions"):
            w.fail(f"'{key}': {text!r} is judged by the verdict, so it has no value at a mark.")
        return subject.strip()
    w.fail(f"'{key}': unknown subject {subject!r}; compare measured numbers "
           f"({', '.join(f'{f}.NAME' for f in MEASURED)}), consumed.GROUP, processed.GROUP, "
           "errors.NAME or an expectation subject.")


def _cmp(w: Where, raw: object, key: str) -> Comparison:
    try:
        return parse_comparison(raw)
    except ValueError as exc:
        w.fail(f"'{key}': {exc}.")


# ---- steps --------------------------------------------------------------------------------------


MAX_CHOICES = 5


def _ask(w: Where, raw: object) -> Ask:
    """``ask: {question, choices: [2..5], answer: N or the choice's text, why, check: SUBJECT(S)}``."""
    data = _mapping(w, raw, "ask")
    only(w, data, ("question", "choices", "answer", "why", "check"), "'ask'")
    question = data.get("question")
    if not isinstance(question, str) or not question.strip():
        w.fail("'ask.question' must be the question the room answers, as text.")
    raw_choices = data.get("choices")
    if not isinstance(raw_choices, list) or not all(isinstance(c, str | int | float) and
                                                    not isinstance(c, bool) for c in raw_choices):
        w.fail("'ask.choices' must be a list of 2 to 5 answers as text, e.g. [\"none\", \"some\", "
               "\"all\"] (quote yes, no, on and off).")
    choices = tuple(str(c).strip() for c in raw_choices)
    if not 2 <= len(choices) <= MAX_CHOICES:
        w.fail(f"'ask.choices' must list 2 to {MAX_CHOICES} answers, not {len(choices)}.")
    if any(not c for c in choices) or len(set(choices)) != len(choices):
        w.fail("'ask.choices' must be distinct, non-empty answers.")
    right = None
    answer = data.get("answer")
    if answer is not None:
        if isinstance(answer, int) and not isinstance(answer, bool):
            if not 1 <= answer <= len(choices):
                w.fail(f"'ask.answer' must be a choice number from 1 to {len(choices)}, not {answer}.")
            right = answer - 1
        elif isinstance(answer, str) and answer.strip() in choices:
            right = choices.index(answer.strip())
        else:
            w.fail(f"'ask.answer' must be a choice number (1-{len(choices)}) or one of the choices, "
                   f"not {answer!r}.")
    why = "" if data.get("why") is None else get_str(w, data, "why")
    raw_check = data.get("check")
    if raw_check is None:
        check: tuple[str, ...] = ()
    elif isinstance(raw_check, str):
        check = (raw_check.strip(),)
    elif isinstance(raw_check, list) and raw_check and all(isinstance(c, str) for c in raw_check):
        check = tuple(c.strip() for c in raw_check)
    else:
        w.fail("'ask.check' must name an expectation (a key of 'expect:') or a list of them.")
    return Ask(question=question.strip(), choices=choices, right=right, why=why.strip(), check=check)


def _check_asks(w: Where, steps: tuple[Step, ...], expectations: tuple[Expectation, ...]) -> None:
    """Every ``ask.check`` names an expectation of the file (so the run verifies the answer)."""
    subjects = {e.subject for e in expectations}
    for step in steps:
        for subject in step.ask.check if step.ask is not None else ():
            if subject not in subjects:
                _step(w, step.number, step.kind).fail(
                    f"'ask.check' names {subject!r}, which 'expect:' does not check"
                    + (f" (it checks {', '.join(sorted(subjects))})." if subjects else
                       " (the file has no expectations)."))


class _StepContext:
    """Validates steps in order, remembering producers, members and saved node names."""

    def __init__(self, w: Where, cluster: ClusterNeeds, topics: set[str]) -> None:
        self.w = w
        self.cluster = cluster
        self.topics = topics
        self.producers: dict[str, bool] = {}
        """name -> runs until stopped (count None)."""
        self.members: set[str] = set()
        self.groups: set[str] = set()
        self.saved: set[str] = set()
        self.marks: set[str] = set()
        self.member_groups: dict[str, str] = {}
        self.share_groups: set[str] = set()
        self.fail_producers: list[tuple[Where, str]] = []
        """Producers named by share members' fail-ids (a produce step may come later)."""

    def check_fail_producers(self) -> None:
        for w, producer in self.fail_producers:
            if producer not in self.producers:
                w.fail(f"'fail-ids' names producer {producer!r}, which no produce step starts.")

    def step(self, number: int, raw: object) -> Step:
        w = _step(self.w, number)
        if not isinstance(raw, Mapping):
            w.fail(f"a step must be a mapping like '- produce: {{...}}', not {value_kind(raw)}.")
        data = _mapping(w, raw, "step")
        kinds = [k for k in data if k not in ("narrate", "title", "ask")]
        if len(kinds) != 1:
            w.fail("a step needs exactly one action (" + ", ".join(STEP_KINDS) + "), found "
                   + (", ".join(kinds) if kinds else "none") + ".")
        kind = kinds[0]
        if kind not in STEP_KINDS:
            w.fail(f"unknown action '{kind}'; use one of: {', '.join(STEP_KINDS)}.")
        w = _step(self.w, number, kind)
        narrate = "" if data.get("narrate") is None else get_str(w, data, "narrate")
        title = "" if data.get("title") is None else get_str(w, data, "title")
        action = self._action(w, kind, data[kind])
        ask = None if data.get("ask") is None else _ask(w, data["ask"])
        return Step(number=number, kind=kind, action=action, narrate=narrate, title=title, ask=ask)

    def _topic(self, w: Where, name: str, key: str) -> str:
        if name not in self.topics:
            w.fail(f"'{key}' names topic {name!r}, which is not declared under 'topics'.")
        return name

    def _member(self, w: Where, name: str) -> str:
        if name not in self.members:
            w.fail(f"member {name!r} was not started by an earlier start-members step.")
        return name

    def _action(self, w: Where, kind: str, raw: object) -> Any:
        if kind == "produce":
            return self._produce(w, raw)
        if kind == "stop-producer":
            name = raw if isinstance(raw, str) else get_str(w, _mapping(w, raw, kind), "name")
            if name not in self.producers:
                w.fail(f"producer {name!r} was not started by an earlier produce step.")
            return StopProducer(name)
        if kind == "start-members":
            return self._members(w, raw)
        if kind in ("crash-member", "restart-member", "stop-member", "switch-strategy"):
            return self._member_action(w, kind, raw)
        if kind == "switch-policy":
            return self._switch_policy(w, raw)
        if kind.endswith("-node"):
            return self._node_action(w, kind.removesuffix("-node"), raw)
        if kind == "wait":
            return self._wait(w, raw)
        if kind == "note":
            return Note()
        if kind == "reset-offsets":
            return self._reset(w, raw)
        if kind == "mark":
            return self._mark(w, raw)
        data = _mapping(w, raw, kind)
        only(w, data, ("timeout", "heal"), "verdict")
        return VerdictStep(timeout=get_seconds(w, data, "timeout", 60.0, low=1.0, high=600.0),
                           heal=get_bool(w, data, "heal", True))

    def _mark(self, w: Where, raw: object) -> Mark:
        name = raw if isinstance(raw, str) else get_str(w, _mapping(w, raw, "mark"), "as", required=True)
        if not _NAME.match(name):
            w.fail(f"a mark needs a simple name, not {name!r}.")
        if name in self.marks:
            w.fail(f"mark {name!r} is taken twice; give each mark its own name.")
        self.marks.add(name)
        return Mark(name)

    def _produce(self, w: Where, raw: object) -> Produce:
        data = _mapping(w, raw, "produce")
        only(w, data, ("name", "topic", "count", "rate", "keys", "value-size", "partition",
                        "profile", "background", "timeout", "value-content", "poison"), "produce")
        name = _name(w, data, "name", "p1")
        if name in self.producers:
            w.fail(f"producer {name!r} is already used by an earlier step; pick another name.")
        topic = self._topic(w, get_str(w, data, "topic", required=True), "topic")
        count: int | None
        if isinstance(data.get("count"), str) and str(data["count"]).strip() == "until-stopped":
            count = None
        else:
            count = get_int(w, data, "count", 100, low=0, high=10_000_000)
        background = get_bool(w, data, "background", False)
        if count is None and not background:
            w.fail("'count: until-stopped' needs 'background: true' and a later stop-producer step.")
        rate = None if data.get("rate") is None else get_float(w, data, "rate", low=0.001,
                                                              high=1_000_000.0)
        keys = get_str(w, data, "keys", "none")
        if not _KEY_MODE.match(keys):
            w.fail(f"'keys' must be none, fixed:K, cycle:N, random or hot:P, not {keys!r}.")
        if keys.startswith("hot:") and float(keys[4:]) > 100:
            w.fail(f"'keys' hot:P needs P between 0 and 100, not {keys[4:]}.")
        poison = get_opt_str(w, data, "poison")
        if poison is not None:
            try:
                parse_poison(poison)
            except ValueError as exc:
                w.fail(f"'poison': {exc}")
        workload = WorkloadDecl(topic=topic, count=count, rate=rate, keys=keys,
                                value_size=get_int(w, data, "value-size", 100, low=0, high=1_000_000),
                                partition=get_opt_int(w, data, "partition", high=999),
                                value_content=get_choice(w, data, "value-content", ValueContent,
                                                         ValueContent.KX),
                                poison=poison)
        profile = self._profile(w, data.get("profile"))
        self.producers[name] = count is None
        return Produce(name=name, producer=profile, workload=workload, wait=not background,
                       timeout=get_seconds(w, data, "timeout", 60.0, low=1.0, high=3600.0))

    def _profile(self, w: Where, raw: object) -> ProducerDecl:
        data = _mapping(w, raw, "profile")
        only(w, data, ("acks", "idempotence", "retries", "max-in-flight", "linger-ms", "batch-size",
                        "compression", "message-timeout-ms", "request-timeout-ms", "extra", "resend"),
              "profile")
        acks = str(data.get("acks", "all")).strip().lower()
        acks = "all" if acks == "-1" else acks
        if acks not in ("0", "1", "all"):
            w.fail(f"'profile.acks' must be 0, 1 or all, not {data.get('acks')!r}.")
        decl = ProducerDecl(
            acks=acks,
            idempotence=get_bool(w, data, "idempotence", False),
            retries=get_opt_int(w, data, "retries"),
            max_in_flight=get_opt_int(w, data, "max-in-flight", low=1, high=1_000_000),
            linger_ms=get_opt_int(w, data, "linger-ms", high=900_000),
            batch_size=get_opt_int(w, data, "batch-size", low=1),
            compression=get_opt_choice(w, data, "compression", Compression),
            message_timeout_ms=get_opt_int(w, data, "message-timeout-ms"),
            request_timeout_ms=get_opt_int(w, data, "request-timeout-ms", low=1, high=900_000),
            resend=get_int(w, data, "resend", 0, low=0, high=100),
            extra=get_text_map(w, data.get("extra"), "profile.extra"),
        )
        if decl.idempotence and decl.acks != "all":
            w.fail("idempotence needs 'acks: all': the broker only de-duplicates retries of writes "
                   "every in-sync replica has.")
        return decl

    def _members(self, w: Where, raw: object) -> StartMembers | StartShareMembers:
        data = _mapping(w, raw, "start-members")
        kind = data.pop("type", "group")
        if kind == "share":
            return self._share_members(w, data)
        if kind != "group":
            w.fail(f"'type' must be group or share, not {kind!r}.")
        only(w, data, ("group", "topic", "topics", "name", "count", "strategy", "assignor",
                        "protocol", "auto-offset-reset", "isolation-level", "processing-ms",
                        "batch-size", "output-topic", "session-timeout-ms", "static", "crash-after",
                        "auto-commit-interval-ms", "max-poll-interval-ms", "consumer", *_POLICY_FIELDS,
                        "commit-on-revoke", "value-format", "fail-ids", "fail-rate", "fail-transient"),
              "start-members")
        group = _name(w, data, "group")
        if "topic" in data and "topics" in data:
            w.fail("give either 'topic' or 'topics', not both.")
        raw_topics = data.get("topics", data.get("topic"))
        if isinstance(raw_topics, str):
            raw_topics = [raw_topics]
        if not isinstance(raw_topics, list) or not raw_topics or not all(
                isinstance(t, str) for t in raw_topics):
            w.fail("'topic' (or 'topics') is required: the topic(s) the members subscribe to.")
        topics = tuple(self._topic(w, t, "topic") for t in raw_topics)
        protocol = get_choice(w, data, "protocol", GroupProtocol, GroupProtocol.CLASSIC)
        assignor = get_opt_choice(w, data, "assignor", Assignor)
        if protocol == "consumer" and assignor is not None:
            w.fail("'assignor' is for the classic protocol; with 'protocol: consumer' the broker "
                   "assigns partitions.")
        if protocol == "consumer" and data.get("session-timeout-ms") is not None:
            w.fail("'session-timeout-ms' is set by the broker under 'protocol: consumer'.")
        strategy = get_choice(w, data, "strategy", Strategy, Strategy.SYNC_PER_BATCH)
        output = get_opt_str(w, data, "output-topic")
        if output is not None:
            self._topic(w, output, "output-topic")
        if strategy == "transactional" and output is None:
            w.fail("strategy 'transactional' copies records: give 'output-topic'.")
        spec = StartMembers(
            group=group, topics=topics, name=_name(w, data, "name", "m"),
            count=get_int(w, data, "count", 1, low=1, high=20), strategy=strategy, assignor=assignor,
            protocol=protocol,
            auto_offset_reset=get_str(w, data, "auto-offset-reset", OffsetReset.EARLIEST,
                                   choices=(OffsetReset.EARLIEST, OffsetReset.LATEST)),
            isolation_level=get_choice(w, data, "isolation-level", Isolation,
                                       Isolation.READ_COMMITTED),
            processing_ms=get_int(w, data, "processing-ms", 0, high=600_000),
            batch_size=get_opt_int(w, data, "batch-size", low=1, high=100_000),
            output_topic=output,
            session_timeout_ms=get_opt_int(w, data, "session-timeout-ms", low=1000, high=3_600_000),
            static=get_bool(w, data, "static", False),
            crash_after=get_opt_int(w, data, "crash-after", low=1, high=10_000_000),
            auto_commit_interval_ms=get_opt_int(w, data, "auto-commit-interval-ms", low=1,
                                             high=3_600_000),
            max_poll_interval_ms=get_opt_int(w, data, "max-poll-interval-ms", low=1000,
                                          high=86_400_000),
            consumer=get_text_map(w, data.get("consumer"), "consumer"),
            **self._policy(w, data),
            commit_on_revoke=get_bool(w, data, "commit-on-revoke", False),
            value_format=get_opt_choice(w, data, "value-format", MemberValueFormat),
            fail_ids=self._member_fail_ids(w, data),
            fail_rate=None if data.get("fail-rate") is None else get_float(w, data, "fail-rate",
                                                                           low=0.0, high=1.0),
            fail_transient=get_opt_int(w, data, "fail-transient", high=1000),
        )
        for member in spec.member_names():
            if member in self.members:
                w.fail(f"member {member!r} already exists; give this step another 'name'.")
            self.members.add(member)
            self.member_groups[member] = group
        self.groups.add(group)
        return spec

    def _member_fail_ids(self, w: Where, data: Mapping[str, Any]) -> tuple[str, ...]:
        """A group member's ``fail-ids``: PRODUCER/SEQ (a produce step's name) or a bare SEQ, read as
        the share members' are."""
        raw = data.get("fail-ids")
        if raw is not None and not isinstance(raw, list):
            w.fail("'fail-ids' must be a list, e.g. [p1/4] or [4].")
        out = []
        for item in raw or []:
            text = str(item).strip()
            if isinstance(item, bool) or not _FAIL_ID.match(text):
                w.fail(f"'fail-ids' entries are PRODUCER/SEQ or a sequence number, not {item!r}.")
            if "/" in text:
                self.fail_producers.append((w, text.partition("/")[0]))
            out.append(text)
        return tuple(out)

    def _policy(self, w: Where, data: Mapping[str, Any], required: bool = False) -> dict[str, Any]:
        """The error policy fields (``on-error``, ``retries``, ``retry-backoff-ms``, ``retry-then``)."""
        on_error = (get_choice(w, data, "on-error", ErrorPolicy) if required
                    else get_opt_choice(w, data, "on-error", ErrorPolicy))
        retry_then = get_opt_str(w, data, "retry-then")
        if retry_then is not None and retry_then not in (PolicyAction.SKIP, PolicyAction.DEAD_LETTER):
            w.fail(f"'retry-then' must be skip or dead-letter, not {retry_then!r}.")
        tuning = [k for k in ("retries", "retry-backoff-ms", "retry-then") if data.get(k) is not None]
        if tuning and on_error != ErrorPolicy.RETRY:
            w.fail(f"'{tuning[0]}' is for 'on-error: retry'.")
        return {"on_error": on_error, "retries": get_opt_int(w, data, "retries", high=100),
                "retry_backoff_ms": get_opt_int(w, data, "retry-backoff-ms", high=600_000),
                "retry_then": retry_then}

    def _switch_policy(self, w: Where, raw: object) -> SwitchPolicy:
        data = _mapping(w, raw, "switch-policy")
        only(w, data, ("member", *_POLICY_FIELDS, "commit-on-revoke"), "switch-policy")
        member = self._member(w, get_str(w, data, "member", required=True))
        if self.member_groups.get(member) in self.share_groups:
            w.fail(f"member {member!r} is a share-group member; error policies are for group members.")
        listener = (None if data.get("commit-on-revoke") is None
                    else get_bool(w, data, "commit-on-revoke", False))
        return SwitchPolicy(member=member, **self._policy(w, data, required=True),
                            commit_on_revoke=listener)

    def _share_members(self, w: Where, data: dict[str, Any]) -> StartShareMembers:
        """``start-members: {type: share, ...}``: share-group members and their group's settings."""
        only(w, data, ("group", "topic", "topics", "name", "count", "ack", "fail-ids", "fail-transient",
                        "processing-ms", "crash-after", "auto-offset-reset", "lock-ms", "delivery-limit",
                        "max-records"), "start-members (type share)")
        group = _name(w, data, "group")
        if "topic" in data and "topics" in data:
            w.fail("give either 'topic' or 'topics', not both.")
        raw_topics = data.get("topics", data.get("topic"))
        if isinstance(raw_topics, str):
            raw_topics = [raw_topics]
        if not isinstance(raw_topics, list) or not raw_topics or not all(
                isinstance(t, str) for t in raw_topics):
            w.fail("'topic' (or 'topics') is required: the topic(s) the share members subscribe to.")
        if group in self.groups and group not in self.share_groups:
            w.fail(f"group {group!r} is a consumer group of an earlier step; a share group needs its own name.")
        fail_ids = []
        for item in data.get("fail-ids") or []:
            text = str(item).strip()
            if isinstance(item, bool) or not _FAIL_ID.match(text):
                w.fail(f"'fail-ids' entries are PRODUCER/SEQ or a sequence number, not {item!r}.")
            if "/" in text:
                self.fail_producers.append((w, text.partition("/")[0]))
            fail_ids.append(text)
        if data.get("fail-ids") is not None and not isinstance(data.get("fail-ids"), list):
            w.fail("'fail-ids' must be a list, e.g. [p1/4] or [4].")
        spec = StartShareMembers(
            group=group, topics=tuple(self._topic(w, t, "topic") for t in raw_topics),
            name=_name(w, data, "name", "s"), count=get_int(w, data, "count", 1, low=1, high=20),
            ack_mode=get_choice(w, data, "ack", AckMode, AckMode.EXPLICIT), fail_ids=tuple(fail_ids),
            fail_transient=get_int(w, data, "fail-transient", 0, high=1000),
            processing_ms=get_int(w, data, "processing-ms", 0, high=600_000),
            crash_after=get_opt_int(w, data, "crash-after", low=1, high=10_000_000),
            auto_offset_reset=get_str(w, data, "auto-offset-reset", OffsetReset.EARLIEST,
                                      choices=(OffsetReset.EARLIEST, OffsetReset.LATEST)),
            lock_ms=get_opt_int(w, data, "lock-ms", low=1000, high=3_600_000),
            delivery_limit=get_opt_int(w, data, "delivery-limit", low=1, high=100),
            max_records=get_opt_int(w, data, "max-records", low=1, high=100_000))
        if (spec.fail_ids or spec.fail_transient) and spec.ack_mode == AckMode.IMPLICIT:
            w.fail("injected failures need 'ack: explicit': in implicit mode every record is accepted at the "
                   "next poll, failed or not.")
        for member in spec.member_names():
            if member in self.members:
                w.fail(f"member {member!r} already exists; give this step another 'name'.")
            self.members.add(member)
            self.member_groups[member] = group
        self.groups.add(group)
        self.share_groups.add(group)
        return spec

    def _reset(self, w: Where, raw: object) -> ResetGroupOffsets:
        data = _mapping(w, raw, "reset-offsets")
        only(w, data, ("group", "topic", "to", "partition"), "reset-offsets")
        group = get_str(w, data, "group", required=True)
        if group not in self.groups:
            w.fail(f"'reset-offsets' names group {group!r}, which no earlier start-members step used.")
        to = get_str(w, data, "to", "earliest")
        try:
            ResetTarget.parse(to)
        except ValueError as exc:
            w.fail(f"'to': {exc}")
        return ResetGroupOffsets(group=group,
                                 topic=self._topic(w, get_str(w, data, "topic", required=True), "topic"),
                                 to=to, partition=get_opt_int(w, data, "partition", high=999))

    def _member_action(self, w: Where, kind: str, raw: object) -> MemberAction:
        action = kind.removesuffix("-member")
        if isinstance(raw, str) and kind != "switch-strategy":
            return MemberAction(action, self._member(w, raw))
        data = _mapping(w, raw, kind)
        allowed = {"crash-member": ("member", "after-records"), "restart-member": ("member",),
                   "stop-member": ("member",), "switch-strategy": ("member", "strategy")}[kind]
        only(w, data, allowed, kind)
        member = self._member(w, get_str(w, data, "member", required=True))
        if kind == "switch-strategy" and self.member_groups.get(member) in self.share_groups:
            w.fail(f"member {member!r} is a share member: it acknowledges records, it has no commit strategy.")
        if kind == "switch-strategy":
            return MemberAction("switch", member,
                                strategy=get_choice(w, data, "strategy", Strategy))
        after = get_opt_int(w, data, "after-records", high=10_000_000) if kind == "crash-member" else None
        return MemberAction(action, member, after_records=after)

    def _node_ref(self, w: Where, data: Mapping[str, Any]) -> NodeRef:
        given = [k for k in ("node", "leader-of", "follower-of") if data.get(k) is not None]
        if len(given) != 1:
            w.fail("name exactly one node: 'node: N' (or a name saved with 'as:'), "
                   "'leader-of: topic/partition' or 'follower-of: topic/partition'.")
        key = given[0]
        value = data[key]
        if key == "node":
            if isinstance(value, int) and not isinstance(value, bool):
                if not 1 <= value <= self.cluster.nodes:
                    w.fail(f"'node' must be between 1 and {self.cluster.nodes}, not {value}.")
                return NodeRef(number=value)
            if isinstance(value, str) and value in self.saved:
                return NodeRef(ref=value)
            w.fail(f"'node' must be a node number or a name saved earlier with 'as:', not {value!r}.")
        if not isinstance(value, str) or value.count("/") != 1:
            w.fail(f"'{key}' must look like topic/partition, not {value!r}.")
        topic, _, part = value.partition("/")
        self._topic(w, topic, key)
        if not part.isdigit():
            w.fail(f"'{key}' must look like topic/partition with a partition number, not {value!r}.")
        if key == "follower-of" and self.cluster.nodes == 1:
            w.fail("'follower-of' needs a replicated topic; this scenario's cluster has one node.")
        return NodeRef(role=key, topic=topic, partition=int(part))

    def _node_action(self, w: Where, action: str, raw: object) -> NodeAction:
        if isinstance(raw, int) and not isinstance(raw, bool):
            data: dict[str, Any] = {"node": raw}
        elif isinstance(raw, str):
            data = {"node": raw}
        else:
            data = _mapping(w, raw, f"{action}-node")
        only(w, data, ("node", "leader-of", "follower-of", "as"), f"{action}-node")
        ref = self._node_ref(w, data)
        save_as = get_opt_str(w, data, "as")
        if save_as is not None:
            if not _NAME.match(save_as):
                w.fail(f"'as' must be a simple name, not {save_as!r}.")
            self.saved.add(save_as)
        return NodeAction(action, ref, save_as)

    def _wait(self, w: Where, raw: object) -> WaitFor:
        data = _mapping(w, raw, "wait")
        timeout = get_seconds(w, data, "timeout", 60.0, low=0.5, high=3600.0)
        conds = [k for k in data if k not in ("timeout", "reason")]
        if len(conds) != 1:
            w.fail("'wait' needs exactly one condition: " + ", ".join(WAIT_CONDITIONS) + ".")
        cond = conds[0]
        if cond not in WAIT_CONDITIONS:
            w.fail(f"unknown wait condition '{cond}'; use one of: {', '.join(WAIT_CONDITIONS)}.")
        reason = "" if data.get("reason") is None else get_str(w, data, "reason")
        if cond == "seconds":
            seconds = get_seconds(w, data, "seconds", low=0.0, high=120.0)
            if not reason:
                w.fail("'wait: seconds' is only for a bounded pause with a narrated 'reason' "
                       "(wait for a condition instead where you can).")
            return WaitFor("seconds", seconds=seconds, reason=reason, timeout=seconds + 1)
        if cond == "produced":
            value = data[cond]
            name = value if isinstance(value, str) else get_str(w, _mapping(w, value, "produced"), "producer")
            if name not in self.producers:
                w.fail(f"'produced' names producer {name!r}, which no earlier produce step started.")
            if self.producers[name]:
                w.fail(f"producer {name!r} runs until stopped; wait for something else.")
            return WaitFor("produced", producer=name, reason=reason, timeout=timeout)
        sub = _mapping(w, data[cond], cond)
        if cond in ("isr-size", "high-watermark"):
            only(w, sub, ("topic", "partition", "equals", "at-least", "at-most", "is"), cond)
            return WaitFor(cond, topic=self._topic(w, get_str(w, sub, "topic", required=True), "topic"),
                           partition=get_int(w, sub, "partition", 0, high=999),
                           comparison=self._count_cmp(w, sub, cond), reason=reason,
                           timeout=timeout)
        if cond == "leader":
            only(w, sub, ("topic", "partition", "is", "not", "any"), "leader")
            topic = self._topic(w, get_str(w, sub, "topic", required=True), "topic")
            given = [k for k in ("is", "not", "any") if sub.get(k) is not None]
            if len(given) != 1:
                w.fail("'leader' needs exactly one of 'is: NODE', 'not: NODE' or 'any: true'.")
            node = None
            if given[0] != "any":
                node = self._node_ref(w, {"node": sub[given[0]]})
            return WaitFor("leader", topic=topic, partition=get_int(w, sub, "partition", 0, high=999),
                           node=node, negate=given[0] == "not", reason=reason, timeout=timeout)
        if cond in ("consumed", "processed"):
            only(w, sub, ("group", "count"), cond)
            group = get_str(w, sub, "group", required=True)
            if group not in self.groups:
                w.fail(f"'{cond}' names group {group!r}, which no earlier start-members step used.")
            count = get_int(w, sub, "count", low=0, high=100_000_000)
            return WaitFor(cond, group=group, comparison=Comparison(">=", count),
                           reason=reason, timeout=timeout)
        if cond == "assigned":
            only(w, sub, ("group", "members"), "assigned")
            group = get_str(w, sub, "group", required=True)
            if group not in self.groups:
                w.fail(f"'assigned' names group {group!r}, which no earlier start-members step used.")
            members = get_int(w, sub, "members", 1, low=1, high=100)
            return WaitFor("assigned", group=group, comparison=Comparison(">=", members),
                           reason=reason, timeout=timeout)
        if cond == "stuck":
            only(w, sub, ("group", "partitions"), "stuck")
            group = get_str(w, sub, "group", required=True)
            if group not in self.groups or group in self.share_groups:
                w.fail(f"'stuck' names group {group!r}, which no earlier start-members step used.")
            return WaitFor("stuck", group=group,
                           comparison=Comparison(">=", get_int(w, sub, "partitions", 1, low=1, high=1000)),
                           reason=reason, timeout=timeout)
        if cond == "member-state":
            only(w, sub, ("member", "state"), "member-state")
            return WaitFor("member-state",
                           member=self._member(w, get_str(w, sub, "member", required=True)),
                           state=get_choice(w, sub, "state", MemberState),
                           reason=reason, timeout=timeout)
        only(w, sub, ("node", "state"), "node-state")
        node = self._node_ref(w, {"node": sub.get("node")})
        return WaitFor("node-state", node=node,
                       state=get_choice(w, sub, "state", NodeState), reason=reason,
                       timeout=timeout)

    def _count_cmp(self, w: Where, sub: Mapping[str, Any], what: str) -> Comparison:
        given = [k for k in ("equals", "at-least", "at-most", "is") if sub.get(k) is not None]
        if len(given) != 1:
            w.fail(f"'{what}' needs exactly one of 'equals', 'at-least', 'at-most' or 'is'.")
        key = given[0]
        if key == "is":
            return _cmp(w, sub[key], f"{what}.is")
        value = get_int(w, sub, key, low=0, high=1_000_000_000)
        return Comparison({"equals": "==", "at-least": ">=", "at-most": "<="}[key], value)
