"""Backups of the whole platform: the database and the uploaded files (ADR 0010).

A backup is one ``.tar.gz`` file holding

- ``manifest.json``: format and version, the database kind, the migrations applied, the
  time, the row count of every table and the SHA-256 of the database member;
- ``database.sqlite3`` (the embedded database, copied with SQLite's online backup API: a
  consistent snapshot while the server writes, WAL included) or ``database.pgdump``
  (``pg_dump --format=custom`` inside a repeatable-read snapshot, so the counts in the
  manifest are those of the dump);
- ``media/``: the uploads folder (MEDIA_ROOT).

``restore`` checks the manifest and the checksum before it touches anything, refuses a
backup of the other database kind or of a newer code version (migrations this code does not
know), then replaces the database in one step (SQLite: the backup API into the live file;
PostgreSQL: the public schema dropped and rebuilt by psql in a single transaction) and swaps
the uploads folder.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

FORMAT = "shanzhi-backup"
VERSION = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"
MEDIA_MEMBER = "media"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class Manifest:
    data: dict[str, Any]

    @property
    def kind(self) -> str:
        return str(self.data["database"])

    @property
    def counts(self) -> dict[str, int]:
        return dict(self.data.get("counts", {}))

    @property
    def migrations(self) -> set[tuple[str, str]]:
        return {(app, name) for app, name in self.data.get("migrations", [])}


def database_kind() -> str:
    vendor = connection.vendor
    if vendor not in {"sqlite", "postgresql"}:
        raise BackupError(f"backups support SQLite and PostgreSQL, not {vendor}")
    return vendor


# -- reading a database: tables, counts, fingerprints -----------------------------------------

def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_names(cursor: Any) -> list[str]:
    return sorted(t for t in connection.introspection.table_names(cursor) if not t.startswith("sqlite_"))


def table_counts(cursor: Any) -> dict[str, int]:
    counts = {}
    for table in table_names(cursor):
        cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")  # noqa: S608 (names from the catalog)
        counts[table] = int(cursor.fetchone()[0])
    return counts


def table_fingerprints() -> dict[str, tuple[int, str]]:
    """(row count, SHA-256 of the sorted rows) of every table of the current database: what
    "the data is identical" means for the restore test and for an operator's check."""
    out = {}
    with connection.cursor() as cursor:
        for table in table_names(cursor):
            cursor.execute(f"SELECT * FROM {_quote(table)}")  # noqa: S608
            rows = sorted(repr(tuple(_plain(v) for v in row)) for row in cursor.fetchall())
            digest = hashlib.sha256("\n".join(rows).encode()).hexdigest()
            out[table] = (len(rows), digest)
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, memoryview):
        return bytes(value)
    return value


def applied_migrations(cursor: Any) -> list[list[str]]:
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    return [[app, name] for app, name in cursor.fetchall()]


