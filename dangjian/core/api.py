"""API plumbing shared by every router: the NinjaAPI class, error shapes (STYLE.md §7), pagination.

Every error body is JSON with a Chinese message:

- 401 ``{"detail"}`` no session and no valid token;
- 403 ``{"detail"}`` the role lacks the right (``PermissionDenied("<reason>")``) or CSRF failed;
- 404 ``{"detail"}`` nonexistent *or* outside the caller's subtree (never says which);
- 422 ``{"detail", "rule", "message", "field", "errors": [{"rule", "message", "field"}]}`` for a
  broken domain rule (``RuleViolation``; ``errors`` lists every problem when a service reports
  several) and for request data that does not fit the schema (``rule`` is then empty).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError, ValidationErrorContext
from ninja.pagination import LimitOffsetPagination
from ninja.renderers import JSONRenderer
from pydantic import BaseModel

from .counting import page_total
from .rules import RuleViolation

# Request fields whose submitted value must never be echoed back in an error (PII-001/004).
_SECRET_FIELDS = {"id_number", "phone", "address", "token", "reason"}
_PARAM_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file", "payload", "filters"}

NOT_FOUND_MESSAGE = "未找到，或不在您的组织范围内。"


class ReadableJSONRenderer(JSONRenderer):
    """UTF-8 JSON with Chinese left readable (not \\uXXXX escapes)."""

    json_dumps_params = {"ensure_ascii": False}


class DangjianAPI(NinjaAPI):
    """NinjaAPI with readable Chinese JSON, and schema errors carrying each field's Chinese title."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("renderer", ReadableJSONRenderer())
        super().__init__(**kwargs)

    def validation_error_from_error_contexts(self, error_contexts: list[ValidationErrorContext]) -> ValidationError:
        errors: list[dict[str, Any]] = []
        for context in error_contexts:
            model = context.model
            for err in context.pydantic_validation_error.errors(include_url=False):
                loc = model.__ninja_flatten_map_reverse__.get(err["loc"], err["loc"])
                field = ".".join(str(p) for p in loc if str(p) not in _PARAM_SOURCES)
                errors.append(
                    {
                        "field": field,
                        "message": chinese_message(err, title=_title(model, tuple(err["loc"])), field=field),
                    }
                )
        return ValidationError(errors)


