"""Resident requests (shanzhi/casework): the API, the pages and the Open311 server.

A request is seen by the staff of the places above it (not by department staff, who see
what is dispatched to their department), by the household that asked, and by the Party
member it was given to. Who may take each step is the workflow's declaration; the guards
narrow the role to the level now responsible (dispatching), the handler (accepting,
resolving) and the resident who asked (rating, reopening)."""

from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from shanzhi.casework import services
from shanzhi.casework.models import Category, RequestPhoto, ServiceRequest
from shanzhi.regions.models import Region
from tests.matrix import roles as R
from tests.matrix.registry import Entry, Grow, api, page, public
from tests.matrix.world import ANONYMOUS, INSIDE, OUTSIDE, SIGNED_IN, World, kind

# Who may do what (the matrix's own statement, see roles.py).
SEE = R.REGION_STAFF | R.RESIDENT
SEE_HANDLED = SEE | {"department_staff"}
DISPATCHERS = frozenset({"grid_leader", "grid_worker"}) | R.GRID_SUPERVISORS | R.VILLAGE_CADRES | R.GOVERNMENT
FILERS = R.GRID_TEAM | R.GRID_SUPERVISORS | R.VILLAGE_CADRES | R.GOVERNMENT
UPLOADERS = FILERS | R.RESIDENT | {"department_staff"}
STATS = R.GOVERNMENT | R.VILLAGE_CADRES | R.GRID_SUPERVISORS | {"grid_leader"}
HANDLER = frozenset({"department_staff"})
NOT_ADMIN_RATES = {"admin": 403}


def _forbidden(allowed: frozenset[str]) -> dict[str, int | str]:
    """A route without a record: everyone signed in but ``allowed`` (and the admin) gets 403."""
    return dict.fromkeys(SIGNED_IN - allowed - {"admin"}, 403)


# -- the records ---------------------------------------------------------------------------------

def _categories(world: World, county: Region) -> None:
    # Checked each time: what a cell writes (even categories) is rolled back after it.
    if not Category.objects.filter(county=county).exists():
        services.categories_install_defaults(actor=None, county=county)


def _category(world: World, county: Region, code: str = "water") -> Category:
    _categories(world, county)
    return Category.objects.get(county=county, code=code)


def _file(world: World, role: str, placement: str, *, resident_asks: bool = False) -> ServiceRequest:
    household = world.household(role, placement)
    county = Region.objects.get(pk=household.county_id)
    resident = household.members.filter(relation="head").first() if resident_asks else None
    return services.request_submit(actor=world.users["admin"], category=_category(world, county),
                                   description="矩阵测试诉求", household=household, resident=resident)


def _cached(world: World, name: str, role: str, placement: str, make: Any) -> ServiceRequest:
    key = ("casework", name, "grid_worker" if role == ANONYMOUS else role, placement)
    if key not in world.cache:
        world.cache[key] = make()
    return ServiceRequest.objects.get(pk=world.cache[key].pk)


def _department_for(world: World, req: ServiceRequest) -> Any:
    return world.county.department if req.county_id == world.county.county.pk else world.other["department"]


def _params(r: Any) -> dict[str, Any]:
    return {"request_id": r.pk, "pk": r.pk}


@kind("service_request", params=_params, text=lambda r: f"#{r.number}")
def _submitted(world: World, role: str, placement: str) -> ServiceRequest:
    """Just filed, at the role's home (the resident's own household) or just outside it."""
    return _cached(world, "submitted", role, placement, lambda: _file(world, role, placement))


@kind("dispatched_request", params=_params, text=lambda r: f"#{r.number}")
def _dispatched(world: World, role: str, placement: str) -> ServiceRequest:
    """Dispatched to the county's water bureau (the department staff's own department; just
    outside a county role's home, the neighbour county's bureau)."""

    def make() -> ServiceRequest:
        req = _file(world, role, placement)
        return services.request_dispatch(actor=world.users["admin"], request=req, to="department",
                                         department=_department_for(world, req))

    return _cached(world, "dispatched", role, placement, make)


