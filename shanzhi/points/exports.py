"""The payout list as an Excel workbook, and the household card's QR code as SVG."""

from __future__ import annotations

import io
from typing import Any

import segno
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from shanzhi.points.models import IncomeSplit


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100:,}.{fen % 100:02d}"


def payout_workbook(split: IncomeSplit, lines: Any) -> bytes:
    """Summary sheet (the four funds, adding up to the income) and the payout list (one row
    per household, adding up to the dividend pool); amounts in yuan with two decimals."""
    wb = Workbook()
    ws = wb.active
    if not isinstance(ws, Worksheet):  # a new workbook opens on a worksheet
        raise TypeError("expected a worksheet")
    ws.title = _("Split")
    bold = Font(bold=True)
    ws.append([_("Village"), split.village.name])
    ws.append([_("Year"), split.year])
    ws.append([_("State"), split.get_state_display()])
    ws.append([])
    ws.append([_("Share"), _("Percent"), _("Amount (yuan)")])
    for cell in ws[5]:
        cell.font = bold
    for label, pct, fen in (
        (_("Industry"), split.industry_percent, split.industry_fen),
        (_("Public welfare"), split.welfare_percent, split.welfare_fen),
        (_("Dividends by points"), split.dividend_percent, split.dividend_fen),
        (_("Risk fund"), split.risk_percent, split.risk_fen),
    ):
        ws.append([label, pct, fen / 100])
    ws.append([_("Collective income"), 100, split.income_fen / 100])
    for row in ws.iter_rows(min_row=6, max_row=10, min_col=3, max_col=3):
        for cell in row:
            cell.number_format = "#,##0.00"
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["C"].width = 18

    pay = wb.create_sheet(_("Payout list"))
    pay.append([_("No."), _("Household number"), _("Head of household"), _("Points earned"), _("Dividend (yuan)"),
                _("Signature")])
    for cell in pay[1]:
        cell.font = bold
    total = 0
    for i, line in enumerate(lines, start=1):
        pay.append([i, line.household.number, getattr(line, "head_name", "") or "", line.points,
                    line.amount_fen / 100, ""])
        total += line.amount_fen
    pay.append(["", _("Total"), "", split.total_points, total / 100, ""])
    for row in pay.iter_rows(min_row=2, min_col=5, max_col=5):
        for cell in row:
            cell.number_format = "#,##0.00"
    for col, width in zip("ABCDEF", (6, 18, 14, 12, 16, 14), strict=True):
        pay.column_dimensions[col].width = width
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def qr_svg(payload: str, *, scale: int = 4) -> str:
    """A QR code as an SVG document, made on the server (no script, no outside service)."""
    buffer = io.BytesIO()
    segno.make(payload, error="m").save(buffer, kind="svg", scale=scale, xmldecl=False, svgns=True,
                                        title="QR", border=2)
    return buffer.getvalue().decode("utf-8")
