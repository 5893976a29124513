"""The command centre (shanzhi/command): its pages. County and township staff see the
dashboard, lists, map, wall screen and reports of their own places (the place is named in
the query: ``?region=<code>``), and see and handle the alerts raised there. Other staff
who see the place get 403; a place outside the role's home is 404."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from shanzhi.casework import services as casework
from shanzhi.casework.models import Category
from shanzhi.command.models import Alert
from shanzhi.regions.models import Region
from tests.matrix import roles as R
from tests.matrix.registry import Entry, Grow, api, page
from tests.matrix.world import SIGNED_IN, World, kind

SEE = R.GOVERNMENT
# The dashboard's API answers 403 to the staff and residents it is not for.
NOT_FOR_THEM = dict.fromkeys(SIGNED_IN - SEE - {"admin"}, 403)


@kind("command_alert", params=lambda a: {"pk": a.pk}, text=lambda a: a.reason)
def _alert(world: World, role: str, placement: str) -> Alert:
    place: Region = world.place(role, placement)
    found = Alert.objects.filter(key=f"matrix:{place.code}").exclude(state="closed").first()
    if found is not None:  # roles sharing a home share the alert
        return found
    return Alert.objects.create(rule="request_burst", key=f"matrix:{place.code}", region=place,
                                region_path=place.path, county=place.county, reason=f"matrix alert {place.code}",
                                evidence={"requests": []}, raised_at=timezone.now())


def _region(world: World, role: str, obj: Region) -> dict[str, str]:
    return {"region": obj.code}


def _close(world: World, role: str, obj: Alert) -> dict[str, str]:
    return {"note": "matrix"}


def _assign(world: World, role: str, obj: Alert) -> dict[str, Any]:
    return {"assignee_id": world.users.get(role, world.users["admin"]).pk, "note": "matrix"}


def _grow_alerts(world: World, n: int) -> None:
    place = world.county.county
    start = world.cache.get("command-grown-alerts", 0)
    world.cache["command-grown-alerts"] = start + n
    Alert.objects.bulk_create([Alert(rule="request_burst", key=f"grow:{start + i}", region=place,
                                     region_path=place.path, county=place, reason=f"grown {start + i}",
                                     raised_at=timezone.now()) for i in range(n)])


def _grow_requests(world: World, n: int) -> None:
    household = world.county.households[0]
    county = Region.objects.get(pk=household.county_id)
    category = Category.objects.filter(county=county).first()
    if category is None:
        casework.categories_install_defaults(actor=None, county=county)
        category = Category.objects.filter(county=county).first()
    for _i in range(n):
        casework.request_submit(actor=world.users["admin"], category=category, description="矩阵:路灯不亮",
                                household=household)


def _region_page(name: str, **options: object) -> Entry:
    return page(name, kind="region", visible=R.SEE_REGIONS, allowed=SEE, query=_region, **options)


ENTRIES: list[Entry] = [
    _region_page("command:dashboard"),
    _region_page("command:wall"),
    _region_page("command:wall_json"),
    _region_page("command:map"),
    _region_page("command:report_xlsx"),
    _region_page("command:report_pdf"),
    _region_page("command:alerts"),
    _region_page("command:list", params=lambda r: {"figure": "requests_open"}),
    page("command:alert", kind="command_alert", visible=SEE),
    page("command:alert_act", method="POST", kind="command_alert", visible=SEE, allowed=SEE, form=True,
         params=lambda a: {"pk": a.pk, "action": "close"}, body=_close, ok=302),
    api("GET", "/api/command/figures", expect=NOT_FOR_THEM),
    api("GET", "/api/command/children", expect=NOT_FOR_THEM),
    api("GET", "/api/command/trend", expect=NOT_FOR_THEM),
    api("GET", "/api/command/list", lists=True, expect=NOT_FOR_THEM, grow=Grow(_grow_requests),
        note="requests_open by default; the place defaults to the top of the caller's places"),
    api("GET", "/api/command/alerts", kind="command_alert", lists=True, visible=SEE, grow=Grow(_grow_alerts)),
    api("GET", "/api/command/alerts/{alert_id}", kind="command_alert", visible=SEE,
        params=lambda a: {"alert_id": a.pk}),
    api("POST", "/api/command/alerts/{alert_id}/assign", kind="command_alert", visible=SEE, allowed=SEE,
        params=lambda a: {"alert_id": a.pk}, body=_assign),
    api("POST", "/api/command/alerts/{alert_id}/act", kind="command_alert", visible=SEE, allowed=SEE,
        params=lambda a: {"alert_id": a.pk}, body=_close),
    api("POST", "/api/command/alerts/{alert_id}/close", kind="command_alert", visible=SEE, allowed=SEE,
        params=lambda a: {"alert_id": a.pk}, body=_close),
]
