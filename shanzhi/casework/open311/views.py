"""An Open311 GeoReport v2 server at ``/open311/v2/`` (http://wiki.open311.org/GeoReport_v2),
so existing Open311 apps and clients can file requests and follow them.

- The jurisdiction is the county (``jurisdiction_id`` = its 12-digit division code; it may be
  left out when the platform serves one county).
- The services are the county's request categories; a service definition lists a category's
  questions as attributes.
- POST requests needs an ``api_key`` of an Open311 client of the county; the request is filed
  through the same service as every other, on the channel "open311".
- Our states map to ``open`` / ``closed``; the detailed state is in ``status_notes``.
- GET requests lists the requests of public categories (never contact details), and those
  the calling client filed itself (with its ``api_key``).
- Every answer is JSON or XML by the extension; errors are a list of ``{code, description}``
  with the HTTP status the specification gives (400, 403, 404).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import uuid
from typing import Any
from xml.etree import ElementTree as ET

from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt

from shanzhi.casework import selectors, services
from shanzhi.casework.flow import State
from shanzhi.casework.models import Category, Open311Client, ServiceRequest
from shanzhi.core import context
from shanzhi.core.errors import DomainError
from shanzhi.regions.models import Household, Region

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CLOSED_STATES = {State.RESOLVED, State.RATED, State.CLOSED, State.REJECTED, State.MERGED}
DEFAULT_WINDOW = dt.timedelta(days=90)
MAX_RESULTS = 1000
ATTRIBUTE = re.compile(r"^attribute\[(?P<code>[A-Za-z0-9_-]{1,32})\](\[\])?$")


class Open311Error(Exception):
    def __init__(self, status: int, description: str):
        self.status = status
        self.description = description
        super().__init__(description)


# -- rendering ---------------------------------------------------------------------------------

def _xml_value(parent: ET.Element, key: str, value: Any) -> None:
    node = ET.SubElement(parent, key)
    if isinstance(value, bool):
        node.text = "true" if value else "false"
    elif isinstance(value, dict):
        for k, v in value.items():
            _xml_value(node, k, v)
    elif isinstance(value, list):
        item_name = {"attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format"}.get(
            key, "item")
        for v in value:
            _xml_value(node, item_name, v)
    elif value is not None:
        node.text = str(value)


def render(request: HttpRequest, fmt: str, data: Any, *, root: str, item: str | None = None,
           status: int = 200) -> HttpResponse:
    if fmt == "json":
        return JsonResponse(data, status=status, safe=False, json_dumps_params={"ensure_ascii": False})
    top = ET.Element(root)
    if isinstance(data, list):
        for entry in data:
            element = ET.SubElement(top, item or "item")
            for key, value in entry.items():
                _xml_value(element, key, value)
    else:
        for key, value in data.items():
            _xml_value(top, key, value)
    body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")
    return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")


def error(request: HttpRequest, fmt: str, status: int, description: str) -> HttpResponse:
    return render(request, fmt, [{"code": status, "description": description}], root="errors", item="error",
                  status=status)


def endpoint(view: Any) -> Any:
    """Format from the extension, errors in the specification's shape, messages in English or
    the language the client asks for (the specification's clients are mostly English)."""

    @csrf_exempt
    def wrapper(request: HttpRequest, *args: Any, fmt: str, **kwargs: Any) -> HttpResponse:
        if fmt not in ("json", "xml"):
            return error(request, "json", 404, "Unknown format: use .json or .xml")
        language = translation.get_language_from_request(request) if request.headers.get(
            "Accept-Language") else "en"
        with translation.override(language), context.acting("open311", context.client_address(request)):
            try:
                return view(request, *args, fmt=fmt, **kwargs)
            except Open311Error as exc:
                return error(request, fmt, exc.status, exc.description)
            except DomainError as exc:
                detail = "; ".join(f"{k}: {v}" for k, v in exc.fields.items()) or str(exc.message)
                status = {403: 403, 404: 404}.get(exc.status, 400)
                return error(request, fmt, status, detail)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


# -- lookups -----------------------------------------------------------------------------------

def jurisdiction(request: HttpRequest) -> Region:
    code = (request.GET.get("jurisdiction_id") or request.POST.get("jurisdiction_id") or "").strip()
    counties = Region.objects.filter(level=Region.Level.COUNTY)
    if code:
        found = counties.filter(code=code).first()
        if found is None:
            raise Open311Error(404, f"jurisdiction_id not found: {code[:20]}")
        return found
    served = list(counties.filter(pk__in=Category.objects.values("county_id"))[:2])
    if len(served) != 1:
        raise Open311Error(400, "jurisdiction_id was not provided (this server serves several counties)")
    return served[0]


def _client(request: HttpRequest, county: Region, *, required: bool) -> Open311Client | None:
    key = (request.POST.get("api_key") or request.GET.get("api_key") or "").strip()
    if not key:
        if required:
            raise Open311Error(403, "api_key was not provided")
        return None
    client = services.open311_client_for_key(key)
    if client is None or client.county_id != county.pk:
        raise Open311Error(403, "api_key is not valid for this jurisdiction")
    return client


def _service(county: Region, code: str) -> Category:
    if not code:
        raise Open311Error(400, "service_code was not provided")
    found = selectors.categories(county).filter(code=code).prefetch_related("attributes").first()
    if found is None:
        raise Open311Error(404, f"service_code not found: {code[:32]}")
    return found


def _service_row(category: Category) -> dict[str, Any]:
    return {
        "service_code": category.code, "service_name": category.name, "description": category.description,
        "metadata": bool(category.attributes.all()), "type": "realtime", "keywords": category.keywords,
        "group": category.get_default_level_display(),
    }


def _status(req: ServiceRequest) -> str:
    return "closed" if req.state in CLOSED_STATES else "open"


def _request_row(req: ServiceRequest, *, full: bool) -> dict[str, Any]:
    notes = str(req.state_label)
    if req.state == State.REJECTED and req.rejection_reason:
        notes = f"{notes}: {req.rejection_reason}"
    elif req.state in (State.RESOLVED, State.RATED, State.CLOSED) and req.result_note:
        notes = f"{notes}: {req.result_note}"
    elif req.state == State.MERGED and req.merged_into_id:
        notes = f"{notes}: {req.merged_into_id}"
    return {
        "service_request_id": str(req.pk),
        "status": _status(req),
        "status_notes": notes,
        "service_name": req.category.name,
        "service_code": req.category.code,
        "description": req.description if full else "",
        "agency_responsible": req.assignee_department.name if req.assignee_department else "",
        "service_notice": "",
        "requested_datetime": req.submitted_at.isoformat(),
        "updated_datetime": req.state_changed_at.isoformat(),
        "expected_datetime": req.resolve_due.isoformat(),
        "address": req.address if full else "",
        "address_id": req.region.code,
        "zipcode": "",
        "lat": float(req.latitude) if req.latitude is not None and full else None,
        "long": float(req.longitude) if req.longitude is not None and full else None,
        "media_url": req.media_url,
    }


def _visible(county: Region, client: Open311Client | None) -> Any:
    qs = ServiceRequest.objects.filter(county=county).select_related("category", "assignee_department", "region")
    mine = Q(open311_client=client) if client is not None else Q(pk__in=[])
    return qs.filter(Q(category__is_public=True) | mine)


def _place(county: Region, request: HttpRequest) -> tuple[Region | None, Household | None, Any, Any]:
    """Where the matter is: ``address_id`` (a grid, village or township code of the county, or
    a household number), else the nearest place to ``lat``/``long``, else the county."""
    address_id = (request.POST.get("address_id") or "").strip()
    lat, lng = request.POST.get("lat"), request.POST.get("long")
    latitude = longitude = None
    if lat or lng:
        try:
            latitude, longitude = float(lat or ""), float(lng or "")
        except ValueError:
            raise Open311Error(400, "lat and long must be numbers") from None
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise Open311Error(400, "lat and long are out of range")
    if address_id:
        region = Region.objects.filter(code=address_id, path__startswith=county.path,
                                       level__gte=Region.Level.TOWNSHIP).first()
        if region is not None:
            return region, None, latitude, longitude
        household = Household.objects.filter(number=address_id, county=county).first()
        if household is not None:
            return None, household, latitude, longitude
        raise Open311Error(400, f"address_id not found: {address_id[:32]}")
    if latitude is not None and longitude is not None:
        return _nearest(county, latitude, longitude), None, latitude, longitude
    if not (request.POST.get("address_string") or "").strip():
        raise Open311Error(400, "a location is required: lat and long, address_string or address_id")
    return county, None, None, None


def _nearest(county: Region, latitude: float, longitude: float) -> Region:
    candidates = Region.objects.filter(path__startswith=county.path, latitude__isnull=False,
                                       longitude__isnull=False, level__gte=Region.Level.TOWNSHIP).values_list(
        "pk", "latitude", "longitude", "level")
    best, best_distance = None, math.inf
    cos = math.cos(math.radians(latitude))
    for pk, lat, lng, level in candidates:
        if lat is None or lng is None:
            continue
        distance = (float(lat) - latitude) ** 2 + ((float(lng) - longitude) * cos) ** 2
        # Of two places at the same spot the finer one (a grid rather than its village).
        distance -= level * 1e-12
        if distance < best_distance:
            best, best_distance = pk, distance
    return Region.objects.get(pk=best) if best is not None else county


# -- the endpoints -----------------------------------------------------------------------------

@endpoint
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    base = request.build_absolute_uri("/open311/v2/")
    changeset = "2026-01-01T00:00:00+08:00"
    data = {
        "changeset": changeset,
        "contact": "The county's governance command centre (县社会治理指挥中心)",
        "key_service": "Ask the county's command centre for an API key",
        "endpoints": [{"specification": SPECIFICATION, "url": base, "changeset": changeset,
                       "type": "production", "formats": ["text/xml", "application/json"]}],
    }
    return render(request, fmt, data, root="discovery")


@endpoint
def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method != "GET":
        raise Open311Error(405, "use GET")
    county = jurisdiction(request)
    rows = [_service_row(c) for c in selectors.categories(county).prefetch_related("attributes")]
    return render(request, fmt, rows, root="services", item="service")


@endpoint
def service_definition(request: HttpRequest, fmt: str, code: str) -> HttpResponse:
    county = jurisdiction(request)
    category = _service(county, code)
    attributes = [{
        "variable": True, "code": a.code, "datatype": a.datatype, "required": a.required,
        "datatype_description": a.get_datatype_display(), "order": a.order, "description": a.label,
        "values": [{"key": v.get("key"), "name": v.get("name")} for v in a.values if isinstance(v, dict)],
    } for a in category.attributes.all()]
    return render(request, fmt, {"service_code": category.code, "attributes": attributes},
                  root="service_definition")


@endpoint
def requests_view(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _post_request(request, fmt)
    if request.method != "GET":
        raise Open311Error(405, "use GET or POST")
    county = jurisdiction(request)
    client = _client(request, county, required=False)
    qs = _visible(county, client)
    ids = [i.strip() for i in request.GET.get("service_request_id", "").split(",") if i.strip()]
    if ids:
        if not all(i.isdigit() for i in ids):
            raise Open311Error(400, "service_request_id must be numbers separated by commas")
        qs = qs.filter(pk__in=[int(i) for i in ids])
    else:
        codes = [c.strip() for c in request.GET.get("service_code", "").split(",") if c.strip()]
        if codes:
            qs = qs.filter(category__code__in=codes)
        start, end = _date(request, "start_date"), _date(request, "end_date")
        if start is None and end is None:
            start = timezone.now() - DEFAULT_WINDOW
        if start is not None:
            qs = qs.filter(submitted_at__gte=start)
        if end is not None:
            qs = qs.filter(submitted_at__lte=end)
        statuses = {s.strip() for s in request.GET.get("status", "").split(",") if s.strip()}
        if statuses - {"open", "closed"}:
            raise Open311Error(400, "status must be open or closed")
        if statuses == {"open"}:
            qs = qs.exclude(state__in=CLOSED_STATES)
        elif statuses == {"closed"}:
            qs = qs.filter(state__in=CLOSED_STATES)
    rows = [_request_row(r, full=r.category.is_public or (client is not None and r.open311_client_id == client.pk))
            for r in qs.order_by("-submitted_at", "-id")[:MAX_RESULTS]]
    return render(request, fmt, rows, root="service_requests", item="request")


def _date(request: HttpRequest, name: str) -> dt.datetime | None:
    text = request.GET.get(name, "").strip()
    if not text:
        return None
    value = parse_datetime(text.replace(" ", "+")) if "T" in text else None
    if value is None:
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            raise Open311Error(400, f"{name} must be a date and time in ISO 8601 (e.g. 2026-01-31T00:00:00Z)"
                               ) from None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _post_request(request: HttpRequest, fmt: str) -> HttpResponse:
    county = jurisdiction(request)
    client = _client(request, county, required=True)
    assert client is not None
    category = _service(county, (request.POST.get("service_code") or "").strip())
    region, household, latitude, longitude = _place(county, request)
    answers: dict[str, Any] = {}
    multi = {a.code for a in category.attributes.all() if a.datatype == "multivaluelist"}
    for key in request.POST:
        match = ATTRIBUTE.match(key)
        if match:
            code = match.group("code")
            answers[code] = request.POST.getlist(key) if code in multi else request.POST.get(key)
    name = " ".join(p for p in (request.POST.get("first_name", "").strip(), request.POST.get("last_name", "").strip())
                    if p)
    address = (request.POST.get("address_string") or "").strip()
    req = services.request_submit(
        actor=None, client=client, category=category, description=request.POST.get("description", ""),
        household=household, region=region, address=address[:200], latitude=latitude, longitude=longitude,
        contact_name=name[:50], contact_phone=(request.POST.get("phone") or "").strip(), attributes=answers,
        media_url=(request.POST.get("media_url") or "").strip())
    row = {"token": str(req.token), "service_request_id": str(req.pk), "service_notice": "",
           "account_id": request.POST.get("account_id") or None}
    return render(request, fmt, [row], root="service_requests", item="request", status=201)


@endpoint
def request_one(request: HttpRequest, fmt: str, request_id: str) -> HttpResponse:
    county = jurisdiction(request)
    client = _client(request, county, required=False)
    found = _visible(county, client).filter(pk=int(request_id)).first() if request_id.isdigit() else None
    if found is None:
        raise Open311Error(404, f"service_request_id not found: {request_id[:20]}")
    full = found.category.is_public or (client is not None and found.open311_client_id == client.pk)
    return render(request, fmt, [_request_row(found, full=full)], root="service_requests", item="request")


@endpoint
def token(request: HttpRequest, fmt: str, token_id: str) -> HttpResponse:
    county = jurisdiction(request)
    try:
        uuid.UUID(token_id)
    except ValueError:
        raise Open311Error(404, f"token not found: {token_id[:40]}") from None
    found = ServiceRequest.objects.filter(county=county, token=token_id).values_list("pk", flat=True).first()
    if found is None:
        raise Open311Error(404, f"token not found: {token_id[:40]}")
    return render(request, fmt, [{"service_request_id": str(found), "token": token_id}], root="service_requests",
                  item="request")
