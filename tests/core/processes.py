"""Running ``shanzhi`` in other processes against the test's database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHANZHI = str(Path(sys.executable).with_name("shanzhi"))


def database_url() -> str:
    """The URL of the current (test) database, for a subprocess."""
    from django.db import connection

    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(s['NAME']).resolve()}"
    auth = quote(s.get("USER") or "")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"])
    host = s.get("HOST") or "127.0.0.1"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{s['NAME']}"


def subprocess_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST", "DATABASE_URL", "TEST_DATABASE_NAME", "REDIS_URL", "DJANGO_SETTINGS"))}
    env.update(SHANZHI_DATA_DIR=str(data_dir), SHANZHI_EMBEDDED_SCHEDULER="0", PYTHONPATH=str(ROOT),
               LOG_LEVEL="INFO")
    env.update(extra)
    return env


def run_shanzhi(*args: str, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SHANZHI, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          check=False)


class Background:
    """A process started by a test, stopped (with its children) when the test ends."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path):
        self.log = log
        self._out = log.open("w")
        self.proc = subprocess.Popen(args, env=env, cwd=ROOT, stdout=self._out, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 300.0, what: str = "") -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            if self.proc.poll() is not None:
                pytest.fail(f"the process ended ({self.proc.returncode}) before {what}:\n{self.output()[-4000:]}")
            time.sleep(0.3)
        if predicate():
            return
        pytest.fail(f"timed out waiting for {what}:\n{self.output()[-4000:]}")

    def stop(self, timeout: float = 30.0) -> int:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # our own process group (start_new_session)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self._out.close()
        return self.proc.returncode


