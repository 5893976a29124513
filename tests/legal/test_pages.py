"""The pages, followed form by form as a person would: legal aid from application to
result; the justice office's education events and legal liaisons; the discipline
supervisors' reminder talks and community admission list."""

from __future__ import annotations

import pytest

from shanzhi.core.models import StateChange
from shanzhi.legal import services
from shanzhi.legal.models import (
    AdmissionItem,
    CommunityTask,
    EducationEvent,
    LegalAidApplication,
    Liaison,
    LiaisonActivity,
    ReminderTalk,
)
from shanzhi.regions.models import Resident
from tests.legal.forms import form, posts, submit

pytestmark = pytest.mark.django_db


def test_legal_aid_from_application_to_result_following_the_pages(legal, client):
    users = legal.users
    client.force_login(users["resident"])
    home = client.get("/legal/mine/")
    assert "/legal/apply/" in home.content.decode()
    r = submit(client, client.get("/legal/apply/"), matter_type="unpaid_wages", summary="包工头拖欠工资三个月",
               amount_claimed="12000", hardship_declared="on", hardship_statement="家中无其他收入")
    assert r.status_code == 302, r.content.decode()
    case = LegalAidApplication.objects.get()
    assert (case.state, case.amount_claimed_fen, case.hardship_declared) == ("submitted", 1200000, True)
    assert case.number in client.get("/legal/mine/").content.decode()

    client.force_login(users["township_staff"])
    queue = client.get("/legal/?queue=open").content.decode()
    assert f'href="/legal/{case.pk}/"' in queue
    detail = client.get(f"/legal/{case.pk}/")
    accept = form(detail, action_ends="/accept/")
    assert str(users["legal_adviser"].pk) in accept.options["lawyer_id"]
    r = submit(client, detail, action_ends="/accept/", lawyer_id=str(users["legal_adviser"].pk), note="符合条件")
    assert r.status_code == 302

    client.force_login(users["legal_adviser"])
    cases = client.get("/legal/cases/").content.decode()
    assert case.number in cases
    assert submit(client, client.get(f"/legal/{case.pk}/"), action_ends="/start/").status_code == 302
    assert submit(client, client.get(f"/legal/{case.pk}/"), action_ends="/step/", on="2026-01-05",
                  note="与用工方协商").status_code == 302
    r = submit(client, client.get(f"/legal/{case.pk}/"), action_ends="/conclude/", result="调解结案，全额追回",
               amount_recovered="12000")
    assert r.status_code == 302

    client.force_login(users["resident"])
    page = client.get(f"/legal/{case.pk}/").content.decode()
    assert "调解结案，全额追回" in page
    assert "与用工方协商" in page
    assert "12000.00" in page
    assert "in_progress" not in page  # the history in words, not workflow codes
    moves = list(StateChange.objects.filter(object_id=case.pk, workflow="legal_aid").order_by("id")
                 .values_list("to_state", flat=True))
    assert moves == ["submitted", "accepted", "in_progress", "concluded"]
    # Closed: no more forms to move it.
    assert not posts(client.get(f"/legal/{case.pk}/"))


def test_a_refused_step_shows_the_reason_and_changes_nothing(legal, client):
    users = legal.users
    client.force_login(users["resident"])
    submit(client, client.get("/legal/apply/"), matter_type="family", summary="离婚财产分割")
    case = LegalAidApplication.objects.get()
    client.force_login(users["township_staff"])
    r = submit(client, client.get(f"/legal/{case.pk}/"), action_ends="/reject/", reason=" ")
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.state == "submitted"
    # The lawyer is not yet assigned: the case is not theirs to see.
    client.force_login(users["legal_adviser"])
    assert client.get(f"/legal/{case.pk}/").status_code == 404
    assert case.number not in client.get("/legal/cases/").content.decode()


def test_education_events_are_recorded_and_listed(legal, client):
    client.force_login(legal.users["legal_adviser"])
    page = client.get("/legal/events/")
    village = legal.villages[0]
    assert form(page).options["region"] == ["", village.code]  # only the adviser's own village
    r = submit(client, page, region=village.code, kind="legal_fair", title="法治大集", held_on="2025-05-01",
               place="集市", organiser="司法所", attendance="300", materials="1000")
    assert r.status_code == 302
    event = EducationEvent.objects.get()
    assert (event.region_id, event.attendance, event.materials) == (village.pk, 300, 1000)
    listed = client.get("/legal/events/").content.decode()
    assert "法治大集" in listed
    assert "集市" in listed
    # Bad input: the form again with the reason (422), nothing written.
    r = submit(client, client.get("/legal/events/"), region=village.code, kind="legal_fair", title="x",
               held_on="2025-05-01", place="p", organiser="o", attendance="many")
    assert r.status_code == 422
    assert 'role="alert"' in r.content.decode()
    r = submit(client, client.get("/legal/events/"), region=legal.villages[2].code, kind="legal_fair", title="x",
               held_on="2025-05-01", place="p", organiser="o", attendance="1")
    assert r.status_code == 422
    assert EducationEvent.objects.count() == 1
    # The county sees it; a resident does not open the page.
    client.force_login(legal.users["county_staff"])
    assert "法治大集" in client.get("/legal/events/").content.decode()
    client.force_login(legal.users["resident"])
    assert client.get("/legal/events/").status_code == 403


