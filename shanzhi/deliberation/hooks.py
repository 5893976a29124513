"""Loose links from deliberation to modules built beside it.

The points system (``shanzhi.points``) may award points when a role-model title is given.
Rather than import it (it may not be installed, and it should not be imported by this
module), deliberation calls whatever was registered here, after the award has committed::

    # in shanzhi/points/apps.py, ready():
    from shanzhi.deliberation import hooks
    hooks.on_role_model_awarded(points_services.award_for_role_model)

A hook receives the ``RoleModel`` (its ``household``, ``title``, ``year`` and the suggested
``points``) and the acting user (or ``workflow.SYSTEM`` when a vote's close settled it). A
failing hook is logged and does not undo the award: the title was given by the council or
the villagers, and the points system can be reconciled from the list of awards.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

RoleModelHook = Callable[[Any, Any], Any]
ROLE_MODEL_AWARDED: list[RoleModelHook] = []


def on_role_model_awarded(hook: RoleModelHook) -> RoleModelHook:
    if hook not in ROLE_MODEL_AWARDED:
        ROLE_MODEL_AWARDED.append(hook)
    return hook


def run_role_model_awarded(role_model: Any, actor: Any) -> None:
    for hook in list(ROLE_MODEL_AWARDED):
        try:
            hook(role_model, actor)
        except Exception:
            log.exception("role-model award hook %r failed for role model %s", hook, role_model.pk)
