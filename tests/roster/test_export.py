"""Roster export: the import's own columns, a round trip that changes nothing, masking,
formula escaping, scope and the audit entry."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.utils import translation

from shanzhi.core import access, idnumbers
from shanzhi.core.models import AuditEvent
from shanzhi.regions.models import Household, Region, Resident
from shanzhi.roster import services
from tests.roster.conftest import GRID_A, HEADER, household_rows, read_table, write_csv
from tests.roster.test_import import snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


def export(county, path, role="admin", **options):
    return services.roster_export(actor=county.users[role], target=path, kind=path.suffix[1:], **options)


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_round_trip_changes_nothing(county, tmp_path, kind):
    services.roster_import(actor=county.users["admin"], source=write_csv(tmp_path / "in.csv", household_rows(
        "R0001", n=1)))
    before = snapshot()
    out = tmp_path / f"out.{kind}"
    result = export(county, out)
    assert (result.households, result.residents) == (Household.objects.count(), Resident.objects.count())
    table = read_table(out)
    assert table[0] == HEADER
    assert len(table) == 1 + Resident.objects.count()
    report = services.roster_import(actor=county.users["admin"], source=out)
    assert not report.rejected
    assert report.residents_unchanged == Resident.objects.count()
    assert report.households_unchanged == Household.objects.count()
    assert report.residents_updated == report.households_updated == 0
    assert snapshot() == before


def test_columns_and_values_as_counties_write_them(county, tmp_path):
    services.roster_import(actor=county.users["admin"], source=write_csv(tmp_path / "in.csv", household_rows(
        "R0001", n=1)))
    out = tmp_path / "out.xlsx"
    export(county, out, region=Region.objects.get(code=GRID_A))
    rows = {row[2]: row for row in read_table(out)[1:]}
    head = rows["王大山"]
    assert head[:6] == ["R0001", "王大山", "王大山", "户主", "男", household_rows("R0001", n=1)[0][5]]
    assert head[6] is not None
    assert head[8:] == [GRID_A, "张湾村1号", "党员"]
    assert rows["王小明"][10] == "残疾人、留守儿童"
    assert rows["李秀兰"][3] == "配偶"
    with translation.override("en"):
        english = tmp_path / "en.csv"
        export(county, english, region=Region.objects.get(code=GRID_A))
    table = read_table(english)
    assert table[0][:3] == ["Household number", "Head of household", "Name"]
    assert services.roster_import(actor=county.users["admin"], source=english).residents_unchanged == len(table) - 1


def test_scope_and_region(county, tmp_path):
    out = tmp_path / "out.csv"
    result = export(county, out, role="village_secretary")
    village = Region.objects.get(code="621023100201")
    assert result.households == Household.objects.filter(region_path__startswith=village.path).count()
    numbers = {row[0] for row in read_table(out)[1:]}
    assert numbers == set(Household.objects.filter(region_path__startswith=village.path).values_list(
        "number", flat=True))
    result = export(county, out, role="grid_worker")
    assert result.households == 3


def test_roles_without_export_are_refused(county, tmp_path):
    for role in ("department_staff", "mediator", "resident"):
        with pytest.raises(access.PermissionDenied):
            export(county, tmp_path / "out.csv", role=role)


@pytest.fixture
def viewer_without_full_ids():
    """A role that may export a village's roster but not see full ID numbers (none of the
    standard roles is like that today; a county may define one)."""
    access.allow(["test_roster_clerk"], ["household.export", "region.view", "household.view"])
    yield access.Viewer(grants=(access.Grant(role="test_roster_clerk", region_path=Region.objects.get(
        code="621023100201").path),))
    access.ROLE_ACTIONS.pop("test_roster_clerk", None)


def test_masked_export_and_its_round_trip(county, tmp_path, viewer_without_full_ids):
    out = tmp_path / "out.csv"
    result = services.roster_export(actor=None, viewer=viewer_without_full_ids, target=out, kind="csv")
    assert result.full_ids == 0
    rows = read_table(out)[1:]
    stored = {r.name: r for r in Resident.objects.all()}
    for row in rows:
        assert row[5] == idnumbers.mask_id(stored[row[2]].id_number)
        assert row[7] == idnumbers.mask_phone(stored[row[2]].phone)
        assert "*" in row[5]
    before = snapshot()
    report = services.roster_import(actor=county.users["admin"], source=out)
    assert report.residents_unchanged == len(rows)
    assert not report.rejected
    assert snapshot() == before
    entry = AuditEvent.objects.get(action="roster.export")
    assert entry.detail["full_ids"] == 0


def test_export_is_one_audit_entry_with_its_counts(county, tmp_path):
    export(county, tmp_path / "out.xlsx", role="township_staff")
    entry = AuditEvent.objects.get(action="roster.export")
    assert entry.actor == county.users["township_staff"]
    assert entry.detail["residents"] == entry.detail["full_ids"] == Resident.objects.filter(
        region_path__startswith="621023000000/621023100000/").count()
    assert entry.detail["format"] == "xlsx"


def test_formula_like_cells_are_escaped_and_round_trip(county, tmp_path):
    household = county.households[0]
    household.address = "=HYPERLINK(\"http://evil\",\"点\")"
    household.save()
    person = household.members.order_by("id").last()
    person.name = "@SUM(1)"
    person.save()
    services.roster_import(actor=county.users["admin"], source=write_csv(tmp_path / "in.csv", [
        ["-R1", "", "+张三", "户主", "男", household_rows("x", n=900)[0][5], "", "", GRID_A, "-1+1", ""]]))
    before = snapshot()

    out_csv = tmp_path / "out.csv"
    export(county, out_csv, region=Region.objects.get(code=GRID_A))
    text = out_csv.read_bytes().decode("utf-8-sig")
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    assert "'=HYPERLINK(\"http://evil\",\"点\")" in cells
    assert "'@SUM(1)" in cells
    assert "'+张三" in cells
    assert "'-R1" in cells
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)

    out_xlsx = tmp_path / "out.xlsx"
    export(county, out_xlsx, region=Region.objects.get(code=GRID_A))
    sheet = openpyxl.load_workbook(out_xlsx).active
    formula_like = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str)
                    and c.value.startswith(("=", "+", "-", "@"))]
    assert len(formula_like) >= 4
    assert all(c.data_type == "s" and c.quotePrefix for c in formula_like)

    for out in (out_csv, out_xlsx):
        report = services.roster_import(actor=county.users["admin"], source=out)
        assert not report.rejected
        assert report.residents_created == report.residents_updated == 0
        assert snapshot() == before


def test_template_is_the_header(tmp_path):
    out = tmp_path / "template.xlsx"
    with translation.override("zh-hans"):
        services.template_write(target=out, kind="xlsx")
    assert read_table(out) == [HEADER]
