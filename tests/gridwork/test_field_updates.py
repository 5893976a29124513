"""Data updates from the field: reported by the grid team (or a Party member from a visit),
nothing on the map changes until the village approves, then the change is made through the
map's own services and audited; bad reports are refused when made."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shanzhi.core.models import AuditEvent
from shanzhi.gridwork import services
from shanzhi.gridwork.models import FieldUpdate
from shanzhi.regions.models import Resident

pytestmark = pytest.mark.django_db


def _api(client, user):
    client.force_login(user)
    return client


def _report(client, household, kind, data, **extra):
    return client.post("/api/gridwork/updates", {"household_id": household.pk, "kind": kind, "data": data, **extra},
                       content_type="application/json")


def test_a_new_born_is_added_only_when_the_village_approves(client, county):
    home = county.households[2]
    before = Resident.objects.filter(household=home).count()
    born = (timezone.localdate() - dt.timedelta(days=20)).isoformat()
    r = _report(_api(client, county.users["grid_worker"]), home, "birth",
                {"name": "张小宝", "gender": "M", "birth_date": born, "relation": "grandson"})
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    assert r.json()["state"] == "pending"
    assert Resident.objects.filter(household=home).count() == before  # the map waits for the review
    # The grid worker cannot approve their own (nor anyone's); the village does.
    r = _api(client, county.users["grid_worker"]).post(f"/api/gridwork/updates/{pk}/approve", {},
                                                       content_type="application/json")
    assert r.status_code == 403
    r = _api(client, county.users["village_committee"]).post(f"/api/gridwork/updates/{pk}/approve",
                                                             {"note": "核实无误"}, content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "approved"
    baby = Resident.objects.get(household=home, name="张小宝")
    assert r.json()["created_resident_id"] == baby.pk
    assert baby.relation == "grandson"
    assert AuditEvent.objects.filter(action="resident.create", target_id=str(baby.pk),
                                     actor=county.users["village_committee"]).exists()
    assert AuditEvent.objects.filter(action="field_update.approve", target_id=str(pk)).exists()
    r = _api(client, county.users["village_secretary"]).post(f"/api/gridwork/updates/{pk}/approve", {},
                                                             content_type="application/json")
    assert r.status_code == 409
    assert Resident.objects.filter(household=home, name="张小宝").count() == 1


def test_phone_death_and_move(county):
    home = county.households[0]
    spouse = home.members.get(relation="spouse")
    son = home.members.get(relation="son")
    head = home.members.get(relation="head")
    worker, reviewer = county.users["grid_worker"], county.users["village_secretary"]
    phone = services.update_report(actor=worker, household=home, kind="phone", resident=head,
                                   data={"phone": "13912345678"})
    death = services.update_report(actor=worker, household=home, kind="death", resident=spouse,
                                   data={"died_on": timezone.localdate().isoformat()})
    target = county.households[5]
    move = services.update_report(actor=worker, household=home, kind="move", resident=son,
                                  data={"to_household": target.number, "relation": "son_in_law", "reason": "入赘"})
    for update in (phone, death, move):
        services.update_approve(actor=reviewer, update=update)
    head.refresh_from_db()
    spouse.refresh_from_db()
    son.refresh_from_db()
    assert head.phone == "13912345678"
    assert spouse.status == Resident.Status.DECEASED
    assert spouse.household_id == home.pk
    assert son.household_id == target.pk
    assert son.relation == "son_in_law"
    assert set(AuditEvent.objects.filter(actor=reviewer).values_list("action", flat=True)) >= {
        "resident.update", "resident.death", "resident.move"}


def test_bad_reports_are_refused_and_nothing_written(client, county):
    home = county.households[0]
    head = home.members.get(relation="head")
    api = _api(client, county.users["grid_worker"])
    cases = [
        ("phone", {"phone": "12"}, {"resident_id": head.pk}, "phone"),
        ("death", {"died_on": "2099-01-01"}, {"resident_id": head.pk}, "died_on"),
        ("birth", {"name": "", "gender": "M", "birth_date": timezone.localdate().isoformat()}, {}, "name"),
        ("birth", {"name": "老人", "gender": "M", "birth_date": "1950-01-01"}, {}, "birth_date"),
        ("move", {"to_household": "NO-SUCH"}, {"resident_id": head.pk}, "to_household"),
        ("phone", {"phone": "13900000000"}, {"resident_id": county.households[1].members.first().pk}, "resident_id"),
    ]
    for kind, data, extra, field in cases:
        r = _report(api, home, kind, data, **extra)
        assert r.status_code == 422, (kind, r.content)
        assert field in r.json()["fields"], (kind, r.json())
    # A household outside the worker's grids is not theirs to report on.
    r = _report(api, county.households_in(county.grids[4])[0], "phone", {"phone": "13900000000"})
    assert r.status_code == 422
    assert not FieldUpdate.objects.exists()
    # A second waiting report of the same kind for the same person waits for the first.
    assert _report(api, home, "phone", {"phone": "13900000001"}, resident_id=head.pk).status_code == 201
    r = _report(api, home, "phone", {"phone": "13900000002"}, resident_id=head.pk)
    assert r.status_code == 409
    assert FieldUpdate.objects.count() == 1


def test_a_party_member_reports_from_a_visit_and_the_village_rejects(client, county, party):
    home = county.households[0]
    head = home.members.get(relation="head")
    r = _report(_api(client, party.wang_user), home, "phone", {"phone": "13987654321"}, resident_id=head.pk)
    assert r.status_code == 201, r.content
    assert "*" in r.json()["data"]["phone"]  # the answer masks it
    pk = r.json()["id"]
    r = _api(client, county.users["village_secretary"]).post(f"/api/gridwork/updates/{pk}/reject", {"note": ""},
                                                             content_type="application/json")
    assert r.status_code == 422
    r = _api(client, county.users["village_secretary"]).post(f"/api/gridwork/updates/{pk}/reject",
                                                             {"note": "号码有误，请核实"},
                                                             content_type="application/json")
    assert r.json()["state"] == "rejected"
    head.refresh_from_db()
    assert head.phone != "13987654321"
    # The member sees their report; another village's member does not.
    assert _api(client, party.wang_user).get(f"/api/gridwork/updates/{pk}").status_code == 200
    assert _api(client, party.zhao_user).get(f"/api/gridwork/updates/{pk}").status_code == 404


def test_field_update_pages(client, county):
    home = county.households[0]
    head = home.members.get(relation="head")
    worker = _api(client, county.users["grid_worker"])
    assert worker.get("/gridwork/updates/new/").status_code == 200
    page = worker.get(f"/gridwork/updates/new/?household={home.pk}").content.decode()
    assert head.name in page
    r = worker.post("/gridwork/updates/new/", {"household": home.pk, "kind": "phone", "resident": head.pk,
                                               "phone": "13911112222"})
    assert r.status_code == 302
    update = FieldUpdate.objects.get()
    secretary = _api(client, county.users["village_secretary"])
    assert "13911112222" not in secretary.get(f"/gridwork/updates/{update.pk}/").content.decode()
    assert secretary.post(f"/gridwork/updates/{update.pk}/approve/", {"note": ""}).status_code == 302
    head.refresh_from_db()
    assert head.phone == "13911112222"
    listing = secretary.get("/gridwork/updates/?queue=all").content.decode()
    assert home.number in listing
