"""The sweep form: a grid of settings (comma-separated values per setting) and what each point sends.

The same names and checks as ``kafka-explorer tune`` (:func:`tui.engine.parse_axis` and
:meth:`tui.engine.TuneGrid.validate`): a bad value gets one sentence on the error line and the form
stays open.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from tui.engine import TuneError, TuneGrid, TuneWorkload, parse_axis

FIELDS: tuple[tuple[str, str, str, str], ...] = (
    # (id, label, default, what it trades)
    ("linger_ms", "linger.ms", "0,5,50", "waiting longer fills batches: throughput for latency"),
    ("batch_size", "batch.size", "1000000", "the largest batch per partition, in bytes"),
    ("compression", "compression", "none,zstd", "none, gzip, snappy, lz4, zstd: CPU for bytes"),
    ("acks", "acks", "all", "0, 1, all: durability for latency"),
    ("max_in_flight", "max.in.flight", "5", "requests in flight per connection (1 keeps order)"),
    ("value_content", "value content", "text", "kx, random, text, json: what compression can do"),
    ("fetch_min_bytes", "fetch.min.bytes", "1", "the member's fetch: bytes the broker waits for"),
    ("fetch_max_wait_ms", "fetch.wait.max.ms", "500", "how long the broker holds a fetch"),
    ("max_poll_records", "max.poll.records", "500", "the member's batch size (librdkafka has none)"),
)


@dataclass(frozen=True)
class SweepRequest:
    topic: str
    grid: TuneGrid
    workload: TuneWorkload


class SweepForm(ModalScreen[SweepRequest | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "submit", "Run")]

    CSS_PATH = Path(__file__).with_name("sweep_form.tcss")

    def __init__(self, topic: str) -> None:
        super().__init__()
        self.topic = topic

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Sweep settings — each point on its own topic, with a group member reading it")
            with VerticalScroll():
                for field_id, label, default, what in (
                        ("topic", "base topic", self.topic, "points write to <topic>-tune-<run>-<n>"),
                        *FIELDS,
                        ("count", "records per point", "5000", "a fixed count per point"),
                        ("rate", "rate (records/s)", "", "empty: as fast as possible")):
                    with Horizontal(classes="row"):
                        yield Label(label)
                        yield Input(default, id=f"sweep-{field_id}")
                        yield Static(what)
            yield Static("", id="sweep-error")
            with Horizontal(id="sweep-buttons"):
                yield Button("Run (ctrl+s)", id="sweep-run", variant="primary")
                yield Button("Cancel", id="sweep-cancel")

    def _value(self, field_id: str) -> str:
        return self.query_one(f"#sweep-{field_id}", Input).value.strip()

    def request(self) -> SweepRequest:
        """The form as a sweep (raises TuneError with one sentence)."""
        topic = self._value("topic")
        if not topic:
            raise TuneError("Give a base topic name.")
        grid = TuneGrid(**{f: parse_axis(f, self._value(f)) for f, _l, _d, _w in FIELDS}).validate()
        try:
            count = int(self._value("count"))
            rate = float(self._value("rate")) if self._value("rate") else None
        except ValueError:
            raise TuneError("records per point takes a whole number and rate a number.") from None
        if count < 1 or (rate is not None and rate <= 0):
            raise TuneError("records per point and rate must be above 0.")
        return SweepRequest(topic, grid, TuneWorkload(count=count, rate=rate))

    def action_submit(self) -> None:
        try:
            self.dismiss(self.request())
        except TuneError as exc:
            self.query_one("#sweep-error", Static).update(str(exc))

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "sweep-run":
            self.action_submit()
        else:
            self.action_cancel()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        # enter moves on (issue 19: enter never submits a whole form); ctrl+s runs
        self.focus_next()
