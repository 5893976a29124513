"""Roster import and export (shanzhi/roster): the upload page and the template are for
those who keep the roster (household.change); the export follows household.export and
the viewer's scope; a rejects file is fetched only by the person whose import wrote it."""

from __future__ import annotations

from typing import Any

from tests.matrix import roles as R
from tests.matrix.registry import Entry, page
from tests.matrix.world import INSIDE, SIGNED_IN, World, kind

# Everyone signed in who does not keep the roster is refused (403); the administrator may.
NOT_KEEPERS: dict[str, int | str] = dict.fromkeys(SIGNED_IN - R.KEEPS_ROSTER - {"admin"}, 403)


class _RejectsName(str):
    pk: Any = None


@kind("roster_rejects", params=lambda name: {"name": str(name)}, key=str)
def _rejects(world: World, role: str, placement: str) -> Any:
    # A well-formed name of a file that was never written: someone else's (outside), or
    # the role's own (inside) that no import produced. Either way nothing is served.
    user = world.users.get(role) or world.users["grid_worker"]
    owner = user.pk if placement == INSIDE else user.pk + 100000
    return _RejectsName(f"{owner}-{'0' * 32}.csv")


ENTRIES: list[Entry] = [
    page("roster:import", expect=NOT_KEEPERS),
    page("roster:template", expect=NOT_KEEPERS),
    page("roster:export", expect=NOT_KEEPERS,
         note="without ?region the export covers the viewer's whole scope; household.export is needed"),
    page("roster:rejects", kind="roster_rejects", visible=frozenset(), hidden=404, outside=404,
         expect=dict.fromkeys(SIGNED_IN, 404),
         note="rejects files hold full ID numbers: only the importer's own, existing file is served"),
]
