"""Queries over the region tree's materialised paths.

A path is the codes from the top of the tree down, each followed by "/", e.g.
``621023000000/621023100000/621023100201/``. "Everything under X" is then a prefix
query. PostgreSQL serves ``LIKE 'x%'`` from the pattern-ops index Django creates for an
indexed CharField; SQLite's LIKE is case-insensitive and skips the index, so there we ask
for the equivalent range (``'x/' <= path < 'x0'``, since '0' follows '/'), which its
BINARY-collated index answers.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.db.models import Q

SEP = "/"


def upper_bound(path: str) -> str:
    assert path.endswith(SEP), path
    return path[:-1] + chr(ord(SEP) + 1)


def under(path: str, field: str = "region_path") -> Q:
    """Records whose path is ``path`` or below it."""
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__startswith": path})
    return Q(**{f"{field}__gte": path, f"{field}__lt": upper_bound(path)})


def under_any(paths: Iterable[str], field: str = "region_path") -> Q:
    q = Q(pk__in=[])
    for path in minimal_paths(paths):
        q |= under(path, field)
    return q


def is_under(path: str, ancestor: str) -> bool:
    return path.startswith(ancestor)


def ancestors(path: str) -> list[str]:
    """The paths of every node from the top down to ``path`` itself."""
    parts = [p for p in path.split(SEP) if p]
    return [SEP.join(parts[: i + 1]) + SEP for i in range(len(parts))]


def minimal_paths(paths: Iterable[str]) -> list[str]:
    """Drop paths already covered by another one (a township covers its grids)."""
    result: list[str] = []
    for path in sorted(set(paths)):
        if not any(path.startswith(kept) for kept in result):
            result.append(path)
    return result


def code_of(path: str) -> str:
    return path.rstrip(SEP).rsplit(SEP, 1)[-1]
