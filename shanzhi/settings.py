"""Django settings, all from environment variables (see README, "Configuration")."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

import dj_database_url

from shanzhi import config

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = config.data_dir()

DEBUG = config.env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    # The embedded default keeps a generated key beside its database, so sessions survive
    # restarts without anyone having to invent one; production sets SECRET_KEY.
    _key_file = DATA_DIR / "secret_key"
    if _key_file.exists():
        SECRET_KEY = _key_file.read_text().strip()
    else:
        from django.core.management.utils import get_random_secret_key

        SECRET_KEY = get_random_secret_key()
        try:
            DATA_DIR.mkdir(parents=True, exist_ok=True)
            _key_file.write_text(SECRET_KEY)
            _key_file.chmod(0o600)
        except OSError:
            pass

ALLOWED_HOSTS = config.env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = config.env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "ninja",
    "shanzhi.core",
    "shanzhi.people",
    "shanzhi.regions",
    "shanzhi.roster",
    "shanzhi.ledger",
    "shanzhi.deliberation",
    "shanzhi.points",
    "shanzhi.casework",
    "shanzhi.disputes",
    "shanzhi.contact",
    "shanzhi.gridwork",
    "shanzhi.organisations",
    "shanzhi.legal",
    "shanzhi.command",
    "shanzhi.web",
    "shanzhi.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "shanzhi.core.security.SecurityHeadersMiddleware",
    "shanzhi.core.security.SessionExpiryMiddleware",
    "shanzhi.core.security.RateLimitMiddleware",
    "shanzhi.core.security.NulInputMiddleware",
    "shanzhi.core.context.RequestContextMiddleware",
]

ROOT_URLCONF = "shanzhi.urls"
WSGI_APPLICATION = "shanzhi.wsgi.application"
ASGI_APPLICATION = "shanzhi.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "shanzhi.web.context.viewer",
            ],
        },
    }
]


def _database() -> dict[str, Any]:
    url = os.environ.get("DATABASE_URL")
    if url:
        db: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60"))))
        db["CONN_HEALTH_CHECKS"] = True
        if os.environ.get("TEST_DATABASE_NAME"):
            # Lets parallel test runs on one server keep to their own test databases.
            db["TEST"] = {"NAME": os.environ["TEST_DATABASE_NAME"]}
        return db
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(config.sqlite_path()),
        "OPTIONS": {
            # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at
            # BEGIN so two writers queue on the busy timeout instead of failing with
            # "database is locked" when one upgrades a read lock.
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA busy_timeout=30000;"
                "PRAGMA cache_size=-65536;"
                "PRAGMA temp_store=MEMORY;"
            ),
        },
        # Tests use a file, not Django's in-memory default: shared-cache memory databases
        # lock whole tables and ignore the busy timeout, so concurrency tests would test
        # something production never runs; a file also lets a worker process see the data.
        "TEST": {"NAME": os.environ.get("TEST_DATABASE_NAME")
                 or os.path.join(tempfile.gettempdir(), f"shanzhi-test-{os.getpid()}.sqlite3")},
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "people.User"
AUTHENTICATION_BACKENDS = [
    "shanzhi.core.security.LoginThrottleBackend",  # first: a locked-out login goes no further
    "django.contrib.auth.backends.ModelBackend",
    "shanzhi.people.auth.PhoneBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", DATA_DIR / "static"))
# WhiteNoise serves from here (after collectstatic) and warns when it is missing.
with contextlib.suppress(OSError):
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Hashed, compressed file names once `collectstatic` has written its manifest; before that
# (tests, a fresh checkout, `shanzhi serve` without collectstatic) pages still render and
# WhiteNoise serves the files from the apps' static folders.
_STATIC_MANIFEST = (STATIC_ROOT / "staticfiles.json").exists()
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and _STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", DATA_DIR / "media"))
MEDIA_URL = "/media/"

SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 3600)))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# A stale form gets a page in the user's language and the pages' style.
CSRF_FAILURE_VIEW = "shanzhi.web.views.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = config.env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = config.env_bool("SECURE_SSL_REDIRECT", False)
if config.env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0"))
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# --- Security hardening (core/security.py, ADR 0009; `shanzhi check-deploy` checks these) ---
# Content-Security-Policy: scripts and styles only from the site's own files (no inline
# script, no style= attribute), no plugins, never framed.
SHANZHI_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: blob:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
SHANZHI_PERMISSIONS_POLICY = "camera=(self), geolocation=(self), microphone=(), payment=(), usb=()"
# Login throttling: this many failed logins for one username, or from one address, within
# the lockout period lock that username or address out for the period.
SHANZHI_LOGIN_FAILURES_PER_USERNAME = int(os.environ.get("LOGIN_FAILURES_PER_USERNAME", "5"))
SHANZHI_LOGIN_FAILURES_PER_IP = int(os.environ.get("LOGIN_FAILURES_PER_IP", "20"))
SHANZHI_LOGIN_LOCKOUT_SECONDS = int(os.environ.get("LOGIN_LOCKOUT_SECONDS", "900"))
# Where the client address comes from behind a reverse proxy (e.g. HTTP_X_REAL_IP); empty:
# REMOTE_ADDR. Only set it when the proxy overwrites the header, or clients can pick theirs.
SHANZHI_CLIENT_IP_HEADER = os.environ.get("CLIENT_IP_HEADER", "")
# Requests per client address on the addresses that need no login ("count/window", window
# in s, m, h or d); an empty value switches a limit off.
SHANZHI_RATE_LIMITS = {
    "open311_post": os.environ.get("RATE_LIMIT_OPEN311_POST", "30/10m"),
    "api_token": os.environ.get("RATE_LIMIT_API_TOKEN", "30/m"),
    "login": os.environ.get("RATE_LIMIT_LOGIN", "30/m"),
    "public": os.environ.get("RATE_LIMIT_PUBLIC", "300/m"),
}
# A login ends this long after its last request (0: only SESSION_COOKIE_AGE, counted from
# the login, applies).
SHANZHI_SESSION_IDLE_SECONDS = int(os.environ.get("SESSION_IDLE_SECONDS", str(2 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = False

# The cache holds the counters above and short-lived renderings; every server process must
# share it: Redis when there is one, else files in the data folder (one machine, which is
# what the embedded SQLite means anyway).
if os.environ.get("REDIS_URL"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": os.environ["REDIS_URL"],
                          "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "shanzhi"), "TIMEOUT": 3600}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                          "LOCATION": os.environ.get("CACHE_DIR", str(DATA_DIR / "cache")),
                          "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "shanzhi"), "TIMEOUT": 3600,
                          "OPTIONS": {"MAX_ENTRIES": 20000}}}

# Background work: Celery with Redis in production; without REDIS_URL the same tasks run
# in-process (eagerly on demand, and on the same schedule by the embedded scheduler).
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
SHANZHI_EMBEDDED_SCHEDULER = config.env_bool("SHANZHI_EMBEDDED_SCHEDULER", not REDIS_URL)

# The SLA clock's office hours and zone (core/sla.py, ADR 0003) and the channels every
# notification goes through unless its sender names others (core/notify.py: inbox, email,
# sms, wechat; the external ones do nothing until a sender is registered).
SHANZHI_WORKING_HOURS = os.environ.get("SHANZHI_WORKING_HOURS", "08:30-12:00,14:30-18:00")
SHANZHI_SLA_TIME_ZONE = os.environ.get("SHANZHI_SLA_TIME_ZONE", "") or TIME_ZONE
SHANZHI_NOTIFY_CHANNELS = config.env_list("SHANZHI_NOTIFY_CHANNELS", "inbox")

# The county this deployment serves first (division code prefix of 6 digits); the demo
# sets it, an operator may change it.
SHANZHI_DEMO = config.env_bool("SHANZHI_DEMO", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

NINJA_PAGINATION_PER_PAGE = 50
NINJA_MAX_PER_PAGE_SIZE = 200  # (django-ninja's name for the largest page_size a client may ask for)
