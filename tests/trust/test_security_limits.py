"""Rate limits on the addresses that need no login, and the counters behind them and the
login throttling, shared between server processes (the file cache of the embedded
setup, and Redis) — ADR 0009."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import Client

from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
VILLAGE = "621023100201"
BOARD = f"/deliberation/board/{VILLAGE}/"
API_BOARD = f"/api/deliberation/public/villages/{VILLAGE}/board"


@pytest.fixture
def redis_url() -> str:
    """Redis DB 7 for these tests; skipped when Redis does not answer (unless CI requires it)."""
    import redis

    url = os.environ.get("SHANZHI_TEST_REDIS_URL_SECURITY", "redis://127.0.0.1:6379/7")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("SHANZHI_REQUIRE_REDIS") == "1":
            pytest.fail(f"Redis at {url} does not answer: {exc}")
        pytest.skip(f"Redis at {url} does not answer")
    return url


def _limits(settings, **rates: str) -> None:
    settings.SHANZHI_RATE_LIMITS = {**settings.SHANZHI_RATE_LIMITS, **rates}


def test_open311_posts_are_limited_per_address_in_the_open311_error_shape(db, settings):
    _limits(settings, open311_post="3/h")
    client = Client(REMOTE_ADDR="10.3.1.1")
    for _ in range(3):
        r = client.post("/open311/v2/requests.json", {"service_code": "water"})
        assert r.status_code in (400, 403)  # refused by the view (no key, no place), but counted
    r = client.post("/open311/v2/requests.json", {"service_code": "water"})
    assert r.status_code == 429
    assert int(r["Retry-After"]) > 0
    body = r.json()
    assert body[0]["code"] == 429
    assert body[0]["description"]
    xml = client.post("/open311/v2/requests.xml", {"service_code": "water"})
    assert xml.status_code == 429
    assert b"<errors>" in xml.content
    # Another address has its own count; reading is limited separately (the public rule).
    assert Client(REMOTE_ADDR="10.3.1.2").post("/open311/v2/requests.json", {}).status_code == 400
    assert client.get("/open311/v2/services.json").status_code != 429


def test_the_public_board_is_limited_with_a_page_in_the_users_language(county, settings):
    _limits(settings, public="2/h")
    client = Client(REMOTE_ADDR="10.3.2.1")
    assert client.get(BOARD).status_code == 200
    assert client.get(BOARD).status_code == 200
    r = client.get(BOARD)
    assert r.status_code == 429
    assert "请求过多" in r.content.decode()
    assert "分钟后再试" in r.content.decode()
    r = client.get(BOARD, HTTP_ACCEPT_LANGUAGE="en")
    assert "Too many requests from your network" in r.content.decode()
    # A signed-in page is not under the public limit.
    client.force_login(county.users["grid_worker"])
    assert client.get("/").status_code == 200


def test_the_public_api_answers_429_in_the_platforms_error_shape(county, settings):
    _limits(settings, public="1/h")
    client = Client(REMOTE_ADDR="10.3.3.1")
    assert client.get(API_BOARD).status_code == 200
    r = client.get(API_BOARD, HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 429
    body = r.json()
    assert set(body) == {"code", "message", "fields"}
    assert body["code"] == "throttled"
    assert "Too many requests" in body["message"]


def test_login_posts_are_limited_per_address(county, settings):
    _limits(settings, login="2/h")
    client = Client(REMOTE_ADDR="10.3.4.1")
    for _ in range(2):
        client.post("/login/", {"username": "nobody", "password": "x"})
    r = client.post("/login/", {"username": county.users["grid_worker"].username, "password": PASSWORD})
    assert r.status_code == 429


def test_an_empty_limit_switches_the_rule_off(db, settings):
    _limits(settings, open311_post="")
    client = Client(REMOTE_ADDR="10.3.5.1")
    for _ in range(5):
        assert client.post("/open311/v2/requests.json", {}).status_code == 400


def test_the_client_address_header_is_used_only_when_configured(db, settings):
    _limits(settings, open311_post="1/h")
    first = Client(REMOTE_ADDR="10.3.6.1", HTTP_X_REAL_IP="1.1.1.1")
    assert first.post("/open311/v2/requests.json", {}).status_code == 400
    # Without the setting a client cannot pick a new address for itself with the header.
    assert Client(REMOTE_ADDR="10.3.6.1", HTTP_X_REAL_IP="2.2.2.2").post(
        "/open311/v2/requests.json", {}).status_code == 429
    settings.SHANZHI_CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    # Behind the proxy, its header names the client (the proxy's own address is shared).
    assert Client(REMOTE_ADDR="10.0.0.1", HTTP_X_REAL_IP="3.3.3.3").post(
        "/open311/v2/requests.json", {}).status_code == 400


# --- the counters are shared between processes --------------------------------------------------

OTHER_PROCESS = """
import django, os, sys
django.setup()
from django.contrib.auth.signals import user_login_failed
from django.test import RequestFactory
from shanzhi.core import security
request = RequestFactory().post("/login/", REMOTE_ADDR=sys.argv[1])
for _ in range(int(sys.argv[3])):
    user_login_failed.send(sender=None, credentials={"username": sys.argv[2]}, request=request)
    security.hit("rate-public", sys.argv[1], window=86400)
