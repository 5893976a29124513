"""Pages of deliberation and disclosure: for residents (topics, votes, boards), village staff
(matters, meetings, notices, the council) and township staff (late disclosures, the
red/black list). Each view reads through the selectors and writes through the services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST

from shanzhi.core import access, workflow
from shanzhi.core.errors import Conflict, NotFound, ValidationError
from shanzhi.deliberation import disclosure, forms, indicators, selectors, services
from shanzhi.deliberation.api import file_response
from shanzhi.deliberation.models import (
    BOARD_CATEGORIES,
    Board,
    Notice,
    RoleModel,
    Secrecy,
    VoteBasis,
)
from shanzhi.deliberation.services.matters import STAGE_BODIES, map_figures, stages_of
from shanzhi.regions.models import Household, Region, Resident
from shanzhi.web.pages import may, page_view, paginate, viewer_of


def _form_page(request: HttpRequest, form: forms.DomainForm, *, title: str, submit: str, intro: str = "",
               back: str = "", multipart: bool = False) -> HttpResponse:
    return render(request, "deliberation/form.html", {"form": form, "title": title, "intro": intro,
                                                      "submit": submit, "back": back, "multipart": multipart})


def _act(request: HttpRequest, back: str, do: Callable[[], Any], done: str) -> HttpResponse:
    """Run a one-button action and return to its page, with the outcome as a message."""
    try:
        do()
    except (ValidationError, Conflict) as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, done)
    return redirect(back)


def action_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponseBase]:
    return require_POST(page_view(view))


def _require(viewer: access.Viewer, action: str) -> None:
    """A form only for those whose role allows its action somewhere (403 for the others)."""
    access.require_any_role(viewer, action)


def _staff(viewer: access.Viewer) -> bool:
    return viewer.is_admin or any(g.role != access.RESIDENT for g in viewer.grants)


def _village_filter(request: HttpRequest, action: str) -> Region | None:
    code = request.GET.get("village", "").strip()
    if not code:
        return None
    try:
        return selectors.village_ref(request.user, code, action=action)
    except ValidationError:
        raise Http404 from None


# -- overview --------------------------------------------------------------------------------

@page_view
def index(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    home_village = None
    if viewer.home_path:
        home_village = Region.objects.filter(level=Region.Level.VILLAGE, path__in=_ancestors(viewer.home_path)).first()
    return render(request, "deliberation/index.html", {
        "home_village": home_village, "staff": _staff(viewer),
        "open_topics": selectors.topics(viewer, state="open").count(),
        "open_votes": selectors.votes(viewer, status="open").count(),
        "matters_under_way": selectors.matters(viewer).exclude(state__in=["result_disclosed", "ended"]).count()
        if may(viewer, "matter.view") else 0,
        "may": {action.replace(".", "_"): may(viewer, action) for action in (
            "topic.raise", "matter.view", "matter.propose", "vote.create", "notice.view", "notice.post",
            "disclosure.view", "disclosure.manage", "rolemodel.view", "rolemodel.nominate", "council.view",
            "ranking.view", "deliberation.view", "deliberation.record", "villagerules.change")},
        "board_villages": selectors.villages_for(viewer, "notice.view")[:30] if _staff(viewer) else [],
    })


def _ancestors(path: str) -> list[str]:
    from shanzhi.core import tree

    return tree.ancestors(path)


# -- topics ------------------------------------------------------------------------------------

@page_view
def topics(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    village = _village_filter(request, "topic.view")
    state = request.GET.get("state", "open")
    rows = selectors.topics(viewer, village=village, state=state if state in ("open", "closed", "converted") else None,
                            q=request.GET.get("q", "").strip()[:50])
    return render(request, "deliberation/topics.html", {
        "page": paginate(request, rows), "state": state, "village": village,
        "may_raise": may(viewer, "topic.raise"), "q": request.GET.get("q", "")})


@page_view
def topic_new(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    _require(viewer, "topic.raise")
    villages = None if (viewer.home_path and not _staff(viewer)) else selectors.villages_for(viewer, "topic.raise")
    form = forms.TopicForm(request.POST or None, villages=villages)
    if request.method == "POST" and form.is_valid():
        try:
            village = form.cleaned_data.get("village") or selectors.village_ref(viewer, "", action="topic.raise")
            topic = services.topic_raise(actor=request.user, village=village, title=form.cleaned_data["title"],
                                         body=form.cleaned_data["body"])
        except ValidationError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("Your topic is up for discussion."))
            return redirect("deliberation:topic", pk=topic.pk)
    return _form_page(request, form, title=_("Raise a topic"), submit=_("Raise the topic"),
                      intro=_("Raise something the village should discuss. Residents of the village can read it, "
                              "comment and support it; the village committee may take it up as a formal matter."),
                      back=reverse("deliberation:topics"))


@page_view
def topic(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    item = selectors.topic_get(viewer, pk)
    matter = getattr(item, "matter", None) if item.state == "converted" else None
    return render(request, "deliberation/topic.html", {
        "topic": item, "matter": matter,
        "author": selectors.author_name(viewer, item.raised_by, item.raised_as, item),
        "comments": [(c, selectors.author_name(viewer, c.author, c.author_role, item))
                     for c in selectors.topic_comments(viewer, item)],
        "supported": selectors.supports(viewer, item),
        "may_support": bool(viewer.resident_id) and access.can(viewer, "topic.support", item),
        "may_comment": access.can(viewer, "topic.comment", item) and item.state == "open" and not item.hidden,
        "may_moderate": selectors.may_moderate(viewer, item),
        "may_convert": access.can(viewer, "matter.propose", item) and item.state == "open" and not item.hidden,
        "meetings": item.meetings.order_by("-held_on"),
        "history": workflow.history(item),
        "comment_form": forms.CommentForm(), "reason_form": forms.ReasonForm(),
    })


@action_view
def topic_comment(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.topic_get(request.user, pk)
    return _act(request, reverse("deliberation:topic", args=[pk]),
                lambda: services.topic_comment(actor=request.user, topic=item, body=request.POST.get("body", "")),
                _("Comment added."))


@action_view
def topic_support(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.topic_get(request.user, pk)
    if request.POST.get("withdraw"):
        return _act(request, reverse("deliberation:topic", args=[pk]),
                    lambda: services.topic_unsupport(actor=request.user, topic=item), _("Support withdrawn."))
    return _act(request, reverse("deliberation:topic", args=[pk]),
                lambda: services.topic_support(actor=request.user, topic=item), _("You support this topic."))


@action_view
def topic_moderate(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    item = selectors.topic_get(request.user, pk)
    steps: dict[str, tuple[Callable[[], Any], str]] = {
        "hide": (lambda: services.topic_hide(actor=request.user, topic=item, reason=request.POST.get("reason", "")),
                 _("The topic is hidden.")),
        "unhide": (lambda: services.topic_unhide(actor=request.user, topic=item), _("The topic is shown again.")),
        "close": (lambda: services.topic_close(actor=request.user, topic=item, note=request.POST.get("note", "")),
                  _("The topic is closed.")),
        "reopen": (lambda: services.topic_reopen(actor=request.user, topic=item), _("The topic is open again.")),
    }
    if step not in steps:
        raise Http404
    do, done = steps[step]
    return _act(request, reverse("deliberation:topic", args=[pk]), do, done)


@action_view
def comment_moderate(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    comment = selectors.comment_get(request.user, pk)
    back = reverse("deliberation:topic", args=[comment.topic_id])
    if step == "hide":
        return _act(request, back, lambda: services.comment_hide(actor=request.user, comment=comment,
                                                                 reason=request.POST.get("reason", "")),
                    _("The comment is hidden."))
    if step == "unhide":
        return _act(request, back, lambda: services.comment_unhide(actor=request.user, comment=comment),
                    _("The comment is shown again."))
    raise Http404


@page_view
def topic_convert(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.topic_get(request.user, pk)
    access.require(request.user, "matter.propose", item, view_action="topic.view")
    form = forms.ConvertForm(request.POST or None, initial={"title": item.title, "proposal": item.body})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            matter = services.topic_convert(actor=request.user, topic=item, kind=data["kind"], title=data["title"],
                                            proposal=data["proposal"], **form.money())
        except ValidationError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("The topic is now a formal matter."))
            return redirect("deliberation:matter", pk=matter.pk)
    return _form_page(request, form, title=_("Turn the topic into a matter"), submit=_("Open the matter"),
                      back=reverse("deliberation:topic", args=[pk]))


# -- offline meetings ------------------------------------------------------------------------

@page_view
def meetings(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    rows = selectors.meetings(viewer, village=_village_filter(request, "deliberation.view"))
    return render(request, "deliberation/meetings.html", {"page": paginate(request, rows),
                                                          "may_record": may(viewer, "deliberation.record")})


@page_view
def meeting_new(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    _require(viewer, "deliberation.record")
    villages = selectors.villages_for(viewer, "deliberation.record")
    form = forms.MeetingForm(request.POST or None, villages=villages,
                             topics=selectors.topics(viewer).filter(village__in=villages, state="open"))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meeting = services.meeting_record(
                actor=request.user, village=data["village"], kind=data["kind"], held_on=data["held_on"],
                place=data["place"], subject=data["subject"], attendee_count=data["attendee_count"],
                attendee_names=data["attendee_names"], outcome=data["outcome"], settled=data["settled"],
                topics=list(data["topics"]))
        except ValidationError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("The meeting is recorded."))
            return redirect("deliberation:meeting", pk=meeting.pk)
    return _form_page(request, form, title=_("Record a meeting"), submit=_("Record the meeting"),
                      intro=_("A courtyard, bench or field meeting where residents talked a matter through."),
                      back=reverse("deliberation:meetings"))


@page_view
def meeting(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    item = selectors.meeting_get(viewer, pk)
    return render(request, "deliberation/meeting.html", {"meeting": item,
                                                         "sees_names": selectors.sees_names(viewer, item)})


# -- matters ---------------------------------------------------------------------------------

@page_view
def matters(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    rows = selectors.matters(viewer, village=_village_filter(request, "matter.view"),
                             state=request.GET.get("state") or None)
    return render(request, "deliberation/matters.html", {"page": paginate(request, rows),
                                                         "may_propose": may(viewer, "matter.propose")})


@page_view
def matter_new(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    _require(viewer, "matter.propose")
    form = forms.MatterForm(request.POST or None, villages=selectors.villages_for(viewer, "matter.propose"))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            matter = services.matter_create(actor=request.user, village=data["village"], kind=data["kind"],
                                            title=data["title"], proposal=data["proposal"], **form.money())
        except ValidationError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("The matter is open; the Party branch proposes it first."))
            return redirect("deliberation:matter", pk=matter.pk)
    return _form_page(request, form, title=_("Open a matter"), submit=_("Open the matter"),
                      intro=_("Important matters pass the four deliberations and two disclosures; public works "
                              "may be decided one matter at a time by the villagers."),
                      back=reverse("deliberation:matters"))


def _stage_form(matter: Any, data: Any = None) -> forms.StageMeetingForm | None:
    due = services.next_stage(matter)
    if due is None:
        return None
    return forms.StageMeetingForm(data, bodies=STAGE_BODIES[due], initial={"stage": due})


def _matter_page(request: HttpRequest, matter: Any, *, stage_form: Any = None, result_form: Any = None,
                 status: int = 200) -> HttpResponse:
    viewer = viewer_of(request)
    manage = access.can(viewer, "matter.manage", matter)
    due = services.next_stage(matter)
    meetings_list = list(selectors.matter_meetings(matter))
    figures = map_figures(matter, STAGE_BODIES[due][0], timezone.localdate()) if due and manage else {}
    return render(request, "deliberation/matter.html", {
        "matter": matter, "due": due, "stages": stages_of(matter.kind),
        "done_stages": {m.stage for m in meetings_list if m.carried},
        "meetings": meetings_list, "notices": selectors.matter_notices(matter),
        "history": workflow.history(matter), "manage": manage, "sees_names": selectors.sees_names(viewer, matter),
        "figures": figures,
        "stage_form": (stage_form or _stage_form(matter)) if manage else None,
        "result_form": result_form or forms.DiscloseResultForm(),
        "disclose_form": forms.DiscloseResolutionForm(), "note_form": forms.NoteForm(),
    }, status=status)


@page_view
def matter(request: HttpRequest, pk: int) -> HttpResponse:
    return _matter_page(request, selectors.matter_get(request.user, pk))


@require_POST
@page_view
def matter_stage(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.matter_get(request.user, pk)
    form = _stage_form(item, request.POST)
    if form is None:
        messages.error(request, _("No meeting is due for this matter."))
        return redirect("deliberation:matter", pk=pk)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.matter_record_meeting(
                actor=request.user, matter=item, stage=data["stage"], body=data["body"], held_on=data["held_on"],
                place=data["place"], eligible_count=data["eligible_count"], present_count=data["present_count"],
                households_present=data["households_present"], attendee_names=data["attendee_names"],
                minutes=data["minutes"], votes_for=data["votes_for"], votes_against=data["votes_against"],
                votes_abstain=data["votes_abstain"], decision=data["decision"], resolution=data["resolution"],
                note=data["note"])
        except ValidationError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("The meeting is recorded."))
            return redirect("deliberation:matter", pk=pk)
    return _matter_page(request, item, stage_form=form, status=422)


@action_view
def matter_disclose(request: HttpRequest, pk: int, which: str) -> HttpResponse:
    item = selectors.matter_get(request.user, pk)
    back = reverse("deliberation:matter", args=[pk])
    if which == "resolution":
        resolution = forms.DiscloseResolutionForm(request.POST)
        if not resolution.is_valid():
            messages.error(request, _("Check the dates."))
            return redirect(back)
        return _act(request, back, lambda: services.matter_disclose_resolution(
            actor=request.user, matter=item, body=resolution.cleaned_data["body"],
            remove_on=resolution.cleaned_data["remove_on"]),
            _("The resolution is posted on the village-affairs board."))
    if which == "result":
        result = forms.DiscloseResultForm(request.POST)
        if not result.is_valid():
            return _matter_page(request, item, result_form=result, status=422)
        return _act(request, back, lambda: services.matter_disclose_result(
            actor=request.user, matter=item, result=result.cleaned_data["result"],
            remove_on=result.cleaned_data["remove_on"]), _("The result is posted; the matter is done."))
    raise Http404


@action_view
def matter_end(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.matter_get(request.user, pk)
    return _act(request, reverse("deliberation:matter", args=[pk]),
                lambda: services.matter_end(actor=request.user, matter=item, note=request.POST.get("note", "")),
                _("The matter has ended."))


# -- votes -----------------------------------------------------------------------------------

@page_view
def votes(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    status = request.GET.get("status", "open")
    rows = selectors.votes(viewer, village=_village_filter(request, "vote.view"),
                           status=status if status in ("open", "scheduled", "closed") else None)
    return render(request, "deliberation/votes.html", {"page": paginate(request, rows), "status": status,
                                                       "may_create": may(viewer, "vote.create")})


@page_view
def vote_new(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    _require(viewer, "vote.create")
    now = timezone.localtime().replace(second=0, microsecond=0)
    form = forms.VoteForm(request.POST or None, villages=selectors.villages_for(viewer, "vote.create"),
                          initial={"opens_at": now, "closes_at": now + dt.timedelta(days=7),
                                   "basis": VoteBasis.PERSON, "online": True})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            vote = services.vote_create(
                actor=request.user, village=data["village"], title=data["title"], question=data["question"],
                options=form.option_list(), opens_at=data["opens_at"], closes_at=data["closes_at"],
                secrecy=data["secrecy"], basis=data["basis"], online=data["online"],
                hide_results_until_close=data["hide_results_until_close"])
        except ValidationError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("The vote is set up; %(n)d people or households are on its roll.")
                             % {"n": vote.elector_count})
            return redirect("deliberation:vote", pk=vote.pk)
    return _form_page(request, form, title=_("Set up a vote"), submit=_("Set up the vote"),
                      intro=_("The roll comes from the map: every villager aged eighteen or over, or every "
                              "household. A secret ballot never links a choice to a voter."),
                      back=reverse("deliberation:votes"))


@page_view
def vote(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    item = selectors.vote_get(viewer, pk)
    results = selectors.vote_results(viewer, item)
    paper = access.can(viewer, "vote.paper", item)
    return render(request, "deliberation/vote.html", {
        "vote": item, "results": results, "ballot": selectors.my_ballot(viewer, item),
        "may_cast": access.can(viewer, "vote.cast", item) and item.online and item.is_open(),
        "paper": paper, "named": list(selectors.named_choices(viewer, item)) if paper else [],
        "tally_form": forms.TallyForm(options=item.options.all()) if paper and item.secrecy == Secrecy.SECRET
        and item.is_closed() and item.paper_tallied_at is None else None,
        "may_settle": item.purpose == "role_models" and item.settled_at is None
        and access.can(viewer, "rolemodel.review", item) and results.final,
    })


@action_view
def vote_cast(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.vote_get(request.user, pk)
    option = request.POST.get("option", "")
    return _act(request, reverse("deliberation:vote", args=[pk]),
                lambda: services.vote_cast(actor=request.user, vote=item,
                                           option_id=int(option) if option.isdigit() else None),
                _("Your vote is counted."))


@page_view
def vote_paper(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    item = selectors.vote_get(viewer, pk)
    back = reverse("deliberation:vote_paper", args=[pk])
    if request.method == "POST":
        elector = item.electors.filter(pk=request.POST.get("elector") or 0).select_related(
            "resident", "household").first()
        if elector is None:
            messages.error(request, _("Not on the roll of this vote."))
            return redirect(back)
        option = request.POST.get("option", "")
        return _act(request, f"{back}?q={request.POST.get('q', '')}", lambda: services.vote_paper_record(
            actor=request.user, vote=item, resident=elector.resident, household=elector.household,
            option_id=int(option) if option.isdigit() else None), _("The paper ballot is entered."))
    q = request.GET.get("q", "").strip()[:50]
    return render(request, "deliberation/vote_paper.html", {
        "vote": item, "page": paginate(request, selectors.roll(viewer, item, q=q)), "q": q,
        "options": item.options.all(), "open": item.is_open()})


@action_view
def vote_tally(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.vote_get(request.user, pk)
    form = forms.TallyForm(request.POST, options=item.options.all())
    back = reverse("deliberation:vote", args=[pk])
    if not form.is_valid():
        messages.error(request, _("Enter a count for every option."))
        return redirect(back)
    return _act(request, back, lambda: services.vote_paper_tally(actor=request.user, vote=item, counts=form.counts()),
                _("The paper ballots are counted."))


@action_view
def vote_settle(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.vote_get(request.user, pk)
    return _act(request, reverse("deliberation:vote", args=[pk]),
                lambda: services.vote_settle_role_models(actor=request.user, vote=item),
                _("The role models chosen by the vote are awarded."))


# -- notices ---------------------------------------------------------------------------------

def _board_places(viewer: access.Viewer) -> Any:
    return selectors.places_for(viewer, "notice.post", {Region.Level.TOWNSHIP, Region.Level.VILLAGE})


@page_view
def notices(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    region = None
    code = request.GET.get("region", "").strip()
    if code:
        region = Region.objects.filter(code=code).first()
        if region is None:
            raise Http404
    board = request.GET.get("board") or None
    rows = selectors.notices(viewer, region=region, board=board if board in Board.values else None,
                             current=request.GET.get("current") == "1")
    return render(request, "deliberation/notices.html", {"page": paginate(request, rows), "region": region,
                                                         "may_post": may(viewer, "notice.post")})


@page_view
def notice_new(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    _require(viewer, "notice.post")
    form = forms.NoticeForm(request.POST or None, request.FILES or None, places=_board_places(viewer))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            notice = services.notice_post(
                actor=request.user, region=data["region"], board=data["board"], category=data["category"],
                title=data["title"], body=data["body"], period_start=data["period_start"],
                period_end=data["period_end"], posted_on=data["posted_on"], remove_on=data["remove_on"],
                files=data["attachments"])
        except ValidationError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("The notice is posted."))
            return redirect("deliberation:notice", pk=notice.pk)
    return _form_page(request, form, title=_("Post a notice"), submit=_("Post the notice"), multipart=True,
                      intro=_("What is posted is public: anyone can read it on the village's board without "
                              "logging in. Do not put ID numbers or phone numbers in notices or attachments."),
                      back=reverse("deliberation:notices"))


@page_view
def notice(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    item = selectors.notice_get(viewer, pk)
    return render(request, "deliberation/notice.html", {
        "notice": item, "manage": access.can(viewer, "notice.post", item), "attach_form": forms.AttachForm(),
        "reason_form": forms.ReasonForm(), "public_url": _public_url(item)})


def _public_url(item: Notice) -> str:
    return reverse("deliberation:public_notice", args=[item.pk])


@action_view
def notice_take_down(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.notice_get(request.user, pk)
    return _act(request, reverse("deliberation:notice", args=[pk]),
                lambda: services.notice_take_down(actor=request.user, notice=item,
                                                  reason=request.POST.get("reason", "")),
                _("The notice is taken down."))


@action_view
def notice_attach(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.notice_get(request.user, pk)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a file."))
        return redirect("deliberation:notice", pk=pk)
    return _act(request, reverse("deliberation:notice", args=[pk]),
                lambda: services.notice_attach(actor=request.user, notice=item, upload=upload),
                _("The file is attached."))


@page_view
def attachment(request: HttpRequest, pk: int) -> HttpResponse:
    return file_response(selectors.attachment_get(request.user, pk))


# -- the public boards (no login) -------------------------------------------------------------

def _public(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404 from None

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return cache_control(public=True, max_age=300)(wrapper)


@_public
def public_board(request: HttpRequest, code: str) -> HttpResponse:
    """A village's two boards, for anyone, on a phone: no login, no personal data."""
    board = selectors.public_board(code)
    return render(request, "deliberation/public_board.html", {"board": board})


