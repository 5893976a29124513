"""Grid work: the six duties of a grid worker (seed 004: dispute screening, basic data
collection, event reporting, errands for residents, support for key persons, legal
outreach) as task types in a daily work log; a monthly assessment per grid worker against
the county's indicators; data updates from the field, reviewed by the village before they
change the map.

- ``GridTask``: something to do in a grid on a day (set by the grid leader or the village,
  or by the worker for themselves); done by a log entry.
- ``LogEntry``: one item of a worker's daily log (工作日志), under one of the six duties.
- ``Indicator`` / ``Assessment`` / ``AssessmentScore``: the county's assessment plan, and a
  worker's month scored against it, with comments; published to the worker when final.
- ``FieldUpdate``: a new-born, a move, a death or a new phone reported from the field.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shanzhi.gridwork.flow import UPDATE_FLOW, UpdateState

USER = settings.AUTH_USER_MODEL


class Duty(models.TextChoices):
    DISPUTE_SCREENING = "dispute_screening", _("dispute screening")
    DATA_COLLECTION = "data_collection", _("basic data collection")
    EVENT_REPORTING = "event_reporting", _("event reporting")
    ERRANDS = "errands", _("errands for residents")
    KEY_PERSONS = "key_persons", _("support for key persons")
    LEGAL_OUTREACH = "legal_outreach", _("legal outreach")


class Placed(models.Model):
    region_path = models.CharField(_("region path"), max_length=255, db_index=True)
    county = models.ForeignKey("regions.Region", verbose_name=_("county"), on_delete=models.PROTECT,
                               related_name="+")

    class Meta:
        abstract = True


class GridTask(Placed):
    class State(models.TextChoices):
        OPEN = "open", _("to do")
        DONE = "done", pgettext_lazy("task", "done")
        CANCELLED = "cancelled", _("cancelled")

    grid = models.ForeignKey("regions.Region", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+")
    worker = models.ForeignKey(USER, verbose_name=_("grid worker"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="grid_tasks", help_text=_("empty: anyone of the grid team"))
    duty = models.CharField(_("duty"), max_length=32, choices=Duty.choices)
    title = models.CharField(pgettext_lazy("grid", "task"), max_length=200)
    household = models.ForeignKey("regions.Household", verbose_name=_("household"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="grid_tasks")
    due_on = models.DateField(_("due on"), db_index=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.OPEN)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("grid task")
        verbose_name_plural = _("grid tasks")
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(duty__in=Duty.values), name="gridwork_task_duty_valid"),
            models.CheckConstraint(condition=Q(state__in=["open", "done", "cancelled"]),
                                   name="gridwork_task_state_valid"),
        ]
        indexes = [models.Index(fields=["grid", "state", "due_on"], name="gridwork_task_grid_idx")]

    def __str__(self) -> str:
        return self.title


class LogEntry(Placed):
    worker = models.ForeignKey(USER, verbose_name=_("grid worker"), on_delete=models.PROTECT,
                               related_name="grid_log")
    grid = models.ForeignKey("regions.Region", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("day"))
    duty = models.CharField(_("duty"), max_length=32, choices=Duty.choices)
    summary = models.TextField(pgettext_lazy("work log", "what was done"), max_length=1000)
    household = models.ForeignKey("regions.Household", verbose_name=_("household"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="grid_log")
    minutes = models.PositiveSmallIntegerField(pgettext_lazy("duration", "minutes"), null=True, blank=True)
    task = models.OneToOneField(GridTask, null=True, blank=True, on_delete=models.PROTECT, related_name="entry")
    created_at = models.DateTimeField(_("written at"), auto_now_add=True)

    class Meta:
        verbose_name = _("work log entry")
        verbose_name_plural = _("work log entries")
        ordering = ["-day", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(duty__in=Duty.values), name="gridwork_log_duty_valid"),
            models.CheckConstraint(condition=Q(minutes__isnull=True) | Q(minutes__lte=1440),
                                   name="gridwork_log_minutes_in_a_day"),
        ]
        indexes = [
            models.Index(fields=["worker", "day"], name="gridwork_log_worker_idx"),
            models.Index(fields=["grid", "day"], name="gridwork_log_grid_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.get_duty_display()}"


class Indicator(Placed):
    """One line of a county's assessment plan for grid workers (考核指标)."""

    code = models.SlugField(_("code"), max_length=32)
    name = models.CharField(_("indicator"), max_length=100)
    duty = models.CharField(_("duty it measures"), max_length=32, choices=Duty.choices, blank=True)
    max_score = models.PositiveSmallIntegerField(_("full marks"))
    order = models.PositiveSmallIntegerField(_("order"), default=10)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("assessment indicator")
        verbose_name_plural = _("assessment indicators")
        ordering = ["county_id", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["county", "code"], name="gridwork_indicator_code_unique"),
            models.CheckConstraint(condition=Q(max_score__gte=1) & Q(max_score__lte=100),
                                   name="gridwork_indicator_max_range"),
        ]

    def __str__(self) -> str:
        return self.name


