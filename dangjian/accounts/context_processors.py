"""Template context for the layout: large-font mode, the caller's role summary, and what the nav shows."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .choices import Role


def ui(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    large = bool(getattr(user, "large_font", False)) if user and user.is_authenticated else request.COOKIES.get("large_font") == "1"
    scope = getattr(request, "scope", None)
    role_labels: list[str] = []
    is_base_keeper = bool(scope is not None and scope.roles.get(Role.BASE_KEEPER))
    if scope is not None and user is not None and user.is_authenticated:
        role_labels = [Role(r).label for r in scope.roles if r in Role.values]
        if scope.is_superuser and not role_labels:
            role_labels = ["系统管理员"]
    return {"large_font": large, "role_labels": role_labels, "is_base_keeper": is_base_keeper}
