"""Votes: the roll from the map, the window, online and paper ballots, secrecy.

- The roll (``Elector``) is taken from the map when the vote is created: every active
  villager aged eighteen or over on the opening day, or every household, by the vote's basis.
- ``Turnout`` says that an elector voted, online or on paper; it is one-to-one with the
  elector, so the database itself refuses a second vote, whatever the race or the channel.
- What was chosen is kept as counts on the options. A named ballot also keeps a
  ``NamedChoice`` per turnout; a secret ballot keeps nothing that links a choice to a voter,
  and its results stay hidden until the close (a live count would let someone watching it
  match each change to the voter who just voted). Secret paper ballots are counted as
  totals after the close, no more than the paper voters marked on the roll.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.core import access, audit, workflow
from shanzhi.core.errors import Conflict, PermissionDenied, ValidationError
from shanzhi.deliberation.models import (
    Channel,
    Elector,
    Matter,
    NamedChoice,
    RoleModel,
    Secrecy,
    Turnout,
    Vote,
    VoteBasis,
    VoteOption,
    VotePurpose,
)
from shanzhi.deliberation.services._common import adult_cutoff, placed, text, village_of, village_rules, whole
from shanzhi.regions.models import Household, Region, Resident

MAX_OPTIONS = 30
MAX_WINDOW = dt.timedelta(days=90)


def _roll(vote: Vote) -> list[Elector]:
    opening_day = timezone.localdate(vote.opens_at)
    if vote.basis == VoteBasis.PERSON:
        people = Resident.objects.filter(household__village=vote.village, status=Resident.Status.ACTIVE,
                                         birth_date__lte=adult_cutoff(opening_day)).values_list("pk", flat=True)
        return [Elector(vote=vote, resident_id=pk) for pk in people]
    homes = (Household.objects.filter(village=vote.village, members__status=Resident.Status.ACTIVE)
             .distinct().values_list("pk", flat=True))
    return [Elector(vote=vote, household_id=pk) for pk in homes]


@transaction.atomic
def vote_create(*, actor: Any, village: Region | None, title: str, question: str, options: Sequence[str],
                opens_at: dt.datetime | None, closes_at: dt.datetime | None, secrecy: str = Secrecy.SECRET,
                basis: str | None = None, online: bool | None = None, hide_results_until_close: bool = True,
                purpose: str = VotePurpose.POLL, matter: Matter | None = None, seats: int = 1,
                role_models: Sequence[RoleModel] = ()) -> Vote:
    village = village_of(village)
    vote = Vote(village=village, created_by=actor, **placed(village))
    access.require(actor, "vote.create", vote)
    vote.title = text(title, field="title", max_length=100)
    vote.question = text(question, field="question", max_length=4000)
    rules_of_village = village_rules(village)
    if secrecy not in Secrecy.values:
        raise ValidationError(_("Choose a named or a secret ballot."), field="secrecy")
    vote.secrecy = secrecy
    basis = basis or rules_of_village.default_vote_basis
    if basis not in VoteBasis.values:
        raise ValidationError(_("Choose who votes: each adult villager or each household."), field="basis")
    vote.basis = basis
    vote.online = rules_of_village.allow_online_voting if online is None else bool(online)
    if vote.online and not rules_of_village.allow_online_voting:
        raise ValidationError(_("This village has not allowed online voting; the vote is on paper."),
                              field="online")
    # A live count of a secret ballot would betray each voter to whoever watches it change.
    vote.hide_results_until_close = True if secrecy == Secrecy.SECRET else bool(hide_results_until_close)
    now = timezone.now()
    if opens_at is None or closes_at is None:
        raise ValidationError(_("Enter when voting opens and closes."), field="opens_at" if opens_at is None
                              else "closes_at")
    if closes_at <= opens_at:
        raise ValidationError(_("Voting must close after it opens."), field="closes_at")
    if closes_at <= now:
        raise ValidationError(_("The closing time has already passed."), field="closes_at")
    if closes_at - opens_at > MAX_WINDOW:
        raise ValidationError(_("A vote stays open at most 90 days."), field="closes_at")
    if opens_at < now - dt.timedelta(minutes=10):
        raise ValidationError(_("A vote cannot open in the past."), field="opens_at")
    vote.opens_at, vote.closes_at = opens_at, closes_at
    if purpose not in VotePurpose.values:
        raise ValidationError(_("Choose what the vote is for."), field="purpose")
    vote.purpose = purpose
    if matter is not None and matter.village_id != village.pk:
        raise ValidationError(_("The matter belongs to another village."), field="matter")
    vote.matter = matter
    labels = [text(o, field="options", max_length=100) for o in options]
    if len(labels) < 2 or len(labels) > MAX_OPTIONS:
        raise ValidationError(_("Give between 2 and %(n)d options.") % {"n": MAX_OPTIONS}, field="options")
    if len(set(labels)) != len(labels):
        raise ValidationError(_("Two options have the same text."), field="options")
    vote.seats = whole(seats, field="seats", minimum=1, maximum=len(labels) - 1 if purpose == VotePurpose.ROLE_MODELS
                       else 1)
    vote.save()
    models_by_position = list(role_models) if purpose == VotePurpose.ROLE_MODELS else []
    VoteOption.objects.bulk_create([
        VoteOption(vote=vote, position=i + 1, label=label,
                   role_model=models_by_position[i] if models_by_position else None)
        for i, label in enumerate(labels)])
    electors = _roll(vote)
    if not electors:
        raise ValidationError(_("No one in this village is on the roll for this vote."), field="village")
    Elector.objects.bulk_create(electors, batch_size=1000)
    Vote.objects.filter(pk=vote.pk).update(elector_count=len(electors))
    vote.elector_count = len(electors)
    audit.record(actor=actor, action="vote.create", target=vote, detail={
        "basis": vote.basis, "secrecy": vote.secrecy, "online": vote.online, "electors": len(electors),
        "opens_at": opens_at.isoformat(), "closes_at": closes_at.isoformat()})
    return vote


def _in_window(vote: Vote, field: str = "vote") -> None:
    now = timezone.now()
    if now < vote.opens_at:
        raise ValidationError(_("Voting has not opened yet; it opens at %(at)s.")
                              % {"at": timezone.localtime(vote.opens_at).strftime("%Y-%m-%d %H:%M")}, field=field)
    if now >= vote.closes_at:
        raise ValidationError(_("Voting closed at %(at)s.")
                              % {"at": timezone.localtime(vote.closes_at).strftime("%Y-%m-%d %H:%M")}, field=field)


def _option(vote: Vote, option_id: Any, field: str = "option") -> VoteOption:
    option = VoteOption.objects.filter(vote=vote, pk=option_id).first() if isinstance(option_id, int) else None
    if option is None:
        raise ValidationError(_("Choose one of this vote's options."), field=field)
    return option


def _turn_out(vote: Vote, elector: Elector, channel: str, *, voter: Any = None, entered_by: Any = None
              ) -> Turnout:
    """The one row that makes a vote count once: a second one for the same elector fails
    on the unique key, online or paper, however close together."""
    try:
        with transaction.atomic():
            turnout = Turnout.objects.create(vote=vote, elector=elector, channel=channel, voter=voter,
                                             entered_by=entered_by)
    except IntegrityError:
        raise Conflict(_("This voter has already voted."), field="elector") from None
    Vote.objects.filter(pk=vote.pk).update(turnout_count=F("turnout_count") + 1)
    return turnout


def _count(option: VoteOption, channel: str) -> None:
    column = "online_count" if channel == Channel.ONLINE else "paper_count"
    VoteOption.objects.filter(pk=option.pk).update(**{column: F(column) + 1})


@transaction.atomic
def vote_cast(*, actor: Any, vote: Vote, option_id: Any) -> Turnout:
    """A villager votes online, for themself or (one vote per household) their household."""
    access.require(actor, "vote.cast", vote)
    viewer = access.viewer_for(actor)
    if not vote.online:
        raise ValidationError(_("This vote is held on paper only."), field="vote")
    _in_window(vote)
    option = _option(vote, option_id)
    resident = Resident.objects.filter(pk=viewer.resident_id).first() if viewer.resident_id else None
    if resident is None or resident.birth_date is None or resident.birth_date > adult_cutoff(
            timezone.localdate(vote.opens_at)):
        raise PermissionDenied(_("You are not on the roll of this vote."))
    if vote.basis == VoteBasis.PERSON:
        elector = Elector.objects.filter(vote=vote, resident=resident).first()
    else:
        elector = Elector.objects.filter(vote=vote, household=resident.household).first()
    if elector is None:
        raise PermissionDenied(_("You are not on the roll of this vote."))
    turnout = _turn_out(vote, elector, Channel.ONLINE, voter=actor)
    if vote.secrecy == Secrecy.NAMED:
        NamedChoice.objects.create(turnout=turnout, option=option)
    _count(option, Channel.ONLINE)
    detail: dict[str, Any] = {"channel": Channel.ONLINE}
    if vote.secrecy == Secrecy.NAMED:
        detail["option"] = option.pk
    audit.record(actor=actor, action="vote.cast", target=vote, detail=detail)
    return turnout


@transaction.atomic
def vote_paper_record(*, actor: Any, vote: Vote, resident: Resident | None = None,
                      household: Household | None = None, option_id: Any = None) -> Turnout:
    """An official enters a paper ballot: who voted (marked on the roll) and, for a named
    ballot, their choice. A secret ballot's paper choices are counted after the close."""
    access.require(actor, "vote.paper", vote)
    _in_window(vote)
    if vote.basis == VoteBasis.PERSON:
        if resident is None:
            raise ValidationError(_("Choose the villager who voted."), field="resident")
        elector = Elector.objects.filter(vote=vote, resident=resident).first()
        field = "resident"
    else:
        if household is None and resident is not None:
            household = resident.household
        if household is None:
            raise ValidationError(_("Choose the household that voted."), field="household")
        elector = Elector.objects.filter(vote=vote, household=household).first()
        field = "household"
    if elector is None:
        raise ValidationError(_("Not on the roll of this vote."), field=field)
    option = None
    if vote.secrecy == Secrecy.NAMED:
        option = _option(vote, option_id)
    elif option_id is not None:
        raise ValidationError(_("A secret ballot's choice is never entered against a voter: count the paper "
                                "ballots after the close."), field="option")
    turnout = _turn_out(vote, elector, Channel.PAPER, entered_by=actor)
    if option is not None:
        NamedChoice.objects.create(turnout=turnout, option=option)
        _count(option, Channel.PAPER)
    audit.record(actor=actor, action="vote.paper", target=vote,
                 detail={"elector": elector.pk, **({"option": option.pk} if option else {})})
    return turnout


