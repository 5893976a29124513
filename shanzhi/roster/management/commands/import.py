"""``shanzhi import households FILE``: bring a roster spreadsheet in (see roster.services)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from shanzhi.core.management.base import ShanzhiCommand
from shanzhi.roster import services
from shanzhi.roster.management.commands._common import acting, activate_language, add_common_arguments


class Command(ShanzhiCommand):
    help = ("Import households and residents from an .xlsx or .csv roster (one row per resident). By default "
            "any bad row stops the whole import; exit status 1 when rows were rejected, 2 when the file or "
            "the request is bad.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subject", choices=["households"], help="what to import")
        parser.add_argument("file", help="the .xlsx or .csv file")
        parser.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
        parser.add_argument("--skip-invalid", action="store_true",
                            help="write the good rows; the bad ones go to a rejects file")
        parser.add_argument("--rejects", metavar="FILE",
                            help="where to write the rejected rows (default with --skip-invalid: "
                                 "FILE.rejects.xlsx or .csv beside the input)")
        parser.add_argument("--progress", action="store_true", help="show progress even when not on a terminal")
        parser.add_argument("--batch-rows", type=int, default=services.BATCH_ROWS, help=_argparse_hidden())
        add_common_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        activate_language(options)
        if options["dry_run"] and options["skip_invalid"]:
            raise CommandError(_("Choose either --dry-run or --skip-invalid."), returncode=2)
        path = options["file"]
        if not os.path.isfile(path):
            raise CommandError(_("There is no file %(path)s.") % {"path": path}, returncode=2)
        actor, viewer = acting(options)
        mode = (services.DRY_RUN if options["dry_run"] else
                services.SKIP_INVALID if options["skip_invalid"] else services.ALL_OR_NOTHING)
        rejects = options["rejects"] or (rejects_path(path) if mode == services.SKIP_INVALID else None)
        bar = ProgressBar(sys.stderr) if options["progress"] or sys.stderr.isatty() else None

        def on_problem(problem: services.Problem) -> None:
            if bar:
                bar.clear()
            self.stdout.write(_("Row %(line)s: %(reason)s") % {"line": problem.line, "reason": problem.reason})

        report = services.roster_import(
            actor=actor, viewer=viewer, source=path, file_name=os.path.basename(path), mode=mode,
            rejects_to=rejects, on_problem=on_problem, on_progress=bar.show if bar else None,
            batch_rows=max(options["batch_rows"], 1))
        if bar:
            bar.done()
        if report.unknown_columns:
            self.stdout.write(_("Columns not recognised, ignored: %(names)s")
                              % {"names": "、".join(report.unknown_columns)})
        self.stdout.write(report.summary())
        if report.rejects_path:
            self.stdout.write(_("The rejected rows, each with its reason, are in %(path)s: fix them there and "
                                "import that file.") % {"path": report.rejects_path})
        if report.rejected:
            sys.stdout.flush()
            raise SystemExit(1)


def _argparse_hidden() -> str:
    import argparse

    return argparse.SUPPRESS


def rejects_path(path: str) -> str:
    source = Path(path)
    suffix = ".csv" if source.suffix.lower() == ".csv" else ".xlsx"
    return str(source.with_name(source.stem + ".rejects" + suffix))


class ProgressBar:
    """A one-line bar on stderr, redrawn as batches finish."""

    WIDTH = 30

    def __init__(self, stream: Any):
        self.stream = stream
        self.shown = False

    def show(self, rows: int, fraction: float | None) -> None:
        if fraction is None:
            text = _("%(rows)s rows read") % {"rows": f"{rows:,}"}
        else:
            filled = int(self.WIDTH * min(fraction, 1.0))
            text = "[{}{}] {:3d}%  ".format("#" * filled, "-" * (self.WIDTH - filled), int(fraction * 100)) + (
                _("%(rows)s rows read") % {"rows": f"{rows:,}"})
        self.stream.write("\r" + text + "\033[K")
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()

    def done(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()
