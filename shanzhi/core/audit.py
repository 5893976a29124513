"""The one audit log. Services call ``record``; nothing else writes AuditEvent."""

from __future__ import annotations

from typing import Any

from django.db import models

from shanzhi.core import context
from shanzhi.core.models import AuditEvent


def _label(obj: models.Model) -> str:
    return str(obj)[:200]


def record(
    *,
    actor: Any,
    action: str,
    target: models.Model | None = None,
    region_path: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    ctx = context.current()
    user = actor if getattr(actor, "pk", None) else None
    if region_path is None and target is not None:
        region_path = getattr(target, "region_path", "") or ""
    return AuditEvent.objects.create(
        actor=user,
        actor_name=(user.get_full_name() or user.get_username())[:150] if user else "",
        channel=ctx.channel,
        address=ctx.address,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=_label(target) if target is not None else "",
        region_path=region_path or "",
        detail=detail or {},
    )


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for the fields that differ: what an update audit entry says."""
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }
