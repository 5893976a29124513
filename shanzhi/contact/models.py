"""Party-member household contact (党员联户), dual registration and micro-wishes (双报到、微心愿).

- ``ContactPolicy`` / ``TagInterval``: per county, how many households a member looks after
  (10–15 by default, seed 000) and how often a household is visited (every 30 days by
  default, more often for households with an elderly person living alone and the like).
- ``Assignment``: a member looks after a household of their village, from a date to a date;
  a household has one contact member at a time (the database holds it).
- ``Visit``: a logged visit (走访) with its purpose, note, optional photo and location;
  ``VisitFollowUp`` names the request, dispute clue or points proposal a visit started.
- ``MonthlyReport``: a member's month assembled from their visits, submitted by the member
  and reviewed by the branch (周走访、月汇报); ``QuarterSummary``: the branch's quarter (季总结).
- ``Unit``, ``UnitRegistration``, ``MemberRegistration``: units with their Party organisation
  and in-service members registered with a community (双报到).
- ``MicroWish``: a resident's small wish, claimed by exactly one member or unit (the row
  holds one claimer, a check constraint says so, and the claim is a compare-and-set step).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shanzhi.contact.flow import CLAIMED_STATES, REPORT_FLOW, WISH_FLOW, WishState
from shanzhi.regions.models import Tag

USER = settings.AUTH_USER_MODEL
NOTE_MAX = 2000

DEFAULT_MIN_HOUSEHOLDS = 10
DEFAULT_MAX_HOUSEHOLDS = 15
DEFAULT_INTERVAL_DAYS = 30
# Households with such a resident are visited more often, unless the county says otherwise
# (seed 004's weekly visits for the elderly living alone).
DEFAULT_TAG_INTERVALS: dict[str, int] = {
    Tag.ELDERLY_ALONE: 7,
    Tag.SERIOUSLY_ILL: 14,
    Tag.DISABLED: 14,
    Tag.LEFT_BEHIND_CHILD: 14,
}


class Placed(models.Model):
    """A record of a place: its region path and county, copied from the place."""

    region_path = models.CharField(_("region path"), max_length=255, db_index=True)
    county = models.ForeignKey("regions.Region", verbose_name=_("county"), on_delete=models.PROTECT,
                               related_name="+")

    class Meta:
        abstract = True


class ContactPolicy(Placed):
    """A county's limits: households per member and days between visits."""

    min_households = models.PositiveSmallIntegerField(_("households per member, at least"),
                                                      default=DEFAULT_MIN_HOUSEHOLDS)
    max_households = models.PositiveSmallIntegerField(_("households per member, at most"),
                                                      default=DEFAULT_MAX_HOUSEHOLDS)
    interval_days = models.PositiveSmallIntegerField(_("days between visits"), default=DEFAULT_INTERVAL_DAYS)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("contact policy")
        verbose_name_plural = _("contact policies")
        constraints = [
            models.UniqueConstraint(fields=["county"], name="contact_policy_one_per_county"),
            models.CheckConstraint(condition=Q(min_households__gte=1) & Q(min_households__lte=F("max_households")),
                                   name="contact_policy_limits_ordered"),
            models.CheckConstraint(condition=Q(interval_days__gte=1) & Q(interval_days__lte=365),
                                   name="contact_policy_interval_range"),
        ]

    def __str__(self) -> str:
        return str(self.county)


class TagInterval(models.Model):
    """Days between visits for households with a resident carrying this tag."""

    policy = models.ForeignKey(ContactPolicy, on_delete=models.CASCADE, related_name="tag_intervals")
    tag = models.CharField(_("tag"), max_length=32, choices=Tag.choices)
    days = models.PositiveSmallIntegerField(_("days between visits"))

    class Meta:
        verbose_name = _("visit interval for a tag")
        verbose_name_plural = _("visit intervals for tags")
        ordering = ["policy_id", "days", "tag"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "tag"], name="contact_tag_interval_unique"),
            models.CheckConstraint(condition=Q(days__gte=1) & Q(days__lte=365), name="contact_tag_interval_range"),
        ]

    def __str__(self) -> str:
        return f"{self.get_tag_display()}: {self.days}"


