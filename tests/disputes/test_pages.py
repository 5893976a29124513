"""The pages, by the people who use them: the grid worker (screening, on the spot, follow-up
visits), the one-stop centre (intake, assessment, assignment with joint mediation), the
mediator (sessions, the agreement, signatures, printing), the supervisors (overdue,
escalated, statistics) and the resident (their own cases); the home card and the
household tab for each role, in and out of scope; and list pages whose number of queries
does not grow with their rows."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shanzhi.core.models import AuditEvent
from shanzhi.disputes import services
from shanzhi.disputes.models import (
    Agreement,
    Dispute,
    DisputeMediator,
    FollowUp,
    Participant,
    PetitionCase,
    ScreeningRecord,
)
from shanzhi.people.models import Role
from shanzhi.regions.models import Resident
from tests import factories

pytestmark = pytest.mark.django_db

def _today() -> str:
    return timezone.localdate().isoformat()


def _heads(c):
    a = Resident.objects.get(household=c.households[0], relation="head")
    b = Resident.objects.get(household=c.households[1], relation="head")
    return a, b


def _clue(c, *, who="grid_worker", household=None, parties=None, type_code="neighbours", summary="邻里纠纷"):
    a, b = _heads(c)
    return services.dispute_report(
        actor=c.users[who], source="resident", summary=summary, type_code=type_code,
        household=household or c.households[0],
        parties=parties if parties is not None else [{"resident_id": a.pk}, {"side": "respondent",
                                                                                "resident_id": b.pk}])


def _mediating(c, mediator):
    d = _clue(c)
    gw = c.users["grid_worker"]
    services.dispute_accept(actor=gw, dispute=d)
    services.dispute_assess(actor=gw, dispute=d, risk_level=1)
    services.dispute_assign(actor=gw, dispute=d, mediators=[mediator])
    services.session_record(actor=mediator, dispute=d, held_on=timezone.localdate(), place="调解室",
                            attendees="双方", record="陈述")
    return d


def _agreed(c, mediator):
    d = _mediating(c, mediator)
    draft = services.agreement_draft(actor=mediator, dispute=d, facts="事实", terms="条款")
    services.agreement_sign(actor=mediator, agreement=draft, signed_on=timezone.localdate(),
                            signatories=[p["name"] for p in draft.parties])
    d.refresh_from_db()
    return d, draft


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "white").save(buffer, format="PNG")
    return buffer.getvalue()


# -- the grid worker -------------------------------------------------------------------------------

def test_grid_worker_files_screening_by_page(dcounty, client):
    c = dcounty
    grid = c.grids[0]
    client.force_login(c.users["grid_worker"])
    page = client.get("/disputes/screening/")
    assert page.status_code == 200
    assert grid.code in page.content.decode()
    r = client.post("/disputes/screening/", {"grid": grid.code, "clues": "两户争水\n\n院墙排水纠纷", "note": ""})
    assert r.status_code == 302
    record = ScreeningRecord.objects.get(grid=grid)
    assert record.clues_found == 2
    assert sorted(record.disputes.values_list("summary", flat=True)) == ["两户争水", "院墙排水纠纷"]
    assert all(d.state == "clue" and d.source == "screening" for d in record.disputes.all())
    # The same week again: refused with the reason, nothing written.
    before = (ScreeningRecord.objects.count(), Dispute.objects.count(), AuditEvent.objects.count())
    again = client.post("/disputes/screening/", {"grid": grid.code, "clues": "", "note": "本周无"})
    assert again.status_code == 422
    assert "week" in again.context["errors"]["fields"]
    assert (ScreeningRecord.objects.count(), Dispute.objects.count(), AuditEvent.objects.count()) == before
    # A grid that is not theirs reads as unknown.
    r = client.post("/disputes/screening/", {"grid": c.grids[1].code, "clues": ""})
    assert r.status_code == 422
    assert "grid" in r.context["errors"]["fields"]
    assert not ScreeningRecord.objects.filter(grid=c.grids[1]).exists()


def test_grid_worker_settles_on_the_spot_by_page(dcounty, client, media):
    c = dcounty
    h = c.households[0]
    client.force_login(c.users["grid_worker"])
    assert client.get("/disputes/on-the-spot/").status_code == 200
    form = {"household": h.number, "type": "neighbours", "summary": "门前堆放柴草引发口角",
            "applicant_name": "赵大", "respondent_name": "钱二", "respondent_phone": "13900002222",
            "facts": "柴草堆放占道", "terms": "当日清理,互相道歉"}
    # Not signed: refused with the reason, nothing written.
    before = (Dispute.objects.count(), AuditEvent.objects.count())
    r = client.post("/disputes/on-the-spot/", form)
    assert r.status_code == 422
    assert "signatories" in r.context["errors"]["fields"]
    assert (Dispute.objects.count(), AuditEvent.objects.count()) == before
    r = client.post("/disputes/on-the-spot/", {**form, "signed": "1",
                                               "scan": SimpleUploadedFile("s.png", _png(), "image/png")})
    assert r.status_code == 302
    d = Dispute.objects.get()
    assert r["Location"] == f"/disputes/{d.pk}/"
    assert (d.state, d.on_the_spot, d.settled_level, d.level) == ("agreed", True, "village", "village")
    agreement = d.agreements.get()
    assert agreement.status == "signed"
    assert agreement.scan_type == "image/png"
    assert agreement.signatories == ["赵大", "钱二"]
    assert [v.after_days for v in d.follow_ups.order_by("due_at")] == [7, 30]
    detail = client.get(r["Location"]).content.decode()
    assert "13900002222" not in detail  # the phone is masked
    assert "139****2222" in detail

    # The follow-up visits by page: the first holds, the last closes the dispute.
    first, last = d.follow_ups.order_by("due_at")
    assert client.post(f"/disputes/{d.pk}/follow_up/", {"follow_up": first.pk, "holds": "yes"}).status_code == 302
    d.refresh_from_db()
    assert d.state == "agreed"
    # A visit finding it alive needs a note: refused with the reason, nothing written.
    r = client.post(f"/disputes/{d.pk}/follow_up/", {"follow_up": last.pk, "holds": "no", "note": ""}, follow=True)
    assert r.status_code == 200
    last.refresh_from_db()
    assert last.status == "pending"
    assert client.post(f"/disputes/{d.pk}/follow_up/", {"follow_up": "x"}, follow=True).status_code == 200
    assert client.post(f"/disputes/{d.pk}/follow_up/", {"follow_up": last.pk, "holds": "yes"}).status_code == 302
    d.refresh_from_db()
    assert d.state == "closed"


def test_grid_worker_reports_a_clue_by_page(dcounty, client):
    c = dcounty
    client.force_login(c.users["grid_worker"])
    assert client.get("/disputes/new/").status_code == 200
    r = client.post("/disputes/new/", {"source": "resident", "type": "marriage_family", "summary": "夫妻争吵",
                                       "household": c.households[0].number, "applicant_name": "甲",
                                       "respondent_name": "乙"})
    assert r.status_code == 302
    d = Dispute.objects.get()
    assert (d.state, d.type.code, d.parties.count()) == ("clue", "marriage_family", 2)
    # A household of another grid reads as unknown.
    before = Dispute.objects.count()
    other = c.households_in(c.grids[1])[0]
    r = client.post("/disputes/new/", {"source": "resident", "summary": "x", "household": other.number})
    assert r.status_code == 422
    assert "household" in r.context["errors"]["fields"]
    assert Dispute.objects.count() == before


# -- the one-stop centre ---------------------------------------------------------------------------

def test_the_township_centre_takes_in_assesses_and_assigns_with_joint_mediation(dcounty, client):
    c = dcounty
    township, mediator = c.users["township_staff"], c.users["mediator"]
    d = _clue(c, summary="承包地界纠纷", type_code="land_forest")
    # Nobody in the village accepted it in time: the sweep sends it up, still a clue.
    services.sweep(now=d.accept_due + dt.timedelta(minutes=1))
    d.refresh_from_db()
    assert (d.state, d.level) == ("clue", "township")
    client.force_login(township)
    intake = client.get("/disputes/?queue=intake").content.decode()
    assert f"#{d.number}" in intake
    assert client.post(f"/disputes/{d.pk}/accept/", {}).status_code == 302
    r = client.post(f"/disputes/{d.pk}/assess/", {"risk_level": "3", "urgency": "urgent", "risk_petition": "1",
                                                  "note": "涉及多户,有上访苗头"})
    assert r.status_code == 302
    detail = client.get(f"/disputes/{d.pk}/").content.decode()
    assert f'value="{mediator.pk}"' in detail  # the township's mediator can be chosen
    r = client.post(f"/disputes/{d.pk}/assign/", {"mediators": [mediator.pk], "participants": ["justice_office",
                                                                                               "police"]})
    assert r.status_code == 302
    d.refresh_from_db()
    assert (d.state, d.risk_level, d.risk_petition) == ("assigned", 3, True)
    assignment = DisputeMediator.objects.get(dispute=d)
    assert (assignment.user, assignment.level, assignment.lead) == (mediator, "township", True)
    assert sorted(Participant.objects.filter(dispute=d).values_list("kind", flat=True)) == ["justice_office",
                                                                                           "police"]
    # The village's grid worker no longer acts for the level, but still sees the dispute.
    client.force_login(c.users["grid_worker"])
    assert client.get(f"/disputes/{d.pk}/").status_code == 200
    assert client.post(f"/disputes/{d.pk}/withdraw/", {"note": "撤回"}).status_code == 403


# -- the mediator ----------------------------------------------------------------------------------

def test_mediator_records_sessions_drafts_signs_and_prints_by_page(dcounty, client, media):
    c = dcounty
    vm = c.users["village_mediator"]
    d = _clue(c)
    gw = c.users["grid_worker"]
    services.dispute_accept(actor=gw, dispute=d)
    services.dispute_assess(actor=gw, dispute=d, risk_level=2)
    services.dispute_assign(actor=gw, dispute=d, mediators=[vm])
    client.force_login(vm)
    assert f"#{d.number}" in client.get("/disputes/?queue=assigned").content.decode()
    r = client.post(f"/disputes/{d.pk}/session/", {"held_on": _today(), "place": "张湾村网格调解室",
                                                   "attendees": "双方当事人", "record": "各自陈述"})
    assert r.status_code == 302
    # A date that is no date: the message, nothing written.
    r = client.post(f"/disputes/{d.pk}/session/", {"held_on": "昨天", "place": "x", "attendees": "x",
                                                   "record": "x"}, follow=True)
    assert r.status_code == 200
    assert d.sessions.count() == 1
    d.refresh_from_db()
    assert d.state == "mediating"
    assert client.post(f"/disputes/{d.pk}/agreement/", {"facts": "边界不清", "terms": "以界石为准"}).status_code == 302
    draft = Agreement.objects.get(dispute=d)
    assert draft.status == "draft"
    # Signing without every party's signature: the message, still a draft.
    a, b = _heads(c)
    client.post(f"/disputes/{d.pk}/sign/", {"signed_on": _today(), "signatories": [a.name]})
    draft.refresh_from_db()
    assert draft.status == "draft"
    r = client.post(f"/disputes/{d.pk}/sign/", {"signed_on": _today(), "signatories": [a.name, b.name],
                                                "scan": SimpleUploadedFile("s.png", _png(), "image/png")})
    assert r.status_code == 302
    draft.refresh_from_db()
    assert (draft.status, draft.scan_type) == ("signed", "image/png")
    d.refresh_from_db()
    assert (d.state, d.settled_level) == ("agreed", "village")
    pdf = client.get(f"/disputes/agreements/{draft.pk}/pdf/")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    # Signing twice: the message, nothing changes.
    r = client.post(f"/disputes/{d.pk}/sign/", {"signed_on": _today(), "signatories": [a.name, b.name]})
    assert r.status_code == 302
    assert Agreement.objects.filter(dispute=d).count() == 1
    # A mediator not assigned to it: not found.
    client.force_login(c.users["mediator"])
    assert client.get(f"/disputes/{d.pk}/").status_code == 404
    assert client.get(f"/disputes/agreements/{draft.pk}/pdf/").status_code == 404


# -- the supervisors -------------------------------------------------------------------------------

def test_supervisors_see_overdue_escalated_and_statistics(dcounty, client):
    c = dcounty
    late = _clue(c, summary="逾期未受理")
    Dispute.objects.filter(pk=late.pk).update(accept_due=timezone.now() - dt.timedelta(hours=1),
                                              escalation_due=None)
    up = _clue(c, summary="升级到镇")
    services.dispute_accept(actor=c.users["grid_worker"], dispute=up)
    services.dispute_escalate(actor=c.users["grid_worker"], dispute=up, reason="村级调解未果")
    _agreed(c, c.users["village_mediator"])
    client.force_login(c.users["county_staff"])
    assert f"#{late.number}" in client.get("/disputes/?queue=overdue").content.decode()
    escalated = client.get("/disputes/?queue=escalated").content.decode()
    assert f"#{up.number}" in escalated
    assert f"#{late.number}" not in escalated
    stats = client.get("/disputes/stats/", {"by": "level", "period": "30"})
    assert stats.status_code == 200
    total = stats.context["total"]
    assert (total.count, total.settled, total.open) == (3, 1, 3)  # agreed: open until its follow-ups
    assert total.settled_count_at["village"] == 1
    assert "100.00%" in stats.content.decode()  # the six types' share: all three are neighbours' disputes
    assert client.get("/disputes/stats/", {"by": "nonsense", "period": "x"}).status_code == 200
    # A township sees its own; a grid leader sees the statistics of the grid; a grid worker none.
    client.force_login(c.users["grid_leader"])
    assert client.get("/disputes/stats/").context["total"].count == 3
    client.force_login(c.users["grid_worker"])
    assert client.get("/disputes/stats/").status_code == 403


# -- the resident ----------------------------------------------------------------------------------

def test_resident_sees_their_own_cases_and_agreements(dcounty, client):
    c = dcounty
    d, agreement = _agreed(c, c.users["village_mediator"])  # the resident (head of households[0]) is a party
    other = _clue(c, household=c.households[2], parties=[{"name": "孙某"}])
    resident = c.users["resident"]
    client.force_login(resident)
    index = client.get("/disputes/").content.decode()
    assert f"#{d.number}" in index
    assert f"#{other.number}" not in index
    detail = client.get(f"/disputes/{d.pk}/")
    assert detail.status_code == 200
    assert f"/disputes/agreements/{agreement.pk}/pdf/" in detail.content.decode()
    assert not detail.context["f"].sessions  # the mediation record is the staff's
    assert client.get(f"/disputes/agreements/{agreement.pk}/pdf/").status_code == 200
    assert client.get(f"/disputes/{other.pk}/").status_code == 404
    # No step is theirs to take.
    visit = d.follow_ups.order_by("due_at").first()
    assert client.post(f"/disputes/{d.pk}/follow_up/", {"follow_up": visit.pk, "holds": "yes"}).status_code == 403
    home = client.get("/").content.decode()
    assert 'id="card-disputes"' in home


# -- the home card and the household tab -----------------------------------------------------------

SEES = ["grid_worker", "grid_leader", "micro_grid_worker", "village_secretary", "chief_grid_leader",
        "township_staff", "county_staff", "admin", "resident"]
NOT_SEES = ["village_committee", "legal_adviser", "village_police", "grid_instructor", "mediator"]


def test_household_tab_follows_the_narrower_scope(dcounty, client):
    c = dcounty
    d = _clue(c, summary="家庭矛盾", type_code="marriage_family")
    h = c.households[0]
    for role in SEES:
        client.force_login(c.users[role])
        page = client.get(f"/households/{h.pk}/", {"tab": "disputes"})
        assert page.status_code == 200, role
        assert f"#{d.number}" in page.content.decode(), role
    for role in NOT_SEES:
        client.force_login(c.users[role])
        page = client.get(f"/households/{h.pk}/", {"tab": "disputes"})
        assert page.status_code == 200, role  # the household is theirs to see; its disputes are not
        assert f"#{d.number}" not in page.content.decode(), role
    # Outside: the grid worker of the other grid does not see this household at all.
    outsider = factories.user("u_gw2", role=Role.GRID_WORKER, region=c.grids[1])
    client.force_login(outsider)
    assert client.get(f"/households/{h.pk}/", {"tab": "disputes"}).status_code == 404


def test_home_card_by_role(dcounty, client):
    c = dcounty
    _clue(c)
    _mediating(c, c.users["village_mediator"])
    card = 'id="card-disputes"'
    client.force_login(c.users["grid_worker"])
    home = client.get("/")
    assert card in home.content.decode()
    grid_card = next(ctx for part, ctx in home.context["cards"] if part.key == "disputes")
    assert grid_card["counts"]["intake"] == 1  # the clue, waiting to be accepted
    assert grid_card["may_screen"]
    assert grid_card["may_spot"]
    client.force_login(c.users["village_mediator"])
    home = client.get("/")
    mine = next(ctx for part, ctx in home.context["cards"] if part.key == "disputes")
    assert mine["assigned"] == 1
    for role in ("village_committee", "legal_adviser", "grid_instructor", "mediator"):
        client.force_login(c.users[role])
        assert card not in client.get("/").content.decode(), role
    client.force_login(c.users["department_staff"])
    assert "/disputes/petitions/" in client.get("/").content.decode()  # petitions given to their unit


# -- lists do not grow their queries -------------------------------------------------------------------

def _queries(client, url, params=None) -> tuple[int, int]:
    client.get(url, params or {})
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200, response.content[:300]
    return len(ctx.captured_queries), len(response.content)


def _grow(c, n):
    gw = c.users["grid_worker"]
    for i in range(n):
        d = _clue(c, summary=f"纠纷{i}")
        services.dispute_accept(actor=gw, dispute=d)
        services.petition_register(actor=c.users["county_staff"], household=c.households[0], subject=f"信访{i}",
                                   matter="事项", petitioner_name="王某", units=[c.department],
                                   case_leader=c.users["county_staff"], disputes=[d])


@pytest.mark.parametrize(("who", "url", "params"), [
    ("county_staff", "/disputes/", {"queue": "open"}),
    ("county_staff", "/disputes/petitions/", {"queue": "all"}),
    ("county_staff", "/disputes/petitions/schedule/", {}),
    ("grid_worker", "/households/{h}/", {"tab": "disputes"}),
    ("county_staff", "/api/disputes", {"page_size": 200}),
    ("county_staff", "/api/petitions", {"page_size": 200}),
    ("county_staff", "/api/petitions/schedule", {}),
])
def test_list_queries_stay_flat(dcounty, client, who, url, params):
    c = dcounty
    url = url.format(h=c.households[0].pk)
    client.force_login(c.users[who])
    _grow(c, 3)
    small, small_size = _queries(client, url, params)
    _grow(c, 6)
    large, large_size = _queries(client, url, params)
    assert large_size > small_size  # the added rows are listed
    assert large == small, f"{url}: {small} queries for 3 rows, {large} for 9"


# -- petitions by page -----------------------------------------------------------------------------

def test_petition_by_page(dcounty, client):
    c = dcounty
    county_staff, resident = c.users["county_staff"], c.users["resident"]
    client.force_login(county_staff)
    assert client.get("/disputes/petitions/new/").status_code == 200
    form = {"petitioner_name": "王某", "household": c.households[0].number, "channel": "visit",
            "subject": "征地补偿", "matter": "补偿款未到位", "case_leader": c.users["township_staff"].pk,
            "units": [c.department.pk]}
    r = client.post("/disputes/petitions/new/", form)
    assert r.status_code == 302
    case = PetitionCase.objects.get()
    assert (case.case_leader, list(case.units.values_list("department", flat=True))) == (
        c.users["township_staff"], [c.department.pk])
    # A case leader who is no leader: refused with the reason, nothing written.
    r = client.post("/disputes/petitions/new/", {**form, "case_leader": c.users["grid_worker"].pk})
    assert r.status_code == 422
    assert "case_leader_id" in r.context["errors"]["fields"]
    r = client.post("/disputes/petitions/new/", {**form, "case_leader": "nobody"})
    assert r.status_code == 422
    assert PetitionCase.objects.count() == 1
    schedule = client.get("/disputes/petitions/schedule/").content.decode()
    assert case.number in schedule
    assert client.post(f"/disputes/petitions/{case.pk}/accept/", {"note": ""}).status_code == 302
    client.force_login(c.users["department_staff"])  # a responsible unit resolves it
    assert client.post(f"/disputes/petitions/{case.pk}/resolve/", {"note": "已补发"}).status_code == 302
    case.refresh_from_db()
    assert case.state == "resolved"
    client.force_login(county_staff)
    assert client.post(f"/disputes/petitions/{case.pk}/feedback/", {"satisfied": "yes", "note": ""}
                       ).status_code == 302
    case.refresh_from_db()
    assert (case.state, case.satisfied) == ("closed", True)
    # Not theirs: the village committee member and the resident (not the petitioner) see nothing.
    for role in ("village_committee", "resident"):
        client.force_login(c.users[role])
        assert client.get(f"/disputes/petitions/{case.pk}/").status_code == 404
    client.force_login(resident)
    assert case.number not in client.get("/disputes/petitions/").content.decode()


def test_forms_offer_only_what_the_viewer_may_do(dcounty, client):
    c = dcounty
    d = _clue(c)
    client.force_login(c.users["micro_grid_worker"])  # sees the dispute, takes no step of the loop
    page = client.get(f"/disputes/{d.pk}/")
    assert page.context["f"].actions == []
    assert f"/disputes/{d.pk}/accept/" not in page.content.decode()
    client.force_login(c.users["grid_worker"])
    page = client.get(f"/disputes/{d.pk}/")
    assert {"accept", "dismiss"} <= set(page.context["f"].actions)
    assert f"/disputes/{d.pk}/accept/" in page.content.decode()
    assert client.post(f"/disputes/{d.pk}/nonsense/", {}).status_code == 404
    assert FollowUp.objects.count() == 0
