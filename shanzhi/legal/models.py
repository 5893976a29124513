"""Rule of law (法治) and the supervision of small powers (小微权力).

Legal services: the profile of a village legal adviser or police officer (their law firm or
station, work phone and contract; which village they serve is a ``people.Position``), legal
aid applications on the shared workflow, legal education events, legal liaisons (法律明白人)
and their activities.

Supervision: the power list and responsibility list (两单) with their steps (一图), the
reminder talks before, during and after (三提醒), and the community admission list
(社区准入清单) with the tasks given to a community, flagged when not on the list.
"""

from __future__ import annotations

import builtins

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shanzhi.legal.flow import LEGAL_AID_FLOW

SUMMARY_MAX = 2000


class Scoped(models.Model):
    county = models.ForeignKey("regions.Region", verbose_name=_("county"), on_delete=models.PROTECT,
                               related_name="+")
    region = models.ForeignKey("regions.Region", verbose_name=_("place"), on_delete=models.PROTECT,
                               related_name="+")
    region_path = models.CharField(_("region path"), max_length=255, db_index=True)

    class Meta:
        abstract = True


class LegalStaffProfile(models.Model):
    """What the public may know of a village's legal adviser or police officer: never their
    personal phone, only the work phone given here."""

    class Kind(models.TextChoices):
        LAWYER = "lawyer", _("lawyer")
        LEGAL_WORKER = "legal_worker", _("grassroots legal worker")
        POLICE = "police", _("police officer")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.CASCADE,
                                related_name="legal_profile")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    organisation = models.CharField(_("law firm or police station"), max_length=100)
    work_phone = models.CharField(_("work phone"), max_length=20)
    licence_number = models.CharField(_("licence or badge number"), max_length=40, blank=True)
    contract_start = models.DateField(_("contract start"), null=True, blank=True)
    contract_end = models.DateField(_("contract end"), null=True, blank=True)

    class Meta:
        verbose_name = _("legal staff profile")
        verbose_name_plural = _("legal staff profiles")
        constraints = [
            models.CheckConstraint(
                condition=Q(contract_end__isnull=True) | Q(contract_start__isnull=True)
                | Q(contract_end__gte=models.F("contract_start")),
                name="legal_profile_contract_order"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.organisation})"


class MatterType(models.TextChoices):
    UNPAID_WAGES = "unpaid_wages", _("unpaid wages")
    FAMILY = "family", _("marriage and family")
    INJURY = "injury", _("personal injury")
    CONTRACT = "contract", _("contract")
    OTHER = "other", _("other")


class LegalAidApplication(Scoped):
    workflow = LEGAL_AID_FLOW

    number = models.CharField(_("number"), max_length=20)
    household = models.ForeignKey("regions.Household", verbose_name=_("household"), on_delete=models.PROTECT,
                                  related_name="legal_aid_applications")
    applicant = models.ForeignKey("regions.Resident", verbose_name=_("applicant"), on_delete=models.PROTECT,
                                  related_name="legal_aid_applications")
    matter_type = models.CharField(_("matter type"), max_length=16, choices=MatterType.choices)
    summary = models.TextField(_("what happened"), max_length=SUMMARY_MAX)
    amount_claimed_fen = models.BigIntegerField(_("amount claimed (fen)"), null=True, blank=True)
    hardship_declared = models.BooleanField(_("declares financial hardship"), default=False)
    hardship_statement = models.TextField(_("hardship statement"), max_length=SUMMARY_MAX, blank=True)
    dispute = models.ForeignKey("disputes.Dispute", verbose_name=_("dispute"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="legal_aid_applications")
    lawyer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("lawyer"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="legal_aid_cases")
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("filed by"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("submitted"), db_index=True)
    accept_due = models.DateTimeField(_("decision due"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=32, choices=LEGAL_AID_FLOW.choices,
                             default=LEGAL_AID_FLOW.initial)
    state_changed_at = models.DateTimeField(_("state changed"))
    amount_recovered_fen = models.BigIntegerField(_("money recovered (fen)"), default=0)
    result = models.TextField(_("result"), blank=True)

    class Meta:
        verbose_name = _("legal aid application")
        verbose_name_plural = _("legal aid applications")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            LEGAL_AID_FLOW.state_constraint(),
            models.UniqueConstraint(fields=["county", "number"], name="legal_aid_number_unique_in_county"),
            models.CheckConstraint(condition=Q(amount_recovered_fen__gte=0), name="legal_aid_recovered_nonneg"),
            models.CheckConstraint(condition=Q(amount_claimed_fen__isnull=True) | Q(amount_claimed_fen__gte=0),
                                   name="legal_aid_claimed_nonneg"),
            models.CheckConstraint(condition=Q(state="submitted") | Q(state="rejected") | Q(state="withdrawn")
                                   | Q(lawyer__isnull=False), name="legal_aid_lawyer_once_accepted"),
        ]
        indexes = [models.Index(fields=["county", "state"])]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.state not in LEGAL_AID_FLOW.terminal

    @property
    def amount_recovered_yuan(self) -> str:
        return f"{self.amount_recovered_fen / 100:.2f}"


class LegalAidStep(models.Model):
    """A step the lawyer took (a meeting, a letter, a hearing): the case's working log."""

    application = models.ForeignKey(LegalAidApplication, verbose_name=_("application"), on_delete=models.CASCADE,
                                    related_name="steps")
    on = models.DateField(_("date"))
    note = models.TextField(_("what was done"), max_length=SUMMARY_MAX)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.PROTECT,
                           related_name="+")
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("legal aid step")
        verbose_name_plural = _("legal aid steps")
        ordering = ["on", "id"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.on}"


