"""Quorum and majority of the meetings of the four deliberations.

Defaults follow the law and the Party's rules:

- villagers' meeting (村民会议), Organic Law of Villagers' Committees art. 22: it may meet
  when more than half of the villagers aged eighteen or over attend, or representatives of
  more than two thirds of the households; a decision needs more than half of those present;
- villagers' representatives' meeting (村民代表会议), art. 26: two thirds or more of its
  members present; a decision needs more than half of those present;
- party members' meeting (党员大会) and Party branch committee (支部委员会), Regulations on
  the Work of Party Branches: more than half of those with a vote present; carried by more
  than half of all who have a vote (not only those present);
- joint meeting of the two committees (两委联席会议): more than half present, carried by
  more than half of those present;
- the moral review council: more than half of its members present.

A village may make any of them stricter in its own rules (``VillageRules.meeting_rules``),
never looser. All arithmetic is on whole numbers, so "more than half of 7" is 4, exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shanzhi.core.errors import ValidationError
from shanzhi.deliberation.models import Body


@dataclass(frozen=True)
class Share:
    """"More than num/den" (strict) or "at least num/den" of a whole."""

    num: int
    den: int
    strict: bool

    def met(self, count: int, whole: int) -> bool:
        return count * self.den > self.num * whole if self.strict else count * self.den >= self.num * whole

    def needed(self, whole: int) -> int:
        """The smallest count that meets the share of ``whole``."""
        n = self.num * whole // self.den
        if self.strict:
            return n + 1
        return n if n * self.den >= self.num * whole else n + 1

    def at_least_as_strict_as(self, other: Share) -> bool:
        left, right = self.num * other.den, other.num * self.den
        return left > right or (left == right and (self.strict or not other.strict))

    def describe(self) -> str:
        if self.strict:
            return _("more than %(num)d/%(den)d") % {"num": self.num, "den": self.den}
        return _("at least %(num)d/%(den)d") % {"num": self.num, "den": self.den}

    def as_list(self) -> list[Any]:
        return [self.num, self.den, self.strict]


HALF = Share(1, 2, True)
TWO_THIRDS = Share(2, 3, False)
MORE_THAN_TWO_THIRDS = Share(2, 3, True)

PRESENT = "present"
ELIGIBLE = "eligible"


@dataclass(frozen=True)
class MeetingRule:
    body: str
    quorum: Share
    majority: Share
    majority_of: str  # PRESENT or ELIGIBLE
    # Villagers' meeting only: the other way to be quorate, by households represented.
    household_quorum: Share | None = None
    source: Any = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "body": self.body, "quorum": self.quorum.as_list(), "majority": self.majority.as_list(),
            "majority_of": self.majority_of,
            "household_quorum": self.household_quorum.as_list() if self.household_quorum else None,
            "source": str(self.source),
        }


DEFAULTS: dict[str, MeetingRule] = {
    Body.BRANCH_COMMITTEE: MeetingRule(
        Body.BRANCH_COMMITTEE, HALF, HALF, ELIGIBLE,
        source=gettext_lazy("Regulations on the Work of Party Branches")),
    Body.JOINT_COMMITTEES: MeetingRule(
        Body.JOINT_COMMITTEES, HALF, HALF, PRESENT, source=gettext_lazy("four deliberations practice")),
    Body.PARTY_MEMBERS: MeetingRule(
        Body.PARTY_MEMBERS, HALF, HALF, ELIGIBLE, source=gettext_lazy("Regulations on the Work of Party Branches")),
    Body.VILLAGERS: MeetingRule(
        Body.VILLAGERS, HALF, HALF, PRESENT, household_quorum=MORE_THAN_TWO_THIRDS,
        source=gettext_lazy("Organic Law of Villagers' Committees, art. 22")),
    Body.REPRESENTATIVES: MeetingRule(
        Body.REPRESENTATIVES, TWO_THIRDS, HALF, PRESENT,
        source=gettext_lazy("Organic Law of Villagers' Committees, art. 26")),
}
COUNCIL_QUORUM = HALF


def _share(value: Any, field: str) -> Share:
    if (not isinstance(value, (list, tuple)) or len(value) != 3 or not all(isinstance(v, int) for v in value[:2])
            or not isinstance(value[2], bool)):
        raise ValidationError(_("Write a share as [numerator, denominator, more-than?]."), field=field)
    num, den, strict = value
    if not (0 < num <= den <= 100):
        raise ValidationError(_("A share lies between 0 and 1."), field=field)
    return Share(num, den, strict)


def clean_overrides(raw: Any) -> dict[str, dict[str, Any]]:
    """Check a village's overrides: known bodies, shares no looser than the defaults."""
    if not isinstance(raw, dict):
        raise ValidationError(_("The meeting rules must be an object by meeting."), field="meeting_rules")
    cleaned: dict[str, dict[str, Any]] = {}
    for body, override in raw.items():
        if body not in DEFAULTS:
            raise ValidationError(_("Unknown meeting: %(body)s.") % {"body": body}, field="meeting_rules")
        if not isinstance(override, dict) or set(override) - {"quorum", "majority"}:
            raise ValidationError(_("A meeting's rule may set quorum and majority only."), field="meeting_rules")
        default = DEFAULTS[body]
        entry: dict[str, Any] = {}
        for key in ("quorum", "majority"):
            if key in override:
                share = _share(override[key], f"meeting_rules.{body}.{key}")
                if not share.at_least_as_strict_as(getattr(default, key)):
                    raise ValidationError(
                        _("A village may make its rules stricter than the law, not looser."),
                        field=f"meeting_rules.{body}.{key}")
                entry[key] = share.as_list()
        cleaned[body] = entry
    return cleaned


def rule_for(body: str, overrides: dict[str, Any] | None = None) -> MeetingRule:
    default = DEFAULTS[body]
    override = (overrides or {}).get(body) or {}
    if not override:
        return default
    return MeetingRule(
        body,
        Share(*override["quorum"]) if "quorum" in override else default.quorum,
        Share(*override["majority"]) if "majority" in override else default.majority,
        default.majority_of, default.household_quorum, default.source)


@dataclass(frozen=True)
class Assessment:
    quorum_met: bool
    carried: bool
    needed_present: int
    needed_for: int

    @property
    def passed(self) -> bool:
        return self.quorum_met and self.carried


def assess(rule: MeetingRule, *, eligible: int, present: int, votes_for: int,
           households_eligible: int | None = None, households_present: int | None = None) -> Assessment:
    quorum_met = rule.quorum.met(present, eligible)
    if (not quorum_met and rule.household_quorum is not None and households_eligible
            and households_present is not None):
        quorum_met = rule.household_quorum.met(households_present, households_eligible)
    base = present if rule.majority_of == PRESENT else eligible
    needed_for = rule.majority.needed(base) if base else 1
    carried = quorum_met and base > 0 and rule.majority.met(votes_for, base)
    return Assessment(quorum_met=quorum_met, carried=carried, needed_present=rule.quorum.needed(eligible),
                      needed_for=needed_for)
