"""Rule of law and supervision (shanzhi/legal): the API and the pages.

A legal aid application is seen by the township and county staff above the applicant's
household (the justice office), by its household (the resident, inside) and, once accepted,
by the lawyer assigned to it: inside a role's home that is the factory's legal adviser
(``u_legal_adviser``), outside another lawyer of the record's county. The grid team and the
village do not see a resident's legal matter. Each village's legal page is public.
"""

from __future__ import annotations

from typing import Any

from shanzhi.legal import services
from shanzhi.legal.models import LegalAidApplication, Liaison
from shanzhi.people.models import Role, User
from shanzhi.regions.models import Household, Region
from tests import factories
from tests.matrix import roles as R
from tests.matrix.registry import Entry, Grow, api, page, public
from tests.matrix.world import ANONYMOUS, INSIDE, SIGNED_IN, World, kind

SEE = R.GOVERNMENT | R.RESIDENT
SEE_ASSIGNED = SEE | {"legal_adviser"}
JUSTICE = R.GOVERNMENT
LAWYER = frozenset({"legal_adviser"})
EDUCATORS = R.GOVERNMENT | R.VILLAGE_CADRES | frozenset({"legal_adviser", "village_police"})
TASKS = R.GOVERNMENT | R.VILLAGE_CADRES


def _forbidden(allowed: frozenset[str]) -> dict[str, int | str]:
    return dict.fromkeys(SIGNED_IN - allowed - {"admin"}, 403)


def _submit(world: World, household: Household) -> LegalAidApplication:
    head = household.members.filter(relation="head").first() or household.members.order_by("id").first()
    return services.legal_aid_submit(actor=world.users["admin"], matter_type="unpaid_wages", summary="矩阵:欠薪",
                                     applicant=head)


def _lawyer(world: World, household: Household, placement: str) -> User:
    """Inside: the factory's legal adviser; outside: a lawyer of the household's village
    (made on first use: cells roll back, so the account is looked up each time)."""
    if placement == INSIDE:
        return world.users["legal_adviser"]
    village = Region.objects.get(pk=household.village_id)
    found = User.objects.filter(username=f"u_matrix_lawyer_{village.code}").first()
    return found or factories.user(f"u_matrix_lawyer_{village.code}", role=Role.LEGAL_ADVISER, region=village)


def _lawyer_for(world: World, case: LegalAidApplication) -> dict[str, Any]:
    inside = case.county_id == world.county.county.pk
    return {"lawyer_id": _lawyer(world, case.household, INSIDE if inside else "outside").pk}


def _cached(world: World, name: str, role: str, placement: str, make: Any) -> LegalAidApplication:
    key = ("legal", name, "grid_worker" if role == ANONYMOUS else role, placement)
    if key not in world.cache:
        world.cache[key] = make()
    return LegalAidApplication.objects.get(pk=world.cache[key].pk)


def _params(case: Any) -> dict[str, Any]:
    return {"application_id": case.pk, "pk": case.pk}


@kind("legal_aid", params=_params, text=lambda c: c.number)
def _submitted(world: World, role: str, placement: str) -> LegalAidApplication:
    return _cached(world, "submitted", role, placement, lambda: _submit(world, world.household(role, placement)))


@kind("accepted_legal_aid", params=_params, text=lambda c: c.number)
def _accepted(world: World, role: str, placement: str) -> LegalAidApplication:
    def make() -> LegalAidApplication:
        household = world.household(role, placement)
        case = _submit(world, household)
        return services.legal_aid_accept(actor=world.users["admin"], case=case,
                                         lawyer=_lawyer(world, household, placement))

    return _cached(world, "accepted", role, placement, make)


@kind("liaison", params=lambda li: {"pk": li.pk, "liaison_id": li.pk}, text=lambda li: li.resident.name)
def _liaison(world: World, role: str, placement: str) -> Liaison:
    head = world.household(role, placement).members.order_by("id").first()
    found = Liaison.objects.filter(resident=head).first()
    return found or services.liaison_add(actor=world.users["admin"], resident=head, trained_on="2025-03-15",
                                         training_hours=16)