class EducationKind(models.TextChoices):
    CASE_EXPLAINING = "case_explaining", _("case-explaining session")
    LEGAL_FAIR = "legal_fair", _("legal fair")
    MOCK_TRIAL = "mock_trial", _("mock trial")
    LECTURE = "lecture", _("lecture")


class EducationEvent(Scoped):
    """A legal education event (普法: 以案释法, 法治大集, 模拟法庭)."""

    kind = models.CharField(_("kind"), max_length=20, choices=EducationKind.choices)
    title = models.CharField(_("title"), max_length=200)
    held_on = models.DateField(_("date"), db_index=True)
    place = models.CharField(_("place"), max_length=200)
    organiser = models.CharField(_("organiser"), max_length=100)
    attendance = models.PositiveIntegerField(_("attendance"))
    materials = models.PositiveIntegerField(_("materials handed out"), default=0)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True,
                                    on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("legal education event")
        verbose_name_plural = _("legal education events")
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return self.title


class Liaison(Scoped):
    """A legal liaison (法律明白人): a villager trained in law."""

    resident = models.OneToOneField("regions.Resident", verbose_name=_("resident"), on_delete=models.PROTECT,
                                    related_name="legal_liaison")
    trained_on = models.DateField(_("trained on"))
    training_hours = models.PositiveSmallIntegerField(_("training hours"))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("legal liaison")
        verbose_name_plural = _("legal liaisons")
        ordering = ["region_path", "id"]

    def __str__(self) -> str:
        return str(self.resident.name)


class LiaisonActivity(Scoped):
    liaison = models.ForeignKey(Liaison, verbose_name=_("legal liaison"), on_delete=models.PROTECT,
                                related_name="activities")
    held_on = models.DateField(_("date"), db_index=True)
    description = models.CharField(_("what was done"), max_length=500)
    people_reached = models.PositiveIntegerField(_("people reached"), default=0)

    class Meta:
        verbose_name = _("legal liaison activity")
        verbose_name_plural = _("legal liaison activities")
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return self.description[:50]


class PowerItem(Scoped):
    """An item of a village's power list or responsibility list (两单), with its legal basis
    and its steps in order (the power flowchart, 一图)."""

    class List(models.TextChoices):
        POWER = "power", _("power list")
        RESPONSIBILITY = "responsibility", _("responsibility list")

    list = models.CharField(_("list"), max_length=16, choices=List.choices)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    title = models.CharField(_("item"), max_length=200)
    legal_basis = models.TextField(_("legal basis"), max_length=2000, blank=True)
    # ``builtins.list``: the bare name would be the ``list`` field just above.
    steps = models.JSONField(_("steps"), default=builtins.list)

    class Meta:
        verbose_name = _("power list item")
        verbose_name_plural = _("power list items")
        ordering = ["list", "position", "id"]

    def __str__(self) -> str:
        return self.title


class ReminderStage(models.TextChoices):
    BEFORE = "before", _("before (事前提醒)")
    DURING = "during", _("during (事中提醒)")
    AFTER = "after", _("after (事后提醒)")


class ReminderTalk(Scoped):
    """A reminder talk (三提醒) with a village cadre about the use of a small power."""

    stage = models.CharField(_("stage"), max_length=8, choices=ReminderStage.choices)
    cadre_name = models.CharField(_("cadre"), max_length=50)
    cadre = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("cadre account"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(_("reason"), max_length=500)
    talked_by = models.CharField(_("who talked"), max_length=100)
    held_on = models.DateField(_("date"), db_index=True)
    record = models.TextField(_("record"), max_length=4000)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True,
                                    on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("reminder talk")
        verbose_name_plural = _("reminder talks")
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return f"{self.cadre_name} {self.held_on}"


class AdmissionItem(Scoped):
    """A task higher levels may give a community (社区准入清单), kept at the county."""

    title = models.CharField(_("task"), max_length=200)
    basis = models.CharField(_("basis"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("community admission list item")
        verbose_name_plural = _("community admission list items")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["county", "title"], name="legal_admission_unique_title")]

    def __str__(self) -> str:
        return self.title


class CommunityTask(Scoped):
    """A task a higher level gave a village or community; flagged when it is not on the
    admission list."""

    title = models.CharField(_("task"), max_length=200)
    assigned_by = models.CharField(_("assigned by"), max_length=100)
    assigned_on = models.DateField(_("assigned on"), db_index=True)
    admission_item = models.ForeignKey(AdmissionItem, verbose_name=_("admission list item"), null=True,
                                       blank=True, on_delete=models.PROTECT, related_name="tasks")
    flagged = models.BooleanField(_("outside the admission list"), default=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True,
                                    on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("community task")
        verbose_name_plural = _("community tasks")
        ordering = ["-assigned_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(flagged=True, admission_item__isnull=True)
                                   | Q(flagged=False, admission_item__isnull=False),
                                   name="legal_task_flagged_iff_off_list"),
        ]

    def __str__(self) -> str:
        return self.title
