"""Where Shanzhi keeps its data and how it reads its configuration.

Every command resolves the database the same way: ``DATABASE_URL`` if set, else the
embedded SQLite in the data folder (``--data-dir``, else ``SHANZHI_DATA_DIR``, else the
per-user data folder). Keeping this in one place is what lets ``shanzhi demo`` and a
later ``shanzhi import`` find the same county without extra options.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

TRUE_WORDS = {"1", "true", "yes", "on"}


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in TRUE_WORDS


def env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


def data_dir() -> Path:
    configured = os.environ.get("SHANZHI_DATA_DIR")
    path = Path(configured).expanduser() if configured else Path(platformdirs.user_data_dir("shanzhi"))
    return path.resolve()


def sqlite_path() -> Path:
    return data_dir() / "shanzhi.sqlite3"


def uses_embedded_database() -> bool:
    return not os.environ.get("DATABASE_URL")


def uses_embedded_worker() -> bool:
    """Without REDIS_URL there is no broker: periodic work runs inside the web process."""
    return not os.environ.get("REDIS_URL")
