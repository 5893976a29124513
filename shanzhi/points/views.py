"""Pages of the points system: thin over the same services and selectors as the API.

Residents: my points (balance, history, rank, tier), the shop's goods, the village board.
Grid team and village committee: propose, bulk award, rules. Moral review council: the
review queue. Shop staff: the counter and the stock. Village accountant: the 4-3-2-1 split.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shanzhi.core import access
from shanzhi.core import workflow as wf
from shanzhi.core.errors import Conflict, DomainError, NotFound, ValidationError
from shanzhi.core.uploads import file_response
from shanzhi.points import exports, selectors, services
from shanzhi.points.api import households_by_numbers, parse_month
from shanzhi.points.models import Award, Category, IncomeSplit, LimitPeriod, StockMovement, VillageScheme
from shanzhi.regions import selectors as region_selectors
from shanzhi.regions.models import Household, Region
from shanzhi.web.pages import may as may_do
from shanzhi.web.pages import page_view, paginate, viewer_of

# What a form shows beside its fields; out of scope (404) and not allowed (403) are answered
# as pages answer them (``page_view``), never as a form error.
FORM_ERRORS = (ValidationError, Conflict)


def _int(value: Any, field: str, *, required: bool = True) -> int | None:
    text = str(value or "").strip()
    if not text:
        if required:
            raise ValidationError(_("This field is required."), field=field)
        return None
    try:
        return int(text)
    except ValueError:
        raise ValidationError(_("Enter a whole number."), field=field) from None


def _date(value: Any, field: str, *, required: bool = True) -> dt.date | None:
    text = str(value or "").strip()
    if not text:
        if required:
            raise ValidationError(_("This field is required."), field=field)
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError(_("Enter a date as YYYY-MM-DD."), field=field) from None


def _yuan_to_fen(value: Any, field: str) -> int:
    text = str(value or "").strip().replace(",", "").replace("，", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValidationError(_("Enter an amount in yuan, such as 1250000.50."), field=field) from None
    if amount != amount.quantize(Decimal("0.01")) or amount <= 0:
        raise ValidationError(_("Enter an amount in yuan with at most two decimals, more than zero."), field=field)
    return int(amount * 100)


def _region(request: HttpRequest, code: str) -> Region:
    return region_selectors.region_get(request.user, code=code)


def _failed(request: HttpRequest, exc: DomainError) -> dict[str, Any]:
    return {"error": exc.message, "errors": exc.fields, "form": request.POST}


def _village_of_viewer(request: HttpRequest) -> Region | None:
    viewer = viewer_of(request)
    for path in viewer.home_paths():
        region = Region.objects.filter(path=path).first()
        while region is not None and region.level > Region.Level.VILLAGE:
            region = region.parent
        if region is not None and region.level == Region.Level.VILLAGE:
            return region
    if viewer.household_id:
        home = Household.objects.filter(pk=viewer.household_id).select_related("village").first()
        return home.village if home else None
    return None


# -- hub and resident pages ----------------------------------------------------------------

@page_view
def index(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    village = _village_of_viewer(request)
    places = [Region.objects.filter(path=p).first() for p in viewer.home_paths()]
    return render(request, "points/index.html", {
        "village": village, "places": [p for p in places if p is not None],
        "may_propose": may_do(viewer, "points.propose") and bool(viewer.home_paths()),
        "may_bulk": may_do(viewer, "points.bulk"), "may_review": may_do(viewer, "points.review"),
        "may_rules": may_do(viewer, "points.rules"), "may_periods": may_do(viewer, "points.periods"),
        "may_split": may_do(viewer, "points.split_view"), "may_figures": may_do(viewer, "points.figures"),
        "may_duties": may_do(viewer, "points.duties"), "own_household": viewer.household_id,
        "waiting": selectors.review_queue(viewer).count() if may_do(viewer, "points.review") else 0,
        "shops": list(selectors.shops(viewer)[:20]),
    })


@page_view
def my_points(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    if not viewer.household_id:
        raise Http404
    home = Household.objects.select_related("village").get(pk=viewer.household_id)
    info = selectors.household_points(viewer, home)
    return render(request, "points/my_points.html", {
        "info": info, "household": home, "shops": list(selectors.shops(viewer)),
        "rules": list(selectors.rules(viewer, region=home.village, on=timezone.localdate())),
    })


@page_view
def household_card(request: HttpRequest, pk: int) -> HttpResponse:
    household = access.get_for(request.user, "points.view", Household.objects.select_related("village", "grid"),
                               pk=pk)
    heads = household.members.filter(relation="head", status="active").values_list("name", flat=True)
    return render(request, "points/card.html", {
        "household": household, "head_name": next(iter(heads), ""),
        "qr": exports.qr_svg(services.card_payload(household), scale=5),
    })


@page_view
def household_card_svg(request: HttpRequest, pk: int) -> HttpResponse:
    household = access.get_for(request.user, "points.view", Household.objects.all(), pk=pk)
    return HttpResponse(exports.qr_svg(services.card_payload(household)), content_type="image/svg+xml")


# -- awards --------------------------------------------------------------------------------

@page_view
def propose(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    access.require_any_role(viewer, "points.propose")
    hid = request.GET.get("household") or request.POST.get("household")
    if not hid and viewer.household_id and not viewer.home_paths():
        hid = str(viewer.household_id)
    household = None
    context: dict[str, Any] = {}
    if hid:
        try:
            household = access.get_for(viewer, "points.propose", Household.objects.select_related("village"),
                                       pk=_int(hid, "household"))
        except (NotFound, ValidationError):
            context["error"] = _("Unknown household.")
    q = request.GET.get("q", "").strip()
    found = list(region_selectors.households(viewer, q=q)[:20]) if q and household is None else []
    if request.method == "POST" and household is not None:
        try:
            rule = selectors.rule_get(viewer, _int(request.POST.get("rule"), "rule") or 0)
            award = services.award_propose(
                actor=request.user, household=household, rule=rule,
                occurred_on=_date(request.POST.get("occurred_on"), "occurred_on") or timezone.localdate(),
                points=_int(request.POST.get("points"), "points", required=False), note=request.POST.get("note", ""),
                evidence=request.FILES.get("evidence"))
        except NotFound:
            context.update(error=_("Unknown rule."), errors={"rule": _("Unknown rule.")}, form=request.POST)
        except FORM_ERRORS as exc:
            context.update(_failed(request, exc))
        else:
            messages.success(request, _("Proposed: %(points)+d points for household %(number)s, waiting for the moral "
                                        "review council.") % {"points": award.points, "number": household.number})
            return redirect("points:award", pk=award.pk)
    rules = list(selectors.rules(viewer, region=household.village, on=timezone.localdate())) if household else []
    context.update({"household": household, "found": found, "q": q, "rules": rules,
                    "today": timezone.localdate().isoformat()})
    return render(request, "points/propose.html", context, status=422 if context.get("errors") else 200)


@page_view
def bulk(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    access.require_any_role(viewer, "points.bulk")
    village = _village_of_viewer(request)
    code = request.POST.get("village") or request.GET.get("village")
    if code:
        village = _region(request, code)
    if village is None:
        raise Http404
    context: dict[str, Any] = {"village": village, "today": timezone.localdate().isoformat()}
    if request.method == "POST":
        try:
            rule = selectors.rule_get(viewer, _int(request.POST.get("rule"), "rule") or 0)
            homes = households_by_numbers(request, village, request.POST.get("households", ""))
            batch = services.award_bulk_propose(
                actor=request.user, village=village, rule=rule, households=homes,
                occurred_on=_date(request.POST.get("occurred_on"), "occurred_on") or timezone.localdate(),
                note=request.POST.get("note", ""), evidence=request.FILES.get("evidence"))
        except NotFound:
            context.update(error=_("Unknown rule."), errors={"rule": _("Unknown rule.")}, form=request.POST)
        except FORM_ERRORS as exc:
            context.update(_failed(request, exc))
        else:
            messages.success(request, _("Proposed for %(n)d households, waiting for the moral review council.")
                             % {"n": len(homes)})
            return redirect(f"{reverse('points:awards')}?batch={batch.pk}")
    context["rules"] = list(selectors.rules(viewer, region=village, on=timezone.localdate()))
    context["households"] = list(access.scope(viewer, "points.bulk", Household.objects.filter(village=village))
                                 .order_by("number").values_list("number", flat=True)[:2000])
    return render(request, "points/bulk.html", context, status=422 if context.get("errors") else 200)


@page_view
def awards(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    qs = selectors.awards(viewer, state=request.GET.get("state") or None)
    if request.GET.get("batch"):
        qs = qs.filter(batch_id=_int(request.GET.get("batch"), "batch"))
    return render(request, "points/awards.html", {"page": paginate(request, qs), "state": request.GET.get("state", ""),
                                                  "states": Award.workflow.choices})


@page_view
def review(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    access.require_any_role(viewer, "points.review")
    return render(request, "points/review.html", {
        "page": paginate(request, selectors.review_queue(viewer), per_page=30),
        "batches": selectors.batches_waiting(viewer),
    })


@page_view
def award_detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    award = selectors.awards(viewer).filter(pk=pk).first()
    if award is None:
        raise Http404
    steps = [t.name for t in wf.allowed_transitions(award, viewer)]
    return render(request, "points/award.html", {
        "award": award, "history": wf.history_in_words(award), "steps": steps,
        "may_reverse": award.state == "approved" and access.can(viewer, "points.correct", award),
    })


@page_view
@require_POST
def award_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    viewer = viewer_of(request)
    award = selectors.award_get(viewer, pk)
    note = request.POST.get("note", "")
    try:
        if step == "approve":
            services.award_approve(actor=request.user, award=award, note=note)
            messages.success(request, _("Approved and posted to the household's ledger."))
        elif step == "reject":
            services.award_reject(actor=request.user, award=award, reason=note)
            messages.success(request, _("Rejected."))
        elif step == "withdraw":
            services.award_withdraw(actor=request.user, award=award)
            messages.success(request, _("Withdrawn."))
        elif step == "reverse":
            services.award_reverse(actor=request.user, award=award, reason=note)
            messages.success(request, _("Reversed: a correcting transaction is in the ledger."))
        else:
            raise Http404
    except ValidationError as exc:
        messages.error(request, str(exc.message) + " " + " ".join(str(v) for k, v in exc.fields.items()
                                                                 if str(v) != str(exc.message)))
    nxt = request.POST.get("next", "")
    return redirect(nxt if nxt.startswith("/points/") else reverse("points:award", args=[pk]))


@page_view
@require_POST
def batch_approve(request: HttpRequest, pk: int) -> HttpResponse:
    batch = selectors.batch_get(request.user, pk)
    try:
        n = services.batch_approve(actor=request.user, batch=batch, note=request.POST.get("note", ""))
        messages.success(request, _("Approved %(n)d awards.") % {"n": n})
    except ValidationError as exc:
        messages.error(request, str(exc.message))
    return redirect("points:review")


@page_view
def evidence(request: HttpRequest, pk: int) -> HttpResponse:
    """An award's photo (at most 8 MB, checked when it came), to those who may see the award."""
    award = selectors.award_get(request.user, pk)
    if not award.evidence:
        raise Http404
    try:
        with award.evidence.open("rb") as handle:
            data = handle.read()
    except OSError:
        raise Http404 from None
    return file_response(data, content_type=_photo_type(award.evidence.name))