def _grow_liaisons(world: World, n: int) -> None:
    from shanzhi.regions.models import Resident

    taken = set(Liaison.objects.values_list("resident_id", flat=True))
    home = world.county.households[0].village
    for resident in Resident.objects.filter(household__village=home).exclude(pk__in=taken).order_by("id")[:n]:
        services.liaison_add(actor=world.users["admin"], resident=resident, trained_on="2025-03-15", training_hours=8)


def _grow(world: World, n: int) -> None:
    for _ in range(n):
        _submit(world, world.county.households[0])


def _event(world: World, role: str, _obj: Any) -> dict[str, Any]:
    return {"region": world.home(role).code, "kind": "legal_fair", "title": "矩阵:法治大集", "held_on": "2025-05-01",
            "place": "集市", "organiser": "司法所", "attendance": 100, "materials": 300}


def _talk(world: World, role: str, _obj: Any) -> dict[str, Any]:
    return {"region": world.home(role).code, "stage": "before", "cadre_name": "王某", "reason": "工程发包",
            "talked_by": "镇纪委", "held_on": "2025-05-01", "record": "已提醒"}


def _task(world: World, role: str, _obj: Any) -> dict[str, Any]:
    return {"region": "621023100201", "title": "矩阵:临时摊派", "assigned_by": "县某局", "assigned_on": "2025-05-01"}


def _liaison_body(world: World, role: str, _obj: Any) -> dict[str, Any]:
    head = world.household(role, INSIDE).members.order_by("id").first()
    return {"resident": head.pk if head else "", "trained_on": "2025-03-15", "training_hours": "16"}


NOT_RESIDENT = {**dict.fromkeys(SIGNED_IN - {"resident", "admin"}, 404), "admin": 404}


