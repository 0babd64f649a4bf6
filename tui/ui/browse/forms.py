"""The Browse screen's forms: open a topic, seek, filter. Each checks its values with the engine's own
parsers as you type, so what the form accepts is exactly what the reader gets."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tui.engine import BrowseOpen, RecordFilter, StartAt, parse_header_filter
from tui.ui.forms.base import Field, FieldError, FormScreen, Note

START_HELP = ("beginning, end, an offset (42), @TIME (ms since the epoch or 2024-12-01T08:00:00, "
              "local unless it has a zone) or -N: the last N records of each partition.")


def _start(form: FormScreen[Any], name: str) -> str:
    text = str(form.value(name) or "beginning")
    try:
        StartAt.parse(text)
    except ValueError as exc:
        raise FieldError(name, str(exc)) from None
    return text


def _filters(form: FormScreen[Any]) -> RecordFilter:
    header = str(form.value("header") or "")
    try:
        headers = (parse_header_filter(header),) if header else ()
    except ValueError as exc:
        raise FieldError("header", str(exc)) from None
    key = str(form.value("key") or "")
    try:
        return RecordFilter(grep=str(form.value("grep") or "") or None, key=key or None,
                            headers=headers).validate()
    except ValueError as exc:
        raise FieldError("grep", str(exc)) from None


FILTER_FIELDS = (
    Field("grep", "Value or key matches", help="A regular expression searched in the value and the "
          "key (empty: every record)."),
    Field("key", "Key is", help="Only records with exactly this key (empty: any key)."),
    Field("header", "Header", help="name=value, or just name: the record carries that header."),
)


class BrowseForm(FormScreen[BrowseOpen]):
    form_id = "browse"
    title_text = "Browse a topic"
    help_text = "Reads with its own consumer: it never joins a group and never commits offsets."

    def __init__(self, topic: str = "", topics: Iterable[str] | None = None,
                 start: str | None = None, partitions: str | None = None) -> None:
        given: dict[str, object] = {"topic": topic} if topic else {}
        if start is not None:
            given["start"] = start
        if partitions is not None:
            given["partitions"] = partitions
        super().__init__(context=given)
        self.topics = frozenset(topics) if topics is not None else None
        self.fields = (
            Field("topic", "Topic", default=topic, help="The topic to read."),
            Field("partitions", "Partitions", default="all", help="all, or numbers like 0 or 0,2."),
            Field("start", "From", default="beginning", help=START_HELP),
            *FILTER_FIELDS,
            Field("follow", "Follow", "switch", False,
                  help="Keep reading new records (a live tail) instead of stopping at the end."),
        )

    def build(self) -> BrowseOpen:
        topic = str(self.value("topic") or "")
        if not topic:
            raise FieldError("topic", "Name the topic to read.")
        raw = str(self.value("partitions") or "all").strip().lower()
        partitions: tuple[int, ...] = ()
        if raw not in ("", "all"):
            items = [p.strip() for p in raw.split(",")]
            if not all(p.isdigit() for p in items):
                raise FieldError("partitions", f"Partitions are 'all' or numbers like 0,2, not {raw!r}.")
            partitions = tuple(sorted({int(p) for p in items}))
        return BrowseOpen(topic, partitions, _start(self, "start"), _filters(self),
                          follow=bool(self.value("follow")), keep=500).validate()

    def notes(self) -> dict[str, Note]:
        topic = str(self.value("topic") or "")
        if self.topics is not None and topic and topic not in self.topics:
            return {"topic": (f"The watcher does not list {topic!r}; the reader will say whether it "
                              "exists.", "warning")}
        return {}


class SeekForm(FormScreen[str]):
    form_id = "browse-seek"
    title_text = "Seek"

    def __init__(self, start: str = "beginning") -> None:
        super().__init__(context={"start": start})
        self.fields = (Field("start", "From", default=start, help=START_HELP),)

    def build(self) -> str:
        return _start(self, "start")


class FilterForm(FormScreen[RecordFilter]):
    form_id = "browse-filter"
    title_text = "Filter records"
    help_text = "The engine filters what it reads; the table shows only the records that match."

    def __init__(self, current: RecordFilter | None = None) -> None:
        now = current or RecordFilter()
        header = ""
        if now.headers:
            name, value = now.headers[0]
            header = name if value is None else f"{name}={value}"
        super().__init__(context={"grep": now.grep or "", "key": now.key or "", "header": header})
        self.fields = FILTER_FIELDS

    def build(self) -> RecordFilter:
        return _filters(self)