def _photo_type(name: str) -> str:
    ext = name.rsplit(".", 1)[-1].lower()
    return {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}.get(ext, "application/octet-stream")


# -- rules ---------------------------------------------------------------------------------

def _rule_input(post: Any) -> services.RuleInput:
    return services.RuleInput(
        category=post.get("category", ""), item=post.get("item", ""), points=_int(post.get("points"), "points") or 0,
        points_min=_int(post.get("points_min"), "points_min", required=False),
        evidence_required=bool(post.get("evidence_required")),
        limit_count=_int(post.get("limit_count"), "limit_count", required=False),
        limit_period=post.get("limit_period", ""), valid_from=_date(post.get("valid_from"), "valid_from",
                                                                    required=False),
        valid_until=_date(post.get("valid_until"), "valid_until", required=False),
        meeting_date=_date(post.get("meeting_date"), "meeting_date", required=False),
        meeting_record=post.get("meeting_record", ""))


@page_view
def rules(request: HttpRequest, code: str) -> HttpResponse:
    viewer = viewer_of(request)
    region = _region(request, code)
    context: dict[str, Any] = {"region": region}
    if request.method == "POST":
        try:
            action = request.POST.get("action")
            if action == "adopt":
                template = selectors.rule_get(viewer, _int(request.POST.get("template"), "template") or 0)
                meeting = _date(request.POST.get("meeting_date"), "meeting_date", required=False)
                services.rule_adopt(actor=request.user, template=template, village=region, meeting_date=meeting,
                                    meeting_record=request.POST.get("meeting_record", ""),
                                    valid_from=_date(request.POST.get("valid_from"), "valid_from", required=False))
                messages.success(request, _("The template is adopted as a village rule."))
            elif action == "revise":
                rule = selectors.rule_get(viewer, _int(request.POST.get("rule"), "rule") or 0)
                new = services.rule_revise(actor=request.user, rule=rule, data=_rule_input(request.POST))
                messages.success(request, _("Version %(v)d of the rule is in force from %(d)s.")
                                 % {"v": new.version, "d": new.valid_from})
            else:
                services.rule_create(actor=request.user, region=region, data=_rule_input(request.POST))
                messages.success(request, _("The rule is added."))
            return redirect("points:rules", code=code)
        except FORM_ERRORS as exc:
            context.update(_failed(request, exc))
    show_all = request.GET.get("all") == "1"
    context.update({
        "rules": list(selectors.rules(viewer, region=region, on=None if show_all else timezone.localdate())),
        "show_all": show_all,
        "templates": list(selectors.templates_for(viewer, region)) if region.level == Region.Level.VILLAGE else [],
        "may_edit": access.can(viewer, "points.rules", region) or viewer.is_admin
        or any(region.path.startswith(p) for p in viewer.paths_for("points.rules")),
        "categories": Category.choices, "periods": LimitPeriod.choices, "today": timezone.localdate().isoformat(),
    })
    return render(request, "points/rules.html", context, status=422 if context.get("errors") else 200)