@kind("accepted_request", params=_params, text=lambda r: f"#{r.number}")
def _accepted(world: World, role: str, placement: str) -> ServiceRequest:
    def make() -> ServiceRequest:
        req = _file(world, role, placement)
        services.request_dispatch(actor=world.users["admin"], request=req, to="department",
                                  department=_department_for(world, req))
        return services.request_accept(actor=world.users["admin"], request=req)

    return _cached(world, "accepted", role, placement, make)


@kind("resolved_request", params=_params, text=lambda r: f"#{r.number}")
def _resolved(world: World, role: str, placement: str) -> ServiceRequest:
    """Resolved by the department; asked by the household's head (the resident's own account
    at the resident's home)."""

    def make() -> ServiceRequest:
        req = _file(world, role, placement, resident_asks=True)
        services.request_dispatch(actor=world.users["admin"], request=req, to="department",
                                  department=_department_for(world, req))
        services.request_accept(actor=world.users["admin"], request=req)
        return services.request_resolve(actor=world.users["admin"], request=req, result="已处理")

    return _cached(world, "resolved", role, placement, make)


@kind("request_photo", params=lambda p: {"photo_id": p.pk, "pk": p.pk})
def _photo(world: World, role: str, placement: str) -> RequestPhoto:
    req = _submitted(world, role, placement)
    key = ("casework-photo", req.pk)
    if key not in world.cache:
        photo = RequestPhoto(request=req, kind="report", content_type="image/png", size=8, width=1, height=1,
                             sha256="0" * 64, uploaded_at=timezone.now())
        photo.file.save("matrix.png", ContentFile(b"\x89PNG\r\n\x1a\n"), save=True)
        world.cache[key] = photo
    return world.cache[key]


def _grow(world: World, n: int) -> None:
    household = world.county.households[0]
    category = _category(world, world.county.county)
    for _ in range(n):
        services.request_submit(actor=world.users["admin"], category=category, description="增长", household=household)


def _main_of(world: World, role: str, req: ServiceRequest) -> dict[str, Any]:
    """Another open request of the same household to merge into (made inside the cell)."""
    main = services.request_submit(actor=world.users["admin"], category=req.category, description="主诉求",
                                   household=req.household)
    return {"main_id": main.pk}


def _upload(world: World, role: str, _obj: Any) -> dict[str, Any]:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, format="PNG")
    return {"file": SimpleUploadedFile("matrix.png", buffer.getvalue(), "image/png")}


def _jurisdiction(world: World, role: str, _obj: Any) -> dict[str, Any]:
    return {"jurisdiction_id": world.county.county.code}


# -- the table -------------------------------------------------------------------------------------

REQUEST_BODY = {"category": "water", "description": "矩阵:代办"}


def _filing(world: World, role: str, household: Any) -> dict[str, Any]:
    _categories(world, Region.objects.get(pk=household.county_id))
    return {**REQUEST_BODY, "household_id": household.pk}


def _similar(world: World, role: str, grid: Region) -> dict[str, Any]:
    _categories(world, Region.objects.get(pk=grid.county_id))
    return {"category": "water", "region": grid.code}

