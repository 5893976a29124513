"""Scope policies and actions of rule of law and supervision.

A legal aid application is seen by the township and county staff above it (the justice
office's people), by the lawyer assigned to it, and by the applicant's household. Not by
the grid team or the village: a legal matter is the applicant's own business.
Education events, liaisons, power lists and reminder talks belong to a place."""

from shanzhi.core import access, roles
from shanzhi.legal.models import (
    AdmissionItem,
    CommunityTask,
    EducationEvent,
    LegalAidApplication,
    Liaison,
    LiaisonActivity,
    PowerItem,
    ReminderTalk,
)
from shanzhi.people.models import Role

access.register(LegalAidApplication, region_field="region_path", household_field="household_id",
                user_field="lawyer_id")
for model in (EducationEvent, Liaison, LiaisonActivity, ReminderTalk, CommunityTask):
    access.register(model, region_field="region_path")
for listed in (PowerItem, AdmissionItem):
    access.register(listed, region_field="region_path", include_ancestors=True)

JUSTICE = roles.GOVERNMENT
LEGAL_EDUCATORS = roles.GOVERNMENT | {Role.LEGAL_ADVISER, Role.VILLAGE_POLICE} | roles.VILLAGE_CADRES
SUPERVISORS = roles.GOVERNMENT  # discipline supervisors sit at the township and county

access.allow(JUSTICE, ["legal_aid.view", "legal_aid.submit", "legal_aid.accept", "legal_aid.stats"])
access.allow([access.ASSIGNED], ["legal_aid.view", "legal_aid.handle"])
access.allow([access.RESIDENT], ["legal_aid.view", "legal_aid.submit", "legal_aid.withdraw"])
access.allow(roles.ALL_STAFF, ["legal.view", "supervision.view"])
access.allow(LEGAL_EDUCATORS, ["legal.record"])
access.allow(SUPERVISORS | roles.VILLAGE_CADRES, ["supervision.lists"])
access.allow(SUPERVISORS, ["supervision.talk", "supervision.admission"])
access.allow(SUPERVISORS | roles.VILLAGE_CADRES, ["supervision.task"])
