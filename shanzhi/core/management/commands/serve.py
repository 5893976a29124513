from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import CommandParser

from shanzhi import config
from shanzhi.core.management.base import ShanzhiCommand


def serve(host: str, port: int, threads: int, stdout: Any) -> None:
    import waitress

    from shanzhi.core import jobs
    from shanzhi.wsgi import application

    jobs.start_embedded_scheduler_if_enabled()
    stdout.write(f"Shanzhi is serving on http://{host}:{port}/  (Ctrl+C stops it)")
    stdout.flush()
    waitress.serve(application, host=host, port=port, threads=threads, ident="shanzhi",
                   channel_timeout=120, connection_limit=500)


class Command(ShanzhiCommand):
    help = "Serve the platform with waitress (for production, see the README: gunicorn + several workers)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument("--no-migrate", action="store_true",
                            help="do not apply pending migrations first (embedded database only)")

    def handle(self, *args: Any, **options: Any) -> None:
        if config.uses_embedded_database() and not options["no_migrate"]:
            call_command("migrate", verbosity=0, interactive=False)
        serve(options["host"], options["port"], options["threads"], self.stdout)
