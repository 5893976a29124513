"""Reading a roster file row by row, whatever form it came in.

- ``.xlsx`` (and the old ``.xls``): python-calamine, which reads a sheet about fifteen
  times faster than openpyxl but holds it in memory (about the size of the sheet's XML:
  ``CALAMINE_LIMIT`` is some 300,000 rows as openpyxl writes them, twice that as Excel
  does); past it, openpyxl's read-only mode streams the sheet instead, slower, so memory
  stays flat however large the workbook.
- ``.csv``: streamed with the csv module, in UTF-8 (with or without BOM), UTF-16, or
  GBK/GB18030, detected from the bytes; the delimiter (comma, tab, semicolon) from the
  header line.

Formula cells give their cached value: nothing here evaluates anything. Row numbers are
the ones a spreadsheet program shows (the header row's own number included).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import os
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.utils.translation import gettext as _

from shanzhi.core.errors import ValidationError
from shanzhi.roster import columns

CALAMINE_LIMIT = 200 * 1024 * 1024
HEADER_SEARCH_ROWS = 10
SAMPLE_BYTES = 256 * 1024


class RosterFileError(ValidationError):
    """The file as a whole cannot be read: nothing is imported."""

    code = "bad_file"


@dataclass
class Sheet:
    """A readable roster: its header and an iterator over ``(row number, cells)``."""

    kind: str  # "xlsx", "xls" or "csv"
    header: list[Any]
    header_line: int
    rows: Iterator[tuple[int, list[Any]]]
    encoding: str = ""
    delimiter: str = ","
    progress: Callable[[], float | None] = lambda: None
    closers: list[Callable[[], Any]] = field(default_factory=list)

    def close(self) -> None:
        for closer in self.closers:
            with contextlib.suppress(Exception):
                closer()


def open_sheet(source: str | os.PathLike[str] | IO[bytes], name: str = "") -> Sheet:
    """Open ``source`` (a path or a binary file) and find its header row."""
    if isinstance(source, str | os.PathLike):
        name = name or os.fspath(source)
        try:
            stream: IO[bytes] = open(source, "rb")  # noqa: SIM115 (closed by Sheet.close)
        except OSError as exc:
            raise RosterFileError(_("The file cannot be opened: %(reason)s") % {"reason": exc.strerror}) from None
    else:
        stream = source
    try:
        stream.seek(0)
        head = stream.read(8)
        stream.seek(0)
        if not head:
            raise RosterFileError(_("The file is empty."))
        if head.startswith(b"PK\x03\x04"):
            sheet = _open_xlsx(stream, name)
        elif head.startswith(b"\xd0\xcf\x11\xe0"):
            sheet = _open_calamine(stream, "xls")
        else:
            sheet = _open_csv(stream, name)
    except BaseException:
        if stream is not source:
            stream.close()
        raise
    if stream is not source:
        sheet.closers.append(stream.close)
    return sheet


def _not_a_spreadsheet() -> RosterFileError:
    return RosterFileError(_("This is not a spreadsheet: upload an Excel workbook (.xlsx) or a CSV file."))


def _damaged() -> RosterFileError:
    return RosterFileError(_("The workbook is damaged or incomplete (perhaps cut off while copying): "
                             "open it in Excel, save it again and retry."))


def _open_xlsx(stream: IO[bytes], name: str) -> Sheet:
    try:
        archive = zipfile.ZipFile(stream)
        names = {info.filename: info.file_size for info in archive.infolist()}
        archive.close()
    except (zipfile.BadZipFile, OSError, EOFError):
        raise _damaged() from None
    if "xl/workbook.xml" not in names:
        if name.lower().endswith((".xlsx", ".xlsm")):
            raise _damaged()
        raise _not_a_spreadsheet()
    xml_size = sum(size for n, size in names.items() if n.startswith("xl/worksheets/") or n == "xl/sharedStrings.xml")
    stream.seek(0)
    if xml_size <= CALAMINE_LIMIT:
        return _open_calamine(stream, "xlsx")
    return _open_openpyxl(stream)


def _open_calamine(stream: IO[bytes], kind: str) -> Sheet:
    import python_calamine

    try:
        book = python_calamine.CalamineWorkbook.from_filelike(stream)
        index = next((i for i, meta in enumerate(book.sheets_metadata)
                      if str(meta.visible).endswith("Visible") and str(meta.typ).endswith("WorkSheet")), 0)
        sheet = book.get_sheet_by_index(index)
        start_row = sheet.start[0] if sheet.start else 0
        height = sheet.height
        raw = sheet.iter_rows()
    except python_calamine.PasswordError:
        raise RosterFileError(_("The workbook is protected by a password: save it without one and retry.")) from None
    except (python_calamine.CalamineError, ValueError, OSError, IndexError):
        raise _damaged() from None
    done = [0]

    def rows() -> Iterator[tuple[int, list[Any]]]:
        for offset, cells in enumerate(raw):
            done[0] = offset
            yield start_row + offset + 1, list(cells)

    return _with_header(kind, rows(), progress=lambda: done[0] / height if height else None,
                        closers=[book.close])


def _open_openpyxl(stream: IO[bytes]) -> Sheet:
    import openpyxl

    try:
        book = openpyxl.load_workbook(stream, read_only=True, data_only=True)
        sheet = next((ws for ws in book.worksheets if ws.sheet_state == "visible"), book.worksheets[0])
        height = sheet.max_row
    except Exception:  # openpyxl raises many kinds on a damaged file
        raise _damaged() from None
    done = [0]

    def rows() -> Iterator[tuple[int, list[Any]]]:
        try:
            for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
                done[0] = number
                yield number, list(cells)
        except (zipfile.BadZipFile, EOFError, OSError, KeyError, SyntaxError):
            raise _damaged() from None

    return _with_header("xlsx", rows(), progress=lambda: done[0] / height if height else None,
                        closers=[book.close])


def detect_encoding(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"  # a superset of GBK and GB2312


def _open_csv(stream: IO[bytes], name: str) -> Sheet:
    sample = stream.read(SAMPLE_BYTES)
    stream.seek(0)
    encoding = detect_encoding(sample)
    if encoding != "utf-16" and b"\x00" in sample:
        raise _not_a_spreadsheet()
    if name.lower().endswith((".xlsx", ".xlsm")):
        raise _damaged()
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    first_line = sample.decode(encoding if encoding != "utf-16" else "utf-16", errors="ignore").split("\n", 1)[0]
    delimiter = max(",\t;", key=first_line.count) if any(d in first_line for d in ",\t;") else ","
    size = stream.seek(0, io.SEEK_END)
    stream.seek(0)

    def rows() -> Iterator[tuple[int, list[Any]]]:
        number = 0
        try:
            for number, cells in enumerate(csv.reader(text, delimiter=delimiter), start=1):
                yield number, cells
        except UnicodeDecodeError:
            raise RosterFileError(
                _("Row %(line)s is not in the file's encoding (%(encoding)s): save the whole file again as "
                  "UTF-8 or GBK.") % {"line": number + 1, "encoding": _encoding_name(encoding)}) from None
        except csv.Error as exc:
            raise RosterFileError(_("Row %(line)s cannot be read as CSV: %(reason)s")
                                  % {"line": number + 1, "reason": exc}) from None

    def progress() -> float | None:
        try:
            return min(stream.tell() / size, 1.0) if size else None
        except (OSError, ValueError):
            return None

    sheet = _with_header("csv", rows(), progress=progress, closers=[text.detach])
    sheet.encoding, sheet.delimiter = encoding, delimiter
    return sheet


def _encoding_name(encoding: str) -> str:
    return {"gb18030": "GBK/GB18030", "utf-8-sig": "UTF-8", "utf-8": "UTF-8", "utf-16": "UTF-16"}[encoding]


def is_blank(cells: list[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _with_header(kind: str, rows: Iterator[tuple[int, list[Any]]], *, progress: Callable[[], float | None],
                 closers: list[Callable[[], Any]]) -> Sheet:
    """Find the header: the first row (of the first few) naming at least three known
    columns, so a title row above it ("张湾村户籍信息表") is passed over."""
    seen = 0
    for line, cells in rows:
        if is_blank(cells):
            continue
        known = {columns.HEADER_LOOKUP.get(columns.header_key(c)) for c in cells if c is not None} - {None}
        if len(known) >= 3:
            return Sheet(kind=kind, header=cells, header_line=line, rows=rows, progress=progress, closers=closers)
        seen += 1
        if seen >= HEADER_SEARCH_ROWS:
            break
    for closer in closers:
        with contextlib.suppress(Exception):
            closer()
    if seen == 0:
        raise RosterFileError(_("The file is empty."))
    raise RosterFileError(_("No header row was found: the first row should name the columns, such as "
                            "户编号, 姓名, 与户主关系, 身份证号, 网格编码."))
