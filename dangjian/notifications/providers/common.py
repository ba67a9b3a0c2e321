"""Small checks shared by the SMS and WeChat providers: configuration present, mobile number usable."""

from __future__ import annotations

import re

from dangjian.notifications.provider_settings import ProviderSettings

from .base import PermanentError

_MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_SEPARATORS = re.compile(r"[\s\-()（）]")


def require(config: ProviderSettings, *names: str, service: str) -> None:
    """PermanentError naming the missing environment variables (their values are never shown)."""
    missing = config.missing(*names)
    if missing:
        raise PermanentError(f"{service}未配置：缺少 {'、'.join(missing)}（请在服务器环境变量中设置后重新发送）")


def mainland_mobile(phone: str) -> str:
    """The 11-digit mainland mobile number, from "138 0013 8000", "+86 138…" or "0086138…"; else PermanentError."""
    digits = _SEPARATORS.sub("", phone or "")
    if not digits:
        raise PermanentError("缺少手机号：该接收人没有登记手机号，无法发送短信")
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix) :]
            break
    if not _MAINLAND_MOBILE.match(digits):
        # the number itself stays out of the reason (it is shown to admins and stored)
        raise PermanentError("手机号格式不正确：须为 11 位中国大陆手机号（1 开头），请在党员信息中更正后重新发送")
    return digits
