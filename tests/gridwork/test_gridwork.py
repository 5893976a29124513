"""Grid work: the day of a grid worker (tasks, visits due, key persons), the daily log under
the six duties, tasks set by the grid leader, the monthly assessment against the county's
indicators; by API and by page, in scope and out of it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shanzhi.contact import services as contact
from shanzhi.contact.models import Visit
from shanzhi.gridwork import selectors, services
from shanzhi.gridwork.models import Assessment, AssessmentScore, GridTask, Indicator, LogEntry
from shanzhi.regions.models import Resident, ResidentTag, Tag

pytestmark = pytest.mark.django_db


def _login(client, user):
    client.force_login(user)
    return client


def _log(client, grid, **extra):
    body = {"grid": grid.code, "duty": "errands", "summary": "代办低保年审材料", **extra}
    return client.post("/api/gridwork/log", body, content_type="application/json")


def test_the_daily_log_by_api(client, county):
    grid = county.grids[0]
    home = county.households_in(grid)[0]
    api = _login(client, county.users["grid_worker"])
    r = _log(api, grid, household_id=home.pk, minutes=40)
    assert r.status_code == 201, r.content
    assert r.json()["household_number"] == home.number
    assert r.json()["duty"] == "errands"
    entry = LogEntry.objects.get()
    assert (entry.worker, entry.region_path, entry.day) == (county.users["grid_worker"], grid.path,
                                                           timezone.localdate())
    # Bad input: a household of another grid, a duty that is not one of the six, a day ahead,
    # a grid outside the worker's scope. Nothing more is written.
    other = county.households_in(county.grids[1])[0]
    r = _log(api, grid, household_id=other.pk)
    assert r.status_code == 422
    assert "household_id" in r.json()["fields"]
    from shanzhi.core.errors import ValidationError

    with pytest.raises(ValidationError) as err:  # one they see, in another grid than the one logged
        services.log_write(actor=county.users["grid_worker"], grid=grid, duty="errands", summary="x",
                           household=county.households_in(county.grids[2])[0])
    assert "household" in err.value.fields
    assert _log(api, grid, duty="gossip").status_code == 422
    future = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    assert "day" in _log(api, grid, day=future).json()["fields"]
    r = _log(api, county.grids[4])
    assert r.status_code == 422
    assert "grid" in r.json()["fields"]
    assert LogEntry.objects.count() == 1
    # The village sees it; the grid next door does not; a resident gets nothing.
    assert _login(client, county.users["village_secretary"]).get("/api/gridwork/log").json()["count"] == 1
    assert _login(client, county.users["resident"]).get("/api/gridwork/log").json()["count"] == 0
    # Only the grid team logs.
    r = _log(_login(client, county.users["village_secretary"]), grid)
    assert r.status_code == 403


def test_tasks_set_by_the_grid_leader_are_done_by_a_log_entry(client, county):
    grid = county.grids[0]
    worker = county.users["grid_worker"]
    leader = _login(client, county.users["grid_leader"])
    r = leader.post("/api/gridwork/tasks", {"grid": grid.code, "duty": "key_persons", "title": "走访重点人员",
                                            "due_on": timezone.localdate().isoformat(), "worker_id": worker.pk},
                    content_type="application/json")
    assert r.status_code == 201, r.content
    task_id = r.json()["id"]
    r = leader.post("/api/gridwork/tasks", {"grid": grid.code, "duty": "errands", "title": "x",
                                            "due_on": timezone.localdate().isoformat(),
                                            "worker_id": county.users["county_staff"].pk},
                    content_type="application/json")
    assert r.status_code == 422
    assert "worker_id" in r.json()["fields"]
    api = _login(client, worker)
    today = api.get("/api/gridwork/today").json()
    assert [t["id"] for t in today["tasks"]] == [task_id]
    assert _log(api, grid, duty="key_persons", task_id=task_id).status_code == 201
    assert GridTask.objects.get(pk=task_id).state == "done"
    r = _log(api, grid, duty="key_persons", task_id=task_id)
    assert r.status_code == 409
    assert LogEntry.objects.count() == 1
    assert api.get("/api/gridwork/today").json()["tasks"] == []


def test_the_day_lists_visits_due_and_key_persons(client, county, party):
    grid = county.grids[0]
    homes = county.households_in(grid)
    contact.assignment_create(actor=county.users["village_secretary"], member=party.wang, households=homes[:1],
                              start_date=timezone.localdate() - dt.timedelta(days=60))
    key = Resident.objects.filter(household=homes[1]).first()
    ResidentTag.objects.create(resident=key, tag=Tag.KEY_PERSON)
    day = selectors.today(county.users["grid_worker"], grid)
    assert [a.household_id for a in day.visits_due] == [homes[0].pk]
    assert [r.pk for r in day.key_persons] == [key.pk]
    assert day.screening_filed is False
    services.log_write(actor=county.users["grid_worker"], grid=grid, duty="key_persons", summary="谈心",
                       household=homes[1])
    Visit.objects.create(member=party.wang, household=homes[0], village_id=homes[0].village_id,
                         region_path=homes[0].region_path, county_id=homes[0].county_id,
                         visited_on=timezone.localdate(), purpose="help")
    day = selectors.today(county.users["grid_worker"], grid)
    assert day.visits_due == []
    assert day.key_persons == []
    assert len(day.logged) == 1


def _scores(**overrides):
    base = {"dispute_screening": 18, "data_collection": 17, "event_reporting": 12, "errands": 14, "key_persons": 13,
            "legal_outreach": 10}
    return {**base, **overrides}


def test_the_monthly_assessment(client, county):
    grid = county.grids[0]
    worker = county.users["grid_worker"]
    month = timezone.localdate().replace(day=1).strftime("%Y-%m")
    services.log_write(actor=worker, grid=grid, duty="errands", summary="代办")
    api = _login(client, county.users["chief_grid_leader"])
    indicators = api.get(f"/api/gridwork/indicators?county={county.county.code}").json()
    assert sum(i["max_score"] for i in indicators) == 100
    assert len(indicators) == 6
    body = {"worker_id": worker.pk, "grid": grid.code, "month": month, "scores": _scores(dispute_screening=25)}
    r = api.post("/api/gridwork/assessments", body, content_type="application/json")
    assert r.status_code == 422
    assert "scores.dispute_screening" in r.json()["fields"]
    scores = _scores()
    del scores["errands"]
    r = api.post("/api/gridwork/assessments", {**body, "scores": scores}, content_type="application/json")
    assert r.status_code == 422
    assert "scores.errands" in r.json()["fields"]
    assert not Assessment.objects.exists()
    assert not AssessmentScore.objects.exists()
    r = api.post("/api/gridwork/assessments", {**body, "scores": _scores(), "comment": "排查认真"},
                 content_type="application/json")
    assert r.status_code == 201, r.content
    out = r.json()
    assert (out["total"], out["full_marks"], out["published"]) == (84, 100, False)
    assert out["figures"]["by_duty"]["errands"] == 1
    pk = out["id"]
    # The worker does not see a draft; a grid worker does not assess; nobody assesses themselves.
    assert _login(client, worker).get(f"/api/gridwork/assessments/{pk}").status_code == 404
    r = _login(client, county.users["grid_leader"]).post("/api/gridwork/assessments", body,
                                                         content_type="application/json")
    assert r.status_code == 403
    r = _login(client, county.users["chief_grid_leader"]).post(
        "/api/gridwork/assessments", {**body, "scores": _scores(errands=15), "publish": True},
        content_type="application/json")
    assert r.status_code == 201
    assert r.json()["total"] == 85
    assert r.json()["published"]
    mine = _login(client, worker).get(f"/api/gridwork/assessments/{pk}").json()
    assert mine["total"] == 85
    assert len(mine["scores"]) == 6
    r = _login(client, county.users["village_secretary"]).post("/api/gridwork/assessments", body,
                                                               content_type="application/json")
    assert r.status_code == 422  # published: final
    assert Indicator.objects.filter(county=county.county).count() == 6


def test_the_county_sets_its_indicators(county):
    indicator = services.indicator_save(actor=county.users["county_staff"], county=county.county,
                                        code="dispute_screening", name="矛盾纠纷排查化解", max_score=30)
    assert indicator.max_score == 30
    assert sum(i.max_score for i in services.indicators_for(county.county.pk)) == 110
    from shanzhi.core.errors import NotFound, PermissionDenied

    with pytest.raises((PermissionDenied, NotFound)):
        services.indicator_save(actor=county.users["village_secretary"], county=county.county, code="x", name="x",
                                max_score=5)


def test_gridwork_pages(client, county, party):
    worker = _login(client, county.users["grid_worker"])
    page = worker.get("/gridwork/")
    assert page.status_code == 200
    assert county.grids[0].name in page.content.decode()
    r = worker.post("/gridwork/", {"grid": county.grids[0].code, "duty": "legal_outreach",
                                   "summary": "宣传防电信诈骗", "day": timezone.localdate().isoformat()})
    assert r.status_code == 302
    r = worker.post("/gridwork/", {"grid": county.grids[0].code, "duty": "legal_outreach", "summary": "",
                                   "day": timezone.localdate().isoformat()})
    assert r.status_code == 422
    assert "宣传防电信诈骗" in worker.get("/gridwork/log/").content.decode()
    leader = _login(client, county.users["grid_leader"])
    assert leader.get(f"/gridwork/tasks/new/?grid={county.grids[0].code}").status_code == 200
    chief = _login(client, county.users["chief_grid_leader"])
    listing = chief.get("/gridwork/assessments/").content.decode()
    assert county.users["grid_worker"].get_full_name() in listing
    month = timezone.localdate().strftime("%Y-%m")
    url = (f"/gridwork/assessments/score/?worker={county.users['grid_worker'].pk}&grid={county.grids[0].code}"
           f"&month={month}")
    assert chief.get(url).status_code == 200
    data = {f"score_{k}": v for k, v in _scores().items()}
    r = chief.post(url, {**data, "worker": county.users["grid_worker"].pk, "grid": county.grids[0].code,
                         "month": month, "comment": ""})
    assert r.status_code == 302
    assert Assessment.objects.get().total == 84
    assert _login(client, county.users["resident"]).get("/gridwork/").status_code == 404