class Assignment(Placed):
    """A Party member looks after a household of their village (包联)."""

    member = models.ForeignKey("people.PartyMember", verbose_name=_("Party member"), on_delete=models.PROTECT,
                               related_name="contact_assignments")
    household = models.ForeignKey("regions.Household", verbose_name=_("household"), on_delete=models.PROTECT,
                                  related_name="contact_assignments")
    village = models.ForeignKey("regions.Region", verbose_name=_("village"), on_delete=models.PROTECT,
                                related_name="+")
    start_date = models.DateField(pgettext_lazy("contact period", "from"))
    end_date = models.DateField(pgettext_lazy("contact period", "until"), null=True, blank=True)
    assigned_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("household contact")
        verbose_name_plural = _("household contacts")
        ordering = ["member_id", "household_id"]
        constraints = [
            # One contact member per household at a time: assigning it elsewhere ends this one.
            models.UniqueConstraint(fields=["household"], condition=Q(end_date__isnull=True),
                                    name="contact_one_current_member_per_household"),
            models.CheckConstraint(condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                                   name="contact_assignment_dates_ordered"),
        ]
        indexes = [models.Index(fields=["member", "end_date"], name="contact_assignment_member_idx")]

    def __str__(self) -> str:
        return f"{self.member} → {self.household}"


class Purpose(models.TextChoices):
    POLICY = "policy", _("policy explanation")
    HELP = "help", _("help with a difficulty")
    DISPUTE = "dispute_screening", _("dispute screening")
    DATA = "data_update", _("data update")
    FESTIVAL = "festival", _("festival visit")