class Assessment(Placed):
    """A grid worker's month, scored by the village or the township (月度考核)."""

    worker = models.ForeignKey(USER, verbose_name=_("grid worker"), on_delete=models.PROTECT,
                               related_name="grid_assessments")
    grid = models.ForeignKey("regions.Region", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"))
    total = models.PositiveSmallIntegerField(_("total"), default=0)
    full_marks = models.PositiveSmallIntegerField(_("full marks"), default=100)
    comment = models.TextField(pgettext_lazy("assessment", "comment"), max_length=2000, blank=True)
    figures = models.JSONField(_("the month's figures"), default=dict, blank=True)
    assessed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    assessed_at = models.DateTimeField(_("assessed at"), auto_now=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("grid worker assessment")
        verbose_name_plural = _("grid worker assessments")
        ordering = ["-month", "region_path", "worker_id"]
        constraints = [
            models.UniqueConstraint(fields=["worker", "grid", "month"], name="gridwork_assessment_once_a_month"),
            models.CheckConstraint(condition=Q(total__lte=models.F("full_marks")),
                                   name="gridwork_assessment_total_le_full"),
        ]

    def __str__(self) -> str:
        return f"{self.worker} {self.month:%Y-%m}"

    @property
    def published(self) -> bool:
        return self.published_at is not None


class AssessmentScore(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="scores")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField(_("score"))
    comment = models.CharField(pgettext_lazy("assessment", "comment"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("assessment score")
        verbose_name_plural = _("assessment scores")
        ordering = ["assessment_id", "indicator__order"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "indicator"], name="gridwork_score_once"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator}: {self.score}"


class UpdateKind(models.TextChoices):
    BIRTH = "birth", _("a new-born")
    MOVE = "move", _("a move")
    DEATH = "death", _("a death")
    PHONE = "phone", _("a new phone number")


class FieldUpdate(Placed):
    workflow = UPDATE_FLOW

    kind = models.CharField(_("kind"), max_length=16, choices=UpdateKind.choices)
    household = models.ForeignKey("regions.Household", verbose_name=_("household"), on_delete=models.PROTECT,
                                  related_name="field_updates")
    resident = models.ForeignKey("regions.Resident", verbose_name=_("resident"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="field_updates")
    village = models.ForeignKey("regions.Region", verbose_name=_("village"), on_delete=models.PROTECT,
                                related_name="+")
    data = models.JSONField(_("what changed"), default=dict)
    note = models.CharField(_("note"), max_length=500, blank=True)
    state = models.CharField(_("state"), max_length=32, choices=UPDATE_FLOW.choices, default=UPDATE_FLOW.initial)
    reported_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField(_("reported at"), auto_now_add=True)
    reviewed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(pgettext_lazy("report", "reviewed at"), null=True, blank=True)
    review_note = models.CharField(_("review note"), max_length=500, blank=True)
    created_resident = models.ForeignKey("regions.Resident", null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="+")
    state_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("data update from the field")
        verbose_name_plural = _("data updates from the field")
        ordering = ["-reported_at", "-id"]
        constraints = [
            UPDATE_FLOW.state_constraint(),
            models.CheckConstraint(condition=Q(kind__in=UpdateKind.values), name="gridwork_update_kind_valid"),
            models.CheckConstraint(condition=Q(kind="birth") | Q(resident__isnull=False),
                                   name="gridwork_update_names_resident"),
            # One waiting update of a kind per person: a second report waits for the first.
            models.UniqueConstraint(fields=["resident", "kind"], condition=Q(state=UpdateState.PENDING),
                                    name="gridwork_update_one_pending"),
        ]
        indexes = [models.Index(fields=["village", "state"], name="gridwork_update_village_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.household}"
