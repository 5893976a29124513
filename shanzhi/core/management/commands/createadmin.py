from __future__ import annotations

import getpass
import os
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.management.base import CommandError, CommandParser

from shanzhi.core.management.base import ShanzhiCommand


class Command(ShanzhiCommand):
    help = ("Create an administrator account (or reset its password). The password comes from "
            "--password-env VAR, else it is asked for.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="full name")
        parser.add_argument("--password-env", metavar="VAR", help="read the password from this variable")

    def handle(self, *args: Any, **options: Any) -> None:
        from shanzhi.people import services

        if options["password_env"]:
            password = os.environ.get(options["password_env"], "")
            if not password:
                raise CommandError(f"the variable {options['password_env']} is empty or not set", returncode=2)
        else:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password again: "):
                raise CommandError("the passwords differ", returncode=2)
        try:
            validate_password(password)
        except DjangoValidationError as exc:
            raise CommandError(" ".join(exc.messages), returncode=2) from None
        user, created = services.admin_ensure(username=options["username"], password=password,
                                              full_name=options["name"])
        self.stdout.write(f"{'created' if created else 'updated'} administrator {user.username}")
