"""Role models: nominated, decided by a quorate council meeting or by the villagers' vote,
linked to the household, passed to the points system through the loose hook, posted."""

from __future__ import annotations

import pytest
from django.utils import timezone

from shanzhi.core import workflow
from shanzhi.core.errors import PermissionDenied, ValidationError
from shanzhi.deliberation import hooks, selectors, services
from shanzhi.deliberation.models import Notice, RoleModel, VillageRules, Vote
from shanzhi.regions.models import Resident
from tests import factories
from tests.deliberation.conftest import soon

YEAR = timezone.localdate().year


def nominate(actor, household, title="civilised_family", resident=None, **extra):
    return services.role_model_nominate(actor=actor, household=household, title=title, year=YEAR,
                                        deeds="家庭和睦，热心公益。", resident=resident, **extra)


def council(users, village, present=5, members=7):
    return services.council_meeting_record(actor=users["village_secretary"], village=village,
                                           held_on=timezone.localdate(), member_count=members,
                                           present_count=present, minutes="评议")


@pytest.fixture
def awarded_hook():
    seen = []

    def hook(role_model, actor):
        seen.append((role_model.pk, role_model.points, actor))

    hooks.on_role_model_awarded(hook)
    yield seen
    hooks.ROLE_MODEL_AWARDED.remove(hook)


def test_the_council_awards_at_a_quorate_meeting_and_the_hook_hears_after_commit(
        users, village, county, awarded_hook, django_capture_on_commit_callbacks):
    household = county.households[0]
    model = nominate(users["grid_worker"], household, points=10)
    assert model.state == "nominated"
    assert model.region_path == village.path
    with pytest.raises(ValidationError) as err:
        services.role_model_review(actor=users["village_secretary"], role_model=model,
                                   meeting=council(users, village, present=3), award=True)
    assert "meeting" in err.value.fields
    with django_capture_on_commit_callbacks(execute=True):
        services.role_model_review(actor=users["village_secretary"], role_model=model,
                                   meeting=council(users, village), award=True)
    model.refresh_from_db()
    assert model.state == "awarded"
    assert model.council_meeting is not None
    assert awarded_hook == [(model.pk, 10, users["village_secretary"])]
    assert list(selectors.role_models(users["resident"], household=household)) == [model]


def test_nomination_rules(users, village, county, other_village):
    household = county.households[0]
    with pytest.raises(ValidationError) as err:
        nominate(users["grid_worker"], household, title="filial_star")
    assert "resident" in err.value.fields
    stranger = Resident.objects.filter(household=county.households[1]).first()
    with pytest.raises(ValidationError):
        nominate(users["grid_worker"], household, title="filial_star", resident=stranger)
    nominate(users["resident"], household)  # a resident nominates in their own village
    with pytest.raises(ValidationError) as err:
        nominate(users["grid_worker"], household)
    assert "title" in err.value.fields  # once a year per title
    far = county.households[-1]
    from shanzhi.core.errors import NotFound

    with pytest.raises(NotFound):
        nominate(users["resident"], far)
    with pytest.raises(PermissionDenied):
        services.role_model_review(actor=users["grid_worker"], role_model=RoleModel.objects.get(),
                                   meeting=council(users, village), award=True)


def test_a_vote_chooses_among_nominees_and_ties_go_back_to_the_council(users, village, county, awarded_hook,
                                                                        django_capture_on_commit_callbacks):
    VillageRules.objects.create(village=village, region_path=village.path, county_id=village.county_id,
                                allow_online_voting=True)
    models = [nominate(users["village_committee"], h, title="five_star_household") for h in county.households[:3]]
    vote = services.role_model_vote_open(actor=users["village_secretary"], role_models=models,
                                         title="五星级文明户评选", opens_at=soon(-1), closes_at=soon(60), seats=1)
    assert vote.purpose == "role_models"
    assert vote.options.count() == 3
    assert {m.state for m in RoleModel.objects.all()} == {"voting"}
    # The villagers vote: 2 for the first household, 1 for the second.
    voters = list(Resident.objects.filter(household__village=village, account__isnull=True).order_by("id")[:3])
    accounts = [factories.user(f"u_v{p.pk}", resident=p) for p in voters]
    options = list(vote.options.order_by("position"))
    for account, option in zip(accounts, [options[0], options[0], options[1]], strict=True):
        services.vote_cast(actor=account, vote=vote, option_id=option.pk)
    with pytest.raises(ValidationError):  # not over yet
        services.vote_settle_role_models(actor=users["village_secretary"], vote=vote)
    Vote.objects.filter(pk=vote.pk).update(opens_at=soon(-120), closes_at=soon(-1))
    vote.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.vote_settle_role_models(actor=workflow.SYSTEM, vote=vote)
    states = {m.pk: m.state for m in RoleModel.objects.all()}
    assert states == {models[0].pk: "awarded", models[1].pk: "declined", models[2].pk: "declined"}
    assert [pk for pk, _points, _actor in awarded_hook] == [models[0].pk]
    assert services.vote_settle_role_models(actor=workflow.SYSTEM, vote=vote) == []  # idempotent

    # A tie for the one seat goes back to the council.
    tied = [nominate(users["village_committee"], h, title="civilised_family") for h in county.households[3:5]]
    second = services.role_model_vote_open(actor=users["village_secretary"], role_models=tied, title="文明家庭",
                                           opens_at=soon(-1), closes_at=soon(60), seats=1)
    for account, option in zip(accounts[:2], second.options.order_by("position"), strict=True):
        services.vote_cast(actor=account, vote=second, option_id=option.pk)
    Vote.objects.filter(pk=second.pk).update(opens_at=soon(-120), closes_at=soon(-1))
    second.refresh_from_db()
    services.vote_settle_role_models(actor=workflow.SYSTEM, vote=second)
    assert {RoleModel.objects.get(pk=m.pk).state for m in tied} == {"nominated"}


