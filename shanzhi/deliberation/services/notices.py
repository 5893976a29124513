"""Notice boards (党务公开、村务公开) and the disclosure calendar.

A notice is posted once and never edited or deleted: it can only be taken down early, with
a reason, and a corrected notice posted. It cannot be back-dated either (the calendar's
"on time" would mean nothing), only scheduled.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.core import access, audit
from shanzhi.core.errors import Conflict, ValidationError
from shanzhi.deliberation import attachments
from shanzhi.deliberation.models import (
    BOARD_CATEGORIES,
    Board,
    Category,
    DisclosureRequirement,
    Frequency,
    Matter,
    Notice,
    NoticeAttachment,
    NoticeSource,
)
from shanzhi.deliberation.services._common import placed, text, whole
from shanzhi.regions.models import Region

MAX_SCHEDULE = dt.timedelta(days=60)
BOARD_LEVELS = {Region.Level.TOWNSHIP, Region.Level.VILLAGE}


def _store(notice: Notice, checked: attachments.CheckedFile, actor: Any) -> NoticeAttachment:
    attachment = NoticeAttachment(notice=notice, name=checked.name, kind=checked.kind, size=checked.size,
                                  sha256=checked.sha256, uploaded_by=actor)
    attachment.file.save(checked.name, ContentFile(checked.content), save=False)
    attachment.save()
    return attachment


@transaction.atomic
def notice_post(*, actor: Any, region: Region | None, board: str, category: str, title: str, body: str,
                period_start: dt.date | None = None, period_end: dt.date | None = None,
                posted_on: dt.date | None = None, remove_on: dt.date | None = None, files: Iterable[Any] = (),
                source: str = NoticeSource.MANUAL, matter: Matter | None = None) -> Notice:
    if region is None or region.level not in BOARD_LEVELS:
        raise ValidationError(_("Notices are posted by a village or a township."), field="region")
    notice = Notice(region=region, created_by=actor, source=source, matter=matter, **placed(region))
    access.require(actor, "notice.post", notice)
    if board not in Board.values:
        raise ValidationError(_("Choose the Party-affairs or the village-affairs board."), field="board")
    if category not in BOARD_CATEGORIES[board]:
        raise ValidationError(_("This category does not belong on the %(board)s board.")
                              % {"board": Board(board).label}, field="category")
    notice.board, notice.category = board, category
    notice.title = text(title, field="title", max_length=100)
    notice.body = text(body, field="body", max_length=20000)
    if (period_start is None) != (period_end is None):
        raise ValidationError(_("Give both ends of the period, or neither."),
                              field="period_end" if period_end is None else "period_start")
    if period_start and period_end and period_end < period_start:
        raise ValidationError(_("The period ends before it starts."), field="period_end")
    notice.period_start, notice.period_end = period_start, period_end
    today = timezone.localdate()
    posted_on = posted_on or today
    if posted_on < today:
        raise ValidationError(_("A notice cannot be back-dated."), field="posted_on")
    if posted_on > today + MAX_SCHEDULE:
        raise ValidationError(_("A notice can be scheduled at most 60 days ahead."), field="posted_on")
    notice.posted_on = posted_on
    if remove_on is not None and remove_on <= posted_on:
        raise ValidationError(_("It must come down after it goes up."), field="remove_on")
    notice.remove_on = remove_on
    checked = [attachments.check(f, field="files") for f in files]
    if len(checked) > attachments.MAX_PER_NOTICE:
        raise ValidationError(_("At most %(n)d attachments.") % {"n": attachments.MAX_PER_NOTICE}, field="files")
    notice.save()
    for item in checked:
        _store(notice, item, actor)
    audit.record(actor=actor, action="notice.post", target=notice, detail={
        "board": board, "category": category, "posted_on": posted_on.isoformat(), "attachments": len(checked)})
    return notice


@transaction.atomic
def notice_attach(*, actor: Any, notice: Notice, upload: Any) -> NoticeAttachment:
    access.require(actor, "notice.post", notice)
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    if notice.removed_at is not None:
        raise ValidationError(_("This notice has been taken down."), field="notice")
    if notice.attachments.count() >= attachments.MAX_PER_NOTICE:
        raise ValidationError(_("At most %(n)d attachments.") % {"n": attachments.MAX_PER_NOTICE}, field="file")
    attachment = _store(notice, attachments.check(upload), actor)
    audit.record(actor=actor, action="notice.attach", target=notice,
                 detail={"attachment": attachment.pk, "sha256": attachment.sha256, "name": attachment.name})
    return attachment


@transaction.atomic
def notice_take_down(*, actor: Any, notice: Notice, reason: str) -> Notice:
    access.require(actor, "notice.post", notice)
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    reason = text(reason, field="reason", max_length=200)
    if notice.removed_at is not None:
        raise Conflict(_("This notice has already been taken down."), field="notice")
    notice.removed_at, notice.removed_by, notice.removed_reason = timezone.now(), actor, reason
    notice.save(update_fields=["removed_at", "removed_by", "removed_reason"])
    audit.record(actor=actor, action="notice.take_down", target=notice, detail={"reason": reason})
    return notice


# -- the disclosure calendar ----------------------------------------------------------------

@transaction.atomic
def requirement_add(*, actor: Any, region: Region | None, board: str, category: str, frequency: str,
                    title: str, grace_days: int = 10) -> DisclosureRequirement:
    if region is None or region.level > Region.Level.VILLAGE or region.level < Region.Level.COUNTY:
        raise ValidationError(_("A requirement applies under a county, a township or a village."), field="region")
    requirement = DisclosureRequirement(region=region, created_by=actor, **placed(region))
    access.require(actor, "disclosure.manage", requirement, view_action="disclosure.view")
    if board not in Board.values:
        raise ValidationError(_("Choose the Party-affairs or the village-affairs board."), field="board")
    if category not in BOARD_CATEGORIES[board]:
        raise ValidationError(_("This category does not belong on the %(board)s board.")
                              % {"board": Board(board).label}, field="category")
    if frequency not in Frequency.values:
        raise ValidationError(_("Choose how often."), field="frequency")
    requirement.board, requirement.category, requirement.frequency = board, category, frequency
    requirement.title = text(title, field="title", max_length=100)
    requirement.grace_days = whole(grace_days, field="grace_days", maximum=90)
    try:
        with transaction.atomic():
            requirement.save()
    except IntegrityError:
        raise ValidationError(_("This requirement is already in the calendar here."), field="category") from None
    audit.record(actor=actor, action="disclosure.requirement_add", target=requirement,
                 detail={"board": board, "category": category, "frequency": frequency, "grace_days": grace_days})
    return requirement


@transaction.atomic
def requirement_retire(*, actor: Any, requirement: DisclosureRequirement) -> DisclosureRequirement:
    access.require(actor, "disclosure.manage", requirement, view_action="disclosure.view")
    if not requirement.active:
        raise ValidationError(_("This requirement is no longer in force."), field="active")
    requirement.active = False
    requirement.save(update_fields=["active"])
    audit.record(actor=actor, action="disclosure.requirement_retire", target=requirement)
    return requirement


# What villages post by common practice (村务公开: finances monthly; assets, subsidies and
# Party affairs quarterly), the calendar a county starts from.
STANDARD_CALENDAR: list[tuple[str, str, str, int, str]] = [
    (Board.VILLAGE, Category.FINANCES, Frequency.MONTHLY, 10, "村级财务收支情况"),
    (Board.VILLAGE, Category.ASSETS, Frequency.QUARTERLY, 15, "集体资产资源管理情况"),
    (Board.VILLAGE, Category.SUBSIDIES, Frequency.QUARTERLY, 15, "惠民补贴和救助发放情况"),
    (Board.PARTY, Category.PARTY_DUES, Frequency.QUARTERLY, 15, "党费收缴情况"),
    (Board.PARTY, Category.THREE_MEETINGS, Frequency.QUARTERLY, 15, "“三会一课”开展情况"),
]


@transaction.atomic
def calendar_adopt_standard(*, actor: Any, region: Region) -> list[DisclosureRequirement]:
    """Add the standard calendar under a county or township (skipping what is there)."""
    added = []
    existing = set(DisclosureRequirement.objects.filter(region=region)
                   .values_list("board", "category", "frequency"))
    for board, category, frequency, grace, title in STANDARD_CALENDAR:
        if (board, category, frequency) not in existing:
            added.append(requirement_add(actor=actor, region=region, board=board, category=category,
                                         frequency=frequency, title=title, grace_days=grace))
    return added
