from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shanzhi.core import context
from shanzhi.core.errors import DomainError


class ShanzhiCommand(BaseCommand):
    """A command that accepts ``--data-dir`` (applied by the ``shanzhi`` entry point before
    Django starts) and turns domain errors into a message and a non-zero exit."""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.add_argument("--data-dir", metavar="DIR",
                            help="folder of the embedded SQLite database (see shanzhi --help)")
        return parser

    def execute(self, *args: Any, **options: Any) -> Any:
        try:
            with context.acting("cli"):
                return super().execute(*args, **options)
        except DomainError as exc:
            detail = "; ".join(f"{k}: {v}" for k, v in exc.fields.items() if str(v) != str(exc.message))
            raise CommandError(f"{exc.message}" + (f" ({detail})" if detail else ""), returncode=2) from None
