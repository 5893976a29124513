"""The closed loop through the services: every step, who may take it, and what is written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shanzhi.casework import selectors, services
from shanzhi.casework.models import HandlerKind, ServiceRequest
from shanzhi.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from shanzhi.core.models import AuditEvent, InboxMessage, Notification, StateChange
from shanzhi.core.tiers import Level
from tests.casework.conftest import file_request

pytestmark = pytest.mark.django_db


def test_whole_loop_resident_to_rating(county, categories, django_capture_on_commit_callbacks):
    users = county.users
    with django_capture_on_commit_callbacks(execute=True):
        req = file_request(county, categories)
    assert req.state == "submitted"
    assert req.level == Level.VILLAGE
    assert req.household == county.households[0]
    assert req.channel == "resident"
    assert req.suggested_department == county.department
    assert req.response_due == req.submitted_at + dt.timedelta(hours=6)
    assert req.escalation_due == req.response_due
    # The grid leader and worker of the grid are told.
    told = set(Notification.objects.filter(kind="request.submitted").values_list("recipient_id", flat=True))
    assert told == {users["grid_leader"].pk, users["grid_worker"].pk}
    assert InboxMessage.objects.filter(recipient=users["grid_worker"]).count() == 1

    services.request_dispatch(actor=users["grid_worker"], request=req, to=HandlerKind.DEPARTMENT,
                              department=county.department)
    assert req.state == "dispatched"
    services.request_accept(actor=users["department_staff"], request=req)
    req.refresh_from_db()
    assert req.state == "accepted"
    assert req.response_seconds is not None
    assert req.responded_on_time is True
    services.request_start(actor=users["department_staff"], request=req)
    services.request_resolve(actor=users["department_staff"], request=req, result="已更换水管")
    req.refresh_from_db()
    assert req.state == "resolved"
    assert req.resolved_level == Level.COUNTY
    assert req.escalation_due is None
    assert req.auto_close_at is not None
    services.request_rate(actor=users["resident"], request=req, rating=5, comment="很及时")
    req.refresh_from_db()
    assert (req.state, req.rating) == ("rated", 5)
    steps = list(StateChange.objects.filter(object_id=req.pk, workflow="request").values_list("transition", flat=True))
    assert steps == ["create", "dispatch", "accept", "start", "resolve", "rate"]
    assert AuditEvent.objects.filter(action="request.submit", target_id=str(req.pk)).exists()

    # Seven days after the resolution the sweep closes it.
    later = req.resolved_at + dt.timedelta(days=7, minutes=1)
    assert services.sweep(now=later)["closed"] == 1
    req.refresh_from_db()
    assert req.state == "closed"


def test_timeline_hides_internal_notes_from_the_resident(county, categories):
    users = county.users
    req = file_request(county, categories)
    services.request_dispatch(actor=users["grid_worker"], request=req, to=HandlerKind.DEPARTMENT,
                              department=county.department)
    services.request_return(actor=users["department_staff"], request=req, reason="不属于本局职责,内部说明")
    staff_view = selectors.timeline(users["grid_worker"], req)
    resident_view = selectors.timeline(users["resident"], req)
    assert [e.transition for e in staff_view] == [e.transition for e in resident_view] == ["create", "dispatch",
                                                                                          "return"]
    assert staff_view[-1].note == "不属于本局职责,内部说明"
    assert resident_view[-1].note == ""


def test_only_the_requester_rates_and_only_when_resolved(county, categories):
    users = county.users
    req = file_request(county, categories)
    # Not resolved yet: refused by the request's state (409), on the field ``state``.
    with pytest.raises(Conflict) as err:
        services.request_rate(actor=users["resident"], request=req, rating=4)
    assert "state" in err.value.fields
    services.request_dispatch(actor=users["grid_worker"], request=req, to=HandlerKind.LEVEL)
    services.request_accept(actor=users["grid_worker"], request=req)
    services.request_resolve(actor=users["grid_worker"], request=req, result="已协调解决")
    req.refresh_from_db()
    assert req.resolved_level == Level.VILLAGE
    with pytest.raises(ValidationError) as err:
        services.request_rate(actor=users["resident"], request=req, rating=6)
    assert "rating" in err.value.fields
    # Staff cannot rate; a resident of another household cannot even see it.
    with pytest.raises(PermissionDenied):
        services.request_rate(actor=users["grid_worker"], request=req, rating=5)
    other = _other_resident(county)
    with pytest.raises(NotFound):
        services.request_rate(actor=other, request=req, rating=5)
    req.refresh_from_db()
    assert req.state == "resolved"
    assert req.rating is None


def _other_resident(county):
    from shanzhi.regions.models import Resident
    from tests import factories

    head = Resident.objects.filter(household=county.households[5], relation="head").get()
    return factories.user("u_other_resident", phone=head.phone, resident=head)


def test_reopen_within_seven_days_once(county, categories):
    users = county.users
    req = file_request(county, categories)
    services.request_dispatch(actor=users["grid_leader"], request=req, to=HandlerKind.DEPARTMENT,
                              department=county.department)
    services.request_accept(actor=users["department_staff"], request=req)
    services.request_resolve(actor=users["department_staff"], request=req, result="修好了")
    services.request_reopen(actor=users["resident"], request=req, reason="还在漏水")
    req.refresh_from_db()
    assert (req.state, req.reopen_count) == ("reopened", 1)
    assert req.escalation_due is not None
    # The same department takes it back and resolves again; a second reopen is refused.
    services.request_accept(actor=users["department_staff"], request=req)
    services.request_resolve(actor=users["department_staff"], request=req, result="彻底修好")
    with pytest.raises(Conflict) as err:
        services.request_reopen(actor=users["resident"], request=req, reason="again")
    assert "state" in err.value.fields


def test_reopen_refused_after_seven_days(county, categories):
    users = county.users
    req = file_request(county, categories)
    services.request_dispatch(actor=users["grid_leader"], request=req, to=HandlerKind.LEVEL)
    services.request_accept(actor=users["grid_leader"], request=req)
    services.request_resolve(actor=users["grid_leader"], request=req, result="done")
    ServiceRequest.objects.filter(pk=req.pk).update(resolved_at=timezone.now() - dt.timedelta(days=8))
    req.refresh_from_db()
    with pytest.raises(Conflict) as err:
        services.request_reopen(actor=users["resident"], request=req, reason="not fixed")
    assert "state" in err.value.fields


def test_escalation_by_hand_goes_up_to_the_county_and_no_further(county, categories):
    users = county.users
    req = file_request(county, categories)
    services.request_escalate(actor=users["grid_worker"], request=req, reason="村里解决不了")
    req.refresh_from_db()
    assert (req.state, req.level, req.handling_path) == ("escalated", "township", county.townships[0].path)
    # The grid can no longer dispatch it; the township can.
    with pytest.raises(PermissionDenied):
        services.request_dispatch(actor=users["grid_worker"], request=req, to=HandlerKind.LEVEL)
    services.request_escalate(actor=users["township_staff"], request=req, reason="需要县里协调")
    req.refresh_from_db()
    assert (req.level, req.handling_path, req.escalation_count) == ("county", county.county.path, 2)
    assert req.escalation_due is None
    with pytest.raises(Conflict) as err:
        services.request_escalate(actor=users["county_staff"], request=req, reason="更高")
    assert "level" in err.value.fields
    told = set(Notification.objects.filter(kind="request.escalated").values_list("recipient_id", flat=True))
    assert {users["township_staff"].pk, users["county_staff"].pk, users["grid_leader"].pk} <= told


def test_dispatch_to_a_party_member_who_accepts(county, categories, member):
    users = county.users
    req = file_request(county, categories, category="neighbourhood")
    services.request_dispatch(actor=users["grid_leader"], request=req, to=HandlerKind.MEMBER, member=member)
    assert selectors.requests(member.user, queue="incoming").filter(pk=req.pk).exists()
    assert not selectors.requests(member.user, queue="all").exclude(pk=req.pk).exists()
    services.request_accept(actor=member.user, request=req)
    services.request_resolve(actor=member.user, request=req, result="上门调解,已和好")
    req.refresh_from_db()
    assert (req.state, req.resolved_level) == ("resolved", Level.VILLAGE)


def test_wrong_actors_are_refused(county, categories):
    users = county.users
    req = file_request(county, categories)
    # Department staff do not see an undispatched request; the other grid's worker neither.
    with pytest.raises(NotFound):
        services.request_dispatch(actor=users["department_staff"], request=req, to=HandlerKind.LEVEL)
    services.request_dispatch(actor=users["grid_worker"], request=req, to=HandlerKind.DEPARTMENT,
                              department=county.department)
    # A grid worker is not the department: cannot accept (in scope: 403).
    with pytest.raises(PermissionDenied):
        services.request_accept(actor=users["grid_worker"], request=req)
    # Accepting twice: the second is not allowed from "accepted".
    services.request_accept(actor=users["department_staff"], request=req)
    with pytest.raises(Conflict) as err:
        services.request_accept(actor=users["department_staff"], request=req)
    assert "state" in err.value.fields


def test_stale_copy_accept_is_a_conflict(county, categories):
    users = county.users
    req = file_request(county, categories)
    services.request_dispatch(actor=users["grid_worker"], request=req, to=HandlerKind.DEPARTMENT,
                              department=county.department)
    stale = ServiceRequest.objects.get(pk=req.pk)
    services.request_accept(actor=users["department_staff"], request=req)
    with pytest.raises(Conflict):
        services.request_accept(actor=users["department_staff"], request=stale)


def test_reject_with_reason_shown_to_resident(county, categories):
    users = county.users
    req = file_request(county, categories, category="other")
    services.request_reject(actor=users["grid_leader"], request=req, reason="属于私人合同纠纷,请走司法途径")
    req.refresh_from_db()
    assert req.state == "rejected"
    assert selectors.timeline(users["resident"], req)[-1].note == "属于私人合同纠纷,请走司法途径"
    assert Notification.objects.filter(kind="request.rejected", recipient=users["resident"]).exists()


def test_merge_duplicate_and_the_reporter_follows(county, categories):
    users = county.users
    main = file_request(county, categories)
    dup = file_request(county, categories, who="grid_worker", household=county.households[1],
                       description="网格内水管漏水")
    found = selectors.similar(users["grid_worker"], category=dup.category, region_path=dup.region_path,
                              exclude=dup.pk)
    assert [r.pk for r in found] == [main.pk]
    services.request_merge(actor=users["grid_worker"], duplicate=main, main=dup)
    main.refresh_from_db()
    assert (main.state, main.merged_into_id) == ("merged", dup.pk)
    # The resident of the merged request now follows the main one.
    assert dup.pk in set(selectors.requests(users["resident"], queue="mine").values_list("pk", flat=True))
    services.request_dispatch(actor=users["grid_worker"], request=dup, to=HandlerKind.LEVEL)
    services.request_accept(actor=users["grid_worker"], request=dup)
    services.request_resolve(actor=users["grid_worker"], request=dup, result="修好")
    assert Notification.objects.filter(kind="request.resolved", recipient=users["resident"]).exists()
    with pytest.raises(ValidationError):
        services.request_merge(actor=users["grid_worker"], duplicate=dup, main=dup)
