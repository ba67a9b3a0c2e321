"""Channel providers behind one interface (``base.Provider``), chosen from settings by ``get_provider``.

- sms: ``SMS_PROVIDER`` = console (default, sends nothing anywhere) | aliyun | tencent
- wechat: the official-account template provider when WECHAT_APP_ID and WECHAT_APP_SECRET are set, else console
- inbox: the in-app inbox (the Message row is the inbox item)
"""

from __future__ import annotations

from dangjian.notifications.choices import Channel
from dangjian.notifications.provider_settings import SMS_PROVIDERS, ProviderSettings, provider_settings

from .aliyun import AliyunSmsProvider
from .base import Outgoing, PermanentError, Provider, ProviderError, RetryableError, SendResult
from .console import ConsoleProvider
from .inbox import InboxProvider
from .tencent import TencentSmsProvider
from .wechat import WeChatTemplateProvider

__all__ = [
    "AliyunSmsProvider",
    "ConsoleProvider",
    "InboxProvider",
    "Outgoing",
    "PermanentError",
    "Provider",
    "ProviderError",
    "RetryableError",
    "SendResult",
    "TencentSmsProvider",
    "WeChatTemplateProvider",
    "get_provider",
]


class MisconfiguredProvider(Provider):
    """Stands in when SMS_PROVIDER holds an unknown value that start-up validation did not stop: every send fails, nothing crashes."""

    name = "misconfigured"

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def send(self, message: Outgoing) -> SendResult:
        raise PermanentError(self.reason)


def get_provider(channel: str, *, config: ProviderSettings | None = None) -> Provider:
    """The provider for ``channel`` ("sms", "wechat", "inbox") under the current settings."""
    config = config or provider_settings()
    if channel == Channel.SMS:
        return _sms_provider(config)
    if channel == Channel.WECHAT:
        return WeChatTemplateProvider(config) if config.wechat_configured else ConsoleProvider(channel=Channel.WECHAT)
    if channel == Channel.INBOX:
        return InboxProvider()
    raise ValueError(f"unknown notification channel {channel!r}; expected one of {', '.join(Channel.values)}")


def _sms_provider(config: ProviderSettings) -> Provider:
    if config.sms_provider == "aliyun":
        return AliyunSmsProvider(config)
    if config.sms_provider == "tencent":
        return TencentSmsProvider(config)
    if config.sms_provider == "console":
        return ConsoleProvider(channel=Channel.SMS)
    return MisconfiguredProvider(
        f"短信服务配置错误：SMS_PROVIDER={config.sms_provider!r} 不是 {'、'.join(SMS_PROVIDERS)} 之一，请修改环境变量后重启"
    )
