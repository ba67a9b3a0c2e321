"""Server-side masks for personal data (PII-004) and a log filter that masks what slips through."""

from __future__ import annotations

import logging
import re

# Not \b: Chinese characters are word characters, so "身份证号110105…" has no word boundary.
_ID_RE = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")
_PHONE_RE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
MASK_CHAR = "*"
ID_LENGTH = 18
ID_HIDDEN = 8  # PII-004: 6 + 8 + 4


def mask_id_number(value: str | None) -> str:
    """110105********002X: first 6 + 8 stars + last 4, hiding the birth date (PII-004).

    A value of another length (a typo, a legacy 15-digit number) never shows more: at least 8
    characters and at least half of it are hidden, at most 6 shown in front and 4 at the end.
    """
    if not value:
        return ""
    n = len(value)
    if n == ID_LENGTH:
        return value[:6] + MASK_CHAR * ID_HIDDEN + value[-4:]
    if n < 10:
        return MASK_CHAR * n
    hidden = max(ID_HIDDEN, n - 10, (n + 1) // 2)
    shown = n - hidden
    tail = min(4, shown // 2)
    head = shown - tail
    return value[:head] + MASK_CHAR * hidden + value[n - tail :]


def mask_phone(value: str | None) -> str:
    """138****1234 for mobiles; other numbers keep only their last 4 digits (fewer when short)."""
    if not value:
        return ""
    digits = value.strip()
    n = len(digits)
    if n == 11 and digits.isdigit():
        return f"{digits[:3]}****{digits[-4:]}"
    # at least half hidden: 8 digits and more show 4, 5-7 digits a third, 4 or fewer nothing
    tail = 4 if n >= 8 else (n // 3 if n > 4 else 0)
    return MASK_CHAR * (n - tail) + digits[n - tail :]


# Cut after the community (社区/村), else the street or town (街道/镇/乡), else the district or the
# road: "address to street/community", never the building, unit or room.
_ADDRESS_LEVELS = tuple(re.compile(rf"^(.*?(?:{words}))") for words in ("社区", "村", "街道|镇|乡", "区|县|旗", "市", "路|街|巷"))
_FIRST_DIGIT = re.compile(r"[0-9０-９]")


def mask_address(value: str | None) -> str:
    """Keep the address down to street/community level, hide the rest (PII-004)."""
    if not value:
        return ""
    value = value.strip()
    for pattern in _ADDRESS_LEVELS:
        match = pattern.match(value)
        if match and len(match.group(1)) < len(value):
            return match.group(1) + MASK_CHAR * 4
    # no level word: keep a little of the front, never a house number
    digit = _FIRST_DIGIT.search(value)
    keep = min(6, len(value) // 3, digit.start() if digit else len(value))
    return value[:keep] + MASK_CHAR * 4


def is_masked(value: str | None) -> bool:
    return bool(value) and MASK_CHAR in (value or "")


def mask_text(text: str) -> str:
    """Mask anything that looks like an ID number or mobile inside free text (logs, errors)."""
    text = _ID_RE.sub(lambda m: m.group(1) + MASK_CHAR * ID_HIDDEN + m.group(3)[-4:], text)
    return _PHONE_RE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)


class MaskPiiLogFilter(logging.Filter):
    """Rewrites log records so ID numbers and mobiles never reach a log file in clear.

    The message (with its arguments) and a traceback attached to the record are both masked.
    """

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is not ours to fix here
            return True
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        return True