# -- periods -------------------------------------------------------------------------------

@page_view
def ranking(request: HttpRequest, code: str) -> HttpResponse:
    viewer = viewer_of(request)
    region = _region(request, code)
    month = parse_month(request.GET.get("month"))
    page = paginate(request, selectors.ranking_for(viewer, region, month))
    return render(request, "points/ranking.html", {"region": region, "month": month, "page": page,
                                                   "rows": selectors.with_heads(list(page.object_list))})


@page_view
def board(request: HttpRequest, code: str) -> HttpResponse:
    village = Region.objects.filter(code=code, level=Region.Level.VILLAGE).first()
    if village is None:
        raise Http404
    month = parse_month(request.GET.get("month"))
    return render(request, "points/board.html", {"board": selectors.board(viewer_of(request), village, month)})


@page_view
def quarter(request: HttpRequest, code: str) -> HttpResponse:
    viewer = viewer_of(request)
    village = services._village_of(_region(request, code))
    if not selectors.may_rank(viewer, village):
        raise Http404
    today = timezone.localdate()
    last_q = (today.month - 1) // 3 or 4
    year = _int(request.GET.get("year") or request.POST.get("year"), "year", required=False) or (
        today.year if last_q != 4 or today.month > 3 else today.year - 1)
    q = _int(request.GET.get("q") or request.POST.get("q"), "q", required=False) or last_q
    context: dict[str, Any] = {"village": village, "year": year, "q": q}
    if request.method == "POST":
        try:
            services.quarter_close(actor=request.user, village=village, year=year, quarter=q)
            messages.success(request, _("The quarterly review is closed and kept."))
            return redirect(f"{reverse('points:quarter', args=[code])}?year={year}&q={q}")
        except FORM_ERRORS as exc:
            context.update(_failed(request, exc))
    review = selectors.quarter_review(viewer, village, year, q)
    scheme = services.scheme_of(village)
    rows: list[Any]
    if review is not None:
        rows = list(review.scores.select_related("household").order_by("-score", "-points", "household__number"))
    else:
        rows = selectors.quarter_scores(village=village, year=year, quarter=q, scheme=scheme)
    tiers = review.tiers if review else [scheme.tier_1, scheme.tier_2, scheme.tier_3]
    counts = {t: sum(1 for r in rows if r.tier == t) for t in (1, 2, 3, 4)}
    context.update({"review": review, "rows": rows, "tiers": tiers, "counts": counts, "scheme": scheme,
                    "may_close": review is None and access.can(viewer, "points.periods", scheme)})
    return render(request, "points/quarter.html", context, status=422 if context.get("errors") else 200)


