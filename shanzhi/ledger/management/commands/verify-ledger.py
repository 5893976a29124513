from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from shanzhi.core.management.base import ShanzhiCommand
from shanzhi.ledger.services import verify


class Command(ShanzhiCommand):
    help = ("Recompute every ledger balance from its entries and check that every transaction adds up to "
            "zero. Exits 1 and lists the differences if any.")

    def handle(self, *args: Any, **options: Any) -> None:
        problems = verify()
        if problems:
            for problem in problems[:1000]:
                self.stderr.write(str(problem))
            raise CommandError(f"{len(problems)} difference(s) found in the ledger")
        self.stdout.write("ledger verified: every balance matches its entries, every transaction adds up to zero")
