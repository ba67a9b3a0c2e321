"""The header's unread 站内信 count: one COUNT query per page that shows it, none for visitors."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .inbox import unread_count


def inbox(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"inbox_unread": 0}
    # lazy: a response that never renders the header runs no query
    return {"inbox_unread": SimpleLazyObject(lambda: unread_count(user_id=user.pk))}
