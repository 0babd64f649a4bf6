"""Command line: ``kafka-explorer`` (alias ``kx``). Owns the engine's and the lab's lifetime.

With no subcommand it opens the TUI. Every subcommand is a module under ``tui.headless`` with
``add_arguments(parser)`` and ``run(args) -> int``. A :class:`tui.errors.UserError` that escapes a
command ends it with its sentence on stderr and its exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import NoReturn

from tui.connect import add_connection_arguments, add_state_dir_argument
from tui.errors import UserError
from tui.serve.namespace import namespace_argument
from tui.vocab import DEFAULT_KAFKA_VERSION, KafkaVersion, OrphanPolicy, names

# subcommand -> (module, help); modules keep heavy imports inside run()
COMMANDS: dict[str, tuple[str, str]] = {
    "lab": ("tui.headless.lab", "start, inspect, break and stop the local Kafka lab cluster"),
    "config": ("tui.headless.config_cmd", "check a profiles file and print it with secrets redacted"),
    "watch": ("tui.headless.watch", "watch brokers, partitions, groups, offsets and lag live"),
    "produce": ("tui.headless.produce", "produce test records with chosen acks, keys and settings"),
    "tune": ("tui.headless.tune", "sweep producer and consumer settings: throughput vs latency, with the "
                                  "Pareto frontier"),
    "run": ("tui.headless.run", "run a workshop scenario headless; exit 0 when every expectation holds"),
    "consume": ("tui.headless.consume", "run group members with a commit strategy and get a verdict"),
    "browse": ("tui.headless.browse", "read records kcat-style (seek, filter, follow); never joins a group "
                                      "or commits"),
    "group": ("tui.headless.group", "reset a group's offsets (dry run by default) or delete the group"),
    "topic": ("tui.headless.topic", "describe a topic's configs, alter a few, or delete it"),
    "serve": ("tui.headless.serve", "the explorer in a browser: loopback, an access token, one explorer "
                                    "per connection"),
    "replay": ("tui.ui.replay.launch", "open the explorer on a recorded session (no cluster needed)"),
}


# commands that talk to a cluster and accept -b/-X/--profile after their name too
# (produce declares its own copy of these options)
CONNECTED_COMMANDS = ("consume", "watch", "run", "browse", "group", "topic", "serve", "tune")


class _Parser(argparse.ArgumentParser):
    """Bad usage is one line -- what was wrong and where the help is -- not argparse's usage block
    (thirty lines for ``consume``) above the sentence that matters. Subcommands inherit it."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message}; see {self.prog} --help.\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="kafka-explorer",
        description="See what Kafka producers and consumers really do: produce with chosen acks, "
                    "break a real cluster, and get a verdict on every record.",
    )
    parser.add_argument("--state-dir", type=Path, metavar="DIR",
                        help="lab cluster state directory (default: $KX_STATE_DIR or the user "
                             "state dir)")
    add_connection_arguments(parser)
    ui = parser.add_argument_group("explorer (no subcommand)")
    ui.add_argument("--theme", metavar="NAME", help="colour theme (remembered for next time)")
    ui.add_argument("--namespace", metavar="NAME", type=namespace_argument,
                    help="work under this prefix for topics, groups and transactional ids (default: "
                         "$KX_NAMESPACE; `serve` gives each browser one)")
    ui.add_argument("--keep-lab", action="store_true",
                    help="leave a lab cluster the explorer started running when it exits")
    ui.add_argument("--nodes", type=int, choices=(1, 3), default=3,
                    help="size of the lab cluster the explorer starts if none runs (default 3)")
    ui.add_argument("--record", type=Path, metavar="FILE",
                    help="record the session to FILE (replay it with `kafka-explorer replay FILE`)")
    lab = parser.add_argument_group("the local lab (the explorer and `run`, when they start one)")
    lab.add_argument("--kafka-version", choices=names(KafkaVersion), default=None,
                     help=f"Apache Kafka version of a lab started now (default {DEFAULT_KAFKA_VERSION}; "
                          "an existing lab keeps its own)")
    lab.add_argument("--orphaned-lab", choices=names(OrphanPolicy), default=OrphanPolicy.REFUSE.value,
                     help="a lab whose owner died and left it running: stop it, adopt it, or refuse "
                          "with the commands that do either (default)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(module_name)
        sub_parser = sub.add_parser(name, help=help_text, description=help_text)
        add_state_dir_argument(sub_parser)
        if name in CONNECTED_COMMANDS:
            add_connection_arguments(sub_parser, after_command=True)
        module.add_arguments(sub_parser)
    return parser


def _term_as_exit(signum: int, frame: FrameType | None) -> None:
    # SIGTERM runs the same cleanup as Ctrl-C: clients closed, owned lab nodes stopped
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _term_as_exit)
    from tui.logsetup import route_logs

    route_logs(getattr(args, "state_dir", None))
    try:
        if args.command is None:
            from tui.ui.launch import run_explorer

            return run_explorer(args)
        module = importlib.import_module(COMMANDS[args.command][0])
        return int(module.run(args))
    except UserError as exc:
        from tui.redact import redact_text

        sys.stderr.write(f"kafka-explorer: {redact_text(exc.sentence)}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("kafka-explorer: interrupted\n")
        return 130
    except BrokenPipeError:
        # the reader went away (`| head`): end quietly, as Unix tools do. The command's own
        # `with` blocks already stopped what it started on the way out of it; point stdout at
        # /dev/null so the interpreter's final flush does not complain again
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    raise SystemExit(main())
