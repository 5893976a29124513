from __future__ import annotations

import unicodedata
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from shanzhi.core.management.base import ShanzhiCommand
from shanzhi.core.management.commands.serve import serve
from shanzhi.demo import accounts, generator, modules, services
from shanzhi.people.models import Role


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def role_label(role: str) -> str:
    return str(Role(role).label) if role in Role.values else _("resident")


class Command(ShanzhiCommand):
    help = ("Create (once) the demo county, shaped like Huachi county (15 townships, 117 villages and "
            "communities, 685 grids, 18,000 households), and serve it. Run again, it reuses the data.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--scale", type=int, default=None,
                            help="build this many counties shaped like Huachi (for benchmarks; default 1)")
        parser.add_argument("--size", choices=sorted(generator.SHAPES), default=None,
                            help="small: a two-township county, for quick tries and tests (default full)")
        parser.add_argument("--no-serve", action="store_true", help="build and print the accounts, then exit")

    def handle(self, *args: Any, **options: Any) -> None:
        if not 0 < options["port"] < 65536:
            raise CommandError(_("The port is a number from 1 to 65535."), returncode=2)
        call_command("migrate", verbosity=0, interactive=False)
        existing = services.demo_last_build()
        scale, size = options["scale"] or 1, options["size"] or "full"
        if existing is None:
            if scale == 1:
                self.stdout.write(_("Building the demo county, shaped like Huachi county (this takes a few "
                                    "seconds)..."))
            result = services.demo_build(scale=scale, size=size, progress=self._progress)
            self.stdout.write(_("Built in %(seconds)s s.") % {"seconds": result.seconds})
        else:
            result = existing
            self.stdout.write(_("The demo data is already here; reusing it."))
            if (options["scale"] not in (None, existing.scale)) or (options["size"] not in (None, existing.size)):
                self.stderr.write(_("--scale and --size apply only to a new data folder; this one holds "
                                    "the demo built with --scale %(scale)s --size %(size)s.")
                                  % {"scale": existing.scale, "size": existing.size})
        self.stdout.write(_("Adding each module's year of history (only what is missing)..."))
        modules.build_module_history(stdout=self.stdout)
        c = result.counts
        self.stdout.write(ngettext(
            "%(counties)s county: %(townships)s townships, %(villages)s villages and communities, %(grids)s grids, "
            "%(micro_grids)s micro-grids, %(households)s households, %(residents)s residents, "
            "%(party_members)s Party members.",
            "%(counties)s counties: %(townships)s townships, %(villages)s villages and communities, %(grids)s "
            "grids, %(micro_grids)s micro-grids, %(households)s households, %(residents)s residents, "
            "%(party_members)s Party members.", c.get("counties", 1))
            % {k: c.get(k, 0) for k in ("counties", "townships", "villages", "grids", "micro_grids", "households",
                                        "residents", "party_members")})
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write("")
        self.stdout.write(_("Open %(url)s and log in as any of these (password: %(password)s):")
                          % {"url": url, "password": accounts.DEMO_PASSWORD})
        self._accounts()
        self.stdout.write(_("Every other staff account has the same password, for example gw621023100201002 "
                            "(the worker of the next grid) or ts621023100-1 (a township cadre)."))
        self.stdout.write("")
        if options["no_serve"]:
            return
        settings.SHANZHI_DEMO = True  # pages may point at the demo accounts
        serve(options["host"], options["port"], 8, self.stdout)

    def _accounts(self) -> None:
        header = (_("login"), _("role"), _("place"))
        rows = [(a.login, role_label(a.role), a.place) for a in accounts.DEMO_ACCOUNTS]
        widths = [max(_width(r[i]) for r in [header, *rows]) + 2 for i in range(2)]
        for row in [header, *rows]:
            self.stdout.write("  " + _pad(row[0], widths[0]) + _pad(row[1], widths[1]) + row[2])

    def _progress(self, step: generator.Progress) -> None:
        if step.county == 0 and not step.built:
            return
        if step.built:
            self.stdout.write(_("county %(n)s %(name)s: %(households)s households in %(seconds).1f s")
                              % {"n": step.county + 1, "name": step.name, "households": step.counts.households,
                                 "seconds": step.seconds})
        else:
            self.stdout.write(_("county %(n)s %(name)s: already built") % {"n": step.county + 1, "name": step.name})
