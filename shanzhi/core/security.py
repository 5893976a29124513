"""Security hardening in one place (ADR 0009): counters on the shared cache, login
throttling, rate limits on the public addresses, session expiry and the response headers
(Content-Security-Policy and friends).

Every counter lives in Django's default cache, which is Redis when ``REDIS_URL`` is set and
otherwise a file cache in the data folder (see settings), so all server processes of one
deployment count together; a per-process memory store would let an attacker multiply the
limits by the number of workers.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from shanzhi.core.errors import Throttled

logger = logging.getLogger("shanzhi.security")

# --- counters -----------------------------------------------------------------------------

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """``"30/10m"`` → (30, 600): at most 30 in any fixed window of ten minutes."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*", rate or "")
    if not match:
        raise ValueError(f"a rate is written like 30/10m, not {rate!r}")
    count, size, unit = match.groups()
    return int(count), int(size or 1) * _UNITS[unit]


def _key(kind: str, ident: str) -> str:
    # Hashed, so whatever a client typed as a username never reaches a cache key as such.
    return f"sz:{kind}:{hashlib.sha256(ident.encode()).hexdigest()[:32]}"


def hit(kind: str, ident: str, *, window: int) -> int:
    """Count one event for ``ident`` in the current fixed window; returns the count so far.
    Redis increments atomically; the file cache is read-modify-write, so a burst of
    parallel requests may slip a few over a limit (acceptable for throttling). When the
    cache is down, nothing is counted (fail open: ADR 0009)."""
    bucket = int(time.time() // window)
    key = f"{_key(kind, ident)}:{bucket}"
    try:
        if cache.add(key, 1, timeout=window):
            return 1
        try:
            return int(cache.incr(key))
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)
            return 1
    except Exception:  # the cache (Redis) is down: count nothing rather than refuse everyone
        logger.warning("security counters: the cache does not answer; %s not counted", kind, exc_info=True)
        return 0


