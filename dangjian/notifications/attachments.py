"""The one attachment a study topic may carry: the generic upload check of core.uploads with the
study topic's wording (at most 10 MB; documents and pictures, checked by their first bytes)."""

from __future__ import annotations

from typing import Any

from dangjian.core.uploads import ALL_TYPES, CONTENT_TYPES, MAX_BYTES, TYPE_NAMES, allowed_text, check_upload, extension

ALLOWED_TEXT = allowed_text(ALL_TYPES)

__all__ = ["ALLOWED_TEXT", "CONTENT_TYPES", "MAX_BYTES", "TYPE_NAMES", "check_attachment", "extension"]


def check_attachment(upload: Any) -> str:
    return check_upload(upload)