ENTRIES: list[Entry] = [
    api("POST", "/api/legal-aid", ok=201, body=lambda w, role, _: {"matter_type": "family", "summary": "矩阵"},
        expect={**_forbidden(SEE), "township_staff": 422, "county_staff": 422, "admin": 422},
        note="a resident applies for themselves; staff must name the applicant (422 on applicant_id)"),
    api("GET", "/api/legal-aid", kind="legal_aid", lists=True, visible=SEE, grow=Grow(_grow)),
    api("GET", "/api/legal-aid/{application_id}", kind="legal_aid", visible=SEE),
    api("POST", "/api/legal-aid/{application_id}/accept", kind="legal_aid", visible=SEE, allowed=JUSTICE,
        body=lambda w, role, c: _lawyer_for(w, c)),
    api("POST", "/api/legal-aid/{application_id}/reject", kind="legal_aid", visible=SEE, allowed=JUSTICE,
        body=lambda w, role, c: {"reason": "不符合条件"}),
    api("POST", "/api/legal-aid/{application_id}/dispute", kind="legal_aid", visible=SEE, allowed=JUSTICE,
        body=lambda w, role, c: {"dispute_id": None}, note="link (here: unlink) the dispute it grew out of"),
    api("POST", "/api/legal-aid/{application_id}/withdraw", kind="legal_aid", visible=SEE, allowed=R.RESIDENT,
        body=lambda w, role, c: {"reason": "已和解"}),
    api("POST", "/api/legal-aid/{application_id}/start", kind="accepted_legal_aid", visible=SEE_ASSIGNED,
        allowed=LAWYER, body=lambda w, role, c: {}),
    api("POST", "/api/legal-aid/{application_id}/steps", kind="accepted_legal_aid", visible=SEE_ASSIGNED,
        allowed=LAWYER, ok=201, body=lambda w, role, c: {"on": "2025-05-01", "note": "会见当事人"}),
    api("POST", "/api/legal-aid/{application_id}/conclude", kind="accepted_legal_aid", visible=SEE_ASSIGNED,
        allowed=LAWYER, body=lambda w, role, c: {"result": "追回工资", "amount_recovered_fen": 100000}),
    api("POST", "/api/legal/events", ok=201, body=_event, expect=_forbidden(EDUCATORS)),
    api("POST", "/api/supervision/talks", ok=201, body=_talk, expect=_forbidden(R.GOVERNMENT)),
    api("POST", "/api/supervision/tasks", ok=201, body=_task, expect=_forbidden(TASKS)),
    api("GET", "/api/legal/figures", expect=_forbidden(R.ALL_STAFF)),
    public("/api/legal/public/villages/{code}", kind="delib_village", note="a village's legal page is public"),

    page("legal:index"),
    page("legal:apply", expect=NOT_RESIDENT,
         note="residents apply for themselves; staff file through the API for a named applicant"),
    page("legal:figures", expect=_forbidden(R.ALL_STAFF)),
    page("legal:mine", expect=NOT_RESIDENT, note="a resident's own applications"),
    page("legal:cases", note="a lawyer's cases (empty for anyone else)"),
    page("legal:events", expect=_forbidden(R.ALL_STAFF)),
    page("legal:events", method="POST", ok=302, body=lambda w, role, o: {**_event(w, role, o), "attendance": "100"},
         expect=_forbidden(EDUCATORS), note="on success, back to the list"),
    api("GET", "/api/legal/liaisons", kind="liaison", lists=True, visible=R.ALL_STAFF, grow=Grow(_grow_liaisons)),
    api("POST", "/api/legal/liaisons", ok=201, expect=_forbidden(EDUCATORS),
        body=lambda w, role, o: {**_liaison_body(w, role, o), "resident_id": _liaison_body(w, role, o)["resident"],
                                 "training_hours": 16}),
    api("POST", "/api/legal/liaisons/{liaison_id}/activities", kind="liaison", visible=R.ALL_STAFF,
        allowed=EDUCATORS, ok=201,
        body=lambda w, role, o: {"held_on": "2025-05-01", "description": "矩阵:普法宣讲", "people_reached": 5}),
    page("legal:liaisons", expect=_forbidden(R.ALL_STAFF)),
    page("legal:liaisons", method="POST", ok=302, body=_liaison_body, expect=_forbidden(EDUCATORS)),
    page("legal:liaison", kind="liaison", visible=R.ALL_STAFF),
    page("legal:liaison", method="POST", kind="liaison", visible=R.ALL_STAFF, allowed=EDUCATORS, ok=302,
         body=lambda w, role, o: {"held_on": "2025-05-01", "description": "矩阵:普法宣讲", "people_reached": "5"}),
    page("legal:power_lists", expect=_forbidden(R.ALL_STAFF)),
    page("legal:power_lists", method="POST", ok=302, expect=_forbidden(TASKS),
         body=lambda w, role, o: {"region": w.home(role).code, "list": "power", "title": "矩阵:村级工程",
                                  "steps": "提议\n决议\n公开"}),
    page("legal:talks", expect=_forbidden(R.ALL_STAFF)),
    page("legal:talks", method="POST", ok=302, body=_talk, expect=_forbidden(R.GOVERNMENT)),
    page("legal:admission", expect=_forbidden(R.ALL_STAFF)),
    page("legal:admission", method="POST", ok=302, body=lambda w, role, o: {**_task(w, role, o), "form": "task"},
         expect=_forbidden(TASKS), note="a task given to a village; off the admission list it is flagged"),
    page("legal:detail", kind="legal_aid", visible=SEE),
    page("legal:act", method="POST", kind="legal_aid", visible=SEE, allowed=JUSTICE, ok=302,
         params=lambda c: {"pk": c.pk, "action": "reject"}, body=lambda w, role, c: {"reason": "不符合条件"}),
    public("legal:village", kind="delib_village"),
]

__all__ = ["ENTRIES"]
