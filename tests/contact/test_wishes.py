"""Dual registration and micro-wishes (双报到、微心愿): units and in-service members register
with a community and see its needs; a resident (or a grid worker for them) posts a wish; one
member or unit claims it (the database allows one claimer; a race has one winner); it is
fulfilled with a note or a photo and thanked by the resident."""

from __future__ import annotations

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.test import Client

from shanzhi.contact import services
from shanzhi.contact.models import MemberRegistration, MicroWish, Unit
from shanzhi.core import access
from shanzhi.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from shanzhi.core.models import StateChange
from shanzhi.people.models import PartyMember, PartyOrganisation
from tests import factories
from tests.contact.conftest import image_bytes


@pytest.fixture
def registered(county, party):
    """The county finance bureau (a unit with its branch and a liaison) and one of its
    in-service members, both registered with 张湾村."""
    village = county.villages[0]
    bureau_branch = PartyOrganisation.objects.create(name="县财政局机关党支部", kind=PartyOrganisation.Kind.BRANCH,
                                                     region=county.county, region_path=county.county.path)
    liaison = factories.user("u_liaison", full_name="财政局联络员")
    unit = services.unit_create(actor=county.users["county_staff"], region=county.county, name="华池县财政局",
                                kind="agency", party_organisation=bureau_branch, contact_phone="09345123456")
    Unit.objects.filter(pk=unit.pk).update(liaison=liaison)
    unit.refresh_from_db()
    qian_user = factories.user("u_qian", full_name="钱在职党员")
    qian = PartyMember.objects.create(name="钱在职党员", organisation=bureau_branch, user=qian_user,
                                      region_path=county.county.path)
    return {"unit": unit, "liaison": liaison, "qian": qian, "qian_user": qian_user, "village": village}


def fresh(user):
    """The account as a new request loads it (a viewer's grants are cached on the object)."""
    return type(user).objects.get(pk=user.pk)


def _client(user):
    c = Client()
    c.force_login(user)
    return c


@pytest.mark.django_db
def test_registration_gives_sight_of_the_communitys_needs(county, party, registered):
    village, qian_user = registered["village"], registered["qian_user"]
    wish = services.wish_post(actor=county.users["resident"], household=county.households[0], title="想要一副老花镜",
                              category="health")
    assert not wish.posted_for
    assert wish.resident.account == county.users["resident"]
    # Before registering, the in-service member sees nothing of 张湾村.
    assert _client(qian_user).get(f"/api/wishes/{wish.pk}").status_code == 404
    r = _client(qian_user).post("/api/contact/member-registrations", {"community": village.code},
                                content_type="application/json")
    assert r.status_code == 201, r.content
    assert _client(qian_user).get("/api/wishes?state=open").json()["count"] == 1
    # A second community at once is refused; the unit registers through the community's staff.
    r = _client(qian_user).post("/api/contact/member-registrations", {"community": county.villages[1].code},
                                content_type="application/json")
    assert r.status_code == 409
    assert MemberRegistration.objects.count() == 1
    r = _client(county.users["chief_grid_leader"]).post(
        f"/api/contact/units/{registered['unit'].pk}/registrations", {"community": village.code},
        content_type="application/json")
    assert r.status_code == 403
    r = _client(county.users["village_secretary"]).post(f"/api/contact/units/{registered['unit'].pk}/registrations",
                                                        {"community": village.code, "pledge": "每月一次助老服务"},
                                                        content_type="application/json")
    assert r.status_code == 201, r.content
    r = _client(county.users["village_secretary"]).post(f"/api/contact/units/{registered['unit'].pk}/registrations",
                                                        {"community": village.code}, content_type="application/json")
    assert r.status_code == 409
    assert _client(registered["liaison"]).get("/api/wishes").json()["count"] == 1
    units = _client(county.users["village_secretary"]).get("/api/contact/units").json()["items"]
    assert units[0]["contact_phone"] != "09345123456"
    assert units[0]["communities"] == 1


