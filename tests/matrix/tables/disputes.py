"""Disputes and petitions (shanzhi/disputes): the API and the pages.

Disputes are narrower than the general scope. A dispute is seen by the grid team of the
grid where it happened, the village Party secretary and the chief grid leader of its
village, and the township and county staff above it; by the mediators assigned to it; and
by its parties. Not by the village committee, the legal adviser, the village police
officer, the grid instructor, a department's staff or a mediator not assigned to it.

Each kind of record is made at the role's household (see ``World.household``): for the
resident, their own household, whose head is the applicant (inside) or the neighbour's
(outside). From the assignment on, the records inside a role's home name the factory's
mediator (``u_mediator``) among their mediators, so the mediator role sees them; those
outside name only another mediator of the county.

A petition is seen by the township and county staff above its place, its case leader (the
county's staff here), the staff of its responsible units (the county's water bureau, the
department staff's own) and the petitioner (the resident, inside).
"""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from shanzhi.disputes import services
from shanzhi.disputes.models import Agreement, Dispute, FollowUp, Party, PetitionCase, ScreeningRecord
from shanzhi.people.models import Role, User
from shanzhi.regions.models import Household, Region, Resident
from tests import factories
from tests.matrix import roles as R
from tests.matrix.registry import Entry, Grow, api, page
from tests.matrix.world import ANONYMOUS, INSIDE, OTHER_COUNTY, SIGNED_IN, World, kind

# Who may do what (the matrix's own statement, see roles.py).
GRID_TEAM = R.GRID_TEAM
VILLAGE_HEADS = frozenset({"village_secretary", "chief_grid_leader"})
SEE = GRID_TEAM | VILLAGE_HEADS | R.GOVERNMENT  # the disputes of their place
SEE_OWN = SEE | R.RESIDENT  # ... and the parties their own
SEE_MEDIATED = SEE_OWN | {"mediator"}  # ... and, once assigned, the mediator
LEVEL = frozenset({"grid_leader", "grid_worker"}) | VILLAGE_HEADS | R.GOVERNMENT  # accept, assess, assign
MEDIATE = LEVEL | {"mediator"}  # sessions, agreements, escalation, referral, withdrawal
FOLLOW_UP = SEE | {"mediator"}
REPORTERS = SEE
ON_THE_SPOT = frozenset({"grid_leader", "grid_worker", "micro_grid_worker"}) | VILLAGE_HEADS
SCREENERS = frozenset({"grid_leader", "grid_worker"})
STATS = R.GOVERNMENT | VILLAGE_HEADS | {"grid_leader"}
COVERAGE = STATS | SCREENERS
PETITION_SEE = R.GOVERNMENT | {"department_staff"} | R.RESIDENT
PETITION_RESOLVE = R.GOVERNMENT | {"department_staff"}
PETITION_FEEDBACK = R.GOVERNMENT | R.RESIDENT


def _forbidden(allowed: frozenset[str]) -> dict[str, int | str]:
    """A route without a record: everyone signed in but ``allowed`` (and the admin) gets 403."""
    return dict.fromkeys(SIGNED_IN - allowed - {"admin"}, 403)


# -- the records ---------------------------------------------------------------------------------

def _admin(world: World) -> User:
    return world.users["admin"]


def _county(world: World, household: Household) -> Region:
    county = Region.objects.get(pk=household.county_id)
    key = ("disputes-types", county.pk)
    if key not in world.cache:
        services.types_install_defaults(actor=None, county=county)
        world.cache[key] = True
    return county


def _county_mediator(world: World, county: Region) -> User:
    """A mediator of the county who is no role's account: the one every record names."""
    key = ("disputes-mediator", county.pk)
    if key not in world.cache:
        world.cache[key] = factories.user(f"u_matrix_mediator_{county.code}", role=Role.MEDIATOR, region=county,
                                          full_name="矩阵调解员")
    return world.cache[key]


def _head(household: Household) -> Resident:
    return household.members.filter(relation=Resident.Relation.HEAD).order_by("id").first()


def _cached(world: World, name: str, role: str, placement: str, make: Any) -> Any:
    household = world.household("grid_worker" if role == ANONYMOUS else role, placement)
    key = ("disputes", name, household.pk, placement)
    if key not in world.cache:
        world.cache[key] = make(household, placement)
    found = world.cache[key]
    return type(found).objects.get(pk=found.pk)


