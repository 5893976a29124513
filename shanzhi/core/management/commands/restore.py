"""``shanzhi restore FILE``: put a backup back (see core/backup.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from shanzhi.core import backup
from shanzhi.core.management.base import ShanzhiCommand


class Command(ShanzhiCommand):
    help = ("Replace the database and the uploaded files with those of a backup made by `shanzhi backup`. "
            "Stop the server first. Asks for confirmation unless --yes is given.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the backup file")
        parser.add_argument("--yes", action="store_true", help="overwrite without asking")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        try:
            manifest = backup.read_manifest(path)
            kind = backup.database_kind()
            if manifest.kind != kind:
                raise backup.BackupError(f"{path} is a backup of a {manifest.kind} database; this Shanzhi uses "
                                         f"{kind}. Nothing was changed.")
            if not options["yes"] and not self._confirmed(path, manifest):
                raise CommandError("not restored: this replaces every record and upload; run again with --yes "
                                   "to confirm", returncode=2)
            backup.restore(path)
        except backup.BackupError as exc:
            raise CommandError(str(exc), returncode=2) from None
        self.stdout.write(f"restored {path} (made {manifest.data['created_at']}, "
                          f"{sum(manifest.counts.values())} rows). If this Shanzhi is newer than the backup, "
                          "run `shanzhi migrate` before serving.")

    def _confirmed(self, path: Path, manifest: backup.Manifest) -> bool:
        if not sys.stdin.isatty():
            return False
        self.stdout.write(f"{path}: {manifest.kind} backup made {manifest.data['created_at']}.\n"
                          "Restoring replaces ALL current data and uploads. Type yes to go on: ", ending="")
        self.stdout.flush()
        return sys.stdin.readline().strip().lower() == "yes"
