"""The one command registry: it feeds key bindings, the command palette and the help screen.

Each command has a stable ``id`` (users remap it in ``keymap.yaml``: ``node.kill: ctrl+k``), a
default key, a title and a one-sentence help. ``scope`` says where it acts: ``app`` commands are
app-wide; a pane scope (``cluster``, ``produce``...) binds on that pane, and the palette switches to
the pane before running it.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding, BindingType


@dataclass(frozen=True)
class UICommand:
    id: str
    key: str
    title: str
    help: str
    action: str
    """A Textual action string run on the scope's target (the app or the pane)."""
    scope: str = "app"
    show: bool = True
    """Shown in the footer."""
    lab_only: bool = False


SCREENS: tuple[tuple[str, str], ...] = (
    ("cluster", "Cluster"),
    ("produce", "Produce"),
    ("consumers", "Consumers"),
    ("verdict", "Verdict"),
    ("timeline", "Timeline"),
)
"""(pane id, tab title) in tab order."""

COMMANDS: tuple[UICommand, ...] = (
    # app-wide
    UICommand("screen.cluster", "1", "Cluster screen", "Brokers, lab nodes, topics and partitions.",
              "show_pane('cluster')", show=False),
    UICommand("screen.produce", "2", "Produce screen", "Producer profiles, latency and deliveries.",
              "show_pane('produce')", show=False),
    UICommand("screen.consumers", "3", "Consumers screen",
              "Group members, strategies, assignment and lag.", "show_pane('consumers')", show=False),
    UICommand("screen.verdict", "4", "Verdict screen", "What happened to every record, and why.",
              "show_pane('verdict')", show=False),
    UICommand("screen.timeline", "5", "Timeline screen", "Every event, filterable.",
              "show_pane('timeline')", show=False),
    UICommand("screen.scenarios", "6", "Scenarios screen",
              "Workshop scenarios: run one step by step with narration.", "scenarios", show=False),
    UICommand("app.help", "f1,question_mark", "Help", "Every command and its key.", "help"),
    UICommand("app.theme", "f2", "Next theme", "Switch to the next theme (remembered).",
              "next_theme"),
    UICommand("app.quit", "q", "Quit", "Stop producers and members and leave.", "quit"),
    # cluster
    UICommand("topic.create", "n", "Create topic",
              "Create a topic: partitions, replication factor, min.insync.replicas, unclean election.",
              "create_topic", scope="cluster"),
    UICommand("node.kill", "k", "Kill node", "SIGKILL the selected lab node (no clean shutdown).",
              "node('kill')", scope="cluster", lab_only=True),
    UICommand("node.stop", "s", "Stop node", "Stop the selected lab node cleanly (SIGTERM).",
              "node('stop')", scope="cluster", lab_only=True),
    UICommand("node.pause", "p", "Pause node", "Freeze the selected lab node (SIGSTOP).",
              "node('pause')", scope="cluster", lab_only=True),
    UICommand("node.resume", "u", "Resume node", "Resume a paused lab node (SIGCONT).",
              "node('resume')", scope="cluster", lab_only=True),
    UICommand("node.restart", "r", "Restart node", "Restart the selected lab node and wait for it.",
              "node('restart')", scope="cluster", lab_only=True),
    UICommand("node.start", "S", "Start node", "Start a stopped or killed lab node.",
              "node('start')", scope="cluster", lab_only=True, show=False),
    # produce
    UICommand("producer.new", "n", "New producer", "Start a producer profile from a form.",
              "new_producer", scope="produce"),
    UICommand("producer.stop", "x", "Stop producer", "Stop the selected producer (bounded flush).",
              "stop_producer", scope="produce"),
    # consumers
    UICommand("member.add", "a", "Add member", "Start a group member with a commit strategy.",
              "add_member", scope="consumers"),
    UICommand("member.remove", "d", "Remove member", "Close the selected member cleanly (leaves).",
              "member('remove')", scope="consumers"),
    UICommand("member.crash", "c", "Crash member",
              "Crash the selected member hard: no commit, no leave.", "member('crash')",
              scope="consumers"),
    UICommand("member.restart", "r", "Restart member",
              "Start a new incarnation of the selected member.", "member('restart')",
              scope="consumers"),
    UICommand("member.strategy", "s", "Switch strategy",
              "Change the selected member's commit strategy live.", "switch_strategy",
              scope="consumers"),
    UICommand("member.pause", "p", "Pause member", "Pause fetching on the selected member.",
              "member('pause')", scope="consumers", show=False),
    UICommand("member.resume", "u", "Resume member", "Resume fetching on the selected member.",
              "member('resume')", scope="consumers", show=False),
    # verdict
    UICommand("verdict.compute", "v", "Compute verdict",
              "Re-read the topics and judge every record (lost, redelivered, skipped...).",
              "compute_verdict", scope="verdict"),
    UICommand("verdict.explain", "e", "Explain record",
              "Show the recorded timeline of the selected anomaly's next record (sent, acked, "
              "delivered, committed...).", "explain_record", scope="verdict"),
    # timeline
    UICommand("timeline.filter", "slash", "Filter timeline",
              "Filter events by text in kind, source or sentence.", "focus_filter",
              scope="timeline"),
    UICommand("timeline.severity", "e", "Minimum severity",
              "Cycle the minimum severity shown: info, notice, warning, error.", "cycle_severity",
              scope="timeline"),
    UICommand("timeline.pause", "space", "Pause timeline",
              "Freeze or resume scrolling of the timeline.", "toggle_pause", scope="timeline"),
)

BY_ID = {command.id: command for command in COMMANDS}


def commands_for(scope: str) -> tuple[UICommand, ...]:
    return tuple(c for c in COMMANDS if c.scope == scope)


def bindings_for(scope: str) -> list[BindingType]:
    """Textual bindings for one scope, each carrying the command's stable id (for set_keymap)."""
    return [Binding(c.key, c.action, c.title, show=c.show, id=c.id, tooltip=c.help)
            for c in commands_for(scope)]


def effective_key(command: UICommand, keymap: dict[str, str]) -> str:
    return keymap.get(command.id, command.key)


def display_key(keys: str) -> str:
    names = {"question_mark": "?", "slash": "/", "space": "space"}
    return " / ".join(names.get(k.strip(), k.strip()) for k in keys.split(","))
