from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

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
