"""The pages' forms: they parse what people type (dates, numbers, choices); the services
decide whether it may be done, and their errors are shown beside the field they name."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanzhi.core.errors import DomainError
from shanzhi.deliberation.models import (
    BOARD_CATEGORIES,
    Board,
    Body,
    Category,
    Conduct,
    Frequency,
    MatterKind,
    MeetingDecision,
    MeetingKind,
    RoleModelTitle,
    Secrecy,
    Stage,
    VoteBasis,
)
from shanzhi.web.forms import add_domain_error, set_choices


class DomainForm(forms.Form):
    """A form that can show a service's error beside the field it names."""

    template_name = "deliberation/parts/form_fields.html"

    def add_domain_error(self, exc: DomainError) -> None:
        add_domain_error(self, exc)


def _queryset(field: forms.Field, queryset: Any) -> None:
    cast(forms.ModelChoiceField, field).queryset = queryset


def _date(**kwargs: Any) -> forms.DateField:
    # A date input takes and gives ISO dates whatever the language's date format.
    return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                           input_formats=["%Y-%m-%d"], **kwargs)


def _datetime(**kwargs: Any) -> forms.DateTimeField:
    return forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
                               input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"], **kwargs)


def _text(label: Any, max_length: int, required: bool = True, rows: int = 0, **kwargs: Any) -> forms.CharField:
    widget = forms.Textarea(attrs={"rows": rows}) if rows else forms.TextInput()
    return forms.CharField(label=label, max_length=max_length, required=required, widget=widget, **kwargs)


def _count(label: Any, minimum: int = 0, required: bool = True, **kwargs: Any) -> forms.IntegerField:
    return forms.IntegerField(label=label, min_value=minimum, max_value=1_000_000, required=required,
                              widget=forms.NumberInput(attrs={"inputmode": "numeric"}), **kwargs)


class VillageField(forms.ModelChoiceField):
    def __init__(self, queryset: Any, **kwargs: Any) -> None:
        super().__init__(queryset=queryset, to_field_name="code", label=kwargs.pop("label", _("Village")),
                         empty_label=None, **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.parent.name if obj.parent_id else ''} {obj.name}".strip()


def village_field(queryset: Any, label: Any = None) -> VillageField:
    return VillageField(queryset.select_related("parent"), label=label or _("Village"))


