"""A county's morning peak on Shanzhi, for locust (run it through ``python -m bench.load``).

Seven kinds of visitor, in the proportions of a county of 18,000 households at about 9 a.m.
on a working day (the ``weight`` of each class: its share of the simulated people). Each does
what that person does most, with a short pause between pages (``LOAD_WAIT`` = "min,max"
seconds). Everyone is already logged in (sessions and tokens from ``prepare.py``, in the file
named by ``LOAD_FIXTURE``), as at a real peak; logging in is not part of the mix.

- residents, 40: the home page, their requests and a request's page, their points, the shops,
  their village's board; through the API (the mini-program): their requests, filing one;
- grid workers, 25: the day's tasks (page and API), the grid's requests, a household, the
  quick-report form and a quick report filed through the API, disputes;
- village staff, 12: requests and disputes (lists and pages), points, the awards to review,
  notices, data updates, the API's dispatch queue;
- the public, 12: village boards (page and API), a village's legal page, Open311 (services, a
  request's status, filing a request);
- township staff, 5: requests and disputes, their statistics, the command dashboard;
- department staff, 3: incoming requests and their pages;
- county staff, 3: the command dashboard and wall, statistics.

Writes (requests filed by residents, grid workers and Open311 clients) are about 3 % of all
requests. A response counts as failed when its status is not the one expected, or when a page
that needs a login sends to the login page.
"""

from __future__ import annotations

import itertools
import json
import os
import random
from collections.abc import Callable
from typing import Any

from locust import FastHttpUser, between

FIXTURE: dict[str, Any] = json.loads(open(os.environ["LOAD_FIXTURE"], encoding="utf-8").read())  # noqa: SIM115
_WAIT = [float(x) for x in os.environ.get("LOAD_WAIT", "0.5,1.5").split(",")]
_accounts = {kind: itertools.cycle(rows) for kind, rows in FIXTURE["personas"].items() if rows}


class _Visitor(FastHttpUser):
    abstract = True
    wait_time = between(*_WAIT)
    persona = ""

    def on_start(self) -> None:
        self.me: dict[str, Any] = next(_accounts[self.persona]) if self.persona else {}
        session = self.me.get("session")
        self.page_headers = {"Cookie": f"sessionid={session}", "Accept-Language": "zh-hans"} if session else {
            "Accept-Language": "zh-hans"}
        self.api_headers = {"Authorization": f"Bearer {self.me['token']}"} if self.me else {}

    # -- helpers

    def page(self, url: str, name: str | None = None, status: int = 200) -> None:
        with self.client.get(url, name=name or url, headers=self.page_headers, catch_response=True,
                             allow_redirects=False) as response:
            if response.status_code != status:
                response.failure(f"status {response.status_code}")

    def api(self, url: str, name: str | None = None, *, body: Any = None, status: int = 200) -> None:
        method = self.client.post if body is not None else self.client.get
        kwargs: dict[str, Any] = {"json": body} if body is not None else {}
        with method(url, name=name or url, headers=self.api_headers, catch_response=True, **kwargs) as response:
            if response.status_code != status:
                response.failure(f"status {response.status_code}: {(response.text or '')[:200]}")

    def one(self, key: str) -> int | None:
        ids = self.me.get(key) or []
        return random.choice(ids) if ids else None

    def request_page(self) -> None:
        pk = self.one("requests")
        if pk is None:
            self.page("/requests/")
        else:
            self.page(f"/requests/{pk}/", name="/requests/[id]/")

    def dispute_page(self) -> None:
        pk = self.one("disputes")
        if pk is None:
            self.page("/disputes/")
        else:
            self.page(f"/disputes/{pk}/", name="/disputes/[id]/")

    def file_request(self, **extra: Any) -> None:
        body = {"category": random.choice(FIXTURE["categories"]),
                "description": "负载测试：路灯不亮，晚上出行不便，请尽快维修。", **extra}
        self.api("/api/requests", name="/api/requests" + (" (quick report)" if extra else ""), body=body,
                 status=201)


# -- what people open (each a function of the simulated person, shared by the personas) ----------

def page(url: str, name: str | None = None) -> Callable[[_Visitor], None]:
    def open_page(user: _Visitor) -> None:
        user.page(url, name)
    open_page.__name__ = f"page {url}"
    return open_page


def api_get(url: str) -> Callable[[_Visitor], None]:
    def call(user: _Visitor) -> None:
        user.api(url)
    call.__name__ = f"api {url}"
    return call