@pytest.mark.django_db
def test_the_whole_wish_by_api(county, party, registered, media):
    village = registered["village"]
    services.unit_register(actor=county.users["village_secretary"], unit=registered["unit"], community=village)
    grid = _client(county.users["grid_worker"])
    home = county.households[2]
    r = grid.post("/api/wishes", {"title": "帮忙修理漏雨的屋顶", "category": "repair", "household_id": home.pk},
                  content_type="application/json")
    assert r.status_code == 201, r.content
    wish = r.json()
    assert wish["state"] == "open"
    assert wish["posted_for"] is True
    pk = wish["id"]
    # 李 (a member of the village) claims; the unit, a moment later, is told it is taken.
    r = _client(party.li_user).post(f"/api/wishes/{pk}/claim", {}, content_type="application/json")
    assert r.status_code == 200
    assert r.json()["claimer"] == party.li.name
    r = _client(registered["liaison"]).post(f"/api/wishes/{pk}/claim", {"unit_id": registered["unit"].pk},
                                            content_type="application/json")
    assert r.status_code == 409
    assert party.li.name in r.json()["message"]
    row = MicroWish.objects.get(pk=pk)
    assert (row.claimed_member_id, row.claimed_unit_id, row.claimed_by_id) == (party.li.pk, None, party.li_user.pk)
    # Only the claimer fulfils, with a note or a photo.
    r = _client(party.wang_user).post(f"/api/wishes/{pk}/fulfil", {"note": "修好了"})
    assert r.status_code == 403
    r = _client(party.li_user).post(f"/api/wishes/{pk}/fulfil", {})
    assert r.status_code == 422
    assert "note" in r.json()["fields"]
    r = _client(party.li_user).post(f"/api/wishes/{pk}/fulfil",
                                    {"photo": SimpleUploadedFile("roof.png", image_bytes("PNG"))})
    assert r.status_code == 200
    assert r.json()["state"] == "fulfilled"
    photo = _client(party.li_user).get(r.json()["photo_url"])
    assert photo.status_code == 200
    assert photo["Content-Type"] == "image/png"
    # The household says thank you (its resident, or the grid worker for them).
    r = grid.post(f"/api/wishes/{pk}/thank", {"note": "谢谢党员同志"}, content_type="application/json")
    assert r.status_code == 200
    assert r.json()["state"] == "thanked"
    assert list(StateChange.objects.filter(object_id=pk, workflow="wish").values_list("transition", flat=True)) == [
        "create", "claim", "fulfil", "thank"]


@pytest.mark.django_db
def test_units_claim_through_their_liaison_when_registered(county, party, registered):
    wish = services.wish_post(actor=county.users["resident"], household=county.households[0], title="辅导孩子功课",
                              category="study")
    with pytest.raises(NotFound):  # the unit is not registered with 张湾村 yet: its liaison sees nothing there
        services.wish_claim(actor=registered["liaison"], wish=wish, unit=registered["unit"])
    services.unit_register(actor=county.users["village_secretary"], unit=registered["unit"],
                           community=registered["village"])
    with pytest.raises(PermissionDenied):  # a member who is not the unit's liaison
        services.wish_claim(actor=party.wang_user, wish=wish, unit=registered["unit"])
    liaison = fresh(registered["liaison"])  # a new request: the grants of the registration
    services.wish_claim(actor=liaison, wish=wish, unit=registered["unit"])
    wish.refresh_from_db()
    assert wish.claimed_unit_id == registered["unit"].pk
    assert wish.claimed_member_id is None
    services.wish_release(actor=liaison, wish=wish, reason="人手不足")
    wish.refresh_from_db()
    assert (wish.state, wish.claimed_unit_id, wish.claimed_by_id) == ("open", None, None)
    # The resident withdraws an open wish; it cannot be claimed any more.
    services.wish_withdraw(actor=county.users["resident"], wish=wish, reason="已自行解决")
    with pytest.raises(ValidationError):
        services.wish_claim(actor=party.wang_user, wish=wish)


