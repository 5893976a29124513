"""The command centre in the demo: the early-warning rules run over the demo county's
history (raising what they find there), and the rollups are built, so the dashboard shows
its figures at once. Idempotent: nothing is written when the alerts are there and the
rollups have seen every record."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from shanzhi.command import rollups, services
from shanzhi.command.models import Alert, RollupWatermark
from shanzhi.regions.models import Region


def _rollups_current() -> bool:
    for name, source in rollups.SOURCES.items():
        model = source().model()
        top = model._default_manager.order_by("-pk").values_list("pk", flat=True).first() or 0
        mark = RollupWatermark.objects.filter(source=name, run_at__isnull=False).first()
        if mark is None or mark.last_pk < top:
            return False
    return True


def build_demo(county: Region, rng: random.Random, stdout: Any = None, *, now: dt.datetime | None = None
               ) -> dict[str, int]:
    written: dict[str, int] = {}
    if not Alert.objects.filter(county=county).exists():
        raised = services.alerts_raise(county=county, now=now)["raised"]  # idempotent itself
        if raised:
            written["alerts"] = raised
    if not _rollups_current():
        # The demo histories are written in bulk, past any watermark: build from scratch.
        written["rollup_cells"] = sum(rollups.refresh_all(rebuild=True).values())
    if stdout is not None and written:
        stdout.write("  command: " + ", ".join(f"{k} {v}" for k, v in written.items()) + "\n")
    return written
