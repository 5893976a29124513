"""Household contact, dual registration and micro-wishes (shanzhi/contact): the API and the pages.

Contact records belong to a household (assignments, visits) or a village (reports, quarterly
summaries): the grid team, the grid supervisors, the village and those above see them, the
household sees its own contact and visits (not the notes), the legal and police roles and the
departments see none of it. The village's branch (the cadres) and the township arrange the
contacts and log visits for members without a phone; the branch and the township review
reports; the county sets its limits. Party members act through their own accounts, which the
matrix's world does not have: their side is in tests/contact/.

A role's *inside* household is the first of its home (the resident's own); the *inside*
village is its home's village (for the township and county roles, the first village under
their home), the *outside* ones the nearest it does not work in.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from shanzhi.casework import services as casework
from shanzhi.casework.models import Category
from shanzhi.contact import services
from shanzhi.contact.models import Assignment, MicroWish, MonthlyReport, Unit, UnitRegistration, Visit
from shanzhi.core import roles, tree
from shanzhi.people.models import PartyMember, PartyOrganisation
from shanzhi.points.models import PointRule
from shanzhi.regions.models import Household, Region
from tests.matrix import roles as R
from tests.matrix.registry import Entry, Grow, api, page
from tests.matrix.world import ANONYMOUS, INSIDE, SIGNED_IN, World, kind

SEE = R.GRID_TEAM | R.GRID_SUPERVISORS | R.VILLAGE_CADRES | R.GOVERNMENT  # contact.view by place
SEE_OWN = SEE | R.RESIDENT  # ... and the household its own
ARRANGE = R.VILLAGE_CADRES | R.GOVERNMENT  # contact.assign, contact.record
REVIEW = frozenset({"village_secretary", "village_committee", "township_staff"})
SUMMARISE = R.VILLAGE_CADRES | frozenset({"township_staff"})
VILLAGE_SEE = R.GRID_SUPERVISORS | R.VILLAGE_CADRES | R.GOVERNMENT  # village-level records (no ancestors)
WISH_POST = R.GRID_TEAM | R.VILLAGE_CADRES | R.RESIDENT
UNIT_MANAGE = R.VILLAGE_CADRES | R.GOVERNMENT
NOBODY_ELSE = frozenset(SIGNED_IN) - {"admin"}
LEGAL_AND_POLICE = R.names(roles.LEGAL_AND_POLICE)


def _forbidden(allowed: frozenset[str]) -> dict[str, int | str]:
    return dict.fromkeys(NOBODY_ELSE - allowed, 403)


# -- places and people -------------------------------------------------------------------------

def _who(role: str) -> str:
    return "grid_worker" if role == ANONYMOUS else role


def _village(world: World, role: str, placement: str) -> Region:
    home = world.home(_who(role))
    if home.level >= Region.Level.VILLAGE:
        village = Region.objects.get(path__in=tree.ancestors(home.path), level=Region.Level.VILLAGE)
        if placement == INSIDE:
            return village
        if home.level == Region.Level.VILLAGE:
            return world.outside(_who(role))
        return Region.objects.filter(parent_id=village.parent_id, level=Region.Level.VILLAGE).exclude(
            pk=village.pk).order_by("code").first()
    place = home if placement == INSIDE else world.outside(_who(role))
    return Region.objects.filter(path__startswith=place.path, level=Region.Level.VILLAGE).order_by("code").first()


def _branch(world: World, village: Region) -> PartyOrganisation:
    return world.other["party"][village.code]


def _member(world: World, village: Region) -> PartyMember:
    return _branch(world, village).members.order_by("id").first()


def _second_member(world: World, village: Region) -> PartyMember:
    key = ("contact-member2", village.pk)
    if key not in world.cache:
        world.cache[key] = PartyMember.objects.create(name="矩阵党员二", organisation=_branch(world, village),
                                                      user=None, resident=village_resident(village),
                                                      region_path=village.path)
    return world.cache[key]


def village_resident(village: Region) -> Any:
    from shanzhi.regions.models import Resident

    return Resident.objects.filter(region_path__startswith=village.path, party_membership__isnull=True,
                                   status="active").order_by("-id").first()


def _household(world: World, role: str, placement: str) -> Household:
    return world.household(_who(role), placement)


def _assign(world: World, household: Household, *, days_ago: int = 0) -> Assignment:
    key = ("contact-assign", household.pk)
    if key not in world.cache:
        village = Region.objects.get(pk=household.village_id)
        start = timezone.localdate() - dt.timedelta(days=days_ago)
        (row,), _warning = services.assignment_create(actor=world.users["admin"], member=_member(world, village),
                                                      households=[household], start_date=start)
        world.cache[key] = row
    return Assignment.objects.select_related("member").get(pk=world.cache[key].pk)


def _params(obj: Any) -> dict[str, Any]:
    return {"pk": obj.pk}


@kind("contact_assignment", params=lambda a: {"assignment_id": a.pk, "pk": a.pk}, text=lambda a: a.household.number)
def _assignment_kind(world: World, role: str, placement: str) -> Assignment:
    return _assign(world, _household(world, role, placement))


@kind("contact_due", params=lambda a: {"assignment_id": a.pk, "pk": a.pk}, key=lambda a: a.pk,
      item_field="assignment_id", text=lambda a: a.household.number)
def _due_kind(world: World, role: str, placement: str) -> Assignment:
    """In a member's care for 60 days and never visited: due."""
    return _assign(world, _household(world, role, placement), days_ago=60)


