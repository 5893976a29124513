"""`shanzhi check-deploy` against bad and good production settings, run as an operator
runs it (a process with environment variables), and the CI dependency audit's verdicts."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.core.processes import run_shanzhi, subprocess_env

ROOT = Path(__file__).resolve().parents[2]
GOOD = {
    "SECRET_KEY": "k3#Vq9!zR2@wL8$xT5^mN1&bH7*cJ4(dF6)gS0-pY_eU+iO=aQ~rW",
    "ALLOWED_HOSTS": "shanzhi.huachi.gov.cn",
    "CSRF_TRUSTED_ORIGINS": "https://shanzhi.huachi.gov.cn",
    "SECURE_COOKIES": "1",
    "BEHIND_TLS_PROXY": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "DATABASE_URL": "postgres://shanzhi@127.0.0.1:5432/shanzhi",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def check_deploy(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return run_shanzhi("check-deploy", env=subprocess_env(tmp_path, **env), timeout=300)


def test_a_careless_configuration_is_refused_with_a_message_per_problem(tmp_path):
    result = check_deploy(tmp_path, DEBUG="1", ALLOWED_HOSTS="*", SHANZHI_DEMO="1", CSRF_TRUSTED_ORIGINS="")
    assert result.returncode == 1
    err = result.stderr
    for words in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SECURE_COOKIES=1", "SECURE_SSL_REDIRECT",
                  "CSRF_TRUSTED_ORIGINS", "SHANZHI_DEMO"):
        assert words in err, words
    assert err.count("不安全：") == 7  # zh-hans by default, one line per problem
    assert "Traceback" not in err
    assert "SQLite" in result.stdout  # a warning only


@pytest.mark.parametrize(("change", "needle"), [
    ({"SECRET_KEY": "short-key"}, "SECRET_KEY"),
    ({"ALLOWED_HOSTS": "localhost,127.0.0.1"}, "ALLOWED_HOSTS"),
    ({"CSRF_TRUSTED_ORIGINS": "http://shanzhi.huachi.gov.cn"}, "https://"),
    ({"RATE_LIMIT_OPEN311_POST": "lots"}, "open311_post"),
])
def test_each_unsafe_setting_alone_fails(tmp_path, change, needle):
    result = check_deploy(tmp_path, **{**GOOD, **change})
    assert result.returncode == 1, result.stdout
    assert needle in result.stderr
    assert result.stderr.count("不安全：") == 1


def test_a_careful_configuration_passes(tmp_path):
    result = check_deploy(tmp_path, **GOOD)
    assert result.returncode == 0, result.stderr
    assert "配置适合生产环境" in result.stdout
    assert "不安全" not in result.stderr


def test_sqlite_and_no_redis_are_warnings_not_failures(tmp_path):
    good = {k: v for k, v in GOOD.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    result = check_deploy(tmp_path, **good)
    assert result.returncode == 0, result.stderr
    assert "SQLite" in result.stdout
    assert "REDIS_URL" in result.stdout


def test_new_key_prints_a_usable_key(tmp_path):
    result = run_shanzhi("check-deploy", "--new-key", env=subprocess_env(tmp_path))
    key = result.stdout.strip()
    assert len(key) >= 50
    assert len(set(key)) >= 5


# --- the CI dependency audit (.ci/audit.py) judging pip-audit's JSON report ---------------------

def audit(tmp_path: Path, report: dict, stamp_age_days: float | None = None, **env: str) -> tuple[int, str]:
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report))
    stamp = tmp_path / "stamp"
    if stamp_age_days is not None:
        stamp.write_text(str(int(time.time() - stamp_age_days * 86400)))
    done = subprocess.run([sys.executable, str(ROOT / ".ci" / "audit.py"), "--report", str(path), "--stamp",
                           str(stamp)], capture_output=True, text=True, timeout=60, check=False,
                          env={"PATH": "/usr/bin:/bin", **env})
    return done.returncode, done.stdout


CLEAN = {"dependencies": [{"name": "django", "version": "5.2.19", "vulns": []},
                          {"name": "pillow", "version": "11.0.0", "vulns": []},
                          {"name": "shanzhi", "skip_reason": "Dependency not found on PyPI"}], "fixes": []}
VULNERABLE = {"dependencies": [
    {"name": "django", "version": "5.2.0", "vulns": [
        {"id": "PYSEC-2025-1", "fix_versions": ["5.2.1"], "aliases": ["CVE-2025-0001"], "description": "..."}]},
    {"name": "pillow", "version": "11.0.0", "vulns": []}], "fixes": []}
UNREACHABLE = {"dependencies": [
    {"name": "django", "skip_reason": "Dependency not found on PyPI and could not be audited: django (5.2.19)"},
    {"name": "pillow", "skip_reason": "Dependency not found on PyPI and could not be audited: pillow (11.0.0)"}],
    "fixes": []}


def test_a_known_vulnerability_fails_the_build(tmp_path):
    code, out = audit(tmp_path, VULNERABLE)
    assert code == 1
    assert "VULNERABLE: django 5.2.0: PYSEC-2025-1 (fixed in: 5.2.1)" in out


def test_a_clean_audit_passes_and_is_remembered(tmp_path):
    code, out = audit(tmp_path, CLEAN)
    assert code == 0
    assert "2 packages checked" in out
    assert (tmp_path / "stamp").exists()


def test_an_unreachable_service_warns_then_fails_after_the_grace_period(tmp_path):
    code, out = audit(tmp_path, UNREACHABLE)
    assert code == 0
    assert "INCOMPLETE: 2 package(s) could not be checked" in out
    assert audit(tmp_path, UNREACHABLE, stamp_age_days=2)[0] == 0
    code, out = audit(tmp_path, UNREACHABLE, stamp_age_days=30)
    assert code == 1
    assert "30 days ago" in out
    assert audit(tmp_path, UNREACHABLE, SHANZHI_AUDIT_REQUIRED="1")[0] == 1
    assert audit(tmp_path, {"error": "pip-audit did not run"}, SHANZHI_AUDIT_REQUIRED="1")[0] == 1
