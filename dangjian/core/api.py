"""API plumbing shared by every router: error shapes (STYLE.md §7)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from .rules import RuleViolation


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(RuleViolation)
    def rule_violation(request: HttpRequest, exc: RuleViolation) -> HttpResponse:
        return api.create_response(request, {"rule": exc.rule_id, "message": exc.message, "field": exc.field}, status=422)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return api.create_response(request, {"detail": "未找到，或不在您的组织范围内。"}, status=404)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
        return api.create_response(request, {"detail": "请先登录或提供有效的 API 令牌。"}, status=401)

    @api.exception_handler(ValidationError)
    def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors: list[dict[str, Any]] = []
        for err in exc.errors:
            loc = [str(p) for p in err.get("loc", []) if p not in ("body", "payload", "query", "path")]
            errors.append({"field": ".".join(loc), "message": _chinese(err)})
        return api.create_response(request, {"detail": "请求数据有误。", "errors": errors}, status=422)


def _chinese(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    if kind == "missing":
        return "必填"
    if "date" in kind:
        return "日期格式应为 YYYY-MM-DD"
    if "int" in kind:
        return "应为整数"
    if "string" in kind:
        return "应为文本"
    return str(err.get("msg", "格式不正确"))
