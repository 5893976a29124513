"""Grid work (shanzhi/gridwork): the API and the pages.

Tasks, log entries and assessments belong to a grid, data updates to a household: the grid
team, the grid supervisors, the village and those above see them; residents, the legal and
police roles and the departments see none. The grid team logs and reports; the grid leader,
the supervisors and the village set tasks; the village reviews data updates; the
supervisors, the village and the township assess. A role's *inside* grid is its own (for a
village or township role, the first grid under it), the *outside* one the nearest it does
not work in.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from shanzhi.core import roles
from shanzhi.gridwork import services
from shanzhi.gridwork.models import Assessment, FieldUpdate, GridTask, LogEntry
from shanzhi.people.models import Role
from shanzhi.regions.models import Household, Region
from tests import factories
from tests.matrix import roles as R
from tests.matrix.registry import Entry, Grow, api, page
from tests.matrix.world import ANONYMOUS, SIGNED_IN, World, kind

VIEW = R.GRID_TEAM | R.GRID_SUPERVISORS | R.VILLAGE_CADRES | R.GOVERNMENT
LOG = R.GRID_TEAM
TASK = frozenset({"grid_leader"}) | R.GRID_SUPERVISORS | R.VILLAGE_CADRES
REVIEW = R.VILLAGE_CADRES
ASSESS = R.GRID_SUPERVISORS | R.VILLAGE_CADRES | frozenset({"township_staff"})
NOBODY_ELSE = frozenset(SIGNED_IN) - {"admin"}
LEGAL_AND_POLICE = R.names(roles.LEGAL_AND_POLICE)


def _forbidden(allowed: frozenset[str]) -> dict[str, int | str]:
    return dict.fromkeys(NOBODY_ELSE - allowed, 403)


def _who(role: str) -> str:
    return "grid_worker" if role == ANONYMOUS else role


def _grid(world: World, role: str, placement: str) -> Region:
    return world.grid_under(world.place(_who(role), placement))


def _admin(world: World) -> Any:
    return world.users["admin"]


def _worker(world: World, grid: Region) -> Any:
    """A grid worker of the grid (the world's own in the home grid)."""
    key = ("gridwork-worker", grid.pk)
    if key not in world.cache:
        if grid.code == factories.ROLE_HOMES[Role.GRID_WORKER]:
            world.cache[key] = world.users["grid_worker"]
        else:
            world.cache[key] = factories.user(f"gw_{grid.code}", role=Role.GRID_WORKER, region=grid)
    return world.cache[key]


@kind("gridwork_grid", params=lambda g: {"code": g.code}, key=lambda g: g.code, item_field="code",
      text=lambda g: g.name)
def _grid_kind(world: World, role: str, placement: str) -> Region:
    return _grid(world, role, placement)


@kind("grid_task", params=lambda t: {"task_id": t.pk, "pk": t.pk}, text=lambda t: t.title)
def _task_kind(world: World, role: str, placement: str) -> GridTask:
    grid = _grid(world, role, placement)
    key = ("gridwork-task", grid.pk)
    if key not in world.cache:
        world.cache[key] = services.task_create(actor=_admin(world), grid=grid, duty="errands",
                                                title=f"矩阵任务{grid.code}", due_on=timezone.localdate())
    return GridTask.objects.get(pk=world.cache[key].pk)


@kind("log_entry", params=lambda e: {"pk": e.pk}, text=lambda e: e.summary)
def _entry_kind(world: World, role: str, placement: str) -> LogEntry:
    grid = _grid(world, role, placement)
    key = ("gridwork-entry", grid.pk)
    if key not in world.cache:
        world.cache[key] = services.log_write(actor=_admin(world), grid=grid, duty="legal_outreach",
                                              summary=f"矩阵日志{grid.code}")
    return world.cache[key]


@kind("field_update", params=lambda u: {"update_id": u.pk, "pk": u.pk}, text=lambda u: u.household.number)
def _update_kind(world: World, role: str, placement: str) -> FieldUpdate:
    household = world.household(_who(role), placement)
    key = ("gridwork-update", household.pk)
    if key not in world.cache:
        world.cache[key] = services.update_report(actor=_admin(world), household=household, kind="phone",
                                                  resident=world.member(household), data={"phone": "13900000999"})
    return FieldUpdate.objects.select_related("household").get(pk=world.cache[key].pk)


@kind("grid_assessment", params=lambda a: {"assessment_id": a.pk, "pk": a.pk},
      text=lambda a: a.worker.get_full_name())
def _assessment_kind(world: World, role: str, placement: str) -> Assessment:
    grid = _grid(world, role, placement)
    key = ("gridwork-assessment", grid.pk)
    if key not in world.cache:
        scores = {i.code: i.max_score for i in services.indicators_for(grid.county_id)}
        world.cache[key] = services.assessment_save(actor=_admin(world), worker=_worker(world, grid), grid=grid,
                                                    month=timezone.localdate(), scores=scores, publish=True)
    return Assessment.objects.select_related("worker").get(pk=world.cache[key].pk)


def _grow_entries(world: World, n: int) -> None:
    for i in range(n):
        services.log_write(actor=_admin(world), grid=world.county.grids[0], duty="errands", summary=f"增长{i}")


def _grow_tasks(world: World, n: int) -> None:
    for i in range(n):
        services.task_create(actor=_admin(world), grid=world.county.grids[0], duty="errands", title=f"增长{i}",
                             due_on=timezone.localdate())


def _grow_updates(world: World, n: int) -> None:
    grid = world.county.grids[0]
    for _ in range(n):
        home = factories.household(grid, members=2)
        services.update_report(actor=_admin(world), household=home, kind="phone", resident=world.member(home),
                               data={"phone": "13900000998"})


def _grow_assessments(world: World, n: int) -> None:
    for i in range(n):
        grid = world.county.grids[i % len(world.county.grids)]
        worker = factories.user(f"gw_grow_{Assessment.objects.count()}_{i}", role=Role.GRID_WORKER, region=grid)
        scores = {x.code: 1 for x in services.indicators_for(grid.county_id)}
        services.assessment_save(actor=_admin(world), worker=worker, grid=grid, month=timezone.localdate(),
                                 scores=scores, publish=True)


def _month() -> str:
    return timezone.localdate().strftime("%Y-%m")


def _scores(grid: Region) -> dict[str, int]:
    return {i.code: 1 for i in services.indicators_for(grid.county_id)}


def _update_body(world: World, role: str, household: Household) -> dict[str, Any]:
    return {"household_id": household.pk, "kind": "phone", "resident_id": world.member(household).pk,
            "data": {"phone": "13900000997"}}


NAMED_GRID = {"resident": 422}  # a resident names no grid they may see

ENTRIES: list[Entry] = [
    api("GET", "/api/gridwork/duties"),
    api("GET", "/api/gridwork/today", kind="gridwork_grid", visible=VIEW, outside=422,
        query=lambda w, role, g: {"grid": g.code}, expect=NAMED_GRID),
    api("GET", "/api/gridwork/log", kind="log_entry", lists=True, visible=VIEW,
        items=lambda body: [{"id": i["id"]} for i in body["items"]], grow=Grow(_grow_entries)),
    api("POST", "/api/gridwork/log", kind="gridwork_grid", visible=VIEW, allowed=LOG, ok=201, outside=422,
        body=lambda w, role, g: {"grid": g.code, "duty": "errands", "summary": "矩阵"}, expect=NAMED_GRID),
    api("GET", "/api/gridwork/tasks", kind="grid_task", lists=True, visible=VIEW, grow=Grow(_grow_tasks)),
    api("POST", "/api/gridwork/tasks", kind="gridwork_grid", visible=VIEW, allowed=TASK, ok=201, outside=422,
        body=lambda w, role, g: {"grid": g.code, "duty": "key_persons", "title": "矩阵",
                                 "due_on": timezone.localdate().isoformat()}, expect=NAMED_GRID),
    api("POST", "/api/gridwork/tasks/{task_id}/cancel", kind="grid_task", visible=VIEW, allowed=TASK),
    api("GET", "/api/gridwork/updates", kind="field_update", lists=True, visible=VIEW, grow=Grow(_grow_updates)),
    api("POST", "/api/gridwork/updates", kind="household", visible=LOG, ok=201, hidden=422, outside=422,
        body=_update_body, note="the household is named in the body: only those who report find it"),
    api("GET", "/api/gridwork/updates/{update_id}", kind="field_update", visible=VIEW),
    api("POST", "/api/gridwork/updates/{update_id}/approve", kind="field_update", visible=VIEW, allowed=REVIEW),
    api("POST", "/api/gridwork/updates/{update_id}/reject", kind="field_update", visible=VIEW, allowed=REVIEW,
        body=lambda w, role, u: {"note": "矩阵"}),
    api("POST", "/api/gridwork/updates/{update_id}/withdraw", kind="field_update", visible=VIEW, allowed=frozenset(),
        note="only the reporter withdraws (here the administrator)"),
    api("GET", "/api/gridwork/indicators", query=lambda w, role, o: {"county": w.county.county.code},
        expect={"resident": 422}),
    api("GET", "/api/gridwork/assessments", kind="grid_assessment", lists=True, visible=VIEW,
        grow=Grow(_grow_assessments)),
    api("POST", "/api/gridwork/assessments", kind="gridwork_grid", visible=VIEW, allowed=ASSESS, ok=201, outside=422,
        body=lambda w, role, g: {"worker_id": _worker(w, g).pk, "grid": g.code, "month": _month(),
                                 "scores": _scores(g)}, expect=NAMED_GRID),
    api("GET", "/api/gridwork/assessments/{assessment_id}", kind="grid_assessment", visible=VIEW),
    api("GET", "/api/gridwork/figures", kind="gridwork_grid", visible=VIEW, allowed=ASSESS, outside=422,
        query=lambda w, role, g: {"worker_id": _worker(w, g).pk, "grid": g.code, "month": _month()},
        expect=NAMED_GRID),

    # -- pages ------------------------------------------------------------------------------------------
    page("gridwork:index", expect={**dict.fromkeys(VIEW - LOG, 302),
                                   **dict.fromkeys(["resident", "department_staff", *LEGAL_AND_POLICE], 404),
                                   "admin": 302},
         note="the day is the grid team's; others who see grid work go to the log"),
    page("gridwork:log", expect=_forbidden(VIEW)),
    page("gridwork:task_new", kind="gridwork_grid", visible=VIEW, allowed=LOG | TASK,
         query=lambda w, role, g: {"grid": g.code}),
    page("gridwork:task_cancel", method="POST", kind="grid_task", visible=VIEW, allowed=TASK, ok=302),
    page("gridwork:updates", expect=dict.fromkeys(["resident", "department_staff", *LEGAL_AND_POLICE], 404)),
    page("gridwork:update_new", expect=_forbidden(LOG)),
    page("gridwork:update", kind="field_update", visible=VIEW),
    page("gridwork:update_act", method="POST", kind="field_update", visible=VIEW, allowed=REVIEW, ok=302,
         params=lambda u: {"pk": u.pk, "step": "approve"}),
    page("gridwork:assessments", expect=_forbidden(VIEW)),
    page("gridwork:assessment_edit", kind="gridwork_grid", visible=ASSESS,
         query=lambda w, role, g: {"worker": _worker(w, g).pk, "grid": g.code, "month": _month()},
         expect=dict.fromkeys(NOBODY_ELSE - ASSESS, 403),
         note="roles that do not assess are refused before the grid is looked at"),
    page("gridwork:assessment", kind="grid_assessment", visible=VIEW),
]
