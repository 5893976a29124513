"""The page forms of grid work. They parse what a person typed; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanzhi.gridwork.models import Duty, UpdateKind
from shanzhi.regions.models import Resident
from shanzhi.web.forms import set_choices

TEXTAREA = {"rows": 3}


class LogForm(forms.Form):
    duty = forms.ChoiceField(label=_("Duty"), choices=Duty.choices)
    summary = forms.CharField(label=_("What was done"), max_length=1000, widget=forms.Textarea(attrs=TEXTAREA))
    household = forms.CharField(label=_("Household number (optional)"), max_length=32, required=False)
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    minutes = forms.IntegerField(label=_("Minutes (optional)"), min_value=1, max_value=1440, required=False)
    task = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("day", timezone.localdate())


class TaskForm(forms.Form):
    duty = forms.ChoiceField(label=_("Duty"), choices=Duty.choices)
    title = forms.CharField(label=_("Task"), max_length=200)
    due_on = forms.DateField(label=_("Due on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    worker = forms.TypedChoiceField(label=_("Grid worker"), coerce=int, required=False)
    household = forms.CharField(label=_("Household number (optional)"), max_length=32, required=False)

    def __init__(self, *args: Any, workers: Any = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        set_choices(self.fields["worker"], [("", _("Anyone of the grid team"))] + [
            (u.pk, u.get_full_name()) for u in workers])
        if not self.is_bound:
            self.initial.setdefault("due_on", timezone.localdate())


class UpdateForm(forms.Form):
    kind = forms.ChoiceField(label=_("What changed"), choices=UpdateKind.choices, widget=forms.RadioSelect)
    resident = forms.TypedChoiceField(label=_("Who (not for a new-born)"), coerce=int, required=False)
    name = forms.CharField(label=_("New-born: name"), max_length=50, required=False)
    gender = forms.ChoiceField(label=_("New-born: gender"), choices=[("", "—"), *Resident.Gender.choices],
                               required=False)
    birth_date = forms.DateField(label=_("New-born: date of birth"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    relation = forms.ChoiceField(label=_("Relation to the head"), choices=[("", "—"), *Resident.Relation.choices],
                                 required=False)
    to_household = forms.CharField(label=_("Move: to household number (empty: out of the county)"), max_length=32,
                                   required=False)
    died_on = forms.DateField(label=_("Death: date"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    phone = forms.CharField(label=_("New phone number"), max_length=20, required=False,
                            widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}))
    note = forms.CharField(label=_("Note (optional)"), max_length=500, required=False)

    def __init__(self, *args: Any, residents: Any = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        set_choices(self.fields["resident"], [("", "—")] + [(r.pk, r.name) for r in residents])

    def data_for(self, kind: str) -> dict[str, Any]:
        d = self.cleaned_data
        if kind == UpdateKind.BIRTH:
            return {"name": d["name"], "gender": d["gender"], "birth_date": d["birth_date"],
                    "relation": d["relation"] or "son"}
        if kind == UpdateKind.MOVE:
            return {"to_household": d["to_household"], "relation": d["relation"], "reason": d["note"]}
        if kind == UpdateKind.DEATH:
            return {"died_on": d["died_on"]}
        return {"phone": d["phone"]}


class ReviewForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=500, required=False, widget=forms.Textarea(attrs=TEXTAREA))
