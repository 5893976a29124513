"""``shanzhi open311-key COUNTY_CODE NAME``: a new Open311 client of a county and its API key
(printed once; only its hash is kept)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from shanzhi.casework import services
from shanzhi.core.errors import ValidationError
from shanzhi.core.management.base import ShanzhiCommand
from shanzhi.regions.models import Region


class Command(ShanzhiCommand):
    help = "Create an Open311 client for a county and print its API key (shown once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("county", help="the county's 12-digit division code")
        parser.add_argument("name", help="the application's name, e.g. 12345 hotline")

    def handle(self, *args: Any, **options: Any) -> None:
        county = Region.objects.filter(code=options["county"], level=Region.Level.COUNTY).first()
        if county is None:
            raise ValidationError(f"No county with the code {options['county']}.", field="county")
        client, key = services.open311_client_create(actor=None, county=county, name=options["name"])
        self.stdout.write(f"Open311 client {client.name}: api_key={key}")
