"""Writes of household contact, dual registration and micro-wishes. Every function: keyword-only
arguments, an explicit actor, one transaction, the permission check, the audit entry.

A visit can start a request, a dispute clue or a points proposal in one step: those are filed
through their own modules' services (``casework.services.request_submit``,
``disputes.services.dispute_report``, ``points.services.award_propose``) with what the visit
already says, and the visit keeps a note of what it started.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.contact import photos
from shanzhi.contact.flow import REPORT_FLOW, WISH_FLOW, ReportState, WishState, is_member_self
from shanzhi.contact.models import (
    DEFAULT_INTERVAL_DAYS,
    DEFAULT_MAX_HOUSEHOLDS,
    DEFAULT_MIN_HOUSEHOLDS,
    DEFAULT_TAG_INTERVALS,
    NOTE_MAX,
    Assignment,
    ContactPolicy,
    FollowUpKind,
    MemberRegistration,
    MicroWish,
    MonthlyReport,
    Purpose,
    QuarterSummary,
    TagInterval,
    Unit,
    UnitKind,
    UnitRegistration,
    Visit,
    VisitFollowUp,
    WishCategory,
)
from shanzhi.contact.permissions import member_filter, village_paths
from shanzhi.core import access, audit, idnumbers, notify, workflow
from shanzhi.core.errors import Conflict, PermissionDenied, ValidationError
from shanzhi.people.models import PartyMember, PartyOrganisation, User
from shanzhi.regions.models import Household, Region, Resident, Tag

MAX_BATCH = 60  # households assigned in one step
MAX_PAST_DAYS = 62  # a visit is logged within two months


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def clean_text(value: Any, *, field: str, max_length: int, required: bool = False) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if required and not text:
        raise ValidationError(_("This field is required."), field=field)
    if len(text) > max_length:
        raise ValidationError(_("At most %(n)d characters.") % {"n": max_length}, field=field)
    return text


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(month: dt.date) -> dt.date:
    nxt = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return nxt - dt.timedelta(days=1)


def quarter_bounds(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    if not 1 <= quarter <= 4:
        raise ValidationError(_("A quarter is 1 to 4."), field="quarter")
    start = dt.date(year, 3 * quarter - 2, 1)
    return start, month_end(dt.date(year, 3 * quarter, 1))


# -- who is who ------------------------------------------------------------------------------

def members_of(actor: Any) -> list[PartyMember]:
    """The Party member records that are this account (normally one)."""
    user = actor.user if isinstance(actor, access.Viewer) else actor
    q = member_filter(user)
    if q is None:
        return []
    return list(PartyMember.objects.filter(q).select_related("organisation", "organisation__parent")
                .order_by("id"))


def acting_member(actor: Any) -> PartyMember:
    found = members_of(actor)
    if not found:
        raise PermissionDenied(_("Your account is not a Party member's."))
    return found[0]


def member_village(member: PartyMember) -> Region | None:
    """The village whose branch (or party group) the member belongs to."""
    path = member.organisation.region_path
    village = village_paths([path]).get(path)
    return Region.objects.filter(path=village).first() if village else None


def member_branch(member: PartyMember) -> PartyOrganisation:
    """The branch a member reports to: their own organisation, or the branch of their group."""
    org = member.organisation
    if org.kind == PartyOrganisation.Kind.GROUP and org.parent is not None:
        return org.parent
    return org


def _county_of(region: Region) -> Region:
    return region if region.level == Region.Level.COUNTY else Region.objects.get(pk=region.county_pk)


# -- the county's policy ---------------------------------------------------------------------

def policy_for(county_id: int) -> tuple[ContactPolicy, dict[str, int]]:
    """The county's limits and its intervals by tag (the defaults when it set none)."""
    policy = ContactPolicy.objects.filter(county_id=county_id).first()
    if policy is None:
        return (ContactPolicy(county_id=county_id, min_households=DEFAULT_MIN_HOUSEHOLDS,
                              max_households=DEFAULT_MAX_HOUSEHOLDS, interval_days=DEFAULT_INTERVAL_DAYS),
                {str(k): v for k, v in DEFAULT_TAG_INTERVALS.items()})
    return policy, dict(policy.tag_intervals.values_list("tag", "days"))


def _days(value: Any, field: str) -> int:
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise ValidationError(_("Enter a whole number."), field=field) from None
    if not 1 <= days <= 365:
        raise ValidationError(_("Between 1 and 365 days."), field=field)
    return days


