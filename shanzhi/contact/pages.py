"""Household contact's parts of the shared pages: a home card (a member's households and
report, a branch's coverage and reports to review, a registered member's community needs)
and the contact-and-visits tab of the household page (一户一档)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanzhi.contact import selectors, services
from shanzhi.contact.flow import WishState
from shanzhi.contact.models import Assignment
from shanzhi.contact.permissions import DUAL_REGISTERED, PARTY_MEMBER
from shanzhi.core import access
from shanzhi.core.access import Viewer
from shanzhi.people.models import PartyMember
from shanzhi.regions.models import Household, Region
from shanzhi.web import registry
from shanzhi.web.pages import home_regions, may


def viewer_member(viewer: Viewer) -> PartyMember | None:
    """The Party member the viewer is (cached for the request)."""
    if "contact:member" not in viewer._cache:
        found = services.members_of(viewer) if viewer.user is not None else []
        viewer._cache["contact:member"] = found[0] if found else None
    return viewer._cache["contact:member"]


def home_card(request: HttpRequest, viewer: Viewer) -> dict[str, Any] | None:
    member = viewer_member(viewer) if any(g.role == PARTY_MEMBER for g in viewer.grants) else None
    ctx: dict[str, Any] = {"member": member}
    if member is not None:
        mine = list(selectors.my_households(viewer, member))
        ctx.update(households=len(mine), due=sum(1 for a in mine if a.seen < a.cutoff),  # type: ignore[attr-defined,misc]
                   visits_this_month=selectors.visits(viewer, member=member,
                                                      since=timezone.localdate().replace(day=1)).count(),
                   report=selectors.reports(viewer, queue="mine").filter(
                       month=timezone.localdate().replace(day=1)).first())
    arranges = may(viewer, "contact.assign")
    if arranges:
        places = [p for p in home_regions(viewer) if p.level <= Region.Level.VILLAGE][:3]
        ctx["places"] = [(p, selectors.households_without_contact(viewer, region=p).count(),
                          selectors.households_due(viewer, region=p).count()) for p in places]
    if may(viewer, "contact.review"):
        ctx["to_review"] = selectors.reports(viewer, queue="review").count()
    if any(g.role in (DUAL_REGISTERED, PARTY_MEMBER) for g in viewer.grants):
        ctx["open_wishes"] = selectors.wishes(viewer, state=WishState.OPEN).count()
    if member is None and not arranges and "to_review" not in ctx and "open_wishes" not in ctx:
        return None
    return ctx


def household_tab(request: HttpRequest, viewer: Viewer, household: Household) -> dict[str, Any]:
    current = (access.scope(viewer, "contact.view", Assignment.objects.filter(household=household,
                                                                                end_date__isnull=True))
               .select_related("member").first())
    member = viewer_member(viewer)
    staff = any(g.role != access.RESIDENT for g in viewer.grants) or viewer.is_admin
    return {
        "household": household, "current": current,
        "visits": list(selectors.visits(viewer, household=household)[:30]),
        "wishes": list(selectors.wishes(viewer, household=household)[:10]),
        "show_notes": staff,
        "may_visit": member is not None and current is not None and current.member_id == member.pk,
        "may_assign": access.can(viewer, "contact.assign", Assignment(region_path=household.region_path)),
        "may_post_wish": access.can(viewer, "wish.post", household_probe(household)),
    }


def household_probe(household: Household) -> Any:
    from shanzhi.contact.models import MicroWish

    return MicroWish(household=household, household_id=household.pk, region_path=household.region_path)


def tab_visible(viewer: Viewer, household: Household) -> bool:
    return viewer.is_admin or may(viewer, "contact.view")


def register() -> None:
    registry.role_labels.update({PARTY_MEMBER: _("Party member"),
                                 DUAL_REGISTERED: _("in-service Party member registered with the community")})
    registry.home_cards.append(registry.HomeCard(key="contact", template="contact/home_card.html",
                                                 context=home_card, order=25))
    registry.household_tabs.append(registry.HouseholdTab(key="contact", label=_("Contact and visits"),
                                                         template="contact/household_tab.html",
                                                         context=household_tab, visible=tab_visible, order=40))
