"""Writing a table (an export, or a rejects file) as .xlsx or .csv, row by row.

A text cell that a spreadsheet program would take for a formula (it begins with =, +, -,
@, a tab or a carriage return) is escaped: in a workbook it is written as a text cell
marked "quote prefix" (shown and kept as text, never calculated); in a CSV file it gets a
leading apostrophe, which the import removes again, so the round trip is exact.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from typing import IO, Any

from shanzhi.roster import columns

XLSX_WIDTHS = {"household_number": 14, "head_name": 10, "name": 10, "relation": 10, "gender": 6,
               "id_number": 21, "birth_date": 12, "phone": 14, "grid_code": 18, "address": 30, "tags": 20}


class TableWriter:
    def __init__(self, target: str | os.PathLike[str] | IO[Any], kind: str, *, encoding: str = "utf-8-sig",
                 delimiter: str = ",", widths: list[int] | None = None):
        self.kind = "csv" if kind == "csv" else "xlsx"
        self.target = target
        self.rows = 0
        if self.kind == "csv":
            if isinstance(target, str | os.PathLike):
                self._file: Any = open(target, "w", encoding=encoding, newline="")  # noqa: SIM115
                self._owns = True
            else:
                self._file, self._owns = target, False
            self._csv = csv.writer(self._file, delimiter=delimiter)
        else:
            import openpyxl
            from openpyxl.utils import get_column_letter

            self._book = openpyxl.Workbook(write_only=True)
            self._sheet = self._book.create_sheet()
            for index, width in enumerate(widths or [], start=1):
                self._sheet.column_dimensions[get_column_letter(index)].width = width

    def write(self, values: list[Any]) -> None:
        self.rows += 1
        if self.kind == "csv":
            self._csv.writerow([_csv_value(v) for v in values])
        else:
            self._sheet.append([self._xlsx_value(v) for v in values])

    def _xlsx_value(self, value: Any) -> Any:
        if isinstance(value, str) and value.startswith(columns.FORMULA_START):
            from openpyxl.cell import WriteOnlyCell

            cell = WriteOnlyCell(self._sheet, value)
            cell.data_type = "s"  # openpyxl would otherwise store "=..." as a formula
            cell.quotePrefix = True
            return cell
        if isinstance(value, dt.datetime):
            return value.date() if not value.time() else value
        return value

    def close(self) -> None:
        if self.kind == "csv":
            if self._owns:
                self._file.close()
            else:
                self._file.flush()
        else:
            self._book.save(self.target)


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if not value.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return columns.escape_formula(str(value))
