"""Site-wide views: home, health probe, Chinese error pages, and the list pager every list page uses."""

from __future__ import annotations

import logging
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.functional import cached_property
from django.views.decorators.http import require_GET

from .counting import cached_count

logger = logging.getLogger(__name__)


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
    """Liveness: the process answers with valid settings (no database query; cheap enough to poll)."""
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness for the load balancer: the database answers too (503 if not)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("health check: database unavailable")
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def page_not_found(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return render(request, "core/404.html", status=404)


def permission_denied(request: HttpRequest, exception: Any = None) -> HttpResponse:
    reason = str(exception) if exception and str(exception) else "您的角色没有此项操作的权限。"
    return render(request, "core/403.html", {"reason": reason}, status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "core/500.html", {"request_id": getattr(request, "request_id", "")}, status=500)


PAGE_SIZE = 50


class CachedCountPaginator(Paginator):
    """A paginator whose total comes from ``core.counting.cached_count`` (ADR 0013)."""

    @cached_property
    def count(self) -> int:
        return cached_count(self.object_list)


def paginate(request: HttpRequest, items: Any, *, per_page: int = PAGE_SIZE, cached_total: bool = False) -> Page:
    """The requested page of an ordered queryset (50 rows), with an elided page range for the pager.

    Costs one COUNT and one SELECT whatever the table size — the COUNT from the cache of
    ``core.counting`` with ``cached_total`` (large registry lists whose writes bump its generations);
    a bad or too large ``page`` falls back to the first or last page instead of answering 404.
    """
    paginator = (CachedCountPaginator if cached_total else Paginator)(items, per_page)
    page = paginator.get_page(request.GET.get("page"))
    page.elided_range = list(paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))  # type: ignore[attr-defined]
    return page


EMPTY = "（空）"


def field_changes(
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    *,
    model: Any = None,
    labels: dict[str, str] | None = None,
    values: dict[str, dict[Any, str]] | None = None,
) -> list[tuple[str, str, str]]:
    """(Chinese field label, old, new) for a history or audit row's before/after, readable.

    Labels come from ``labels``, else the model field's verbose name; coded values from
    ``values[field]``, else the field's choices; booleans read 是/否 and empty values （空）.
    Personal data in these dicts is already masked by the services that wrote them.
    """
    before, after = before or {}, after or {}
    rows: list[tuple[str, str, str]] = []
    for key in list(dict.fromkeys([*before, *after])):
        field = _model_field(model, key)
        label = (labels or {}).get(key) or (str(field.verbose_name) if field is not None else key)
        mapping = (values or {}).get(key)
        if mapping is None and field is not None and getattr(field, "choices", None):
            mapping = {k: str(v) for k, v in field.flatchoices}
        rows.append((label, _readable(before.get(key), mapping), _readable(after.get(key), mapping)))
    return rows


def _model_field(model: Any, name: str) -> Any:
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except Exception:  # FieldDoesNotExist, or a snapshot key that is no field
        return None


def _readable(value: Any, mapping: dict[Any, str] | None) -> str:
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(_readable(v, mapping) for v in value)
    if mapping is not None and value in mapping:
        return mapping[value]
    return str(value)