def unknown_migrations(applied: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Migrations of this code's apps that the backup has and this code does not: a backup
    of a newer version. (Apps this code does not have at all are left out.)"""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return {(app, name) for app, name in applied
            if app in loader.migrated_apps and (app, name) not in loader.disk_migrations}


# -- the archive ------------------------------------------------------------------------------

def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def default_path(kind: str) -> Path:
    stamp = timezone.now().astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(settings.DATA_DIR) / "backups" / f"shanzhi-{kind}-{stamp}.tar.gz"


def backup(target: Path | None = None, *, media: bool = True) -> tuple[Path, Manifest]:
    """Write a backup file (to ``target``, a file or a folder) and return its path and manifest."""
    kind = database_kind()
    path = default_path(kind) if target is None else Path(target)
    if path.is_dir():
        path = path / default_path(kind).name
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="shanzhi-backup-", dir=path.parent) as tmp:
        work = Path(tmp)
        if kind == "sqlite":
            member, migrations, counts = SQLITE_MEMBER, *_sqlite_snapshot(work / SQLITE_MEMBER)
        else:
            member, migrations, counts = PG_MEMBER, *_pg_dump(work / PG_MEMBER)
        media_root = Path(settings.MEDIA_ROOT)
        media_files = [p for p in media_root.rglob("*") if p.is_file()] if media and media_root.is_dir() else []
        manifest = Manifest({
            "format": FORMAT, "version": VERSION, "database": kind,
            "created_at": timezone.now().isoformat(), "migrations": migrations, "counts": counts,
            "database_member": member, "database_sha256": _sha256(work / member),
            "media": {"included": media, "files": len(media_files),
                      "bytes": sum(p.stat().st_size for p in media_files)},
        })
        partial = work / "backup.tar.gz"
        with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
            _add_bytes(tar, MANIFEST, json.dumps(manifest.data, ensure_ascii=False, indent=1).encode())
            tar.add(work / member, arcname=member)
            for file in media_files:
                tar.add(file, arcname=f"{MEDIA_MEMBER}/{file.relative_to(media_root).as_posix()}")
        os.replace(partial, path)  # the same folder: a backup file is whole or absent
    return path, manifest


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(timezone.now().timestamp())
    tar.addfile(info, io.BytesIO(data))


def _sqlite_snapshot(out: Path) -> tuple[list[list[str]], dict[str, int]]:
    source = sqlite3.connect(str(connection.settings_dict["NAME"]), timeout=60)
    try:
        target = sqlite3.connect(str(out))
        try:
            # The backup API copies page by page under SQLite's own locks and starts again
            # if a writer changes a page it copied: the result is one consistent state.
            source.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            if target.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError("the copy of the database failed its integrity check; nothing was written")
            cursor = target.cursor()
            tables = sorted(r[0] for r in cursor.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"))
            counts = {t: int(cursor.execute(f"SELECT COUNT(*) FROM {_quote(t)}").fetchone()[0])  # noqa: S608
                      for t in tables}
            migrations = [list(r) for r in cursor.execute("SELECT app, name FROM django_migrations ORDER BY 1, 2")]
        finally:
            target.close()
    finally:
        source.close()
    return migrations, counts


# -- PostgreSQL tools ------------------------------------------------------------------------

def _server_major() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        return int(cursor.fetchone()[0]) // 10000


def _tool_major(path: str) -> int | None:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30, check=False).stdout
    except OSError:
        return None
    found = re.search(r"(\d+)(?:\.\d+)?", out)
    return int(found.group(1)) if found else None


def pg_tool(name: str) -> str:
    """The ``pg_dump``/``pg_restore``/``psql`` that matches the server: the same major
    version's binaries (/usr/lib/postgresql/N/bin), else a newer one on PATH (pg_dump can
    read older servers, never newer ones)."""
    major = _server_major()
    candidates = [f"/usr/lib/postgresql/{major}/bin/{name}"]
    candidates += sorted((str(p) for p in Path("/usr/lib/postgresql").glob(f"*/bin/{name}")), reverse=True)
    on_path = shutil.which(name)
    if on_path:
        candidates.append(on_path)
    for candidate in dict.fromkeys(candidates):
        if os.access(candidate, os.X_OK) and (_tool_major(candidate) or 0) >= major:
            return candidate
    raise BackupError(
        f"{name} for PostgreSQL {major} was not found (looked in /usr/lib/postgresql/*/bin and on PATH). "
        f"Install the PostgreSQL {major} client tools (Debian: apt-get install postgresql-client-{major}).")


def _pg_args_env() -> tuple[list[str], dict[str, str]]:
    s = connection.settings_dict
    args = ["--host", s.get("HOST") or "127.0.0.1", "--username", s.get("USER") or "postgres", "--no-password"]
    if s.get("PORT"):
        args += ["--port", str(s["PORT"])]
    env = dict(os.environ, PGOPTIONS="-c client_min_messages=warning")
    if s.get("PASSWORD"):
        env["PGPASSWORD"] = s["PASSWORD"]
    return args, env


def _run(cmd: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{what} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def _pg_dump(out: Path) -> tuple[list[list[str]], dict[str, int]]:
    tool = pg_tool("pg_dump")
    args, env = _pg_args_env()
    # The counts and the dump see one snapshot: exported from this repeatable-read
    # transaction and handed to pg_dump.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        counts = table_counts(cursor)
        migrations = applied_migrations(cursor)
        _run([tool, *args, "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
              "--file", str(out), str(connection.settings_dict["NAME"])], env, "pg_dump")
    return migrations, counts


# -- restore -----------------------------------------------------------------------------------

def _damaged(path: Path, why: str) -> BackupError:
    return BackupError(f"{path} is not a usable Shanzhi backup ({why}); nothing was changed")


@contextlib.contextmanager
def opened(path: Path) -> Iterator[tuple[tarfile.TarFile, Manifest]]:
    """The backup's archive and checked manifest (the format, not yet the database kind)."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"there is no backup file {path}")
    try:
        tar = tarfile.open(path, "r:*")  # noqa: SIM115 (closed by the with below)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise _damaged(path, f"not a readable archive: {exc}") from None
    with tar:
        try:
            member = tar.extractfile(MANIFEST)
            data = json.loads(member.read()) if member else None
        except (KeyError, ValueError, tarfile.TarError, OSError, EOFError) as exc:
            raise _damaged(path, f"no readable manifest: {exc}") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise _damaged(path, "no Shanzhi manifest")
        if data.get("version") != VERSION:
            raise _damaged(path, f"format version {data.get('version')}, this Shanzhi reads {VERSION}")
        if data.get("database") not in {"sqlite", "postgresql"} or "database_sha256" not in data:
            raise _damaged(path, "incomplete manifest")
        yield tar, Manifest(data)


