"""The command centre's writes: raising alerts (the periodic job) and handling them on the
shared workflow (assign, act, close)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.command import rules
from shanzhi.command.models import ALERT_OPEN, Alert
from shanzhi.core import access, audit, workflow
from shanzhi.core.errors import ValidationError
from shanzhi.people.models import User
from shanzhi.regions.models import Region


def alerts_raise(*, county: Region | None = None, now: dt.datetime | None = None) -> dict[str, int]:
    """Run every rule over each county (or one) and store the findings that have no open
    alert yet. Idempotent: an open alert with the same rule and key is left alone (the
    partial unique index settles two runs racing)."""
    now = now or timezone.now()
    counties = [county] if county is not None else list(Region.objects.filter(level=Region.Level.COUNTY))
    raised = kept = 0
    for c in counties:
        for finding in rules.evaluate(c, now=now):
            if Alert.objects.filter(rule=finding.rule, key=finding.key, state__in=ALERT_OPEN).exists():
                kept += 1
                continue
            try:
                with transaction.atomic():
                    alert = Alert.objects.create(
                        rule=finding.rule, key=finding.key[:200], region=finding.region,
                        region_path=finding.region.path, county=c, department_id=finding.department_id,
                        reason=finding.reason[:500], evidence=finding.evidence, raised_at=now)
                    workflow.start(alert, actor=workflow.SYSTEM)
                    audit.record(actor=None, action="alert.raise", target=alert,
                                 detail={"rule": finding.rule, "key": finding.key})
            except IntegrityError:
                kept += 1
                continue
            raised += 1
    return {"raised": raised, "kept": kept}


def _assignee(alert: Alert, user_id: Any) -> User:
    try:
        pk = int(user_id)
    except (TypeError, ValueError):
        raise ValidationError(_("Choose who handles the alert."), field="assignee") from None
    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None or not access.can(user, "alert.handle", alert):
        raise ValidationError(_("This person cannot handle alerts here."), field="assignee")
    return user


def alert_assign(*, actor: Any, alert: Alert, assignee_id: Any, note: str = "") -> Alert:
    with transaction.atomic():
        user = _assignee(alert, assignee_id)
        workflow.transition(alert, name="assign", actor=actor, note=note, assignee=user)
    return alert


def alert_act(*, actor: Any, alert: Alert, note: str) -> Alert:
    workflow.transition(alert, name="act", actor=actor, note=note)
    return alert


def alert_close(*, actor: Any, alert: Alert, note: str) -> Alert:
    workflow.transition(alert, name="close", actor=actor, note=note)
    return alert
