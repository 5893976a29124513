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
from typing import Any

from locust import FastHttpUser, between, task

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


class Resident(_Visitor):
    weight = 40
    persona = "resident"

    @task(6)
    def home(self) -> None:
        self.page("/")

    @task(3)
    def my_requests(self) -> None:
        self.page("/requests/")

    @task(3)
    def my_request(self) -> None:
        self.request_page()

    @task(4)
    def my_points(self) -> None:
        self.page("/points/me/")

    @task(2)
    def shops(self) -> None:
        self.page("/points/shops/")

    @task(2)
    def village_board(self) -> None:
        self.page(f"/deliberation/board/{self.me['village']}/", name="/deliberation/board/[code]/")

    @task(2)
    def api_my_requests(self) -> None:
        self.api("/api/requests?queue=mine", name="/api/requests?queue=mine")

    @task(1)
    def api_file(self) -> None:
        self.file_request()


class GridWorker(_Visitor):
    weight = 25
    persona = "grid_worker"

    @task(2)
    def home(self) -> None:
        self.page("/")

    @task(4)
    def today(self) -> None:
        self.page("/gridwork/")

    @task(2)
    def api_today(self) -> None:
        self.api(f"/api/gridwork/today?grid={self.me['grid']}", name="/api/gridwork/today")

    @task(2)
    def api_tasks(self) -> None:
        self.api("/api/gridwork/tasks", name="/api/gridwork/tasks")

    @task(3)
    def requests(self) -> None:
        self.page("/requests/")

    @task(3)
    def request(self) -> None:
        self.request_page()

    @task(3)
    def household(self) -> None:
        pk = self.one("households")
        if pk is not None:
            self.page(f"/households/{pk}/", name="/households/[id]/")

    @task(1)
    def quick_report_form(self) -> None:
        self.page("/requests/new/?quick=1", name="/requests/new/?quick=1")

    @task(1)
    def quick_report(self) -> None:
        self.file_request(region=self.me["grid"], channel="grid")

    @task(1)
    def disputes(self) -> None:
        self.page("/disputes/")


class VillageStaff(_Visitor):
    weight = 12
    persona = "village"

    @task(2)
    def home(self) -> None:
        self.page("/")

    @task(3)
    def requests(self) -> None:
        self.page("/requests/")

    @task(3)
    def request(self) -> None:
        self.request_page()

    @task(2)
    def disputes(self) -> None:
        self.page("/disputes/")

    @task(2)
    def dispute(self) -> None:
        self.dispute_page()

    @task(2)
    def points(self) -> None:
        self.page("/points/")

    @task(1)
    def awards(self) -> None:
        self.page("/points/awards/")

    @task(1)
    def notices(self) -> None:
        self.page("/deliberation/notices/")

    @task(1)
    def updates(self) -> None:
        self.page("/gridwork/updates/")

    @task(1)
    def api_dispatch(self) -> None:
        self.api("/api/requests?queue=dispatch", name="/api/requests?queue=dispatch")


class Public(_Visitor):
    weight = 12
    persona = ""

    def village(self) -> str:
        return str(random.choice(FIXTURE["villages"]))

    @task(5)
    def board(self) -> None:
        self.page(f"/deliberation/board/{self.village()}/", name="/deliberation/board/[code]/")

    @task(1)
    def api_board(self) -> None:
        self.client.get(f"/api/deliberation/public/villages/{self.village()}/board",
                        name="/api/deliberation/public/villages/[code]/board")

    @task(1)
    def legal(self) -> None:
        self.page(f"/legal/village/{self.village()}/", name="/legal/village/[code]/")

    @task(1)
    def open311_services(self) -> None:
        self.client.get("/open311/v2/services.json")

    @task(1)
    def open311_status(self) -> None:
        ids = FIXTURE["public_requests"]
        if ids:
            self.client.get(f"/open311/v2/requests.json?service_request_id={random.choice(ids)}",
                            name="/open311/v2/requests.json?service_request_id=[id]")

    @task(1)
    def open311_file(self) -> None:
        with self.client.post("/open311/v2/requests.json", name="/open311/v2/requests.json",
                              catch_response=True, data={
                                  "api_key": FIXTURE["open311_key"],
                                  "service_code": random.choice(FIXTURE["categories"]),
                                  "address_id": random.choice(FIXTURE["grids"]),
                                  "description": "负载测试：村道积水，请处理。"}) as response:
            if response.status_code not in (200, 201):
                response.failure(f"status {response.status_code}: {(response.text or '')[:200]}")


class TownshipStaff(_Visitor):
    weight = 5
    persona = "township"

    @task(2)
    def home(self) -> None:
        self.page("/")

    @task(2)
    def requests(self) -> None:
        self.page("/requests/")

    @task(2)
    def request(self) -> None:
        self.request_page()

    @task(2)
    def disputes(self) -> None:
        self.page("/disputes/")

    @task(1)
    def dispute(self) -> None:
        self.dispute_page()

    @task(1)
    def stats(self) -> None:
        self.page("/requests/stats/")

    @task(1)
    def dashboard(self) -> None:
        self.page("/command/")


class DepartmentStaff(_Visitor):
    weight = 3
    persona = "department"

    @task(1)
    def home(self) -> None:
        self.page("/")

    @task(3)
    def requests(self) -> None:
        self.page("/requests/")

    @task(3)
    def request(self) -> None:
        self.request_page()


class CountyStaff(_Visitor):
    weight = 3
    persona = "county"

    @task(1)
    def home(self) -> None:
        self.page("/")

    @task(3)
    def dashboard(self) -> None:
        self.page("/command/")

    @task(2)
    def wall(self) -> None:
        self.page("/command/wall.json")

    @task(1)
    def request_stats(self) -> None:
        self.page("/requests/stats/")

    @task(1)
    def dispute_stats(self) -> None:
        self.page("/disputes/stats/")
