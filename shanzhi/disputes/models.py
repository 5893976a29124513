"""Disputes (矛盾纠纷多元化解) and petitions (信访).

A grid files a ``ScreeningRecord`` every week (排查), even when it found nothing, so that
screening coverage itself is measured; a clue it found, a resident's report or a referral
becomes a ``Dispute``. The dispute is accepted with its type and parties, assessed (研判),
assigned to mediators at a level (grid mediation room, township one-stop centre, county
centre; joint mediation with the court, police, petition or justice office recorded as
``Participant`` rows), mediated in ``MediationSession``\\ s, and ends in a signed ``Agreement``
(then ``FollowUp`` visits at 7 and 30 days), a referral to court or arbitration, or a
withdrawal. The states and who may take each step are declared in ``flow.py``.

Deadlines come from the type on the one SLA clock: accept within ``accept_amount``
(1 working day by default), settle within ``mediate_amount`` (15 days by default);
``escalation_due`` is when the level now responsible runs out of time, read by the sweep
through a partial index over the disputes still on a clock.

A ``PetitionCase`` (信访) has a petitioner, a matter, a case leader and the responsible units
("5+N"), its deadlines, and links to the disputes and requests it concerns.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shanzhi.core import idnumbers
from shanzhi.core.sla import Unit
from shanzhi.core.tiers import Level
from shanzhi.disputes.flow import DISPUTE_FLOW, DISPUTE_OPEN, PETITION_FLOW, PETITION_OPEN

SUMMARY_MAX = 2000
TEXT_MAX = 4000


class DisputeType(models.Model):
    """A kind of dispute in one county, with its deadlines. ``is_six`` marks the six common
    types (六类: marriage and family, neighbours, land and forest / homestead, labour and
    wages, damage compensation, contracts and debts), whose share the county reports."""

    county = models.ForeignKey("regions.Region", verbose_name=_("county"), on_delete=models.PROTECT,
                               related_name="dispute_types")
    region_path = models.CharField(_("region path"), max_length=255, db_index=True)
    code = models.SlugField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    is_six = models.BooleanField(_("one of the six common types"), default=False)
    accept_amount = models.PositiveIntegerField(_("acceptance deadline"), default=1)
    accept_unit = models.CharField(_("acceptance deadline unit"), max_length=16, choices=Unit.choices,
                                   default=Unit.WORKING_DAYS)
    mediate_amount = models.PositiveIntegerField(_("mediation deadline"), default=15)
    mediate_unit = models.CharField(_("mediation deadline unit"), max_length=16, choices=Unit.choices,
                                    default=Unit.DAYS)
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        verbose_name = _("dispute type")
        verbose_name_plural = _("dispute types")
        ordering = ["county_id", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["county", "code"], name="disputes_type_code_unique"),
            models.CheckConstraint(condition=Q(accept_amount__gt=0) & Q(mediate_amount__gt=0),
                                   name="disputes_type_deadlines_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class Source(models.TextChoices):
    SCREENING = "screening", _("weekly screening")
    RESIDENT = "resident", _("a resident's report")
    REQUEST = "request", _("referred from a request")
    POLICE = "police", _("the police")
    COURT = "court", _("the court")
    PETITION = "petition", _("the petition office")
    HOTLINE = "hotline", _("the hotline")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("normal")
    URGENT = "urgent", _("urgent")
    CRITICAL = "critical", _("critical")


class ReferredTo(models.TextChoices):
    COURT = "court", _("court")
    ARBITRATION = "arbitration", _("arbitration")


class ScreeningRecord(models.Model):
    """One grid's weekly screening (排查): what it found, even nothing."""

    county = models.ForeignKey("regions.Region", verbose_name=_("county"), on_delete=models.PROTECT,
                               related_name="+")
    grid = models.ForeignKey("regions.Region", verbose_name=_("grid"), on_delete=models.PROTECT,
                             related_name="screening_records")
    region_path = models.CharField(_("region path"), max_length=255, db_index=True)
    week = models.DateField(_("week (its Monday)"))
    clues_found = models.PositiveIntegerField(_("clues found"), default=0)
    note = models.TextField(_("note"), blank=True, max_length=TEXT_MAX)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("filed by"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField(_("filed"))

    class Meta:
        verbose_name = _("screening record")
        verbose_name_plural = _("screening records")
        ordering = ["-week", "region_path"]
        constraints = [models.UniqueConstraint(fields=["grid", "week"], name="disputes_one_screening_a_week")]
        indexes = [models.Index(fields=["county", "week"], name="disputes_screening_week_idx")]

    def __str__(self) -> str:
        return f"{self.grid_id} {self.week}"

    @property
    def nothing_found(self) -> bool:
        return self.clues_found == 0


class Dispute(models.Model):
    workflow = DISPUTE_FLOW

    county = models.ForeignKey("regions.Region", verbose_name=_("county"), on_delete=models.PROTECT,
                               related_name="+")
    # Where it happened (a grid, a micro-grid, a village): scope follows it.
    region = models.ForeignKey("regions.Region", verbose_name=_("place"), on_delete=models.PROTECT,
                               related_name="+")
    region_path = models.CharField(_("region path"), max_length=255, db_index=True)
    type = models.ForeignKey(DisputeType, verbose_name=_("type"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="disputes")
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    on_the_spot = models.BooleanField(_("settled on the spot"), default=False)
    summary = models.TextField(_("summary"), max_length=SUMMARY_MAX)
    address = models.CharField(_("address"), max_length=200, blank=True)
    screening = models.ForeignKey(ScreeningRecord, verbose_name=_("screening"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="disputes")
    request = models.ForeignKey("casework.ServiceRequest", verbose_name=_("request"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="disputes")
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reported by"), null=True,
                                    blank=True, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField(_("reported"), db_index=True)

    state = models.CharField(_("state"), max_length=32, choices=DISPUTE_FLOW.choices, default=DISPUTE_FLOW.initial)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices, default=Level.VILLAGE)
    handling_path = models.CharField(_("responsible region"), max_length=255)

    # 研判.
    risk_level = models.PositiveSmallIntegerField(_("risk level"), null=True, blank=True)
    urgency = models.CharField(_("urgency"), max_length=16, choices=Urgency.choices, blank=True)
    risk_violence = models.BooleanField(_("risk of violence"), default=False)
    risk_petition = models.BooleanField(_("risk of a petition"), default=False)
    assessment_note = models.TextField(_("assessment"), blank=True)

    # The clock.
    accept_due = models.DateTimeField(_("acceptance due"))
    mediation_due = models.DateTimeField(_("mediation due"), null=True, blank=True)
    escalation_due = models.DateTimeField(_("escalation due"), null=True, blank=True)
    accepted_at = models.DateTimeField(pgettext_lazy("time", "accepted"), null=True, blank=True)
    assessed_at = models.DateTimeField(_("assessed"), null=True, blank=True)
    assigned_at = models.DateTimeField(_("assigned"), null=True, blank=True)
    settled_at = models.DateTimeField(pgettext_lazy("dispute", "settled"), null=True, blank=True)
    closed_at = models.DateTimeField(pgettext_lazy("time", "closed"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    state_changed_at = models.DateTimeField(_("last step"))

    # The outcome.
    settled_level = models.CharField(_("settled at level"), max_length=16, choices=Level.choices, blank=True)
    referred_to = models.CharField(_("referred to"), max_length=16, choices=ReferredTo.choices, blank=True)
    escalation_count = models.PositiveSmallIntegerField(_("escalations"), default=0)
    reopen_count = models.PositiveSmallIntegerField(pgettext_lazy("dispute", "reopened"), default=0)
    repeat_parties = models.BooleanField(_("parties seen in other disputes"), default=False)

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        ordering = ["-reported_at", "-id"]
        constraints = [
            DISPUTE_FLOW.state_constraint(),
            models.CheckConstraint(condition=Q(level__in=[v for v, _label in Level.choices]),
                                   name="disputes_level_valid"),
            models.CheckConstraint(condition=Q(risk_level__isnull=True) | Q(risk_level__gte=1, risk_level__lte=4),
                                   name="disputes_risk_level_1_to_4"),
            models.CheckConstraint(condition=~Q(state="referred") | ~Q(referred_to=""),
                                   name="disputes_referral_named"),
            models.CheckConstraint(condition=~Q(state__in=["agreed", "closed"]) | ~Q(settled_level=""),
                                   name="disputes_settled_has_level"),
        ]
        indexes = [
            # The sweep: only disputes still on a clock are in this index.
            models.Index(fields=["escalation_due"], condition=Q(escalation_due__isnull=False),
                         name="disputes_escalation_due_idx"),
            models.Index(fields=["county", "reported_at"], name="disputes_county_period_idx"),
            models.Index(fields=["state", "reported_at"], name="disputes_state_idx"),
        ]

    def __str__(self) -> str:
        kind = self.type if self.type_id else None
        return f"#{self.number} {kind.name if kind else ''}".strip()

    @property
    def number(self) -> str:
        return f"{self.pk:06d}" if self.pk else ""

    @property
    def is_open(self) -> bool:
        return self.state in DISPUTE_OPEN

    @property
    def state_label(self) -> str:
        return DISPUTE_FLOW.label(self.state)


class Side(models.TextChoices):
    APPLICANT = "applicant", _("applicant")
    RESPONDENT = "respondent", _("respondent")
    OTHER = "other", _("other party")


class Party(models.Model):
    """A party: a resident on the map, or someone from outside (name, phone, ID optional).
    ``person_key`` names the same person across disputes (their resident, else their ID
    number, else their phone), so history and repeats are found."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="parties")
    side = models.CharField(_("side"), max_length=16, choices=Side.choices)
    resident = models.ForeignKey("regions.Resident", verbose_name=_("resident"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="dispute_parties")
    household = models.ForeignKey("regions.Household", verbose_name=_("household"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="dispute_parties")
    name = models.CharField(_("name"), max_length=100)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    id_number = models.CharField(_("ID number"), max_length=18, blank=True)
    person_key = models.CharField(max_length=64, blank=True, db_index=True)
    earlier_disputes = models.PositiveSmallIntegerField(_("earlier disputes"), default=0)
    order = models.PositiveSmallIntegerField(default=1)

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        ordering = ["dispute_id", "order", "id"]
        indexes = [models.Index(fields=["resident"], name="disputes_party_resident_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def phone_masked(self) -> str:
        return idnumbers.mask_phone(self.phone)

    @property
    def id_number_masked(self) -> str:
        return idnumbers.mask_id(self.id_number or None)

    @property
    def is_repeat(self) -> bool:
        return self.earlier_disputes > 0


class DisputeMediator(models.Model):
    """A mediator assigned to a dispute at a level. Assignments at a lower level stay on
    record (inactive) when the dispute goes up, so those who handled it still see it."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="mediators")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("mediator"), on_delete=models.PROTECT,
                             related_name="dispute_assignments")
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    lead = models.BooleanField(_("lead mediator"), default=False)
    active = models.BooleanField(_("assigned now"), default=True)
    assigned_at = models.DateTimeField(_("assigned"))
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        verbose_name = _("assigned mediator")
        verbose_name_plural = _("assigned mediators")
        ordering = ["dispute_id", "-active", "-lead", "id"]
        constraints = [
            models.UniqueConstraint(fields=["dispute", "user"], condition=Q(active=True),
                                    name="disputes_one_active_assignment"),
        ]
        indexes = [models.Index(fields=["user", "active"], name="disputes_mediator_user_idx")]

    def __str__(self) -> str:
        return f"{self.dispute_id} · {self.user_id}"


class ParticipantKind(models.TextChoices):
    COURT = "court", _("court")
    POLICE = "police", _("police station")
    PETITION_OFFICE = "petition_office", pgettext_lazy("dispute", "petition office")
    JUSTICE_OFFICE = "justice_office", _("justice office")


class Participant(models.Model):
    """A unit taking part in joint mediation (三调对接: 诉调、访调、警调)."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="participants")
    kind = models.CharField(_("kind"), max_length=16, choices=ParticipantKind.choices)
    department = models.ForeignKey("people.Department", verbose_name=_("unit"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    person = models.CharField(_("person"), max_length=100, blank=True)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    added_at = models.DateTimeField(_("added"))

    class Meta:
        verbose_name = _("joint mediation participant")
        verbose_name_plural = _("joint mediation participants")
        ordering = ["dispute_id", "id"]

    def __str__(self) -> str:
        return self.get_kind_display()


class MediationSession(models.Model):
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="sessions")
    held_on = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=200)
    attendees = models.CharField(pgettext_lazy("dispute", "attendees"), max_length=500)
    record = models.TextField(_("record"), max_length=TEXT_MAX)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(_("recorded"))

    class Meta:
        verbose_name = _("mediation session")
        verbose_name_plural = _("mediation sessions")
        ordering = ["dispute_id", "held_on", "id"]

    def __str__(self) -> str:
        return f"{self.dispute_id} {self.held_on}"


def scan_path(instance: Agreement, filename: str) -> str:
    # A random name: the scan is found only through the page that checks the viewer's scope.
    ext = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
    return f"disputes/agreements/{uuid.uuid4().hex}.{ext}"


class Agreement(models.Model):
    """The mediation agreement (调解协议书): drafted from the template, then signed; once
    signed it is never edited, only superseded by a new one."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SIGNED = "signed", _("signed")
        SUPERSEDED = "superseded", _("superseded")

    dispute = models.ForeignKey(Dispute, on_delete=models.PROTECT, related_name="agreements")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    facts = models.TextField(_("facts and the matter in dispute"), max_length=TEXT_MAX)
    terms = models.TextField(_("terms agreed"), max_length=TEXT_MAX)
    performance = models.CharField(_("how and when it is carried out"), max_length=500, blank=True)
    # What the document says, fixed when it is signed (parties and mediators may change later).
    parties = models.JSONField(_("parties"), default=list)
    mediators = models.JSONField(_("mediators"), default=list)
    committee = models.CharField(_("mediation committee"), max_length=200)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    signatories = models.JSONField(_("signed by"), default=list)
    scan = models.FileField(_("scanned signed copy"), upload_to=scan_path, max_length=200, blank=True)
    scan_type = models.CharField(max_length=32, blank=True)
    scan_sha256 = models.CharField(max_length=64, blank=True)
    supersedes = models.OneToOneField("self", verbose_name=_("supersedes"), null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="superseded_by")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    signed_at = models.DateTimeField(_("signature recorded"), null=True, blank=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")

    class Meta:
        verbose_name = _("mediation agreement")
        verbose_name_plural = _("mediation agreements")
        ordering = ["dispute_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["dispute"], condition=Q(status="draft"), name="disputes_one_draft"),
            models.UniqueConstraint(fields=["dispute"], condition=Q(status="signed"),
                                    name="disputes_one_signed_agreement"),
            models.CheckConstraint(condition=Q(status="draft") | Q(signed_on__isnull=False),
                                   name="disputes_signed_has_date"),
        ]

    def __str__(self) -> str:
        return f"{self.dispute_id}-{self.pk}"

    @property
    def number(self) -> str:
        return f"{self.created_at:%Y}-{self.pk:05d}" if self.pk and self.created_at else ""


class FollowUp(models.Model):
    """A follow-up visit (回访) after an agreement: does it hold?"""

    class Status(models.TextChoices):
        PENDING = "pending", _("due")
        DONE = "done", _("done")
        CANCELLED = "cancelled", _("cancelled")

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="follow_ups")
    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="follow_ups")
    after_days = models.PositiveSmallIntegerField(_("days after the agreement"))
    due_at = models.DateTimeField(_("due"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    holds = models.BooleanField(_("the agreement holds"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True, max_length=TEXT_MAX)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")

    class Meta:
        verbose_name = _("follow-up visit")
        verbose_name_plural = _("follow-up visits")
        ordering = ["dispute_id", "due_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(status="done") | (Q(holds__isnull=False) & Q(done_at__isnull=False)),
                                   name="disputes_follow_up_done_has_answer"),
        ]
        indexes = [models.Index(fields=["due_at"], condition=Q(status="pending"), name="disputes_follow_up_due_idx")]

    def __str__(self) -> str:
        return f"{self.dispute_id} +{self.after_days}d"


# -- petitions -------------------------------------------------------------------------------

class PetitionChannel(models.TextChoices):
    VISIT = "visit", _("visit in person")
    LETTER = "letter", _("letter")
    PHONE = "phone", _("phone")
    ONLINE = "online", _("online")


class PetitionCase(models.Model):
    workflow = PETITION_FLOW

    county = models.ForeignKey("regions.Region", verbose_name=_("county"), on_delete=models.PROTECT,
                               related_name="+")
    region = models.ForeignKey("regions.Region", verbose_name=_("place"), on_delete=models.PROTECT,
                               related_name="+")
    region_path = models.CharField(_("region path"), max_length=255, db_index=True)
    petitioner = models.ForeignKey("regions.Resident", verbose_name=_("petitioner (resident)"), null=True,
                                   blank=True, on_delete=models.PROTECT, related_name="petitions")
    petitioner_name = models.CharField(_("petitioner"), max_length=100)
    petitioner_phone = models.CharField(_("phone"), max_length=20, blank=True)
    petitioner_id_number = models.CharField(_("ID number"), max_length=18, blank=True)
    person_key = models.CharField(max_length=64, blank=True, db_index=True)
    channel = models.CharField(_("channel"), max_length=16, choices=PetitionChannel.choices)
    subject = models.CharField(pgettext_lazy("petition", "subject"), max_length=100)
    matter = models.TextField(pgettext_lazy("petition", "matter"), max_length=TEXT_MAX)
    received_at = models.DateTimeField(_("received"), db_index=True)
    case_leader = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("case leader"), null=True,
                                    blank=True, on_delete=models.PROTECT, related_name="petition_cases")
    disputes = models.ManyToManyField(Dispute, verbose_name=_("disputes"), blank=True, related_name="petitions")
    requests = models.ManyToManyField("casework.ServiceRequest", verbose_name=_("requests"), blank=True,
                                      related_name="petitions")
    repeat_of = models.ForeignKey("self", verbose_name=_("repeats"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="repeats")
    repeat_count = models.PositiveSmallIntegerField(_("earlier petitions on the matter"), default=0)

    state = models.CharField(_("state"), max_length=32, choices=PETITION_FLOW.choices, default=PETITION_FLOW.initial)
    accept_due = models.DateTimeField(_("acceptance due"))
    resolve_due = models.DateTimeField(_("resolution due"))
    overdue_notified_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(pgettext_lazy("time", "accepted"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(pgettext_lazy("time", "closed"), null=True, blank=True)
    state_changed_at = models.DateTimeField(_("last step"))
    resolution = models.TextField(pgettext_lazy("petition", "resolution"), blank=True)
    satisfied = models.BooleanField(_("petitioner satisfied"), null=True, blank=True)
    feedback = models.TextField(_("petitioner's feedback"), blank=True)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("petition case")
        verbose_name_plural = _("petition cases")
        ordering = ["-received_at", "-id"]
        constraints = [PETITION_FLOW.state_constraint()]
        indexes = [
            models.Index(fields=["resolve_due"], condition=Q(state__in=PETITION_OPEN),
                         name="disputes_petition_open_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.subject}"

    @property
    def number(self) -> str:
        return f"X{self.pk:05d}" if self.pk else ""

    @property
    def state_label(self) -> str:
        return PETITION_FLOW.label(self.state)

    @property
    def is_repeat(self) -> bool:
        return self.repeat_count > 0


class PetitionUnit(models.Model):
    """A unit responsible for a petition case ("5+N": the leading group, the case leader, and
    the heads of the units concerned)."""

    petition = models.ForeignKey(PetitionCase, on_delete=models.CASCADE, related_name="units")
    department = models.ForeignKey("people.Department", verbose_name=_("unit"), on_delete=models.PROTECT,
                                   related_name="petition_units")
    lead = models.BooleanField(_("lead unit"), default=False)

    class Meta:
        verbose_name = _("responsible unit")
        verbose_name_plural = _("responsible units")
        ordering = ["petition_id", "-lead", "id"]
        constraints = [models.UniqueConstraint(fields=["petition", "department"], name="disputes_petition_unit_once")]

    def __str__(self) -> str:
        return str(self.department_id)