@kind("contact_visit", params=lambda v: {"visit_id": v.pk, "pk": v.pk}, text=lambda v: v.household.number)
def _visit_kind(world: World, role: str, placement: str) -> Visit:
    household = _household(world, role, placement)
    key = ("contact-visit", household.pk)
    if key not in world.cache:
        a = _assign(world, household)
        world.cache[key] = services.visit_log(actor=world.users["admin"], household=household,
                                              visited_on=timezone.localdate(), purpose="help", note="矩阵走访",
                                              member=a.member)
    return Visit.objects.select_related("household", "member").get(pk=world.cache[key].pk)


@kind("contact_member", params=lambda m: {"member_id": m.pk, "pk": m.pk}, text=lambda m: m.name)
def _member_kind(world: World, role: str, placement: str) -> PartyMember:
    return _member(world, _village(world, role, placement))


@kind("contact_report", params=lambda r: {"report_id": r.pk, "pk": r.pk}, text=lambda r: r.member.name)
def _report_kind(world: World, role: str, placement: str) -> MonthlyReport:
    village = _village(world, role, placement)
    key = ("contact-report", village.pk)
    if key not in world.cache:
        world.cache[key] = services.report_assemble(actor=world.users["admin"], month=timezone.localdate(),
                                                    member=_member(world, village))
    return MonthlyReport.objects.select_related("member").get(pk=world.cache[key].pk)


@kind("submitted_report", params=lambda r: {"report_id": r.pk, "pk": r.pk}, text=lambda r: r.member.name)
def _submitted_kind(world: World, role: str, placement: str) -> MonthlyReport:
    report = _report_kind(world, role, placement)
    if report.state == "draft":
        MonthlyReport.objects.filter(pk=report.pk).update(state="submitted", submitted_at=timezone.now())
        report.refresh_from_db()
    return report


