"""The pages, for residents, village staff and township staff: the whole loop through the
forms, the public boards without login, and the A4 poster."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shanzhi.deliberation import services
from shanzhi.deliberation.models import Matter, MatterMeeting, Notice, RedBlackList, Topic, TopicSupport, Vote
from shanzhi.regions.models import Resident
from tests.deliberation.conftest import TOWNSHIP, VILLAGE, soon

LISTS = ["index", "topics", "meetings", "matters", "votes", "notices", "role_models", "council", "rankings",
         "late", "calendar"]


@pytest.fixture
def page_as(county):
    def _as(role: str) -> Client:
        client = Client()
        client.force_login(county.users[role])
        return client

    return _as


@pytest.mark.parametrize("role", ["resident", "grid_worker", "village_secretary", "township_staff", "county_staff",
                                  "admin"])
def test_every_list_page_opens_for_the_roles_that_use_them(page_as, role, branch):
    client = page_as(role)
    for name in LISTS:
        response = client.get(reverse(f"deliberation:{name}"))
        if name in ("late", "calendar", "notices", "council", "rankings") and role not in ("township_staff",
                                                                                             "county_staff", "admin"):
            assert response.status_code in (200, 403), (name, response.status_code)
            continue
        assert response.status_code == 200, (name, response.status_code)
    home = client.get(reverse("web:home"))
    assert home.status_code == 200
    assert reverse("deliberation:index") in home.content.decode()


def test_a_resident_raises_supports_and_comments_by_page(page_as):
    resident = page_as("resident")
    response = resident.post(reverse("deliberation:topic_new"), {"title": "修缮村小学围墙",
                                                                  "body": "围墙倒塌一段，孩子上学不安全。"})
    topic = Topic.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("deliberation:topic", args=[topic.pk])
    assert resident.post(reverse("deliberation:topic_support", args=[topic.pk])).status_code == 302
    again = resident.post(reverse("deliberation:topic_support", args=[topic.pk]), follow=True)
    assert TopicSupport.objects.count() == 1
    assert "已经支持" in again.content.decode() or "already" in again.content.decode()
    resident.post(reverse("deliberation:topic_comment", args=[topic.pk]), {"body": "同意尽快修缮。"})
    page = resident.get(reverse("deliberation:topic", args=[topic.pk])).content.decode()
    assert "同意尽快修缮。" in page
    empty = resident.post(reverse("deliberation:topic_new"), {"title": "", "body": ""})
    assert empty.status_code == 200
    assert Topic.objects.count() == 1


def stage_form(stage, body, **values):
    data = {"stage": stage, "body": body, "held_on": timezone.localdate().isoformat(), "minutes": "会议记录",
            "votes_against": 0, "votes_abstain": 0, "decision": "advance", **values}
    data.setdefault("votes_for", data["present_count"])
    return {k: v for k, v in data.items() if v is not None}


def test_the_secretary_takes_a_matter_through_every_stage_by_page(page_as, branch):
    secretary = page_as("village_secretary")
    response = secretary.post(reverse("deliberation:matter_new"), {
        "village": VILLAGE, "kind": "four_deliberations", "title": "调整集体土地承包方案",
        "proposal": "对三组机动地重新发包。"})
    matter = Matter.objects.get()
    assert response.status_code == 302
    url = reverse("deliberation:matter_stage", args=[matter.pk])
    # Out of order: the page answers with the form and the error, nothing written.
    skipped = secretary.post(url, stage_form("review", "party_members", present_count=4))
    assert skipped.status_code == 422
    assert not MatterMeeting.objects.exists()
    for stage, body, values in [("propose", "branch_committee", {"eligible_count": 5, "present_count": 5}),
                                ("discuss", "joint_committees", {"eligible_count": 7, "present_count": 6}),
                                ("review", "party_members", {"present_count": 5})]:
        assert secretary.post(url, stage_form(stage, body, **values)).status_code == 302
    no_quorum = secretary.post(url, stage_form("resolve", "villagers", present_count=8))
    assert no_quorum.status_code == 422
    assert "8" in no_quorum.content.decode()
    matter.refresh_from_db()
    assert matter.state == "reviewed"
    assert secretary.post(url, stage_form("resolve", "villagers", present_count=14, votes_for=12,
                                          votes_against=2)).status_code == 302
    secretary.post(reverse("deliberation:matter_disclose", args=[matter.pk, "resolution"]), {})
    secretary.post(reverse("deliberation:matter_disclose", args=[matter.pk, "result"]),
                   {"result": "方案已执行，承包合同已签订。"})
    matter.refresh_from_db()
    assert matter.state == "result_disclosed"
    page = secretary.get(reverse("deliberation:matter", args=[matter.pk])).content.decode()
    assert "方案已执行" in page
    # The resident follows it too.
    assert page_as("resident").get(reverse("deliberation:matter", args=[matter.pk])).status_code == 200


def test_public_board_and_poster_open_without_login_with_no_personal_data(page_as, county):
    secretary = page_as("village_secretary")
    from django.core.files.uploadedfile import SimpleUploadedFile

    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    posted = secretary.post(reverse("deliberation:notice_new"), {
        "region": VILLAGE, "board": "village", "category": "finances", "title": "十月财务收支",
        "body": "收入12000元，支出8500元。", "period_start": "2025-10-01", "period_end": "2025-10-31",
        "attachments": [SimpleUploadedFile("明细.pdf", pdf), SimpleUploadedFile("现场.png", b"\x89PNG\r\n\x1a\n0")]})
    assert posted.status_code == 302, posted.content.decode()[:2000]
    notice = Notice.objects.get()
    assert sorted(notice.attachments.values_list("kind", flat=True)) == ["pdf", "png"]
    disguised = secretary.post(reverse("deliberation:notice_new"), {
        "region": VILLAGE, "board": "village", "category": "finances", "title": "伪装附件", "body": "b",
        "attachments": [SimpleUploadedFile("表格.xlsx", pdf)]})
    assert disguised.status_code == 200
    assert Notice.objects.count() == 1
    anonymous = Client()
    attachment = notice.attachments.get(kind="pdf")
    download = anonymous.get(reverse("deliberation:public_attachment", args=[attachment.pk]))
    assert download.status_code == 200
    assert download.content == pdf
    assert download["X-Content-Type-Options"] == "nosniff"
    board = anonymous.get(reverse("deliberation:public_board", args=[VILLAGE]))
    assert board.status_code == 200
    text = board.content.decode()
    assert "十月财务收支" in text
    assert 'name="viewport"' in text
    for resident in Resident.objects.all():
        assert resident.phone not in text
        assert resident.id_number not in text
    poster = anonymous.get(reverse("deliberation:public_print", args=[notice.pk]))
    assert poster.status_code == 200
    assert "poster.css" in poster.content.decode()
    assert "收入12000元" in poster.content.decode()
    assert "<script" not in poster.content.decode()
    # Taken down: gone from the public pages.
    secretary.post(reverse("deliberation:notice_take_down", args=[notice.pk]), {"reason": "数字有误"})
    assert anonymous.get(reverse("deliberation:public_notice", args=[notice.pk])).status_code == 404
    assert "十月财务收支" not in anonymous.get(reverse("deliberation:public_board", args=[VILLAGE])).content.decode()
    # The staff pages are closed to the anonymous.
    assert anonymous.get(reverse("deliberation:notices")).status_code == 302


def test_voting_by_page_once_only(page_as, county, online):
    secretary = page_as("village_secretary")
    now = timezone.localtime().replace(second=0, microsecond=0)
    response = secretary.post(reverse("deliberation:vote_new"), {
        "village": VILLAGE, "title": "村集体分红方式", "question": "今年集体收益如何分配？",
        "options": "按户平均\n按积分分配", "opens_at": now.strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (now + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
        "secrecy": "secret", "basis": "person", "online": "on", "hide_results_until_close": "on"})
    assert response.status_code == 302, response.content.decode()[:2000]
    vote = Vote.objects.get()
    assert vote.elector_count == 18
    resident = page_as("resident")
    option = vote.options.first()
    resident.post(reverse("deliberation:vote_cast", args=[vote.pk]), {"option": option.pk})
    again = resident.post(reverse("deliberation:vote_cast", args=[vote.pk]), {"option": option.pk}, follow=True)
    vote.refresh_from_db()
    assert vote.turnout_count == 1
    assert again.status_code == 200
    page = resident.get(reverse("deliberation:vote", args=[vote.pk])).content.decode()
    assert 'name="option"' not in page  # no second ballot offered
    assert "按户平均" not in page  # a secret ballot hides its options' counts until the close
    # Paper entry: the roll shows who voted online.
    roll = secretary.get(reverse("deliberation:vote_paper", args=[vote.pk]))
    assert roll.status_code == 200
    elector = vote.electors.exclude(turnout__isnull=False).first()
    secretary.post(reverse("deliberation:vote_paper", args=[vote.pk]), {"elector": elector.pk})
    vote.refresh_from_db()
    assert vote.turnout_count == 2


def test_township_staff_see_late_villages_and_publish_a_red_black_list(page_as, county):
    township = page_as("township_staff")
    assert township.post(reverse("deliberation:calendar") + f"?region={TOWNSHIP}",
                         {"region": TOWNSHIP, "standard": "1"}).status_code == 302
    late = township.get(reverse("deliberation:late") + f"?region={TOWNSHIP}")
    assert late.status_code == 200
    assert "张湾村" in late.content.decode()
    assert "城关社区" in late.content.decode()
    today = timezone.localdate()
    year, quarter = (today.year, (today.month - 1) // 3) if today.month > 3 else (today.year - 1, 4)
    # The township's sanitation inspection scores for the quarter.
    from shanzhi.regions.models import Region

    scores_url = reverse("deliberation:readings") + f"?township={TOWNSHIP}&year={year}&quarter={quarter}"
    assert township.get(scores_url).status_code == 200
    villages = {v.code: v.pk for v in Region.objects.filter(parent__code=TOWNSHIP)}
    assert township.post(scores_url, {f"village_{villages[VILLAGE]}": "88",
                                      f"village_{villages['621023100001']}": "71.5"}).status_code == 302
    response = township.post(reverse("deliberation:rankings"), {"township": TOWNSHIP, "year": year,
                                                                "quarter": quarter})
    assert response.status_code == 302, response.content.decode()[:3000]
    ranking = RedBlackList.objects.get()
    assert township.get(reverse("deliberation:ranking", args=[ranking.pk])).status_code == 200
    township.post(reverse("deliberation:ranking_adjust", args=[ranking.pk]),
                  {"village": VILLAGE, "delta": "5", "reason": "主动化解重大矛盾一起"})
    assert ranking.entries.get(village__code=VILLAGE).adjustment == 5
    township.post(reverse("deliberation:ranking_publish", args=[ranking.pk]))
    ranking.refresh_from_db()
    assert ranking.state == "published"
    assert ranking.notice is not None
    # The list is on the villages' public boards.
    board = Client().get(reverse("deliberation:public_board", args=[VILLAGE])).content.decode()
    assert ranking.notice.title in board
    # And a village cadre cannot compute one.
    assert page_as("village_secretary").post(reverse("deliberation:rankings"), {
        "township": TOWNSHIP, "year": year, "quarter": quarter}).status_code == 403


def test_council_role_model_and_admonition_by_page(page_as, county):
    secretary = page_as("village_secretary")
    household = county.households[0]
    head = household.members.get(relation="head")
    secretary.post(reverse("deliberation:council_new"), {
        "village": VILLAGE, "held_on": timezone.localdate().isoformat(), "member_count": 7, "present_count": 5,
        "minutes": "评议本季度好人好事及不文明行为。"})
    meeting = services.council_meeting_record  # noqa: F841 (the page recorded it)
    from shanzhi.deliberation.models import Admonition, CouncilMeeting, RoleModel

    council = CouncilMeeting.objects.get()
    response = page_as("grid_worker").post(reverse("deliberation:role_model_new"), {
        "household": household.number, "person": head.name, "title": "filial_star", "year": timezone.localdate().year,
        "deeds": "照顾瘫痪老母亲十余年。"})
    assert response.status_code == 302
    model = RoleModel.objects.get()
    secretary.post(reverse("deliberation:role_model_review", args=[model.pk]), {"meeting": council.pk, "award": "1"})
    model.refresh_from_db()
    assert model.state == "awarded"
    assert model.council_meeting_id == council.pk
    secretary.post(reverse("deliberation:council_meeting", args=[council.pk]), {
        "household": county.households[1].number, "conduct": "sanitation", "description": "门前堆放垃圾。"})
    assert Admonition.objects.count() == 1
    # The household page's tab shows the title.
    tab = secretary.get(reverse("web:household", args=[household.pk]) + "?tab=virtue")
    assert tab.status_code == 200
    assert reverse("deliberation:role_model", args=[model.pk]) in tab.content.decode()
    # A resident sees their own household's admonitions, not the neighbour's.
    own = page_as("resident").get(reverse("web:household", args=[household.pk]) + "?tab=virtue").content.decode()
    assert "门前堆放垃圾" not in own


def test_soon_helper_is_in_the_future():
    assert soon(1) > timezone.now()