ENTRIES: list[Entry] = [
    api("GET", "/api/requests/categories", note="public knowledge: the categories of the caller's county"),
    api("POST", "/api/requests/photos", form=True, body=_upload, ok=201, expect=_forbidden(UPLOADERS)),
    api("GET", "/api/requests/photos/{photo_id}", kind="request_photo", visible=SEE),
    api("POST", "/api/requests", kind="household", visible=SEE, allowed=FILERS | R.RESIDENT, ok=201, hidden=422,
        outside=422, body=_filing,
        note="the household is named in the body: one the caller cannot see is a 422 on household_id"),
    api("GET", "/api/requests", kind="service_request", lists=True, visible=SEE, grow=Grow(_grow)),
    api("GET", "/api/requests/similar", kind="grid", visible=SIGNED_IN - {"admin"}, allowed=FILERS | R.RESIDENT,
        outside=422, query=_similar,
        expect={**{f"{role}:outside": 403 for role in SIGNED_IN - FILERS - R.RESIDENT - {"admin"}},
                "resident:outside": 200},
        note="those who may file, before filing; staff name the place (one they cannot see is a 422 on region), "
             "a resident always looks around their own home (the place named is ignored)"),
    api("POST", "/api/requests/{request_id}/follow", kind="service_request", visible=SEE, allowed=R.RESIDENT,
        body=lambda w, role, r: {}, expect={"admin": 403, "resident:outside": 200},
        note="\"me too\": residents follow a request they see, or a public matter of their village (the "
             "request just outside the resident's home is a water matter in the same village: 200)"),
    api("GET", "/api/requests/stats", query=lambda w, role, _: {"by": "level"}, expect=_forbidden(STATS)),
    api("GET", "/api/requests/{request_id}", kind="service_request", visible=SEE),
    api("GET", "/api/requests/{request_id}/timeline", kind="service_request", visible=SEE),
    api("POST", "/api/requests/{request_id}/dispatch", kind="service_request", visible=SEE, allowed=DISPATCHERS,
        body=lambda w, role, r: {"to": "level"}),
    api("POST", "/api/requests/{request_id}/reject", kind="service_request", visible=SEE, allowed=DISPATCHERS,
        body=lambda w, role, r: {"reason": "不属于政府职责"}),
    api("POST", "/api/requests/{request_id}/escalate", kind="service_request", visible=SEE, allowed=DISPATCHERS,
        body=lambda w, role, r: {"reason": "需要上级协调"}),
    api("POST", "/api/requests/{request_id}/merge", kind="service_request", visible=SEE, allowed=DISPATCHERS,
        body=lambda w, role, r: _main_of(w, role, r)),
    api("POST", "/api/requests/{request_id}/accept", kind="dispatched_request", visible=SEE_HANDLED,
        allowed=HANDLER, body=lambda w, role, r: {}),
    api("POST", "/api/requests/{request_id}/return", kind="dispatched_request", visible=SEE_HANDLED,
        allowed=HANDLER, body=lambda w, role, r: {"reason": "派错了"}),
    api("POST", "/api/requests/{request_id}/start", kind="accepted_request", visible=SEE_HANDLED, allowed=HANDLER,
        body=lambda w, role, r: {}),
    api("POST", "/api/requests/{request_id}/resolve", kind="accepted_request", visible=SEE_HANDLED,
        allowed=HANDLER, body=lambda w, role, r: {"result": "已处理完毕"}),
    api("POST", "/api/requests/{request_id}/rate", kind="resolved_request", visible=SEE_HANDLED,
        allowed=R.RESIDENT, body=lambda w, role, r: {"rating": 5}, expect=NOT_ADMIN_RATES,
        note="only the resident who asked rates, not even the administrator"),
    api("POST", "/api/requests/{request_id}/reopen", kind="resolved_request", visible=SEE_HANDLED,
        allowed=R.RESIDENT, body=lambda w, role, r: {"reason": "没修好"}, expect=NOT_ADMIN_RATES,
        note="only the resident who asked reopens"),
    api("POST", "/api/requests/{request_id}/close", kind="resolved_request", visible=SEE_HANDLED,
        allowed=DISPATCHERS, body=lambda w, role, r: {}),

    page("casework:index"),
    page("casework:new", expect=_forbidden(FILERS | R.RESIDENT)),
    page("casework:stats", expect=_forbidden(STATS)),
    page("casework:photo", kind="request_photo", visible=SEE),
    page("casework:detail", kind="service_request", visible=SEE),
    page("casework:follow", method="POST", kind="service_request", visible=SEE, allowed=R.RESIDENT, ok=302,
         expect={"admin": 403, "resident:outside": 302}, note="\"me too\" from the filing page, as the API's follow"),
    page("casework:act", method="POST", kind="service_request", visible=SEE, allowed=DISPATCHERS, ok=302,
         params=lambda r: {"pk": r.pk, "action": "dispatch"}, body=lambda w, role, r: {"to": "level"}),

    # Open311: a public interface for apps; filing needs the client's API key.
    public("open311:discovery"),
    public("open311:services", query=_jurisdiction),
    public("open311:service", status=404, query=_jurisdiction, note="the sample address names no service"),
    public("open311:requests", query=_jurisdiction),
    public("open311:requests", method="POST", status=403, body=_jurisdiction, note="no api_key: 403"),
    public("open311:request", status=404, query=_jurisdiction, note="the sample address names no request"),
    public("open311:token", status=404, query=_jurisdiction, note="the sample address names no token"),
]

__all__ = ["ENTRIES", "INSIDE", "OUTSIDE"]