def test_the_years_role_models_are_posted_names_only_where_the_village_publishes_them(users, village, county):
    household = county.households[0]
    head = household.members.get(relation="head")
    model = nominate(users["village_committee"], household, title="exemplar", resident=head)
    services.role_model_review(actor=users["village_secretary"], role_model=model, meeting=council(users, village),
                               award=True)
    notice = services.role_models_publish(actor=users["village_secretary"], village=village, year=YEAR)
    assert notice.category == "role_models"
    assert head.name not in notice.body
    assert head.name[0] in notice.body
    Notice.objects.all().delete()
    VillageRules.objects.create(village=village, region_path=village.path, county_id=village.county_id,
                                publish_names=True)
    notice = services.role_models_publish(actor=users["village_secretary"], village=village, year=YEAR)
    assert head.name in notice.body
    with pytest.raises(ValidationError):
        services.role_models_publish(actor=users["village_secretary"], village=village, year=YEAR - 1)


def test_the_periodic_job_settles_closed_role_model_votes(users, village, county,
                                                           django_capture_on_commit_callbacks):
    from shanzhi.deliberation.tasks import settle_role_model_votes

    VillageRules.objects.create(village=village, region_path=village.path, county_id=village.county_id,
                                allow_online_voting=True)
    models = [nominate(users["village_committee"], h, title="civilised_family") for h in county.households[:2]]
    vote = services.role_model_vote_open(actor=users["village_secretary"], role_models=models, title="文明家庭评选",
                                         opens_at=soon(-1), closes_at=soon(60), seats=1)
    services.vote_cast(actor=users["resident"], vote=vote, option_id=vote.options.order_by("position").first().pk)
    assert settle_role_model_votes.apply().get() == 0  # still open
    Vote.objects.filter(pk=vote.pk).update(opens_at=soon(-120), closes_at=soon(-1))
    assert settle_role_model_votes.apply().get() == 1
    assert RoleModel.objects.get(pk=models[0].pk).state == "awarded"
    assert settle_role_model_votes.apply().get() == 0  # settled once


def test_the_back_office_lists_open_read_only(client, county, village):
    from django.urls import reverse

    from shanzhi.deliberation import admin as deliberation_admin  # noqa: F401 (registers the admins)

    admin_user = county.users["admin"]
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    nominate(county.users["village_committee"], county.households[0])
    for model in ("topic", "deliberationmeeting", "matter", "vote", "notice", "disclosurerequirement", "rolemodel",
                  "councilmeeting", "admonition", "redblacklist", "villagerules"):
        assert client.get(reverse(f"admin:deliberation_{model}_changelist")).status_code == 200, model
    model = RoleModel.objects.get()
    page = client.get(reverse("admin:deliberation_rolemodel_change", args=[model.pk]))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()


def test_members_of_the_moral_review_council_decide_without_a_position(users, village, county):
    """The council's members are on the points module's duty roster; that roster is what
    lets them record the council's meetings and decide nominations."""
    import datetime as dt

    from shanzhi.points.models import Duty

    member = factories.user("u_council_member")
    Duty.objects.create(user=member, kind="points_reviewer", region=village, region_path=village.path,
                        start_date=dt.date(2020, 1, 1))
    model = nominate(users["grid_worker"], county.households[0])
    meeting = services.council_meeting_record(actor=member, village=village, held_on=timezone.localdate(),
                                              member_count=5, present_count=4, minutes="评议")
    services.role_model_review(actor=member, role_model=model, meeting=meeting, award=True)
    model.refresh_from_db()
    assert model.state == "awarded"
    services.admonition_record(actor=member, meeting=meeting, household=county.households[1], conduct="gambling",
                               description="d")
    with pytest.raises(PermissionDenied):  # deciding is the council's, not posting notices
        services.role_models_publish(actor=member, village=village, year=YEAR)