class TopicForm(DomainForm):
    title = _text(_("Title"), 100)
    body = _text(_("What should be discussed"), 4000, rows=6)

    def __init__(self, *args: Any, villages: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if villages is not None:
            self.fields = {"village": village_field(villages), **self.fields}


class CommentForm(DomainForm):
    body = _text(_("Your comment"), 2000, rows=3)


class ReasonForm(DomainForm):
    reason = _text(_("Reason"), 200)


class NoteForm(DomainForm):
    note = _text(_("Note"), 2000, required=False, rows=2)


class MatterForm(DomainForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=MatterKind.choices)
    title = _text(_("Title"), 100)
    proposal = _text(_("Proposal"), 8000, rows=6)
    plan = _text(_("Plan (public works)"), 8000, required=False, rows=4)
    total_cost_yuan = forms.DecimalField(label=_("Total cost (yuan)"), required=False, min_value=0, decimal_places=2,
                                         max_digits=14)
    contribution_yuan = forms.DecimalField(label=_("Contribution per household (yuan)"), required=False,
                                           min_value=0, decimal_places=2, max_digits=12)
    labour_days = _count(_("Labour days per household"), required=False)

    def __init__(self, *args: Any, villages: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if villages is not None:
            self.fields = {"village": village_field(villages), **self.fields}

    def money(self) -> dict[str, Any]:
        data = self.cleaned_data
        fen = {name: None if data.get(f"{name}_yuan") is None else int(data[f"{name}_yuan"] * 100)
               for name in ("total_cost", "contribution")}
        return {"plan": data.get("plan") or "", "total_cost_fen": fen["total_cost"],
                "contribution_fen": fen["contribution"], "labour_days": data.get("labour_days")}


class ConvertForm(MatterForm):
    pass


class MeetingForm(DomainForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=MeetingKind.choices)
    held_on = _date(label=_("Date"))
    place = _text(_("Place"), 100)
    subject = _text(_("Subject"), 100)
    attendee_count = _count(_("How many attended"), minimum=1)
    attendee_names = _text(_("Who attended (names, one per line or separated by commas)"), 20000, required=False,
                           rows=3)
    outcome = _text(_("Outcome"), 4000, rows=4)
    settled = forms.BooleanField(label=_("The matter was settled at the meeting"), required=False)
    topics: forms.ModelMultipleChoiceField = forms.ModelMultipleChoiceField(
        label=_("Topics taken up"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, villages: Any = None, topics: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields = {"village": village_field(villages), **self.fields}
        _queryset(self.fields["topics"], topics)
        self.fields["held_on"].initial = timezone.localdate()


class StageMeetingForm(DomainForm):
    stage = forms.ChoiceField(widget=forms.HiddenInput, choices=Stage.choices)
    body = forms.ChoiceField(label=_("Meeting"), choices=Body.choices)
    held_on = _date(label=_("Date"))
    place = _text(_("Place"), 100, required=False)
    eligible_count = _count(_("Eligible to attend"), minimum=1, required=False,
                            help_text=_("A villagers' meeting is measured against the adults on the map; "
                                        "leave empty to use the map."))
    present_count = _count(_("Present"))
    households_present = _count(_("Households represented (villagers' meeting)"), required=False)
    attendee_names = _text(_("Who attended (names)"), 20000, required=False, rows=3)
    minutes = _text(_("Minutes"), 20000, rows=6)
    votes_for = _count(_("For"))
    votes_against = _count(_("Against"))
    votes_abstain = _count(_("Abstain"))
    resolution = _text(_("What was resolved (at the resolving stage)"), 8000, required=False, rows=3)
    note = _text(_("Note"), 2000, required=False)
    decision = forms.ChoiceField(label=_("What follows"), choices=MeetingDecision.choices,
                                 widget=forms.RadioSelect, initial=MeetingDecision.ADVANCE)

    def __init__(self, *args: Any, bodies: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if bodies:
            set_choices(self.fields["body"], [(b, Body(b).label) for b in bodies])
        self.fields["held_on"].initial = timezone.localdate()


class DiscloseResolutionForm(DomainForm):
    body = _text(_("Text of the notice (composed from the matter when empty)"), 20000, required=False, rows=6)
    remove_on = _date(label=_("Take down on"), required=False)


class DiscloseResultForm(DomainForm):
    result = _text(_("Result of carrying it out"), 8000, rows=5)
    remove_on = _date(label=_("Take down on"), required=False)


class VoteForm(DomainForm):
    title = _text(_("Title"), 100)
    question = _text(_("Question"), 4000, rows=4)
    options = _text(_("Options, one per line"), 3000, rows=4)
    opens_at = _datetime(label=_("Opens"))
    closes_at = _datetime(label=_("Closes"))
    secrecy = forms.ChoiceField(label=_("Ballot"), choices=Secrecy.choices, initial=Secrecy.SECRET)
    basis = forms.ChoiceField(label=_("Who votes"), choices=VoteBasis.choices)
    online = forms.BooleanField(label=_("Online voting (where the village allows it)"), required=False)
    hide_results_until_close = forms.BooleanField(label=_("Hide the results until the close"), required=False,
                                                  initial=True)

    def __init__(self, *args: Any, villages: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields = {"village": village_field(villages), **self.fields}

    def option_list(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["options"].splitlines() if line.strip()]


class TallyForm(DomainForm):
    def __init__(self, *args: Any, options: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for option in options:
            self.fields[f"option_{option.pk}"] = _count(option.label)

    def counts(self) -> dict[int, int]:
        return {int(k.split("_", 1)[1]): v for k, v in self.cleaned_data.items() if k.startswith("option_")}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field; the service checks each by its content."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        items = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


class NoticeForm(DomainForm):
    board = forms.ChoiceField(label=_("Board"), choices=Board.choices)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    title = _text(_("Title"), 100)
    body = _text(_("Text"), 20000, rows=10)
    period_start = _date(label=_("Period from"), required=False)
    period_end = _date(label=_("Period to"), required=False)
    posted_on = _date(label=_("Post on"), required=False, help_text=_("Today when empty; never earlier."))
    remove_on = _date(label=_("Take down on"), required=False)
    attachments = MultipleFileField(label=_("Attachments (PDF, JPEG, PNG, .xlsx, .docx; at most 10 MB each)"),
                                    required=False)

    def __init__(self, *args: Any, places: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields = {"region": village_field(places, label=_("Posted by")), **self.fields}
        set_choices(self.fields["category"], [(str(Board(board).label), [(c, Category(c).label) for c in cats])
                                           for board, cats in BOARD_CATEGORIES.items()])


class AttachForm(DomainForm):
    file = forms.FileField(label=_("File (PDF, JPEG, PNG, .xlsx, .docx; at most 10 MB)"))


class RequirementForm(DomainForm):
    board = forms.ChoiceField(label=_("Board"), choices=Board.choices)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    frequency = forms.ChoiceField(label=_("How often"), choices=Frequency.choices)
    grace_days = _count(_("Days allowed after the period"), initial=10)
    title = _text(_("What must be posted"), 100)

    def __init__(self, *args: Any, places: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields = {"region": village_field(places, label=_("Applies under")), **self.fields}


class NominateForm(DomainForm):
    household = _text(_("Household number"), 32)
    person = _text(_("Person (name, for a personal title)"), 50, required=False)
    title = forms.ChoiceField(label=_("Title"), choices=RoleModelTitle.choices)
    year = _count(_("Year"), minimum=2000)
    deeds = _text(_("Deeds"), 4000, rows=5)
    points = _count(_("Points to award (if the points system takes them)"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year


class ReviewForm(DomainForm):
    meeting: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Council meeting"), queryset=None,
                                                             empty_label=None)
    award = forms.TypedChoiceField(label=_("Decision"), coerce=lambda v: v == "1",
                                   choices=[("1", _("award the title")), ("0", _("decline"))],
                                   widget=forms.RadioSelect)
    note = _text(_("Note (required when declining)"), 2000, required=False)

    def __init__(self, *args: Any, meetings: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _queryset(self.fields["meeting"], meetings)


class RoleModelVoteForm(DomainForm):
    role_models: forms.ModelMultipleChoiceField = forms.ModelMultipleChoiceField(
        label=_("Nominees"), queryset=None, widget=forms.CheckboxSelectMultiple)
    title = _text(_("Title of the vote"), 100)
    seats = _count(_("How many are chosen"), minimum=1, initial=1)
    opens_at = _datetime(label=_("Opens"))
    closes_at = _datetime(label=_("Closes"))
    secrecy = forms.ChoiceField(label=_("Ballot"), choices=Secrecy.choices, initial=Secrecy.SECRET)
    basis = forms.ChoiceField(label=_("Who votes"), choices=VoteBasis.choices)
    online = forms.BooleanField(label=_("Online voting (where the village allows it)"), required=False)

    def __init__(self, *args: Any, nominations: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _queryset(self.fields["role_models"], nominations)


class PublishRoleModelsForm(DomainForm):
    year = _count(_("Year"), minimum=2000)

    def __init__(self, *args: Any, villages: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields = {"village": village_field(villages), **self.fields}
        self.fields["year"].initial = timezone.localdate().year


class CouncilMeetingForm(DomainForm):
    held_on = _date(label=_("Date"))
    place = _text(_("Place"), 100, required=False)
    member_count = _count(_("Council members"), minimum=1)
    present_count = _count(_("Members present"))
    attendee_names = _text(_("Who attended (names)"), 5000, required=False, rows=2)
    minutes = _text(_("Minutes"), 20000, rows=6)

    def __init__(self, *args: Any, villages: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields = {"village": village_field(villages), **self.fields}
        self.fields["held_on"].initial = timezone.localdate()


class AdmonitionForm(DomainForm):
    household = _text(_("Household number"), 32)
    person = _text(_("Person (name, optional)"), 50, required=False)
    conduct = forms.ChoiceField(label=_("Conduct"), choices=Conduct.choices)
    description = _text(_("What happened"), 4000, rows=4)


class FollowUpForm(DomainForm):
    follow_up = _text(_("Follow-up"), 4000, rows=4)
    corrected_on = _date(label=_("Corrected on"), required=False)


class RankingForm(DomainForm):
    year = _count(_("Year"), minimum=2000)
    quarter = forms.TypedChoiceField(label=_("Quarter"), coerce=int, choices=[(q, f"Q{q}") for q in range(1, 5)])
    red_count = _count(_("Villages on the red list"), required=False)
    black_count = _count(_("Villages on the black list"), required=False)

    def __init__(self, *args: Any, townships: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields = {"township": village_field(townships, label=_("Township")), **self.fields}


class AdjustForm(DomainForm):
    village: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Village"), queryset=None, to_field_name="code",
                                                             empty_label=None)
    delta = forms.DecimalField(label=_("Change of score (−20 to 20)"), max_digits=6, decimal_places=2)
    reason = _text(_("Reason"), 200)

    def __init__(self, *args: Any, villages: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _queryset(self.fields["village"], villages)


class RulesForm(DomainForm):
    allow_online_voting = forms.BooleanField(label=_("Allow online voting"), required=False)
    default_vote_basis = forms.ChoiceField(label=_("Default vote basis"), choices=VoteBasis.choices)
    publish_names = forms.BooleanField(label=_("Show role models' names on the public boards"), required=False)


class ReadingsForm(DomainForm):
    """The sanitation inspection scores of a township's villages for a quarter."""

    def __init__(self, *args: Any, villages: Any = (), initial_values: dict[int, Any] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for village in villages:
            self.fields[f"village_{village.pk}"] = forms.DecimalField(
                label=village.name, required=False, min_value=0, max_value=100, decimal_places=2, max_digits=6,
                initial=(initial_values or {}).get(village.pk))

    def values(self) -> dict[int, Any]:
        return {int(k.split("_", 1)[1]): v for k, v in self.cleaned_data.items()
                if k.startswith("village_") and v is not None}