@transaction.atomic
def policy_update(*, actor: Any, county: Region, min_households: int, max_households: int, interval_days: int,
                  tag_intervals: dict[str, Any]) -> ContactPolicy:
    """Set a county's limits (households per member) and visit intervals (by default and by tag)."""
    if county.level != Region.Level.COUNTY:
        raise ValidationError(_("The policy is set for a county."), field="county")
    policy = ContactPolicy.objects.select_for_update().filter(county=county).first() or ContactPolicy(
        county=county, region_path=county.path)
    access.require(actor, "contact.policy", policy, view_action="contact.view")
    low, high = _days(min_households, "min_households"), _days(max_households, "max_households")
    if low > high:
        raise ValidationError(_("The least number is above the greatest."), field="min_households")
    intervals = {}
    for tag, days in (tag_intervals or {}).items():
        if tag not in Tag.values:
            raise ValidationError(_("Unknown tag: %(tag)s") % {"tag": str(tag)[:32]}, field="tag_intervals")
        intervals[tag] = _days(days, f"tag_intervals.{tag}")
    before = {"min": policy.min_households, "max": policy.max_households, "interval": policy.interval_days}
    policy.min_households, policy.max_households = low, high
    policy.interval_days = _days(interval_days, "interval_days")
    policy.save()
    policy.tag_intervals.all().delete()
    TagInterval.objects.bulk_create([TagInterval(policy=policy, tag=t, days=d) for t, d in sorted(intervals.items())])
    audit.record(actor=actor, action="contact.policy_update", target=policy, detail={
        **audit.changes(before, {"min": low, "max": high, "interval": policy.interval_days}), "tags": intervals})
    return policy


# -- assignments (包联) -------------------------------------------------------------------------

def member_load(member: PartyMember) -> int:
    return Assignment.objects.filter(member=member, end_date__isnull=True).count()


def load_warning(member: PartyMember, count: int, county_id: int) -> str:
    """What the page says when a member is outside the county's limits (empty when inside)."""
    policy = policy_for(county_id)[0]
    if count > policy.max_households:
        return _("%(name)s now looks after %(n)d households, more than the county's %(max)d.") % {
            "name": member.name, "n": count, "max": policy.max_households}
    if count < policy.min_households:
        return _("%(name)s looks after %(n)d households, fewer than the county's %(min)d.") % {
            "name": member.name, "n": count, "min": policy.min_households}
    return ""


@transaction.atomic
def assignment_create(*, actor: Any, member: PartyMember, households: Sequence[Household],
                      start_date: dt.date | None = None, replace: bool = False) -> tuple[list[Assignment], str]:
    """Put households of the member's village in the member's care (all of them or none).
    A household already in another member's care is a conflict unless ``replace`` hands it
    over. Returns the new assignments and a warning when the member is now outside the
    county's limits (the limits warn; they do not forbid)."""
    if not households:
        raise ValidationError(_("Choose at least one household."), field="household_ids")
    if len(households) > MAX_BATCH:
        raise ValidationError(_("At most %(n)d households at once.") % {"n": MAX_BATCH}, field="household_ids")
    village = member_village(member)
    if village is None:
        raise ValidationError(_("This member's organisation is not a village branch or party group."),
                              field="member_id")
    start = start_date or timezone.localdate()
    if start > timezone.localdate():
        raise ValidationError(_("The date is in the future."), field="start_date")
    ids = [h.pk for h in households]
    if len(set(ids)) != len(ids):
        raise ValidationError(_("A household is named twice."), field="household_ids")
    for h in households:
        if h.village_id != village.pk:
            raise ValidationError(_("Household %(number)s is not in %(village)s, the member's village.")
                                  % {"number": h.number, "village": village.name}, field="household_ids")
        access.require(actor, "contact.assign", Assignment(region_path=h.region_path, household_id=h.pk),
                       view_action="contact.view")
    current = {a.household_id: a for a in Assignment.objects.select_for_update().filter(
        household_id__in=ids, end_date__isnull=True).select_related("member", "household")}
    ended = []
    for a in current.values():
        if a.member_id == member.pk:
            raise ValidationError(_("Household %(number)s is already in %(name)s's care.")
                                  % {"number": a.household.number, "name": member.name}, field="household_ids")
        if not replace:
            raise Conflict(_("Household %(number)s is in %(name)s's care; hand it over to change that.")
                           % {"number": a.household.number, "name": a.member.name}, field="household_ids")
        a.end_date = max(start, a.start_date)
        a.save(update_fields=["end_date"])
        ended.append(a)
    rows = [Assignment(member=member, household=h, village=village, region_path=h.region_path,
                       county_id=h.county_id, start_date=start, assigned_by=_user(actor)) for h in households]
    try:
        with transaction.atomic():
            Assignment.objects.bulk_create(rows)
    except IntegrityError:
        raise Conflict(_("Someone else changed these households' contacts first; reload and try again."),
                       field="household_ids") from None
    for a in ended:
        audit.record(actor=actor, action="contact.assignment_end", target=a,
                     detail={"household": a.household.number, "member": a.member.name, "handed_to": member.name})
    for a in rows:
        audit.record(actor=actor, action="contact.assign", target=a,
                     detail={"household": a.household.number, "member": member.name, "start": start.isoformat()})
    return rows, load_warning(member, member_load(member), village.county_pk)


