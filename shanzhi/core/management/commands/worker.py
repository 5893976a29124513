from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser

from shanzhi import config
from shanzhi.core.management.base import ShanzhiCommand


class Command(ShanzhiCommand):
    help = ("Run the background worker with its scheduler (Celery worker + beat, on REDIS_URL). "
            "Without REDIS_URL, --embedded runs the periodic jobs in this process instead.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--concurrency", type=int, default=2)
        parser.add_argument("--no-beat", action="store_true", help="worker only (run beat elsewhere)")
        parser.add_argument("--embedded", action="store_true",
                            help="without Redis: run the periodic jobs in the foreground")
        parser.add_argument("--once", action="store_true", help="with --embedded: run due jobs once and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["embedded"]:
            from shanzhi.core import jobs

            if options["once"]:
                ran = jobs.run_due_jobs()
                self.stdout.write("ran: " + (", ".join(ran) or "nothing due"))
                return
            scheduler = jobs.EmbeddedScheduler()
            self.stdout.write("embedded scheduler running (Ctrl+C stops it)")
            scheduler.run()
            return
        if not settings.REDIS_URL:
            raise CommandError("REDIS_URL is not set: the worker needs Redis. Without it, `shanzhi serve` "
                               "already runs the periodic work (or use `shanzhi worker --embedded`).",
                               returncode=2)
        from shanzhi.celery import app

        argv = ["worker", "--loglevel=INFO", f"--concurrency={options['concurrency']}"]
        if not options["no_beat"]:
            schedule = config.data_dir() / "celerybeat-schedule"
            schedule.parent.mkdir(parents=True, exist_ok=True)
            argv += ["--beat", f"--schedule={schedule}"]
        app.worker_main(argv)
