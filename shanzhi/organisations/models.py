"""Self-governance organisations (自治组织): the five councils (五会: villagers' council,
weddings-and-funerals council, filial-piety council, moral review council, anti-drug-and-
gambling council) and the service teams (women's service team, volunteers) of a village,
with their members, their meetings and activities, and what they settled (seed 000: 585
organisations, 470 disputes settled, 620 clean-ups).

The moral review council's reviews of points and role models are kept by the points and
deliberation modules; here it is an organisation like the others, with its members and
what it did.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shanzhi.core import idnumbers

USER = settings.AUTH_USER_MODEL


class Kind(models.TextChoices):
    VILLAGERS_COUNCIL = "villagers_council", _("villagers' council")
    CEREMONIES_COUNCIL = "ceremonies_council", _("weddings-and-funerals council")
    FILIAL_PIETY_COUNCIL = "filial_piety_council", _("filial-piety council")
    MORAL_REVIEW_COUNCIL = "moral_review_council", _("moral review council")
    ANTI_DRUG_GAMBLING_COUNCIL = "anti_drug_gambling_council", _("anti-drug-and-gambling council")
    WOMENS_TEAM = "womens_team", _("women's service team")
    VOLUNTEERS = "volunteers", _("volunteer team")
    OTHER = "other", _("other self-governance organisation")


COUNCILS = [Kind.VILLAGERS_COUNCIL, Kind.CEREMONIES_COUNCIL, Kind.FILIAL_PIETY_COUNCIL, Kind.MORAL_REVIEW_COUNCIL,
            Kind.ANTI_DRUG_GAMBLING_COUNCIL]


class Organisation(models.Model):
    village = models.ForeignKey("regions.Region", verbose_name=_("village"), on_delete=models.PROTECT,
                                related_name="+")
    region_path = models.CharField(_("region path"), max_length=255, db_index=True)
    county = models.ForeignKey("regions.Region", verbose_name=_("county"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    founded_on = models.DateField(_("founded on"), null=True, blank=True)
    description = models.TextField(_("what it does"), max_length=2000, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("self-governance organisation")
        verbose_name_plural = _("self-governance organisations")
        ordering = ["region_path", "kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["village", "name"], name="organisations_name_unique_in_village"),
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="organisations_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class MemberRole(models.TextChoices):
    CHAIR = "chair", _("chair")
    DEPUTY = "deputy", _("deputy chair")
    SECRETARY = "secretary", _("secretary")
    MEMBER = "member", _("member")


class Member(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="members")
    resident = models.ForeignKey("regions.Resident", verbose_name=_("resident"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="organisation_memberships")
    name = models.CharField(_("name"), max_length=50)
    role = models.CharField(_("role"), max_length=16, choices=MemberRole.choices, default=MemberRole.MEMBER)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    joined_on = models.DateField(pgettext_lazy("organisation member", "joined on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)

    class Meta:
        verbose_name = _("organisation member")
        verbose_name_plural = _("organisation members")
        ordering = ["organisation_id", "role", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "resident"], condition=Q(left_on__isnull=True),
                                    name="organisations_member_once"),
            # One chair at a time.
            models.UniqueConstraint(fields=["organisation"], condition=Q(left_on__isnull=True, role="chair"),
                                    name="organisations_one_chair"),
            models.CheckConstraint(condition=Q(role__in=MemberRole.values), name="organisations_member_role_valid"),
            models.CheckConstraint(condition=Q(left_on__isnull=True) | Q(left_on__gte=models.F("joined_on")),
                                   name="organisations_member_dates_ordered"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def phone_masked(self) -> str:
        return idnumbers.mask_phone(self.phone)


class ActivityKind(models.TextChoices):
    MEETING = "meeting", _("meeting")
    MEDIATION = "mediation", _("mediation of a dispute")
    CLEAN_UP = "clean_up", _("environmental clean-up")
    CEREMONY = "ceremony", _("a wedding or funeral kept simple")
    VISIT = "visit", _("visit to the elderly or those in need")
    ADMONITION = "admonition", _("admonition of uncivil conduct")
    OUTREACH = "outreach", _("publicity and outreach")
    OTHER = "other", _("other activity")


class Activity(models.Model):
    """A meeting or an activity of an organisation, and what it settled."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="activities")
    region_path = models.CharField(_("region path"), max_length=255, db_index=True)
    county = models.ForeignKey("regions.Region", verbose_name=_("county"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=ActivityKind.choices)
    held_on = models.DateField(_("date"), db_index=True)
    subject = models.CharField(_("subject"), max_length=200)
    place = models.CharField(_("place"), max_length=100, blank=True)
    participants = models.PositiveIntegerField(_("participants"), default=0)
    outcome = models.TextField(_("outcome"), max_length=4000, blank=True)
    matters_settled = models.PositiveSmallIntegerField(_("matters settled"), default=0,
                                                       help_text=_("disputes mediated to an end, matters agreed"))
    recorded_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("organisation activity")
        verbose_name_plural = _("organisation activities")
        ordering = ["-held_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ActivityKind.values), name="organisations_activity_kind_valid"),
            models.CheckConstraint(condition=Q(matters_settled__lte=100), name="organisations_settled_plausible"),
        ]
        indexes = [models.Index(fields=["organisation", "held_on"], name="organisations_activity_org_idx")]

    def __str__(self) -> str:
        return f"{self.held_on} {self.subject}"
