"""The demo's accounts: one per role, all in the first county, all with one password.

The grid team shares one well-populated rural grid of 柔远镇 (the county seat's town);
the resident lives in that grid and logs in with a phone number. Every other generated
staff account (``gw`` + a grid code for that grid's worker, and so on) has the same
password, so anyone trying the demo can look at the platform from any place.
"""

from __future__ import annotations

from typing import NamedTuple

from shanzhi.people.models import Role

DEMO_PASSWORD = "Shanzhi-demo-2026"  # noqa: S105 (a published demo password, by design)
DEMO_SEED = 2025

COUNTY_CODE = "621023000000"
COUNTY_NAME = "华池县"
TOWNSHIP_CODE = "621023100000"  # 柔远镇
VILLAGE_CODE = "621023100201"  # 张湾村
VILLAGE_NAME = "张湾村"
GROUP_CODE = "62102310020101"  # 张湾村一组
GRID_CODE = "621023100201001"  # 张湾村第1网格
MICRO_GRID_CODE = "62102310020100101"  # 张湾村第1网格第1微网格
GRID_HOUSEHOLDS = 28
WATER_DEPARTMENT = "华池县水务局"
RESIDENT_PHONE = "13909340123"
RESIDENT_ROLE = "resident"

_GRID = "华池县柔远镇张湾村第1网格"
_VILLAGE = "华池县柔远镇张湾村"


class DemoAccount(NamedTuple):
    username: str
    login: str  # what one types on the login page (the phone number for the resident)
    role: str  # a Role value, or "resident"
    place_code: str  # the region (or, for department staff, the department's region)
    place: str


def _account(username: str, role: str, place_code: str, place: str) -> DemoAccount:
    return DemoAccount(username, username, role, place_code, place)


DEMO_ACCOUNTS: list[DemoAccount] = [
    _account("gridleader", Role.GRID_LEADER, GRID_CODE, _GRID),
    _account("gridworker", Role.GRID_WORKER, GRID_CODE, _GRID),
    _account("microgrid", Role.MICRO_GRID_WORKER, MICRO_GRID_CODE, _GRID + "第1微网格"),
    _account("chiefgrid", Role.CHIEF_GRID_LEADER, VILLAGE_CODE, _VILLAGE),
    _account("instructor", Role.GRID_INSTRUCTOR, VILLAGE_CODE, _VILLAGE),
    _account("groupleader", Role.GROUP_LEADER, GROUP_CODE, _VILLAGE + "一组"),
    _account("neighbour", Role.NEIGHBOUR_LEADER, MICRO_GRID_CODE, _GRID + "第1微网格"),
    _account("secretary", Role.VILLAGE_SECRETARY, VILLAGE_CODE, _VILLAGE),
    _account("committee", Role.VILLAGE_COMMITTEE, VILLAGE_CODE, _VILLAGE),
    _account("mediator", Role.MEDIATOR, VILLAGE_CODE, _VILLAGE),
    _account("lawyer", Role.LEGAL_ADVISER, VILLAGE_CODE, _VILLAGE),
    _account("police", Role.VILLAGE_POLICE, VILLAGE_CODE, _VILLAGE),
    _account("water", Role.DEPARTMENT_STAFF, COUNTY_CODE, WATER_DEPARTMENT),
    _account("township", Role.TOWNSHIP_STAFF, TOWNSHIP_CODE, "华池县柔远镇"),
    _account("county", Role.COUNTY_STAFF, COUNTY_CODE, COUNTY_NAME),
    _account("admin", Role.ADMIN, COUNTY_CODE, COUNTY_NAME),
    DemoAccount("resident", RESIDENT_PHONE, RESIDENT_ROLE, GRID_CODE, _GRID),
]

DEMO_USERNAMES = [a.username for a in DEMO_ACCOUNTS]
