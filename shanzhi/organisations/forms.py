"""The page forms of the organisations' register."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanzhi.organisations.models import ActivityKind, Kind, MemberRole
from shanzhi.web.forms import set_choices


class OrganisationForm(forms.Form):
    village = forms.ChoiceField(label=_("Village or community"))
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices)
    name = forms.CharField(label=_("Name"), max_length=100)
    founded_on = forms.DateField(label=_("Founded on (optional)"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    description = forms.CharField(label=_("What it does (optional)"), max_length=2000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, villages: Any = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        set_choices(self.fields["village"], [(v.code, v.name) for v in villages])


class MemberForm(forms.Form):
    household = forms.CharField(label=_("Household number (for a resident on the roster)"), max_length=32,
                                required=False)
    name = forms.CharField(label=_("Name"), max_length=50)
    role = forms.ChoiceField(label=_("Role"), choices=MemberRole.choices, initial=MemberRole.MEMBER)
    phone = forms.CharField(label=_("Phone (optional)"), max_length=20, required=False,
                            widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}))


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ActivityKind.choices)
    held_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    subject = forms.CharField(label=_("Subject"), max_length=200)
    place = forms.CharField(label=_("Place (optional)"), max_length=100, required=False)
    participants = forms.IntegerField(label=_("Participants"), min_value=0, max_value=100_000, initial=0)
    matters_settled = forms.IntegerField(label=_("Matters settled (disputes mediated, matters agreed)"),
                                         min_value=0, max_value=100, initial=0)
    outcome = forms.CharField(label=_("Outcome"), max_length=4000, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("held_on", timezone.localdate())
