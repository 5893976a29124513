"""Accounts, departments, positions (who holds which role where) and the Party
organisation."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    GRID_LEADER = "grid_leader", _("grid leader")
    GRID_WORKER = "grid_worker", _("grid worker")
    MICRO_GRID_WORKER = "micro_grid_worker", _("micro-grid worker")
    CHIEF_GRID_LEADER = "chief_grid_leader", _("chief grid leader")
    GRID_INSTRUCTOR = "grid_instructor", _("grid instructor")
    GROUP_LEADER = "group_leader", _("group leader")
    NEIGHBOUR_LEADER = "neighbour_leader", _("neighbour leader")
    VILLAGE_SECRETARY = "village_secretary", _("village Party secretary")
    VILLAGE_COMMITTEE = "village_committee", _("village committee member")
    MEDIATOR = "mediator", _("mediator")
    LEGAL_ADVISER = "legal_adviser", _("legal adviser")
    VILLAGE_POLICE = "village_police", _("village police officer")
    DEPARTMENT_STAFF = "department_staff", _("department staff")
    TOWNSHIP_STAFF = "township_staff", _("township staff")
    COUNTY_STAFF = "county_staff", _("county command-centre staff")
    ADMIN = "admin", _("administrator")


DEPARTMENT_ROLES = {Role.DEPARTMENT_STAFF}


class User(AbstractUser):
    """An account: staff log in with a username, residents with their phone number."""

    full_name = models.CharField(_("full name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=20, null=True, blank=True, unique=True)
    resident = models.OneToOneField(
        "regions.Resident", verbose_name=_("resident"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="account",
    )

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")

    def get_full_name(self) -> str:
        return self.full_name or super().get_full_name() or self.username

    def __str__(self) -> str:
        return self.get_full_name()


class ApiToken(models.Model):
    """A bearer token for the API (mini-programs, other systems). Only a hash is kept."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, blank=True)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class Department(models.Model):
    class Kind(models.TextChoices):
        WATER = "water", _("water")
        ROADS = "roads", _("roads and transport")
        CIVIL_AFFAIRS = "civil_affairs", _("civil affairs")
        POLICE = "police", _("police station")
        JUSTICE = "justice", _("justice office")
        COURT = "court", _("people's court")
        MARKET = "market", _("market supervision")
        HOUSING = "housing", _("housing and construction")
        NATURAL_RESOURCES = "natural_resources", _("natural resources")
        HUMAN_RESOURCES = "human_resources", _("human resources and social security")
        ENVIRONMENT = "environment", _("ecology and environment")
        HEALTH = "health", _("health")
        EDUCATION = "education", _("education")
        AGRICULTURE = "agriculture", _("agriculture and rural affairs")
        PETITION = "petition", _("petition office")
        EMERGENCY = "emergency", _("emergency management")
        POWER = "power", _("power supply")
        GOVERNANCE_CENTRE = "governance_centre", _("governance service centre")
        OTHER = "other", _("other")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    region = models.ForeignKey("regions.Region", verbose_name=_("region"), on_delete=models.PROTECT,
                               related_name="departments")
    region_path = models.CharField(_("region path"), max_length=255, db_index=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["region_path", "name"]
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="department_name_unique")]

    def __str__(self) -> str:
        return self.name


class PositionQuerySet(models.QuerySet["Position"]):
    def current(self, on: dt.date | None = None) -> PositionQuerySet:
        on = on or dt.date.today()
        return self.filter(Q(start_date__lte=on), Q(end_date__isnull=True) | Q(end_date__gte=on))


class Position(models.Model):
    """A person holding a role in a region or a department, from a start to an end date."""

    user = models.ForeignKey(User, verbose_name=_("person"), on_delete=models.CASCADE, related_name="positions")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    region = models.ForeignKey("regions.Region", verbose_name=_("region"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="positions")
    department = models.ForeignKey(Department, verbose_name=_("department"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="positions")
    region_path = models.CharField(_("region path"), max_length=255, db_index=True, blank=True)
    start_date = models.DateField(_("start date"), default=dt.date.today)
    end_date = models.DateField(_("end date"), null=True, blank=True)

    objects = PositionQuerySet.as_manager()

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        ordering = ["user_id", "role"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="position_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(role="admin") | Q(region__isnull=False) | Q(department__isnull=False),
                name="position_has_place",
            ),
            models.CheckConstraint(
                condition=~Q(role="department_staff") | Q(department__isnull=False),
                name="department_staff_has_department",
            ),
        ]

    def __str__(self) -> str:
        place = self.department or self.region or ""
        return f"{self.user} · {self.get_role_display()} · {place}"


class PartyOrganisation(models.Model):
    class Kind(models.TextChoices):
        COMMITTEE = "committee", _("party committee")  # 党委 / 党工委, township
        BRANCH = "branch", _("party branch")  # 党支部, village
        GROUP = "group", _("party group")  # 党小组, on a grid

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    parent = models.ForeignKey("self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="children")
    region = models.ForeignKey("regions.Region", verbose_name=_("region"), on_delete=models.PROTECT,
                               related_name="party_organisations")
    region_path = models.CharField(_("region path"), max_length=255, db_index=True)

    class Meta:
        verbose_name = _("Party organisation")
        verbose_name_plural = _("Party organisations")
        ordering = ["region_path", "kind", "name"]

    def __str__(self) -> str:
        return self.name


class PartyMember(models.Model):
    name = models.CharField(_("name"), max_length=50)
    organisation = models.ForeignKey(PartyOrganisation, verbose_name=_("Party organisation"),
                                     on_delete=models.PROTECT, related_name="members")
    resident = models.OneToOneField("regions.Resident", verbose_name=_("resident"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="party_membership")
    user = models.OneToOneField(User, verbose_name=_("account"), null=True, blank=True, on_delete=models.PROTECT,
                                related_name="party_membership")
    joined_on = models.DateField(_("joined on"), null=True, blank=True)
    region_path = models.CharField(_("region path"), max_length=255, db_index=True)

    class Meta:
        verbose_name = _("Party member")
        verbose_name_plural = _("Party members")
        ordering = ["region_path", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(resident__isnull=False) | Q(user__isnull=False),
                                   name="party_member_is_someone"),
        ]

    def __str__(self) -> str:
        return self.name
