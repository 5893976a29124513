"""The upload page, the downloads, and who may use them."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.test import override_settings
from django.urls import reverse

from shanzhi.core.models import AuditEvent
from shanzhi.regions.models import Household
from tests.roster.conftest import GRID_OTHER_VILLAGE, HEADER, household_rows, write_csv

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _data_dir(tmp_path, settings):
    settings.DATA_DIR = tmp_path / "data"
    settings.LANGUAGE_CODE = "zh-hans"


def upload(client, path, mode="all"):
    with open(path, "rb") as handle:
        return client.post(reverse("roster:import"), {"file": handle, "mode": mode})


@pytest.mark.parametrize(("role", "status"), [
    ("village_secretary", 200), ("township_staff", 200), ("grid_worker", 200), ("county_staff", 200),
    ("admin", 200), ("department_staff", 403), ("mediator", 403), ("grid_instructor", 403), ("resident", 403),
])
def test_who_may_open_the_upload_page(county, login, role, status):
    response = login(county.users[role]).get(reverse("roster:import"))
    assert response.status_code == status


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(reverse("roster:import"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_upload_refuses_out_of_scope_rows_and_writes_nothing(county, login, tmp_path):
    rows = household_rows("W0001", n=1) + household_rows("W0002", n=11, grid=GRID_OTHER_VILLAGE)
    client = login(county.users["village_secretary"])
    response = upload(client, write_csv(tmp_path / "a.csv", rows, encoding="gbk"))
    assert response.status_code == 422
    page = response.content.decode()
    assert "不在您的管辖范围内" in page
    assert ">5<" in page
    assert not Household.objects.filter(number__in=["W0001", "W0002"]).exists()


def test_upload_skip_invalid_and_the_rejects_download(county, login, tmp_path):
    rows = household_rows("W0001", n=1) + household_rows("W0002", n=11, grid=GRID_OTHER_VILLAGE)
    client = login(county.users["village_secretary"])
    response = upload(client, write_csv(tmp_path / "a.csv", rows), mode="skip_invalid")
    assert response.status_code == 200
    assert Household.objects.filter(number="W0001").exists()
    assert not Household.objects.filter(number="W0002").exists()
    link = response.context["rejects_name"]
    assert link
    download = client.get(reverse("roster:rejects", args=[link]))
    assert download.status_code == 200
    content = b"".join(download.streaming_content).decode("utf-8")
    assert content.count("W0002") == 3
    assert "错误原因" in content

    other = login(county.users["township_staff"])
    assert other.get(reverse("roster:rejects", args=[link])).status_code == 404
    assert other.get("/roster/rejects/secret_key").status_code == 404
    assert other.get("/roster/rejects/..%2Fsecret_key").status_code == 404


def test_upload_of_a_bad_file_says_why(county, login, tmp_path):
    path = tmp_path / "photo.xlsx"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    response = upload(login(county.users["village_secretary"]), path)
    assert response.status_code == 422
    assert "不是电子表格" in response.content.decode()


def test_export_download_is_scoped_and_audited(county, login):
    client = login(county.users["village_secretary"])
    response = client.get(reverse("roster:export"), {"region": "621023100201", "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER
    assert len(rows) == 1 + 6 * 3  # two grids of three households of three
    entry = AuditEvent.objects.get(action="roster.export")
    assert entry.actor == county.users["village_secretary"]
    assert entry.detail["residents"] == 18
    assert entry.channel == "web"
    # Another township's village is not theirs to see.
    assert client.get(reverse("roster:export"), {"region": "621023101201"}).status_code == 404
    assert login(county.users["resident"]).get(reverse("roster:export")).status_code == 403


def test_template_download(county, login):
    response = login(county.users["grid_worker"]).get(reverse("roster:template"))
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert [c.value for c in next(sheet.iter_rows())] == HEADER


@override_settings(LANGUAGE_CODE="zh-hans")
def test_home_page_links_to_the_roster(county, login):
    page = login(county.users["village_secretary"]).get("/").content.decode()
    assert reverse("roster:import") in page
    page = login(county.users["mediator"]).get("/").content.decode()
    assert reverse("roster:import") not in page
