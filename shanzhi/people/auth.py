from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from shanzhi.people.models import User


class PhoneBackend(ModelBackend):
    """Residents log in with their phone number and password. A code sender (SMS,
    WeChat) can later verify the phone instead of the password through this seam."""

    def authenticate(self, request: HttpRequest | None, username: str | None = None,
                     password: str | None = None, **kwargs: Any) -> User | None:
        if not username or not password:
            return None
        user = User.objects.filter(phone=username.strip()).first()
        if user is None:
            User().set_password(password)  # spend the same time as a real check
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