@transaction.atomic
def assignment_end(*, actor: Any, assignment: Assignment, end_date: dt.date | None = None) -> Assignment:
    access.require(actor, "contact.assign", assignment, view_action="contact.view")
    if assignment.end_date is not None:
        raise ValidationError(_("This contact has ended already."), field="end_date")
    end = end_date or timezone.localdate()
    if end < assignment.start_date:
        raise ValidationError(_("The end date is before the start date."), field="end_date")
    moved = Assignment.objects.filter(pk=assignment.pk, end_date__isnull=True).update(end_date=end)
    if moved != 1:
        raise Conflict()
    assignment.end_date = end
    audit.record(actor=actor, action="contact.assignment_end", target=assignment,
                 detail={"end_date": end.isoformat()})
    return assignment


# -- visits (走访) --------------------------------------------------------------------------------

def _assignment_on(member: PartyMember, household: Household, day: dt.date) -> Assignment | None:
    return (Assignment.objects.filter(member=member, household=household, start_date__lte=day)
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=day)).first())


@transaction.atomic
def visit_log(*, actor: Any, household: Household, visited_on: dt.date, purpose: str, note: str = "",
              settled: bool = False, photo: Any = None, latitude: Any = None, longitude: Any = None,
              member: PartyMember | None = None) -> Visit:
    """A member logs a visit to a household in their care; the village may log one for a
    member (one without a phone), naming the member."""
    viewer = access.viewer_for(actor)
    own = member is None or is_member_self(member, viewer)
    if member is None:
        member = acting_member(actor)
    if purpose not in Purpose.values:
        raise ValidationError(_("Choose the purpose of the visit."), field="purpose")
    today = timezone.localdate()
    if visited_on > today:
        raise ValidationError(_("The date is in the future."), field="visited_on")
    if visited_on < today - dt.timedelta(days=MAX_PAST_DAYS):
        raise ValidationError(_("A visit is logged within two months."), field="visited_on")
    note = clean_text(note, field="note", max_length=NOTE_MAX)
    visit = Visit(member=member, household=household, village_id=household.village_id,
                  region_path=household.region_path, county_id=household.county_id, visited_on=visited_on,
                  purpose=purpose, note=note, settled=bool(settled), recorded_by=_user(actor))
    if own:
        access.require(viewer, "contact.visit", visit, view_action="contact.view")
    else:
        access.require(viewer, "contact.record", visit, view_action="contact.view")
    if _assignment_on(member, household, visited_on) is None:
        raise ValidationError(_("Household %(number)s was not in %(name)s's care on that day.")
                              % {"number": household.number, "name": member.name}, field="household_id")
    place = photos.check_place(latitude=latitude, longitude=longitude, photo=photo, village=household.village)
    visit.latitude, visit.longitude = place.latitude, place.longitude
    if place.image is not None:
        photos.save_photo(visit.photo, photo, place.image)
        visit.photo_type, visit.photo_sha256 = place.image.content_type, place.image.sha256
    try:
        visit.save()
        audit.record(actor=actor, action="contact.visit", target=visit, detail={
            "household": household.number, "member": member.name, "purpose": purpose,
            "visited_on": visited_on.isoformat(), "settled": visit.settled, "photo": bool(visit.photo),
            "located": visit.latitude is not None})
    except Exception:
        if visit.photo:
            visit.photo.storage.delete(visit.photo.name)
        raise
    return visit


def _may_follow_up(actor: Any, visit: Visit) -> None:
    viewer = access.viewer_for(actor)
    if is_member_self(visit.member, viewer):
        return
    access.require(viewer, "contact.record", visit, view_action="contact.view")


def _follow_up(actor: Any, visit: Visit, kind: str, make: Any) -> VisitFollowUp:
    _may_follow_up(actor, visit)
    existing = VisitFollowUp.objects.filter(visit=visit, kind=kind).first()
    if existing is not None:
        raise Conflict(_("This visit has already started %(what)s %(label)s.")
                       % {"what": FollowUpKind(kind).label, "label": existing.label}, field="kind")
    try:
        with transaction.atomic():
            target_id, label = make()
            follow = VisitFollowUp.objects.create(visit=visit, kind=kind, target_id=target_id, label=label[:100],
                                                  created_by=_user(actor))
    except IntegrityError:
        raise Conflict(_("This visit has already started one; reload to see it."), field="kind") from None
    audit.record(actor=actor, action="contact.follow_up", target=visit,
                 detail={"kind": kind, "target": target_id, "label": follow.label})
    return follow


