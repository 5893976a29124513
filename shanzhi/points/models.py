"""The points system (积分制) and the points shop (爱心超市).

- A village's point rules (村规民约), its own or adopted from a township or county template,
  each adopted by a villagers' meeting; a change is a new version, and an award keeps the
  version it was made under.
- Awards move proposed → approved / rejected (→ reversed) through the one workflow
  mechanism; an approved award is a ledger transaction (issuer → household).
- Shops with goods, stock movements and redemptions (household → shop in the ledger).
- Quarterly reviews and annual settlements; the 4-3-2-1 split of collective income.

Balances live in the ledger (``shanzhi.ledger``), never here.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from shanzhi.core import workflow


class Category(models.TextChoices):
    # Qianyang's ten indicators (seed 002) and Huachi's kinds of good conduct (seed 000).
    LAW_ABIDING = "law_abiding", _("abiding by the law")
    HONESTY = "honesty", _("honesty and keeping one's word")
    FILIAL_PIETY = "filial_piety", _("filial piety and caring for family")
    CUSTOMS = "customs", _("changing old customs")
    SANITATION = "sanitation", _("sanitation and environment")
    NEIGHBOURLINESS = "neighbourliness", _("good neighbourliness")
    PUBLIC_WELFARE = "public_welfare", _("public welfare and volunteering")
    DILIGENCE = "diligence", _("hard work and getting rich")
    EDUCATION = "education", _("raising and educating children")
    VILLAGE_AFFAIRS = "village_affairs", _("taking part in village affairs")
    SAFETY = "safety", _("safety, no drugs, no gambling")
    THRIFT = "thrift", _("thrift in weddings and funerals")
    OTHER = "other", _("other")


class LimitPeriod(models.TextChoices):
    NONE = "", _("no limit")
    MONTH = "month", _("per month")
    QUARTER = "quarter", _("per quarter")
    YEAR = "year", _("per year")


class PointRule(models.Model):
    """One item of the village rules and what it is worth, in one version. A rule held at a
    township or county is a template that villages adopt (a copy with ``adopted_from``)."""

    code = models.CharField(_("rule code"), max_length=40)  # the same across versions
    version = models.PositiveIntegerField(_("version"), default=1)
    region = models.ForeignKey("regions.Region", verbose_name=_("place"), on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(_("region path"), max_length=255, db_index=True)
    county = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    is_template = models.BooleanField(_("template"), default=False)
    adopted_from = models.ForeignKey("self", verbose_name=_("adopted from"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="adoptions")
    category = models.CharField(_("category"), max_length=32, choices=Category.choices)
    item = models.CharField(_("item"), max_length=200)
    points = models.IntegerField(_("points"))
    # Set when an award may give less than ``points`` (a deduction: less severe), e.g. 1 to 5.
    points_min = models.IntegerField(_("least points"), null=True, blank=True)
    evidence_required = models.BooleanField(_("evidence required"), default=False)
    limit_count = models.PositiveSmallIntegerField(_("times allowed"), null=True, blank=True)
    limit_period = models.CharField(_("limit period"), max_length=8, choices=LimitPeriod.choices, blank=True)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    meeting_date = models.DateField(_("villagers' meeting date"), null=True, blank=True)
    meeting_record = models.TextField(_("villagers' meeting record"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("point rule")
        verbose_name_plural = _("point rules")
        ordering = ["region_path", "category", "code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["region", "code", "version"], name="points_rule_version_unique"),
            models.CheckConstraint(condition=Q(points__gte=-100, points__lte=10) & ~Q(points=0),
                                   name="points_rule_points_range"),
            models.CheckConstraint(condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                                   name="points_rule_dates_ordered"),
            models.CheckConstraint(
                condition=Q(points_min__isnull=True)
                | (Q(points__gt=0) & Q(points_min__gte=1) & Q(points_min__lt=F("points")))
                | (Q(points__lt=0) & Q(points_min__lte=-1) & Q(points_min__gt=F("points"))),
                name="points_rule_range_valid"),
            models.CheckConstraint(
                condition=(Q(limit_period="") & Q(limit_count__isnull=True))
                | (~Q(limit_period="") & Q(limit_count__gte=1)),
                name="points_rule_limit_complete"),
        ]

    def __str__(self) -> str:
        return f"{self.item} ({self.points:+d})"

    def valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)

    def allows(self, points: int) -> bool:
        if self.points_min is None:
            return points == self.points
        low, high = sorted((self.points_min, self.points))
        return low <= points <= high

    @property
    def points_label(self) -> str:
        if self.points_min is None:
            return f"{self.points:+d}"
        return f"{self.points_min:+d} … {self.points:+d}"


class VillageScheme(models.Model):
    """A village's own choices about its points (set by the village rules)."""

    class Settlement(models.TextChoices):
        CARRY_OVER = "carry_over", _("unspent points carry over")
        EXPIRE = "expire", _("unspent points expire")

    class Scoring(models.TextChoices):
        RELATIVE = "relative", _("100 for the village's top household")
        BASE = "base", _("a base score plus the quarter's points")

    village = models.OneToOneField("regions.Region", on_delete=models.PROTECT, related_name="points_scheme")
    region_path = models.CharField(_("region path"), max_length=255, db_index=True)
    settlement = models.CharField(_("annual settlement"), max_length=16, choices=Settlement.choices,
                                  default=Settlement.CARRY_OVER)
    scoring = models.CharField(_("quarterly score"), max_length=16, choices=Scoring.choices,
                               default=Scoring.RELATIVE)
    base_score = models.PositiveSmallIntegerField(_("base score"), default=60)
    tier_1 = models.PositiveSmallIntegerField(_("first tier from"), default=90)
    tier_2 = models.PositiveSmallIntegerField(_("second tier from"), default=75)
    tier_3 = models.PositiveSmallIntegerField(_("third tier from"), default=60)
    board_enabled = models.BooleanField(_("public ranking board"), default=True)
    board_show_names = models.BooleanField(_("board shows the head's name"), default=True)
    board_show_points = models.BooleanField(_("board shows points"), default=True)
    board_top = models.PositiveSmallIntegerField(_("board shows the top"), default=20)
    industry_percent = models.PositiveSmallIntegerField(_("industry %"), default=40)
    welfare_percent = models.PositiveSmallIntegerField(_("public welfare %"), default=30)
    dividend_percent = models.PositiveSmallIntegerField(_("dividends %"), default=20)
    risk_percent = models.PositiveSmallIntegerField(_("risk fund %"), default=10)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("village points scheme")
        verbose_name_plural = _("village points schemes")
        constraints = [
            models.CheckConstraint(condition=Q(tier_1__lte=100) & Q(tier_1__gt=F("tier_2")) & Q(tier_2__gt=F("tier_3")),
                                   name="points_scheme_tiers_ordered"),
            models.CheckConstraint(
                condition=Q(industry_percent__lte=100) & Q(welfare_percent__lte=100) & Q(dividend_percent__lte=100)
                & Q(risk_percent__lte=100),
                name="points_scheme_percent_range"),
            models.CheckConstraint(condition=Q(base_score__lte=100), name="points_scheme_base_range"),
        ]

    def __str__(self) -> str:
        return str(self.village)

    def tier_of(self, score: int) -> int:
        if score >= self.tier_1:
            return 1
        if score >= self.tier_2:
            return 2
        if score >= self.tier_3:
            return 3
        return 4


