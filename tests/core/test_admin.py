"""The back office: Django admin inside the one permission mechanism."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from shanzhi.core import audit, idnumbers
from shanzhi.core.admin import ScopedModelAdmin
from shanzhi.core.models import AuditEvent
from shanzhi.people.models import Department, Position, User
from shanzhi.regions.models import Household, Region, Resident


def staff(user: User) -> User:
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


def changelist(client, model) -> object:
    response = client.get(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"))
    assert response.status_code == 200, response.status_code
    return response


def test_every_model_of_core_regions_and_people_is_registered_scoped():
    from django.apps import apps

    for label in ("core", "regions", "people"):
        for model in apps.get_app_config(label).get_models():
            assert model in admin.site._registry, model
            assert isinstance(admin.site._registry[model], ScopedModelAdmin), model


def test_only_staff_enter_the_admin(county, login):
    client = login(county.users["grid_worker"])  # not is_staff
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    staff(county.users["grid_worker"])
    assert client.get("/admin/").status_code == 200


def test_a_staff_grid_worker_sees_only_their_grid(county, login):
    client = login(staff(county.users["grid_worker"]))
    grid = county.grid("621023100201001")
    response = changelist(client, Household)
    shown = {h.pk for h in response.context["cl"].result_list}
    assert shown == {h.pk for h in county.households_in(grid)}
    # Another grid's household reads as missing, not forbidden.
    elsewhere = county.households_in(county.grid("621023101201001"))[0]
    url = reverse("admin:regions_household_change", args=[elsewhere.pk])
    response = client.get(url)
    assert response.status_code == 302  # Django admin: "doesn't exist, perhaps it was deleted?"
    assert client.get(url, follow=True).status_code == 200


def test_the_index_lists_only_what_the_viewer_may_see(county, login):
    client = login(staff(county.users["grid_worker"]))
    response = client.get("/admin/")
    models = {m["object_name"] for app in response.context["app_list"] for m in app["models"]}
    assert {"Region", "Household", "Resident", "Department", "Position"} <= models
    assert not models & {"User", "AuditEvent", "StateChange", "Notification", "JobLease", "ApiToken"}
    assert client.get(reverse("admin:people_user_changelist")).status_code == 403


def test_change_permission_follows_access_can(county, login):
    """A grid worker keeps the roster of their grid: may edit its households' addresses,
    not a region's name; a township clerk may rename a region of their township."""
    worker = staff(county.users["grid_worker"])
    client = login(worker)
    home = county.households_in(county.grid("621023100201001"))[0]
    url = reverse("admin:regions_household_change", args=[home.pk])
    response = client.post(url, {"address": "张湾村新址1号"})
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    home.refresh_from_db()
    assert home.address == "张湾村新址1号"
    entry = AuditEvent.objects.get(action="household.admin_change")
    assert entry.actor == worker
    assert entry.detail["changes"]["address"][1] == "张湾村新址1号"
    village = county.villages[0]
    response = client.post(reverse("admin:regions_region_change", args=[village.pk]), {"name": "改名村"})
    assert response.status_code == 403
    village.refresh_from_db()
    assert village.name == "张湾村"

    clerk = login(staff(county.users["township_staff"]))
    response = clerk.post(reverse("admin:regions_region_change", args=[village.pk]),
                          {"name": "张湾新村", "is_urban": "", "latitude": "", "longitude": ""})
    assert response.status_code == 302
    village.refresh_from_db()
    assert village.name == "张湾新村"
    assert village.code == "621023100201"  # read-only in the admin
    # Out of the clerk's township: not even visible.
    other = county.villages[2]
    assert clerk.get(reverse("admin:regions_region_change", args=[other.pk])).status_code == 302


def test_nobody_adds_or_deletes_map_records_in_the_admin(county, login):
    client = login(county.users["admin"])  # superuser-equivalent: the admin role
    staff(county.users["admin"])
    assert client.get(reverse("admin:regions_household_add")).status_code == 403
    household = county.households[0]
    assert client.post(reverse("admin:regions_household_delete", args=[household.pk]),
                       {"post": "yes"}).status_code == 403
    assert Household.objects.filter(pk=household.pk).exists()


