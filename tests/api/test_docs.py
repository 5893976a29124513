"""The OpenAPI schema and the documentation page, which must work with no internet."""

from __future__ import annotations

import re

from shanzhi.api import api


def test_openapi_describes_every_operation_and_both_ways_to_authenticate(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert set(schema["components"]["securitySchemes"]) == {"BearerToken", "Session"}
    assert schema["components"]["securitySchemes"]["BearerToken"] == {"type": "http", "scheme": "bearer"}
    operations = [(m, p) for p, ops in schema["paths"].items() for m in ops]
    assert ("get", "/api/households") in operations
    assert ("post", "/api/residents/{resident_id}/reveal-id") in operations
    # Every operation of the foundation but the token exchange needs authentication.
    foundation = ("/api/auth/", "/api/regions", "/api/households", "/api/residents", "/api/search", "/api/people",
                  "/api/positions", "/api/departments", "/api/party/")
    open_ops = [(m, p) for p, ops in schema["paths"].items() for m, op in ops.items()
                if not op.get("security") and p.startswith(foundation)]
    assert open_ops == [("post", "/api/auth/token")]
    # Paginated lists say so.
    params = {p["name"] for p in schema["paths"]["/api/households"]["get"]["parameters"]}
    assert {"page", "page_size", "region", "q", "without_grid"} <= params


def test_docs_page_loads_only_assets_served_by_this_server(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, html
    assert all(a.startswith("/static/") for a in assets), assets  # nothing from a CDN
    assert "//" not in "".join(assets)
    for asset in assets:
        served = client.get(asset)
        assert served.status_code == 200, asset
        assert b"".join(served.streaming_content if served.streaming else [served.content])
    # The online validator badge (validator.swagger.io) is switched off.
    assert '"validatorUrl": null' in html
    assert api.docs.settings["url"] == "/api/openapi.json"


def test_docs_page_sends_the_csrf_token_for_session_users(client, county):
    client.force_login(county.users["grid_worker"])
    html = client.get("/api/docs").content.decode()
    assert 'data-api-csrf="true"' in html
    assert re.search(r'data-csrf-token="[A-Za-z0-9]{32,}"', html)
