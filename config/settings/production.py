"""Production settings: everything required from the environment, HTTPS only."""

import os

os.environ.setdefault("DJANGO_DEBUG", "0")

from .base import *  # noqa: F403

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# One proxy (nginx, STACK.md §11) in front: the audit log takes the client address from the last
# X-Forwarded-For hop it added (audit.services.client_ip). Raise it if a load balancer sits before nginx.
TRUSTED_PROXY_COUNT = 1
