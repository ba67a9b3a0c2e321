"""Base settings, parsed strictly from the environment (STACK.md §3).

A bad value stops start-up and names the variable. Without any variable set, this is the embedded
development install: SQLite file in the project root, LocMemCache, inline tasks, demo keys.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean variable; anything but a known spelling stops start-up."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r}: expected one of 1/0, true/false, yes/no, on/off")


DEBUG = env_bool("DJANGO_DEBUG", True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off")
    SECRET_KEY = "dev-only-insecure-key-dangjian-do-not-use-in-production"

_hosts = os.environ.get("DJANGO_ALLOWED_HOSTS", "")
if _hosts:
    ALLOWED_HOSTS = [h.strip() for h in _hosts.split(",") if h.strip()]
elif DEBUG:
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"]
else:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS is required when DJANGO_DEBUG is off")

# Field encryption keys (ADR 0007). FIELD_KEYS="1:<base64 16 bytes>,2:<base64 16 bytes>"; the
# highest id encrypts, all ids decrypt. BLIND_INDEX_KEY is base64 of >= 16 bytes.
_DEMO_FIELD_KEYS = "1:ZGFuZ2ppYW4tZGVtby1rMQ=="  # "dangjian-demo-k1", 16 bytes
_DEMO_BLIND_KEY = "ZGFuZ2ppYW4tZGVtby1ibGluZC1pbmRleC1rZXk="
FIELD_KEYS = os.environ.get("FIELD_KEYS", "")
BLIND_INDEX_KEY = os.environ.get("BLIND_INDEX_KEY", "")
if not FIELD_KEYS or not BLIND_INDEX_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("FIELD_KEYS and BLIND_INDEX_KEY are required when DJANGO_DEBUG is off")
    FIELD_KEYS = FIELD_KEYS or _DEMO_FIELD_KEYS
    BLIND_INDEX_KEY = BLIND_INDEX_KEY or _DEMO_BLIND_KEY

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "treebeard",
    "django_htmx",
    "axes",
    "ninja",
    "dangjian.core",
    "dangjian.audit",
    "dangjian.notifications",
    "dangjian.organisations",
    "dangjian.accounts",
    "dangjian.members",
    "dangjian.venues",
    "dangjian.meetings",
    "dangjian.transfers",
    "dangjian.recruitment",
    "dangjian.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "dangjian.core.middleware.RequestIdMiddleware",
    "dangjian.accounts.middleware.ScopeMiddleware",
    "dangjian.accounts.middleware.LoginRequiredExceptApiMiddleware",
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
        "DIRS": [BASE_DIR / "dangjian" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dangjian.accounts.context_processors.ui",
                "dangjian.notifications.context_processors.inbox",
            ],
        },
    },
]

# Database: SQLite file by default (WAL, IMMEDIATE); PostgreSQL via DATABASE_URL.
_database_url = os.environ.get("DATABASE_URL", "")
if _database_url:
    try:
        DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
    except Exception as exc:  # dj_database_url raises several kinds
        raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from exc
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {
                # IMMEDIATE makes check-then-insert race-free on SQLite (STACK.md §5).
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Channel providers (docs/notifications.md). SMS_PROVIDER unset → console: the embedded install sends
# nothing anywhere. dangjian.notifications.provider_settings.validate() checks these at start-up.
SMS_PROVIDER = os.environ.get("SMS_PROVIDER", "").strip().lower() or "console"
ALIYUN_ACCESS_KEY_ID = os.environ.get("ALIYUN_ACCESS_KEY_ID", "").strip()
ALIYUN_ACCESS_KEY_SECRET = os.environ.get("ALIYUN_ACCESS_KEY_SECRET", "").strip()
ALIYUN_SMS_SIGN_NAME = os.environ.get("ALIYUN_SMS_SIGN_NAME", "").strip()
ALIYUN_SMS_ENDPOINT = os.environ.get("ALIYUN_SMS_ENDPOINT", "").strip() or "https://dysmsapi.aliyuncs.com/"
TENCENT_SECRET_ID = os.environ.get("TENCENT_SECRET_ID", "").strip()
TENCENT_SECRET_KEY = os.environ.get("TENCENT_SECRET_KEY", "").strip()
TENCENT_SMS_APP_ID = os.environ.get("TENCENT_SMS_APP_ID", "").strip()
TENCENT_SMS_SIGN_NAME = os.environ.get("TENCENT_SMS_SIGN_NAME", "").strip()
TENCENT_SMS_REGION = os.environ.get("TENCENT_SMS_REGION", "").strip() or "ap-guangzhou"
TENCENT_SMS_ENDPOINT = os.environ.get("TENCENT_SMS_ENDPOINT", "").strip() or "https://sms.tencentcloudapi.com"
WECHAT_APP_ID = os.environ.get("WECHAT_APP_ID", "").strip()
WECHAT_APP_SECRET = os.environ.get("WECHAT_APP_SECRET", "").strip()
WECHAT_API_BASE = os.environ.get("WECHAT_API_BASE", "").strip() or "https://api.weixin.qq.com"

# Delivery reports from the SMS vendors and WeChat (docs/notifications.md §9). Unset: the callback
# URLs answer 404.
SMS_CALLBACK_TOKEN = os.environ.get("SMS_CALLBACK_TOKEN", "").strip()
WECHAT_SERVER_TOKEN = os.environ.get("WECHAT_SERVER_TOKEN", "").strip()  # 令牌 in the official account's 服务器配置

# Background jobs (STACK.md §7, docs/notifications.md). With CELERY_BROKER_URL: workers + exactly one
# beat. Without: tasks run inline (eager) and the embedded scheduler inside runserver replaces beat.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "").strip()
if CELERY_BROKER_URL:
    if not CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        raise ImproperlyConfigured("CELERY_BROKER_URL: expected a Redis URL such as redis://127.0.0.1:6379/1")
    CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", "").strip() or CELERY_BROKER_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CELERY_BROKER_URL = "memory://"  # never used: every task runs inline
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_TASK_ACKS_LATE = True  # a worker that dies mid-task leaves it for another; the tasks are idempotent
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_RESULT_EXPIRES = 24 * 3600
# the daily jobs: name -> "module.function(*, day) -> dict"; run by beat at DAILY_JOBS_AT (local time)
DAILY_JOBS = {"political_birthday": "dangjian.members.birthdays.send_political_birthdays"}
DAILY_JOBS_AT = "07:30"
CELERY_BEAT_SCHEDULE = {
    "notifications-dispatch-due": {"task": "notifications.dispatch_due", "schedule": 60.0},
    "notifications-daily-jobs": {
        "task": "notifications.run_daily_jobs",
        "schedule": crontab(hour=int(DAILY_JOBS_AT[:2]), minute=int(DAILY_JOBS_AT[3:])),
    },
}
# the in-process scheduler of the embedded install (runserver without a broker); on with DEBUG
EMBEDDED_SCHEDULER = env_bool("EMBEDDED_SCHEDULER", DEBUG)

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Lockout (django-axes): 5 failures per username+IP lock for 30 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# the layout CSS lives in dangjian/static (no app owns it), so the finders must be told
STATICFILES_DIRS = [BASE_DIR / "dangjian" / "static"]
MEDIA_ROOT = BASE_DIR / "media"
MEDIA_URL = "media/"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
IMPORT_MAX_BYTES = 10 * 1024 * 1024
IMPORT_MAX_ROWS = 20000

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_pii": {"()": "dangjian.core.masking.MaskPiiLogFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["mask_pii"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
