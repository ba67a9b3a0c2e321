"""Normalisers used by blind indexes and imports."""

from __future__ import annotations

import re

_NON_DIGIT = re.compile(r"[^\d]")
_FULLWIDTH = str.maketrans("０１２３４５６７８９＋－（）", "0123456789+-()")


def normalise_phone(raw: str) -> str:
    """Digits only; a leading +86/86 country code dropped for mobiles."""
    digits = _NON_DIGIT.sub("", (raw or "").translate(_FULLWIDTH))
    if len(digits) == 13 and digits.startswith("86") and digits[2] == "1":
        digits = digits[2:]
    return digits
