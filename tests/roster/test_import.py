"""Roster import: validation row by row, the three modes, encodings, matching, audit, scope."""

from __future__ import annotations

import codecs
import datetime as dt

import pytest
from django.utils import translation

from shanzhi.core import idnumbers
from shanzhi.core.errors import PermissionDenied
from shanzhi.core.models import AuditEvent
from shanzhi.regions.models import Household, Resident, ResidentTag
from shanzhi.roster import services
from shanzhi.roster.reading import RosterFileError
from tests.roster.conftest import (
    GRID_A,
    GRID_B,
    GRID_OTHER_VILLAGE,
    HEADER,
    good_rows,
    household_rows,
    person_id,
    read_table,
    write_csv,
    write_xlsx,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


def run(county, path, role="admin", **options):
    return services.roster_import(actor=county.users[role], source=path, **options)


def snapshot():
    return (
        sorted(Household.objects.values_list("number", "address", "region_path", "updated_at")),
        sorted(Resident.objects.values_list("id_number", "name", "gender", "birth_date", "phone", "relation",
                                            "household__number", "region_path", "updated_at")),
        sorted(ResidentTag.objects.values_list("resident__id_number", "tag")),
    )


def mixed_rows():
    """Good households R0001 and R0002 (rows 2-7) and seven bad rows (8-14)."""
    bad_check = person_id(31)[:17] + ("0" if person_id(31)[17] != "0" else "1")
    feb30 = "62102320010230001" + idnumbers.check_digit("62102320010230001")
    return [
        *good_rows(),
        ["R0003", "", "钱多", "户主", "男", bad_check, "", "", GRID_A, "", ""],  # 8 check digit
        ["R0004", "", "孙二", "户主", "男", feb30, "", "", GRID_A, "", ""],  # 9 Feb 30th
        ["R0005", "", "周三", "户主", "男", person_id(1), "", "", GRID_A, "", ""],  # 10 ID already on row 2
        ["R0006", "", "吴四", "户主", "男", person_id(41), "", "1234", GRID_A, "", ""],  # 11 bad phone
        ["R0007", "", "", "户主", "男", person_id(51), "", "", GRID_A, "", ""],  # 12 no name
        ["R0008", "", "郑五", "户主", "男", person_id(61), "", "", "999999999999999", "", ""],  # 13 no such grid
        ["R0009", "", "冯六", "户主", "男", person_id(71), "1990-01-01", "", GRID_A, "", ""],  # 14 birth != ID
    ]


def test_mixed_rows_are_reported_by_line_and_nothing_is_written(county, tmp_path):
    before = snapshot()
    path = write_csv(tmp_path / "roster.csv", mixed_rows())
    report = run(county, path)
    assert not report.written
    assert report.rows == 13
    assert report.rejected == 7
    reasons = {p.line: p.reason for p in report.problems}
    assert sorted(reasons) == [8, 9, 10, 11, 12, 13, 14]
    assert "校验位" in reasons[8]
    assert reasons[9] == str(translation.gettext("The ID number holds an impossible birth date."))
    assert "第 2 行" in reasons[10]
    assert "手机号" in reasons[11]
    assert reasons[12] == translation.gettext("A name is required.")
    assert "999999999999999" in reasons[13]
    assert "出生日期" in reasons[14]
    assert report.households_created == 2
    assert report.residents_created == 6
    assert snapshot() == before
    assert not AuditEvent.objects.filter(action="roster.import").exists()


def test_skip_invalid_writes_exactly_the_good_rows_and_a_rejects_file(county, tmp_path):
    path = write_csv(tmp_path / "roster.csv", mixed_rows())
    rejects = tmp_path / "roster.rejects.csv"
    report = run(county, path, mode=services.SKIP_INVALID, rejects_to=rejects)
    assert report.written
    assert report.rejected == 7
    assert set(Household.objects.filter(number__startswith="R").values_list("number", flat=True)) == {
        "R0001", "R0002"}
    assert Resident.objects.filter(household__number__in=["R0001", "R0002"]).count() == 6
    table = read_table(rejects)
    assert table[0] == [*HEADER, "错误原因"]
    assert [row[2] for row in table[1:]] == ["钱多", "孙二", "周三", "吴四", "", "郑五", "冯六"]
    assert all(row[-1] for row in table[1:])
    summary = AuditEvent.objects.get(action="roster.import")
    assert summary.detail["rejected"] == 7
    assert summary.detail["residents_created"] == 6
    assert summary.actor == county.users["admin"]

    # Fix two rows in the rejects file and import it: they come in, the rest stay out.
    fixed = [row[:-1] for row in table[1:]]
    fixed[3][7] = "13912345678"  # 吴四's phone
    fixed[4][2] = "陈七"  # the missing name
    again = run(county, write_csv(tmp_path / "fixed.csv", fixed), mode=services.SKIP_INVALID,
                rejects_to=tmp_path / "fixed.rejects.csv")
    assert again.residents_created == 2
    assert again.rejected == 5
    assert Resident.objects.filter(name__in=["吴四", "陈七"]).count() == 2


def test_dry_run_writes_nothing(county, tmp_path):
    before = snapshot()
    report = run(county, write_csv(tmp_path / "roster.csv", good_rows()), mode=services.DRY_RUN)
    assert report.households_created == 2
    assert report.residents_created == 6
    assert not report.rejected
    assert not report.written
    assert snapshot() == before
    assert not AuditEvent.objects.filter(action="roster.import").exists()


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8", "utf-16"])
def test_csv_encodings(county, tmp_path, encoding):
    path = write_csv(tmp_path / "roster.csv", good_rows(), encoding=encoding)
    if encoding == "utf-8-sig":
        assert path.read_bytes().startswith(codecs.BOM_UTF8)
    report = run(county, path)
    assert report.residents_created == 6
    assert not report.rejected
    head = Resident.objects.get(id_number=person_id(1))
    assert head.name == "王大山"
    assert head.household.address == "张湾村1号"
    assert set(ResidentTag.objects.filter(resident__id_number=person_id(3)).values_list("tag", flat=True)) == {
        "left_behind_child", "disabled"}


def test_xlsx_with_a_title_row_dates_and_numbers(county, tmp_path):
    rows = household_rows("R0001", n=1)
    rows[0][6] = dt.datetime.combine(idnumbers.birth_date_of(person_id(1)), dt.time())  # a date cell
    rows[0][7] = 13910000001  # a phone typed as a number
    path = write_xlsx(tmp_path / "roster.xlsx", rows, title="张湾村户籍信息表")
    report = run(county, path)
    assert report.residents_created == 3
    assert not report.rejected
    assert Resident.objects.get(id_number=person_id(1)).phone == "13910000001"


def test_xlsx_id_number_typed_as_a_number_is_refused(county, tmp_path):
    rows = household_rows("R0001", n=1)
    rows[1][5] = float(person_id(2)[:17] + "0") if person_id(2)[17] == "X" else float(person_id(2))
    report = run(county, write_xlsx(tmp_path / "roster.xlsx", rows))
    assert [p.line for p in report.problems] == [3]
    assert "文本" in report.problems[0].reason


def test_english_headers_any_order_and_unknown_columns(county, tmp_path):
    header = ["Name", "ID number", "Relation to head", "Household number", "Grid code", "Remarks", "Gender"]
    rows = [["Wang Dashan", person_id(1), "head", "R0001", GRID_A, "note", "male"],
            ["Li Xiulan", person_id(2, male=False), "wife", "R0001", GRID_A, "", ""]]
    report = run(county, write_csv(tmp_path / "roster.csv", rows, header=header))
    assert report.unknown_columns == ["Remarks"]
    assert report.residents_created == 2
    assert not report.rejected


def test_missing_required_column_stops_before_any_row(county, tmp_path):
    header = [h for h in HEADER if h != "身份证号"]
    rows = [[c for i, c in enumerate(r) if i != 5] for r in good_rows()]
    with pytest.raises(RosterFileError) as error:
        run(county, write_csv(tmp_path / "roster.csv", rows, header=header))
    assert "身份证号" in str(error.value.message)
    assert not Household.objects.filter(number="R0001").exists()


def test_reimport_changes_nothing(county, tmp_path):
    path = write_xlsx(tmp_path / "roster.xlsx", good_rows())
    run(county, path)
    before = snapshot()
    audits = AuditEvent.objects.exclude(action="roster.import").count()
    report = run(county, path)
    assert (report.households_unchanged, report.residents_unchanged) == (2, 6)
    assert report.households_created == report.residents_created == report.residents_updated == 0
    assert snapshot() == before
    assert AuditEvent.objects.exclude(action="roster.import").count() == audits


def test_a_changed_row_updates_and_the_audit_log_says_what_changed(county, tmp_path):
    run(county, write_csv(tmp_path / "a.csv", good_rows()))
    rows = good_rows()
    rows[1][7] = "13800001111"  # the wife's phone, new
    rows[2][10] = "留守儿童"  # the son is no longer tagged disabled
    rows[3][9] = "张湾村22号"  # household R0002 moved house...
    for row in rows[3:]:
        row[8] = GRID_A  # ...and grid
        row[9] = "张湾村22号"
    report = run(county, write_csv(tmp_path / "b.csv", rows))
    assert report.residents_updated == 2
    assert report.residents_unchanged == 4
    assert report.households_updated == 1
    assert report.households_unchanged == 1
    wife = Resident.objects.get(id_number=person_id(2, male=False))
    assert wife.phone == "13800001111"
    son = Resident.objects.get(id_number=person_id(3))
    assert set(son.tag_rows.values_list("tag", flat=True)) == {"left_behind_child"}
    moved = Household.objects.get(number="R0002")
    assert moved.grid.code == GRID_A
    assert moved.address == "张湾村22号"
    assert set(moved.members.values_list("region_path", flat=True)) == {moved.region_path}

    entry = AuditEvent.objects.get(action="resident.update", target_id=str(wife.pk))
    assert entry.detail["phone"] == ["", idnumbers.mask_phone("13800001111")]
    assert entry.channel == "system"
    assert entry.actor == county.users["admin"]
    tags_entry = AuditEvent.objects.get(action="resident.update", target_id=str(son.pk))
    assert tags_entry.detail["tags"] == [["disabled", "left_behind_child"], ["left_behind_child"]]
    house = AuditEvent.objects.get(action="household.update", target_id=str(moved.pk))
    assert house.detail["grid"] == [GRID_B, GRID_A]
    assert house.detail["address"] == ["张湾村2号", "张湾村22号"]
    assert AuditEvent.objects.filter(action="roster.import").count() == 2


def test_a_blank_cell_keeps_the_stored_value(county, tmp_path):
    run(county, write_csv(tmp_path / "a.csv", good_rows()))
    rows = good_rows()
    rows[0][7] = ""  # phone left out
    rows[0][10] = ""  # tags left out
    report = run(county, write_csv(tmp_path / "b.csv", rows))
    assert report.residents_unchanged == 6
    head = Resident.objects.get(id_number=person_id(1))
    assert head.phone == "13910000001"
    assert list(head.tag_rows.values_list("tag", flat=True)) == ["party_member"]


def test_rows_without_id_number_match_by_name_within_the_household(county, tmp_path):
    rows = household_rows("R0001", n=1)
    rows[2][5] = ""  # the son has no ID number yet
    rows[2][6] = "2015-06-01"
    run(county, write_csv(tmp_path / "a.csv", rows))
    report = run(county, write_csv(tmp_path / "b.csv", rows))
    assert report.residents_unchanged == 3
    rows[2][5] = person_id(77, born=dt.date(2015, 6, 1))
    report = run(county, write_csv(tmp_path / "c.csv", rows))
    assert report.residents_updated == 1
    assert report.residents_created == 0
    assert Resident.objects.get(name="王小明").id_number == person_id(77, born=dt.date(2015, 6, 1))


def test_masked_numbers_keep_what_is_stored(county, tmp_path):
    run(county, write_csv(tmp_path / "a.csv", good_rows()))
    rows = good_rows()
    for row in rows:
        row[5], row[7] = idnumbers.mask_id(row[5]), idnumbers.mask_phone(row[7])
    report = run(county, write_csv(tmp_path / "b.csv", rows))
    assert report.residents_unchanged == 6
    assert not report.rejected
    rows.append(["R0003", "", "新人", "户主", "男", idnumbers.mask_id(person_id(90)), "", "", GRID_A, "", ""])
    report = run(county, write_csv(tmp_path / "c.csv", rows))
    assert [p.line for p in report.problems] == [8]
    assert "*" in report.problems[0].reason


def test_household_sense(county, tmp_path):
    rows = household_rows("R0001", n=1)
    rows.append(["R0001", "王大山", "王二山", "户主", "男", person_id(5), "", "", GRID_A, "", ""])  # row 5
    rows.append(["R0001", "", "王三", "子", "男", person_id(6), "", "", GRID_B, "", ""])  # row 6: other grid
    rows.append(["R0001", "王老五", "王四", "子", "男", person_id(8), "", "", GRID_A, "", ""])  # row 7: head
    existing = county.households[0]
    stranger = existing.members.first()
    rows.append(["R0002", "", "借用", "户主", "男", stranger.id_number, "", "", GRID_A, "", ""])  # row 8
    report = run(county, write_csv(tmp_path / "a.csv", rows))
    reasons = {p.line: p.reason for p in report.problems}
    assert sorted(reasons) == [5, 6, 7, 8]
    assert "第 2 行" in reasons[5]
    assert "户主" in reasons[5]
    assert "第 2 行" in reasons[6]
    assert "王老五" in reasons[7]
    assert "另一户" in reasons[8] or "其他户" in reasons[8]


def test_a_new_head_replaces_the_old_one_in_the_same_file(county, tmp_path):
    run(county, write_csv(tmp_path / "a.csv", good_rows()))
    rows = household_rows("R0001", n=1)
    rows[0][3], rows[1][3] = "夫", "户主"  # the wife becomes head
    for row in rows:
        row[1] = "李秀兰"
    report = run(county, write_csv(tmp_path / "b.csv", rows))
    assert not report.rejected
    assert report.residents_updated == 2
    head = Resident.objects.get(household__number="R0001", relation="head", status="active")
    assert head.name == "李秀兰"


def test_formula_like_text_is_stored_as_text(county, tmp_path):
    rows = household_rows("R0001", n=1)
    for row in rows:
        row[9] = "=HYPERLINK(\"http://x\",\"点我\")"
    rows[1][2] = "@李秀兰"
    path = write_xlsx(tmp_path / "roster.xlsx", rows)
    report = run(county, path)
    assert not report.rejected
    assert Household.objects.get(number="R0001").address == "=HYPERLINK(\"http://x\",\"点我\")"
    assert Resident.objects.filter(name="@李秀兰").exists()


def test_scope_a_village_secretary_cannot_import_into_another_village(county, tmp_path):
    rows = household_rows("R0001", n=1) + household_rows("R0002", grid=GRID_OTHER_VILLAGE, n=11)
    outside = county.households_in(county.grid(GRID_OTHER_VILLAGE))[0]
    rows.append([outside.number, "", "外人", "子", "男", person_id(21), "", "", GRID_A, "", ""])  # row 8
    report = run(county, write_csv(tmp_path / "a.csv", rows), role="village_secretary",
                 mode=services.SKIP_INVALID)
    reasons = {p.line: p.reason for p in report.problems}
    assert sorted(reasons) == [5, 6, 7, 8]
    assert GRID_OTHER_VILLAGE in reasons[5]
    assert outside.number in reasons[8]
    assert Household.objects.filter(number="R0001").exists()
    assert not Household.objects.filter(number="R0002").exists()
    assert not outside.members.filter(name="外人").exists()


def test_grid_worker_imports_into_their_grid_only(county, tmp_path):
    rows = household_rows("R0001", n=1) + household_rows("R0002", grid=GRID_B, n=11)
    report = run(county, write_csv(tmp_path / "a.csv", rows), role="grid_worker")
    assert {p.line for p in report.problems} == {5, 6, 7}
    assert not report.written
    assert not Household.objects.filter(number="R0001").exists()


def test_roles_without_the_roster_may_not_import(county, tmp_path):
    path = write_csv(tmp_path / "a.csv", good_rows())
    for role in ("department_staff", "mediator", "resident"):
        with pytest.raises(PermissionDenied):
            run(county, path, role=role)


def test_messages_in_english(county, tmp_path):
    rows = [["R0001", "", "", "head", "male", person_id(1), "", "", GRID_A, "", ""]]
    with translation.override("en"):
        report = run(county, write_csv(tmp_path / "a.csv", rows))
        assert "name" in report.problems[0].reason.lower()
        assert report.summary().startswith("Households:")


@pytest.mark.parametrize(("content", "name", "words"), [
    (b"", "empty.csv", "空"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "photo.xlsx", "表格"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "photo.csv", "表格"),
    (b"just some words\nand more words\n", "notes.csv", "表头"),
])
def test_bad_files_get_a_clear_error(county, tmp_path, content, name, words):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(RosterFileError) as error:
        run(county, path)
    assert words in str(error.value.message)


def test_truncated_xlsx(county, tmp_path):
    whole = write_xlsx(tmp_path / "whole.xlsx", good_rows()).read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(RosterFileError) as error:
        run(county, path)
    assert "损坏" in str(error.value.message)


def test_header_only(county, tmp_path):
    report = run(county, write_csv(tmp_path / "a.csv", []))
    assert report.rows == 0
    assert report.written


def test_batches_split_between_households_give_the_same_result(county, tmp_path):
    rows = []
    for i in range(12):
        rows += household_rows(f"R{i:04d}", n=100 + i * 5, grid=GRID_A if i % 2 else GRID_B)
    path = write_csv(tmp_path / "a.csv", rows)
    report = run(county, path, batch_rows=4)
    assert report.households_created == 12
    assert report.residents_created == 36
    report = run(county, path, batch_rows=5)
    assert report.residents_unchanged == 36


def test_large_workbooks_stream_through_openpyxl_with_the_same_result(county, tmp_path, monkeypatch):
    from shanzhi.roster import reading

    rows = household_rows("R0001", n=1)
    rows[0][6] = dt.datetime.combine(idnumbers.birth_date_of(person_id(1)), dt.time())
    rows.append(["R0002", "", "", "户主", "男", person_id(9), "", "", GRID_A, "", ""])  # row 6 (after the title)
    path = write_xlsx(tmp_path / "roster.xlsx", rows, title="张湾村户籍信息表")
    monkeypatch.setattr(reading, "CALAMINE_LIMIT", 0)
    sheet = reading.open_sheet(path)
    assert sheet.header_line == 2
    sheet.close()
    report = run(county, path, mode=services.SKIP_INVALID)
    assert [p.line for p in report.problems] == [6]
    assert report.residents_created == 3
    assert Resident.objects.get(id_number=person_id(1)).birth_date == idnumbers.birth_date_of(person_id(1))
