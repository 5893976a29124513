from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

from shanzhi.points.exports import yuan as _yuan

register = template.Library()

KINDS = {
    "award": _("award"), "deduction": _("deduction"), "redemption": _("redemption"), "reversal": _("correction"),
    "expiry": _("expired at the year's end"), "carry_over": _("carried over"),
}


@register.filter
def yuan(fen: int | None) -> str:
    return _yuan(int(fen or 0))


@register.filter
def signed(value: int | None) -> str:
    return f"{int(value or 0):+d}"


@register.filter
def entry_kind(kind: str) -> str:
    return str(KINDS.get(kind, kind))
