"""Resident requests, the closed loop (群众点单、网格派单、部门接单、群众评单).

A resident (or a grid worker, or staff on a resident's behalf) files a ``ServiceRequest`` in a
``Category`` of their county; the grid dispatches it to a department, a Party member, or keeps
it; the handler accepts, works and resolves it; the resident rates it. The states and who may
take each step are declared once in ``flow.REQUEST_FLOW``; every step is a row of the shared
state-change history.

Deadlines come from the category (clock hours or working days, on the one SLA clock):
``response_due`` (submit → accept) and ``resolve_due`` (submit → resolved) are fixed at filing
and measure punctuality; ``escalation_due`` is when the level now responsible runs out of
time. The periodic sweep reads only ``escalation_due`` through a partial index over the
requests that have one, so its cost follows the overdue requests, not all of them.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shanzhi.casework.flow import OPEN_UNRESOLVED, REQUEST_FLOW
from shanzhi.core.sla import Unit
from shanzhi.core.tiers import Level

DESCRIPTION_MAX = 2000
MAX_PHOTOS = 6


class Category(models.Model):
    """A kind of request in one county (an Open311 service), with its deadlines."""

    county = models.ForeignKey("regions.Region", verbose_name=_("county"), on_delete=models.PROTECT,
                               related_name="request_categories")
    region_path = models.CharField(_("region path"), max_length=255, db_index=True)
    code = models.SlugField(_("code"), max_length=32, help_text=_("the Open311 service code"))
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=500, blank=True)
    keywords = models.CharField(_("keywords"), max_length=200, blank=True)
    default_level = models.CharField(_("default handling level"), max_length=16, choices=Level.choices,
                                     default=Level.VILLAGE)
    response_amount = models.PositiveIntegerField(_("response deadline"), default=24)
    response_unit = models.CharField(_("response deadline unit"), max_length=16, choices=Unit.choices,
                                     default=Unit.HOURS)
    resolve_amount = models.PositiveIntegerField(_("resolve deadline"), default=5)
    resolve_unit = models.CharField(_("resolve deadline unit"), max_length=16, choices=Unit.choices,
                                    default=Unit.WORKING_DAYS)
    max_reopens = models.PositiveSmallIntegerField(_("reopens allowed"), default=1)
    is_public = models.BooleanField(
        _("public"), default=True,
        help_text=_("requests of a public category are listed to anyone through Open311 (never with contact "
                    "details); others only to the client that filed them"))
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        verbose_name = _("request category")
        verbose_name_plural = _("request categories")
        ordering = ["county_id", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["county", "code"], name="casework_category_code_unique"),
            models.CheckConstraint(condition=Q(response_amount__gt=0) & Q(resolve_amount__gt=0),
                                   name="casework_category_deadlines_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class CategoryAttribute(models.Model):
    """An extra question of a category (an Open311 service definition attribute)."""

    class Datatype(models.TextChoices):
        STRING = "string", _("short text")
        NUMBER = "number", _("number")
        DATETIME = "datetime", _("date and time")
        TEXT = "text", _("long text")
        SINGLE = "singlevaluelist", _("one choice")
        MULTI = "multivaluelist", _("several choices")

    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.CASCADE,
                                 related_name="attributes")
    code = models.SlugField(_("code"), max_length=32)
    label = models.CharField(_("question"), max_length=200)
    datatype = models.CharField(_("type"), max_length=16, choices=Datatype.choices, default=Datatype.STRING)
    required = models.BooleanField(_("required"), default=False)
    description = models.CharField(_("help text"), max_length=300, blank=True)
    values = models.JSONField(_("choices"), default=list, blank=True,
                              help_text=_('for choices: a list of {"key": "...", "name": "..."}'))
    order = models.PositiveSmallIntegerField(_("order"), default=1)

    class Meta:
        verbose_name = _("category question")
        verbose_name_plural = _("category questions")
        ordering = ["category_id", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["category", "code"], name="casework_attribute_code_unique")]

    def __str__(self) -> str:
        return self.label

    @property
    def choice_keys(self) -> list[str]:
        return [str(v.get("key")) for v in self.values if isinstance(v, dict)]


class RoutingRule(models.Model):
    """Category + region → department: the department a request of this category filed at or
    under this region goes to. The most specific region wins."""

    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.CASCADE,
                                 related_name="routing_rules")
    region = models.ForeignKey("regions.Region", verbose_name=_("region"), on_delete=models.PROTECT,
                               related_name="+")
    region_path = models.CharField(_("region path"), max_length=255, db_index=True)
    department = models.ForeignKey("people.Department", verbose_name=_("department"), on_delete=models.PROTECT,
                                   related_name="routing_rules")
    auto_dispatch = models.BooleanField(
        _("dispatch automatically"), default=False,
        help_text=_("send a new request straight to the department instead of suggesting it to the grid"))

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["category_id", "region_path"]
        constraints = [models.UniqueConstraint(fields=["category", "region"], name="casework_routing_unique")]

    def __str__(self) -> str:
        return f"{self.category} · {self.region} → {self.department}"


class Channel(models.TextChoices):
    RESIDENT = "resident", _("resident (phone page or mini-program)")
    GRID = "grid", _("grid quick report")
    HOTLINE = "hotline", _("hotline")
    SERVICE_CENTRE = "service_centre", _("service centre (errand on behalf)")
    OPEN311 = "open311", _("Open311 client")


class HandlerKind(models.TextChoices):
    DEPARTMENT = "department", _("department")
    MEMBER = "member", _("Party member")
    LEVEL = "level", _("handled by the responsible level itself")


# The requests the escalation sweep looks at: open, not yet resolved, with a deadline for the
# level now responsible (the condition of the sweep's partial index, and of its query).
ESCALATION_CLOCK = Q(escalation_due__isnull=False) & Q(state__in=OPEN_UNRESOLVED)


class ServiceRequest(models.Model):
    # Every index is written again by each step (a step changes indexed columns, so no
    # in-place update): only the indexes the queries use are kept; the foreign keys that are
    # only followed, never searched, have none (the composite indexes below cover county,
    # household and department).
    workflow = REQUEST_FLOW

    county = models.ForeignKey("regions.Region", verbose_name=_("county"), on_delete=models.PROTECT,
                               related_name="+", db_index=False)
    # Where the matter is: the household's grid (or micro-grid), or the place a grid worker or
    # an Open311 client named. Scope follows it.
    region = models.ForeignKey("regions.Region", verbose_name=_("place"), on_delete=models.PROTECT,
                               related_name="+", db_index=False)
    region_path = models.CharField(_("region path"), max_length=255, db_index=True)
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT,
                                 related_name="requests")
    description = models.TextField(_("description"), max_length=DESCRIPTION_MAX)
    address = models.CharField(_("address"), max_length=200, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    attributes = models.JSONField(_("answers"), default=dict, blank=True)
    media_url = models.URLField(_("media address"), max_length=500, blank=True)

    # Who asked and who filed.
    household = models.ForeignKey("regions.Household", verbose_name=_("household"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="service_requests", db_index=False)
    resident = models.ForeignKey("regions.Resident", verbose_name=_("resident"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="service_requests", db_index=False)
    contact_name = models.CharField(_("contact name"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("filed by"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+", db_index=False)
    open311_client = models.ForeignKey("casework.Open311Client", verbose_name=_("Open311 client"), null=True,
                                       blank=True, on_delete=models.PROTECT, related_name="requests", db_index=False)
    token = models.UUIDField(_("token"), default=uuid.uuid4, unique=True, editable=False)

    # The workflow.
    state = models.CharField(_("state"), max_length=32, choices=REQUEST_FLOW.choices, default=REQUEST_FLOW.initial)
    level = models.CharField(_("handling level"), max_length=16, choices=Level.choices, default=Level.VILLAGE)
    # The region responsible at ``level``: the request's own place at village level, its
    # township, or its county. Dispatching is for those at or above it.
    handling_path = models.CharField(_("responsible region"), max_length=255)
    handler_kind = models.CharField(_("handled by"), max_length=16, choices=HandlerKind.choices, blank=True)
    assignee_department = models.ForeignKey("people.Department", verbose_name=_("department"), null=True,
                                            blank=True, on_delete=models.PROTECT, related_name="service_requests",
                                            db_index=False)
    assignee_member = models.ForeignKey("people.PartyMember", verbose_name=_("Party member"), null=True,
                                        blank=True, on_delete=models.PROTECT, related_name="service_requests",
                                        db_index=False)
    # The Party member's account (what the permission check reads).
    assignee_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assigned person"), null=True,
                                      blank=True, on_delete=models.PROTECT, related_name="+", db_index=False)
    suggested_department = models.ForeignKey("people.Department", verbose_name=_("suggested department"),
                                             null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                             db_index=False)
    merged_into = models.ForeignKey("self", verbose_name=_("merged into"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="duplicates", db_index=False)

    # The clock.
    submitted_at = models.DateTimeField(_("submitted"), db_index=True)
    response_due = models.DateTimeField(_("response due"))
    resolve_due = models.DateTimeField(_("resolve due"))
    escalation_due = models.DateTimeField(_("escalation due"), null=True, blank=True)
    auto_close_at = models.DateTimeField(_("closes by itself"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    state_changed_at = models.DateTimeField(_("last step"))
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    # Response time (submit → first acceptance) and resolve time (submit → resolved), in
    # seconds, kept when they happen so statistics aggregate in the database.
    response_seconds = models.PositiveIntegerField(_("response time (s)"), null=True, blank=True)
    resolve_seconds = models.PositiveIntegerField(_("resolve time (s)"), null=True, blank=True)
    responded_on_time = models.BooleanField(_("responded on time"), null=True, blank=True)
    resolved_on_time = models.BooleanField(_("resolved on time"), null=True, blank=True)
    resolved_level = models.CharField(_("resolved at level"), max_length=16, choices=Level.choices, blank=True)
    escalation_count = models.PositiveSmallIntegerField(_("escalations"), default=0)
    reopen_count = models.PositiveSmallIntegerField(_("reopened"), default=0)
    return_count = models.PositiveSmallIntegerField(_("returned"), default=0)

    # The outcome.
    result_note = models.TextField(_("result"), blank=True)
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_comment = models.CharField(_("comment"), max_length=500, blank=True)

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("request")
        verbose_name_plural = _("requests")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            REQUEST_FLOW.state_constraint(),
            models.CheckConstraint(condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                                   name="casework_rating_1_to_5"),
            models.CheckConstraint(condition=~Q(state="merged") | Q(merged_into__isnull=False),
                                   name="casework_merged_has_main"),
            models.CheckConstraint(condition=Q(level__in=[v for v, _label in Level.choices]),
                                   name="casework_level_valid"),
            models.CheckConstraint(condition=~Q(handler_kind="department") | Q(assignee_department__isnull=False),
                                   name="casework_department_handler_named"),
            models.CheckConstraint(condition=~Q(handler_kind="member") | Q(assignee_user__isnull=False),
                                   name="casework_member_handler_named"),
        ]
        indexes = [
            # The sweep: only open requests still on a clock are in this index (its query
            # filters on ESCALATION_CLOCK too), so finding the overdue ones costs what they
            # are, not what the whole table is; the same for closing resolved ones.
            models.Index(fields=["escalation_due"], condition=ESCALATION_CLOCK,
                         name="casework_escalation_due_idx"),
            models.Index(fields=["auto_close_at"], condition=Q(auto_close_at__isnull=False),
                         name="casework_auto_close_idx"),
            models.Index(fields=["county", "category", "region_path"], name="casework_similar_idx"),
            models.Index(fields=["state", "submitted_at"], name="casework_state_idx"),
            models.Index(fields=["assignee_department", "state"], name="casework_department_idx"),
            models.Index(fields=["household", "submitted_at"], name="casework_household_idx"),
            # A resident's own requests ("mine", their home card): the few rows that have a
            # resident or were filed by one, not the whole table.
            models.Index(fields=["resident"], condition=Q(resident__isnull=False), name="casework_resident_idx"),
            models.Index(fields=["filed_by"], condition=Q(channel="resident"), name="casework_filed_by_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {(self.category_id and self.category.name) or ''}".strip()

    @property
    def number(self) -> str:
        return f"{self.pk:06d}" if self.pk else ""

    @property
    def is_open(self) -> bool:
        return self.state not in REQUEST_FLOW.terminal

    @property
    def state_label(self) -> str:
        return REQUEST_FLOW.label(self.state)


class Follower(models.Model):
    """Someone besides the filer who follows a request: the reporter of a duplicate merged
    into it. Followers are told of its steps."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="followers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+")
    resident = models.ForeignKey("regions.Resident", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="+")
    duplicate = models.ForeignKey(ServiceRequest, null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("follower")
        verbose_name_plural = _("followers")
        constraints = [
            models.CheckConstraint(condition=Q(user__isnull=False) | Q(resident__isnull=False),
                                   name="casework_follower_is_someone"),
            # "Me too" once per person (rows from merged duplicates carry the duplicate).
            models.UniqueConstraint(fields=["request", "resident"],
                                    condition=Q(duplicate__isnull=True, resident__isnull=False),
                                    name="casework_follow_once_resident"),
            models.UniqueConstraint(fields=["request", "user"], condition=Q(duplicate__isnull=True, user__isnull=False),
                                    name="casework_follow_once_user"),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} ← {self.user_id or self.resident_id}"


def photo_path(instance: RequestPhoto, filename: str) -> str:
    # The name is random: a photo is found only through the page that checks the viewer's
    # scope, never by guessing.
    ext = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
    return f"casework/{instance.uploaded_at:%Y/%m}/{uuid.uuid4().hex}.{ext}"


class RequestPhoto(models.Model):
    """A photo of the matter (filed with the request) or of the result (with the resolution).
    Uploaded first (a mini-program sends one file at a time), attached when the request is
    filed or resolved; an upload never attached is removed after a day."""

    class Kind(models.TextChoices):
        REPORT = "report", _("photo of the matter")
        RESULT = "result", _("photo of the result")

    request = models.ForeignKey(ServiceRequest, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="photos")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.REPORT)
    file = models.FileField(_("file"), upload_to=photo_path, max_length=200)
    content_type = models.CharField(_("type"), max_length=32)
    size = models.PositiveIntegerField(_("size"))
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded"))

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["request_id", "uploaded_at", "id"]
        indexes = [models.Index(fields=["uploaded_at"], condition=Q(request__isnull=True),
                                name="casework_unattached_photo_idx")]

    def __str__(self) -> str:
        return self.file.name


class Open311Client(models.Model):
    """An application allowed to file requests through Open311 with its API key (only a hash
    of the key is kept)."""

    county = models.ForeignKey("regions.Region", verbose_name=_("county"), on_delete=models.PROTECT,
                               related_name="+")
    region_path = models.CharField(_("region path"), max_length=255, db_index=True)
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Open311 client")
        verbose_name_plural = _("Open311 clients")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
