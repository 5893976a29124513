"""The page forms of the request loop. They parse what a person typed; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shanzhi.casework.models import DESCRIPTION_MAX, Channel, HandlerKind


def _choices(form: forms.Form, name: str, choices: list[Any]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


STAFF_CHANNELS = [(c.value, c.label) for c in (Channel.GRID, Channel.HOTLINE, Channel.SERVICE_CENTRE)]


class FileForm(forms.Form):
    category = forms.ChoiceField(label=_("What is it about?"))
    description = forms.CharField(label=_("Describe the matter"), max_length=DESCRIPTION_MAX,
                                  widget=forms.Textarea(attrs={"rows": 5}))
    address = forms.CharField(label=_("Where exactly? (optional)"), max_length=200, required=False)
    latitude = forms.DecimalField(label=_("Latitude"), required=False, max_digits=9, decimal_places=6,
                                  widget=forms.HiddenInput)
    longitude = forms.DecimalField(label=_("Longitude"), required=False, max_digits=9, decimal_places=6,
                                   widget=forms.HiddenInput)
    contact_phone = forms.CharField(label=_("Phone to reach you (optional)"), max_length=20, required=False,
                                    widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}))

    def __init__(self, *args: Any, categories: Any = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        _choices(self, "category", [("", _("Choose…"))] + [(c.code, c.name) for c in categories])


class StaffFileForm(FileForm):
    """Quick report (一键上报) and errands on a resident's behalf (代办): for a household, or a
    public matter at a place."""

    household = forms.CharField(label=_("Household number (for a resident)"), max_length=32, required=False)
    region = forms.ChoiceField(label=_("Place (for a public matter)"), required=False)
    contact_name = forms.CharField(label=_("Contact name"), max_length=50, required=False)
    channel = forms.ChoiceField(label=_("How did it come in?"), choices=STAFF_CHANNELS)

    def __init__(self, *args: Any, places: Any = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        _choices(self, "region", [("", _("Choose…"))] + [(p.code, p.name) for p in places])
        self.order_fields(["category", "description", "household", "region", "address", "contact_name",
                           "contact_phone", "channel"])


class DispatchForm(forms.Form):
    to = forms.ChoiceField(label=_("Dispatch to"), choices=HandlerKind.choices, widget=forms.RadioSelect)
    department = forms.ChoiceField(label=_("Department"), required=False)
    member = forms.ChoiceField(label=_("Party member"), required=False)
    note = forms.CharField(label=_("Note"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    internal = forms.BooleanField(label=_("Note for staff only"), required=False)

    def __init__(self, *args: Any, departments: Any = (), members: Any = (), suggested: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        _choices(self, "department", [("", _("Choose…"))] + [(str(d.pk), d.name) for d in departments])
        _choices(self, "member", [("", _("Choose…"))] + [(str(m.pk), m.name) for m in members])
        if suggested is not None and not self.is_bound:
            self.initial.update({"to": HandlerKind.DEPARTMENT, "department": str(suggested.pk)})


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3}))


class RateForm(forms.Form):
    rating = forms.TypedChoiceField(label=_("How satisfied are you?"), coerce=int, widget=forms.RadioSelect,
                                    choices=[(5, _("★★★★★ very satisfied")), (4, _("★★★★ satisfied")),
                                             (3, _("★★★ acceptable")), (2, _("★★ dissatisfied")),
                                             (1, _("★ very dissatisfied"))])
    comment = forms.CharField(label=_("Comment (optional)"), max_length=500, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))


class MergeForm(forms.Form):
    main = forms.IntegerField(label=_("Number of the main request"), min_value=1)