@page_view
def village_settings(request: HttpRequest, code: str) -> HttpResponse:
    viewer = viewer_of(request)
    village = services._village_of(_region(request, code))
    scheme = services.scheme_of(village)
    access.require(viewer, "points.view", scheme)
    context: dict[str, Any] = {"village": village, "scheme": scheme}
    if request.method == "POST":
        try:
            if request.POST.get("action") == "settle":
                s = services.settlement_run(actor=request.user, village=village,
                                            year=_int(request.POST.get("year"), "year") or 0)
                messages.success(request, _("%(year)d is settled: %(points)d points of %(n)d households.")
                                 % {"year": s.year, "points": s.points, "n": s.households})
            else:
                ints = ["base_score", "tier_1", "tier_2", "tier_3", "board_top", "industry_percent", "welfare_percent",
                        "dividend_percent", "risk_percent"]
                changes: dict[str, Any] = {k: _int(request.POST.get(k), k) for k in ints}
                changes.update({k: bool(request.POST.get(k)) for k in ("board_enabled", "board_show_names",
                                                                       "board_show_points")})
                changes.update(settlement=request.POST.get("settlement", ""), scoring=request.POST.get("scoring", ""))
                services.scheme_update(actor=request.user, village=village, **changes)
                messages.success(request, _("The village's points settings are saved."))
            return redirect("points:settings", code=code)
        except FORM_ERRORS as exc:
            context.update(_failed(request, exc))
            scheme = services.scheme_of(village)
    context.update({
        "scheme": scheme, "settlements": list(selectors.settlements(viewer, village)),
        "may_edit": access.can(viewer, "points.periods", scheme),
        "settlement_choices": VillageScheme.Settlement.choices,
        "scoring_choices": VillageScheme.Scoring.choices, "last_year": timezone.localdate().year - 1,
    })
    return render(request, "points/settings.html", context, status=422 if context.get("errors") else 200)