def _head(household: Household) -> Resident | None:
    return household.members.filter(relation=Resident.Relation.HEAD, status=Resident.Status.ACTIVE).first()


@transaction.atomic
def visit_start_request(*, actor: Any, visit: Visit, category: str, description: str = "",
                        resident: Resident | None = None) -> VisitFollowUp:
    """File a request for the household from the visit: the household, the asking resident
    (the head unless named), and the visit's note as the description."""
    from shanzhi.casework import selectors as casework_selectors
    from shanzhi.casework import services as casework

    def make() -> tuple[int, str]:
        cat = casework_selectors.category_get(visit.county, category)
        text = (description or "").strip() or visit.note or str(Purpose(visit.purpose).label)
        req = casework.request_submit(actor=actor, category=cat, description=text, household=visit.household,
                                      resident=resident or _head(visit.household), channel="service_centre",
                                      latitude=visit.latitude, longitude=visit.longitude)
        return req.pk, f"#{req.number}"

    return _follow_up(actor, visit, FollowUpKind.REQUEST, make)


@transaction.atomic
def visit_start_dispute(*, actor: Any, visit: Visit, summary: str = "", type_code: str = "",
                        parties: Sequence[dict[str, Any]] = ()) -> VisitFollowUp:
    """Report a dispute clue found on the visit: a screening find when the visit was one,
    otherwise what the household told the member; the head of household is its first party
    unless others are named."""
    from shanzhi.disputes import services as disputes
    from shanzhi.disputes.models import Source

    def make() -> tuple[int, str]:
        text = (summary or "").strip() or visit.note
        source = Source.SCREENING if visit.purpose == Purpose.DISPUTE else Source.RESIDENT
        head = _head(visit.household)
        named = parties or ([{"resident": head, "side": "applicant"}] if head is not None else [])
        dispute = disputes.dispute_report(actor=actor, source=source, summary=text, household=visit.household,
                                          type_code=type_code, parties=named)
        return dispute.pk, f"#{dispute.number}"

    return _follow_up(actor, visit, FollowUpKind.DISPUTE, make)


@transaction.atomic
def visit_start_points(*, actor: Any, visit: Visit, rule_id: int, note: str = "", points: int | None = None
                       ) -> VisitFollowUp:
    """Propose points for the household for what the visit saw (the council reviews it)."""
    from shanzhi.points import services as points_services
    from shanzhi.points.models import PointRule

    def make() -> tuple[int, str]:
        rule = PointRule.objects.filter(pk=rule_id, region_id=visit.household.village_id, is_template=False).first()
        if rule is None:
            raise ValidationError(_("Choose one of the village's point rules."), field="rule_id")
        award = points_services.award_propose(actor=actor, household=visit.household, rule=rule,
                                              occurred_on=visit.visited_on, points=points,
                                              note=(note or "").strip() or visit.note)
        return award.pk, f"{rule.item[:60]} {award.points:+d}"

    return _follow_up(actor, visit, FollowUpKind.POINTS, make)


# -- reminders ------------------------------------------------------------------------------------

REMINDER_EVERY = dt.timedelta(days=7)


def due_reminders_send(*, now: dt.datetime | None = None) -> int:
    """Tell each member who logs in how many households in their care wait for a visit (the
    weekly job). A member told within the week is not told again, so running twice is safe."""
    from django.db.models import Count, F

    from shanzhi.contact import selectors
    from shanzhi.core.models import Notification

    now = now or timezone.now()
    day = timezone.localdate(now)
    current = Assignment.objects.filter(start_date__lte=day).filter(Q(end_date__isnull=True) | Q(end_date__gte=day))
    due = dict(selectors.with_due(current, day).filter(seen__lt=F("cutoff")).order_by()  # type: ignore[misc]  # annotated by with_due()
               .values("member_id").annotate(n=Count("id")).values_list("member_id", "n"))
    if not due:
        return 0
    told = set(Notification.objects.filter(kind="contact.visits_due", created_at__gte=now - REMINDER_EVERY)
               .values_list("recipient_id", flat=True))
    accounts: dict[int, set[int]] = {}
    for pk, user_id, resident_id in PartyMember.objects.filter(pk__in=due).values_list("pk", "user_id",
                                                                                      "resident_id"):
        if user_id:
            accounts.setdefault(pk, set()).add(user_id)
        if resident_id:
            accounts.setdefault(pk, set()).update(
                User.objects.filter(resident_id=resident_id, is_active=True).values_list("pk", flat=True))
    messages = [notify.Message(recipients=sorted(users - told), kind="contact.visits_due",
                               title=_("%(n)d households in your care are waiting for a visit") % {"n": due[pk]},
                               link="/contact/")
                for pk, users in accounts.items() if users - told]
    return notify.notify_many(messages)


