from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from shanzhi.core.errors import DomainError
from shanzhi.core.security import ThrottledLoginFormMixin


class LoginForm(ThrottledLoginFormMixin, AuthenticationForm):
    """Staff sign in with their username, residents with their phone number; the
    authentication backends try both."""

    username = forms.CharField(
        label=_("Username or phone number"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username", "autocapitalize": "none",
                                      "spellcheck": "false"}),
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The username or phone number and the password do not match. "
                           "Check them and try again."),
    }


def add_domain_error(form: forms.Form, exc: DomainError, *, aliases: dict[str, str] | None = None) -> None:
    """Show a service's error on the form field it names (``aliases`` maps an API field name
    to the form's), or above the form when it names none of the form's fields."""
    aliases = aliases or {}
    shown = False
    for name, message in exc.fields.items():
        target = aliases.get(name, name.split(".", 1)[0])
        if target in form.fields:
            form.add_error(target, str(message))
            shown = True
    if not shown:
        form.add_error(None, str(exc.message))


def set_choices(field: forms.Field, choices: Any) -> None:
    """Give a choice field its choices at run time (the ones the viewer may pick from)."""
    if not isinstance(field, forms.ChoiceField):
        raise TypeError(f"{field!r} is not a choice field")
    field.choices = choices
