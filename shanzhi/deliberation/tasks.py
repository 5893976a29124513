"""Background work of deliberation: thin, idempotent wrappers over the services."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from shanzhi.core import jobs, workflow


@jobs.periodic("deliberation.settle_role_model_votes", every=dt.timedelta(minutes=15))
@shared_task(name="deliberation.settle_role_model_votes")
def settle_role_model_votes() -> int:
    """Award the role models chosen by the votes that have closed (and whose paper ballots,
    if any, are counted); a vote already settled is left as it is."""
    from shanzhi.deliberation.models import Vote, VotePurpose
    from shanzhi.deliberation.services import results_final, vote_settle_role_models

    settled = 0
    for vote in Vote.objects.filter(purpose=VotePurpose.ROLE_MODELS, settled_at__isnull=True,
                                    closes_at__lte=timezone.now()).order_by("closes_at"):
        if results_final(vote):
            vote_settle_role_models(actor=workflow.SYSTEM, vote=vote)
            settled += 1
    return settled
