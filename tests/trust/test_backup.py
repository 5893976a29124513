"""``shanzhi backup`` and ``shanzhi restore`` as an operator runs them (real subprocesses on the
test database, SQLite or PostgreSQL, whichever the suite runs on): data built through the
services, backed up, changed and partly destroyed, restored, and found identical table by
table (row counts and checksums), uploads included, with the ledger verified. And the
refusals: a damaged file, a backup of the other database kind, no --yes."""

from __future__ import annotations

import io
import json
import tarfile
import threading
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction

from shanzhi.casework import services as casework
from shanzhi.casework.models import Category, ServiceRequest
from shanzhi.core import audit, backup
from shanzhi.core.models import Notification
from shanzhi.ledger import services as ledger
from shanzhi.points import services as points_services
from shanzhi.regions.models import Household
from tests import factories
from tests.casework.conftest import image_bytes
from tests.concurrency import race, shared_db  # noqa: F401 (fixture)
from tests.core.processes import database_url, run_shanzhi, subprocess_env
from tests.points.conftest import award, build_setup


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _env(tmp_path: Path, media: Path) -> dict[str, str]:
    return subprocess_env(tmp_path / "data", DATABASE_URL=database_url(), MEDIA_ROOT=str(media))


def _shanzhi(tmp_path: Path, media: Path, *args: str):
    connections.close_all()  # the subprocess may replace the database under this connection
    return run_shanzhi(*args, env=_env(tmp_path, media), timeout=120)


def _build_county(media: Path):
    county = factories.small_county()
    factories.role_users(county)
    setup = build_setup(county)
    homes = setup.households()
    for home in homes[:3]:
        award(setup, home)
        award(setup, home)
    points_services.redeem(actor=setup.users["shopkeeper"], shop=setup.shop, household=homes[0],
                           lines=[(setup.rice.pk, 1)])
    casework.categories_install_defaults(actor=None, county=county.county)
    water = Category.objects.get(county=county.county, code="water")
    photo = SimpleUploadedFile("pipe.jpg", image_bytes(), content_type="image/jpeg")
    request = casework.request_submit(actor=county.users["resident"], category=water,
                                      description="村口水管破裂,漏水严重", photo_files=[photo])
    return county, setup, request


@pytest.mark.usefixtures("shared_db")
def test_backup_then_restore_gives_back_identical_data(media, tmp_path):
    county, setup, request = _build_county(media)
    uploads = sorted(p.relative_to(media).as_posix() for p in media.rglob("*") if p.is_file())
    assert uploads, "the request's photo is an upload"
    before = backup.table_fingerprints()
    assert before["ledger_entry"][0] > 0
    assert before["casework_servicerequest"][0] == 1

    target = tmp_path / "backups"
    target.mkdir()
    made = _shanzhi(tmp_path, media, "backup", str(target))
    assert made.returncode == 0, made.stderr
    [file] = list(target.iterdir())
    manifest = backup.read_manifest(file)
    assert manifest.kind == backup.database_kind()
    assert manifest.counts == {table: count for table, (count, _digest) in before.items()}
    assert manifest.data["media"]["files"] == len(uploads)
    assert ["ledger", "0001_initial"] in manifest.data["migrations"]

    # Life goes on, then something goes badly wrong.
    award(setup, setup.households()[4])
    casework.request_submit(actor=county.users["resident"], category=request.category, description="路灯坏了")
    Notification.objects.all().delete()
    Household.objects.filter(pk=county.households[-1].pk).update(address="改过的地址")
    ServiceRequest.objects.all().update(description="被改坏了")
    for path in media.rglob("*"):
        if path.is_file():
            path.unlink()
    (media / "stray.txt").write_text("written after the backup")
    assert backup.table_fingerprints() != before

    restored = _shanzhi(tmp_path, media, "restore", str(file), "--yes")
    assert restored.returncode == 0, restored.stderr
    after = backup.table_fingerprints()
    assert {t: v for t, v in after.items() if v != before.get(t)} == {}
    assert after == before
    assert sorted(p.relative_to(media).as_posix() for p in media.rglob("*") if p.is_file()) == uploads
    assert ServiceRequest.objects.get().photos.count() == 1
    assert ledger.verify() == []
    verified = _shanzhi(tmp_path, media, "verify-ledger")
    assert verified.returncode == 0, verified.stderr + verified.stdout