@page_view
def figures(request: HttpRequest, code: str) -> HttpResponse:
    region = _region(request, code)
    year = _int(request.GET.get("year"), "year", required=False) or timezone.localdate().year
    return render(request, "points/figures.html", {"f": selectors.figures(viewer_of(request), region, year),
                                                   "region": region})


# -- the shop ------------------------------------------------------------------------------

@page_view
def shops(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    context: dict[str, Any] = {"shops": list(selectors.shops(viewer))}
    if request.method == "POST":
        try:
            shop = services.shop_create(actor=request.user, region=_region(request, request.POST.get("region", "")),
                                        name=request.POST.get("name", ""), address=request.POST.get("address", ""),
                                        opening_hours=request.POST.get("opening_hours", ""))
            return redirect("points:shop", pk=shop.pk)
        except FORM_ERRORS as exc:
            context.update(_failed(request, exc))
    context["may_manage"] = may_do(viewer, "shop.manage")
    context["places"] = [p for p in (Region.objects.filter(path=path).first() for path in viewer.home_paths())
                         if p is not None and p.level in (Region.Level.VILLAGE, Region.Level.TOWNSHIP)]
    return render(request, "points/shops.html", context, status=422 if context.get("errors") else 200)


@page_view
def shop(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    s = selectors.shop_get(viewer, pk)
    return render(request, "points/shop.html", {
        "shop": s, "goods": list(selectors.goods(s)),
        "may_redeem": access.can(viewer, "shop.redeem", s), "may_stock": access.can(viewer, "shop.stock", s),
        "balance": selectors.balance(Household(pk=viewer.household_id)) if viewer.household_id else None,
    })


@page_view
def counter(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    s = selectors.shop_get(viewer, pk)
    access.require(viewer, "shop.redeem", s, view_action="shop.view")
    q = request.GET.get("q", "").strip()
    hid = request.GET.get("household") or request.POST.get("household")
    context: dict[str, Any] = {"shop": s, "q": q}
    if hid:
        household = selectors.counter_household(viewer, s, _int(hid, "household") or 0)
        goods = list(selectors.goods(s))
        context.update(household=household, goods=goods, balance=selectors.balance(household))
        if request.method == "POST":
            lines = []
            try:
                for g in goods:
                    n = _int(request.POST.get(f"q{g.pk}"), f"q{g.pk}", required=False) or 0
                    if n < 0:
                        raise ValidationError(_("A quantity is 1 to 999."), field=f"q{g.pk}")
                    if n:
                        lines.append((g.pk, n))
                if not lines:
                    raise ValidationError(_("Choose some goods."), field="lines")
                if request.POST.get("confirm") == "1":
                    redemption = services.redeem(actor=request.user, shop=s, household=household, lines=lines)
                    return redirect("points:receipt", pk=redemption.pk)
                chosen = {g.pk: g for g in goods}
                context["preview"] = [(chosen[gid], n, chosen[gid].points_price * n) for gid, n in lines]
                context["total"] = sum(t for _g, _n, t in context["preview"])
                context["after"] = context["balance"] - context["total"]
            except FORM_ERRORS as exc:
                context.update(_failed(request, exc))
    elif q:
        context["found"] = selectors.counter_lookup(viewer, s, q)
    return render(request, "points/counter.html", context, status=422 if context.get("errors") else 200)


@page_view
def receipt(request: HttpRequest, pk: int) -> HttpResponse:
    r = selectors.redemption_get(request.user, pk)
    return render(request, "points/receipt.html", {"r": r, "balance": selectors.balance(r.household)})


@page_view
def stock(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    s = selectors.shop_get(viewer, pk)
    access.require(viewer, "shop.stock", s, view_action="shop.view")
    context: dict[str, Any] = {"shop": s}
    if request.method == "POST":
        try:
            if request.POST.get("action") == "goods":
                services.goods_create(actor=request.user, shop=s, name=request.POST.get("name", ""),
                                      points_price=_int(request.POST.get("points_price"), "points_price") or 0,
                                      value_fen=_yuan_to_fen(request.POST.get("value_yuan"), "value_yuan"),
                                      unit=request.POST.get("unit", ""), donor=request.POST.get("donor", ""))
                messages.success(request, _("The goods are on the shelf; add their stock."))
            else:
                goods = selectors.goods_get(viewer, _int(request.POST.get("goods"), "goods") or 0)
                value = request.POST.get("value_yuan", "").strip()
                services.stock_in(actor=request.user, goods=goods,
                                  quantity=_int(request.POST.get("quantity"), "quantity") or 0,
                                  kind=request.POST.get("kind", StockMovement.Kind.PURCHASE),
                                  donor=request.POST.get("donor", ""), note=request.POST.get("note", ""),
                                  value_fen=_yuan_to_fen(value, "value_yuan") if value else None)
                messages.success(request, _("The stock is recorded."))
            return redirect("points:stock", pk=pk)
        except FORM_ERRORS as exc:
            context.update(_failed(request, exc))
    context.update({"goods": list(selectors.goods(s, active_only=False)),
                    "movements": selectors.stock_movements(s, 50), "kinds": [
                        (k, label) for k, label in StockMovement.Kind.choices if k != StockMovement.Kind.REDEMPTION]})
    return render(request, "points/stock.html", context, status=422 if context.get("errors") else 200)


# -- the 4-3-2-1 split ---------------------------------------------------------------------

@page_view
def splits(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    access.require_any_role(viewer, "points.split_view")
    village = _village_of_viewer(request)
    context: dict[str, Any] = {"village": village, "last_year": timezone.localdate().year - 1}
    if request.method == "POST":
        try:
            place = _region(request, request.POST.get("village", ""))
            split = services.split_prepare(actor=request.user, village=place,
                                           year=_int(request.POST.get("year"), "year") or 0,
                                           income_fen=_yuan_to_fen(request.POST.get("income_yuan"), "income_yuan"))
            return redirect("points:split", pk=split.pk)
        except FORM_ERRORS as exc:
            context.update(_failed(request, exc))
    context.update({"splits": list(selectors.splits(viewer)[:50]), "may_prepare": may_do(viewer, "points.split")})
    return render(request, "points/splits.html", context, status=422 if context.get("errors") else 200)


@page_view
def split(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    s = selectors.split_get(viewer, pk)
    if request.method == "POST":
        try:
            services.split_approve(actor=request.user, split=s)
            messages.success(request, _("Approved: the split and the dividends are final and in the ledger."))
        except FORM_ERRORS as exc:
            messages.error(request, str(exc.message))
        return redirect("points:split", pk=pk)
    lines = list(selectors.split_lines(s))
    return render(request, "points/split.html", {
        "s": s, "lines": lines, "paid": sum(line.amount_fen for line in lines),
        "may_approve": s.state == IncomeSplit.State.DRAFT and access.can(viewer, "points.split_approve", s)
        and s.prepared_by_id != request.user.pk,
        "shares": [(_("Industry"), s.industry_percent, s.industry_fen),
                   (_("Public welfare"), s.welfare_percent, s.welfare_fen),
                   (_("Dividends by points"), s.dividend_percent, s.dividend_fen),
                   (_("Risk fund"), s.risk_percent, s.risk_fen)],
    })


@page_view
def split_export(request: HttpRequest, pk: int) -> HttpResponse:
    s = selectors.split_get(request.user, pk)
    data = exports.payout_workbook(s, selectors.split_lines(s))
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="dividends-{s.village.code}-{s.year}.xlsx"'
    return response