@_public
def public_notice(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "deliberation/public_notice.html", {"notice": selectors.public_notice(pk)})


@_public
def public_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The notice as an A4 poster for the board on the wall (print from the browser)."""
    item = selectors.public_notice(pk)
    village = item.region if item.region.level == Region.Level.VILLAGE else None
    return render(request, "deliberation/poster.html", {"notice": item, "village": village,
                                                        "board_label": Board(item.board).label})


@_public
def public_attachment(request: HttpRequest, pk: int) -> HttpResponse:
    return file_response(selectors.public_attachment(pk))


# -- the disclosure calendar and late villages ------------------------------------------------

def _region_param(request: HttpRequest, action: str, levels: Collection[int]) -> Region:
    viewer = viewer_of(request)
    code = request.GET.get("region", "").strip()
    if code:
        try:
            return selectors.place_ref(viewer, code, action=action, field="region", levels=levels)
        except ValidationError:
            raise Http404 from None
    top = selectors.places_for(viewer, action, levels).order_by("level", "path").first()
    if top is None:
        # The grid team: the village its grid belongs to.
        top = Region.objects.filter(level=Region.Level.VILLAGE, path__in={
            a for p in viewer.paths_for(action) for a in _ancestors(p)}).order_by("path").first()
    if top is None:
        raise Http404
    return top


CALENDAR_LEVELS = {Region.Level.COUNTY, Region.Level.TOWNSHIP, Region.Level.VILLAGE}


@page_view
def late(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    _require(viewer, "disclosure.view")
    region = _region_param(request, "disclosure.view", CALENDAR_LEVELS)
    periods = min(max(int(request.GET.get("periods", "1") or 1), 1), 12) if request.GET.get(
        "periods", "1").isdigit() else 1
    rows = selectors.late_disclosures(viewer, region=region, periods=periods)
    return render(request, "deliberation/late.html", {
        "region": region, "rows": rows, "periods": periods,
        "missing": sum(1 for r in rows if r.status == disclosure.MISSING),
        "villages": len({r.village.pk for r in rows}),
        "places": selectors.places_for(viewer, "disclosure.view", {Region.Level.COUNTY, Region.Level.TOWNSHIP}),
    })


@page_view
def calendar(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    _require(viewer, "disclosure.view")
    region = _region_param(request, "disclosure.view", CALENDAR_LEVELS)
    manage_places = selectors.places_for(viewer, "disclosure.manage", CALENDAR_LEVELS)
    form = forms.RequirementForm(request.POST or None, places=manage_places,
                                 initial={"region": region.code}) if manage_places.exists() else None
    if request.method == "POST" and form is not None:
        if request.POST.get("standard"):
            place = manage_places.filter(code=request.POST.get("region")).first()
            if place is None:
                raise Http404
            return _act(request, f"{reverse('deliberation:calendar')}?region={place.code}",
                        lambda: services.calendar_adopt_standard(actor=request.user, region=place),
                        _("The standard calendar is in force."))
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.requirement_add(actor=request.user, region=data["region"], board=data["board"],
                                         category=data["category"], frequency=data["frequency"],
                                         title=data["title"], grace_days=data["grace_days"])
            except ValidationError as exc:
                form.add_domain_error(exc)
            else:
                messages.success(request, _("The requirement is in the calendar."))
                return redirect(f"{reverse('deliberation:calendar')}?region={data['region'].code}")
    return render(request, "deliberation/calendar.html", {
        "region": region, "rows": selectors.requirements(viewer, region=region), "form": form,
        "board_categories": BOARD_CATEGORIES})


@action_view
def requirement_retire(request: HttpRequest, pk: int) -> HttpResponse:
    requirement = access.get_for(request.user, "disclosure.view", selectors.requirements(request.user), pk=pk)
    return _act(request, f"{reverse('deliberation:calendar')}?region={requirement.region.code}",
                lambda: services.requirement_retire(actor=request.user, requirement=requirement),
                _("The requirement is no longer in force."))


# -- role models, the council, admonitions ---------------------------------------------------

def _household_by_number(viewer: access.Viewer, number: str, action: str) -> Household:
    household = Household.objects.select_related("village").filter(number=number.strip()).first()
    if household is None:
        raise ValidationError(_("Unknown household number."), field="household")
    return selectors.household_ref(viewer, household.pk, action=action)


def _member_by_name(household: Household, name: str) -> Resident | None:
    name = (name or "").strip()
    if not name:
        return None
    found = household.members.filter(name=name, status=Resident.Status.ACTIVE).first()
    if found is None:
        raise ValidationError(_("No member of this household has that name."), field="person")
    return found


@page_view
def role_models(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    year = request.GET.get("year", "")
    rows = selectors.role_models(viewer, village=_village_filter(request, "rolemodel.view"),
                                 year=int(year) if year.isdigit() else None, state=request.GET.get("state") or None)
    return render(request, "deliberation/role_models.html", {
        "page": paginate(request, rows), "may_nominate": may(viewer, "rolemodel.nominate"),
        "may_review": may(viewer, "rolemodel.review"), "may_publish": may(viewer, "notice.post")})


@page_view
def role_model_new(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    _require(viewer, "rolemodel.nominate")
    initial = {}
    if request.GET.get("household"):
        initial["household"] = request.GET["household"][:32]
    form = forms.NominateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            household = _household_by_number(viewer, data["household"], "rolemodel.nominate")
            nomination = services.role_model_nominate(
                actor=request.user, household=household, resident=_member_by_name(household, data["person"]),
                title=data["title"], year=data["year"], deeds=data["deeds"], points=data["points"])
        except ValidationError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("The nomination is in; the moral review council or the villagers decide."))
            return redirect("deliberation:role_model", pk=nomination.pk)
    return _form_page(request, form, title=_("Nominate a role model"), submit=_("Nominate"),
                      back=reverse("deliberation:role_models"))


@page_view
def role_model(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    item = selectors.role_model_get(viewer, pk)
    review = access.can(viewer, "rolemodel.review", item) and item.state == "nominated"
    return render(request, "deliberation/role_model.html", {
        "model": item, "history": workflow.history(item),
        "review_form": forms.ReviewForm(meetings=selectors.council_meetings(viewer, village=item.village))
        if review else None})


@action_view
def role_model_review(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    item = selectors.role_model_get(viewer, pk)
    access.require(viewer, "rolemodel.review", item, view_action="rolemodel.view")
    form = forms.ReviewForm(request.POST, meetings=selectors.council_meetings(viewer, village=item.village))
    back = reverse("deliberation:role_model", args=[pk])
    if not form.is_valid():
        messages.error(request, _("Choose the council meeting and the decision."))
        return redirect(back)
    return _act(request, back, lambda: services.role_model_review(
        actor=request.user, role_model=item, meeting=form.cleaned_data["meeting"], award=form.cleaned_data["award"],
        note=form.cleaned_data["note"]), _("The council's decision is recorded."))


@page_view
def role_model_vote(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    _require(viewer, "rolemodel.review")
    waiting = selectors.reviewable_role_models(viewer)
    now = timezone.localtime().replace(second=0, microsecond=0)
    form = forms.RoleModelVoteForm(request.POST or None, nominations=waiting, initial={
        "opens_at": now, "closes_at": now + dt.timedelta(days=7), "basis": VoteBasis.PERSON, "online": True})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            vote = services.role_model_vote_open(
                actor=request.user, role_models=list(data["role_models"]), title=data["title"],
                opens_at=data["opens_at"], closes_at=data["closes_at"], seats=data["seats"],
                secrecy=data["secrecy"], basis=data["basis"], online=data["online"])
        except ValidationError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("The nominees are put to the villagers' vote."))
            return redirect("deliberation:vote", pk=vote.pk)
    return _form_page(request, form, title=_("Put nominees to a vote"), submit=_("Open the vote"),
                      back=reverse("deliberation:role_models"))


@page_view
def role_models_publish(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    _require(viewer, "notice.post")
    form = forms.PublishRoleModelsForm(request.POST or None, villages=selectors.villages_for(viewer, "notice.post"))
    if request.method == "POST" and form.is_valid():
        try:
            notice_item = services.role_models_publish(actor=request.user, village=form.cleaned_data["village"],
                                                       year=form.cleaned_data["year"])
        except ValidationError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("The role models are posted on the village-affairs board."))
            return redirect("deliberation:notice", pk=notice_item.pk)
    return _form_page(request, form, title=_("Post the year's role models"), submit=_("Post"),
                      back=reverse("deliberation:role_models"))


@page_view
def council(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    _require(viewer, "council.view")
    rows = selectors.council_meetings(viewer, village=_village_filter(request, "council.view"))
    return render(request, "deliberation/council.html", {"page": paginate(request, rows),
                                                         "may_record": may(viewer, "council.record")})


@page_view
def council_new(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    _require(viewer, "council.record")
    form = forms.CouncilMeetingForm(request.POST or None, villages=selectors.villages_for(viewer, "council.record"))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            item = services.council_meeting_record(
                actor=request.user, village=data["village"], held_on=data["held_on"], place=data["place"],
                member_count=data["member_count"], present_count=data["present_count"],
                attendee_names=data["attendee_names"], minutes=data["minutes"])
        except ValidationError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("The council meeting is recorded."))
            return redirect("deliberation:council_meeting", pk=item.pk)
    return _form_page(request, form, title=_("Record a moral review council meeting"), submit=_("Record"),
                      back=reverse("deliberation:council"))


@page_view
def council_meeting(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    item = selectors.council_meeting_get(viewer, pk)
    record = access.can(viewer, "council.record", item)
    form = forms.AdmonitionForm(request.POST or None) if record else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            data = form.cleaned_data
            try:
                household = _household_by_number(viewer, data["household"], "council.record")
                services.admonition_record(actor=request.user, meeting=item, household=household,
                                           resident=_member_by_name(household, data["person"]),
                                           conduct=data["conduct"], description=data["description"])
            except ValidationError as exc:
                form.add_domain_error(exc)
            else:
                messages.success(request, _("The admonition is recorded."))
                return redirect("deliberation:council_meeting", pk=pk)
    return render(request, "deliberation/council_meeting.html", {
        "meeting": item, "form": form, "admonitions": selectors.admonitions(viewer, meeting=item),
        "reviewed": RoleModel.objects.filter(council_meeting=item).select_related("household", "resident")},
        status=422 if request.method == "POST" else 200)


@page_view
def admonition(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    item = selectors.admonition_get(viewer, pk)
    record = access.can(viewer, "council.record", item.meeting)
    form = forms.FollowUpForm(request.POST or None, initial={"follow_up": item.follow_up,
                                                             "corrected_on": item.corrected_on}) if record else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                services.admonition_follow_up(actor=request.user, admonition=item,
                                              follow_up=form.cleaned_data["follow_up"],
                                              corrected_on=form.cleaned_data["corrected_on"])
            except ValidationError as exc:
                form.add_domain_error(exc)
            else:
                messages.success(request, _("The follow-up is recorded."))
                return redirect("deliberation:admonition", pk=pk)
    return render(request, "deliberation/admonition.html", {"admonition": item, "form": form})


# -- the red/black list ----------------------------------------------------------------------

def _townships(viewer: access.Viewer, action: str) -> Any:
    return selectors.places_for(viewer, action, {Region.Level.TOWNSHIP})


def _last_quarter() -> tuple[int, int]:
    today = timezone.localdate()
    quarter = (today.month - 1) // 3
    return (today.year, quarter) if quarter else (today.year - 1, 4)


@page_view
def rankings(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    _require(viewer, "ranking.view")
    year, quarter = _last_quarter()
    townships = _townships(viewer, "ranking.manage")
    form = forms.RankingForm(request.POST or None, townships=townships,
                             initial={"year": year, "quarter": quarter}) if townships.exists() else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            data = form.cleaned_data
            try:
                ranking = services.red_black_list_compute(
                    actor=request.user, township=data["township"], year=data["year"], quarter=data["quarter"],
                    red_count=data["red_count"], black_count=data["black_count"])
            except ValidationError as exc:
                form.add_domain_error(exc)
            else:
                messages.success(request, _("The list is computed; check it, adjust with reasons, then publish."))
                return redirect("deliberation:ranking", pk=ranking.pk)
    return render(request, "deliberation/rankings.html", {
        "page": paginate(request, selectors.rankings(viewer)), "form": form,
        "indicators": indicators.active()}, status=422 if request.method == "POST" else 200)


@page_view
def ranking(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    item = selectors.ranking_get(viewer, pk)
    manage = access.can(viewer, "ranking.manage", item) and item.state == "draft"
    entries = list(selectors.ranking_entries(item))
    return render(request, "deliberation/ranking.html", {
        "ranking": item, "entries": [(e, [(spec, e.values.get(spec["key"]), e.scores.get(spec["key"]))
                                          for spec in item.indicators]) for e in entries],
        "manage": manage,
        "adjust_form": forms.AdjustForm(villages=Region.objects.filter(pk__in=[e.village_id for e in entries])
                                        .order_by("code")) if manage else None})


@action_view
def ranking_adjust(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.ranking_get(request.user, pk)
    form = forms.AdjustForm(request.POST, villages=Region.objects.filter(parent=item.township))
    back = reverse("deliberation:ranking", args=[pk])
    if not form.is_valid():
        messages.error(request, _("Choose the village, the change and the reason."))
        return redirect(back)
    return _act(request, back, lambda: services.red_black_list_adjust(
        actor=request.user, ranking=item, village=form.cleaned_data["village"], delta=form.cleaned_data["delta"],
        reason=form.cleaned_data["reason"]), _("The score is adjusted."))


@action_view
def ranking_publish(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.ranking_get(request.user, pk)
    return _act(request, reverse("deliberation:ranking", args=[pk]),
                lambda: services.red_black_list_publish(actor=request.user, ranking=item),
                _("The list is published on the boards of the township's villages."))


@page_view
def readings(request: HttpRequest) -> HttpResponse:
    """The township enters its sanitation inspection scores for a quarter."""
    viewer = viewer_of(request)
    _require(viewer, "ranking.manage")
    townships = _townships(viewer, "ranking.manage")
    code = request.GET.get("township") or (townships.first().code if townships.exists() else "")
    township = townships.filter(code=code).first()
    if township is None:
        raise Http404
    year, quarter = _last_quarter()
    year = int(request.GET.get("year", year)) if str(request.GET.get("year", year)).isdigit() else year
    quarter = int(request.GET.get("quarter", quarter)) if str(request.GET.get("quarter", quarter)).isdigit() \
        else quarter
    villages = list(Region.objects.filter(parent=township, level=Region.Level.VILLAGE).order_by("code"))
    current = {r.village_id: r.value for r in selectors.readings(viewer, township=township, year=year,
                                                                 quarter=quarter).filter(indicator="sanitation")}
    form = forms.ReadingsForm(request.POST or None, villages=villages, initial_values=current)
    if request.method == "POST" and form.is_valid():
        by_id = {v.pk: v for v in villages}
        try:
            for village_id, value in form.values().items():
                services.indicator_reading_enter(actor=request.user, village=by_id[village_id], indicator="sanitation",
                                                 year=year, quarter=quarter, value=value)
        except ValidationError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("The scores are saved."))
            return redirect(f"{reverse('deliberation:readings')}?township={township.code}&year={year}"
                            f"&quarter={quarter}")
    return _form_page(request, form, title=_("Sanitation scores of %(township)s, %(year)d Q%(quarter)d")
                      % {"township": township.name, "year": year, "quarter": quarter}, submit=_("Save the scores"),
                      intro=_("The score (0–100) of each village's sanitation inspection this quarter. It is one of "
                              "the red/black list's indicators."),
                      back=reverse("deliberation:rankings"))


# -- a village's rules -------------------------------------------------------------------------

@page_view
def rules_page(request: HttpRequest, code: str) -> HttpResponse:
    viewer = viewer_of(request)
    village = selectors.village_get(viewer, code, action="villagerules.view")
    current = selectors.rules_of(village)
    may_change = access.can(viewer, "villagerules.change", current)
    form = forms.RulesForm(request.POST or None, initial={
        "allow_online_voting": current.allow_online_voting, "default_vote_basis": current.default_vote_basis,
        "publish_names": current.publish_names})
    if request.method == "POST":
        if not may_change:
            from django.core.exceptions import PermissionDenied as Forbidden

            raise Forbidden
        if form.is_valid():
            try:
                services.village_rules_update(actor=request.user, village=village, **form.cleaned_data)
            except ValidationError as exc:
                form.add_domain_error(exc)
            else:
                messages.success(request, _("The village's rules are saved."))
                return redirect("deliberation:rules", code=code)
    from shanzhi.deliberation import rules

    return render(request, "deliberation/rules.html", {
        "village": village, "form": form if may_change else None, "current": current,
        "meeting_rules": [(body, rules.rule_for(body, current.meeting_rules)) for body in rules.DEFAULTS]})

