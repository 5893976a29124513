"""``shanzhi backup [FILE]``: the database and the uploads in one file (see core/backup.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from shanzhi.core import backup
from shanzhi.core.management.base import ShanzhiCommand


class Command(ShanzhiCommand):
    help = ("Back up the database (SQLite: online, while the server runs; PostgreSQL: pg_dump) and the "
            "uploaded files into one .tar.gz file. Restore it with `shanzhi restore FILE`.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?",
                            help="the backup file or a folder for it (default: DATA_DIR/backups/)")
        parser.add_argument("--no-media", action="store_true", help="the database only, not the uploaded files")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            path, manifest = backup.backup(Path(options["path"]) if options["path"] else None,
                                           media=not options["no_media"])
        except backup.BackupError as exc:
            raise CommandError(str(exc), returncode=2) from None
        rows = sum(manifest.counts.values())
        media = manifest.data["media"]
        self.stdout.write(f"backup written: {path}\n  {manifest.kind} database, {len(manifest.counts)} tables, "
                          f"{rows} rows; {media['files']} uploaded files")
