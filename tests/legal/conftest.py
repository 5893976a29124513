from __future__ import annotations

import pytest

from shanzhi.legal.models import LegalStaffProfile


@pytest.fixture
def legal(county):
    """The county with a work profile for the village's legal adviser and police officer."""
    LegalStaffProfile.objects.create(
        user=county.users["legal_adviser"], kind="lawyer", organisation="甘肃陇原律师事务所", work_phone="0934-5551234"
    )
    LegalStaffProfile.objects.create(
        user=county.users["village_police"], kind="police", organisation="柔远派出所", work_phone="0934-5550110"
    )
    return county


