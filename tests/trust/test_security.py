"""Security hardening (issue 11, ADR 0009): login throttling, CSRF everywhere, the
Content-Security-Policy and other headers, the password policy and session expiry.

Rate limits on the public addresses and the counters shared between processes are in
test_security_limits.py; uploads in test_security_uploads.py; check-deploy and the
dependency audit in test_security_deploy.py."""

from __future__ import annotations

import re
import time
from html.parser import HTMLParser

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.test import Client
from django.urls import resolve, reverse
from django.utils import translation

from shanzhi.core import security
from shanzhi.core.uploads import FILE_CSP
from tests.factories import PASSWORD
from tests.matrix import registry
from tests.matrix.routes import walk
from tests.matrix.world import INSIDE, SELF, World, build_world

LOGIN_URL = "/login/"


@pytest.fixture
def world(county) -> World:
    """The permission matrix's world: one account and API token per role."""
    registry.load()  # the tables add their kinds of records to the world
    return build_world(county)


def _fail_login(client: Client, username: str, times: int, **headers: str) -> None:
    for _ in range(times):
        response = client.post(LOGIN_URL, {"username": username, "password": "wrong-password-1"}, **headers)
        assert response.status_code == 200  # the form again, with its error


# --- login throttling ------------------------------------------------------------------------