def _title(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    """The ``title`` (Chinese label) of the schema field at ``loc``, walking nested schemas."""
    current: Any = model
    title = ""
    for part in loc:
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            break
        info = fields[part]
        title = info.title or ""
        current = info.annotation
        # unwrap Optional[...] / X | None to reach a nested schema
        for arg in getattr(current, "__args__", ()) or ():
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                current = arg
    return title


def chinese_message(err: dict[str, Any], *, title: str = "", field: str = "") -> str:
    """One pydantic error as a specific Chinese sentence: which field, what is wrong, what to do."""
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    label = title or field or "请求数据"
    value = err.get("input")
    shown = "" if field.split(".")[-1] in _SECRET_FIELDS or isinstance(value, dict | list) or value is None else f"“{value}”"
    if kind == "missing":
        return f"{label}：必填，请提供该项。"
    if kind in {"int_parsing", "int_type", "int_from_float"}:
        return f"{label}：{shown}不是整数，请填写整数。"
    if kind in {"float_parsing", "float_type", "decimal_parsing"}:
        return f"{label}：{shown}不是数字。"
    if kind in {"bool_parsing", "bool_type"}:
        return f"{label}：{shown}不是是/否值，请填写 true 或 false。"
    if kind.startswith("date") and not kind.startswith("datetime"):
        return f"{label}：{shown}不是有效日期，请按 YYYY-MM-DD 填写（如 2001-07-01）。"
    if kind.startswith("datetime"):
        return f"{label}：{shown}不是有效时间，请按 ISO 8601 填写（如 2026-01-01T08:00:00+08:00）。"
    if kind in {"string_type", "string_unicode"}:
        return f"{label}：应为文本。"
    if kind == "string_too_short":
        return f"{label}：不能为空，至少{ctx.get('min_length', 1)}个字符。"
    if kind == "string_too_long":
        return f"{label}：不能超过{ctx.get('max_length')}个字符。"
    if kind == "greater_than_equal":
        return f"{label}：{shown}不能小于{ctx.get('ge')}。"
    if kind == "less_than_equal":
        return f"{label}：{shown}不能大于{ctx.get('le')}。"
    if kind == "greater_than":
        return f"{label}：{shown}应大于{ctx.get('gt')}。"
    if kind in {"enum", "literal_error"}:
        expected = str(ctx.get("expected", "")).replace("'", "").replace(" or ", "、").replace(", ", "、")
        return f"{label}：取值{shown}无效，可选值为：{expected}。"
    if kind in {"list_type", "tuple_type", "set_type"}:
        return f"{label}：应为列表。"
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        return f"{label}：应为 JSON 对象。"
    if kind == "extra_forbidden":
        return f"{label}：不认识的字段，请删除。"
    if kind == "value_error":
        return f"{label}：{ctx.get('error') or err.get('msg')}"
    return f"{label}：格式不正确（{err.get('msg', kind)}）。"


def install_error_handlers(api: NinjaAPI) -> None:
    """JSON error bodies with Chinese messages for every failure the routers can raise."""

    @api.exception_handler(RuleViolation)
    def rule_violation(request: HttpRequest, exc: RuleViolation) -> HttpResponse:
        # MemberInvalid (and any other multi-problem violation) carries .problems
        problems: list[RuleViolation] = list(getattr(exc, "problems", None) or [exc])
        return api.create_response(
            request,
            {
                "detail": exc.message,
                "rule": exc.rule_id,
                "message": exc.message,
                "field": exc.field,
                "errors": [{"rule": p.rule_id, "message": p.message, "field": p.field} for p in problems],
            },
            status=422,
        )

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return api.create_response(request, {"detail": NOT_FOUND_MESSAGE}, status=404)

    @api.exception_handler(PermissionDenied)
    def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return api.create_response(request, {"detail": str(exc) or "您的角色没有此项操作的权限。"}, status=403)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
        return api.create_response(
            request,
            {"detail": "未登录：请先登录，或在请求头中提供有效的 API 令牌（Authorization: Bearer <令牌> 或 X-API-Key: <令牌>）。"},
            status=401,
        )

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        message = str(exc)
        if exc.status_code == 400 and message.startswith("Cannot parse request body"):
            message = "请求体不是有效的 JSON，请检查格式（Content-Type: application/json）。"
        return api.create_response(request, {"detail": message}, status=exc.status_code)

    @api.exception_handler(ValidationError)
    def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = [
            {"rule": "", "message": e.get("message") or chinese_message(e), "field": e.get("field", "")}
            for e in exc.errors
            if isinstance(e, dict)
        ]
        if not errors:
            errors = [{"rule": "", "message": "请求数据格式不正确。", "field": ""}]
        first = errors[0]
        return api.create_response(
            request,
            {
                "detail": f"请求数据有误，共{len(errors)}处：" + "；".join(e["message"] for e in errors),
                "rule": "",
                "message": first["message"],
                "field": first["field"],
                "errors": errors,
            },
            status=422,
        )


def forbid(reason: str) -> PermissionDenied:
    """A 403 with a Chinese reason: ``raise forbid("…")``."""
    return PermissionDenied(reason)


class ScopedPagination(LimitOffsetPagination):
    """limit/offset over a scoped queryset; ``prepare`` turns one page of rows into output dicts.

    ``prepare`` runs once per page, so a list can look up related data for the whole page in a
    constant number of queries instead of one per row.
    """

    MAX_LIMIT = 200

    class Input(Schema):
        limit: int = Field(20, ge=1, le=200, title="每页条数", description="每页条数（1–200，默认 20）")
        offset: int = Field(0, ge=0, title="偏移量", description="跳过的条数（默认 0）")

    def __init__(self, *, prepare: Callable[[list[Any]], list[Any]] | None = None, cached_total: bool = False, **kwargs: Any) -> None:
        self.prepare = prepare
        # large registry lists (members, organisations): the total comes from core.counting's cache
        self.cached_total = cached_total
        super().__init__(max_limit=self.MAX_LIMIT, **kwargs)

    def paginate_queryset(self, queryset: QuerySet[Any], pagination: Any, request: HttpRequest, **params: Any) -> Any:
        return page_of(queryset, pagination, self.prepare, cached=self.cached_total)


def json_response(data: Any) -> HttpResponse:
    """``data`` rendered as the API renders it (UTF-8, readable Chinese, NinjaJSONEncoder for dates),
    without the response schema's validation: for hot lists whose rows are built by one tested function
    (and checked against their schema by a test), where validating 50 rows field by field costs more
    than building them."""
    body = json.dumps(data, cls=ReadableJSONRenderer.encoder_class, **ReadableJSONRenderer.json_dumps_params)
    return HttpResponse(body, content_type=f"{ReadableJSONRenderer.media_type}; charset=utf-8")


def page_of(
    queryset: QuerySet[Any], pagination: Any, prepare: Callable[[list[Any]], list[Any]] | None, *, cached: bool = True
) -> dict[str, Any]:
    """``{"items", "count"}`` of one limit/offset page (``prepare`` turns the rows into items), the total
    from ``core.counting``'s cache when ``cached``: ``ScopedPagination``'s page, and the page of views
    that render it themselves with ``json_response``."""
    offset, limit = pagination.offset, min(pagination.limit, ScopedPagination.MAX_LIMIT)
    rows = list(queryset[offset : offset + limit])
    total = page_total(queryset, offset=offset, limit=limit, rows=len(rows), cached=cached)
    return {"items": prepare(rows) if prepare else rows, "count": total}


class HistoryEventOut(Schema):
    """One entry of an object's history (organisation or member events); values are masked."""

    id: int
    at: datetime = Field(title="时间")
    actor: str = Field(title="操作人")
    action: str = Field(title="操作代码")
    action_label: str = Field(title="操作")
    before: Any = Field(title="变更前")
    after: Any = Field(title="变更后")
    comment: str = Field(title="说明")


def history_rows(events: Iterable[Any], *, action_labels: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    """Event rows (with ``actor`` select_related) as ``HistoryEventOut`` dicts."""
    labels = dict(action_labels)
    return [
        {
            "id": e.pk,
            "at": e.at,
            "actor": (getattr(e.actor, "display_name", "") or getattr(e.actor, "username", "")) if e.actor_id else "系统",
            "action": e.action,
            "action_label": labels.get(e.action, e.action),
            "before": e.before,
            "after": e.after,
            "comment": e.comment,
        }
        for e in events
    ]


def labelled(choices: Iterable[tuple[str, str]], value: str) -> str:
    """The Chinese label of a choice value ('' when blank or unknown)."""
    return dict(choices).get(value, "") if value else ""
