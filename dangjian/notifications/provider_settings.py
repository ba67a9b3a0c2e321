"""Channel provider settings, read from Django settings (which config/settings/base.py fills from the environment).

Secrets are fields with ``repr=False``: a settings object printed in a log line or a traceback never shows them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

SMS_PROVIDERS = ("console", "aliyun", "tencent")
DEFAULT_HTTP_TIMEOUT = 5.0

ALIYUN_SMS_ENDPOINT = "https://dysmsapi.aliyuncs.com/"
TENCENT_SMS_ENDPOINT = "https://sms.tencentcloudapi.com"
TENCENT_SMS_REGION = "ap-guangzhou"
WECHAT_API_BASE = "https://api.weixin.qq.com"


@dataclass(frozen=True)
class ProviderSettings:
    sms_provider: str = "console"
    aliyun_access_key_id: str = field(default="", repr=False)
    aliyun_access_key_secret: str = field(default="", repr=False)
    aliyun_sms_sign_name: str = ""
    aliyun_sms_endpoint: str = ALIYUN_SMS_ENDPOINT
    tencent_secret_id: str = field(default="", repr=False)
    tencent_secret_key: str = field(default="", repr=False)
    tencent_sms_app_id: str = ""
    tencent_sms_sign_name: str = ""
    tencent_sms_region: str = TENCENT_SMS_REGION
    tencent_sms_endpoint: str = TENCENT_SMS_ENDPOINT
    wechat_app_id: str = ""
    wechat_app_secret: str = field(default="", repr=False)
    wechat_api_base: str = WECHAT_API_BASE
    # connect and read timeout of every provider request, seconds (not an environment variable)
    http_timeout: float = DEFAULT_HTTP_TIMEOUT

    @property
    def wechat_configured(self) -> bool:
        return bool(self.wechat_app_id and self.wechat_app_secret)

    def missing(self, *names: str) -> list[str]:
        """The environment variable names (upper case) among ``names`` whose value is empty."""
        return [name for name in names if not str(getattr(self, name.lower()) or "").strip()]


def _text(name: str, default: str = "") -> str:
    value = getattr(settings, name, default)
    return default if value is None else str(value).strip()


def provider_settings() -> ProviderSettings:
    """The current provider settings; read on every call, so ``override_settings`` applies at once."""
    return ProviderSettings(
        sms_provider=(_text("SMS_PROVIDER", "console") or "console").lower(),
        aliyun_access_key_id=_text("ALIYUN_ACCESS_KEY_ID"),
        aliyun_access_key_secret=_text("ALIYUN_ACCESS_KEY_SECRET"),
        aliyun_sms_sign_name=_text("ALIYUN_SMS_SIGN_NAME"),
        aliyun_sms_endpoint=_text("ALIYUN_SMS_ENDPOINT") or ALIYUN_SMS_ENDPOINT,
        tencent_secret_id=_text("TENCENT_SECRET_ID"),
        tencent_secret_key=_text("TENCENT_SECRET_KEY"),
        tencent_sms_app_id=_text("TENCENT_SMS_APP_ID"),
        tencent_sms_sign_name=_text("TENCENT_SMS_SIGN_NAME"),
        tencent_sms_region=_text("TENCENT_SMS_REGION") or TENCENT_SMS_REGION,
        tencent_sms_endpoint=_text("TENCENT_SMS_ENDPOINT") or TENCENT_SMS_ENDPOINT,
        wechat_app_id=_text("WECHAT_APP_ID"),
        wechat_app_secret=_text("WECHAT_APP_SECRET"),
        wechat_api_base=_text("WECHAT_API_BASE") or WECHAT_API_BASE,
        http_timeout=float(getattr(settings, "NOTIFICATIONS_HTTP_TIMEOUT", DEFAULT_HTTP_TIMEOUT)),
    )


_ENDPOINTS = ("ALIYUN_SMS_ENDPOINT", "TENCENT_SMS_ENDPOINT", "WECHAT_API_BASE")


def validate(config: ProviderSettings | None = None) -> None:
    """Stop start-up on a value no provider can use, naming the variable (STACK.md §3).

    Only values that are wrong are refused; keys that are merely missing for the chosen provider are
    reported per message at send time (PermanentError), so an install without keys still starts.
    """
    config = config or provider_settings()
    if config.sms_provider not in SMS_PROVIDERS:
        raise ImproperlyConfigured(
            f"SMS_PROVIDER={config.sms_provider!r}: expected one of {', '.join(SMS_PROVIDERS)} (unset means console)"
        )
    for name in _ENDPOINTS:
        value = getattr(config, name.lower())
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ImproperlyConfigured(f"{name}={value!r}: expected an http(s) URL such as https://host/")
        if parts.query or parts.fragment:
            raise ImproperlyConfigured(f"{name}={value!r}: expected a URL without query string or fragment")
    if config.http_timeout <= 0:
        raise ImproperlyConfigured(f"NOTIFICATIONS_HTTP_TIMEOUT={config.http_timeout!r}: expected a positive number of seconds")