@transaction.atomic
def vote_paper_tally(*, actor: Any, vote: Vote, counts: dict[int, int]) -> Vote:
    """Enter the count of a secret ballot's paper ballots, once, after the close."""
    access.require(actor, "vote.paper", vote)
    vote = Vote.objects.select_for_update().get(pk=vote.pk)
    if vote.secrecy != Secrecy.SECRET:
        raise ValidationError(_("A named ballot's paper votes are entered one by one."), field="counts")
    if not vote.is_closed():
        raise ValidationError(_("Paper ballots are counted after voting closes."), field="counts")
    if vote.paper_tallied_at is not None:
        raise Conflict(_("The paper ballots of this vote have already been counted."), field="counts")
    options = {o.pk: o for o in vote.options.all()}
    if not isinstance(counts, dict) or set(counts) != set(options):
        raise ValidationError(_("Give a count for every option."), field="counts")
    cleaned = {pk: whole(n, field=f"counts.{pk}", maximum=1_000_000) for pk, n in counts.items()}
    paper_voters = vote.turnouts.filter(channel=Channel.PAPER).count()
    if sum(cleaned.values()) > paper_voters:
        raise ValidationError(_("%(ballots)d ballots counted but only %(voters)d paper voters on the roll.")
                              % {"ballots": sum(cleaned.values()), "voters": paper_voters}, field="counts")
    for pk, n in cleaned.items():
        VoteOption.objects.filter(pk=pk).update(paper_count=n)
    vote.paper_tallied_at, vote.paper_tallied_by = timezone.now(), actor
    vote.save(update_fields=["paper_tallied_at", "paper_tallied_by"])
    audit.record(actor=actor, action="vote.paper_tally", target=vote,
                 detail={"counts": {str(k): v for k, v in cleaned.items()}, "paper_voters": paper_voters})
    return vote


