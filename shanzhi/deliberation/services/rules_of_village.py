"""A village's own deliberation rules."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from shanzhi.core import access, audit
from shanzhi.core.errors import ValidationError
from shanzhi.deliberation import rules
from shanzhi.deliberation.models import VillageRules, VoteBasis
from shanzhi.deliberation.services._common import placed, village_of
from shanzhi.regions.models import Region


@transaction.atomic
def village_rules_update(*, actor: Any, village: Region | None, allow_online_voting: bool | None = None,
                         default_vote_basis: str | None = None, publish_names: bool | None = None,
                         meeting_rules: Any = None) -> VillageRules:
    village = village_of(village)
    found = VillageRules.objects.select_for_update().filter(village=village).first()
    current = found or VillageRules(village=village, **placed(village))
    access.require(actor, "villagerules.change", current, view_action="villagerules.view")
    before = {"allow_online_voting": current.allow_online_voting, "default_vote_basis": current.default_vote_basis,
              "publish_names": current.publish_names, "meeting_rules": current.meeting_rules}
    if allow_online_voting is not None:
        current.allow_online_voting = bool(allow_online_voting)
    if default_vote_basis is not None:
        if default_vote_basis not in VoteBasis.values:
            raise ValidationError(field="default_vote_basis")
        current.default_vote_basis = default_vote_basis
    if publish_names is not None:
        current.publish_names = bool(publish_names)
    if meeting_rules is not None:
        current.meeting_rules = rules.clean_overrides(meeting_rules)
    current.updated_by = actor
    current.save()
    after = {"allow_online_voting": current.allow_online_voting, "default_vote_basis": current.default_vote_basis,
             "publish_names": current.publish_names, "meeting_rules": current.meeting_rules}
    audit.record(actor=actor, action="villagerules.update", target=current, detail=audit.changes(before, after))
    return current
