"""Patchbay settings, read from the environment (django-environ).

With nothing set, the embedded defaults run everything locally: SQLite and a filesystem Celery
broker under var/, keys generated under var/keys/. With DEBUG off, real secrets are required.
"""

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from config import local_keys

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PATCHBAY_VAR_DIR", BASE_DIR / "var"))

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=True)

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
    _required += ["UNIFIED_API_KEY", "NOTIFICATION_WEBHOOK_SECRET"]
    _missing = [name for name in _required if not env.str(name, default="").strip()]
    if _missing:
        raise ImproperlyConfigured(
            "Production settings (DEBUG=False) refuse to start without "
            + ", ".join(_missing)
            + " set in the environment. See .env.example for what each one is."
        )
    SECRET_KEY = env.str("SECRET_KEY")
    TOKEN_ENCRYPTION_KEYS = env.list("TOKEN_ENCRYPTION_KEYS")
    TOKEN_FINGERPRINT_KEY = env.str("TOKEN_FINGERPRINT_KEY")
    UNIFIED_WEBHOOK_SECRETS = env.list("UNIFIED_WEBHOOK_SECRETS", default=[])
    UNIFIED_API_KEY = env.str("UNIFIED_API_KEY")
    NOTIFICATION_WEBHOOK_SECRET = env.str("NOTIFICATION_WEBHOOK_SECRET")

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

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="patchbay@localhost")

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads no cookie: the token rides in hx-headers on <body>.
SECURE_CONTENT_TYPE_NOSNIFF = True
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "connections.middleware.RequestIdLogFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
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
        "monitoring-create-partitions": {
            "task": "monitoring.tasks.create_partitions",
            "schedule": 3600.0,
        },
    }
)
