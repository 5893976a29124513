"""The command centre (shanzhi/command): its pages. County and township staff see the
dashboard, lists, map, wall screen and reports of their own places (the place is named in
the query: ``?region=<code>``), and see and handle the alerts raised there. Other staff
who see the place get 403; a place outside the role's home is 404."""

from __future__ import annotations

from django.utils import timezone

from shanzhi.command.models import Alert
from shanzhi.regions.models import Region
from tests.matrix import roles as R
from tests.matrix.registry import Entry, page
from tests.matrix.world import World, kind

SEE = R.GOVERNMENT


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


def _region_page(name: str, **options: object) -> Entry:
    return page(name, kind="region", visible=R.SEE_REGIONS, allowed=SEE, query=_region, **options)


ENTRIES: list[Entry] = [
    _region_page("command:dashboard"),
    _region_page("command:wall"),
    _region_page("command:wall_json"),
    _region_page("command:map"),
    _region_page("command:report_xlsx"),
    _region_page("command:alerts"),
    _region_page("command:list", params=lambda r: {"figure": "requests_open"}),
    page("command:alert", kind="command_alert", visible=SEE),
    page("command:alert_act", method="POST", kind="command_alert", visible=SEE, allowed=SEE, form=True,
         params=lambda a: {"pk": a.pk, "action": "close"}, body=_close, ok=302),
]