def request_page(user: _Visitor) -> None:
    user.request_page()


def dispute_page(user: _Visitor) -> None:
    user.dispute_page()


def village_board(user: _Visitor) -> None:
    user.page(f"/deliberation/board/{user.me['village']}/", name="/deliberation/board/[code]/")


def file_request(user: _Visitor) -> None:
    user.file_request()


def api_today(user: _Visitor) -> None:
    user.api(f"/api/gridwork/today?grid={user.me['grid']}", name="/api/gridwork/today")


def household(user: _Visitor) -> None:
    pk = user.one("households")
    if pk is not None:
        user.page(f"/households/{pk}/", name="/households/[id]/")


def quick_report(user: _Visitor) -> None:
    user.file_request(region=user.me["grid"], channel="grid")


def _village() -> str:
    return str(random.choice(FIXTURE["villages"]))


def public_board(user: _Visitor) -> None:
    user.page(f"/deliberation/board/{_village()}/", name="/deliberation/board/[code]/")


def public_board_api(user: _Visitor) -> None:
    user.api(f"/api/deliberation/public/villages/{_village()}/board",
             name="/api/deliberation/public/villages/[code]/board")


def legal_page(user: _Visitor) -> None:
    user.page(f"/legal/village/{_village()}/", name="/legal/village/[code]/")


def open311_services(user: _Visitor) -> None:
    user.api("/open311/v2/services.json")


def open311_status(user: _Visitor) -> None:
    ids = FIXTURE["public_requests"]
    if ids:
        user.api(f"/open311/v2/requests.json?service_request_id={random.choice(ids)}",
                 name="/open311/v2/requests.json?service_request_id=[id]")


def open311_file(user: _Visitor) -> None:
    form = {"api_key": FIXTURE["open311_key"], "service_code": random.choice(FIXTURE["categories"]),
            "address_id": random.choice(FIXTURE["grids"]), "description": "负载测试：村道积水，请处理。"}
    with user.client.post("/open311/v2/requests.json", name="/open311/v2/requests.json", catch_response=True,
                          data=form) as response:
        if response.status_code not in (200, 201):
            response.failure(f"status {response.status_code}: {(response.text or '')[:200]}")


HOME, REQUESTS, DISPUTES = page("/"), page("/requests/"), page("/disputes/")


# -- the personas: their share of the people (weight) and how often each thing (task weights) ----

class Resident(_Visitor):
    weight = 40
    persona = "resident"
    tasks = {HOME: 6, REQUESTS: 3, request_page: 3, page("/points/me/"): 4, page("/points/shops/"): 2,
             village_board: 2, api_get("/api/requests?queue=mine"): 2, file_request: 1}


class GridWorker(_Visitor):
    weight = 25
    persona = "grid_worker"
    tasks = {HOME: 2, page("/gridwork/"): 4, api_today: 2, api_get("/api/gridwork/tasks"): 2, REQUESTS: 3,
             request_page: 3, household: 3, page("/requests/new/?quick=1"): 1, quick_report: 1, DISPUTES: 1}


class VillageStaff(_Visitor):
    weight = 12
    persona = "village"
    tasks = {HOME: 2, REQUESTS: 3, request_page: 3, DISPUTES: 2, dispute_page: 2, page("/points/"): 2,
             page("/points/awards/"): 1, page("/deliberation/notices/"): 1, page("/gridwork/updates/"): 1,
             api_get("/api/requests?queue=dispatch"): 1}


class Public(_Visitor):
    weight = 12
    persona = ""
    tasks = {public_board: 5, public_board_api: 1, legal_page: 1, open311_services: 1, open311_status: 1,
             open311_file: 1}


class TownshipStaff(_Visitor):
    weight = 5
    persona = "township"
    tasks = {HOME: 2, REQUESTS: 2, request_page: 2, DISPUTES: 2, dispute_page: 1, page("/requests/stats/"): 1,
             page("/command/"): 1}


class DepartmentStaff(_Visitor):
    weight = 3
    persona = "department"
    tasks = {HOME: 1, REQUESTS: 3, request_page: 3}


class CountyStaff(_Visitor):
    weight = 3
    persona = "county"
    tasks = {HOME: 1, page("/command/"): 3, page("/command/wall.json"): 2, page("/requests/stats/"): 1,
             page("/disputes/stats/"): 1}
