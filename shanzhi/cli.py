"""``shanzhi``: the one command for everything a user or operator runs.

It is Django's management utility with Shanzhi's settings, plus one global option,
``--data-dir``, that every sub-command understands (it picks the embedded database's
folder before Django reads its settings).
"""

from __future__ import annotations

import os
import sys

HELP = """usage: shanzhi <command> [options]   (shanzhi <command> --help for each)

Shanzhi (善治): Party-led grassroots governance for a county.

Everyday commands:
  demo          create (once) and serve the demo county on the embedded database
  serve         serve the platform (waitress; production: see README)
  migrate       create or update the database tables
  createadmin   create an administrator account
  worker        the background worker and scheduler (Celery, needs REDIS_URL)
  check-health  exit 0 if the database answers
  backup        back up the database and the uploads into one file (safe while serving)
  restore       put a backup back (stop the server first)
  check-deploy  exit 1, saying why, if the settings are unsafe for production

Every Django management command works too (shanzhi help lists them all).

Global option:
  --data-dir DIR   folder of the embedded SQLite database (default: $SHANZHI_DATA_DIR,
                   else the per-user data folder); ignored when DATABASE_URL is set.
"""


def _take_data_dir(argv: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--data-dir":
            if i + 1 >= len(argv):
                print("shanzhi: --data-dir needs a folder", file=sys.stderr)
                raise SystemExit(2)
            os.environ["SHANZHI_DATA_DIR"] = os.path.abspath(os.path.expanduser(argv[i + 1]))
            i += 2
            continue
        if arg.startswith("--data-dir="):
            os.environ["SHANZHI_DATA_DIR"] = os.path.abspath(os.path.expanduser(arg.split("=", 1)[1]))
        else:
            out.append(arg)
        i += 1
    return out


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help"}:
        print(HELP)
        raise SystemExit(0 if args else 2)
    args = _take_data_dir(args)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanzhi.settings")
    from django.core.management import ManagementUtility

    ManagementUtility(["shanzhi", *args]).execute()


if __name__ == "__main__":
    main()
