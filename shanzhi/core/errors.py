"""One error shape for the whole platform.

Services raise these; the API turns them into ``{"code", "message", "fields"}`` with the
matching 4xx status, pages into a message or a 404, the CLI into a message on stderr and
a non-zero exit. Messages are lazy translations, so each user reads them in their own
language.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    status = 400
    code = "invalid"
    default_message: Any = _("The request is not valid.")

    def __init__(self, message: Any = None, *, field: str | None = None, fields: dict[str, Any] | None = None):
        self.message = message if message is not None else self.default_message
        self.fields: dict[str, Any] = dict(fields or {})
        if field:
            self.fields.setdefault(field, self.message)
        super().__init__(str(self.message))

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": str(self.message),
            "fields": {name: str(text) for name, text in self.fields.items()},
        }


class ValidationError(DomainError):
    status = 422
    code = "invalid"


class NotFound(DomainError):
    """Also what an out-of-scope record looks like: its existence is not confirmed."""

    status = 404
    code = "not_found"
    default_message = _("Not found.")


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"
    default_message = _("You may not do this.")


class Conflict(DomainError):
    """The record changed under us (another worker got there first)."""

    status = 409
    code = "conflict"
    default_message = _("Someone else changed this record first; reload and try again.")


class Throttled(DomainError):
    """Too many attempts (logins) or requests from one client; ``retry_after`` in seconds."""

    status = 429
    code = "throttled"
    default_message = _("Too many requests; wait a moment and try again.")

    def __init__(self, message: Any = None, *, retry_after: int = 60, **kwargs: Any):
        self.retry_after = retry_after
        super().__init__(message, **kwargs)