def test_the_audit_log_is_read_only_even_for_a_superuser(county, login):
    root = User.objects.create_superuser("root", password="Gansu-Huachi-2026!")
    event = audit.record(actor=root, action="test.event")
    client = login(root)
    assert client.get(reverse("admin:core_auditevent_changelist")).status_code == 200
    change_url = reverse("admin:core_auditevent_change", args=[event.pk])
    page = client.get(change_url)
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert client.post(change_url, {"action": "test.rewritten"}).status_code == 403
    assert client.get(reverse("admin:core_auditevent_add")).status_code == 403
    assert client.post(reverse("admin:core_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    response = client.post(reverse("admin:core_auditevent_changelist"),
                           {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"})
    assert response.status_code in (200, 302)
    assert AuditEvent.objects.get(pk=event.pk).action == "test.event"


def test_the_audit_log_in_the_admin_is_scoped(county, login):
    inside = audit.record(actor=None, action="test.inside", region_path=county.townships[0].path)
    outside = audit.record(actor=None, action="test.outside", region_path=county.townships[1].path)
    client = login(staff(county.users["township_staff"]))
    shown = {e.pk for e in changelist(client, AuditEvent).context["cl"].result_list}
    assert inside.pk in shown
    assert outside.pk not in shown


def test_residents_are_listed_with_masked_id_and_phone(county, login):
    client = login(staff(county.users["grid_worker"]))
    resident = Resident.objects.filter(household=county.households[0]).first()
    response = changelist(client, Resident)
    html = response.content.decode()
    assert idnumbers.mask_id(resident.id_number) in html
    assert idnumbers.mask_phone(resident.phone) in html
    assert resident.id_number not in html
    assert resident.phone not in html
    detail = client.get(reverse("admin:regions_resident_change", args=[resident.pk])).content.decode()
    assert resident.id_number not in detail
    assert resident.phone not in detail
    assert idnumbers.mask_id(resident.id_number) in detail


def test_account_phones_are_masked_in_the_list(county, login):
    root = User.objects.create_superuser("root", password="Gansu-Huachi-2026!")
    resident_account = county.users["resident"]
    html = login(root).get(reverse("admin:people_user_changelist")).content.decode()
    assert idnumbers.mask_phone(resident_account.phone) in html
    assert resident_account.phone not in html


def test_department_staff_see_their_department_and_not_households(county, login):
    client = login(staff(county.users["department_staff"]))
    assert {d.pk for d in changelist(client, Department).context["cl"].result_list} >= {county.department.pk}
    assert client.get(reverse("admin:regions_household_changelist")).status_code == 403


def test_a_position_can_only_be_ended_and_the_database_checks_the_dates(county, login):
    clerk = login(staff(county.users["township_staff"]))
    position = Position.objects.get(user=county.users["grid_worker"])
    url = reverse("admin:people_position_change", args=[position.pk])
    refused = clerk.post(url, {"end_date": "2019-01-01"})  # before its start (2020-01-01)
    assert refused.status_code == 200  # the form again, with the error
    position.refresh_from_db()
    assert position.end_date is None
    ended = clerk.post(url, {"end_date": "2026-06-30", "role": "admin"})  # role is read-only: ignored
    assert ended.status_code == 302
    position.refresh_from_db()
    assert str(position.end_date) == "2026-06-30"
    assert position.role == "grid_worker"
    assert AuditEvent.objects.filter(action="position.admin_change").exists()


@pytest.mark.parametrize("model", [Region, Household, Resident, Department, Position, AuditEvent])
def test_changelists_do_not_grow_queries_with_rows(county, login, django_assert_max_num_queries, model):
    client = login(User.objects.create_superuser("root", password="Gansu-Huachi-2026!"))
    # A fixed ceiling, not a per-row cost: 13 since module rosters (access.GRANT_SOURCES, the
    # points duty roster) add one query per request to building the viewer.
    with django_assert_max_num_queries(13):
        changelist(client, model)
