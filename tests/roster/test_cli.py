"""The ``shanzhi import`` and ``shanzhi export`` commands as an operator runs them: real
processes on a real SQLite file (the commands' own database, whatever the suite runs on),
checked through their exit status, their output and the database file."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.roster.conftest import GRID_OTHER_VILLAGE, good_rows, household_rows, person_id, write_csv, write_xlsx

ROOT = Path(__file__).resolve().parents[2]
SETUP = """
import django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanzhi.settings")
django.setup()
from tests import factories
county = factories.small_county()
factories.role_users(county)
"""


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("roster-cli")
    env = _env(folder)
    subprocess.run([sys.executable, "-m", "shanzhi.cli", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run([sys.executable, "-c", SETUP], cwd=ROOT, env=env, check=True)
    return folder


def _env(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_NAME")}
    env.update(SHANZHI_DATA_DIR=str(folder), SHANZHI_EMBEDDED_SCHEDULER="0", PYTHONUNBUFFERED="1")
    return env


def shanzhi(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "shanzhi.cli", *args], cwd=ROOT, env=_env(data_dir),
                          capture_output=True, text=True, timeout=300, check=False)


def query(data_dir: Path, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(data_dir / "shanzhi.sqlite3") as db:
        return db.execute(sql, params).fetchall()


def count_households(data_dir: Path, prefix: str) -> int:
    return query(data_dir, "SELECT count(*) FROM regions_household WHERE number LIKE ?", prefix + "%")[0][0]


def test_good_file_exit_zero_summary_and_audit(data_dir, tmp_path):
    rows = household_rows("C0001", n=201) + household_rows("C0002", n=211)
    result = shanzhi(data_dir, "import", "households", str(write_csv(tmp_path / "a.csv", rows, encoding="gbk")))
    assert result.returncode == 0, result.stderr
    assert "户：新增 2，更新 0，未变 0。居民：新增 6" in result.stdout
    assert count_households(data_dir, "C000") == 2
    channel, actor, detail = query(data_dir, "SELECT channel, actor_id, detail FROM core_auditevent "
                                             "WHERE action = 'roster.import' ORDER BY id DESC LIMIT 1")[0]
    assert channel == "cli"
    assert actor is None
    assert json.loads(detail)["as"] == "administrator"

    again = shanzhi(data_dir, "import", "households", str(tmp_path / "a.csv"), "--language", "en")
    assert again.returncode == 0
    assert "Households: 0 created, 0 updated, 2 unchanged. Residents: 0 created, 0 updated, 6 unchanged." in (
        again.stdout)


def test_rejected_rows_exit_one_and_nothing_written(data_dir, tmp_path):
    rows = [*household_rows("C0101", n=301), ["C0102", "", "", "户主", "男", person_id(311), "", "", "", "", ""]]
    result = shanzhi(data_dir, "import", "households", str(write_csv(tmp_path / "a.csv", rows)))
    assert result.returncode == 1
    assert "第 5 行：" in result.stdout
    assert "没有写入任何数据" in result.stdout
    assert count_households(data_dir, "C01") == 0


def test_skip_invalid_writes_the_good_rows_and_a_rejects_file(data_dir, tmp_path):
    rows = [*household_rows("C0201", n=401), ["C0202", "", "钱多", "户主", "男", "123", "", "", "", "", ""]]
    path = write_xlsx(tmp_path / "村.xlsx", rows)
    result = shanzhi(data_dir, "import", "households", str(path), "--skip-invalid")
    assert result.returncode == 1
    rejects = tmp_path / "村.rejects.xlsx"
    assert rejects.exists()
    assert str(rejects) in result.stdout
    assert count_households(data_dir, "C020") == 1


def test_dry_run_writes_nothing(data_dir, tmp_path):
    result = shanzhi(data_dir, "import", "households", str(write_csv(tmp_path / "a.csv", household_rows(
        "C0301", n=501))), "--dry-run", "--progress")
    assert result.returncode == 0
    assert "试运行" in result.stdout
    assert "100%" in result.stderr  # the progress bar, asked for although not on a terminal
    assert count_households(data_dir, "C03") == 0


@pytest.mark.parametrize(("content", "name"), [
    (b"", "empty.csv"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(100), "photo.xlsx"),
    (None, "cut.xlsx"),
])
def test_bad_files_exit_two_with_a_clear_message(data_dir, tmp_path, content, name):
    path = tmp_path / name
    if content is None:
        whole = write_xlsx(tmp_path / "whole.xlsx", good_rows()).read_bytes()
        content = whole[: len(whole) * 2 // 3]
    path.write_bytes(content)
    result = shanzhi(data_dir, "import", "households", str(path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert any(word in result.stderr for word in ("空的", "不是电子表格", "损坏"))


def test_missing_file_and_unknown_account(data_dir, tmp_path):
    result = shanzhi(data_dir, "import", "households", str(tmp_path / "nothing.csv"))
    assert result.returncode == 2
    assert "不存在" in result.stderr
    result = shanzhi(data_dir, "import", "households", str(write_csv(tmp_path / "a.csv", good_rows())),
                     "--as", "nobody")
    assert result.returncode == 2
    assert "nobody" in result.stderr


def test_as_a_village_secretary_within_their_scope(data_dir, tmp_path):
    rows = household_rows("C0401", n=601) + household_rows("C0402", n=611, grid=GRID_OTHER_VILLAGE)
    result = shanzhi(data_dir, "import", "households", str(write_csv(tmp_path / "a.csv", rows)),
                     "--as", "u_village_secretary", "--skip-invalid")
    assert result.returncode == 1
    assert result.stdout.count("不在您的管辖范围内") == 3
    assert count_households(data_dir, "C040") == 1
    (actor,) = query(data_dir, "SELECT a.actor_name FROM core_auditevent a WHERE action = 'roster.import' "
                               "ORDER BY id DESC LIMIT 1")[0]
    assert actor == "u_village_secretary"


def test_export_then_import_changes_nothing(data_dir, tmp_path):
    for kind in ("xlsx", "csv"):
        out = tmp_path / f"roster.{kind}"
        result = shanzhi(data_dir, "export", "households", "--region", "621023100201", str(out))
        assert result.returncode == 0, result.stderr
        assert out.exists()
        again = shanzhi(data_dir, "import", "households", str(out))
        assert again.returncode == 0, again.stdout
        assert "新增 0，更新 0" in again.stdout
    result = shanzhi(data_dir, "export", "households", str(tmp_path / "roster.txt"))
    assert result.returncode == 2
    exports = query(data_dir, "SELECT detail FROM core_auditevent WHERE action = 'roster.export'")
    assert len(exports) == 2


def test_two_imports_at_once_of_overlapping_files(data_dir, tmp_path):
    """Both at once: the database stays whole (no household or person twice), and an import
    that loses the race says so and writes nothing."""
    first = household_rows("C0501", n=701) + household_rows("C0502", n=711)
    second = household_rows("C0502", n=711) + household_rows("C0503", n=721)
    paths = [write_csv(tmp_path / "one.csv", first * 1), write_csv(tmp_path / "two.csv", second)]
    env = _env(data_dir)
    procs = [subprocess.Popen([sys.executable, "-m", "shanzhi.cli", "import", "households", str(p)], cwd=ROOT,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for p in paths]
    outcomes = [(proc.wait(timeout=300), proc.stdout.read(), proc.stderr.read()) for proc in procs]
    for code, _out, err in outcomes:
        assert code in (0, 2), err
        if code == 2:
            assert "没有写入任何数据" in err
    assert any(code == 0 for code, _out, _err in outcomes)
    numbers = {n for (n,) in query(data_dir, "SELECT number FROM regions_household WHERE number LIKE 'C050%'")}
    expected = set()
    for (code, _out, _err), rows in zip(outcomes, (first, second), strict=True):
        if code == 0:
            expected |= {row[0] for row in rows}
    assert numbers == expected
    stored = query(data_dir, "SELECT r.id_number FROM regions_resident r JOIN regions_household h "
                             "ON h.id = r.household_id WHERE h.number LIKE 'C050%'")
    assert len(stored) == 3 * len(expected)  # three people each, nobody twice
