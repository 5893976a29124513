"""The monthly and quarterly report of a township or the county, as an Excel workbook and as
a printable Chinese PDF: the figures the seeds report (response times, success rates, the
six types' share, points, visits), each read from the owning module for the whole period,
and one row per place one level down."""

from __future__ import annotations

import datetime as dt
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


def _places(viewer: Any, region: Region, per: selectors.Period) -> tuple[list[str], list[list[Any]]]:
    head = [_("Place"), _("Requests filed"), _("Overdue"), _("Resolved on time (%)"), _("Satisfaction"),
            _("Disputes reported"), _("Mediation success (%)"), _("Six types' share (%)")]
    rows = []
    for row in selectors.children(viewer, region, per, now=per.until):
        rq, dq = row.requests, row.disputes
        rows.append([row.region.name, rq.count if rq else 0, rq.overdue if rq else 0,
                     _pct(rq.resolved_on_time_rate) if rq else None, rq.satisfaction if rq else None,
                     dq.count if dq else 0, dq.success_percent if dq else None, dq.six_percent if dq else None])
    return head, rows


def pdf(viewer: Any, region: Region, per: selectors.Period, *, quarter: bool = False) -> bytes:
    """The report on A4, in Chinese whatever the reader's language (it is printed and filed)."""
    from django.utils import translation
    from fpdf.fonts import FontFace

    from shanzhi.core.pdf import a4_document

    with translation.override("zh-hans"):
        title = f"{region.name}{_('Quarterly report') if quarter else _('Monthly report')}"
        summary = summary_rows(viewer, region, per)
        head, places = _places(viewer, region, per)
        document = a4_document(title, margin=18)
        width = document.w - document.l_margin - document.r_margin
        document.set_font("cjk", size=18)
        document.multi_cell(width, 10, title, align="C", new_x="LMARGIN", new_y="NEXT")
        document.set_font("cjk", size=10)
        since, until = per.since.date(), (per.until - dt.timedelta(seconds=1)).date()
        document.multi_cell(width, 6, f"{since:%Y年%m月%d日} 至 {until:%Y年%m月%d日}", align="C",
                            new_x="LMARGIN", new_y="NEXT")
        document.ln(4)
        document.set_font("cjk", size=11)
        with document.table(col_widths=(3, 1), text_align=("LEFT", "RIGHT"), line_height=7,
                            first_row_as_headings=False) as table:
            for label, value in summary[2:]:
                table.row([str(label), "—" if value is None else str(value)])
        if places:
            document.ln(6)
            document.set_font("cjk", size=8)
            # One face only (no bold CJK face is loaded): the heading row is shaded instead.
            with document.table(line_height=6, text_align="CENTER",
                                headings_style=FontFace(emphasis="", fill_color=(230, 230, 230))) as table:
                table.row([str(h) for h in head])
                for row in places:
                    table.row(["—" if v is None else str(v) for v in row])
        document.ln(6)
        document.set_font("cjk", size=9)
        document.multi_cell(width, 5, _("Computed from the records on %(day)s.") % {
            "day": f"{dt.date.today():%Y年%m月%d日}"}, align="R", new_x="LMARGIN", new_y="NEXT")
        out: Any = document.output()
    return bytes(out)


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
    head, rows = _places(viewer, region, per)
    places.append(head)
    for values in rows:
        places.append(values)
    places.column_dimensions["A"].width = 24
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
