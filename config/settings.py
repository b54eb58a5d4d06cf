"""Patchbay settings, read from the environment (django-environ).

DEBUG is off unless the environment turns it on (`make run`, `make test` and the benchmarks do).
With DEBUG on, the embedded defaults run everything locally: SQLite and a filesystem Celery broker
under var/, keys generated under var/keys/. With DEBUG off, real secrets are required, and every
secret and key is checked as the settings load (config/environment.py).
"""

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from kombu import Exchange, Queue

from config import environment, local_keys

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PATCHBAY_VAR_DIR", BASE_DIR / "var"))

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="") or local_keys.local_secret_key(VAR_DIR)
    TOKEN_ENCRYPTION_KEYS = env.list("TOKEN_ENCRYPTION_KEYS", default=[]) or [
        local_keys.local_encryption_keys(VAR_DIR)
    ]
    TOKEN_FINGERPRINT_KEY = env.str(
        "TOKEN_FINGERPRINT_KEY", default=""
    ) or local_keys.local_fingerprint_key(VAR_DIR)
    UNIFIED_WEBHOOK_SECRETS = env.list("UNIFIED_WEBHOOK_SECRETS", default=[]) or [
        local_keys.local_webhook_secret(VAR_DIR)
    ]
    UNIFIED_API_KEY = env.str("UNIFIED_API_KEY", default="") or local_keys.local_unified_api_key(
        VAR_DIR
    )
    NOTIFICATION_WEBHOOK_SECRET = env.str(
        "NOTIFICATION_WEBHOOK_SECRET", default=""
    ) or local_keys.local_notification_webhook_secret(VAR_DIR)
else:
    _required = ["SECRET_KEY", "TOKEN_ENCRYPTION_KEYS", "TOKEN_FINGERPRINT_KEY", "ALLOWED_HOSTS"]
    _required += ["UNIFIED_API_KEY", "NOTIFICATION_WEBHOOK_SECRET", "UNIFIED_WEBHOOK_SECRETS"]
    _missing = [name for name in _required if not env.str(name, default="").strip(" ,")]
    if _missing:
        raise ImproperlyConfigured(
            "Production settings (DEBUG=False) refuse to start without "
            + ", ".join(_missing)
            + " set in the environment. See .env.example for what each one is."
        )
    SECRET_KEY = env.str("SECRET_KEY")
    TOKEN_ENCRYPTION_KEYS = [key for key in env.list("TOKEN_ENCRYPTION_KEYS") if key.strip()]
    TOKEN_FINGERPRINT_KEY = env.str("TOKEN_FINGERPRINT_KEY")
    UNIFIED_WEBHOOK_SECRETS = [key for key in env.list("UNIFIED_WEBHOOK_SECRETS") if key.strip()]
    UNIFIED_API_KEY = env.str("UNIFIED_API_KEY")
    NOTIFICATION_WEBHOOK_SECRET = env.str("NOTIFICATION_WEBHOOK_SECRET")

# Whoever gave them (the environment or var/keys/), the secrets are sound or nothing starts.
environment.check_secret_key("SECRET_KEY", SECRET_KEY)
environment.check_fernet_keys("TOKEN_ENCRYPTION_KEYS", TOKEN_ENCRYPTION_KEYS)
environment.check_min_length("TOKEN_FINGERPRINT_KEY", TOKEN_FINGERPRINT_KEY, 32)
environment.check_min_length("UNIFIED_API_KEY", UNIFIED_API_KEY, 16)
for _secret in UNIFIED_WEBHOOK_SECRETS:
    environment.check_webhook_secret("UNIFIED_WEBHOOK_SECRETS", _secret)
environment.check_webhook_secret("NOTIFICATION_WEBHOOK_SECRET", NOTIFICATION_WEBHOOK_SECRET)

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "axes",
    "connections",
    "monitoring",
    "mappings",
    "sandbox",
]

