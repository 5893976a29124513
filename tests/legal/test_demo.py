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
        assert {c.work_phone[:5] for c in contacts if c.name.endswith(("法律顾问", "驻村民警"))} == {"0932-"}
        assert PowerItem.objects.filter(region=village).count() == 5
        assert client.get(f"/legal/village/{village.code}/").status_code == 200
    stages = dict(ReminderTalk.objects.values_list("stage").annotate(n=Count("id")))
    assert stages["during"] >= stages["after"]
    concluded = LegalAidApplication.objects.filter(state="concluded")
    assert all(c.lawyer_id for c in concluded)
