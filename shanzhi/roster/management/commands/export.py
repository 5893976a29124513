"""``shanzhi export households FILE``: the roster as .xlsx or .csv, in the import's columns."""

from __future__ import annotations

import os
import tempfile
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from shanzhi.core import access
from shanzhi.core.management.base import ShanzhiCommand
from shanzhi.regions.models import Region
from shanzhi.roster import services
from shanzhi.roster.management.commands._common import acting, activate_language, add_common_arguments


class Command(ShanzhiCommand):
    help = ("Export households and residents (one row per resident) to an .xlsx or .csv file that imports back "
            "unchanged. ID and phone numbers are in full only where the account may see them (audited).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subject", choices=["households"], help="what to export")
        parser.add_argument("file", help="the .xlsx or .csv file to write")
        parser.add_argument("--region", metavar="CODE", help="only the households under this region")
        add_common_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        activate_language(options)
        path = options["file"]
        kind = os.path.splitext(path)[1].lower().lstrip(".")
        if kind not in ("xlsx", "csv"):
            raise CommandError(_("The file name must end in .xlsx or .csv."), returncode=2)
        actor, viewer = acting(options)
        region = None
        if options["region"]:
            region = Region.objects.filter(code=options["region"]).first()
            if region is None or not access.can(viewer, "region.view", region):
                raise CommandError(_("No region has the code %(code)s.") % {"code": options["region"]},
                                   returncode=2)
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise CommandError(_("There is no folder %(path)s.") % {"path": folder}, returncode=2)
        # Written beside the target and renamed at the end: never a half-written file.
        handle, partial = tempfile.mkstemp(dir=folder, prefix=".export-", suffix="." + kind)
        os.close(handle)
        try:
            result = services.roster_export(actor=actor, viewer=viewer, target=partial, kind=kind, region=region)
            os.replace(partial, path)
        finally:
            if os.path.exists(partial):
                os.unlink(partial)
        self.stdout.write(_("Exported %(households)s households, %(residents)s residents to %(path)s.")
                          % {"households": result.households, "residents": result.residents, "path": path})
        if result.residents and result.full_ids < result.residents:
            self.stdout.write(_("ID and phone numbers are masked where this account may not see them in full."))