# -- monthly reports (月汇报) and quarterly summaries (季总结) ------------------------------------

def report_figures(member: PartyMember, month: dt.date) -> dict[str, Any]:
    """The month of a member, from their visits and their care at the month's end."""
    start, end = month, month_end(month)
    visits = Visit.objects.filter(member=member, visited_on__gte=start, visited_on__lte=end)
    rows = list(visits.values_list("household_id", "purpose", "settled"))
    assigned = (Assignment.objects.filter(member=member, start_date__lte=end)
                .filter(Q(end_date__isnull=True) | Q(end_date__gte=start)).values("household_id").distinct().count())
    return {
        "visits": len(rows),
        "households_visited": len({h for h, _p, _s in rows}),
        "households_assigned": assigned,
        "settled": sum(1 for _h, _p, s in rows if s),
        "follow_ups": VisitFollowUp.objects.filter(visit__in=visits).count(),
        "by_purpose": dict(Counter(p for _h, p, _s in rows)),
    }


def _apply_figures(report: MonthlyReport, figures: dict[str, Any]) -> list[str]:
    for key, value in figures.items():
        setattr(report, key, value)
    report.assembled_at = timezone.now()
    return [*figures, "assembled_at"]


def _check_month(month: dt.date) -> dt.date:
    month = month_start(month)
    if month > month_start(timezone.localdate()):
        raise ValidationError(_("That month has not begun."), field="month")
    return month


@transaction.atomic
def report_assemble(*, actor: Any, month: dt.date, member: PartyMember | None = None) -> MonthlyReport:
    """The member's report for a month, created or brought up to date from their visits
    (while it is a draft or returned); the village may assemble one for a member."""
    viewer = access.viewer_for(actor)
    own = member is None or is_member_self(member, viewer)
    member = member or acting_member(actor)
    month = _check_month(month)
    village = member_village(member)
    if village is None:
        raise ValidationError(_("This member's organisation is not a village branch or party group."),
                              field="member_id")
    report = MonthlyReport.objects.select_for_update().filter(member=member, month=month).first()
    created = report is None
    if report is None:
        report = MonthlyReport(member=member, month=month, branch=member_branch(member), village=village,
                               region_path=village.path, county_id=village.county_pk)
    if own:
        access.require(viewer, "contact.report", report, view_action="contact.view")
    else:
        access.require(viewer, "contact.record", report, view_action="contact.view")
    if report.state not in (ReportState.DRAFT, ReportState.RETURNED):
        return report
    _apply_figures(report, report_figures(member, month))
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError:
        raise Conflict() from None
    if created:
        REPORT_FLOW.start(report, actor=actor)
        audit.record(actor=actor, action="contact.report_assemble", target=report,
                     detail={"member": member.name, "month": month.isoformat()})
    return report


def _reviewers(report: MonthlyReport) -> list[int]:
    from shanzhi.people.models import Position

    return list(Position.objects.current().filter(role__in=["village_secretary", "village_committee"],
                                                  region_path=report.region_path)
                .values_list("user_id", flat=True))


def _member_accounts(member: PartyMember) -> list[int]:
    ids = [member.user_id] if member.user_id else []
    if member.resident_id:
        ids += list(User.objects.filter(resident_id=member.resident_id, is_active=True).values_list("pk", flat=True))
    return ids


@transaction.atomic
def report_submit(*, actor: Any, report: MonthlyReport, summary: str = "") -> MonthlyReport:
    summary = clean_text(summary, field="summary", max_length=4000)
    fields = _apply_figures(report, report_figures(report.member, report.month))
    workflow.transition(report, name="submit", actor=actor, note=summary[:200],
                        summary=summary or report.summary, **{k: getattr(report, k) for k in fields})
    notify.notify(_reviewers(report), "contact.report_submitted",
                  _("%(name)s's report for %(month)s is waiting for review")
                  % {"name": report.member.name, "month": report.month.strftime("%Y-%m")},
                  link=f"/contact/reports/{report.pk}/", target=report)
    return report


@transaction.atomic
def report_approve(*, actor: Any, report: MonthlyReport, note: str = "") -> MonthlyReport:
    note = clean_text(note, field="note", max_length=4000)
    workflow.transition(report, name="approve", actor=actor, note=note, reviewed_by=_user(actor), review_note=note)
    notify.notify(_member_accounts(report.member), "contact.report_approved",
                  _("Your report for %(month)s was approved") % {"month": report.month.strftime("%Y-%m")},
                  body=note, link=f"/contact/reports/{report.pk}/", target=report)
    return report