def results_final(vote: Vote) -> bool:
    """Closed, and any secret paper ballots counted."""
    if not vote.is_closed():
        return False
    if vote.secrecy == Secrecy.SECRET and vote.paper_tallied_at is None:
        return not vote.turnouts.filter(channel=Channel.PAPER).exists()
    return True


@transaction.atomic
def vote_settle_role_models(*, actor: Any, vote: Vote) -> list[RoleModel]:
    """After a role-model vote: the most-voted nominees up to the seats are awarded, the
    rest are not chosen; a tie for the last seat goes back to the council. Idempotent."""
    vote = Vote.objects.select_for_update().get(pk=vote.pk)
    if actor is not workflow.SYSTEM:
        access.require(actor, "rolemodel.review", vote, view_action="vote.view")
    if vote.purpose != VotePurpose.ROLE_MODELS:
        raise ValidationError(_("This vote does not choose role models."), field="vote")
    if vote.settled_at is not None:
        return []
    if not results_final(vote):
        raise ValidationError(_("The vote is not over yet (or its paper ballots are not counted)."), field="vote")
    options = sorted(vote.options.select_related("role_model"), key=lambda o: -o.total)
    cut = options[vote.seats - 1].total if len(options) >= vote.seats else 0
    tied_at_cut = [o for o in options if o.total == cut]
    above = [o for o in options if o.total > cut]
    changed = []
    for option in options:
        model = option.role_model
        if model is None or model.state != "voting":
            continue
        if option.total > 0 and (option in above or (option in tied_at_cut and len(above) + len(tied_at_cut)
                                                     <= vote.seats)):
            step, note = "award", _("chosen by the vote “%(vote)s” with %(n)d votes")
        elif option.total > 0 and option in tied_at_cut:
            step, note = "back_to_review", _("tied for the last place in the vote “%(vote)s” with %(n)d votes")
        else:
            step, note = "decline", _("not chosen by the vote “%(vote)s” (%(n)d votes)")
        from shanzhi.deliberation.services.virtue import after_award

        workflow.transition(model, name=step, actor=actor, note=note % {"vote": vote.title, "n": option.total})
        if step == "award":
            after_award(model, actor)
        changed.append(model)
    vote.settled_at = timezone.now()
    vote.save(update_fields=["settled_at"])
    audit.record(actor=None if actor is workflow.SYSTEM else actor, action="vote.settle", target=vote,
                 detail={"changed": [m.pk for m in changed]})
    return changed