def _report(world: World, household: Household) -> Dispute:
    _county(world, household)
    head = _head(household)
    return services.dispute_report(
        actor=_admin(world), source="resident", summary="矩阵:宅基地边界纠纷", type_code="land_forest",
        household=household, parties=[{"side": "applicant", "resident_id": head.pk},
                                      {"side": "respondent", "name": "李对方"}])


def _accepted(world: World, household: Household) -> Dispute:
    d = _report(world, household)
    return services.dispute_accept(actor=_admin(world), dispute=d)


def _assessed(world: World, household: Household) -> Dispute:
    d = _accepted(world, household)
    return services.dispute_assess(actor=_admin(world), dispute=d, risk_level=2)


def _assigned(world: World, household: Household, placement: str) -> Dispute:
    d = _assessed(world, household)
    mediators = [_county_mediator(world, d.county)]
    if placement == INSIDE:
        mediators.append(world.users["mediator"])
    return services.dispute_assign(actor=_admin(world), dispute=d, mediators=mediators)


def _mediating(world: World, household: Household, placement: str) -> Dispute:
    d = _assigned(world, household, placement)
    services.session_record(actor=_admin(world), dispute=d, held_on=timezone.localdate(), place="网格调解室",
                            attendees="双方当事人", record="双方陈述")
    return d


def _draft(world: World, household: Household, placement: str) -> Agreement:
    d = _mediating(world, household, placement)
    return services.agreement_draft(actor=_admin(world), dispute=d, facts="边界不清", terms="以界石为准")


def _signed(world: World, household: Household, placement: str) -> Agreement:
    a = _draft(world, household, placement)
    names = [p["name"] for p in a.parties]
    return services.agreement_sign(actor=_admin(world), agreement=a, signed_on=timezone.localdate(),
                                   signatories=names)


def _dispute_params(d: Any) -> dict[str, Any]:
    return {"dispute_id": d.pk, "pk": d.pk}


def _number(d: Any) -> str:
    return f"#{d.number}"


@kind("dispute", params=_dispute_params, text=_number)
def _clue(world: World, role: str, placement: str) -> Dispute:
    """A clue just reported at the role's household, the household's head the applicant."""
    return _cached(world, "clue", role, placement, lambda h, p: _report(world, h))


@kind("accepted_dispute", params=_dispute_params, text=_number)
def _accepted_kind(world: World, role: str, placement: str) -> Dispute:
    return _cached(world, "accepted", role, placement, lambda h, p: _accepted(world, h))


@kind("assessed_dispute", params=_dispute_params, text=_number)
def _assessed_kind(world: World, role: str, placement: str) -> Dispute:
    return _cached(world, "assessed", role, placement, lambda h, p: _assessed(world, h))


@kind("assigned_dispute", params=_dispute_params, text=_number)
def _assigned_kind(world: World, role: str, placement: str) -> Dispute:
    return _cached(world, "assigned", role, placement, lambda h, p: _assigned(world, h, p))


@kind("mediating_dispute", params=_dispute_params, text=_number)
def _mediating_kind(world: World, role: str, placement: str) -> Dispute:
    return _cached(world, "mediating", role, placement, lambda h, p: _mediating(world, h, p))


@kind("draft_agreement", params=lambda a: {"agreement_id": a.pk, "pk": a.pk})
def _draft_kind(world: World, role: str, placement: str) -> Agreement:
    return _cached(world, "draft", role, placement, lambda h, p: _draft(world, h, p))


@kind("signed_agreement", params=lambda a: {"agreement_id": a.pk, "pk": a.pk})
def _signed_kind(world: World, role: str, placement: str) -> Agreement:
    return _cached(world, "signed", role, placement, lambda h, p: _signed(world, h, p))


@kind("follow_up", params=lambda f: {"follow_up_id": f.pk})
def _follow_up_kind(world: World, role: str, placement: str) -> FollowUp:
    agreement = _signed_kind(world, role, placement)
    return FollowUp.objects.filter(agreement=agreement, status=FollowUp.Status.PENDING).order_by("due_at").first()


@kind("dispute_party", params=lambda p: {"party_id": p.pk})
def _party_kind(world: World, role: str, placement: str) -> Party:
    return _clue(world, role, placement).parties.order_by("order").first()