def test_legal_liaisons_their_training_and_activities(legal, client):
    head = Resident.objects.get(household=legal.households[0], relation="head")
    client.force_login(legal.users["township_staff"])
    r = submit(client, client.get("/legal/liaisons/"), resident=str(head.pk), trained_on="2025-03-15",
               training_hours="16")
    assert r.status_code == 302
    liaison = Liaison.objects.get()
    assert (liaison.resident_id, liaison.training_hours) == (head.pk, 16)
    listed = client.get("/legal/liaisons/").content.decode()
    assert head.name in listed
    assert f"/legal/liaisons/{liaison.pk}/" in listed
    r = submit(client, client.get(f"/legal/liaisons/{liaison.pk}/"), held_on="2025-04-02",
               description="调解邻里纠纷", people_reached="5")
    assert r.status_code == 302
    assert LiaisonActivity.objects.get().people_reached == 5
    assert "调解邻里纠纷" in client.get(f"/legal/liaisons/{liaison.pk}/").content.decode()
    # The same resident twice, and a resident of another township: refused, nothing written.
    assert submit(client, client.get("/legal/liaisons/"), resident=str(head.pk), trained_on="2025-03-15",
                  training_hours="16").status_code == 422
    far = Resident.objects.filter(household__village=legal.villages[2]).first()
    assert submit(client, client.get("/legal/liaisons/"), resident=str(far.pk), trained_on="2025-03-15",
                  training_hours="16").status_code == 422
    assert Liaison.objects.count() == 1
    # Another township's staff does not see this liaison.
    other = services.liaison_add(actor=legal.users["county_staff"], resident=far, trained_on="2025-01-01",
                                 training_hours=8)
    assert client.get(f"/legal/liaisons/{other.pk}/").status_code == 404


def test_reminder_talks_are_recorded_and_counted(legal, client):
    client.force_login(legal.users["township_staff"])
    village = legal.villages[0]
    for stage in ("before", "during", "during", "after"):
        r = submit(client, client.get("/legal/talks/"), region=village.code, stage=stage, cadre_name="王某",
                   reason="工程发包", talked_by="镇纪委书记", held_on="2025-05-01", record="已当面提醒")
        assert r.status_code == 302, r.content.decode()
    assert ReminderTalk.objects.count() == 4
    page = client.get("/legal/talks/?start=2025-01-01&end=2025-12-31")
    text = page.content.decode()
    assert "镇纪委书记" in text
    assert list(page.context["figures"].items()) == [("before", 1), ("during", 2), ("after", 1)]
    r = submit(client, client.get("/legal/talks/"), region=village.code, stage="someday", cadre_name="王某",
               reason="r", talked_by="t", held_on="2025-05-01", record="x")
    assert r.status_code == 422
    assert ReminderTalk.objects.count() == 4
    # A village cadre sees the list but records none; a resident does not open it.
    client.force_login(legal.users["village_secretary"])
    page = client.get("/legal/talks/")
    assert page.status_code == 200
    assert "镇纪委书记" in page.content.decode()
    assert not posts(page)
    assert client.post("/legal/talks/", {"region": village.code, "stage": "before"}).status_code == 403
    client.force_login(legal.users["resident"])
    assert client.get("/legal/talks/").status_code == 403


def test_admission_list_and_flagged_tasks(legal, client):
    client.force_login(legal.users["county_staff"])
    r = submit(client, client.get("/legal/admission/"), has="basis", county=legal.county.code, title="人口普查协助",
               basis="县政府文件")
    assert r.status_code == 302
    item = AdmissionItem.objects.get()
    client.force_login(legal.users["township_staff"])
    page = client.get("/legal/admission/")
    assert "人口普查协助" in page.content.decode()
    assert "basis" not in [f for fm in posts(page) for f in fm.fields]  # the township does not keep the list
    village = legal.villages[1]
    assert submit(client, page, has="assigned_by", region=village.code, title="人口普查协助", assigned_by="县统计局",
                  assigned_on="2025-05-01", item=str(item.pk)).status_code == 302
    assert submit(client, client.get("/legal/admission/"), has="assigned_by", region=village.code,
                  title="招商引资指标", assigned_by="县商务局", assigned_on="2025-05-02", item="").status_code == 302
    assert dict(CommunityTask.objects.values_list("title", "flagged")) == {"人口普查协助": False, "招商引资指标": True}
    flagged = client.get("/legal/admission/?flagged=1").content.decode()
    assert "招商引资指标" in flagged
    assert "县统计局" not in flagged
    client.force_login(legal.users["county_staff"])
    assert "招商引资指标" in client.get("/legal/figures/?start=2025-01-01&end=2025-12-31").content.decode()
    # A task for a village outside the township: refused.
    client.force_login(legal.users["township_staff"])
    r = client.post("/legal/admission/", {"form": "task", "region": legal.villages[2].code, "title": "t",
                                          "assigned_by": "b", "assigned_on": "2025-05-01"})
    assert r.status_code == 422
    assert CommunityTask.objects.count() == 2


def test_power_list_kept_on_the_page_shows_on_the_public_page(legal, client):
    village = legal.villages[0]
    client.force_login(legal.users["village_secretary"])
    r = submit(client, client.get("/legal/lists/"), region=village.code, list="power", title="村级工程项目建设",
               legal_basis="《招标投标法》", steps="村两委提出方案\n村民代表会议表决\n\n验收并公开结算")
    assert r.status_code == 302
    assert "村民代表会议表决" in client.get("/legal/lists/").content.decode()
    assert submit(client, client.get("/legal/lists/"), region=village.code, list="power", title="x",
                  steps="").status_code == 422
    client.logout()
    public = client.get(f"/legal/village/{village.code}/").content.decode()
    assert public.index("村两委提出方案") < public.index("村民代表会议表决") < public.index("验收并公开结算")
