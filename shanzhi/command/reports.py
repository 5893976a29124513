"""The monthly and quarterly report of a township or the county as an Excel workbook: the
figures the seeds report (response times, success rates, the six types' share, points,
visits), each read from the owning module for the whole period, and one row per place one
level down."""

from __future__ import annotations

import io
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from shanzhi.command import selectors
from shanzhi.regions.models import Region


def _pct(v: float | None) -> Any:
    return None if v is None else round(v * 100, 2)


def summary_rows(viewer: Any, region: Region, per: selectors.Period) -> list[tuple[str, Any]]:
    d = selectors.dashboard(viewer, region, per, now=per.until)
    r, ds = d.requests, d.disputes
    rows: list[tuple[str, Any]] = [(_("Place"), region.name), (_("Period"), per.key)]
    if r is not None:
        rows += [(_("Requests filed"), r.count), (_("Requests resolved"), r.resolved),
                 (_("Average response (hours)"), r.avg_response_hours),
                 (_("90th percentile response (hours)"), r.p90_response_hours),
                 (_("Average resolve (hours)"), r.avg_resolve_hours),
                 (_("Resolved on time (%)"), _pct(r.resolved_on_time_rate)),
                 (_("Satisfaction (stars)"), r.satisfaction),
                 (_("Settled in the village (%)"), _pct(r.resolved_at.get("village"))),
                 (_("Settled in the township (%)"), _pct(r.resolved_at.get("township"))),
                 (_("Settled in the county (%)"), _pct(r.resolved_at.get("county")))]
    if ds is not None:
        rows += [(_("Disputes reported"), ds.count), (_("Disputes settled"), ds.settled),
                 (_("Mediation success (%)"), ds.success_percent),
                 (_("Settled on the spot (%)"), ds.on_the_spot_percent),
                 (_("Six types' share (%)"), ds.six_percent)]
    if d.points is not None:
        rows += [(_("Points awarded (year to date)"), d.points.points_awarded),
                 (_("Points redeemed (year to date)"), d.points.points_redeemed),
                 (_("Households taking part (%)"), d.points.participation_percent)]
    if d.contact is not None:
        rows += [(_("Households visited in the last 30 days"), d.contact.households_visited_30_days),
                 (_("Visits in the last 30 days"), d.contact.visits_30_days)]
    return rows


def workbook(viewer: Any, region: Region, per: selectors.Period, *, quarter: bool = False) -> bytes:
    wb = Workbook()
    ws = wb.create_sheet(_("Summary"), 0)
    wb.remove(wb.worksheets[1])
    ws.append([_("Quarterly report") if quarter else _("Monthly report")])
    ws["A1"].font = Font(bold=True, size=14)
    for label, value in summary_rows(viewer, region, per):
        ws.append([label, value])
    ws.column_dimensions["A"].width = 36
    ws.column_dimensions["B"].width = 18
    places = wb.create_sheet(_("By place"))
    places.append([_("Place"), _("Requests filed"), _("Overdue"), _("Resolved on time (%)"), _("Satisfaction"),
                   _("Disputes reported"), _("Mediation success (%)"), _("Six types' share (%)")])
    for row in selectors.children(viewer, region, per, now=per.until):
        rq, dq = row.requests, row.disputes
        places.append([row.region.name, rq.count if rq else 0, rq.overdue if rq else 0,
                       _pct(rq.resolved_on_time_rate) if rq else None, rq.satisfaction if rq else None,
                       dq.count if dq else 0, dq.success_percent if dq else None, dq.six_percent if dq else None])
    places.column_dimensions["A"].width = 24
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