AWARD_FLOW = workflow.Workflow(
    "award",
    states=[
        workflow.State("proposed", _("proposed")),
        workflow.State("approved", _("approved")),
        workflow.State("rejected", _("rejected")),
        workflow.State("withdrawn", _("withdrawn")),
        workflow.State("reversed", _("reversed")),
    ],
    transitions=[
        # Nobody approves (or rejects) their own proposal.
        workflow.Transition("approve", source=["proposed"], target="approved", action="points.review",
                            label=_("approve"), stamp="reviewed_at",
                            guard=lambda award, viewer: award.proposed_by_id != getattr(viewer.user, "pk", None)),
        workflow.Transition("reject", source=["proposed"], target="rejected", action="points.review",
                            label=_("reject"), note_required=True, stamp="reviewed_at",
                            guard=lambda award, viewer: award.proposed_by_id != getattr(viewer.user, "pk", None)),
        workflow.Transition("withdraw", source=["proposed"], target="withdrawn", action="points.view",
                            label=_("withdraw"),
                            guard=lambda award, viewer: award.proposed_by_id == getattr(viewer.user, "pk", None)),
        workflow.Transition("reverse", source=["approved"], target="reversed", action="points.correct",
                            label=_("reverse"), note_required=True),
    ],
    terminal=["rejected", "withdrawn", "reversed"],
    view_action="points.view",
)


