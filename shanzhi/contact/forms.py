"""The page forms of household contact. They parse what a person typed; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shanzhi.contact.models import NOTE_MAX, Purpose, UnitKind, WishCategory
from shanzhi.regions.models import Tag
from shanzhi.web.forms import add_domain_error, set_choices

__all__ = ["add_domain_error"]

TEXTAREA = {"rows": 3}


class VisitForm(forms.Form):
    household = forms.TypedChoiceField(label=_("Household"), coerce=int)
    visited_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Purpose.choices, widget=forms.RadioSelect)
    note = forms.CharField(label=_("What you saw and did (optional)"), max_length=NOTE_MAX, required=False,
                           widget=forms.Textarea(attrs=TEXTAREA))
    settled = forms.BooleanField(label=_("A small matter was settled on the spot"), required=False)
    photo = forms.FileField(label=_("Photo (optional)"), required=False,
                            widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp",
                                                                   "capture": "environment"}))
    latitude = forms.DecimalField(required=False, max_digits=9, decimal_places=6, widget=forms.HiddenInput)
    longitude = forms.DecimalField(required=False, max_digits=9, decimal_places=6, widget=forms.HiddenInput)

    def __init__(self, *args: Any, households: Any = (), members: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        set_choices(self.fields["household"], [("", _("Choose…"))] + [(h.pk, f"{h.number} {h.address}")
                                                                   for h in households])
        if not self.is_bound:
            self.initial.setdefault("visited_on", timezone.localdate())
        if members is not None:
            self.fields["member"] = forms.TypedChoiceField(label=_("Party member"), coerce=int, choices=[
                ("", _("Choose…"))] + [(m.pk, m.name) for m in members])
            self.order_fields(["member"])


class RequestStartForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"))
    description = forms.CharField(label=_("Description"), max_length=2000, widget=forms.Textarea(attrs=TEXTAREA))

    def __init__(self, *args: Any, categories: Any = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        set_choices(self.fields["category"], [("", _("Choose…"))] + [(c.code, c.name) for c in categories])


class DisputeStartForm(forms.Form):
    type = forms.ChoiceField(label=_("Type (if known)"), required=False)
    summary = forms.CharField(label=_("What the dispute is about"), max_length=2000,
                              widget=forms.Textarea(attrs=TEXTAREA))

    def __init__(self, *args: Any, types: Any = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        set_choices(self.fields["type"], [("", _("Not sure"))] + [(t.code, t.name) for t in types])


class PointsStartForm(forms.Form):
    rule = forms.TypedChoiceField(label=_("Point rule"), coerce=int)
    note = forms.CharField(label=pgettext_lazy("points proposal", "What was done"), max_length=2000, required=False,
                           widget=forms.Textarea(attrs=TEXTAREA))

    def __init__(self, *args: Any, rules: Any = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        set_choices(self.fields["rule"], [("", _("Choose…"))] + [(r.pk, f"{r.item} ({r.points:+d})") for r in rules])


class SummaryForm(forms.Form):
    summary = forms.CharField(label=_("Your summary of the month (optional)"), max_length=4000, required=False,
                              widget=forms.Textarea(attrs={"rows": 4}))


class ReviewForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=4000, required=False, widget=forms.Textarea(attrs=TEXTAREA))


class MonthForm(forms.Form):
    month = forms.DateField(label=_("Month"), input_formats=["%Y-%m"],
                            widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"))


class AssignForm(forms.Form):
    member = forms.TypedChoiceField(label=_("Party member"), coerce=int)
    households = forms.TypedMultipleChoiceField(label=_("Households"), coerce=int,
                                                widget=forms.CheckboxSelectMultiple)
    replace = forms.BooleanField(label=_("Hand over households in another member's care"), required=False)

    def __init__(self, *args: Any, members: Any = (), households: Any = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        set_choices(self.fields["member"], [("", _("Choose…"))] + [
            (m.pk, f"{m.name} · {m.organisation.name} ({m.load})") for m in members])
        set_choices(self.fields["households"], [(h.pk, f"{h.number} {getattr(h, 'head_name', '') or ''}")
                                             for h in households])


class QuarterForm(forms.Form):
    summary = forms.CharField(label=_("The branch's summary of the quarter"), max_length=8000,
                              widget=forms.Textarea(attrs={"rows": 6}))


class PolicyForm(forms.Form):
    min_households = forms.IntegerField(label=_("Households per member, at least"), min_value=1, max_value=365)
    max_households = forms.IntegerField(label=_("Households per member, at most"), min_value=1, max_value=365)
    interval_days = forms.IntegerField(label=_("Days between visits"), min_value=1, max_value=365)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for value, label in Tag.choices:
            self.fields[f"tag_{value}"] = forms.IntegerField(
                label=_("Days between visits: %(tag)s") % {"tag": label}, min_value=1, max_value=365,
                required=False)

    def tag_intervals(self) -> dict[str, int]:
        return {value: self.cleaned_data[f"tag_{value}"] for value in Tag.values
                if self.cleaned_data.get(f"tag_{value}")}


class UnitForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=UnitKind.choices)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    contact_name = forms.CharField(label=_("Contact person"), max_length=50, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=20, required=False,
                                    widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}))


class RegisterForm(forms.Form):
    community = forms.ChoiceField(label=_("Community"))
    pledge = forms.CharField(label=_("What the unit offers"), max_length=2000, required=False,
                             widget=forms.Textarea(attrs=TEXTAREA))

    def __init__(self, *args: Any, communities: Any = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        set_choices(self.fields["community"], [("", _("Choose…"))] + [(c.code, c.name) for c in communities])


class WishForm(forms.Form):
    title = forms.CharField(label=_("The wish"), max_length=100)
    category = forms.ChoiceField(label=_("Kind"), choices=WishCategory.choices)
    description = forms.CharField(label=_("Details (optional)"), max_length=1000, required=False,
                                  widget=forms.Textarea(attrs=TEXTAREA))


class StaffWishForm(WishForm):
    household = forms.CharField(label=_("Household number"), max_length=32)


class FulfilForm(forms.Form):
    note = forms.CharField(label=_("How the wish was fulfilled"), max_length=2000, required=False,
                           widget=forms.Textarea(attrs=TEXTAREA))
    photo = forms.FileField(label=_("Photo (optional)"), required=False,
                            widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs=TEXTAREA))