MIDDLEWARE = [
    "connections.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "connections.middleware.ContentSecurityPolicyMiddleware",
    "connections.input_guard.MalformedInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "connections.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'patchbay.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web process, worker and sandbox share the file; IMMEDIATE
    # transactions take the write lock up front, so a writer waits out the timeout instead of
    # failing at once with "database is locked" when a read turns into a write.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env.bool(
    "DATABASE_POOL", default=False
):
    # A psycopg pool per process: a threaded server (the sandbox upstream) otherwise opens a
    # new PostgreSQL connection for every request.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 2,
        "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=20),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "connections.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_SENSITIVE_PARAMETERS = ["password", "token", "credentials"]
# The client's address as the audit trail takes it, through the trusted proxies if any.
AXES_CLIENT_IP_CALLABLE = "connections.actors.client_ip"
AXES_USERNAME_CALLABLE = "connections.actors.login_username"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default="") or VAR_DIR / "staticfiles")
# WhiteNoise serves what collectstatic gathered: with DEBUG off, under content-hashed names with
# a year's immutable caching, pre-compressed (gzip and Brotli). With DEBUG on, from the sources.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
# Files served at the site's root, such as the /favicon.ico browsers ask for unprompted.
WHITENOISE_ROOT = BASE_DIR / "static" / "root"

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="patchbay@localhost")

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads no cookie: the token rides in hx-headers on <body>.
SECURE_CONTENT_TYPE_NOSNIFF = True
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Behind a TLS-terminating reverse proxy (README, "Running it in production").
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
environment.check_origins("CSRF_TRUSTED_ORIGINS", CSRF_TRUSTED_ORIGINS)
# Only when a proxy sets them: X-Forwarded-Proto says https was used, and X-Forwarded-For holds
# the client's address TRUSTED_PROXY_COUNT entries from its end (connections/actors.py).
TRUST_PROXY_HEADERS = env.bool("TRUST_PROXY_HEADERS", default=False)
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1)
environment.check_positive("TRUSTED_PROXY_COUNT", TRUSTED_PROXY_COUNT)
if TRUST_PROXY_HEADERS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
# Preloading is a promise about the whole domain that is slow to take back, so it is the
# operator's to make; until then Django's reminder about it (W021) is not a warning here.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
# Django's CSRF failure page carries an inline <style>, which the policy below blocks.
CSRF_FAILURE_VIEW = "connections.input_guard.csrf_failure"

# Content-Security-Policy (django-csp): no inline script or style, no eval (htmx runs with
# allowEval off, templates/base.html), nothing framed, forms post only here. A reconnect's form
# is redirected on to the upstream's sign-in page, and form-action holds redirects too: the
# middleware (connections/middleware.py) adds UNIFIED_API_BASE_URL's origin to it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

SANDBOX_PORT = env.int("SANDBOX_PORT", default=8100)
UNIFIED_API_BASE_URL = env.str(
    "UNIFIED_API_BASE_URL", default=f"http://127.0.0.1:{SANDBOX_PORT}/v1"
)
PATCHBAY_BASE_URL = env.str("PATCHBAY_BASE_URL", default="http://127.0.0.1:8000")
POLL_INTERVAL_SECONDS = env.int("POLL_INTERVAL_SECONDS", default=60)

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = Path(env.str("CELERY_FILESYSTEM_BROKER_DIR", default=str(VAR_DIR / "broker")))
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        # Broadcast (pidbox) exchanges, which otherwise land in ./control of the repository.
        "control_folder": str(_broker_dir / "control"),
    }
CELERY_TASK_IGNORE_RESULT = True
# Tasks a worker sends (sweep batches, notices) go to this queue; tests give each worker its own.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict = {
    "revoke-rotated-out-tokens": {
        "task": "connections.tasks.revoke_rotated_out_tokens",
        "schedule": 300.0,
    },
}
CELERY_TIMEZONE = "UTC"

# One format for web, worker and beat (config/celery.py keeps Celery from replacing it), every
# line with the request id it was logged under; LOG_FORMAT=json writes one JSON object a line.
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {LOG_FORMAT!r}.")
_LOG_FIELDS = "%(asctime)s %(levelname)s %(process)d %(name)s [%(request_id)s] %(message)s"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "connections.middleware.RequestIdLogFilter"}},
    "formatters": {
        "text": {"format": _LOG_FIELDS},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": _LOG_FIELDS.replace("[%(request_id)s]", "%(request_id)s"),
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "factory": {"level": "INFO"},
    },
}