class Visit(Placed):
    """A visit of a member to a household in their care (走访)."""

    member = models.ForeignKey("people.PartyMember", verbose_name=_("Party member"), on_delete=models.PROTECT,
                               related_name="contact_visits")
    household = models.ForeignKey("regions.Household", verbose_name=_("household"), on_delete=models.PROTECT,
                                  related_name="contact_visits")
    village = models.ForeignKey("regions.Region", verbose_name=_("village"), on_delete=models.PROTECT,
                                related_name="+")
    visited_on = models.DateField(_("date"), db_index=True)
    purpose = models.CharField(pgettext_lazy("visit", "purpose"), max_length=32, choices=Purpose.choices)
    note = models.TextField(_("note"), max_length=NOTE_MAX, blank=True)
    settled = models.BooleanField(_("a small matter settled on the spot"), default=False)
    photo = models.FileField(_("photo"), upload_to="contact/visits/%Y/%m/", blank=True)
    photo_type = models.CharField(max_length=20, blank=True)
    photo_sha256 = models.CharField(max_length=64, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    recorded_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(purpose__in=Purpose.values), name="contact_visit_purpose_valid"),
            models.CheckConstraint(condition=Q(latitude__isnull=True, longitude__isnull=True)
                                   | Q(latitude__isnull=False, longitude__isnull=False),
                                   name="contact_visit_location_whole"),
        ]
        indexes = [
            models.Index(fields=["household", "visited_on"], name="contact_visit_household_idx"),
            models.Index(fields=["member", "visited_on"], name="contact_visit_member_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.visited_on} {self.household}"


class FollowUpKind(models.TextChoices):
    REQUEST = "request", _("request")
    DISPUTE = "dispute", _("dispute clue")
    POINTS = "points", _("points proposal")


class VisitFollowUp(models.Model):
    """What a visit started in another module, once per kind (a second tap files nothing)."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="follow_ups")
    kind = models.CharField(_("kind"), max_length=16, choices=FollowUpKind.choices)
    target_id = models.PositiveBigIntegerField(_("record"))
    label = models.CharField(_("label"), max_length=100)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("visit follow-up")
        verbose_name_plural = _("visit follow-ups")
        ordering = ["visit_id", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["visit", "kind"], name="contact_follow_up_once_per_kind"),
            models.CheckConstraint(condition=Q(kind__in=FollowUpKind.values), name="contact_follow_up_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.visit_id}:{self.kind} {self.label}"


class MonthlyReport(Placed):
    """A member's month (月汇报), assembled from their visits, reviewed by the branch."""

    workflow = REPORT_FLOW

    member = models.ForeignKey("people.PartyMember", verbose_name=_("Party member"), on_delete=models.PROTECT,
                               related_name="contact_reports")
    branch = models.ForeignKey("people.PartyOrganisation", verbose_name=_("Party branch"), on_delete=models.PROTECT,
                               related_name="contact_reports")
    village = models.ForeignKey("regions.Region", verbose_name=_("village"), on_delete=models.PROTECT,
                                related_name="+")
    month = models.DateField(_("month"), help_text=_("the first day of the month"))
    state = models.CharField(_("state"), max_length=32, choices=REPORT_FLOW.choices, default=REPORT_FLOW.initial)
    summary = models.TextField(_("summary"), max_length=4000, blank=True)
    # Figures assembled from the visits (again at each submission).
    households_assigned = models.PositiveIntegerField(_("households in care"), default=0)
    households_visited = models.PositiveIntegerField(_("households visited"), default=0)
    visits = models.PositiveIntegerField(_("visits"), default=0)
    settled = models.PositiveIntegerField(_("small matters settled"), default=0)
    follow_ups = models.PositiveIntegerField(_("matters passed on"), default=0)
    by_purpose = models.JSONField(_("visits by purpose"), default=dict, blank=True)
    assembled_at = models.DateTimeField(_("assembled at"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    reviewed_at = models.DateTimeField(pgettext_lazy("report", "reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    review_note = models.TextField(_("review note"), max_length=4000, blank=True)
    state_changed_at = models.DateTimeField(_("state changed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")
        ordering = ["-month", "member_id"]
        constraints = [
            REPORT_FLOW.state_constraint(),
            models.UniqueConstraint(fields=["member", "month"], name="contact_report_one_per_month"),
        ]
        indexes = [models.Index(fields=["branch", "month", "state"], name="contact_report_branch_idx")]

    def __str__(self) -> str:
        return f"{self.member} {self.month:%Y-%m}"


class QuarterSummary(Placed):
    """A branch's quarter (季总结): the figures as they stood when written, and its words."""

    branch = models.ForeignKey("people.PartyOrganisation", verbose_name=_("Party branch"), on_delete=models.PROTECT,
                               related_name="contact_quarters")
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"))
    figures = models.JSONField(_("figures"), default=dict)
    summary = models.TextField(_("summary"), max_length=8000)
    written_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(pgettext_lazy("summary", "written at"), auto_now=True)

    class Meta:
        verbose_name = _("quarterly summary")
        verbose_name_plural = _("quarterly summaries")
        ordering = ["-year", "-quarter", "branch_id"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "year", "quarter"], name="contact_quarter_one_per_branch"),
            models.CheckConstraint(condition=Q(quarter__gte=1) & Q(quarter__lte=4), name="contact_quarter_range"),
        ]

    def __str__(self) -> str:
        return f"{self.branch} {self.year}Q{self.quarter}"


# -- dual registration (双报到) ------------------------------------------------------------------

class UnitKind(models.TextChoices):
    AGENCY = "agency", _("government agency")
    INSTITUTION = "institution", _("public institution")
    ENTERPRISE = "enterprise", _("enterprise")
    SCHOOL = "school", _("school")
    HOSPITAL = "hospital", _("hospital")
    OTHER = "other", _("other")


class Unit(Placed):
    """A unit (机关、企事业单位) with its Party organisation; its liaison acts for it."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=UnitKind.choices)
    party_organisation = models.ForeignKey("people.PartyOrganisation", verbose_name=_("Party organisation"),
                                           null=True, blank=True, on_delete=models.PROTECT, related_name="units")
    address = models.CharField(_("address"), max_length=200, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    liaison = models.ForeignKey(USER, verbose_name=_("liaison account"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="liaison_units")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["county_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["county", "name"], name="contact_unit_name_unique"),
            models.CheckConstraint(condition=Q(kind__in=UnitKind.values), name="contact_unit_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class UnitRegistration(Placed):
    """A unit registered with a community (单位报到)."""

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="registrations")
    community = models.ForeignKey("regions.Region", verbose_name=_("community"), on_delete=models.PROTECT,
                                  related_name="+")
    registered_on = models.DateField(_("registered on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    pledge = models.TextField(_("what the unit offers"), max_length=2000, blank=True)
    registered_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("unit registration")
        verbose_name_plural = _("unit registrations")
        ordering = ["community_id", "unit_id"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "community"], condition=Q(ended_on__isnull=True),
                                    name="contact_unit_registered_once"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} @ {self.community}"


class MemberRegistration(Placed):
    """An in-service Party member registered with the community they live in (在职党员报到)."""

    member = models.ForeignKey("people.PartyMember", verbose_name=_("Party member"), on_delete=models.PROTECT,
                               related_name="community_registrations")
    community = models.ForeignKey("regions.Region", verbose_name=_("community"), on_delete=models.PROTECT,
                                  related_name="+")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="member_registrations")
    registered_on = models.DateField(_("registered on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    registered_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("member registration")
        verbose_name_plural = _("member registrations")
        ordering = ["community_id", "member_id"]
        constraints = [
            # A member reports to one community at a time.
            models.UniqueConstraint(fields=["member"], condition=Q(ended_on__isnull=True),
                                    name="contact_member_registered_once"),
        ]

    def __str__(self) -> str:
        return f"{self.member} @ {self.community}"


class WishCategory(models.TextChoices):
    DAILY = "daily", _("daily necessities")
    STUDY = "study", _("study")
    HEALTH = "health", _("health and care")
    REPAIR = "repair", _("repairs at home")
    COMPANY = "company", _("company and visits")
    OTHER = "other", _("other")


class MicroWish(Placed):
    """A resident's small wish (微心愿), posted by the resident or by a grid worker for them."""

    workflow = WISH_FLOW

    household = models.ForeignKey("regions.Household", verbose_name=_("household"), on_delete=models.PROTECT,
                                  related_name="micro_wishes")
    resident = models.ForeignKey("regions.Resident", verbose_name=_("resident"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="micro_wishes")
    village = models.ForeignKey("regions.Region", verbose_name=_("community"), on_delete=models.PROTECT,
                                related_name="+")
    title = models.CharField(_("wish"), max_length=100)
    description = models.TextField(_("details"), max_length=1000, blank=True)
    category = models.CharField(_("category"), max_length=16, choices=WishCategory.choices)
    posted_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    posted_for = models.BooleanField(_("posted by staff for the resident"), default=False)
    state = models.CharField(_("state"), max_length=32, choices=WISH_FLOW.choices, default=WISH_FLOW.initial)
    claimed_member = models.ForeignKey("people.PartyMember", verbose_name=_("claimed by member"), null=True,
                                       blank=True, on_delete=models.PROTECT, related_name="claimed_wishes")
    claimed_unit = models.ForeignKey(Unit, verbose_name=_("claimed by unit"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="claimed_wishes")
    claimed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    fulfilled_at = models.DateTimeField(_("fulfilled at"), null=True, blank=True)
    fulfilment_note = models.TextField(_("how it was fulfilled"), max_length=2000, blank=True)
    fulfilment_photo = models.FileField(_("photo"), upload_to="contact/wishes/%Y/%m/", blank=True)
    fulfilment_photo_type = models.CharField(max_length=20, blank=True)
    thanked_at = models.DateTimeField(_("thanked at"), null=True, blank=True)
    thanks_note = models.TextField(_("thanks"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("posted at"), auto_now_add=True)
    state_changed_at = models.DateTimeField(_("state changed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("micro-wish")
        verbose_name_plural = _("micro-wishes")
        ordering = ["-created_at", "-id"]
        constraints = [
            WISH_FLOW.state_constraint(),
            models.CheckConstraint(condition=Q(category__in=WishCategory.values), name="contact_wish_category_valid"),
            # One claimer per wish: a claimed wish names exactly one member or one unit; an
            # open or withdrawn wish names none.
            models.CheckConstraint(
                condition=(Q(state__in=CLAIMED_STATES)
                           & (Q(claimed_member__isnull=False, claimed_unit__isnull=True)
                              | Q(claimed_member__isnull=True, claimed_unit__isnull=False)))
                | (Q(state__in=[WishState.OPEN, WishState.WITHDRAWN])
                   & Q(claimed_member__isnull=True, claimed_unit__isnull=True)),
                name="contact_wish_one_claimer"),
        ]
        indexes = [models.Index(fields=["village", "state"], name="contact_wish_village_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def claimer_name(self) -> str:
        if self.claimed_unit is not None:
            return self.claimed_unit.name
        if self.claimed_member is not None:
            return self.claimed_member.name
        return ""
