from __future__ import annotations

from django.db import connection
from django.db.utils import DatabaseError
from django.http import HttpRequest, JsonResponse


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError:
        connection.close()  # a later request reconnects instead of reusing a dead socket
        return False


def healthz(request: HttpRequest) -> JsonResponse:
    if database_ok():
        return JsonResponse({"status": "ok"})
    return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