@pytest.mark.django_db
def test_the_database_holds_one_claimer(county, party, registered):
    wish = services.wish_post(actor=county.users["resident"], household=county.households[0], title="买米",
                              category="daily")
    services.wish_claim(actor=party.wang_user, wish=wish)
    with pytest.raises(IntegrityError), transaction.atomic():
        MicroWish.objects.filter(pk=wish.pk).update(claimed_unit=registered["unit"])
    with pytest.raises(IntegrityError), transaction.atomic():
        MicroWish.objects.filter(pk=wish.pk).update(claimed_member=None)
    with pytest.raises(Conflict):
        services.wish_claim(actor=party.li_user, wish=MicroWish.objects.get(pk=wish.pk))


@pytest.mark.django_db
def test_a_resident_or_outsider_cannot_claim(county, party, registered):
    wish = services.wish_post(actor=county.users["resident"], household=county.households[0], title="陪老人聊天",
                              category="company")
    r = _client(county.users["resident"]).post(f"/api/wishes/{wish.pk}/claim", {}, content_type="application/json")
    assert r.status_code == 403
    r = _client(party.zhao_user).post(f"/api/wishes/{wish.pk}/claim", {}, content_type="application/json")
    assert r.status_code == 404
    assert MicroWish.objects.get(pk=wish.pk).state == "open"


@pytest.mark.django_db
def test_wish_pages(county, party, registered):
    resident = _client(county.users["resident"])
    assert resident.get("/contact/wishes/new/").status_code == 200
    r = resident.post("/contact/wishes/new/", {"title": "想要一辆轮椅", "category": "health"})
    assert r.status_code == 302
    wish = MicroWish.objects.get()
    member = _client(party.wang_user)
    page = member.get(f"/contact/wishes/{wish.pk}/").content.decode()
    assert f"/contact/wishes/{wish.pk}/claim/" in page
    assert member.post(f"/contact/wishes/{wish.pk}/claim/").status_code == 302
    again = _client(party.li_user).post(f"/contact/wishes/{wish.pk}/claim/")
    assert again.status_code == 409
    assert party.wang.name in again.content.decode()
    assert member.post(f"/contact/wishes/{wish.pk}/fulfil/", {"note": "已送到家"}).status_code == 302
    assert resident.post(f"/contact/wishes/{wish.pk}/thank/", {"note": "谢谢"}).status_code == 302
    assert MicroWish.objects.get().state == "thanked"
    secretary = _client(county.users["village_secretary"])
    community = secretary.get(f"/contact/community/?region={registered['village'].code}")
    assert community.status_code == 200


@pytest.fixture
def shared_db(transactional_db):
    from tests.core.conftest import in_memory_sqlite

    if in_memory_sqlite():
        pytest.skip("needs a test database file other connections can share")


def test_many_claim_at_once_one_wins(shared_db, county, party, registered):
    """Four people press "take it up" at the same moment, each through their own connection:
    one claim is written, the others answer 409 and write nothing."""
    village = registered["village"]
    services.unit_register(actor=county.users["village_secretary"], unit=registered["unit"], community=village)
    services.member_register(actor=registered["qian_user"], member=registered["qian"], community=village)
    wish = services.wish_post(actor=county.users["resident"], household=county.households[0], title="修自行车",
                              category="repair")
    claimers = [(party.wang_user, {}), (party.li_user, {}), (registered["qian_user"], {}),
                (registered["liaison"], {"unit_id": registered["unit"].pk})]
    for user, _body in claimers:
        assert access.can(fresh(user), "wish.claim", wish)
    barrier = threading.Barrier(len(claimers))
    results: list = [None] * len(claimers)

    def run(i):
        user, body = claimers[i]
        try:
            client = Client()
            client.force_login(user)
            barrier.wait(timeout=20)
            r = client.post(f"/api/wishes/{wish.pk}/claim", body, content_type="application/json")
            results[i] = (r.status_code, r.json())
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(claimers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    statuses = sorted(status for status, _ in results)
    assert statuses == [200, 409, 409, 409], results
    row = MicroWish.objects.get(pk=wish.pk)
    winner = next(i for i, (status, _) in enumerate(results) if status == 200)
    assert row.state == "claimed"
    assert row.claimed_by_id == claimers[winner][0].pk
    assert (row.claimed_member_id is None) != (row.claimed_unit_id is None)
    assert StateChange.objects.filter(object_id=wish.pk, workflow="wish", transition="claim").count() == 1