print("done")
"""


def _other_process(env_extra: dict[str, str], ip: str, username: str, times: int, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST", "DATABASE_URL", "TEST_DATABASE_NAME", "REDIS_URL", "CACHE_"))}
    env.update(DJANGO_SETTINGS_MODULE="shanzhi.settings", SHANZHI_DATA_DIR=str(tmp_path / "data"),
               PYTHONPATH=str(ROOT), SHANZHI_EMBEDDED_SCHEDULER="0", **env_extra)
    done = subprocess.run([sys.executable, "-c", OTHER_PROCESS, ip, username, str(times)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert "done" in done.stdout


def _shared_counts(county, settings, tmp_path: Path, env_extra: dict[str, str]) -> None:
    """Another process (another server worker) counts two failed logins and three board
    visits; this one adds to the same counts."""
    settings.SHANZHI_LOGIN_FAILURES_PER_USERNAME = 3
    _limits(settings, public="4/d")
    user = county.users["grid_worker"]
    ip = f"10.4.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    _other_process({**env_extra, "LOGIN_FAILURES_PER_USERNAME": "3"}, ip, user.username, 2, tmp_path)
    client = Client(REMOTE_ADDR="10.5.0.1")
    client.post("/login/", {"username": user.username, "password": "wrong-again-123"})  # the third
    r = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert "登录失败次数过多" in r.content.decode()
    board = Client(REMOTE_ADDR=ip)
    assert board.get(BOARD).status_code == 200  # the 3rd of 4 today
    assert board.get(BOARD).status_code == 200
    assert board.get(BOARD).status_code == 429


def test_the_file_cache_is_shared_between_processes(county, settings, tmp_path):
    location = tmp_path / "cache"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                                   "LOCATION": str(location), "KEY_PREFIX": "shanzhi", "TIMEOUT": 3600}}
    cache.clear()
    _shared_counts(county, settings, tmp_path, {"CACHE_DIR": str(location)})


@pytest.mark.redis
def test_the_redis_cache_is_shared_between_processes(county, settings, tmp_path, redis_url):
    prefix = f"shanzhi-test-{uuid.uuid4().hex[:8]}"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": redis_url, "KEY_PREFIX": prefix, "TIMEOUT": 3600}}
    _shared_counts(county, settings, tmp_path, {"REDIS_URL": redis_url, "CACHE_KEY_PREFIX": prefix})


def test_the_embedded_setup_keeps_the_cache_in_the_data_folder(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "REDIS_URL", "CACHE_"))}
    env.update(DJANGO_SETTINGS_MODULE="shanzhi.settings", SHANZHI_DATA_DIR=str(tmp_path), PYTHONPATH=str(ROOT))
    code = "import django; django.setup(); from django.conf import settings; print(settings.CACHES['default'])"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120,
                         check=True).stdout
    assert "FileBasedCache" in out
    assert str(tmp_path / "cache") in out
    env["REDIS_URL"] = "redis://127.0.0.1:6379/3"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120,
                         check=True).stdout
    assert "RedisCache" in out


def test_a_cache_that_is_down_does_not_lock_everyone_out(county, settings):
    """Redis down: nothing is counted, logins and public pages keep working (fail open)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0",
                                   "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}}
    _limits(settings, public="1/h")
    client = Client(REMOTE_ADDR="10.6.0.1")
    assert client.get(BOARD).status_code == 200
    assert client.get(BOARD).status_code == 200
    bad = client.post("/login/", {"username": county.users["grid_worker"].username, "password": "wrong-one-12"})
    assert bad.status_code == 200
    good = client.post("/login/", {"username": county.users["grid_worker"].username, "password": PASSWORD})
    assert good.status_code == 302
