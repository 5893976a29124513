from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from shanzhi.core.health import database_ok
from shanzhi.core.management.base import ShanzhiCommand


class Command(ShanzhiCommand):
    help = "Exit 0 if the database answers, 1 otherwise (for service monitors)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not database_ok():
            raise CommandError("the database does not answer")
        self.stdout.write("ok")