@transaction.atomic
def report_return(*, actor: Any, report: MonthlyReport, note: str) -> MonthlyReport:
    note = clean_text(note, field="note", max_length=4000, required=True)
    workflow.transition(report, name="return", actor=actor, note=note, reviewed_by=_user(actor), review_note=note)
    notify.notify(_member_accounts(report.member), "contact.report_returned",
                  _("Your report for %(month)s was returned for changes") % {"month": report.month.strftime("%Y-%m")},
                  body=note, link=f"/contact/reports/{report.pk}/", target=report)
    return report


@transaction.atomic
def quarter_summary_write(*, actor: Any, branch: PartyOrganisation, year: int, quarter: int,
                          summary: str) -> QuarterSummary:
    """The branch's summary of a quarter; the figures are taken as they stand now."""
    from shanzhi.contact import selectors

    if branch.kind != PartyOrganisation.Kind.BRANCH:
        raise ValidationError(_("A quarterly summary is written by a branch."), field="branch_id")
    start, _end = quarter_bounds(year, quarter)
    if start > timezone.localdate():
        raise ValidationError(_("That quarter has not begun."), field="quarter")
    summary = clean_text(summary, field="summary", max_length=8000, required=True)
    county_id = Region.objects.get(pk=branch.region_id).county_pk
    row = QuarterSummary.objects.select_for_update().filter(branch=branch, year=year, quarter=quarter).first() or \
        QuarterSummary(branch=branch, year=year, quarter=quarter, region_path=branch.region_path, county_id=county_id)
    access.require(actor, "contact.summarise", row, view_action="contact.view")
    row.figures = selectors.branch_quarter_figures(branch, year, quarter).as_dict()
    row.summary, row.written_by = summary, _user(actor)
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        raise Conflict() from None
    audit.record(actor=actor, action="contact.quarter_summary", target=row,
                 detail={"year": year, "quarter": quarter, "figures": row.figures})
    return row


# -- dual registration (双报到) ---------------------------------------------------------------------

def _community(region: Region | None, field: str = "community") -> Region:
    if region is None or region.level != Region.Level.VILLAGE:
        raise ValidationError(_("Choose a community (or village)."), field=field)
    return region


@transaction.atomic
def unit_create(*, actor: Any, region: Region, name: str, kind: str,
                party_organisation: PartyOrganisation | None = None, address: str = "", contact_name: str = "",
                contact_phone: str = "", liaison: User | None = None) -> Unit:
    """A unit, recorded by the county (or township) or by the community it registers with."""
    name = clean_text(name, field="name", max_length=100, required=True)
    if kind not in UnitKind.values:
        raise ValidationError(_("Choose the kind of unit."), field="kind")
    contact_phone = clean_text(contact_phone, field="contact_phone", max_length=20)
    if contact_phone and idnumbers.phone_problem(contact_phone):
        raise ValidationError(idnumbers.phone_problem(contact_phone), field="contact_phone")
    county = _county_of(region)
    unit = Unit(name=name, kind=kind, party_organisation=party_organisation, region_path=region.path, county=county,
                address=clean_text(address, field="address", max_length=200),
                contact_name=clean_text(contact_name, field="contact_name", max_length=50),
                contact_phone=contact_phone, liaison=liaison)
    access.require(actor, "unit.manage", unit, view_action="unit.view")
    if party_organisation is not None and not access.can(actor, "party.view", party_organisation):
        raise ValidationError(_("Unknown Party organisation."), field="party_organisation_id")
    try:
        with transaction.atomic():
            unit.save()
    except IntegrityError:
        raise ValidationError(_("A unit of this name is registered in the county already."), field="name") from None
    audit.record(actor=actor, action="contact.unit_create", target=unit, detail={"kind": kind})
    return unit


@transaction.atomic
def unit_register(*, actor: Any, unit: Unit, community: Region, pledge: str = "",
                  registered_on: dt.date | None = None) -> UnitRegistration:
    community = _community(community)
    if community.county_id != unit.county_id:
        raise ValidationError(_("The unit and the community are in different counties."), field="community")
    day = registered_on or timezone.localdate()
    reg = UnitRegistration(unit=unit, community=community, region_path=community.path,
                           county_id=community.county_pk, registered_on=day,
                           pledge=clean_text(pledge, field="pledge", max_length=2000), registered_by=_user(actor))
    access.require(actor, "unit.manage", reg, view_action="unit.view")
    try:
        with transaction.atomic():
            reg.save()
    except IntegrityError:
        raise Conflict(_("%(unit)s is registered with %(community)s already.")
                       % {"unit": unit.name, "community": community.name}, field="community") from None
    audit.record(actor=actor, action="contact.unit_register", target=reg, detail={"unit": unit.name})
    return reg


