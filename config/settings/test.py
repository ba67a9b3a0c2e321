"""Test settings: fast hasher, demo keys, no lockout surprises between tests."""

from .base import *  # noqa: F403
from .base import DATABASES

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # pytest-django makes an in-memory test database; the file name here is never written.
    DATABASES["default"]["TEST"] = {"NAME": None}
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = 0

# tasks run inline in tests, broker or not (the real-worker test switches this off for itself);
# no embedded scheduler thread
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
EMBEDDED_SCHEDULER = False

# vendor keys in a developer's environment never reach a vendor from the tests
SMS_PROVIDER = "console"
WECHAT_APP_ID = WECHAT_APP_SECRET = ""
