"""Small checks shared by the SMS and WeChat providers: configuration present, mobile number usable,
and the pieces of reading delivery reports (JSON arrays, report times, carrier failure codes)."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from dangjian.core.masking import mask_text
from dangjian.notifications.provider_settings import ProviderSettings

from .base import MalformedReport, PermanentError

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


# --- delivery reports -------------------------------------------------------------------------------

# Final states of the carriers' SMS gateways (CMPP/SGIP), passed through by both SMS vendors.
OPERATOR_CODES = {
    "UNDELIV": "运营商无法投递（常见原因：停机、空号、欠费或号码已注销）",
    "EXPIRED": "超过有效期仍未送达（常见原因：手机长时间关机或不在服务区）",
    "REJECTD": "被运营商或手机拒收（可能被拦截或本人退订）",
    "DELETED": "短信被运营商删除，未送达",
    "UNKNOWN": "运营商未说明未送达的原因",
    "BLACK": "该号码在运营商黑名单中（本人曾退订）",
}
UNLISTED_CODE = "运营商报告未送达（常见原因：停机、关机、空号或拒收）"
REPORT_TIME_ZONE = ZoneInfo("Asia/Shanghai")
VENDOR_TEXT_MAX = 60


def failure_reason(code: str, vendor_text: str = "") -> str:
    """The Chinese reason shown to admins for a failed report: ours for known carrier codes, the code in brackets.

    The vendor's own text is kept when it adds something (masked: it may echo the number), cut short.
    """
    code = (code or "").strip()[:40]
    reason = OPERATOR_CODES.get(code.upper(), UNLISTED_CODE)
    text = mask_text((vendor_text or "").strip())[:VENDOR_TEXT_MAX]
    details = "：".join(part for part in (code or "无错误码", text if text and text != code else "") if part)
    return f"{reason}（{details}）；请核实手机号后重新发送"


def json_array(body: bytes, *, service: str) -> list[dict[str, Any]]:
    """The report body as a list of objects (a single object is taken as a list of one); else MalformedReport."""
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedReport(f"{service}状态报告不是合法的 JSON（UTF-8）") from exc
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise MalformedReport(f"{service}状态报告应为 JSON 数组")
    if not all(isinstance(item, dict) for item in data):
        raise MalformedReport(f"{service}状态报告的数组元素应为 JSON 对象")
    return data


def text_field(item: dict[str, Any], name: str) -> str:
    value = item.get(name)
    return "" if value is None else str(value).strip()


def report_time(value: Any) -> datetime | None:
    """A vendor's "YYYY-MM-DD HH:MM:SS" in Beijing time; None when absent or unreadable (the caller uses now)."""
    try:
        return datetime.strptime(str(value).strip(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=REPORT_TIME_ZONE)
    except (TypeError, ValueError):
        return None