@kind("contact_branch", params=lambda b: {"branch_id": b.pk, "year": timezone.localdate().year,
                                          "quarter": (timezone.localdate().month - 1) // 3 + 1},
      text=lambda b: b.name)
def _branch_kind(world: World, role: str, placement: str) -> PartyOrganisation:
    return _branch(world, _village(world, role, placement))


@kind("contact_unit", params=lambda u: {"unit_id": u.pk, "pk": u.pk}, text=lambda u: u.name)
def _unit_kind(world: World, role: str, placement: str) -> Unit:
    """A unit recorded by the role's village."""
    village = _village(world, role, placement)
    key = ("contact-unit", village.pk)
    if key not in world.cache:
        world.cache[key] = services.unit_create(actor=world.users["admin"], region=village,
                                                name=f"{village.name}驻村单位", kind="enterprise")
    return Unit.objects.get(pk=world.cache[key].pk)


@kind("unit_registration", params=lambda r: {"kind": "unit", "registration_id": r.pk}, text=lambda r: r.unit.name)
def _registration_kind(world: World, role: str, placement: str) -> UnitRegistration:
    unit = _unit_kind(world, role, placement)
    key = ("contact-registration", unit.pk)
    if key not in world.cache:
        world.cache[key] = services.unit_register(actor=world.users["admin"], unit=unit,
                                                  community=Region.objects.get(path=unit.region_path), pledge="矩阵")
    return UnitRegistration.objects.select_related("unit").get(pk=world.cache[key].pk)


@kind("claimed_wish", params=lambda w: {"wish_id": w.pk, "pk": w.pk}, text=lambda w: w.title)
def _claimed_kind(world: World, role: str, placement: str) -> MicroWish:
    """Taken up by the village's member (who has no account in the world)."""
    wish = _wish_kind(world, role, placement)
    if wish.state == "open":
        member = _member(world, Region.objects.get(pk=wish.village_id))
        MicroWish.objects.filter(pk=wish.pk).update(state="claimed", claimed_member=member,
                                                    claimed_at=timezone.now())
        wish.refresh_from_db()
    return wish


@kind("fulfilled_wish", params=lambda w: {"wish_id": w.pk, "pk": w.pk}, text=lambda w: w.title)
def _fulfilled_kind(world: World, role: str, placement: str) -> MicroWish:
    wish = _claimed_kind(world, role, placement)
    if wish.state == "claimed":
        MicroWish.objects.filter(pk=wish.pk).update(state="fulfilled", fulfilled_at=timezone.now(),
                                                    fulfilment_note="矩阵")
        wish.refresh_from_db()
    return wish


@kind("contact_quarter", params=lambda q: {"pk": q.pk}, key=lambda q: q.branch_id, text=lambda q: q.branch.name)
def _quarter_kind(world: World, role: str, placement: str) -> Any:
    branch = _branch_kind(world, role, placement)
    key = ("contact-quarter", branch.pk)
    if key not in world.cache:
        today = timezone.localdate()
        world.cache[key] = services.quarter_summary_write(actor=world.users["admin"], branch=branch, year=today.year,
                                                          quarter=(today.month - 1) // 3 + 1, summary="矩阵")
    return world.cache[key]


@kind("wish", params=lambda w: {"wish_id": w.pk, "pk": w.pk}, text=lambda w: w.title)
def _wish_kind(world: World, role: str, placement: str) -> MicroWish:
    household = _household(world, role, placement)
    key = ("contact-wish", household.pk)
    if key not in world.cache:
        world.cache[key] = services.wish_post(actor=world.users["admin"], household=household,
                                              title=f"矩阵心愿{household.number}", category="daily")
    return MicroWish.objects.select_related("household").get(pk=world.cache[key].pk)


# -- bodies --------------------------------------------------------------------------------------

def _png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, format="PNG")
    return SimpleUploadedFile("matrix.png", buffer.getvalue(), "image/png")


def _assign_body(world: World, role: str, household: Household) -> dict[str, Any]:
    _assign(world, household)
    village = Region.objects.get(pk=household.village_id)
    return {"member_id": _second_member(world, village).pk, "household_ids": [household.pk], "replace": True}


def _visit_body(world: World, role: str, household: Household) -> dict[str, Any]:
    a = _assign(world, household)
    return {"household_id": household.pk, "visited_on": timezone.localdate().isoformat(), "purpose": "policy",
            "member_id": a.member_id}


def _visit_form(world: World, role: str, household: Household) -> dict[str, Any]:
    return {**_visit_body(world, role, household), "photo": _png()}


def _categories(world: World, visit: Visit) -> dict[str, Any]:
    key = ("contact-categories", visit.county_id)
    if key not in world.cache:
        if not Category.objects.filter(county_id=visit.county_id).exists():
            casework.categories_install_defaults(actor=None, county=Region.objects.get(pk=visit.county_id))
        world.cache[key] = True
    return {"category": "water"}


def _rule(world: World, visit: Visit) -> PointRule:
    key = ("contact-rule", visit.household.village_id)
    if key not in world.cache:
        village = Region.objects.get(pk=visit.household.village_id)
        world.cache[key] = PointRule.objects.create(
            code="R001", version=1, region=village, region_path=village.path, county_id=village.county_id,
            category="neighbourliness", item="邻里互助", points=3, valid_from=dt.date(2020, 1, 1))
    return world.cache[key]


def _quarter_body(world: World, role: str, branch: Any) -> dict[str, Any]:
    return {"summary": "矩阵季度小结"}


def _grow_visits(world: World, n: int) -> None:
    household = world.county.households[0]
    a = _assign(world, household)
    for _ in range(n):
        services.visit_log(actor=world.users["admin"], household=household, visited_on=timezone.localdate(),
                           purpose="help", member=a.member)


def _grow_assignments(world: World, n: int) -> None:
    grid = world.county.grids[0]
    from tests import factories

    for _ in range(n):
        _assign(world, factories.household(grid, members=1))


def _grow_due(world: World, n: int) -> None:
    grid = world.county.grids[0]
    from tests import factories

    for _ in range(n):
        _assign(world, factories.household(grid, members=1), days_ago=60)


def _grow_without(world: World, n: int) -> None:
    from tests import factories

    for _ in range(n):
        factories.household(world.county.grids[0], members=1)


def _grow_members(world: World, n: int) -> None:
    village = world.county.villages[0]
    for i in range(n):
        PartyMember.objects.create(name=f"增长党员{i}", organisation=_branch(world, village),
                                   resident=village_resident(village), region_path=village.path)


def _grow_reports(world: World, n: int) -> None:
    village = world.county.villages[0]
    for i in range(n):
        member = PartyMember.objects.create(name=f"报告党员{i}", organisation=_branch(world, village),
                                            resident=village_resident(village), region_path=village.path)
        services.report_assemble(actor=world.users["admin"], month=timezone.localdate(), member=member)


def _grow_units(world: World, n: int) -> None:
    for i in range(n):
        unit = services.unit_create(actor=world.users["admin"], region=world.county.county,
                                    name=f"增长单位{Unit.objects.count()}-{i}",
                                    kind="agency")
        services.unit_register(actor=world.users["admin"], unit=unit, community=world.county.villages[0])


def _grow_wishes(world: World, n: int) -> None:
    for i in range(n):
        services.wish_post(actor=world.users["admin"], household=world.county.households[0], title=f"增长心愿{i}",
                           category="other")


def _grow_quarters(world: World, n: int) -> None:
    today = timezone.localdate()
    for i in range(n):
        org = PartyOrganisation.objects.create(name=f"增长支部{i}", kind="branch", region=world.county.villages[0],
                                               region_path=world.county.villages[0].path)
        services.quarter_summary_write(actor=world.users["admin"], branch=org, year=today.year,
                                       quarter=(today.month - 1) // 3 + 1, summary="增长")


def _county_query(world: World, role: str, _obj: Any) -> dict[str, Any]:
    return {"county": world.county.county.code}


def _policy_body(world: World, role: str, _obj: Any) -> dict[str, Any]:
    return {"county": world.county.county.code, "min_households": 10, "max_households": 15, "interval_days": 30,
            "tag_intervals": {"elderly_alone": 7}}


def _region_query(world: World, role: str, region: Region) -> dict[str, Any]:
    return {"region": region.code}


MONTH = {"month": dt.date.today().strftime("%Y-%m")}
OUTSIDE_REGION = {"resident": 422}  # the resident names no region they may see

# Who the policy answers: those who see the county (region.view) read it; the county changes it.
POLICY_READ = {"resident": 422}
POLICY_WRITE = {**dict.fromkeys(SEE - {"county_staff"}, 403),
                **dict.fromkeys(NOBODY_ELSE - SEE - {"resident"}, 404), "resident": 422}

ENTRIES: list[Entry] = [
    # -- the county's policy, members, assignments ------------------------------------------------
    api("GET", "/api/contact/policy", query=_county_query, expect=POLICY_READ),
    api("PUT", "/api/contact/policy", body=_policy_body, expect=POLICY_WRITE,
        note="township staff see the county's policy (it is above them) but do not change it"),
    api("GET", "/api/contact/tags"),
    api("GET", "/api/contact/members", kind="contact_member", lists=True,
        visible=R.GRID_TEAM | R.GRID_SUPERVISORS | R.VILLAGE_CADRES | R.GOVERNMENT, grow=Grow(_grow_members)),
    api("GET", "/api/contact/assignments", kind="contact_assignment", lists=True, visible=SEE_OWN,
        grow=Grow(_grow_assignments)),
    api("POST", "/api/contact/assignments", kind="household", visible=SEE_OWN, allowed=ARRANGE, ok=201, hidden=422,
        outside=422, body=_assign_body, expect={"resident:inside": 422},
        note="the member is named in the body: the resident sees no Party member"),
    api("POST", "/api/contact/assignments/{assignment_id}/end", kind="contact_assignment", visible=SEE_OWN,
        allowed=ARRANGE),
    api("GET", "/api/contact/households/without-contact", kind="household", lists=True, visible=SEE_OWN,
        grow=Grow(_grow_without)),
    api("GET", "/api/contact/households/due", kind="contact_due", lists=True, visible=SEE_OWN, grow=Grow(_grow_due)),
    api("GET", "/api/contact/coverage", kind="region", visible=R.ALL_STAFF, allowed=SEE, hidden=422, outside=422,
        query=_region_query, expect=OUTSIDE_REGION),
    api("GET", "/api/contact/me/households", expect={**dict.fromkeys(NOBODY_ELSE | {"admin"}, 403), "resident": 200},
        note="only Party members have households in their care (the world's resident is a member of the county "
             "committee, with none)"),
    # -- visits -----------------------------------------------------------------------------------
    api("GET", "/api/contact/visits", kind="contact_visit", lists=True, visible=SEE_OWN, grow=Grow(_grow_visits)),
    api("POST", "/api/contact/visits", kind="household", visible=SEE_OWN, allowed=ARRANGE, ok=201, hidden=422,
        outside=422, body=_visit_body, expect={"resident:inside": 422},
        note="the village logs a visit for a member without a phone (the member's own side: tests/contact)"),
    api("POST", "/api/contact/visits/with-photo", kind="household", visible=SEE_OWN, allowed=ARRANGE, ok=201,
        hidden=422, outside=422, form=True, body=_visit_form, expect={"resident:inside": 422}),
    api("GET", "/api/contact/visits/{visit_id}", kind="contact_visit", visible=SEE_OWN),
    api("GET", "/api/contact/visits/{visit_id}/photo", kind="contact_visit", visible=SEE_OWN, ok=404,
        note="the world's visits have no photo (tests/contact fetch one)"),
    api("POST", "/api/contact/visits/{visit_id}/request", kind="contact_visit", visible=SEE_OWN, allowed=ARRANGE,
        ok=201, body=lambda w, role, v: _categories(w, v)),
    api("POST", "/api/contact/visits/{visit_id}/dispute", kind="contact_visit", visible=SEE_OWN,
        allowed=frozenset({"village_secretary"}) | R.GOVERNMENT, ok=201, body=lambda w, role, v: {},
        note="filed through the disputes module, which keeps disputes from committee members"),
    api("POST", "/api/contact/visits/{visit_id}/points", kind="contact_visit", visible=SEE_OWN,
        allowed=R.VILLAGE_CADRES, ok=201, body=lambda w, role, v: {"rule_id": _rule(w, v).pk},
        note="proposed through the points module: the township and county do not propose"),
    # -- reports and quarters ---------------------------------------------------------------------
    api("GET", "/api/contact/reports", kind="contact_report", lists=True, visible=VILLAGE_SEE,
        grow=Grow(_grow_reports)),
    api("POST", "/api/contact/reports", kind="contact_member", visible=VILLAGE_SEE, allowed=ARRANGE, ok=201,
        hidden=422, outside=422, body=lambda w, role, m: {**MONTH, "member_id": m.pk},
        expect={f"{r}:inside": 404 for r in R.GRID_TEAM},
        note="the grid team sees the village's members but not the village's reports"),
    api("GET", "/api/contact/reports/{report_id}", kind="contact_report", visible=VILLAGE_SEE),
    api("POST", "/api/contact/reports/{report_id}/submit", kind="contact_report", visible=VILLAGE_SEE,
        allowed=frozenset(), expect={"admin": 200}, note="only the member who wrote it submits it"),
    api("POST", "/api/contact/reports/{report_id}/approve", kind="submitted_report", visible=VILLAGE_SEE,
        allowed=REVIEW),
    api("POST", "/api/contact/reports/{report_id}/return", kind="submitted_report", visible=VILLAGE_SEE,
        allowed=REVIEW, body=lambda w, role, r: {"note": "请补充"}),
    api("GET", "/api/contact/branches/{branch_id}/quarters/{year}/{quarter}", kind="contact_branch",
        visible=VILLAGE_SEE),
    api("POST", "/api/contact/branches/{branch_id}/quarters/{year}/{quarter}", kind="contact_branch",
        visible=VILLAGE_SEE, allowed=SUMMARISE, body=_quarter_body),
    api("GET", "/api/contact/quarters", kind="contact_quarter", lists=True, visible=VILLAGE_SEE,
        items=lambda body: [{"id": i["branch"]["id"]} for i in body["items"]], grow=Grow(_grow_quarters)),
    # -- units and registrations ---------------------------------------------------------------------
    api("GET", "/api/contact/units", kind="contact_unit", lists=True, visible=SEE, grow=Grow(_grow_units)),
    api("POST", "/api/contact/units", kind="contact_member", visible=SEE, allowed=UNIT_MANAGE, ok=201, outside=422,
        body=lambda w, role, m: {"region": m.organisation.region.code, "name": "矩阵单位", "kind": "agency"},
        expect={"resident:inside": 422}, note="the place is named in the body; the grid team sees the village's "
                                              "units (above their grid) but does not record them"),
    api("GET", "/api/contact/units/{unit_id}", kind="contact_unit", visible=SEE),
    api("POST", "/api/contact/units/{unit_id}/registrations", kind="contact_unit", visible=SEE,
        allowed=UNIT_MANAGE, ok=201, body=lambda w, role, u: {"community": u.region_path.rstrip("/").rsplit("/")[-1]},
        expect={f"{r}:inside": 404 for r in R.GRID_TEAM},
        note="the grid team sees the village's units (above their grid), not its registrations"),
    api("POST", "/api/contact/member-registrations", kind="contact_member", visible=VILLAGE_SEE,
        allowed=UNIT_MANAGE, ok=201, hidden=422, outside=422,
        body=lambda w, role, m: {"community": m.organisation.region.code, "member_id": m.pk},
        expect={f"{r}:inside": 404 for r in LEGAL_AND_POLICE},
        note="the member is named in the body: those who do not see Party members get 422"),
    api("GET", "/api/contact/registrations", kind="unit_registration", lists=True, visible=VILLAGE_SEE,
        items=lambda body: [i for i in body["items"] if i["kind"] == "unit"], grow=Grow(_grow_units)),
    api("POST", "/api/contact/registrations/{kind}/{registration_id}/end", kind="unit_registration",
        visible=VILLAGE_SEE, allowed=UNIT_MANAGE),
    # -- wishes ---------------------------------------------------------------------------------------
    api("GET", "/api/wishes", kind="wish", lists=True, visible=SEE_OWN, grow=Grow(_grow_wishes)),
    api("POST", "/api/wishes", kind="household", visible=SEE_OWN, allowed=WISH_POST, ok=201, hidden=422,
        outside=422, body=lambda w, role, h: {"title": "矩阵心愿", "category": "daily", "household_id": h.pk},
        expect={f"{r}:inside": 404 for r in LEGAL_AND_POLICE},
        note="the legal and police roles see the household, not its wishes"),
    api("GET", "/api/wishes/{wish_id}", kind="wish", visible=SEE_OWN),
    api("GET", "/api/wishes/{wish_id}/photo", kind="wish", visible=SEE_OWN, ok=404, note="an open wish has no photo"),
    api("POST", "/api/wishes/{wish_id}/claim", kind="wish", visible=SEE_OWN, allowed=frozenset(),
        expect={"admin": 403}, note="a member or a unit's liaison claims; staff and residents do not"),
    api("POST", "/api/wishes/{wish_id}/release", kind="claimed_wish", visible=SEE_OWN, allowed=frozenset(),
        body=lambda w, role, x: {"reason": "矩阵"}, note="only whoever claimed it gives it back"),
    api("POST", "/api/wishes/{wish_id}/fulfil", kind="claimed_wish", visible=SEE_OWN, allowed=frozenset(), form=True,
        body=lambda w, role, x: {"note": "矩阵"}, note="only whoever claimed it fulfils it"),
    api("POST", "/api/wishes/{wish_id}/thank", kind="fulfilled_wish", visible=SEE_OWN, allowed=WISH_POST),
    api("POST", "/api/wishes/{wish_id}/withdraw", kind="wish", visible=SEE_OWN,
        allowed=R.GRID_TEAM | R.VILLAGE_CADRES | R.RESIDENT, body=lambda w, role, x: {"reason": "矩阵"}),

    # -- pages ----------------------------------------------------------------------------------------
    page("contact:index", expect={**dict.fromkeys(["department_staff", *sorted(LEGAL_AND_POLICE - SEE)], 404)}),
    page("contact:visits", kind="contact_visit", lists=True, visible=SEE_OWN),
    page("contact:visit_new", expect=_forbidden(ARRANGE), query=lambda w, role, _o: {"for": "member"},
         note="the village's form, logging for a member"),
    page("contact:visit", kind="contact_visit", visible=SEE_OWN),
    page("contact:visit_photo", kind="contact_visit", visible=SEE_OWN, hidden=404, ok=404,
         note="the world's visits have no photo: 404 for all, but anonymous"),
    page("contact:visit_follow_up", method="POST", kind="contact_visit", visible=SEE_OWN, allowed=ARRANGE, ok=302,
         params=lambda v: {"pk": v.pk, "kind": "request"},
         body=lambda w, role, v: {**_categories(w, v), "description": "矩阵"},
         note="the household sees the visit, not its follow-up forms"),
    page("contact:reports", expect=dict.fromkeys(["department_staff", *sorted(LEGAL_AND_POLICE)], 404),
         note="the world's resident is a Party member (of the county committee): their own reports"),
    page("contact:report_new", method="POST", body=lambda w, role, o: MONTH,
         expect={**dict.fromkeys(NOBODY_ELSE, 403), "admin": 403, "resident": 422},
         note="members assemble their own reports; the world's resident is a member of the county committee, "
              "not of a village branch, and has no contact duty"),
    page("contact:report", kind="contact_report", visible=VILLAGE_SEE),
    page("contact:report_act", method="POST", kind="submitted_report", visible=VILLAGE_SEE, allowed=REVIEW, ok=302,
         params=lambda r: {"pk": r.pk, "step": "approve"}),
    page("contact:coverage", kind="region", visible=SEE, query=_region_query,
         expect={"resident": 404, **dict.fromkeys(["department_staff", *sorted(LEGAL_AND_POLICE)], 403)},
         note="roles without contact are refused before the place is looked at"),
    page("contact:assign", method="POST", kind="household", visible=SEE, allowed=ARRANGE, ok=302,
         body=lambda w, role, h: {"region": Region.objects.get(pk=h.village_id).code,
                                  "member": _member(w, Region.objects.get(pk=h.village_id)).pk,
                                  "households": [h.pk]},
         expect={"resident": 403, "department_staff": 403, **dict.fromkeys(sorted(LEGAL_AND_POLICE), 403),
                 **dict.fromkeys(sorted(SEE - ARRANGE), 403)}),
    page("contact:assignment_end", method="POST", kind="contact_assignment", visible=SEE_OWN, allowed=ARRANGE,
         ok=302),
    page("contact:quarters", expect=dict.fromkeys(["department_staff", "resident", *sorted(LEGAL_AND_POLICE)],
                                                  403)),
    page("contact:policy", expect={**dict.fromkeys(NOBODY_ELSE - R.GOVERNMENT, 403)}),
    page("contact:community", kind="region", visible=SEE_OWN, query=_region_query,
         expect={"resident": 404, **dict.fromkeys(["department_staff", *sorted(LEGAL_AND_POLICE)], 403)},
         note="roles without wishes are refused before the place is looked at"),
    page("contact:member_register", method="POST", kind="contact_member", visible=VILLAGE_SEE, allowed=UNIT_MANAGE,
         ok=302, body=lambda w, role, m: {"community": m.organisation.region.code, "member": m.pk},
         expect={"resident": 404}),
    page("contact:units", expect=dict.fromkeys(["department_staff", "resident", *sorted(LEGAL_AND_POLICE)], 403)),
    page("contact:unit", kind="contact_unit", visible=SEE),
    page("contact:wishes"),
    page("contact:wish_new", expect=_forbidden(WISH_POST)),
    page("contact:wish", kind="wish", visible=SEE_OWN),
    page("contact:wish_photo", kind="wish", visible=SEE_OWN, ok=404, note="an open wish has no photo"),
    page("contact:wish_act", method="POST", kind="wish", visible=SEE_OWN,
         allowed=R.GRID_TEAM | R.VILLAGE_CADRES | R.RESIDENT, ok=302,
         params=lambda x: {"pk": x.pk, "step": "withdraw"}, body=lambda w, role, x: {"reason": "矩阵"}),
]