def test_failed_logins_lock_the_username_out_even_with_the_right_password(county, settings):
    settings.SHANZHI_LOGIN_FAILURES_PER_USERNAME = 3
    user = county.users["grid_worker"]
    client = Client()
    _fail_login(client, user.username, 3)
    response = client.post(LOGIN_URL, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    text = response.content.decode()
    assert "登录失败次数过多" in text  # zh-hans by default
    assert re.search(r"\d+ 分钟后再试", text)
    # In English too, and from another address (the username is locked, wherever it comes from).
    other = Client(REMOTE_ADDR="10.9.9.9", HTTP_ACCEPT_LANGUAGE="en")
    response = other.post(LOGIN_URL, {"username": user.username.upper(), "password": PASSWORD})
    assert "Too many failed logins" in response.content.decode()
    # Another account from the first address still logs in: the address is under its own limit.
    ok = client.post(LOGIN_URL, {"username": county.users["county_staff"].username, "password": PASSWORD})
    assert ok.status_code == 302


def test_the_lock_ends_after_the_lockout_period(county, settings):
    settings.SHANZHI_LOGIN_FAILURES_PER_USERNAME = 2
    settings.SHANZHI_LOGIN_LOCKOUT_SECONDS = 2
    user = county.users["grid_worker"]
    client = Client()
    _fail_login(client, user.username, 2)
    assert security.login_lockout(None, user.username) > 0
    deadline = time.monotonic() + 10
    while security.login_lockout(None, user.username) and time.monotonic() < deadline:
        time.sleep(0.2)
    response = client.post(LOGIN_URL, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302


def test_failures_from_one_address_lock_the_address_out(county, settings):
    settings.SHANZHI_LOGIN_FAILURES_PER_IP = 4
    client = Client(REMOTE_ADDR="10.1.2.3")
    for n in range(4):
        _fail_login(client, f"nobody-{n}", 1)
    response = client.post(LOGIN_URL, {"username": county.users["grid_worker"].username, "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert "登录失败次数过多" in response.content.decode()
    elsewhere = Client(REMOTE_ADDR="10.1.2.4")
    assert elsewhere.post(LOGIN_URL, {"username": county.users["grid_worker"].username,
                                      "password": PASSWORD}).status_code == 302


def test_a_successful_login_is_not_counted_and_force_login_is_untouched(county, settings, login):
    settings.SHANZHI_LOGIN_FAILURES_PER_USERNAME = 2
    user = county.users["grid_worker"]
    client = Client()
    _fail_login(client, user.username, 1)
    assert client.post(LOGIN_URL, {"username": user.username, "password": PASSWORD}).status_code == 302
    assert security.login_lockout(None, user.username) == 0
    assert login(user).get(reverse("web:home")).status_code == 200


def test_api_token_login_is_throttled_with_the_error_shape(county, settings):
    settings.SHANZHI_LOGIN_FAILURES_PER_USERNAME = 3
    user = county.users["county_staff"]
    client = Client()
    for _ in range(3):
        r = client.post("/api/auth/token", {"username": user.username, "password": "not-it-at-all"},
                        content_type="application/json")
        assert r.status_code == 422
    r = client.post("/api/auth/token", {"username": user.username, "password": PASSWORD},
                    content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 429
    assert int(r["Retry-After"]) > 0
    body = r.json()
    assert body["code"] == "throttled"
    assert "Too many failed logins" in body["message"]
    assert body["fields"] == {}


def test_failures_on_the_api_count_for_the_login_page_and_the_admin(county, settings):
    settings.SHANZHI_LOGIN_FAILURES_PER_USERNAME = 2
    admin = county.users["admin"]
    client = Client()
    for _ in range(2):
        client.post("/api/auth/token", {"username": admin.username, "password": "not-it-at-all"},
                    content_type="application/json")
    r = client.post("/admin/login/", {"username": admin.username, "password": PASSWORD, "next": "/admin/"})
    assert r.status_code == 200
    assert "登录失败次数过多" in r.content.decode()
    assert "_auth_user_id" not in client.session


def test_phone_logins_are_throttled_too(county, settings):
    settings.SHANZHI_LOGIN_FAILURES_PER_USERNAME = 2
    client = Client()
    _fail_login(client, "13800000000", 2)
    assert security.login_lockout(None, "13800000000") > 0


# --- CSRF ------------------------------------------------------------------------------------

# The only views that take unsafe requests without the CSRF token, and why.
CSRF_EXEMPT = {
    "open311": "Open311 (GeoReport v2) clients authenticate with an api_key, never with the session",
    "api": "django-ninja checks the token itself when the session authenticates (see the API test below)",
    "healthz": "read-only probe",
}


def _exempt_reason(path: str) -> str | None:
    if path.startswith("/open311/"):
        return CSRF_EXEMPT["open311"]
    if path.startswith("/api/"):
        return CSRF_EXEMPT["api"]
    if path == "/healthz":
        return CSRF_EXEMPT["healthz"]
    return None


def test_every_page_route_refuses_an_unsafe_request_without_the_csrf_token(county):
    client = Client(enforce_csrf_checks=True)
    client.force_login(county.users["admin"])
    checked = 0
    for route in walk():
        path = route.sample()
        if _exempt_reason(path):
            continue
        match = resolve(path)
        assert not getattr(match.func, "csrf_exempt", False), f"{route.ident} is exempt from CSRF checks"
        for method in ("post", "put", "patch", "delete"):
            response = getattr(client, method)(path, {} if method == "post" else "")
            assert response.status_code == 403, f"{method.upper()} {path}: {response.status_code}"
        checked += 1
    assert checked > 50


def test_the_csrf_failure_page_says_what_to_do(county):
    client = Client(enforce_csrf_checks=True)
    client.force_login(county.users["admin"])
    response = client.post(reverse("web:logout"))
    assert response.status_code == 403
    assert "请再试一次" in response.content.decode()


def test_api_cookie_writes_need_the_csrf_token_but_bearer_writes_do_not(county, world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(county.users["admin"])
    # A cross-site form can make the browser send the cookie, never the header.
    r = client.post("/api/auth/token", {"username": "x", "password": "y"}, content_type="application/json")
    assert r.status_code in (422, 429)  # anonymous by design: no session is used there
    r = client.delete("/api/auth/tokens/1")
    assert r.status_code == 403
    assert r.json()["code"] == "csrf_failed"
    client.get(reverse("web:home"))  # sets the csrftoken cookie
    token = client.cookies["csrftoken"].value
    r = client.delete("/api/auth/tokens/999999", HTTP_X_CSRFTOKEN=token)
    assert r.status_code == 404
    bearer = Client(enforce_csrf_checks=True)
    r = bearer.delete("/api/auth/tokens/999999", HTTP_AUTHORIZATION=f"Bearer {world.tokens['admin']}")
    assert r.status_code == 404


def test_cookies_are_http_only_and_same_site(county):
    client = Client()
    client.get(LOGIN_URL)
    response = client.post(LOGIN_URL, {"username": county.users["admin"].username, "password": PASSWORD})
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


# --- headers and the Content-Security-Policy ---------------------------------------------------

class _InlineFinder(HTMLParser):
    """Inline script in any form: <script> without src (other than JSON data blocks), on*=
    handlers, javascript: URLs; and style= attributes or <style> blocks (style-src 'self')."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and not values.get("src") and values.get("type") != "application/json":
            self.found.append("<script> without src")
        if tag == "style":
            self.found.append("<style> block")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag} {name}=")
            if name == "style":
                self.found.append(f"{tag} style=")
            if value and value.strip().lower().startswith("javascript:"):
                self.found.append(f"{tag} {name}=javascript:")


def _assert_clean(response, where: str) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    assert "unsafe-inline" not in csp, where
    assert "unsafe-eval" not in csp, where
    if csp != FILE_CSP:  # a served upload: stricter still
        for directive in ("script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"):
            assert directive in csp, where
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("X-Frame-Options") == "DENY", where
    assert response.headers.get("Referrer-Policy") == "same-origin", where
    if "text/html" in response.headers.get("Content-Type", ""):
        assert "style-src 'self'" in csp, where
        finder = _InlineFinder()
        finder.feed(response.content.decode())
        assert not finder.found, f"{where}: {sorted(set(finder.found))}"


def test_every_declared_page_renders_without_inline_script_under_the_csp(world, client):
    """Every GET page in the permission matrix, as the administrator (who may open them all),
    at a record inside the county: the headers are there and the HTML has nothing the CSP
    would block."""
    entries, _prefixes = registry.load()
    routes = {r.ident: r for r in walk()}
    client.force_login(world.users["admin"])
    pages = 0
    for entry in entries:
        if entry.is_api or entry.method != "GET" or entry.name not in routes:
            continue
        placement = INSIDE if entry.kind else SELF
        obj = entry.target(world, "admin", placement)
        route = routes[entry.name]
        wanted = route.parameters()
        url = route.sample({k: v for k, v in entry.url_kwargs(obj).items() if k in wanted})
        query = dict(entry.query(world, "admin", obj)) if entry.query else {}
        response = client.get(url, query)
        if response.status_code != 200:
            continue
        _assert_clean(response, url)
        pages += 1
    assert pages >= 40


@pytest.mark.parametrize("path", ["/login/", "/admin/login/", "/api/docs", "/healthz", "/api/"])
def test_anonymous_pages_carry_the_headers_too(db, client, path):
    _assert_clean(client.get(path), path)


def test_no_template_has_inline_script_or_style():
    """The templates themselves (including ones no test renders yet)."""
    from pathlib import Path

    import shanzhi

    root = Path(shanzhi.__file__).parent
    offenders = []
    pattern = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)|\son[a-z]+=|javascript:|\sstyle=|<style",
                         re.IGNORECASE)
    for template in root.glob("*/templates/**/*.html"):
        text = re.sub(r"{%\s*(blocktranslate|blocktrans)[^%]*%}", "", template.read_text())
        offenders += [f"{template.relative_to(root)}: {m.group(0)!r}" for m in pattern.finditer(text)]
    assert not offenders


def test_hsts_and_https_redirect_follow_the_settings(db, client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    response = client.get("/login/")
    assert response.status_code == 301
    assert response["Location"].startswith("https://")
    secure = client.get("/login/", secure=True)
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


# --- password policy ---------------------------------------------------------------------------

@pytest.mark.parametrize("password", ["Shanzhi-demo-2026", "Gansu-Huachi-2026!", "长城-Huachi-县里2026"])
def test_good_passwords_pass_the_policy(db, password):
    validate_password(password)


@pytest.mark.parametrize(("password", "zh", "en"), [
    ("Short-1", "太短", "too short"),
    ("password123", "太常见", "too common"),
    ("982345127845", "只包含数字", "entirely numeric"),
])
def test_weak_passwords_are_refused_in_the_users_language(db, password, zh, en):
    for language, words in (("zh-hans", zh), ("en", en)):
        with translation.override(language), pytest.raises(DjangoValidationError) as caught:
            validate_password(password)
        assert any(words in message for message in caught.value.messages), caught.value.messages


def test_a_password_like_the_username_is_refused(county):
    user = county.users["grid_worker"]
    with pytest.raises(DjangoValidationError):
        validate_password(user.username + "x1", user)


def test_admin_account_creation_applies_the_policy(county, client):
    admin = county.users["admin"]
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    url = reverse("admin:people_user_add")
    weak = client.post(url, {"username": "new-clerk", "usable_password": "true",
                             "password1": "abc12345", "password2": "abc12345"})
    assert weak.status_code == 200
    assert "太短" in weak.content.decode()
    strong = client.post(url, {"username": "new-clerk", "usable_password": "true",
                               "password1": "Shanzhi-demo-2026", "password2": "Shanzhi-demo-2026"})
    assert strong.status_code == 302


def test_resident_accounts_follow_the_policy(county):
    from shanzhi.core.errors import ValidationError
    from shanzhi.people import services
    from shanzhi.regions.models import Resident

    resident = Resident.objects.exclude(phone="").filter(account__isnull=True).first()
    if resident is None:
        pytest.skip("the small county has no resident with a phone and no account")
    with pytest.raises(ValidationError) as caught:
        services.resident_account_create(actor=county.users["admin"], resident=resident, password="12345678")
    assert "password" in caught.value.fields
    user = services.resident_account_create(actor=county.users["admin"], resident=resident,
                                            password="Shanzhi-demo-2026")
    assert user.check_password("Shanzhi-demo-2026")


# --- sessions ----------------------------------------------------------------------------------

def _logged_in(county) -> Client:
    client = Client()
    assert client.post(LOGIN_URL, {"username": county.users["grid_worker"].username,
                                   "password": PASSWORD}).status_code == 302
    return client


def _age(client: Client, **seconds_ago: int) -> None:
    session = client.session
    now = int(time.time())
    for key, ago in seconds_ago.items():
        session[{"started": security._STARTED, "seen": security._SEEN}[key]] = now - ago
    session.save()


def test_an_idle_session_ends(county, settings):
    settings.SHANZHI_SESSION_IDLE_SECONDS = 1800
    client = _logged_in(county)
    _age(client, seen=1000)
    assert client.get(reverse("web:home")).status_code == 200
    _age(client, seen=1801)
    response = client.get(reverse("web:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)


def test_a_busy_session_still_ends_at_its_absolute_age(county, settings):
    settings.SESSION_COOKIE_AGE = 3600
    client = _logged_in(county)
    _age(client, started=3000, seen=5)
    assert client.get(reverse("web:home")).status_code == 200
    _age(client, started=3601, seen=5)
    assert client.get(reverse("web:home")).status_code == 302


def test_the_session_cookie_expires_with_the_absolute_age(county, settings):
    settings.SESSION_COOKIE_AGE = 3600
    client = Client()
    response = client.post(LOGIN_URL, {"username": county.users["grid_worker"].username, "password": PASSWORD})
    assert int(response.cookies["sessionid"]["max-age"]) == 3600


def test_logout_ends_the_session_on_the_server(county):
    client = _logged_in(county)
    old_key = client.cookies["sessionid"].value
    client.post(reverse("web:logout"))
    thief = Client()
    thief.cookies["sessionid"] = old_key
    response = thief.get(reverse("web:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)