def read_manifest(path: Path) -> Manifest:
    with opened(path) as (_tar, manifest):
        return manifest


def restore(path: Path) -> Manifest:
    """Replace the current database and uploads with the backup's. Checks everything it can
    before it changes anything."""
    path = Path(path)
    kind = database_kind()
    with opened(path) as (tar, manifest), tempfile.TemporaryDirectory(prefix="shanzhi-restore-") as tmp:
        if manifest.kind != kind:
            raise BackupError(f"{path} is a backup of a {manifest.kind} database; this Shanzhi uses {kind}. "
                              "Nothing was changed.")
        unknown = unknown_migrations(manifest.migrations)
        if unknown:
            sample = ", ".join(f"{a}.{n}" for a, n in sorted(unknown)[:3])
            raise BackupError(f"{path} was made by a newer Shanzhi (migrations unknown here: {sample}). "
                              "Install that version, then restore. Nothing was changed.")
        work = Path(tmp)
        member = manifest.data["database_member"]
        try:
            _extract(tar, work)
        except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
            raise _damaged(path, f"the archive is cut short or damaged: {exc}") from None
        db_file = work / member
        if not db_file.is_file() or _sha256(db_file) != manifest.data["database_sha256"]:
            raise _damaged(path, "the database inside does not match its checksum")
        connections.close_all()
        if kind == "sqlite":
            _sqlite_restore(db_file)
        else:
            _pg_restore(db_file)
        connections.close_all()
        if manifest.data.get("media", {}).get("included"):
            _swap_media(work / MEDIA_MEMBER)
    return manifest


def _extract(tar: tarfile.TarFile, into: Path) -> None:
    tar.extractall(into, filter="data")  # no absolute paths, no "..", no devices


def _sqlite_restore(db_file: Path) -> None:
    source = sqlite3.connect(str(db_file))
    try:
        if source.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError("the database in the backup failed its integrity check; nothing was changed")
        target = sqlite3.connect(str(connection.settings_dict["NAME"]), timeout=60)
        try:
            # Through SQLite's locks, into the live file (its WAL included): readers see the
            # old database or the restored one, never a mixture.
            source.backup(target)
            target.execute("PRAGMA journal_mode=WAL")
        finally:
            target.close()
    finally:
        source.close()


def _pg_restore(dump: Path) -> None:
    pg_restore, psql = pg_tool("pg_restore"), pg_tool("psql")
    args, env = _pg_args_env()
    script, listing = dump.with_suffix(".sql"), dump.with_suffix(".list")
    # The public schema itself is made below, whether or not the dump has an entry for it
    # (a database whose public schema was recreated has one).
    toc = subprocess.run([pg_restore, "--list", str(dump)], env=env, capture_output=True, text=True, check=False)
    if toc.returncode != 0:
        raise BackupError(f"pg_restore --list failed ({toc.returncode}): {toc.stderr.strip()[-2000:]}")
    listing.write_text("".join(line for line in toc.stdout.splitlines(keepends=True)
                               if not re.search(r"\bSCHEMA - public\b", line)))
    _run([pg_restore, "--no-owner", "--no-privileges", "--use-list", str(listing), "--file", str(script), str(dump)],
         env, "pg_restore")
    # One transaction: the old schema is dropped and the backup's loaded, or nothing happens.
    _run([psql, *args, "--no-psqlrc", "--quiet", "--single-transaction", "--set", "ON_ERROR_STOP=1",
          "--dbname", str(connection.settings_dict["NAME"]),
          # A whole-database dump takes the public schema as given (and brings its extensions).
          "--command", "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;",
          "--file", str(script)], env, "restoring the database with psql")


def _swap_media(restored: Path) -> None:
    media_root = Path(settings.MEDIA_ROOT)
    media_root.parent.mkdir(parents=True, exist_ok=True)
    incoming = Path(tempfile.mkdtemp(prefix=".media-restore-", dir=media_root.parent))
    if restored.is_dir():
        shutil.copytree(restored, incoming, dirs_exist_ok=True)
    old = media_root.with_name(media_root.name + ".before-restore")
    if old.exists():
        shutil.rmtree(old)
    if media_root.exists():
        os.replace(media_root, old)
    os.replace(incoming, media_root)
    shutil.rmtree(old, ignore_errors=True)
