"""Site-wide views: home, health probe, Chinese error pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Admins land on their organisation tree, members on their own record."""
    scope = request.scope  # type: ignore[attr-defined]
    if scope.subtree_paths or scope.is_superuser:
        return redirect("organisations:tree")
    if scope.member_id:
        return redirect("members:me")
    return render(request, "core/home.html")


def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


def page_not_found(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return render(request, "core/404.html", status=404)


def permission_denied(request: HttpRequest, exception: Any = None) -> HttpResponse:
    reason = str(exception) if exception and str(exception) else "您的角色没有此项操作的权限。"
    return render(request, "core/403.html", {"reason": reason}, status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "core/500.html", {"request_id": getattr(request, "request_id", "")}, status=500)
