"""The pages (shanzhi/web): the same scope as the API; out of scope is the 404 page, in
scope without the right the 403 page, and anyone not signed in goes to the login page."""

from __future__ import annotations

from django.urls import reverse

from tests.matrix import roles as R
from tests.matrix.registry import Entry, page

ENTRIES: list[Entry] = [
    page("web:home"),
    page("web:login", anonymous=200, ok=302, note="a signed-in visitor is sent on to the home page"),
    page("web:logout", method="POST", ok=302, anonymous=302),
    page("web:map", ok=302, expect={"resident": 200},
         note="staff with one home place are sent straight to it; a resident has no map places"),
    page("web:region", kind="region", visible=R.SEE_REGIONS),
    page("web:coverage", kind="region", visible=R.SEE_REGIONS, allowed=R.SEE_COVERAGE),
    page("web:search", kind="resident", lists=True, visible=R.SEE_HOUSEHOLDS,
         query=lambda w, role, r: {"q": r.name}, shows=lambda r: reverse("web:household", args=[r.household_id]),
         note="a result links to its household (the name alone is echoed in the search box)"),
    page("web:household", kind="household", visible=R.SEE_HOUSEHOLDS),
    page("web:reveal_id", method="POST", kind="resident", visible=R.SEE_HOUSEHOLDS, allowed=R.REVEAL_ID,
         body=lambda w, role, r: {"purpose": "核实身份"}, reveals=True),
]
