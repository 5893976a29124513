"""Who may do what, written out for the matrix in the words of the organisation chart.

These sets are the matrix's own statement of the rules (what the tests expect); they
name the role groups of shanzhi.core.roles but do not read the grants that the modules
register with ``access.allow``, so a wrong grant shows up as a failing cell.
"""

from __future__ import annotations

from shanzhi.core import roles
from tests.matrix.world import SIGNED_IN, STAFF


def names(*groups: object) -> frozenset[str]:
    out: set[str] = set()
    for group in groups:
        out.update(str(role) for role in group)  # type: ignore[attr-defined]
    return frozenset(out)


EVERYONE = SIGNED_IN
ALL_STAFF = STAFF
REGION_STAFF = STAFF - {"department_staff"}
GRID_TEAM = names(roles.GRID_TEAM)
GRID_SUPERVISORS = names(roles.GRID_SUPERVISORS)
VILLAGE_CADRES = names(roles.VILLAGE_CADRES)
GOVERNMENT = names(roles.GOVERNMENT)
KEEPS_ROSTER = names(roles.KEEPS_ROSTER)
SEES_FULL_ID = names(roles.SEES_FULL_ID)
RESIDENT = frozenset({"resident"})

# The governance map.
SEE_REGIONS = ALL_STAFF
SEE_HOUSEHOLDS = REGION_STAFF | RESIDENT  # a resident sees their own household
CHANGE_HOUSEHOLDS = KEEPS_ROSTER
REVEAL_ID = SEES_FULL_ID
CHANGE_REGIONS = GOVERNMENT
SEE_COVERAGE = GOVERNMENT | VILLAGE_CADRES | GRID_SUPERVISORS | {"grid_leader"}

# People, departments, the Party.
SEE_POSITIONS = ALL_STAFF
CHANGE_POSITIONS = GOVERNMENT | VILLAGE_CADRES
SEE_DEPARTMENTS = ALL_STAFF
SEE_PARTY = REGION_STAFF
