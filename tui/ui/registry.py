"""The one command registry: it feeds key bindings, the command palette and the help screen.

Each command has a stable ``id`` (users remap it in ``keymap.yaml``: ``node.kill: ctrl+k``), a
default key, a title and a one-sentence help. ``scope`` says where it acts: ``app`` commands are
app-wide; a pane scope (``cluster``, ``produce``...) binds on that pane, and the palette switches to
the pane before running it; ``scenarios`` binds on the Scenarios screen (the palette offers those
only there).

:func:`key_conflicts` finds remapped keys that collide (a remapped key silently takes another
command's key in Textual); :func:`key_for` gives panes the live key of a command for titles and hints.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from textual.binding import Binding, BindingType

from tui.ui.browse.keys import BROWSE_KEYS


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
    ("tune", "Tune"),
    ("browse", "Browse"),
)
"""(pane id, tab title) of the live screens (the Scenarios tab sits between Timeline and Browse)."""

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
    UICommand("screen.tune", "8", "Tune screen",
              "Compare running producers (latency, batches, compression) and sweep settings.",
              "show_pane('tune')", show=False),
    UICommand("screen.browse", "7", "Browse screen",
              "Read any topic's records (seek, filter, follow) without joining a group or committing.",
              "show_pane('browse')", show=False),
    UICommand("app.help", "f1,question_mark", "Help", "Every command and its key.", "help"),
    UICommand("app.theme", "f2", "Next theme", "Switch to the next theme (remembered).",
              "next_theme"),
    UICommand("app.quit", "q", "Quit", "Stop producers and members and leave.", "quit"),
    UICommand("app.narration", "f3", "Narration",
              "Show or hide the running scenario's narration beside the live screens.",
              "toggle_class('NarrationDock', '-hidden')"),
    # cluster
    UICommand("topic.browse", "b", "Browse topic", "Read the selected topic's records on the Browse screen.",
              "browse_topic", scope="cluster"),
    UICommand("topic.configs", "c", "Topic configs",
              "Every non-default config of the selected topic with its source; alter retention, min ISR, "
              "unclean election, max message size.", "topic_configs", scope="cluster"),
    UICommand("topic.delete", "D", "Delete topic",
              "Delete the selected topic after typing its name (never an internal topic).",
              "delete_topic", scope="cluster", show=False),
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
    UICommand("producer.clone", "N", "Clone producer",
              "Open the producer form with the selected producer's settings.", "clone_producer",
              scope="produce"),
    # consumers
    UICommand("member.add", "a", "Add member", "Start a group member with a commit strategy.",
              "add_member", scope="consumers"),
    UICommand("member.clone", "A", "Clone member",
              "Open the member form with the selected member's settings.", "clone_member",
              scope="consumers"),
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
    UICommand("member.errors", "e", "Error handling",
              "The selected member's error policy (fail, skip, dead-letter, retry, pause), its rebalance "
              "listener's commit on revoke, the value format it checks and injected failures, live.",
              "error_handling", scope="consumers"),
    UICommand("member.resume-partitions", "P", "Resume paused partitions",
              "Resume the partitions the pause error policy paused on the selected member; the record "
              "it paused on is fetched again.", "resume_partitions", scope="consumers", show=False),
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
    UICommand("timeline.browse", "b", "Browse record",
              "Open the Browse screen at the selected event's topic: at its record when the event "
              "names an offset, else its partition (or the topic) from the beginning.",
              "browse_event", scope="timeline"),
    # the Scenarios screen (enter on the list starts the highlighted scenario)
    UICommand("scenarios.next", "n,space", "Next step",
              "Run the next step of the scenario (its narration says what to watch).", "next_step",
              scope="scenarios"),
    UICommand("scenarios.rest", "a", "Run the rest", "Run every remaining step, then the verdict.",
              "run_rest", scope="scenarios"),
    UICommand("scenarios.stop", "x", "Stop run",
              "Stop the scenario: its producers and members stop, broken nodes are healed.", "stop",
              scope="scenarios"),
    UICommand("scenarios.lab", "L", "Lab size",
              "How to get a lab of the size the highlighted scenario needs.", "lab_size",
              scope="scenarios"),
    UICommand("scenarios.back", "escape", "Live screens",
              "Back to the live screens; the run stays where it is (f3 shows its narration).",
              "back", scope="scenarios"),
    UICommand("group.reset", "R", "Reset offsets",
              "Plan new committed offsets for the selected member's group, then execute them (only while "
              "no member of it runs).", "reset_offsets", scope="consumers"),
    UICommand("group.delete", "D", "Delete group",
              "Delete the selected member's group after typing its name (no active member).",
              "delete_group", scope="consumers", show=False),
    UICommand("verdict.browse", "b", "Browse record",
              "Open the Browse screen at the selected finding's first offset.", "browse_record",
              scope="verdict"),
    # browse: the pane binds the same rows (tui/ui/browse/keys.py), same ids
    *(UICommand(cid, key, title, help_text, action, scope="browse")
      for cid, key, title, help_text, action in BROWSE_KEYS),
    # tune
    UICommand("tune.select", "space", "Compare producer", "Add or remove the selected producer.",
              "toggle_compare", scope="tune"),
    UICommand("tune.clear", "c", "Compare latest", "Compare the latest run of each producer.",
              "clear_compare", scope="tune"),
    UICommand("tune.sweep", "s", "Sweep settings", "Run a grid of settings, each point on its own topic.",
              "start_sweep", scope="tune"),
    UICommand("tune.cancel", "x", "Stop sweep", "Stop the sweep, keeping what was measured.",
              "cancel_sweep", scope="tune"),
)

BY_ID = {command.id: command for command in COMMANDS}


def commands_for(scope: str) -> tuple[UICommand, ...]:
    return tuple(c for c in COMMANDS if c.scope == scope)


def bindings_for(scope: str) -> list[BindingType]:
    """Textual bindings for one scope, each carrying the command's stable id (for set_keymap)."""
    return [Binding(c.key, c.action, c.title, show=c.show, id=c.id, tooltip=c.help)
            for c in commands_for(scope)]


