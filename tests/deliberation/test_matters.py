"""The four deliberations and two disclosures, and one matter one deliberation, through the
services: the fixed order, quorum and majority, failures that stop a matter, nothing
half-written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shanzhi.core.errors import PermissionDenied, ValidationError
from shanzhi.core.models import AuditEvent, StateChange
from shanzhi.deliberation import services
from shanzhi.deliberation.models import Body, Matter, MatterKind, MatterMeeting, Notice, Stage

TODAY = timezone.localdate


def new_matter(users, village, **extra):
    return services.matter_create(actor=users["village_secretary"], village=village, title="硬化三组道路",
                                  proposal="将三组通组道路1.2公里硬化为水泥路面。", **extra)


def meet(users, matter, stage, body, *, present, eligible=None, votes_for=None, against=0, abstain=0,
         decision="advance", **extra):
    return services.matter_record_meeting(
        actor=users["village_secretary"], matter=matter, stage=stage, body=body, held_on=TODAY(),
        eligible_count=eligible, present_count=present, votes_for=present - against - abstain if votes_for is None
        else votes_for, votes_against=against, votes_abstain=abstain, minutes="会议记录：与会人员一致讨论。",
        decision=decision, **extra)


def test_a_matter_goes_through_all_four_deliberations_and_both_disclosures(users, village, branch):
    matter = new_matter(users, village)
    assert matter.state == "draft"
    meet(users, matter, Stage.PROPOSE, Body.BRANCH_COMMITTEE, eligible=5, present=4)
    meet(users, matter, Stage.DISCUSS, Body.JOINT_COMMITTEES, eligible=9, present=7, against=1)
    # The party members' roll comes from the map: the branch has five members.
    review = meet(users, matter, Stage.REVIEW, Body.PARTY_MEMBERS, present=4)
    assert review.eligible_count == 5
    # The villagers' meeting is measured against the 18 adults of the map.
    resolve = meet(users, matter, Stage.RESOLVE, Body.VILLAGERS, present=12, against=2, abstain=1,
                   resolution="同意硬化三组道路，由村委会组织实施。")
    assert (resolve.eligible_count, resolve.households_eligible) == (18, 6)
    matter.refresh_from_db()
    assert matter.state == "resolved"
    assert matter.resolution.startswith("同意")

    notice = services.matter_disclose_resolution(actor=users["village_secretary"], matter=matter)
    assert notice.board == "village"
    assert notice.category == "resolution"
    assert notice.matter_id == matter.pk
    assert "12" in notice.body
    assert "18" in notice.body
    result = services.matter_disclose_result(actor=users["village_secretary"], matter=matter,
                                             result="道路已于十月完工，总投资36万元。")
    matter.refresh_from_db()
    assert matter.state == "result_disclosed"
    assert result.category == "result"
    steps = list(StateChange.objects.filter(object_id=matter.pk, workflow="matter").values_list("transition",
                                                                                                flat=True))
    assert steps == ["create", "propose", "discuss", "review", "resolve", "disclose_resolution", "disclose_result"]


@pytest.mark.parametrize("stage", [Stage.DISCUSS, Stage.REVIEW, Stage.RESOLVE])
def test_stages_cannot_be_skipped(users, village, stage):
    matter = new_matter(users, village)
    body = {Stage.DISCUSS: Body.JOINT_COMMITTEES, Stage.REVIEW: Body.PARTY_MEMBERS,
            Stage.RESOLVE: Body.REPRESENTATIVES}[stage]
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as err:
        meet(users, matter, stage, body, eligible=10, present=10)
    assert "stage" in err.value.fields
    assert not MatterMeeting.objects.exists()
    assert AuditEvent.objects.count() == before
    matter.refresh_from_db()
    assert matter.state == "draft"


def test_a_stage_is_decided_by_its_own_body(users, village):
    matter = new_matter(users, village)
    with pytest.raises(ValidationError) as err:
        meet(users, matter, Stage.PROPOSE, Body.VILLAGERS, present=12)
    assert "body" in err.value.fields


def test_a_resolution_without_quorum_is_refused_and_nothing_is_written(users, village, branch):
    matter = new_matter(users, village)
    meet(users, matter, Stage.PROPOSE, Body.BRANCH_COMMITTEE, eligible=5, present=3)
    meet(users, matter, Stage.DISCUSS, Body.JOINT_COMMITTEES, eligible=9, present=5)
    meet(users, matter, Stage.REVIEW, Body.PARTY_MEMBERS, present=3)
    meetings, changes = MatterMeeting.objects.count(), StateChange.objects.count()
    # 9 of 18 adults is not more than half.
    with pytest.raises(ValidationError) as err:
        meet(users, matter, Stage.RESOLVE, Body.VILLAGERS, present=9)
    assert "present_count" in err.value.fields
    assert "10" in err.value.fields["present_count"]
    # Representatives: 19 of 30 is less than two thirds.
    with pytest.raises(ValidationError):
        meet(users, matter, Stage.RESOLVE, Body.REPRESENTATIVES, eligible=30, present=19)
    # Quorate but not carried: 6 for of 12 present is not more than half.
    with pytest.raises(ValidationError) as err:
        meet(users, matter, Stage.RESOLVE, Body.VILLAGERS, present=12, votes_for=6, against=6)
    assert "votes_for" in err.value.fields
    assert (MatterMeeting.objects.count(), StateChange.objects.count()) == (meetings, changes)
    matter.refresh_from_db()
    assert matter.state == "reviewed"


def test_households_represented_can_make_the_villagers_meeting_quorate(users, village, branch):
    matter = services.matter_create(actor=users["village_secretary"], village=village, title="修建蓄水池",
                                    proposal="在二组修建蓄水池一座。", kind=MatterKind.ONE_MATTER,
                                    plan="村集体出资70%，农户每户出资200元。", total_cost_fen=4_000_000,
                                    contribution_fen=20_000)
    # 8 of 18 adults, but 5 of 6 households represented (more than two thirds).
    meeting = meet(users, matter, Stage.RESOLVE, Body.VILLAGERS, present=8, households_present=5)
    assert meeting.quorum_met
    assert meeting.carried
    matter.refresh_from_db()
    assert matter.state == "resolved"
    notice = services.matter_disclose_resolution(actor=users["village_secretary"], matter=matter)
    assert notice.category == "public_works"
    assert "200.00" in notice.body


def test_a_failed_meeting_is_recorded_and_the_matter_meets_again_returns_or_ends(users, village, branch):
    matter = new_matter(users, village)
    meet(users, matter, Stage.PROPOSE, Body.BRANCH_COMMITTEE, eligible=5, present=5)
    failed = meet(users, matter, Stage.DISCUSS, Body.JOINT_COMMITTEES, eligible=9, present=4, votes_for=4,
                  decision="reconvene")
    assert not failed.quorum_met
    assert not failed.carried
    matter.refresh_from_db()
    assert matter.state == "proposed"
    # A meeting that carried cannot be recorded as failed.
    with pytest.raises(ValidationError) as err:
        meet(users, matter, Stage.DISCUSS, Body.JOINT_COMMITTEES, eligible=9, present=9, decision="end")
    assert "decision" in err.value.fields
    meet(users, matter, Stage.DISCUSS, Body.JOINT_COMMITTEES, eligible=9, present=8, votes_for=3, against=5,
         decision="return", note="两委意见分歧较大，退回支部重新研究。")
    matter.refresh_from_db()
    assert matter.state == "draft"
    # Back to the start: the branch proposes again.
    meet(users, matter, Stage.PROPOSE, Body.BRANCH_COMMITTEE, eligible=5, present=3, votes_for=1, against=2,
         decision="end")
    matter.refresh_from_db()
    assert matter.state == "ended"
    with pytest.raises(ValidationError) as err:
        meet(users, matter, Stage.PROPOSE, Body.BRANCH_COMMITTEE, eligible=5, present=5)
    assert "stage" in err.value.fields


def test_counts_that_cannot_be_are_refused(users, village):
    matter = new_matter(users, village)
    with pytest.raises(ValidationError) as err:
        meet(users, matter, Stage.PROPOSE, Body.BRANCH_COMMITTEE, eligible=5, present=6)
    assert "present_count" in err.value.fields
    with pytest.raises(ValidationError) as err:
        meet(users, matter, Stage.PROPOSE, Body.BRANCH_COMMITTEE, eligible=5, present=4, votes_for=4, against=1)
    assert "votes_for" in err.value.fields
    with pytest.raises(ValidationError) as err:
        services.matter_record_meeting(
            actor=users["village_secretary"], matter=matter, stage=Stage.PROPOSE, body=Body.BRANCH_COMMITTEE,
            held_on=TODAY() + dt.timedelta(days=1), eligible_count=5, present_count=5, votes_for=5,
            votes_against=0, votes_abstain=0, minutes="x")
    assert "held_on" in err.value.fields
    assert not MatterMeeting.objects.exists()


def test_the_villagers_roll_is_the_map_not_typed_in(users, village, branch):
    matter = services.matter_create(actor=users["village_secretary"], village=village, title="t", proposal="p",
                                    kind=MatterKind.ONE_MATTER, plan="plan", contribution_fen=0)
    with pytest.raises(ValidationError) as err:
        meet(users, matter, Stage.RESOLVE, Body.VILLAGERS, eligible=10, present=6)
    assert "eligible_count" in err.value.fields


def test_disclosures_come_in_order(users, village):
    matter = new_matter(users, village)
    with pytest.raises(ValidationError):
        services.matter_disclose_resolution(actor=users["village_secretary"], matter=matter)
    with pytest.raises(ValidationError):
        services.matter_disclose_result(actor=users["village_secretary"], matter=matter, result="done")
    assert not Notice.objects.exists()


def test_only_the_village_cadres_manage_matters(users, village, other_village):
    with pytest.raises(PermissionDenied):
        new_matter({"village_secretary": users["grid_worker"]}, village)
    matter = new_matter(users, village)
    with pytest.raises(PermissionDenied):
        meet({"village_secretary": users["grid_worker"]}, matter, Stage.PROPOSE, Body.BRANCH_COMMITTEE,
             eligible=5, present=5)
    from shanzhi.core.errors import NotFound

    with pytest.raises(NotFound):
        new_matter({"village_secretary": users["village_secretary"]}, other_village)
    assert Matter.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_clerks_recording_the_same_stage_at_once_advance_it_once():
    """Six requests record the branch's proposal of one matter at the same moment: one
    advances it, the others are told the stage due is now the next one; one meeting kept."""
    import threading

    from django.db import connections
    from django.test import Client

    from tests import factories

    county = factories.small_county()
    users = factories.role_users(county)
    matter = new_matter(users, county.villages[0])
    barrier = threading.Barrier(6)
    statuses: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def record() -> None:
        try:
            client = Client()
            client.force_login(users["village_secretary"])
            barrier.wait(timeout=20)
            response = client.post(f"/api/deliberation/matters/{matter.pk}/meetings", {
                "stage": "propose", "body": "branch_committee", "held_on": TODAY().isoformat(), "eligible_count": 5,
                "present_count": 5, "votes_for": 5, "votes_against": 0, "votes_abstain": 0, "minutes": "m"},
                content_type="application/json")
            with lock:
                statuses.append((response.status_code, response.json()))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=record) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    codes = sorted(code for code, _body in statuses)
    assert codes == [201, 422, 422, 422, 422, 422], statuses
    assert all("stage" in body["fields"] for code, body in statuses if code == 422)
    assert MatterMeeting.objects.filter(matter=matter).count() == 1
    matter.refresh_from_db()
    assert matter.state == "proposed"
