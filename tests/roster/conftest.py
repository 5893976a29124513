"""Roster files for the tests, written the way counties write them."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest

from shanzhi.core import idnumbers

HEADER = ["户编号", "户主姓名", "姓名", "与户主关系", "性别", "身份证号", "出生日期", "联系电话", "网格编码", "住址",
          "标签"]
GRID_A = "621023100201001"  # 张湾村 grid 1: the village secretary's and the grid worker's
GRID_B = "621023100201002"  # 张湾村 grid 2
GRID_OTHER_VILLAGE = "621023101201001"  # 李塬村, another township


def person_id(n: int, male: bool = True, born: dt.date | None = None) -> str:
    return idnumbers.make_id("621023", born or dt.date(2001, 1 + n % 12, 1 + n % 28), n, male)


def household_rows(number: str, grid: str = GRID_A, head: str = "王大山", n: int = 1,
                   address: str = "张湾村1号") -> list[list[str]]:
    """A household of three: head, spouse, son (IDs from ``n``)."""
    return [
        [number, head, head, "户主", "男", person_id(n), "", f"1391000{n:04d}", grid, address, "党员"],
        [number, head, "李秀兰", "妻", "女", person_id(n + 1, male=False), "", "", grid, address, ""],
        [number, head, "王小明", "儿子", "男", person_id(n + 2), "", "", grid, address, "留守儿童、残疾人"],
    ]


def good_rows() -> list[list[str]]:
    return household_rows("R0001", n=1) + household_rows("R0002", grid=GRID_B, head="赵铁柱", n=11,
                                                         address="张湾村2号")


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER, encoding: str = "utf-8") -> Path:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, rows: list[list[object]], header: list[str] = HEADER,
               title: str | None = None) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # as typed in Excel: text, even when it begins with "="
    book.save(path)
    return path


def read_table(path: Path) -> list[list[object]]:
    if path.suffix == ".csv":
        text = path.read_bytes().decode("utf-8-sig")
        return list(csv.reader(io.StringIO(text, newline="")))
    sheet = openpyxl.load_workbook(path).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.fixture
def tmp(tmp_path: Path) -> Path:
    return tmp_path