TOKEN_ROTATION_OVERLAP_HOURS = env.int("TOKEN_ROTATION_OVERLAP_HOURS", default=24)
TOKEN_EXPIRY_WARNING_DAYS = env.int("TOKEN_EXPIRY_WARNING_DAYS", default=14)

# Monitoring (issue 3): the poller, the health state machine, retention and notifications.
UNIFIED_API_TIMEOUT_SECONDS = env.float("UNIFIED_API_TIMEOUT_SECONDS", default=10.0)
POLL_BATCH_SIZE = env.int("POLL_BATCH_SIZE", default=1000)
POLL_CONCURRENCY = env.int("POLL_CONCURRENCY", default=100)
# A batch larger than this is written in chunks of it while its calls go on (monitoring/poller.py).
POLL_WRITE_CHUNK = env.int("POLL_WRITE_CHUNK", default=250)
HEALTH_ERROR_AFTER_FAILURES = env.int("HEALTH_ERROR_AFTER_FAILURES", default=3)
# History at scale (issue 17): raw checks are kept two days, their hourly and daily rollups (what
# strips and charts draw) ninety; on PostgreSQL both live in time partitions created this many days
# ahead and dropped whole once past retention.
HEALTH_CHECK_RETENTION_HOURS = env.int("HEALTH_CHECK_RETENTION_HOURS", default=48)
ROLLUP_RETENTION_DAYS = env.int("ROLLUP_RETENTION_DAYS", default=90)
HISTORY_PARTITIONS_AHEAD_DAYS = env.int("HISTORY_PARTITIONS_AHEAD_DAYS", default=2)
ERROR_LOG_RETENTION_DAYS = env.int("ERROR_LOG_RETENTION_DAYS", default=30)
WEBHOOK_EVENT_RETENTION_DAYS = env.int("WEBHOOK_EVENT_RETENTION_DAYS", default=30)
NOTIFY_ERROR_AFTER_MINUTES = env.int("NOTIFY_ERROR_AFTER_MINUTES", default=30)
WEBHOOK_MAX_BODY_BYTES = 256 * 1024
CELERY_BEAT_SCHEDULE.update(
    {
        "monitoring-plan-sweep": {
            "task": "monitoring.tasks.plan_sweep",
            "schedule": float(POLL_INTERVAL_SECONDS),
        },
        "monitoring-notify-lasting-errors": {
            "task": "monitoring.tasks.notify_lasting_errors",
            "schedule": 300.0,
        },
        "monitoring-prune-history": {
            "task": "monitoring.tasks.prune_history",
            "schedule": 3600.0,
        },
        "monitoring-send-stuck-webhook-events": {
            "task": "monitoring.tasks.send_stuck_webhook_events",
            "schedule": 300.0,
        },
        "monitoring-create-partitions": {
            "task": "monitoring.tasks.create_partitions",
            "schedule": 3600.0,
        },
    }
)

