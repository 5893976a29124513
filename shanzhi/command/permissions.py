"""Who sees the command centre: county and township staff, over their own places (a
township sees its villages and grids, the county everything in it). They also handle the
alerts raised there."""

from __future__ import annotations

from shanzhi.command.models import Alert
from shanzhi.core import access
from shanzhi.core.roles import GOVERNMENT

access.register(Alert, region_field="region_path")
access.allow(GOVERNMENT, ["command.dashboard", "alert.view", "alert.handle"])