@transaction.atomic
def member_register(*, actor: Any, member: PartyMember, community: Region, unit: Unit | None = None,
                    registered_on: dt.date | None = None) -> MemberRegistration:
    """An in-service member registers with the community they live in (by themselves, or the
    community registers them)."""
    community = _community(community)
    reg = MemberRegistration(member=member, community=community, unit=unit, region_path=community.path,
                             county_id=community.county_pk, registered_on=registered_on or timezone.localdate(),
                             registered_by=_user(actor))
    if not is_member_self(member, access.viewer_for(actor)):
        access.require(actor, "unit.manage", reg, view_action="unit.view")
    if unit is not None and unit.county_id != community.county_id:
        raise ValidationError(_("The unit and the community are in different counties."), field="unit_id")
    other = MemberRegistration.objects.filter(member=member, ended_on__isnull=True).select_related("community").first()
    if other is not None:
        raise Conflict(_("%(name)s is registered with %(community)s; end that registration first.")
                       % {"name": member.name, "community": other.community.name}, field="community")
    try:
        with transaction.atomic():
            reg.save()
    except IntegrityError:
        raise Conflict() from None
    audit.record(actor=actor, action="contact.member_register", target=reg,
                 detail={"member": member.name, "unit": unit.name if unit else None})
    return reg


@transaction.atomic
def registration_end(*, actor: Any, registration: UnitRegistration | MemberRegistration,
                     ended_on: dt.date | None = None) -> Any:
    own = isinstance(registration, MemberRegistration) and is_member_self(registration.member,
                                                                          access.viewer_for(actor))
    if not own:
        access.require(actor, "unit.manage", registration, view_action="unit.view")
    end = ended_on or timezone.localdate()
    if registration.ended_on is not None:
        raise ValidationError(_("This registration has ended already."), field="ended_on")
    if end < registration.registered_on:
        raise ValidationError(_("The end date is before the start date."), field="ended_on")
    type(registration).objects.filter(pk=registration.pk).update(ended_on=end)
    registration.ended_on = end
    audit.record(actor=actor, action="contact.registration_end", target=registration,
                 detail={"ended_on": end.isoformat()})
    return registration


# -- micro-wishes (微心愿) ------------------------------------------------------------------------

def _household_accounts(wish: MicroWish) -> list[int]:
    """The accounts of the wish's household (its residents who log in)."""
    return list(User.objects.filter(resident__household_id=wish.household_id, is_active=True)
                .values_list("pk", flat=True))


def _wish_link(wish: MicroWish) -> str:
    return f"/contact/wishes/{wish.pk}/"


@transaction.atomic
def wish_post(*, actor: Any, household: Household, title: str, category: str, description: str = "",
              resident: Resident | None = None) -> MicroWish:
    """A resident posts a wish for their own household; the grid team or the village posts
    one for a resident (who may not have a phone)."""
    viewer = access.viewer_for(actor)
    title = clean_text(title, field="title", max_length=100, required=True)
    description = clean_text(description, field="description", max_length=1000)
    if category not in WishCategory.values:
        raise ValidationError(_("Choose what kind of wish it is."), field="category")
    own = viewer.household_id is not None and viewer.household_id == household.pk
    if own and resident is None and viewer.resident_id is not None:
        resident = Resident.objects.filter(pk=viewer.resident_id).first()
    if resident is not None and resident.household_id != household.pk:
        raise ValidationError(_("This resident is not a member of that household."), field="resident_id")
    wish = MicroWish(household=household, resident=resident, village_id=household.village_id,
                     region_path=household.region_path, county_id=household.county_id, title=title,
                     description=description, category=category, posted_by=_user(actor), posted_for=not own,
                     state=WISH_FLOW.initial)
    access.require(viewer, "wish.post", wish, view_action="wish.view")
    wish.save()
    WISH_FLOW.start(wish, actor=actor)
    audit.record(actor=actor, action="wish.post", target=wish, detail={"household": household.number,
                                                                        "category": category})
    return wish