@kind("screening", params=lambda s: {"pk": s.pk})
def _screening_kind(world: World, role: str, placement: str) -> ScreeningRecord:
    """This week's screening of the grid at (or first under) the role's home."""
    grid = world.grid_under(world.place("grid_worker" if role == ANONYMOUS else role, placement))
    key = ("disputes-screening", grid.pk)
    if key not in world.cache:
        world.cache[key] = services.screening_file(actor=_admin(world), grid=grid, note="矩阵:未发现矛盾")
    return world.cache[key]


def _register(world: World, household: Household) -> PetitionCase:
    county = _county(world, household)
    main = county.pk == world.county.county.pk
    unit = world.county.department if main else world.other["department"]
    leader = world.users["county_staff"] if main else world.other["outsiders"][OTHER_COUNTY]
    return services.petition_register(
        actor=_admin(world), household=household, petitioner=_head(household), subject="矩阵:征地补偿",
        matter="反映征地补偿款未足额发放", case_leader=leader, units=[unit], lead_unit=unit)


def _petition_params(p: Any) -> dict[str, Any]:
    return {"petition_id": p.pk, "pk": p.pk}


@kind("petition", params=_petition_params, text=lambda p: p.number)
def _petition_kind(world: World, role: str, placement: str) -> PetitionCase:
    return _cached(world, "petition", role, placement, lambda h, p: _register(world, h))


@kind("accepted_petition", params=_petition_params, text=lambda p: p.number)
def _accepted_petition(world: World, role: str, placement: str) -> PetitionCase:
    def make(h: Household, p: str) -> PetitionCase:
        case = _register(world, h)
        return services.petition_accept(actor=_admin(world), petition=case)

    return _cached(world, "accepted_petition", role, placement, make)


@kind("resolved_petition", params=_petition_params, text=lambda p: p.number)
def _resolved_petition(world: World, role: str, placement: str) -> PetitionCase:
    def make(h: Household, p: str) -> PetitionCase:
        case = services.petition_accept(actor=_admin(world), petition=_register(world, h))
        return services.petition_resolve(actor=_admin(world), petition=case, resolution="补偿款已补发到位")

    return _cached(world, "resolved_petition", role, placement, make)


# -- growing lists (the flat query-count test) -------------------------------------------------------

def _grow_disputes(world: World, n: int) -> None:
    household = world.county.households[0]
    for _ in range(n):
        d = _report(world, household)
        services.dispute_accept(actor=_admin(world), dispute=d)


def _grow_screening(world: World, n: int) -> None:
    import datetime as dt

    grids = world.county.grids
    for _ in range(n):
        i = world.cache["disputes-grown-screening"] = world.cache.get("disputes-grown-screening", 0) + 1
        week = timezone.localdate() - dt.timedelta(weeks=1 + i // len(grids))
        services.screening_file(actor=_admin(world), grid=grids[i % len(grids)], week=week)


def _grow_petitions(world: World, n: int) -> None:
    household = world.county.households[0]
    for _ in range(n):
        _register(world, household)


# -- request bodies --------------------------------------------------------------------------------

def _mediator_of(world: World, role: str, d: Any) -> dict[str, Any]:
    return {"mediator_ids": [_county_mediator(world, d.county).pk]}


def _signatures(world: World, role: str, a: Any) -> dict[str, Any]:
    return {"signed_on": timezone.localdate().isoformat(), "signatories": [p["name"] for p in a.parties]}


def _scan(world: World, role: str, _obj: Any) -> dict[str, Any]:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, format="PNG")
    return {"file": SimpleUploadedFile("scan.png", buffer.getvalue(), "image/png")}


def _clue_at(world: World, role: str, h: Any) -> dict[str, Any]:
    return {"source": "resident", "summary": "矩阵:邻里噪音", "type": "neighbours", "household_id": h.pk,
            "parties": [{"name": "张甲"}, {"side": "respondent", "name": "李乙"}]}


def _spot_at(world: World, role: str, h: Any) -> dict[str, Any]:
    return {"type": "neighbours", "summary": "矩阵:排水沟堵塞", "household_id": h.pk,
            "parties": [{"name": "张甲"}, {"side": "respondent", "name": "李乙"}], "facts": "排水沟堵塞",
            "terms": "共同清理", "signatories": ["张甲", "李乙"]}


