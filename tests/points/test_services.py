"""The loop rule → award → review → ledger → redemption, periods, the split, bad input."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shanzhi.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from shanzhi.core.models import AuditEvent
from shanzhi.ledger import services as ledger
from shanzhi.ledger.models import Account, Entry, LedgerTransaction
from shanzhi.points import selectors, services
from shanzhi.points.models import Award, Goods, IncomeSplit, RedemptionLine, StockMovement
from tests.points.conftest import award, rule

TODAY = dt.date.today()
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")


def photo(data: bytes = PNG, name: str = "p.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/png")


def test_award_loop_posts_to_the_ledger_and_is_audited(points):
    home = points.households()[0]
    a = award(points, home, by="grid_worker")
    assert a.state == "approved"
    assert a.ledger_transaction_id
    assert selectors.balance(home) == 5
    assert ledger.verify() == []
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"points.award_propose", "award.approve", "points.rule_create", "points.stock_donation"} <= actions
    assert a.source == Award.Source.GRID


def test_nobody_approves_their_own_proposal(points):
    home = points.households()[0]
    # The committee member proposes; a reviewer who is also the proposer cannot approve.
    a = services.award_propose(actor=points.users["village_committee"], household=home, rule=points.rule,
                               occurred_on=TODAY)
    with pytest.raises((PermissionDenied, NotFound)):
        services.award_approve(actor=points.users["village_committee"], award=a)
    a.refresh_from_db()
    assert a.state == "proposed"
    assert selectors.balance(home) == 0
    assert a.source == Award.Source.VILLAGE


def test_reviewer_cannot_approve_own_proposal_even_with_the_right(points):
    from shanzhi.points.models import Duty

    reviewer = points.users["reviewer"]
    Duty.objects.filter(user=reviewer).update(kind="points_reviewer")
    # give the reviewer the grid worker's right to propose by making them a committee member too
    from shanzhi.people.services import build_position

    build_position(user=reviewer, role="village_committee", region=points.village,
                   start_date=dt.date(2020, 1, 1)).save()
    reviewer._shanzhi_viewer = None
    del reviewer._shanzhi_viewer
    home = points.households()[0]
    a = services.award_propose(actor=reviewer, household=home, rule=points.rule, occurred_on=TODAY)
    with pytest.raises(PermissionDenied):
        services.award_approve(actor=reviewer, award=a)
    with pytest.raises(PermissionDenied):
        services.award_reject(actor=reviewer, award=a, reason="no")
    assert Award.objects.get(pk=a.pk).state == "proposed"
    assert not LedgerTransaction.objects.filter(kind="award").exists()


def test_reject_needs_a_reason_and_writes_nothing_to_the_ledger(points):
    home = points.households()[0]
    a = award(points, home, approve=False)
    with pytest.raises(ValidationError) as err:
        services.award_reject(actor=points.users["reviewer"], award=a, reason="  ")
    assert "note" in err.value.fields
    services.award_reject(actor=points.users["reviewer"], award=a, reason="照片与事实不符")
    a.refresh_from_db()
    assert a.state == "rejected"
    assert a.review_note == "照片与事实不符"
    assert not Entry.objects.exists()
    with pytest.raises(Conflict):  # a rejected award cannot be approved
        services.award_approve(actor=points.users["reviewer"], award=a)


def test_reviewer_of_another_village_sees_nothing(points):
    a = award(points, points.households()[0], approve=False)
    with pytest.raises(NotFound):
        services.award_approve(actor=points.users["other_reviewer"], award=a)
    assert selectors.review_queue(points.users["other_reviewer"]).count() == 0
    assert selectors.review_queue(points.users["reviewer"]).count() == 1


def test_grid_worker_cannot_propose_outside_their_grid(points):
    other_grid_home = next(h for h in points.households() if h.grid.code.endswith("002"))
    with pytest.raises(NotFound):
        services.award_propose(actor=points.users["grid_worker"], household=other_grid_home, rule=points.rule,
                               occurred_on=TODAY)
    assert not Award.objects.exists()


def test_resident_proposes_for_own_household_only(points):
    resident = points.users["resident"]
    own = points.county.households[0]
    a = services.award_propose(actor=resident, household=own, rule=points.rule, occurred_on=TODAY, note="打扫了巷道")
    assert a.source == Award.Source.HOUSEHOLD
    neighbour = points.households()[1]
    with pytest.raises(NotFound):
        services.award_propose(actor=resident, household=neighbour, rule=points.rule, occurred_on=TODAY)


def test_limit_once_a_month_is_enforced_at_proposal_and_approval(points):
    home = points.households()[0]
    award(points, home, points.monthly_rule)
    with pytest.raises(ValidationError) as err:
        award(points, home, points.monthly_rule, approve=False)
    assert "rule" in err.value.fields
    assert Award.objects.filter(rule=points.monthly_rule).count() == 1
    last_month = (TODAY.replace(day=1) - dt.timedelta(days=1))
    if last_month >= points.monthly_rule.valid_from:
        award(points, home, points.monthly_rule, on=last_month)


def test_points_outside_the_rule_and_dates_outside_validity(points):
    home = points.households()[0]
    with pytest.raises(ValidationError) as err:
        award(points, home, points.rule, points=9, approve=False)
    assert "points" in err.value.fields
    with pytest.raises(ValidationError) as err:
        award(points, home, points.rule, on=dt.date(2023, 6, 1), approve=False)
    assert "occurred_on" in err.value.fields
    with pytest.raises(ValidationError) as err:
        award(points, home, points.rule, on=TODAY + dt.timedelta(days=3), approve=False)
    assert "occurred_on" in err.value.fields
    other_rule = rule(points.users["admin"], points.other_village, "李塬清洁", 2)
    with pytest.raises(ValidationError) as err:
        award(points, home, other_rule, approve=False)
    assert "rule" in err.value.fields
    assert not Award.objects.exists()


def test_evidence_is_required_and_checked_by_content(points):
    home = points.households()[0]
    with pytest.raises(ValidationError) as err:
        services.award_propose(actor=points.users["grid_worker"], household=home, rule=points.photo_rule,
                               occurred_on=TODAY)
    assert "evidence" in err.value.fields
    with pytest.raises(ValidationError) as err:
        services.award_propose(actor=points.users["grid_worker"], household=home, rule=points.photo_rule,
                               occurred_on=TODAY, evidence=photo(b"<?php system($_GET['c']); ?>", "x.png"))
    assert "evidence" in err.value.fields
    assert not Award.objects.exists()
    a = services.award_propose(actor=points.users["grid_worker"], household=home, rule=points.photo_rule,
                               occurred_on=TODAY, evidence=photo())
    assert a.evidence.name.endswith(".png")
    assert "p.png" not in a.evidence.name


def test_rule_versions_keep_old_awards(points):
    cadre = points.users["village_committee"]
    home = points.households()[0]
    old = award(points, home, points.rule, on=dt.date(2024, 3, 1))
    new = services.rule_revise(actor=cadre, rule=points.rule, data=services.RuleInput(
        category="sanitation", item="清洁家园", points=6, valid_from=dt.date(2024, 6, 1),
        meeting_date=dt.date(2024, 5, 20), meeting_record="村民代表大会"))
    assert new.version == 2
    assert new.code == points.rule.code
    points.rule.refresh_from_db()
    assert points.rule.valid_until == dt.date(2024, 5, 31)
    old.refresh_from_db()
    assert old.rule_id == points.rule.pk
    assert old.points == 5
    with pytest.raises(ValidationError):  # the old version no longer applies to new dates
        award(points, home, points.rule, on=TODAY, approve=False)
    assert award(points, home, new).points == 6
    with pytest.raises(Conflict):
        services.rule_revise(actor=cadre, rule=points.rule, data=services.RuleInput(
            category="sanitation", item="x", points=1, valid_from=TODAY, meeting_date=TODAY, meeting_record="r"))


def test_rules_need_a_meeting_and_sane_points(points):
    cadre = points.users["village_committee"]
    bad = [
        ({"points": 11}, "points"), ({"points": 0}, "points"), ({"meeting_date": None}, "meeting_date"),
        ({"meeting_record": ""}, "meeting_record"), ({"limit_count": 1}, "limit_count"),
        ({"category": "nonsense"}, "category"), ({"points": 5, "points_min": 7}, "points_min"),
    ]
    for change, field in bad:
        data = {"category": "honesty", "item": "诚信", "points": 3, "meeting_date": dt.date(2024, 1, 1),
                "meeting_record": "会议"}
        data.update(change)
        with pytest.raises(ValidationError) as err:
            services.rule_create(actor=cadre, region=points.village, data=services.RuleInput(**data))
        assert field in err.value.fields, change
    with pytest.raises(NotFound):  # another township's village
        rule(cadre, points.other_village, "x", 2)


def test_template_adoption(points):
    county_staff = points.users["county_staff"]
    template = services.rule_create(actor=county_staff, region=points.county.county, data=services.RuleInput(
        category="filial_piety", item="孝老爱亲", points=5, valid_from=dt.date(2024, 1, 1)))
    assert template.is_template
    home = points.households()[0]
    with pytest.raises(ValidationError):
        award(points, home, template, approve=False)
    adopted = services.rule_adopt(actor=points.users["village_committee"], template=template, village=points.village,
                                  meeting_date=dt.date(2024, 2, 1), meeting_record="村民大会通过",
                                  valid_from=dt.date(2024, 2, 1))
    assert adopted.adopted_from_id == template.pk
    assert not adopted.is_template
    assert award(points, home, adopted).points == 5
    with pytest.raises(Conflict):
        services.rule_adopt(actor=points.users["village_committee"], template=template, village=points.village,
                            meeting_date=dt.date(2024, 2, 1), meeting_record="again")


def test_deduction_and_reversal(points):
    home = points.households()[0]
    award(points, home)
    d = award(points, home, points.deduction)
    assert selectors.balance(home) == 2
    assert d.ledger_transaction.kind == "deduction"
    a = Award.objects.filter(rule=points.rule).get()
    with pytest.raises(ValidationError):
        services.award_reverse(actor=points.users["reviewer"], award=a, reason="")
    services.award_reverse(actor=points.users["reviewer"], award=a, reason="奖励给错了户")
    a.refresh_from_db()
    assert a.state == "reversed"
    assert selectors.balance(home) == -3
    # the month's earnings fall with the correction
    info = selectors.household_points(points.users["grid_worker"], home)
    assert info.month_points == -3
    assert ledger.verify() == []
    with pytest.raises(Conflict):  # reversed once already
        services.award_reverse(actor=points.users["reviewer"], award=a, reason="again")


def test_editing_a_posted_award_is_refused(points):
    a = award(points, points.households()[0])
    with pytest.raises(ValidationError) as err:
        services.award_update(actor=points.users["grid_worker"], award=a, note="changed")
    assert "state" in err.value.fields
    assert Award.objects.get(pk=a.pk).note == ""


def test_bulk_award_and_batch_approval(points):
    homes = points.households()[:5]
    batch = services.award_bulk_propose(actor=points.users["village_committee"], village=points.village,
                                        rule=points.rule, households=homes, occurred_on=TODAY, note="环境卫生检查合格")
    assert Award.objects.filter(batch=batch, state="proposed").count() == 5
    assert services.batch_approve(actor=points.users["reviewer"], batch=batch) == 5
    assert all(selectors.balance(h) == 5 for h in homes)
    with pytest.raises(ValidationError):
        services.batch_approve(actor=points.users["reviewer"], batch=batch)
    # a household from another village makes the whole batch fail
    stranger = points.households(points.other_village)[0]
    with pytest.raises(ValidationError) as err:
        services.award_bulk_propose(actor=points.users["village_committee"], village=points.village,
                                    rule=points.rule, households=[homes[0], stranger], occurred_on=TODAY)
    assert "households" in err.value.fields
    assert Award.objects.count() == 5


def test_redemption_moves_balance_and_stock_together(points):
    home = points.households()[0]
    for _ in range(5):
        award(points, home)  # 25 points
    r = services.redeem(actor=points.users["shopkeeper"], shop=points.shop, household=home,
                        lines=[(points.rice.pk, 2)])
    assert r.points == 20
    assert r.value_fen == 7000
    assert selectors.balance(home) == 5
    assert Goods.objects.get(pk=points.rice.pk).stock == 48
    assert StockMovement.objects.filter(redemption=r).get().quantity == -2
    assert RedemptionLine.objects.filter(redemption=r).count() == 1
    assert ledger.verify() == []


def test_redeeming_more_than_balance_or_stock_writes_nothing(points):
    home = points.households()[0]
    award(points, home)  # 5 points
    before = (Entry.objects.count(), StockMovement.objects.count())
    with pytest.raises(ledger.InsufficientBalance) as err:
        services.redeem(actor=points.users["shopkeeper"], shop=points.shop, household=home,
                        lines=[(points.rice.pk, 1)])
    assert err.value.status == 422
    assert "lines" in err.value.fields
    assert Goods.objects.get(pk=points.rice.pk).stock == 50
    rich = points.households()[1]  # enough points for the oil: the stock is what runs out
    ledger.post(actor=None, kind=services.AWARD, lines=[(services.issuer_account(points.village), -300),
                                                       (services.household_account(rich), 300)])
    with pytest.raises(services.InsufficientStock):
        services.redeem(actor=points.users["shopkeeper"], shop=points.shop, household=points.households()[1],
                        lines=[(points.oil.pk, 6)])
    assert Goods.objects.get(pk=points.oil.pk).stock == 5
    with pytest.raises(ValidationError):
        services.redeem(actor=points.users["shopkeeper"], shop=points.shop, household=home,
                        lines=[(points.rice.pk, 0)])
    assert (Entry.objects.filter(kind="redemption").count(), StockMovement.objects.count()) == (0, before[1])


def test_a_negative_balance_cannot_redeem(points):
    home = points.households()[0]
    award(points, home, points.deduction)
    assert selectors.balance(home) == -3
    with pytest.raises(ledger.InsufficientBalance):
        services.redeem(actor=points.users["shopkeeper"], shop=points.shop, household=home,
                        lines=[(points.rice.pk, 1)])


def test_only_shop_staff_redeem(points):
    home = points.households()[0]
    award(points, home)
    with pytest.raises((PermissionDenied, NotFound)):
        services.redeem(actor=points.users["grid_worker"], shop=points.shop, household=home,
                        lines=[(points.rice.pk, 1)])
    stranger = points.households(points.other_village)[0]
    with pytest.raises(NotFound):
        services.redeem(actor=points.users["shopkeeper"], shop=points.shop, household=stranger,
                        lines=[(points.rice.pk, 1)])


def test_counter_lookup_by_number_name_phone_and_card(points):
    keeper = points.users["shopkeeper"]
    home = points.households()[0]
    head = home.members.get(relation="head")
    for q in (home.number, head.name, head.phone, services.card_payload(home)):
        assert [h.pk for h in selectors.counter_lookup(keeper, points.shop, q)] == [home.pk], q
    forged = services.card_payload(home)[:-2] + "xx"
    assert selectors.counter_lookup(keeper, points.shop, forged) == []
    stranger = points.households(points.other_village)[0]
    assert selectors.counter_lookup(keeper, points.shop, stranger.number) == []


def test_ranking_quarter_and_figures(points):
    homes = points.households()
    for i, h in enumerate(homes[:4]):
        for _ in range(i + 1):
            award(points, h)
    rows = list(selectors.ranking(points.village, TODAY))
    assert [r["points"] for r in rows] == [20, 15, 10, 5]
    assert [r["rank"] for r in rows] == [1, 2, 3, 4]
    scores = selectors.quarter_scores(village=points.village, year=TODAY.year, quarter=(TODAY.month - 1) // 3 + 1)
    assert scores[0].score == 100
    assert scores[0].tier == 1
    assert {s.score for s in scores if s.points == 10} == {50}
    assert scores[-1].tier == 4
    info = selectors.household_points(points.users["village_committee"], homes[3])
    assert info.month_rank == 1
    assert info.balance == 20
    services.redeem(actor=points.users["shopkeeper"], shop=points.shop, household=homes[3],
                    lines=[(points.rice.pk, 1)])
    f = selectors.figures(points.users["village_committee"], points.village, TODAY.year)
    assert (f.points_awarded, f.points_redeemed, f.value_redeemed_fen) == (50, 10, 3500)
    assert f.households_taking_part == 4
    assert f.households == 6
    assert f.participation_percent == pytest.approx(66.7)


def test_quarter_close_freezes_scores(points):
    last_quarter_end = dt.date(TODAY.year, 3 * ((TODAY.month - 1) // 3) + 1, 1) - dt.timedelta(days=1)
    year, quarter = last_quarter_end.year, (last_quarter_end.month - 1) // 3 + 1
    home = points.households()[0]
    award(points, home, on=last_quarter_end)
    cadre = points.users["village_committee"]
    review = services.quarter_close(actor=cadre, village=points.village, year=year, quarter=quarter)
    assert review.scores.count() == 6
    assert review.scores.get(household=home).score == 100
    with pytest.raises(Conflict):
        services.quarter_close(actor=cadre, village=points.village, year=year, quarter=quarter)
    with pytest.raises(ValidationError):
        services.quarter_close(actor=cadre, village=points.village, year=TODAY.year + 1, quarter=1)


def _posted_last_year(points, home, n):
    day = dt.date(TODAY.year - 1, 6, 1)
    for _ in range(n):
        award(points, home, on=day)


def test_settlement_expire_and_carry_over(points):
    cadre = points.users["village_committee"]
    homes = points.households()
    _posted_last_year(points, homes[0], 2)  # 10 points
    services.scheme_update(actor=cadre, village=points.village, settlement="expire")
    s = services.settlement_run(actor=cadre, village=points.village, year=TODAY.year - 1)
    assert (s.households, s.points) == (1, 10)
    assert selectors.balance(homes[0]) == 0
    with pytest.raises(Conflict):
        services.settlement_run(actor=cadre, village=points.village, year=TODAY.year - 1)
    assert ledger.verify() == []
    # carry over elsewhere: balances unchanged, the year closed and opened in the ledger
    other = points.other_village
    cadre2 = points.users["admin"]
    other_rule = rule(cadre2, other, "清洁", 4, valid_from=dt.date(TODAY.year - 1, 1, 1))
    reviewer = points.users["other_reviewer"]
    h = points.households(other)[0]
    a = services.award_propose(actor=cadre2, household=h, rule=other_rule, occurred_on=dt.date(TODAY.year - 1, 3, 3))
    services.award_approve(actor=reviewer, award=a)
    s2 = services.settlement_run(actor=cadre2, village=other, year=TODAY.year - 1)
    assert (s2.policy, s2.points) == ("carry_over", 4)
    assert selectors.balance(h) == 4
    assert LedgerTransaction.objects.filter(kind="carry_over").count() == 2
    # the year's earnings are not changed by the settlement
    assert selectors.year_earnings(village=other, year=TODAY.year - 1)[0][2] == 4
    with pytest.raises(ValidationError):
        services.settlement_run(actor=cadre, village=points.village, year=TODAY.year)


def test_largest_remainder_adds_up():
    assert services.largest_remainder(100, [1, 1, 1]) == [34, 33, 33]
    assert services.largest_remainder(10, [40, 30, 20, 10]) == [4, 3, 2, 1]
    parts = services.largest_remainder(1_234_567, [7, 13, 29, 1, 0, 50])
    assert sum(parts) == 1_234_567
    assert parts[4] == 0
    assert services.largest_remainder(5, [0, 0]) == [0, 0]


def test_split_shares_by_points_and_is_final_when_approved(points):
    homes = points.households()
    _posted_last_year(points, homes[0], 3)  # 15
    _posted_last_year(points, homes[1], 1)  # 5
    day = dt.date(TODAY.year - 1, 7, 1)
    award(points, homes[2], on=day)
    award(points, homes[2], points.deduction, on=day)
    award(points, homes[2], points.deduction, on=day)  # 5 - 6 = -1: nothing
    accountant = points.users["accountant"]
    split = services.split_prepare(actor=accountant, village=points.village, year=TODAY.year - 1,
                                   income_fen=1_000_001)
    assert (split.industry_fen, split.welfare_fen, split.dividend_fen, split.risk_fen) == (400_001, 300_000,
                                                                                           200_000, 100_000)
    lines = {line.household_id: line.amount_fen for line in split.lines.all()}
    assert lines == {homes[0].pk: 150_000, homes[1].pk: 50_000}
    assert sum(lines.values()) == split.dividend_fen
    with pytest.raises(PermissionDenied):
        services.split_approve(actor=accountant, split=split)
    with pytest.raises((PermissionDenied, NotFound)):
        services.split_approve(actor=points.users["grid_worker"], split=split)
    services.split_approve(actor=points.users["village_secretary"], split=split)
    split.refresh_from_db()
    assert split.state == IncomeSplit.State.APPROVED
    money = Account.objects.get(code=f"fen:hh:{homes[0].pk}")
    assert money.unit == "fen"
    assert money.balance == 150_000
    assert ledger.verify() == []
    with pytest.raises(Conflict):
        services.split_prepare(actor=accountant, village=points.village, year=TODAY.year - 1, income_fen=5)
    with pytest.raises(Conflict):
        services.split_approve(actor=points.users["village_secretary"], split=split)


def test_split_bad_input(points):
    accountant = points.users["accountant"]
    for kwargs, field in [({"income_fen": 0}, "income_fen"), ({"income_fen": -5}, "income_fen"),
                          ({"percents": (50, 30, 20, 10)}, "percents"), ({"year": TODAY.year + 1}, "year")]:
        args = {"village": points.village, "year": TODAY.year - 1, "income_fen": 100} | kwargs
        with pytest.raises(ValidationError) as err:
            services.split_prepare(actor=accountant, **args)
        assert field in err.value.fields
    assert not IncomeSplit.objects.exists()


def test_split_percentages_are_configurable_and_odd_fen_add_up(points):
    homes = points.households()
    for _i, h in enumerate(homes[:3]):
        _posted_last_year(points, h, 1)
    split = services.split_prepare(actor=points.users["accountant"], village=points.village, year=TODAY.year - 1,
                                   income_fen=100, percents=(25, 25, 49, 1))
    assert split.dividend_fen == 49
    amounts = sorted(split.lines.values_list("amount_fen", flat=True))
    assert amounts == [16, 16, 17]
    assert sum(amounts) == 49


def test_payout_workbook_and_qr(points):
    from openpyxl import load_workbook

    from shanzhi.points import exports

    _posted_last_year(points, points.households()[0], 1)
    split = services.split_prepare(actor=points.users["accountant"], village=points.village, year=TODAY.year - 1,
                                   income_fen=12345)
    wb = load_workbook(io.BytesIO(exports.payout_workbook(split, selectors.split_lines(split))))
    pay = wb.worksheets[1]
    assert pay.max_row == 3
    assert pay.cell(2, 5).value == split.dividend_fen / 100
    svg = exports.qr_svg(services.card_payload(points.households()[0]))
    assert svg.startswith("<svg")
    assert "<script" not in svg


def test_stock_bad_input(points):
    cadre = points.users["village_committee"]
    with pytest.raises(ValidationError) as err:
        services.stock_in(actor=cadre, goods=points.rice, quantity=3, kind="donation")
    assert "donor" in err.value.fields
    with pytest.raises(ValidationError):
        services.stock_in(actor=cadre, goods=points.rice, quantity=-100, kind="correction", note="盘点")
    with pytest.raises(ValidationError):
        services.stock_in(actor=cadre, goods=points.rice, quantity=-1, kind="purchase")
    assert Goods.objects.get(pk=points.rice.pk).stock == 50
    services.stock_in(actor=cadre, goods=points.rice, quantity=-2, kind="correction", note="盘点少两袋")
    assert Goods.objects.get(pk=points.rice.pk).stock == 48