SCOPE_TITLES: dict[str, str] = {"app": "Everywhere", **dict(SCREENS), "scenarios": "Scenarios"}
"""Where a scope's commands work, as the help screen and key-conflict sentences name it."""

RESERVED_KEYS: dict[str, str] = {
    "tab": "moves the focus", "shift+tab": "moves the focus back", "ctrl+p": "opens the palette",
    "ctrl+q": "quits", "ctrl+c": "copies or quits", "enter": "selects in tables and lists",
    "up": "moves in tables", "down": "moves in tables", "left": "scrolls tables",
    "right": "scrolls tables", "pageup": "pages tables", "pagedown": "pages tables",
    "home": "jumps to the first row", "end": "jumps to the last row",
    "slash": "filters a table's rows",
}
"""Keys Textual or the tables already use: a command remapped onto one hides that behaviour."""


def effective_key(command: UICommand, keymap: Mapping[str, str]) -> str:
    return keymap.get(command.id, command.key)


def keys_of(command: UICommand, keymap: Mapping[str, str]) -> tuple[str, ...]:
    """The single keys a command answers to (a binding's key string is comma-separated)."""
    return tuple(k.strip() for k in effective_key(command, keymap).split(",") if k.strip())


def display_key(keys: str) -> str:
    names = {"question_mark": "?", "slash": "/", "space": "space"}
    return " / ".join(names.get(k.strip(), k.strip()) for k in keys.split(","))


def key_for(command_id: str, keymap: Mapping[str, str] | None = None) -> str:
    """The key of ``command_id`` as shown to people (``"n"``, ``"f1 / ?"``), with the keymap
    applied; panes put it in titles and empty-state hints so a remapped key is what they say."""
    command = BY_ID[command_id]
    return display_key(effective_key(command, keymap or {}))


@runtime_checkable
class KeymapSource(Protocol):
    """Anything holding the live keymap (the explorer app's ``keymap`` attribute)."""

    keymap: dict[str, str]


def live_key(node: object, command_id: str) -> str:
    """:func:`key_for` with the keymap of ``node``'s app (any widget: ``live_key(self, "member.add")``)."""
    app = getattr(node, "app", node)
    return key_for(command_id, app.keymap if isinstance(app, KeymapSource) else None)


@dataclass(frozen=True)
class KeyConflict:
    """Two commands that ask for one key where both are active."""

    key: str
    scope: str
    """Where they collide (a pane or screen scope; ``app`` when both are app-wide)."""
    winner: str
    """The command id the key runs there."""
    loser: str | None
    """The command id that lost the key there (None: a reserved key was taken)."""
    sentence: str


def _overlap(a: UICommand, b: UICommand) -> str | None:
    """The scope where two commands are both active, if any (app commands work everywhere, but a
    pane's or screen's own binding wins over an app binding while it has the focus)."""
    if a.scope == b.scope:
        return a.scope
    if a.scope == "app":
        return b.scope
    if b.scope == "app":
        return a.scope
    return None


def key_conflicts(keymap: Mapping[str, str]) -> list[KeyConflict]:
    """Every collision the keymap creates, each with one sentence naming both commands.

    Textual drops a default binding whose key a remapped command takes (``member.crash: a`` leaves
    Add member with no key), and a pane binding shadows an app binding with the same key.
    """
    found: list[KeyConflict] = []
    seen: set[tuple[str, str, str]] = set()
    remapped = [c for c in COMMANDS if c.id in keymap]
    for command in remapped:
        for key in keys_of(command, keymap):
            shown = display_key(key)
            if key in RESERVED_KEYS and key not in command.key.split(","):
                found.append(KeyConflict(key, command.scope, command.id, None,
                                         f"{command.id}: {shown} {RESERVED_KEYS[key]}; remapping "
                                         f"{command.title} onto it hides that."))
            for other in COMMANDS:
                if other is command or key not in keys_of(other, keymap):
                    continue
                scope = _overlap(command, other)
                if scope is None:
                    continue
                pair = tuple(sorted((command.id, other.id)))
                if (key, pair[0], pair[1]) in seen:
                    continue
                seen.add((key, pair[0], pair[1]))
                where = "everywhere" if scope == "app" else f"on the {SCOPE_TITLES[scope]} screen"
                if other.id in keymap:
                    # both remapped onto one key: Textual keeps one binding, which is not obvious
                    found.append(KeyConflict(key, scope, command.id, other.id,
                                             f"{command.id} and {other.id} are both mapped to "
                                             f"{shown} {where}; give one of them another key."))
                    continue
                winner, loser = command, other
                if scope != "app" and command.scope == "app":  # the pane's own binding wins
                    winner, loser = other, command
                found.append(KeyConflict(key, scope, winner.id, loser.id,
                                         f"{command.id}: {shown} is already {other.title} "
                                         f"({other.id}) {where}; there {shown} now runs "
                                         f"{winner.title} and {loser.title} has no key. Pick "
                                         "another key in keymap.yaml."))
    return found
