"""Server-side masks for personal data (PII-004) and a log filter that masks what slips through."""

from __future__ import annotations

import logging
import re

_ID_RE = re.compile(r"\b(\d{6})(\d{8})(\d{3}[\dXx])\b")
_PHONE_RE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
MASK_CHAR = "*"


def mask_id_number(value: str | None) -> str:
    """110105********002X: first 6 + 8 stars + last 4, hiding the birth date."""
    if not value:
        return ""
    if len(value) < 10:
        return MASK_CHAR * len(value)
    return value[:6] + MASK_CHAR * (len(value) - 10) + value[-4:]


def mask_phone(value: str | None) -> str:
    """138****1234 for mobiles; other numbers keep only their last 4 digits."""
    if not value:
        return ""
    digits = value.strip()
    if len(digits) == 11 and digits.isdigit():
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) <= 4:
        return MASK_CHAR * len(digits)
    return MASK_CHAR * (len(digits) - 4) + digits[-4:]


_ADDRESS_CUT = re.compile(r"^(.*(?:社区|村|街道|镇|乡))")


def mask_address(value: str | None) -> str:
    """Keep the address down to street/community level, hide the rest (PII-004)."""
    if not value:
        return ""
    match = _ADDRESS_CUT.match(value)
    if match and len(match.group(1)) < len(value):
        return match.group(1) + MASK_CHAR * 4
    keep = min(6, max(len(value) // 3, 1))
    return value[:keep] + MASK_CHAR * 4


def is_masked(value: str | None) -> bool:
    return bool(value) and MASK_CHAR in (value or "")


def mask_text(text: str) -> str:
    """Mask anything that looks like an ID number or mobile inside free text (logs, errors)."""
    text = _ID_RE.sub(lambda m: m.group(1) + MASK_CHAR * 8 + m.group(3)[-4:], text)
    return _PHONE_RE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)


class MaskPiiLogFilter(logging.Filter):
    """Rewrites log records so ID numbers and mobiles never reach a log file in clear."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is not ours to fix here
            return True
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
