"""The whole loop by API, for each role that takes part, with scope and bad input."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from shanzhi.core.models import AuditEvent
from shanzhi.deliberation.models import MatterMeeting, Notice, Topic, TopicSupport
from shanzhi.regions.models import Resident
from tests import factories
from tests.deliberation.conftest import OTHER_TOWNSHIP, VILLAGE, api

BASE = "/api/deliberation"


@pytest.fixture
def as_role(county):
    clients: dict[str, Client] = {}

    def _as(role: str) -> Client:
        if role not in clients:
            clients[role] = Client()
            clients[role].force_login(county.users[role])
        return clients[role]

    return _as


def neighbour(county):
    """A resident account of another household of 张湾村."""
    head = Resident.objects.filter(household=county.households[3], relation="head").get()
    return factories.user("u_neighbour", phone=head.phone, resident=head)


def stage(client, matter_id, **data):
    body = {"held_on": timezone.localdate().isoformat(), "minutes": "会议记录", "votes_against": 0,
            "votes_abstain": 0, **data}
    body.setdefault("votes_for", body["present_count"])
    return api(client, "post", f"{BASE}/matters/{matter_id}/meetings", body)


def test_matter_through_four_deliberations_and_two_disclosures_by_api(as_role, branch):
    secretary = as_role("village_secretary")
    created = api(secretary, "post", f"{BASE}/matters", {
        "village": VILLAGE, "title": "修建村文化广场", "proposal": "在村委会南侧修建文化广场一处。"})
    assert created.status_code == 201, created.json()
    matter = created.json()
    assert (matter["state"], matter["next_stage"]) == ("draft", "propose")
    mid = matter["id"]
    for step, body, extra in [("propose", "branch_committee", {"eligible_count": 5, "present_count": 5}),
                              ("discuss", "joint_committees", {"eligible_count": 9, "present_count": 8}),
                              ("review", "party_members", {"present_count": 4}),
                              ("resolve", "representatives", {"eligible_count": 21, "present_count": 15,
                                                              "resolution": "同意修建"})]:
        response = stage(secretary, mid, stage=step, body=body, **extra)
        assert response.status_code == 201, response.json()
    detail = response.json()
    assert detail["state"] == "resolved"
    assert [m["stage"] for m in detail["meetings"]] == ["propose", "discuss", "review", "resolve"]
    response = api(secretary, "post", f"{BASE}/matters/{mid}/disclose-resolution", {})
    assert response.status_code == 201
    response = api(secretary, "post", f"{BASE}/matters/{mid}/disclose-result", {"result": "广场已建成投入使用。"})
    assert response.status_code == 201
    detail = response.json()
    assert detail["state"] == "result_disclosed"
    assert [n["category"] for n in detail["notices"]] == ["resolution", "result"]
    # The resident follows the matter, without the attendee lists and minutes.
    seen = as_role("resident").get(f"{BASE}/matters/{mid}").json()
    assert seen["state"] == "result_disclosed"
    assert all(m["attendee_names"] == [] and m["minutes"] == "" for m in seen["meetings"])


def test_stage_out_of_order_and_resolution_without_quorum_are_422_and_write_nothing(as_role):
    secretary = as_role("village_secretary")
    mid = api(secretary, "post", f"{BASE}/matters", {"village": VILLAGE, "kind": "one_matter", "title": "修路",
                                                      "proposal": "修路", "plan": "每户出资100元",
                                                      "contribution_fen": 10000}).json()["id"]
    events = AuditEvent.objects.count()
    response = stage(secretary, mid, stage="propose", body="branch_committee", eligible_count=5, present_count=5)
    assert response.status_code == 422
    assert "stage" in response.json()["fields"]
    response = stage(secretary, mid, stage="resolve", body="villagers", present_count=9)
    assert response.status_code == 422
    assert set(response.json()) == {"code", "message", "fields"}
    assert "present_count" in response.json()["fields"]
    assert not MatterMeeting.objects.exists()
    assert AuditEvent.objects.count() == events
    response = stage(secretary, mid, stage="resolve", body="villagers", present_count=9, decision="end",
                     note="到会人数不足，群众意见分歧，终止。")
    assert response.status_code == 201
    assert response.json()["state"] == "ended"


def test_topics_by_residents_with_one_support_each_and_moderation(as_role, county):
    resident = as_role("resident")
    raised = api(resident, "post", f"{BASE}/topics", {"title": "村口路灯不亮", "body": "村口三盏路灯坏了半个月。"})
    assert raised.status_code == 201, raised.json()
    topic = raised.json()
    assert (topic["village"]["code"], topic["raised_as"]) == (VILLAGE, "resident")
    tid = topic["id"]
    assert resident.post(f"{BASE}/topics/{tid}/support").status_code == 200
    again = resident.post(f"{BASE}/topics/{tid}/support")
    assert again.status_code == 409
    assert TopicSupport.objects.filter(topic_id=tid).count() == 1
    # Staff comment but do not support; a grid worker raises as a grid worker.
    assert as_role("grid_worker").post(f"{BASE}/topics/{tid}/support").status_code == 403
    comment = api(as_role("grid_worker"), "post", f"{BASE}/topics/{tid}/comments", {"body": "已报电力所。"})
    assert comment.status_code == 201
    assert comment.json()["comments"][0]["author_role"] == "grid_worker"
    gw_topic = api(as_role("grid_worker"), "post", f"{BASE}/topics", {"village": VILLAGE, "title": "垃圾清运",
                                                                      "body": "二组垃圾点需要增加清运次数。"})
    assert gw_topic.json()["raised_as"] == "grid_worker"

    # Another resident of the village sees the topic, the author's name masked.
    other = Client()
    other.force_login(neighbour(county))
    seen = other.get(f"{BASE}/topics/{tid}").json()
    author = county.users["resident"].get_full_name()
    assert seen["raised_by"] != author
    assert seen["raised_by"].startswith(author[0])
    assert as_role("village_secretary").get(f"{BASE}/topics/{tid}").json()["raised_by"] == author

    # Moderation: hidden with a reason, still there for moderators and the author.
    assert api(as_role("grid_worker"), "post", f"{BASE}/topics/{tid}/hide", {"reason": "x"}).status_code == 403
    hidden = api(as_role("village_committee"), "post", f"{BASE}/topics/{tid}/hide", {"reason": "含有他人电话号码"})
    assert hidden.status_code == 200
    assert hidden.json()["hidden_reason"] == "含有他人电话号码"
    assert other.get(f"{BASE}/topics/{tid}").status_code == 404
    assert tid not in [t["id"] for t in other.get(f"{BASE}/topics").json()["items"]]
    assert resident.get(f"{BASE}/topics/{tid}").json()["hidden"] is True
    assert as_role("township_staff").get(f"{BASE}/topics/{tid}").json()["hidden_reason"] == "含有他人电话号码"
    empty = api(as_role("village_committee"), "post", f"{BASE}/topics/{tid}/unhide")
    assert empty.status_code == 200
    no_reason = api(as_role("village_committee"), "post", f"{BASE}/topics/{tid}/hide", {"reason": "  "})
    assert no_reason.status_code == 422
    assert "reason" in no_reason.json()["fields"]

    # A comment hidden by a moderator disappears for others.
    cid = comment.json()["comments"][0]["id"]
    assert api(as_role("village_secretary"), "post", f"{BASE}/comments/{cid}/hide",
               {"reason": "与议题无关"}).status_code == 200
    assert other.get(f"{BASE}/topics/{tid}").json()["comments"] == []

    # Turned into a formal matter.
    converted = api(as_role("village_secretary"), "post", f"{BASE}/topics/{tid}/convert", {})
    assert converted.status_code == 201
    assert converted.json()["topic_id"] == tid
    assert Topic.objects.get(pk=tid).state == "converted"
    assert resident.post(f"{BASE}/topics/{tid}/comments", {"body": "x"},
                         content_type="application/json").status_code == 422


def test_topics_of_other_villages_are_out_of_scope(as_role, county):
    secretary = as_role("village_secretary")
    other_village = api(as_role("admin"), "post", f"{BASE}/topics",
                        {"village": "621023100001", "title": "社区停车", "body": "小区停车位不足。"})
    assert other_village.status_code == 201
    tid = other_village.json()["id"]
    assert secretary.get(f"{BASE}/topics/{tid}").status_code == 404
    assert as_role("resident").get(f"{BASE}/topics/{tid}").status_code == 404
    assert as_role("resident").post(f"{BASE}/topics/{tid}/support").status_code == 404
    response = api(secretary, "post", f"{BASE}/topics", {"village": OTHER_TOWNSHIP, "title": "t", "body": "b"})
    assert response.status_code == 422
    assert "village" in response.json()["fields"]
    assert as_role("department_staff").get(f"{BASE}/topics").json()["count"] == 0


def test_offline_meeting_linked_to_topics(as_role):
    resident = as_role("resident")
    raised = api(resident, "post", f"{BASE}/topics", {"title": "邻里用水纠纷", "body": "两户共用水管分摊不清。"})
    tid = raised.json()["id"]
    response = api(as_role("grid_leader"), "post", f"{BASE}/meetings", {
        "village": VILLAGE, "kind": "bench", "held_on": timezone.localdate().isoformat(), "place": "老槐树下",
        "subject": "共用水管费用分摊", "attendee_count": 12, "attendee_names": ["王大山", "李秀英"],
        "outcome": "两户按人口比例分摊，当场签字。", "settled": True, "topic_ids": [tid]})
    assert response.status_code == 201, response.json()
    meeting = response.json()
    assert meeting["topic_ids"] == [tid]
    assert meeting["attendee_names"] == ["王大山", "李秀英"]
    # Residents read the outcome, not the sign-in sheet.
    seen = resident.get(f"{BASE}/meetings/{meeting['id']}").json()
    assert seen["outcome"]
    assert seen["attendee_names"] == []
    future = api(as_role("grid_leader"), "post", f"{BASE}/meetings", {
        "village": VILLAGE, "kind": "field", "held_on": (timezone.localdate() + dt.timedelta(days=2)).isoformat(),
        "place": "地头", "subject": "s", "attendee_count": 3, "outcome": "o"})
    assert future.status_code == 422
    assert "held_on" in future.json()["fields"]


def test_notices_posted_and_taken_down_with_checked_attachments(as_role):
    secretary = as_role("village_secretary")
    response = api(secretary, "post", f"{BASE}/notices", {
        "region": VILLAGE, "board": "village", "category": "finances", "title": "2025年10月财务收支公开",
        "body": "收入：12,000元；支出：8,500元。", "period_start": "2025-10-01", "period_end": "2025-10-31"})
    assert response.status_code == 201, response.json()
    nid = response.json()["id"]
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    from django.core.files.uploadedfile import SimpleUploadedFile

    ok = secretary.post(f"{BASE}/notices/{nid}/attachments",
                        {"file": SimpleUploadedFile("明细.pdf", pdf, content_type="application/pdf")})
    assert ok.status_code == 201, ok.json()
    attachment = ok.json()["attachments"][0]
    assert attachment["kind"] == "pdf"
    assert attachment["name"] == "明细.pdf"
    disguised = secretary.post(f"{BASE}/notices/{nid}/attachments",
                               {"file": SimpleUploadedFile("photo.jpg", pdf, content_type="image/jpeg")})
    assert disguised.status_code == 422
    assert "file" in disguised.json()["fields"]
    script = secretary.post(f"{BASE}/notices/{nid}/attachments",
                            {"file": SimpleUploadedFile("x.pdf", pdf + b"/JavaScript (app.alert(1))")})
    assert script.status_code == 422
    html = secretary.post(f"{BASE}/notices/{nid}/attachments",
                          {"file": SimpleUploadedFile("x.pdf", b"<html><script>alert(1)</script>")})
    assert html.status_code == 422
    download = secretary.get(f"{BASE}/attachments/{attachment['id']}")
    assert download.status_code == 200
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download.content == pdf
    assert download["Content-Type"] == "application/pdf"

    wrong = api(secretary, "post", f"{BASE}/notices", {"region": VILLAGE, "board": "party", "category": "finances",
                                                       "title": "t", "body": "b"})
    assert wrong.status_code == 422
    assert "category" in wrong.json()["fields"]
    backdated = api(secretary, "post", f"{BASE}/notices", {
        "region": VILLAGE, "board": "village", "category": "finances", "title": "t", "body": "b",
        "posted_on": (timezone.localdate() - dt.timedelta(days=3)).isoformat()})
    assert backdated.status_code == 422
    assert "posted_on" in backdated.json()["fields"]
    assert api(as_role("grid_worker"), "post", f"{BASE}/notices/{nid}/take-down",
               {"reason": "x"}).status_code == 404
    assert as_role("resident").get(f"{BASE}/notices/{nid}").status_code == 200
    down = api(secretary, "post", f"{BASE}/notices/{nid}/take-down", {"reason": "数字有误，已重新公开"})
    assert as_role("resident").get(f"{BASE}/notices/{nid}").status_code == 404
    assert as_role("resident").get(f"{BASE}/attachments/{attachment['id']}").status_code == 404
    assert secretary.get(f"{BASE}/notices/{nid}").json()["removed_reason"] == "数字有误，已重新公开"
    assert down.status_code == 200
    assert down.json()["current"] is False
    assert Notice.objects.count() == 1


def test_the_public_board_opens_without_login_and_shows_no_personal_data(as_role, county, branch):
    secretary = as_role("village_secretary")
    api(secretary, "post", f"{BASE}/notices", {"region": VILLAGE, "board": "party", "category": "party_dues",
                                               "title": "第三季度党费收缴情况", "body": "应缴5人，实缴5人。"})
    api(secretary, "post", f"{BASE}/notices", {"region": VILLAGE, "board": "village", "category": "subsidies",
                                               "title": "惠民补贴发放", "body": "本季度共发放补贴12户。"})
    api(as_role("township_staff"), "post", f"{BASE}/notices", {
        "region": "621023100000", "board": "village", "category": "village_other", "title": "柔远镇防火通知",
        "body": "秋冬季节注意防火。"})
    anonymous = Client()
    response = anonymous.get(f"{BASE}/public/villages/{VILLAGE}/board")
    assert response.status_code == 200
    board = response.json()
    assert [n["title"] for n in board["party"]] == ["第三季度党费收缴情况"]
    assert {n["title"] for n in board["village_affairs"]} == {"惠民补贴发放", "柔远镇防火通知"}
    text = response.content.decode()
    for resident in Resident.objects.all():
        assert resident.id_number not in text
        assert resident.phone not in text
    assert anonymous.get(f"{BASE}/public/villages/000000000000/board").status_code == 404
    # The signed-in API stays closed to the anonymous.
    assert anonymous.get(f"{BASE}/notices").status_code == 401


def test_the_administrator_sees_what_moderators_and_posters_see(as_role, county):
    resident = as_role("resident")
    tid = api(resident, "post", f"{BASE}/topics", {"title": "t", "body": "b"}).json()["id"]
    api(as_role("village_secretary"), "post", f"{BASE}/topics/{tid}/hide", {"reason": "r"})
    assert as_role("admin").get(f"{BASE}/topics/{tid}").json()["hidden"] is True
    nid = api(as_role("village_secretary"), "post", f"{BASE}/notices", {
        "region": VILLAGE, "board": "village", "category": "assets", "title": "t", "body": "b"}).json()["id"]
    api(as_role("village_secretary"), "post", f"{BASE}/notices/{nid}/take-down", {"reason": "r"})
    assert as_role("admin").get(f"{BASE}/notices/{nid}").status_code == 200
    from shanzhi.deliberation import services

    services.role_model_nominate(actor=county.users["grid_worker"], household=county.households[0],
                                 title="civilised_family", year=timezone.localdate().year, deeds="d")
    assert as_role("admin").get(f"{BASE}/role-models").json()["count"] == 1