def seconds_to_window_end(window: int) -> int:
    return max(1, window - int(time.time()) % window)


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the header a trusted proxy sets
    (SHANZHI_CLIENT_IP_HEADER, e.g. HTTP_X_REAL_IP; the first of a comma-separated list)."""
    header = getattr(settings, "SHANZHI_CLIENT_IP_HEADER", "")
    if header and request.META.get(header):
        return str(request.META[header]).split(",")[0].strip()
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def wait_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext("Try again in %(minutes)d minute.", "Try again in %(minutes)d minutes.",
                    minutes) % {"minutes": minutes}


# --- login throttling -----------------------------------------------------------------------

def _username(value: Any) -> str:
    return str(value or "").strip().lower()[:200]


def login_lockout(request: HttpRequest | None, username: Any) -> int:
    """Seconds until this username, or this client address, may try to log in again;
    0 when it may now. Locks are set by ``_on_login_failed``."""
    now = time.time()
    keys = [_key("login-lock-user", _username(username))] if _username(username) else []
    if request is not None:
        keys.append(_key("login-lock-ip", client_ip(request)))
    try:
        until = max((float(v) for v in cache.get_many(keys).values()), default=0.0)
    except Exception:  # the cache is down: no lock can be read (see hit)
        logger.warning("login throttling: the cache does not answer", exc_info=True)
        return 0
    return max(0, math.ceil(until - now))


def lockout_message(seconds: int) -> str:
    return _("Too many failed logins for this account or from this network. %(wait)s") % {
        "wait": wait_message(seconds)}


def login_check(request: HttpRequest | None, username: Any) -> None:
    """Raise Throttled (429) if this login attempt is locked out; for the API and the CLI."""
    seconds = login_lockout(request, username)
    if seconds:
        raise Throttled(lockout_message(seconds), retry_after=seconds)


def _lock(kind: str, ident: str) -> None:
    lockout = int(settings.SHANZHI_LOGIN_LOCKOUT_SECONDS)
    with contextlib.suppress(Exception):  # the cache is down: see hit
        cache.set(_key(kind, ident), time.time() + lockout, timeout=lockout)


@receiver(user_login_failed)
def _on_login_failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None,
                     **kwargs: Any) -> None:
    """Every failed ``authenticate()`` (pages, admin, API token) counts against the
    username and the client address; reaching a limit locks that one out for a while."""
    window = int(settings.SHANZHI_LOGIN_LOCKOUT_SECONDS)
    username = _username(credentials.get("username") or credentials.get("phone"))
    if getattr(request, "_shanzhi_login_locked", False):
        return  # a refused attempt while locked does not extend the lock
    if username and hit("login-fail-user", username, window=window) >= settings.SHANZHI_LOGIN_FAILURES_PER_USERNAME:
        _lock("login-lock-user", username)
        logger.warning("login locked for username %r after repeated failures", username)
    if request is not None:
        ip = client_ip(request)
        if hit("login-fail-ip", ip, window=window) >= settings.SHANZHI_LOGIN_FAILURES_PER_IP:
            _lock("login-lock-ip", ip)
            logger.warning("login locked for address %s after repeated failures", ip)


@receiver(user_logged_in)
def _on_logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    # A session starts: note when, for the absolute and idle limits (SessionExpiryMiddleware).
    session = getattr(request, "session", None)
    if session is not None:
        now = int(time.time())
        session[_STARTED] = session[_SEEN] = now


class LoginThrottleBackend:
    """First in AUTHENTICATION_BACKENDS: a locked-out username or address gets no further
    than here, whatever the password, so a lock cannot be used to test passwords. It has
    no ``get_user`` on purpose, so it is never the backend a session is tied to (Django's
    test client's force_login takes the first backend that has one)."""

    def authenticate(self, request: HttpRequest | None, username: str | None = None,
                     password: str | None = None, **kwargs: Any) -> None:
        if login_lockout(request, username):
            if request is not None:
                request._shanzhi_login_locked = True  # type: ignore[attr-defined]
            raise DjangoPermissionDenied("login locked")
        return None


class ThrottledLoginFormMixin:
    """For AuthenticationForm subclasses: a locked-out attempt reads as such, not as a
    wrong password."""

    request: HttpRequest | None

    def clean(self) -> Any:
        from django import forms

        form: Any = self
        seconds = login_lockout(self.request, form.data.get(form.add_prefix("username")))
        if seconds:
            raise forms.ValidationError(lockout_message(seconds), code="throttled")
        return super().clean()  # type: ignore[misc]


def admin_login_form() -> type:
    from django.contrib.admin.forms import AdminAuthenticationForm

    return type("AdminLoginForm", (ThrottledLoginFormMixin, AdminAuthenticationForm), {})


# --- rate limits on public addresses -------------------------------------------------------

@dataclass(frozen=True)
class RateRule:
    name: str  # the key in settings.SHANZHI_RATE_LIMITS
    methods: frozenset[str]
    path: re.Pattern[str]


RATE_RULES = [
    RateRule("open311_post", frozenset({"POST"}), re.compile(r"^/open311/v2/requests\.(json|xml)$")),
    RateRule("api_token", frozenset({"POST"}), re.compile(r"^/api/auth/token$")),
    RateRule("login", frozenset({"POST"}), re.compile(r"^/(login|admin/login)/$")),
    RateRule("public", frozenset({"GET", "HEAD"}), re.compile(
        r"^/(open311/v2/|api/deliberation/public/|api/legal/public/|deliberation/board/|legal/village/)")),
]


def rate_rule(request: HttpRequest) -> RateRule | None:
    for rule in RATE_RULES:
        if request.method in rule.methods and rule.path.match(request.path_info):
            return rule
    return None


def refusal(request: HttpRequest, status: int, code: str, message: str, *, field: str = "",
            template: str = "web/error.html") -> HttpResponse:
    """A request refused before any view, in the shape the address speaks: the API's error
    shape, Open311's error list, or a page."""
    path = request.path_info
    if path.startswith("/api/"):
        return JsonResponse({"code": code, "message": message, "fields": {field: message} if field else {}},
                            status=status)
    if path.startswith("/open311/"):
        from shanzhi.casework.open311.views import error

        return error(request, "xml" if path.endswith(".xml") else "json", status, message)
    return HttpResponse(render_to_string(template, {"message": message}, request=request), status=status)


def throttled_response(request: HttpRequest, message: str, retry_after: int) -> HttpResponse:
    """429 with Retry-After (see ``refusal``)."""
    response = refusal(request, 429, "throttled", message, template="core/throttled.html")
    response["Retry-After"] = str(retry_after)
    return response


def _nul_field(data: Any) -> str | None:
    """The first field of a query or form whose name or any value holds a NUL character."""
    for key in data:
        if "\x00" in key or any(isinstance(v, str) and "\x00" in v for v in data.getlist(key)):
            return key.replace("\x00", "")
    return None


class NulInputMiddleware:
    """Text with NUL characters cannot be stored (PostgreSQL refuses it) and is never what a
    person typed: a query or form holding one is refused here, with the field, for every page
    and Open311 (the REST API's parser does the same per field, see shanzhi/api.py)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith("/api/"):
            field = _nul_field(request.GET)
            if field is None and request.method not in ("GET", "HEAD", "OPTIONS"):
                field = _nul_field(request.POST)
            if field is not None:
                return refusal(request, 400, "invalid", str(_("Text may not contain NUL characters.")), field=field)
        return self.get_response(request)


class RateLimitMiddleware:
    """Per client address, fixed windows, limits from SHANZHI_RATE_LIMITS ("30/10m")."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        rule = rate_rule(request)
        if rule is not None:
            rate = settings.SHANZHI_RATE_LIMITS.get(rule.name)
            if rate:
                limit, window = parse_rate(rate)
                if hit(f"rate-{rule.name}", client_ip(request), window=window) > limit:
                    seconds = seconds_to_window_end(window)
                    message = _("Too many requests from your network. %(wait)s") % {"wait": wait_message(seconds)}
                    return throttled_response(request, message, seconds)
        return self.get_response(request)


# --- session expiry ---------------------------------------------------------------------------

_STARTED = "_shanzhi_started"
_SEEN = "_shanzhi_seen"


class SessionExpiryMiddleware:
    """A login lasts at most SESSION_COOKIE_AGE from the moment it began (however busy), and
    ends after SHANZHI_SESSION_IDLE_SECONDS without a request. The last-seen stamp is
    written at most once a minute, so a busy session does not write on every request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if session is not None and user is not None and user.is_authenticated:
            now = int(time.time())
            started, seen = session.get(_STARTED), session.get(_SEEN)
            idle = int(settings.SHANZHI_SESSION_IDLE_SECONDS)
            if started is None or seen is None:
                session[_STARTED] = session[_SEEN] = now  # a session from before this check
            elif now - started > settings.SESSION_COOKIE_AGE or (idle and now - seen > idle):
                logout(request)
            elif now - seen >= 60:
                session[_SEEN] = now
        return self.get_response(request)


# --- response headers -------------------------------------------------------------------------

def content_security_policy() -> str:
    return "; ".join(f"{name} {value}".strip() for name, value in settings.SHANZHI_CSP.items())


class SecurityHeadersMiddleware:
    """Content-Security-Policy (no inline scripts anywhere), Permissions-Policy and
    Cross-Origin-Opener-Policy on every response that has not set its own. Django's
    SecurityMiddleware adds nosniff, Referrer-Policy and HSTS; XFrameOptionsMiddleware
    adds X-Frame-Options."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.csp = content_security_policy()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.csp)
        response.headers.setdefault("Permissions-Policy", settings.SHANZHI_PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response