def _claimer_for(actor: Any, wish: MicroWish, unit: Unit | None) -> dict[str, Any]:
    viewer = access.viewer_for(actor)
    if unit is not None:
        if unit.liaison_id is None or viewer.user is None or unit.liaison_id != viewer.user.pk:
            raise PermissionDenied(_("Only the unit's liaison claims for the unit."))
        registered = UnitRegistration.objects.filter(unit=unit, community_id=wish.village_id, ended_on__isnull=True)
        if not registered.exists():
            raise ValidationError(_("%(unit)s is not registered with this community.") % {"unit": unit.name},
                                  field="unit_id")
        return {"claimed_unit": unit, "claimed_member": None}
    members = members_of(actor)
    if not members:
        raise PermissionDenied(_("A wish is claimed by a Party member or for a registered unit."))
    return {"claimed_member": members[0], "claimed_unit": None}


@transaction.atomic
def wish_claim(*, actor: Any, wish: MicroWish, unit: Unit | None = None) -> MicroWish:
    """Take a wish up (认领): one claimer per wish. A wish someone has claimed already answers
    409; two claiming at once, one wins (the step is a compare-and-set)."""
    if wish.state != WishState.OPEN:
        access.require(actor, "wish.view", wish)
        if wish.state in (WishState.CLAIMED, WishState.FULFILLED, WishState.THANKED):
            raise Conflict(_("This wish has been claimed already, by %(name)s.") % {"name": wish.claimer_name},
                           field="state")
        raise ValidationError(_("This wish is no longer open."), field="state")
    access.require(actor, "wish.claim", wish, view_action="wish.view")
    who = _claimer_for(actor, wish, unit)
    workflow.transition(wish, name="claim", actor=actor, claimed_by=_user(actor), **who)
    name = who["claimed_unit"].name if who["claimed_unit"] else who["claimed_member"].name
    recipients = [wish.posted_by_id, *_household_accounts(wish)]
    notify.notify([r for r in recipients if r and r != getattr(actor, "pk", None)], "wish.claimed",
                  _("%(name)s has taken up the wish “%(title)s”") % {"name": name, "title": wish.title},
                  link=_wish_link(wish), target=wish)
    return wish


@transaction.atomic
def wish_release(*, actor: Any, wish: MicroWish, reason: str) -> MicroWish:
    reason = clean_text(reason, field="reason", max_length=1000, required=True)
    workflow.transition(wish, name="release", actor=actor, note=reason, claimed_member=None, claimed_unit=None,
                        claimed_by=None, claimed_at=None)
    return wish


@transaction.atomic
def wish_fulfil(*, actor: Any, wish: MicroWish, note: str = "", photo: Any = None) -> MicroWish:
    """Fulfilled, with a note or a photo (or both)."""
    note = clean_text(note, field="note", max_length=2000)
    if not note and photo is None:
        raise ValidationError(_("Say how the wish was fulfilled, or add a photo."), field="note")
    changes: dict[str, Any] = {"fulfilment_note": note}
    if photo is not None:
        place = photos.check_place(latitude=None, longitude=None, photo=photo, village=None)
        assert place.image is not None
        photos.save_photo(wish.fulfilment_photo, photo, place.image)
        changes.update(fulfilment_photo=wish.fulfilment_photo.name, fulfilment_photo_type=place.image.content_type)
    try:
        workflow.transition(wish, name="fulfil", actor=actor, note=note, **changes)
    except Exception:
        if photo is not None and wish.fulfilment_photo:
            wish.fulfilment_photo.storage.delete(wish.fulfilment_photo.name)
        raise
    notify.notify([*_household_accounts(wish), wish.posted_by_id], "wish.fulfilled",
                  _("Your wish “%(title)s” has been fulfilled") % {"title": wish.title},
                  link=_wish_link(wish), target=wish)
    return wish


@transaction.atomic
def wish_thank(*, actor: Any, wish: MicroWish, note: str = "") -> MicroWish:
    note = clean_text(note, field="note", max_length=1000)
    workflow.transition(wish, name="thank", actor=actor, note=note, thanks_note=note)
    notify.notify([wish.claimed_by_id], "wish.thanked",
                  _("Thanks for fulfilling “%(title)s”") % {"title": wish.title}, body=note,
                  link=_wish_link(wish), target=wish)
    return wish


@transaction.atomic
def wish_withdraw(*, actor: Any, wish: MicroWish, reason: str) -> MicroWish:
    reason = clean_text(reason, field="reason", max_length=1000, required=True)
    workflow.transition(wish, name="withdraw", actor=actor, note=reason)
    return wish


__all__ = ["acting_member", "assignment_create", "assignment_end", "due_reminders_send", "member_branch",
           "member_register", "member_village", "members_of", "policy_for", "policy_update", "quarter_summary_write",
           "registration_end", "report_approve", "report_assemble", "report_return", "report_submit", "unit_create",
           "unit_register", "visit_log", "visit_start_dispute", "visit_start_points", "visit_start_request",
           "wish_claim", "wish_fulfil", "wish_post", "wish_release", "wish_thank", "wish_withdraw"]
