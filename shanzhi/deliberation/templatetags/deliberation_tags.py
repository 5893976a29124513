from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from shanzhi.deliberation.models import MATTER_FLOW, RANKING_FLOW, ROLE_MODEL_FLOW, TOPIC_FLOW

register = template.Library()

FLOWS = {flow.name: flow for flow in (TOPIC_FLOW, MATTER_FLOW, ROLE_MODEL_FLOW, RANKING_FLOW)}


@register.filter
def step_text(step: Any) -> str:
    """A history row as words: the step taken and the state it led to."""
    flow = FLOWS.get(step.workflow)
    if flow is None:
        return step.to_state
    if step.transition == "create":
        return _("opened") + " · " + flow.label(step.to_state)
    try:
        label = flow.get_transition(step.transition).display
    except LookupError:
        label = step.transition
    return f"{label} → {flow.label(step.to_state)}"


@register.filter
def yuan(fen: int | None) -> str:
    if fen is None:
        return ""
    return f"{fen // 100:,}.{fen % 100:02d}"


@register.filter
def get(mapping: dict[Any, Any] | None, key: Any) -> Any:
    return (mapping or {}).get(key)


@register.filter
def number(value: Any) -> str:
    """A measured value without trailing zeros."""
    if value is None:
        return "—"
    return f"{float(value):.2f}".rstrip("0").rstrip(".")
