"""Routes of the site itself: health, languages, the API's own addresses, the admin."""

from __future__ import annotations

from tests.matrix.registry import Entry, Prefix, public

ENTRIES: list[Entry] = [
    public("healthz"),
    public("javascript-catalog"),
    public("set_language", method="POST", status=302, body=lambda w, role, _: {"language": "en", "next": "/"}),
    public("api:api-root"),
    public("api:openapi-json"),
    public("api:openapi-view", note="Swagger UI from the installed package's static files"),
    public("api:api-unknown", status=404, note="any other address under /api/ is a JSON 404"),
]

# The admin site is for administrators with a staff account: everyone else, whatever
# their role, is sent to the admin's login page.
PREFIXES = [
    Prefix("admin/", exceptions={"admin:login": 200, "admin:logout": "/admin/"},
           note="the login page is open; logging out by GET only leads back to the admin"),
]