def _rewrite(source: Path, out: Path, change) -> Path:
    """A copy of a backup with its manifest changed by ``change(dict)``."""
    with tarfile.open(source, "r:gz") as old, tarfile.open(out, "w:gz") as new:
        for member in old.getmembers():
            data = old.extractfile(member).read() if member.isfile() else None
            if member.name == backup.MANIFEST:
                manifest = json.loads(data)
                change(manifest)
                data = json.dumps(manifest).encode()
                member.size = len(data)
            new.addfile(member, io.BytesIO(data) if data is not None else None)
    return out


@pytest.mark.usefixtures("shared_db")
def test_restore_refuses_a_damaged_or_foreign_file_and_asks_before_overwriting(media, tmp_path):
    factories.small_county()
    file, _manifest = backup.backup(tmp_path / "good.tar.gz")
    before = backup.table_fingerprints()
    other_kind = "postgresql" if backup.database_kind() == "sqlite" else "sqlite"

    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(file.read_bytes()[: file.stat().st_size // 2])
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a backup at all" * 100)
    cases = {
        cut: "not a usable Shanzhi backup",
        junk: "not a usable Shanzhi backup",
        _rewrite(file, tmp_path / "kind.tar.gz", lambda m: m.update(database=other_kind)): f"{other_kind} database",
        _rewrite(file, tmp_path / "sum.tar.gz", lambda m: m.update(database_sha256="0" * 64)): "checksum",
        _rewrite(file, tmp_path / "newer.tar.gz", lambda m: m["migrations"].append(["ledger", "9999_future"])):
            "newer Shanzhi",
        _rewrite(file, tmp_path / "format.tar.gz", lambda m: m.update(version=99)): "format version 99",
        tmp_path / "missing.tar.gz": "there is no backup file",
    }
    for path, message in cases.items():
        with pytest.raises(CommandError) as refused:
            call_command("restore", str(path), "--yes", stdout=io.StringIO())
        assert refused.value.returncode == 2
        assert message in str(refused.value), (path.name, str(refused.value))
    # The same through the real command: a message on stderr and a non-zero exit.
    done = _shanzhi(tmp_path, media, "restore", str(cut), "--yes")
    assert done.returncode == 2
    assert "not a usable Shanzhi backup" in done.stderr
    # Without --yes, and with no one at a terminal to ask: refused.
    asked = _shanzhi(tmp_path, media, "restore", str(file))
    assert asked.returncode == 2
    assert "--yes" in asked.stderr
    assert backup.table_fingerprints() == before


@pytest.mark.usefixtures("shared_db")
def test_a_backup_taken_while_others_write_is_one_consistent_state(media):
    """Writers keep committing (an audit entry and a household each time) while the backup
    runs: the file holds one moment, the manifest's counts are that moment's, and a restore
    gives exactly those counts back."""
    county = factories.small_county()
    grid = county.grids[0]
    stop = threading.Event()
    written: list[int] = []

    def write(i: int) -> int:
        n = 0
        while not stop.is_set():
            with transaction.atomic():
                home = factories.household(grid, number=f"W{i}{n:05d}", members=1)
                audit.record(actor=None, action="test.write", target=home, region_path=home.region_path)
            n += 1
        return n

    writers = threading.Thread(target=lambda: written.extend(race(2, write)))
    writers.start()
    try:
        time.sleep(1)  # the writers are under way
        file, manifest = backup.backup(media.parent / "live.tar.gz")
    finally:
        stop.set()
        writers.join(60)
    assert all(isinstance(n, int) for n in written), written
    assert sum(written) > 0
    households, residents = manifest.counts["regions_household"], manifest.counts["regions_resident"]
    # Each write added a household and its one resident together: the copy holds whole writes.
    assert households - 18 == residents - 18 * 3
    assert manifest.counts["core_auditevent"] >= households - 18
    call_command("restore", str(file), "--yes", stdout=io.StringIO())
    with connection.cursor() as cursor:
        assert backup.table_counts(cursor) == manifest.counts