class AwardBatch(models.Model):
    """A bulk award: one rule for a list of households (e.g. all that passed a sanitation
    inspection), reviewed as one."""

    rule = models.ForeignKey(PointRule, on_delete=models.PROTECT, related_name="+")
    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(_("region path"), max_length=255, db_index=True)
    occurred_on = models.DateField(_("date of the conduct"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("bulk award")
        verbose_name_plural = _("bulk awards")

    def __str__(self) -> str:
        return f"{self.rule.item} · {self.occurred_on}"


class Award(models.Model):
    """Points proposed for (or deducted from) one household under one rule version."""

    workflow = AWARD_FLOW

    class Source(models.TextChoices):
        GRID = "grid", _("grid worker")
        VILLAGE = "village", _("village committee")
        HOUSEHOLD = "household", _("the household itself")

    household = models.ForeignKey("regions.Household", verbose_name=_("household"), on_delete=models.PROTECT,
                                  related_name="point_awards")
    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(_("region path"), max_length=255, db_index=True)
    county = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey(PointRule, verbose_name=_("rule"), on_delete=models.PROTECT, related_name="awards")
    points = models.IntegerField(_("points"))
    occurred_on = models.DateField(_("date of the conduct"))
    note = models.TextField(_("note"), blank=True)
    evidence = models.FileField(_("photo"), upload_to="points/evidence/%Y/%m/", blank=True)
    source = models.CharField(_("proposed by"), max_length=16, choices=Source.choices)
    batch = models.ForeignKey(AwardBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="awards")
    state = models.CharField(_("state"), max_length=32, choices=AWARD_FLOW.choices, default=AWARD_FLOW.initial)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(auto_now_add=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    review_note = models.CharField(_("reason"), max_length=500, blank=True)
    ledger_transaction = models.OneToOneField("ledger.LedgerTransaction", null=True, blank=True,
                                              on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("award")
        verbose_name_plural = _("awards")
        ordering = ["-proposed_at", "-id"]
        constraints = [
            AWARD_FLOW.state_constraint(),
            models.CheckConstraint(condition=~Q(points=0), name="points_award_not_zero"),
            models.CheckConstraint(condition=~Q(state="approved") | Q(ledger_transaction__isnull=False),
                                   name="points_award_approved_is_posted"),
        ]
        indexes = [
            models.Index(fields=["household", "rule", "occurred_on"], name="points_award_limit_idx"),
            models.Index(fields=["state", "region_path"], name="points_award_queue_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.household} · {self.rule.item} ({self.points:+d})"


class QuarterReview(models.Model):
    """The quarterly review of a village (一季一评), frozen when it is closed."""

    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(_("region path"), max_length=255, db_index=True)
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"))
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(auto_now_add=True)
    tiers = models.JSONField(_("tier thresholds"), default=list)
    scoring = models.CharField(_("quarterly score"), max_length=16)

    class Meta:
        verbose_name = _("quarterly review")
        verbose_name_plural = _("quarterly reviews")
        constraints = [
            models.UniqueConstraint(fields=["village", "year", "quarter"], name="points_quarter_once"),
            models.CheckConstraint(condition=Q(quarter__gte=1, quarter__lte=4), name="points_quarter_range"),
        ]

    def __str__(self) -> str:
        return f"{self.village} {self.year}Q{self.quarter}"


class QuarterScore(models.Model):
    review = models.ForeignKey(QuarterReview, on_delete=models.PROTECT, related_name="scores")
    household = models.ForeignKey("regions.Household", on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(_("region path"), max_length=255, db_index=True)
    points = models.IntegerField(_("points"))
    score = models.PositiveSmallIntegerField(_("score"))
    tier = models.PositiveSmallIntegerField(_("tier"))

    class Meta:
        verbose_name = _("quarterly score")
        verbose_name_plural = _("quarterly scores")
        constraints = [
            models.UniqueConstraint(fields=["review", "household"], name="points_quarter_score_unique"),
            models.CheckConstraint(condition=Q(score__lte=100) & Q(tier__gte=1, tier__lte=4),
                                   name="points_quarter_score_range"),
        ]

    def __str__(self) -> str:
        return f"{self.household_id}: {self.score}"


class Settlement(models.Model):
    """The annual settlement of a village's points (年兑现): unspent points carried over or
    expired, as ledger transactions."""

    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(_("region path"), max_length=255, db_index=True)
    year = models.PositiveSmallIntegerField(_("year"))
    policy = models.CharField(_("policy"), max_length=16, choices=VillageScheme.Settlement.choices)
    households = models.PositiveIntegerField(_("households"), default=0)
    points = models.BigIntegerField(_("points"), default=0)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    done_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("annual settlement")
        verbose_name_plural = _("annual settlements")
        constraints = [models.UniqueConstraint(fields=["village", "year"], name="points_settlement_once")]

    def __str__(self) -> str:
        return f"{self.village} {self.year}"


class Shop(models.Model):
    """A points shop (爱心超市 / 积分超市) of a village or a township."""

    name = models.CharField(_("name"), max_length=100)
    region = models.ForeignKey("regions.Region", verbose_name=_("place"), on_delete=models.PROTECT,
                               related_name="+")
    region_path = models.CharField(_("region path"), max_length=255, db_index=True)
    county = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    address = models.CharField(_("address"), max_length=200, blank=True)
    opening_hours = models.CharField(_("opening hours"), max_length=100, blank=True)
    is_active = models.BooleanField(_("open"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("points shop")
        verbose_name_plural = _("points shops")
        ordering = ["region_path", "name"]
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="points_shop_name_unique")]

    def __str__(self) -> str:
        return self.name


class Goods(models.Model):
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="goods")
    region_path = models.CharField(_("region path"), max_length=255, db_index=True)
    name = models.CharField(_("name"), max_length=100)
    unit = models.CharField(_("unit"), max_length=16, blank=True)  # 袋, 桶, 瓶
    points_price = models.PositiveIntegerField(_("points price"))
    value_fen = models.PositiveIntegerField(_("value (fen)"))
    stock = models.IntegerField(_("stock"), default=0)
    donor = models.CharField(_("donor"), max_length=100, blank=True)
    is_active = models.BooleanField(_("on the shelf"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("goods")
        verbose_name_plural = _("goods")
        ordering = ["shop_id", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(stock__gte=0), name="points_goods_stock_not_negative"),
            models.CheckConstraint(condition=Q(points_price__gte=1), name="points_goods_price_positive"),
            models.UniqueConstraint(fields=["shop", "name"], name="points_goods_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def value_yuan(self) -> str:
        return f"{self.value_fen / 100:.2f}"


class StockMovement(models.Model):
    """Every change of a shop's stock: a purchase, a donation (with its donor), a
    redemption, a count correction."""

    class Kind(models.TextChoices):
        PURCHASE = "purchase", _("stock-in (purchase)")
        DONATION = "donation", _("donation")
        REDEMPTION = "redemption", _("redemption")
        CORRECTION = "correction", _("count correction")

    goods = models.ForeignKey(Goods, on_delete=models.PROTECT, related_name="movements")
    region_path = models.CharField(_("region path"), max_length=255, db_index=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    quantity = models.IntegerField(_("quantity"))
    value_fen = models.BigIntegerField(_("value (fen)"), default=0)
    donor = models.CharField(_("donor"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    redemption = models.ForeignKey("Redemption", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    at = models.DateTimeField(_("time"), db_index=True)

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        ordering = ["-at", "-id"]
        constraints = [models.CheckConstraint(condition=~Q(quantity=0), name="points_stock_movement_not_zero")]

    def __str__(self) -> str:
        return f"{self.goods_id} {self.quantity:+d}"


class Redemption(models.Model):
    """Goods taken at the counter for points: one ledger transaction (household → shop)."""

    number = models.CharField(_("receipt number"), max_length=32, unique=True)
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="redemptions")
    household = models.ForeignKey("regions.Household", on_delete=models.PROTECT, related_name="redemptions")
    region_path = models.CharField(_("region path"), max_length=255, db_index=True)  # the household's
    shop_path = models.CharField(max_length=255, db_index=True)
    county = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    points = models.PositiveIntegerField(_("points"))
    value_fen = models.BigIntegerField(_("value (fen)"))
    ledger_transaction = models.OneToOneField("ledger.LedgerTransaction", on_delete=models.PROTECT,
                                              related_name="+")
    clerk = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    at = models.DateTimeField(_("time"), db_index=True)

    class Meta:
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return self.number

    @property
    def value_yuan(self) -> str:
        return f"{self.value_fen / 100:.2f}"


class RedemptionLine(models.Model):
    redemption = models.ForeignKey(Redemption, on_delete=models.PROTECT, related_name="lines")
    goods = models.ForeignKey(Goods, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    quantity = models.PositiveIntegerField(_("quantity"))
    points_price = models.PositiveIntegerField(_("points price"))
    value_fen = models.PositiveIntegerField(_("value (fen)"))

    class Meta:
        verbose_name = _("redemption line")
        verbose_name_plural = _("redemption lines")
        constraints = [models.CheckConstraint(condition=Q(quantity__gte=1), name="points_line_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.name} × {self.quantity}"


class Duty(models.Model):
    """A person's points duty in a place: a member of the village's moral review council
    (道德评议会), a points shop's staff, the village accountant. Grants the matching role
    through ``access`` (see ``permissions.duty_grants``)."""

    class Kind(models.TextChoices):
        REVIEWER = "points_reviewer", _("moral review council member")
        SHOPKEEPER = "shop_keeper", _("points shop staff")
        ACCOUNTANT = "village_accountant", _("village accountant")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="points_duties")
    kind = models.CharField(_("duty"), max_length=24, choices=Kind.choices)
    region = models.ForeignKey("regions.Region", verbose_name=_("place"), on_delete=models.PROTECT,
                               related_name="+")
    shop = models.ForeignKey(Shop, null=True, blank=True, on_delete=models.PROTECT, related_name="staff")
    region_path = models.CharField(_("region path"), max_length=255, db_index=True)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)

    class Meta:
        verbose_name = _("points duty")
        verbose_name_plural = _("points duties")
        constraints = [
            models.CheckConstraint(condition=~Q(kind="shop_keeper") | Q(shop__isnull=False),
                                   name="points_shopkeeper_has_shop"),
            models.CheckConstraint(condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                                   name="points_duty_dates_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_kind_display()} · {self.region}"


class IncomeSplit(models.Model):
    """A village's collective income for a year split 4-3-2-1 (seed 002): industry, public
    welfare, dividends by points, risk fund. All money in fen. Final once approved: then
    the funds and every household's dividend are ledger transactions (in fen)."""

    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        APPROVED = "approved", _("approved")

    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(_("region path"), max_length=255, db_index=True)
    county = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    income_fen = models.BigIntegerField(_("collective income (fen)"))
    industry_percent = models.PositiveSmallIntegerField(_("industry %"))
    welfare_percent = models.PositiveSmallIntegerField(_("public welfare %"))
    dividend_percent = models.PositiveSmallIntegerField(_("dividends %"))
    risk_percent = models.PositiveSmallIntegerField(_("risk fund %"))
    industry_fen = models.BigIntegerField(_("industry (fen)"))
    welfare_fen = models.BigIntegerField(_("public welfare (fen)"))
    dividend_fen = models.BigIntegerField(_("dividends (fen)"))
    risk_fen = models.BigIntegerField(_("risk fund (fen)"))
    total_points = models.BigIntegerField(_("points earned by sharing households"), default=0)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.DRAFT)
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    prepared_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    ledger_transaction = models.OneToOneField("ledger.LedgerTransaction", null=True, blank=True,
                                              on_delete=models.PROTECT, related_name="+")
    dividend_transaction = models.OneToOneField("ledger.LedgerTransaction", null=True, blank=True,
                                                on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("4-3-2-1 income split")
        verbose_name_plural = _("4-3-2-1 income splits")
        ordering = ["-year", "region_path"]
        constraints = [
            models.UniqueConstraint(fields=["village", "year"], name="points_split_once_a_year"),
            models.CheckConstraint(condition=Q(income_fen__gt=0), name="points_split_income_positive"),
            models.CheckConstraint(
                condition=Q(industry_percent=100 - F("welfare_percent") - F("dividend_percent") - F("risk_percent")),
                name="points_split_percent_sum"),
            models.CheckConstraint(
                condition=Q(income_fen=F("industry_fen") + F("welfare_fen") + F("dividend_fen") + F("risk_fen")),
                name="points_split_adds_up"),
            models.CheckConstraint(condition=Q(state="draft") | Q(ledger_transaction__isnull=False),
                                   name="points_split_approved_is_posted"),
        ]

    def __str__(self) -> str:
        return f"{self.village} {self.year}"


class DividendLine(models.Model):
    split = models.ForeignKey(IncomeSplit, on_delete=models.CASCADE, related_name="lines")
    household = models.ForeignKey("regions.Household", on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(_("region path"), max_length=255, db_index=True)
    points = models.BigIntegerField(_("points earned"))
    amount_fen = models.BigIntegerField(_("dividend (fen)"))

    class Meta:
        verbose_name = _("dividend")
        verbose_name_plural = _("dividends")
        ordering = ["-points", "household_id"]
        constraints = [
            models.UniqueConstraint(fields=["split", "household"], name="points_dividend_once"),
            models.CheckConstraint(condition=Q(points__gt=0) & Q(amount_fen__gte=0), name="points_dividend_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.household_id}: {self.amount_fen}"