def _petition_at(world: World, role: str, h: Any) -> dict[str, Any]:
    return {"subject": "矩阵:道路占用", "matter": "反映村道被占用", "petitioner_name": "王丙", "household_id": h.pk}


def _before_county_staff(world: World, role: str, p: Any) -> dict[str, Any]:
    leader = world.users["county_staff"] if p.county_id == world.county.county.pk else None
    return {"case_leader_id": leader.pk if leader else None, "unit_ids": []}


def _types(world: World, role: str, _obj: Any) -> dict[str, Any]:
    _county(world, world.county.households[0])
    return {}


# -- the table -------------------------------------------------------------------------------------

ENTRIES: list[Entry] = [
    api("GET", "/api/disputes/types", query=_types, note="the types of the caller's county: public knowledge"),
    api("GET", "/api/disputes", kind="dispute", lists=True, visible=SEE_OWN, grow=Grow(_grow_disputes)),
    api("POST", "/api/disputes", kind="household", visible=R.SEE_HOUSEHOLDS, allowed=REPORTERS, ok=201,
        hidden=422, outside=422, body=_clue_at,
        note="the household is named in the body: one the caller cannot see is a 422 on household_id"),
    api("POST", "/api/disputes/on-the-spot", kind="household", visible=R.SEE_HOUSEHOLDS, allowed=ON_THE_SPOT,
        ok=201, hidden=422, outside=422, body=_spot_at),
    api("GET", "/api/disputes/stats", query=lambda w, role, _: {"by": "level"}, expect=_forbidden(STATS)),
    api("GET", "/api/disputes/screening", kind="screening", lists=True, visible=SEE, grow=Grow(_grow_screening)),
    api("POST", "/api/disputes/screening", kind="grid", visible=R.ALL_STAFF, allowed=SCREENERS, ok=201,
        hidden=422, outside=422, body=lambda w, role, g: {"grid": g.code},
        note="the grid is named in the body; filing is for the grid's own leader and workers"),
    api("GET", "/api/disputes/screening/coverage", expect=_forbidden(COVERAGE)),
    api("GET", "/api/disputes/{dispute_id}", kind="dispute", visible=SEE_OWN),
    api("POST", "/api/disputes/{dispute_id}/accept", kind="dispute", visible=SEE_OWN, allowed=LEVEL,
        body=lambda w, role, d: {}),
    api("POST", "/api/disputes/{dispute_id}/dismiss", kind="dispute", visible=SEE_OWN, allowed=LEVEL,
        body=lambda w, role, d: {"reason": "不属于矛盾纠纷"}),
    api("POST", "/api/disputes/{dispute_id}/parties", kind="dispute", visible=SEE_OWN, allowed=LEVEL, ok=201,
        body=lambda w, role, d: {"side": "other", "name": "赵丙"}),
    api("GET", "/api/disputes/parties/{party_id}/history", kind="dispute_party", visible=SEE_OWN,
        allowed=FOLLOW_UP - {"mediator"}, note="a party sees their dispute, not the other party's history"),
    api("POST", "/api/disputes/{dispute_id}/assess", kind="accepted_dispute", visible=SEE_OWN, allowed=LEVEL,
        body=lambda w, role, d: {"risk_level": 2, "urgency": "urgent"}),
    api("POST", "/api/disputes/{dispute_id}/assign", kind="assessed_dispute", visible=SEE_OWN, allowed=LEVEL,
        body=_mediator_of),
    api("POST", "/api/disputes/{dispute_id}/sessions", kind="assigned_dispute", visible=SEE_MEDIATED,
        allowed=MEDIATE, body=lambda w, role, d: {"held_on": timezone.localdate().isoformat(), "place": "调解室",
                                                   "attendees": "双方", "record": "第一次调解"}),
    api("POST", "/api/disputes/{dispute_id}/escalate", kind="mediating_dispute", visible=SEE_MEDIATED,
        allowed=MEDIATE, body=lambda w, role, d: {"reason": "村级调解未果"}),
    api("POST", "/api/disputes/{dispute_id}/refer", kind="mediating_dispute", visible=SEE_MEDIATED,
        allowed=MEDIATE, body=lambda w, role, d: {"to": "court", "reason": "调解不成,引导诉讼"}),
    api("POST", "/api/disputes/{dispute_id}/withdraw", kind="mediating_dispute", visible=SEE_MEDIATED,
        allowed=MEDIATE, body=lambda w, role, d: {"reason": "当事人撤回"}),
    api("POST", "/api/disputes/{dispute_id}/agreement", kind="mediating_dispute", visible=SEE_MEDIATED,
        allowed=MEDIATE, ok=201, body=lambda w, role, d: {"facts": "边界不清", "terms": "各退半米"}),
    api("POST", "/api/disputes/agreements/{agreement_id}/sign", kind="draft_agreement", visible=SEE_MEDIATED,
        allowed=MEDIATE, body=_signatures),
    api("POST", "/api/disputes/agreements/{agreement_id}/scan", kind="signed_agreement", visible=SEE_MEDIATED,
        allowed=MEDIATE, form=True, body=_scan),
    api("GET", "/api/disputes/agreements/{agreement_id}/pdf", kind="signed_agreement", visible=SEE_MEDIATED),
    api("POST", "/api/disputes/follow-ups/{follow_up_id}", kind="follow_up", visible=SEE_MEDIATED,
        allowed=FOLLOW_UP, body=lambda w, role, f: {"holds": True, "note": "协议履行良好"}),

    api("GET", "/api/petitions", kind="petition", lists=True, visible=PETITION_SEE, grow=Grow(_grow_petitions)),
    api("POST", "/api/petitions", kind="household", visible=R.SEE_HOUSEHOLDS, allowed=R.GOVERNMENT, ok=201,
        hidden=422, outside=422, body=_petition_at),
    api("GET", "/api/petitions/schedule", expect=_forbidden(R.GOVERNMENT)),
    api("GET", "/api/petitions/{petition_id}", kind="petition", visible=PETITION_SEE),
    api("POST", "/api/petitions/{petition_id}/assign", kind="petition", visible=PETITION_SEE, allowed=R.GOVERNMENT,
        body=_before_county_staff),
    api("POST", "/api/petitions/{petition_id}/accept", kind="petition", visible=PETITION_SEE, allowed=R.GOVERNMENT,
        body=lambda w, role, p: {"note": "依法受理"}),
    api("POST", "/api/petitions/{petition_id}/decline", kind="petition", visible=PETITION_SEE,
        allowed=R.GOVERNMENT, body=lambda w, role, p: {"reason": "已由法院受理,不属信访事项"}),
    api("POST", "/api/petitions/{petition_id}/resolve", kind="accepted_petition", visible=PETITION_SEE,
        allowed=PETITION_RESOLVE, body=lambda w, role, p: {"reason": "已协调补发"}),
    api("POST", "/api/petitions/{petition_id}/feedback", kind="resolved_petition", visible=PETITION_SEE,
        allowed=PETITION_FEEDBACK, body=lambda w, role, p: {"satisfied": True}),

    page("disputes:index"),
    page("disputes:new", expect=_forbidden(REPORTERS)),
    page("disputes:on_the_spot", expect=_forbidden(ON_THE_SPOT)),
    page("disputes:screening", expect=_forbidden(SCREENERS)),
    page("disputes:stats", expect=_forbidden(STATS)),
    page("disputes:detail", kind="dispute", visible=SEE_OWN),
    page("disputes:act", method="POST", kind="dispute", visible=SEE_OWN, allowed=LEVEL, ok=302,
         params=lambda d: {"pk": d.pk, "action": "accept"}, body=lambda w, role, d: {}),
    page("disputes:agreement_pdf", kind="signed_agreement", visible=SEE_MEDIATED),
    page("disputes:petitions"),
    page("disputes:petition_new", expect=_forbidden(R.GOVERNMENT)),
    page("disputes:petition_schedule", expect=_forbidden(R.GOVERNMENT)),
    page("disputes:petition", kind="petition", visible=PETITION_SEE),
    page("disputes:petition_act", method="POST", kind="petition", visible=PETITION_SEE, allowed=R.GOVERNMENT,
         ok=302, params=lambda p: {"pk": p.pk, "action": "accept"}, body=lambda w, role, p: {"note": ""}),
]

__all__ = ["ENTRIES"]
