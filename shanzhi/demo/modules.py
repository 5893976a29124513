"""Each module's demo history, added to the demo county.

A module that wants demo data provides ``shanzhi/<module>/demo.py`` with
``build_demo(county, rng, stdout) -> counts``: idempotent (it writes nothing when its data is
there already), deterministic for a given ``rng``, and fast (bulk writes). The demo finds
them by that convention, in INSTALLED_APPS order, so a module joins the demo by existing,
and a module added after the county was built fills in its history on the next start.
"""

from __future__ import annotations

import importlib
import random
import time
import zlib
from collections.abc import Callable
from typing import Any

from django.apps import apps

from shanzhi.core import audit
from shanzhi.demo import accounts
from shanzhi.regions.models import Region

Builder = Callable[[Region, random.Random, Any], Any]


def builders() -> list[tuple[str, Builder]]:
    found = []
    for config in apps.get_app_configs():
        if not config.name.startswith("shanzhi.") or config.label == "demo":
            continue
        try:
            module = importlib.import_module(f"{config.name}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.demo":
                raise
            continue
        build = getattr(module, "build_demo", None)
        if callable(build):
            found.append((config.label, build))
    return found


def build_module_history(*, county_code: str = accounts.COUNTY_CODE, seed: int = accounts.DEMO_SEED,
                         stdout: Any = None, only: set[str] | None = None) -> dict[str, Any]:
    """Run every module's demo builder on the demo county; returns what each wrote."""
    county = Region.objects.filter(code=county_code).first()
    if county is None:
        return {}
    written: dict[str, Any] = {}
    for label, build in builders():
        if only is not None and label not in only:
            continue
        # Each module draws from its own stream, so adding a module changes no other's data.
        rng = random.Random(seed * 1_000_003 + zlib.crc32(label.encode()))
        started = time.monotonic()
        result = build(county, rng, stdout)
        if result:
            written[label] = result
            if stdout is not None:
                stdout.write(f"  {label}: {_summary(result)} ({time.monotonic() - started:.1f} s)")
    if written:
        audit.record(actor=None, action="demo.modules", target=county, region_path=county.path,
                     detail={"written": {k: _plain(v) for k, v in written.items()}})
    return written


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)


def _summary(result: Any) -> str:
    if isinstance(result, dict):
        return ", ".join(f"{k} {v}" for k, v in result.items())
    return str(result)
