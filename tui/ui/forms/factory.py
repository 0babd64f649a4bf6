"""The forms as the screens open them: seeded from the snapshot, submitting their own commands.

A pane calls one of these and opens the result (``self.open_form(producer_form(...), done)``): the
form knows the broker count, the topics and the groups, proposes what the session did last, and
closes only once the engine accepted what it asked for. ``clone`` seeds it from a selected producer
or member ("clone this producer").
"""

from __future__ import annotations

from tui.engine import MemberView, RunnerView, Snapshot
from tui.ui.forms import member as member_forms
from tui.ui.forms import producer as producer_forms
from tui.ui.forms.member import MemberForm
from tui.ui.forms.producer import ProducerForm
from tui.ui.forms.topic import TopicForm


def topic_form(snapshot: Snapshot | None) -> TopicForm:
    return TopicForm(snapshot=snapshot, submits=True)


def producer_form(snapshot: Snapshot | None, suggested_topic: str | None = None,
                  clone: RunnerView | None = None) -> ProducerForm:
    """The topic: the last producer's, else the topic created last in this session, else the one
    submitted last time, else ``suggested_topic`` (highlighted on the Cluster screen)."""
    runners = snapshot.producers.runners if snapshot is not None else ()
    return ProducerForm(topic=runners[-1].topic if runners else None, snapshot=snapshot,
                        suggested_topic=suggested_topic, submits=True,
                        clone=producer_forms.clone_values(clone) if clone is not None else None)


def member_form(snapshot: Snapshot | None, clone: MemberView | None = None) -> MemberForm:
    members = snapshot.consumers.members if snapshot is not None else ()
    runners = snapshot.producers.runners if snapshot is not None else ()
    return MemberForm(group=members[-1].group if members else None,
                      topic=runners[-1].topic if runners else None, snapshot=snapshot,
                      submits=True,
                      clone=member_forms.clone_values(clone) if clone is not None else None)
