"""公民身份号码 (GB 11643) parsing and checks: PII-005, PII-006."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")


class IdNumberError(ValueError):
    """The number is malformed; ``reason`` is a Chinese sentence naming what is wrong."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class IdNumber:
    value: str
    birth_date: date
    gender: str  # "male" or "female"


def normalise_id_number(raw: str) -> str:
    """Upper-case, without spaces (including full-width) or a leading apostrophe from Excel."""
    text = (raw or "").replace("\u3000", "").replace(" ", "").strip().lstrip("'").upper()
    # full-width digits and Ｘ as typed by some input methods
    return text.translate(str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789XX"))


def check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def parse_id_number(raw: str, *, today: date | None = None) -> IdNumber:
    """Validate structure, birth date and checksum; return the parsed number or raise."""
    value = normalise_id_number(raw)
    if len(value) == 15 and value.isdigit():
        raise IdNumberError("为15位旧号码，请填写18位公民身份号码")
    if len(value) != 18:
        raise IdNumberError(f"应为18位，实际为{len(value)}位")
    if not _SHAPE.match(value):
        raise IdNumberError("前17位须为数字，第18位须为数字或X")
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise IdNumberError(f"第7—14位出生日期{value[6:14]}不是有效日期") from None
    today = today or date.today()
    if born > today or born.year < 1850:
        raise IdNumberError(f"第7—14位出生日期{born:%Y-%m-%d}不合理")
    expected = check_digit(value[:17])
    if value[17] != expected:
        raise IdNumberError("校验位不正确")
    gender = "male" if int(value[16]) % 2 == 1 else "female"
    return IdNumber(value=value, birth_date=born, gender=gender)


def make_id_number(region: str, born: date, sequence: int) -> str:
    """Build a valid number (tests, demo data): region 6 digits, sequence 0–999 (odd = male)."""
    first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
    return first17 + check_digit(first17)
