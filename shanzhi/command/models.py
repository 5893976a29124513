"""The command centre's own records: early-warning alerts (a case on the shared workflow)
and the thresholds of the rules that raise them (one row per county, editable in the back
office). The dashboard's figures are not stored here: they are read from the modules that
own them."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shanzhi.core import workflow


class Rule(models.TextChoices):
    DISPUTE_SPIKE = "dispute_spike", _("disputes far above the village's baseline")
    REPEAT_PARTIES = "repeat_parties", _("the same party in several disputes")
    REQUEST_BURST = "request_burst", _("a burst of one request category in one grid")
    DEPARTMENT_OVERDUE = "department_overdue", _("overdue requests piling up at a department")
    VULNERABLE_UNVISITED = "vulnerable_unvisited", _("vulnerable households not visited in time")
    PETITION_REPEAT = "petition_repeat", _("a petition repeated on the same matter")


ALERT_FLOW = workflow.Workflow(
    "alert",
    states=[
        workflow.State("open", _("open")),
        workflow.State("assigned", _("assigned")),
        workflow.State("acting", _("being acted on")),
        workflow.State("closed", _("closed")),
    ],
    transitions=[
        workflow.Transition("assign", source=["open", "assigned", "acting"], target="assigned",
                            action="alert.handle", label=_("assign")),
        workflow.Transition("act", source=["open", "assigned", "acting"], target="acting",
                            action="alert.handle", label=_("record action"), note_required=True),
        workflow.Transition("close", source=workflow.ANY, target="closed", action="alert.handle",
                            label=_("close"), note_required=True, stamp="closed_at"),
    ],
    terminal=["closed"],
    stamp_field="state_changed_at",
)
ALERT_OPEN = [s.value for s in ALERT_FLOW.states if s.value not in ALERT_FLOW.terminal]


class Alert(models.Model):
    workflow = ALERT_FLOW

    rule = models.CharField(_("rule"), max_length=32, choices=Rule.choices)
    # What makes two alerts the same (the rule's subject and period): at most one open per key.
    key = models.CharField(_("key"), max_length=200)
    region = models.ForeignKey("regions.Region", verbose_name=_("place"), on_delete=models.PROTECT,
                               related_name="+")
    region_path = models.CharField(_("region path"), max_length=255, db_index=True)
    county = models.ForeignKey("regions.Region", verbose_name=_("county"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey("people.Department", verbose_name=_("department"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=500)
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)
    state = models.CharField(_("state"), max_length=32, choices=ALERT_FLOW.choices, default=ALERT_FLOW.initial)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assigned to"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField(_("raised"), db_index=True)
    state_changed_at = models.DateTimeField(_("state changed"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [
            ALERT_FLOW.state_constraint(),
            models.UniqueConstraint(fields=["rule", "key"], condition=~Q(state="closed"),
                                    name="command_alert_one_open_per_key"),
        ]
        indexes = [models.Index(fields=["county", "state"], name="command_alert_county_state")]

    def __str__(self) -> str:
        return f"{self.get_rule_display()}: {self.reason}"


class Thresholds(models.Model):
    """The early-warning rules' settings for one county (the defaults apply where none)."""

    county = models.OneToOneField("regions.Region", verbose_name=_("county"), on_delete=models.PROTECT,
                                  related_name="+")
    spike_sigmas = models.DecimalField(_("disputes: standard deviations above the baseline"), max_digits=4,
                                       decimal_places=2, default=Decimal("2.00"))
    spike_months = models.PositiveSmallIntegerField(_("disputes: months of baseline"), default=6)
    spike_minimum = models.PositiveSmallIntegerField(_("disputes: fewest in a month to warn"), default=3)
    repeat_party_days = models.PositiveSmallIntegerField(_("repeat parties: window (days)"), default=90)
    repeat_party_disputes = models.PositiveSmallIntegerField(_("repeat parties: disputes"), default=3)
    burst_hours = models.PositiveSmallIntegerField(_("request burst: window (hours)"), default=48)
    burst_requests = models.PositiveSmallIntegerField(_("request burst: requests of one category"), default=5)
    overdue_per_department = models.PositiveSmallIntegerField(_("overdue requests at one department"), default=5)
    petition_repeats = models.PositiveSmallIntegerField(_("petition: earlier petitions on the matter"), default=1)

    class Meta:
        verbose_name = _("alert thresholds")
        verbose_name_plural = _("alert thresholds")
        constraints = [
            models.CheckConstraint(condition=Q(spike_months__gte=2), name="command_thresholds_baseline_months"),
            models.CheckConstraint(condition=Q(repeat_party_disputes__gte=2), name="command_thresholds_repeat"),
            models.CheckConstraint(condition=Q(burst_requests__gte=2), name="command_thresholds_burst"),
        ]

    def __str__(self) -> str:
        return str(self.county)


class RollupCell(models.Model):
    """Pre-added figures of one source (requests or disputes) for one place and one day
    (the local date the record was filed). ``own`` cells hold the records filed exactly at
    ``path``; the other cells hold everything under ``path`` (own + the children's cells),
    so a dashboard reads one row per day whatever the size of the place. Maintained by
    ``shanzhi.command.rollups`` from a watermark, never edited by hand."""

    source = models.CharField(max_length=16)
    own = models.BooleanField(default=False)
    path = models.CharField(max_length=255)
    parent = models.CharField(max_length=255)
    county = models.ForeignKey("regions.Region", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                               db_index=False)
    day = models.DateField()
    values = models.JSONField(default=dict)
    # Histograms for percentiles: figure -> {value rounded to 3 significant digits: count}.
    hist = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("rollup cell")
        # Path (or parent) before the flag: SQLite tests a boolean as "NOT own", which an
        # index cannot seek on, so the columns after it would go unused.
        constraints = [models.UniqueConstraint(fields=["source", "path", "day", "own"], name="command_rollup_cell")]
        indexes = [models.Index(fields=["source", "parent", "day", "own"], name="command_rollup_parent")]

    def __str__(self) -> str:
        return f"{self.source} {self.path} {self.day}"


class RollupDue(models.Model):
    """Open records of one place and filing day grouped by the moment they become overdue:
    "overdue now" is then a sum over ``due_at < now``, exact to the second, without
    scanning the raw tables (only open records have rows, so this stays small)."""

    source = models.CharField(max_length=16)
    path = models.CharField(max_length=255)
    county = models.ForeignKey("regions.Region", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                               db_index=False)
    day = models.DateField()
    due_at = models.DateTimeField()
    n = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("rollup due")
        indexes = [models.Index(fields=["source", "path", "due_at"], name="command_rollup_due")]

    def __str__(self) -> str:
        return f"{self.source} {self.path} {self.due_at}: {self.n}"


class RollupWatermark(models.Model):
    """How far each source's rollups have read: the highest record id seen and the time of
    the last state change taken in."""

    source = models.CharField(max_length=16, primary_key=True)
    last_pk = models.BigIntegerField(default=0)
    changes_at = models.DateTimeField(null=True, blank=True)
    run_at = models.DateTimeField(null=True, blank=True)
    cells = models.PositiveIntegerField(default=0)  # cells rewritten by the last run

    class Meta:
        verbose_name = _("rollup watermark")

    def __str__(self) -> str:
        return f"{self.source}: {self.last_pk}"
