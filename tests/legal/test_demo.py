"""The demo builder: every village gets its adviser, police officer and lists; a second run
adds nothing; the public page shows the demo's staff."""

from __future__ import annotations

import random

import pytest
from django.db.models import Count

from shanzhi.legal import demo, selectors
from shanzhi.legal.models import LegalAidApplication, PowerItem, ReminderTalk

pytestmark = pytest.mark.django_db


def test_demo_fills_every_village_and_is_idempotent(county, client):
    written = demo.build_demo(county.county, random.Random(7))
    assert written == LegalAidApplication.objects.count() > 0
    assert demo.build_demo(county.county, random.Random(7)) == 0
    assert LegalAidApplication.objects.count() == written
    for village in county.villages:
        contacts = selectors.public_contacts(village)
        assert len(contacts) == 2
        assert {c.work_phone[:5] for c in contacts} == {"0932-"}
        assert PowerItem.objects.filter(region=village).count() == 5
        assert client.get(f"/legal/village/{village.code}/").status_code == 200
    stages = dict(ReminderTalk.objects.values_list("stage").annotate(n=Count("id")))
    assert stages["during"] >= stages["after"]
    concluded = LegalAidApplication.objects.filter(state="concluded")
    assert all(c.lawyer_id for c in concluded)


def test_demo_lawyer_and_police_accounts_log_in_and_get_the_village(county, client):
    """The demo's ``lawyer`` and ``police`` accounts (here the factory's adviser and officer of
    the first village, with a password) keep their village: the demo gives them the work
    profile and the village's cases instead of making accounts nobody can log in to."""
    from django.contrib.auth import get_user_model

    from tests.factories import PASSWORD

    lawyer, police = county.users["legal_adviser"], county.users["village_police"]
    village = county.villages[0]
    demo.build_demo(county.county, random.Random(3))
    assert not get_user_model().objects.filter(username__in=[f"legal_{village.code}", f"police_{village.code}"])
    assert get_user_model().objects.filter(username__startswith="legal_").count() == len(county.villages) - 1
    assert lawyer.legal_profile.work_phone.startswith("0932-")
    cases = LegalAidApplication.objects.filter(region=village, lawyer__isnull=False)
    assert cases.exists()
    assert set(cases.values_list("lawyer_id", flat=True)) == {lawyer.pk}
    phones = {c.work_phone for c in selectors.public_contacts(village)}
    assert phones == {lawyer.legal_profile.work_phone, police.legal_profile.work_phone}

    r = client.post("/login/", {"username": lawyer.username, "password": PASSWORD})
    assert r.status_code == 302, r.content.decode()
    page = client.get("/legal/cases/").content.decode()
    assert all(number in page for number in cases.values_list("number", flat=True))
    client.post("/logout/")
    assert client.post("/login/", {"username": police.username, "password": PASSWORD}).status_code == 302
    assert client.get("/legal/events/").status_code == 200