# Tokens, audit log, reconnect links and two-factor sign-in (issue 16).
CELERY_BEAT_SCHEDULE.update(
    {
        "announce-expiring-tokens": {
            "task": "connections.tasks.announce_expiring_tokens",
            "schedule": 3600.0,
        },
        "record-expired-reconnect-links": {
            "task": "monitoring.tasks.record_expired_reconnect_links",
            "schedule": 3600.0,
        },
    }
)
# How long a reconnect link works unless its maker chooses otherwise (days).
RECONNECT_LINK_DAYS = env.int("RECONNECT_LINK_DAYS", default=7)
# Django's admin and every `|date` without a format show dates as the app's pages do.
FORMAT_MODULE_PATH = ["config.formats"]
# Two-factor sign-in (django-otp: TOTP with recovery codes). Admins and support must set it up
# when this is on; it is on in production, off by default with DEBUG so the demo logins work.
INSTALLED_APPS += [
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "django_otp.middleware.OTPMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django_otp.middleware.OTPMiddleware") + 1,
    "connections.two_factor.TwoFactorMiddleware",
)
TWO_FACTOR_REQUIRED = env.bool("TWO_FACTOR_REQUIRED", default=not DEBUG)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Patchbay")
OTP_TOTP_THROTTLE_FACTOR = 1
# Failures are cleared after the whole sign-in, second step included (connections/two_factor.py).
AXES_RESET_ON_SUCCESS = False
# Workers (issue 13): queues served in order, time limits, and the broker's visibility timeout.
# `celery -A config worker` with no flags serves every queue below, in this order (interactive
# first), and keeps one process out of sweep batches for the others (config/celery.py,
# SweepLane). Dedicated workers per queue: `celery -A config worker -Q interactive,celery` and
# `celery -A config worker -Q sweep`. A default queue other than "celery" (each test's worker
# has its own) prefixes the other two, as config.celery.route_task does.
_QUEUE_PREFIX = "" if CELERY_TASK_DEFAULT_QUEUE == "celery" else f"{CELERY_TASK_DEFAULT_QUEUE}."
CELERY_TASK_QUEUES = [
    # Each its own direct exchange and routing key: a message sent to one lands in that one.
    Queue(name, Exchange(name), routing_key=name)
    for name in (f"{_QUEUE_PREFIX}interactive", CELERY_TASK_DEFAULT_QUEUE, f"{_QUEUE_PREFIX}sweep")
]
CELERY_TASK_ROUTES = ("config.celery.route_task",)
# A worker's processes: one per core for sweeps, and one more that stays free for Check now.
CELERY_WORKER_CONCURRENCY = env.int("WORKER_CONCURRENCY", default=(os.cpu_count() or 1) + 1)
# Every task's limits unless it sets its own: a task a person waits for, a notice, a webhook.
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
# A sweep batch: its rounds of calls (each bounded by the upstream timeout) and its write.
POLL_BATCH_SOFT_TIME_LIMIT = int(
    -(-POLL_BATCH_SIZE // max(POLL_CONCURRENCY, 1)) * UNIFIED_API_TIMEOUT_SECONDS + 60
)
POLL_BATCH_TIME_LIMIT = POLL_BATCH_SOFT_TIME_LIMIT + 30
# How long a claimed batch lives without its worker's heartbeat (0: half an interval, 2-30 s).
POLL_BATCH_LEASE_SECONDS = env.float("POLL_BATCH_LEASE_SECONDS", default=0)
# Redis redelivers a message left unacknowledged this long (a worker killed mid-task). Above the
# longest hard time limit and the longest retry countdown (a countdown is held unacknowledged),
# so a task still running is never handed to a second worker. Lost sweep batches do not wait
# for it: the planner sends them again from their leases (monitoring/sweeps.py).
CELERY_BROKER_VISIBILITY_TIMEOUT = max(POLL_BATCH_TIME_LIMIT, CELERY_TASK_TIME_LIMIT, 600) + 300
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT,
        # Pop queues in CELERY_TASK_QUEUES_ORDER: interactive tasks before waiting batches.
        "queue_order_strategy": "priority",
    }
# Triage (issue 14): flap damping, reopening, incidents across connections.
# An issue resolves itself once its connection has stayed healthy this long (0: at once) ...
ISSUE_RESOLVE_AFTER_MINUTES = env.int("ISSUE_RESOLVE_AFTER_MINUTES", default=10)
# ... and a relapse this soon after resolving reopens the same issue.
ISSUE_REOPEN_WINDOW_MINUTES = env.int("ISSUE_REOPEN_WINDOW_MINUTES", default=60)
# Many connections of one system (or customer) failing the same way within the window: at
# least this many, and at least this share of all of its connections, form one incident.
INCIDENT_WINDOW_MINUTES = env.int("INCIDENT_WINDOW_MINUTES", default=10)
INCIDENT_MIN_CONNECTIONS = env.int("INCIDENT_MIN_CONNECTIONS", default=5)
INCIDENT_MIN_PERCENT = env.int("INCIDENT_MIN_PERCENT", default=30)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "connections.middleware.UserTimeZoneMiddleware",
)
