"""Two imports of overlapping files at the same moment (PostgreSQL, where writers really run
side by side; on SQLite writers queue on the database lock, tested in test_cli)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from shanzhi.core import access
from shanzhi.core.errors import Conflict
from shanzhi.regions.models import Household, Resident
from shanzhi.roster import services
from tests.roster.conftest import household_rows, write_csv


@pytest.mark.django_db(transaction=True)
def test_the_loser_of_a_race_writes_nothing_and_says_so(county, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race on a SQLite file is in test_cli")
    first = write_csv(tmp_path / "one.csv", household_rows("Q0001", n=1) + household_rows("Q0002", n=11))
    second = write_csv(tmp_path / "two.csv", household_rows("Q0002", n=11) + household_rows("Q0003", n=21))
    admin = access.Viewer(is_admin=True)
    first_wrote = threading.Event()
    outcome: dict[str, object] = {}

    def hold_open(rows, fraction):
        # The first import has written its rows and keeps its transaction open a moment,
        # while the second reads, finds Q0002 free, and tries to write it too.
        first_wrote.set()
        time.sleep(1.5)

    def run(key, path, **options):
        try:
            outcome[key] = services.roster_import(actor=None, viewer=admin, source=path, **options)
        except Conflict as exc:
            outcome[key] = exc
        finally:
            connection.close()

    one = threading.Thread(target=run, args=("one", first), kwargs={"on_progress": hold_open})
    one.start()
    assert first_wrote.wait(30)
    two = threading.Thread(target=run, args=("two", second))
    two.start()
    one.join(60)
    two.join(60)

    assert isinstance(outcome["one"], services.ImportReport)
    assert outcome["one"].written
    assert isinstance(outcome["two"], Conflict)
    assert "nothing was written" in str(outcome["two"].message).lower() or "没有写入" in str(outcome["two"].message)
    assert set(Household.objects.filter(number__startswith="Q").values_list("number", flat=True)) == {
        "Q0001", "Q0002"}
    assert Resident.objects.filter(household__number__startswith="Q").count() == 6

    again = services.roster_import(actor=None, viewer=admin, source=second)
    assert (again.households_created, again.households_unchanged) == (1, 1)
    assert Resident.objects.filter(household__number__startswith="Q").count() == 9
