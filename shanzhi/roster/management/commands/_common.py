"""What the roster's commands share: the language, and who is acting."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from shanzhi.core import access


def add_common_arguments(parser: CommandParser) -> None:
    parser.add_argument("--as", dest="as_user", metavar="USERNAME",
                        help="act as this account, within its scope (default: as an administrator)")
    parser.add_argument("--language", choices=[code for code, _name in settings.LANGUAGES],
                        help=f"language of messages and of exported headers (default: {settings.LANGUAGE_CODE})")


def activate_language(options: dict[str, Any]) -> str:
    language = options.get("language") or settings.LANGUAGE_CODE
    translation.activate(language)
    return language


def acting(options: dict[str, Any]) -> tuple[Any, access.Viewer]:
    """(actor, viewer): the named account, or the command line's administrator (no
    account; the audit log shows the channel "cli")."""
    username = options.get("as_user")
    if not username:
        return None, access.Viewer(is_admin=True)
    from shanzhi.people.models import User

    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(_("No active account is called %(name)s.") % {"name": username}, returncode=2)
    return user, access.viewer_for(user)
