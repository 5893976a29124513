"""Every list answers with the same number of queries for N and for 3N rows (no N+1)."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.matrix.registry import load

ENTRIES, _PREFIXES = load()
GROWING = [e for e in ENTRIES if e.grow is not None]
N = 4


def _count(client, entry, headers) -> tuple[int, int]:
    client.get(entry.path, {"page_size": 200}, **headers)  # warm-up: token stamp, caches
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(entry.path, {"page_size": 200}, **headers)
    assert response.status_code == 200, response.content[:300]
    body = json.loads(response.content)
    rows = body["count"] if isinstance(body, dict) and "count" in body else len(body)
    return len(ctx.captured_queries), rows


@pytest.mark.parametrize("entry", GROWING, ids=str)
def test_list_query_count_is_flat(entry, world, client):
    grow = entry.grow
    headers = {"HTTP_AUTHORIZATION": f"Bearer {world.tokens[grow.role]}"}
    grow.add(world, N)
    queries_n, rows_n = _count(client, entry, headers)
    grow.add(world, 2 * N)
    queries_3n, rows_3n = _count(client, entry, headers)
    assert rows_3n >= rows_n + 2 * N, f"the added rows are not visible to {grow.role}: {rows_n} -> {rows_3n}"
    assert queries_3n == queries_n, f"{entry}: {queries_n} queries for {rows_n} rows, {queries_3n} for {rows_3n}"
