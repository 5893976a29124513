"""Online deliberation: topics, comments, supports, moderation, offline meetings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.core import access, audit, workflow
from shanzhi.core.errors import Conflict, PermissionDenied, ValidationError
from shanzhi.deliberation.models import (
    DeliberationMeeting,
    MeetingKind,
    Moderated,
    Topic,
    TopicComment,
    TopicSupport,
)
from shanzhi.deliberation.services._common import acting_as, names, not_future, placed, text, village_of, whole
from shanzhi.regions.models import Region


@transaction.atomic
def topic_raise(*, actor: Any, village: Region | None, title: str, body: str) -> Topic:
    village = village_of(village)
    viewer = access.viewer_for(actor)
    topic = Topic(village=village, raised_by=actor, **placed(village))
    access.require(actor, "topic.raise", topic)
    topic.title = text(title, field="title", max_length=100)
    topic.body = text(body, field="body", max_length=4000)
    topic.raised_as = acting_as(actor, village.path)
    if topic.raised_as == "resident":
        topic.resident_id = viewer.resident_id
    topic.save()
    workflow.start(topic, actor=actor)
    audit.record(actor=actor, action="topic.raise", target=topic, detail={"raised_as": topic.raised_as})
    return topic


def _open(topic: Topic) -> None:
    if topic.state != "open" or topic.hidden:
        raise ValidationError(_("This topic is closed to new comments and supports."), field="topic")


@transaction.atomic
def topic_comment(*, actor: Any, topic: Topic, body: str) -> TopicComment:
    access.require(actor, "topic.comment", topic)
    topic = Topic.objects.select_for_update().get(pk=topic.pk)
    _open(topic)
    comment = TopicComment.objects.create(topic=topic, author=actor, author_role=acting_as(actor, topic.region_path),
                                          body=text(body, field="body", max_length=2000))
    Topic.objects.filter(pk=topic.pk).update(comment_count=F("comment_count") + 1)
    audit.record(actor=actor, action="topic.comment", target=topic, detail={"comment": comment.pk})
    return comment


@transaction.atomic
def topic_support(*, actor: Any, topic: Topic) -> TopicSupport:
    """One support per resident: the unique constraint decides, even for two phones at once."""
    viewer = access.viewer_for(actor)
    access.require(actor, "topic.support", topic, view_action="topic.view")
    if not viewer.resident_id:
        raise PermissionDenied(_("Only residents of the village support topics."))
    _open(topic)
    try:
        with transaction.atomic():
            support = TopicSupport.objects.create(topic=topic, resident_id=viewer.resident_id)
    except IntegrityError:
        raise Conflict(_("You already support this topic."), field="topic") from None
    Topic.objects.filter(pk=topic.pk).update(support_count=F("support_count") + 1)
    audit.record(actor=actor, action="topic.support", target=topic)
    return support


@transaction.atomic
def topic_unsupport(*, actor: Any, topic: Topic) -> None:
    viewer = access.viewer_for(actor)
    access.require(actor, "topic.support", topic, view_action="topic.view")
    if not viewer.resident_id:
        raise PermissionDenied(_("Only residents of the village support topics."))
    _open(topic)
    deleted, _rows = TopicSupport.objects.filter(topic=topic, resident_id=viewer.resident_id).delete()
    if not deleted:
        raise ValidationError(_("You do not support this topic."), field="topic")
    Topic.objects.filter(pk=topic.pk).update(support_count=F("support_count") - 1)
    audit.record(actor=actor, action="topic.unsupport", target=topic)


def _hide(item: Moderated, actor: Any, reason: str) -> None:
    reason = text(reason, field="reason", max_length=200)
    if item.hidden:
        raise ValidationError(_("This is already hidden."), field="hidden")
    item.hidden, item.hidden_reason, item.hidden_by, item.hidden_at = True, reason, actor, timezone.now()
    item.save(update_fields=["hidden", "hidden_reason", "hidden_by", "hidden_at"])


def _unhide(item: Moderated) -> None:
    if not item.hidden:
        raise ValidationError(_("This is not hidden."), field="hidden")
    item.hidden, item.hidden_reason, item.hidden_by, item.hidden_at = False, "", None, None
    item.save(update_fields=["hidden", "hidden_reason", "hidden_by", "hidden_at"])


@transaction.atomic
def topic_hide(*, actor: Any, topic: Topic, reason: str) -> Topic:
    access.require(actor, "topic.moderate", topic, view_action="topic.view")
    _hide(topic, actor, reason)
    audit.record(actor=actor, action="topic.hide", target=topic, detail={"reason": topic.hidden_reason})
    return topic


@transaction.atomic
def topic_unhide(*, actor: Any, topic: Topic) -> Topic:
    access.require(actor, "topic.moderate", topic, view_action="topic.view")
    _unhide(topic)
    audit.record(actor=actor, action="topic.unhide", target=topic)
    return topic


@transaction.atomic
def comment_hide(*, actor: Any, comment: TopicComment, reason: str) -> TopicComment:
    access.require(actor, "topic.moderate", comment.topic, view_action="topic.view")
    _hide(comment, actor, reason)
    audit.record(actor=actor, action="topic.comment_hide", target=comment.topic,
                 detail={"comment": comment.pk, "reason": comment.hidden_reason})
    return comment


@transaction.atomic
def comment_unhide(*, actor: Any, comment: TopicComment) -> TopicComment:
    access.require(actor, "topic.moderate", comment.topic, view_action="topic.view")
    _unhide(comment)
    audit.record(actor=actor, action="topic.comment_unhide", target=comment.topic, detail={"comment": comment.pk})
    return comment


def topic_close(*, actor: Any, topic: Topic, note: str) -> Topic:
    workflow.transition(topic, name="close", actor=actor, note=note)
    return topic


def topic_reopen(*, actor: Any, topic: Topic) -> Topic:
    workflow.transition(topic, name="reopen", actor=actor)
    return topic


@transaction.atomic
def meeting_record(*, actor: Any, village: Region | None, kind: str, held_on: dt.date | None, place: str,
                   attendee_count: int, subject: str, outcome: str, attendee_names: Any = None,
                   settled: bool = False, topics: Iterable[Topic] = ()) -> DeliberationMeeting:
    """An offline meeting (院落会、板凳会、田间议事) and the topics it took up."""
    village = village_of(village)
    meeting = DeliberationMeeting(village=village, recorded_by=actor, **placed(village))
    access.require(actor, "deliberation.record", meeting, view_action="deliberation.view")
    if kind not in MeetingKind.values:
        raise ValidationError(_("Choose the kind of meeting."), field="kind")
    meeting.kind = kind
    meeting.held_on = not_future(held_on, field="held_on")
    meeting.place = text(place, field="place", max_length=100)
    meeting.subject = text(subject, field="subject", max_length=100)
    meeting.outcome = text(outcome, field="outcome", max_length=4000)
    meeting.attendee_names = names(attendee_names)
    meeting.attendee_count = whole(attendee_count, field="attendee_count", minimum=1, maximum=100_000)
    if meeting.attendee_count < len(meeting.attendee_names):
        raise ValidationError(_("Fewer attendees than names listed."), field="attendee_count")
    meeting.settled = bool(settled)
    topics = list(topics)
    if any(t.village_id != village.pk for t in topics):
        raise ValidationError(_("A meeting takes up topics of its own village only."), field="topics")
    meeting.save()
    meeting.topics.set(topics)
    audit.record(actor=actor, action="deliberation.meeting", target=meeting,
                 detail={"kind": kind, "topics": [t.pk for t in topics], "attendees": meeting.attendee_count})
    return meeting
