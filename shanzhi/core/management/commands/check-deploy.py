from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from shanzhi import config
from shanzhi.core.management.base import ShanzhiCommand
from shanzhi.core.security import parse_rate

LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1", "testserver", "0.0.0.0"}  # noqa: S104 (names, not a bind)

# Django's deployment checks that problems() covers: DEBUG, SECRET_KEY, ALLOWED_HOSTS, HTTPS
# redirect, secure cookies, HSTS.
COVERED = {"security.W004", "security.W008", "security.W009", "security.W012", "security.W016",
           "security.W018", "security.W020"}


def problems() -> tuple[list[str], list[str]]:
    """(errors, warnings) about the running settings for a production deployment."""
    errors: list[str] = []
    warnings: list[str] = []
    if settings.DEBUG:
        errors.append(_("DEBUG is on: error pages would show code and settings to anyone. Unset DEBUG."))
    key = settings.SECRET_KEY
    if not os.environ.get("SECRET_KEY"):
        errors.append(_("SECRET_KEY is not set: the key was generated into the data folder. Set SECRET_KEY "
                        "(50 or more random characters) in the service's environment."))
    elif len(key) < 50 or len(set(key)) < 5 or key.startswith("django-insecure-"):
        errors.append(_("SECRET_KEY is too short or too simple: use 50 or more random characters "
                        "(shanzhi check-deploy --new-key prints one)."))
    hosts = set(settings.ALLOWED_HOSTS)
    if "*" in hosts:
        errors.append(_("ALLOWED_HOSTS contains '*': name the server's host names."))
    elif not hosts - LOCAL_HOSTS:
        errors.append(_("ALLOWED_HOSTS names only this machine (localhost): add the host name users open."))
    if not settings.SESSION_COOKIE_SECURE or not settings.CSRF_COOKIE_SECURE:
        errors.append(_("Cookies may travel without HTTPS: set SECURE_COOKIES=1."))
    if not settings.SECURE_SSL_REDIRECT and not getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        errors.append(_("Nothing sends plain HTTP to HTTPS: set SECURE_SSL_REDIRECT=1, or BEHIND_TLS_PROXY=1 "
                        "when a reverse proxy terminates HTTPS (and redirects)."))
    origins = list(settings.CSRF_TRUSTED_ORIGINS)
    if not origins:
        errors.append(_("CSRF_TRUSTED_ORIGINS is not set: name the site's address, e.g. https://shanzhi.example.gov.cn."))
    elif any(not origin.startswith("https://") for origin in origins):
        errors.append(_("CSRF_TRUSTED_ORIGINS must list https:// addresses only."))
    if settings.SHANZHI_DEMO:
        errors.append(_("SHANZHI_DEMO is on: the demo accounts share one published password. Unset it."))
    csp = settings.SHANZHI_CSP
    if "unsafe" in csp.get("script-src", "") or "'none'" not in csp.get("frame-ancestors", ""):
        errors.append(_("The Content-Security-Policy was loosened (SHANZHI_CSP): scripts only from 'self', "
                        "frame-ancestors 'none'."))
    if settings.SESSION_COOKIE_AGE > 24 * 3600 or not settings.SHANZHI_SESSION_IDLE_SECONDS:
        warnings.append(_("Logins last long: SESSION_COOKIE_AGE over a day, or SESSION_IDLE_SECONDS=0 "
                          "(shared phones and office computers stay signed in)."))
    if not settings.SECURE_HSTS_SECONDS:
        warnings.append(_("HSTS is off: once HTTPS works, set SECURE_HSTS_SECONDS=31536000."))
    if config.uses_embedded_database():
        warnings.append(_("The embedded SQLite database is in use: fine for one township or a trial; a county "
                          "runs PostgreSQL (DATABASE_URL)."))
    if not os.environ.get("REDIS_URL"):
        warnings.append(_("REDIS_URL is not set: login and rate-limit counters are kept per machine (in the "
                          "data folder), and background work runs in the web process."))
    for name, rate in settings.SHANZHI_RATE_LIMITS.items():
        if not rate:
            warnings.append(_("The rate limit %(name)s is switched off.") % {"name": name})
        else:
            try:
                parse_rate(rate)
            except ValueError:
                errors.append(_("The rate limit %(name)s is not written like 30/10m: %(rate)s")
                              % {"name": name, "rate": rate})
    validators: list[dict[str, Any]] = list(settings.AUTH_PASSWORD_VALIDATORS)  # type: ignore[arg-type]
    lengths = [v.get("OPTIONS", {}).get("min_length", 0) for v in validators
               if v["NAME"].endswith("MinimumLengthValidator")]
    if not lengths or max(lengths) < 10:
        errors.append(_("The password policy allows passwords shorter than 10 characters."))
    return errors, warnings


class Command(ShanzhiCommand):
    help = ("Check the settings for a production deployment (HTTPS, cookies, keys, hosts, debug, "
            "database) and run Django's own deployment checks. Exits 1 when anything is unsafe.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--new-key", action="store_true", help="print a new random SECRET_KEY and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["new_key"]:
            from django.core.management.utils import get_random_secret_key

            self.stdout.write(get_random_secret_key())
            return
        errors, warnings = problems()
        # Django's own checks, as `manage.py check --deploy`, without the ones above says
        # better in the user's language: its errors fail, its warnings are shown.
        for message in checks.run_checks(include_deployment_checks=True):
            if message.id in COVERED or message.is_silenced():
                continue
            text = f"{message.id}: {message.msg}" + (f" ({message.hint})" if message.hint else "")
            (errors if message.level >= checks.ERROR else warnings).append(text)
        for text in warnings:
            self.stdout.write(_("warning: %(text)s") % {"text": text})
        if errors:
            for text in errors:
                self.stderr.write(_("unsafe: %(text)s") % {"text": text})
            raise CommandError(_("%(count)d unsafe setting(s); see above.") % {"count": len(errors)}, returncode=1)
        self.stdout.write(_("The settings are fit for production."))
