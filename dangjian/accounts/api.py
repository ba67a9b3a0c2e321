"""API authentication (session + CSRF, or a token) and the caller's own profile and tokens."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status
from ninja.security import APIKeyCookie, APIKeyHeader, HttpBearer
from ninja.utils import check_csrf

from dangjian.audit.services import client_ip

from . import services
from .models import ApiToken
from .scopes import build_scope

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


LAST_USED_RESOLUTION = timedelta(minutes=1)
# the token's user and, when the registry is installed, the user's member record (build_scope reads it)
TOKEN_RELATED = (
    ("user", "user__member")
    if any(f.name == "member" for f in ApiToken._meta.get_field("user").related_model._meta.get_fields())
    else ("user",)
)


def _token_user(request: HttpRequest, key: str) -> Any:
    """The active user of a live (not revoked) token; sets request.user and request.scope."""
    if not key:
        return None
    found = (
        ApiToken.objects.select_related(*TOKEN_RELATED)
        .filter(key_hash=ApiToken.hash_key(key.strip()), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if found is None:
        return None
    now = timezone.now()
    # "last used" to the minute: one write per token per minute, not one per request
    if found.last_used_at is None or now - found.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
    request.user = found.user
    request.scope = build_scope(found.user)  # type: ignore[attr-defined]
    return found.user


class TokenAuth(HttpBearer):
    """Authorization: Bearer <token>."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return _token_user(request, token)


class TokenHeaderAuth(APIKeyHeader):
    """X-API-Key: <token>, for clients that cannot set Authorization."""

    param_name = "X-API-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return _token_user(request, key or "")


class SessionAuth(APIKeyCookie):
    """The browser's login session; unsafe methods need the CSRF token (X-CSRFToken header).

    Unlike ninja's ``django_auth`` it checks CSRF only once a session user is present, so an
    anonymous call answers 401 (not 403) and a token call is not blocked by a missing cookie.
    """

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if request.method not in SAFE_METHODS and not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise HttpError(
                403,
                "CSRF 校验失败：使用登录会话调用接口修改数据时，须在请求头 X-CSRFToken 中带上 csrftoken Cookie 的值；"
                "程序对接请改用 API 令牌。",
            )
        return user


# Tokens first: a request that carries a token acts as the token's user.
api_auth = [TokenAuth(), TokenHeaderAuth(), SessionAuth()]

router = Router(tags=["账号与令牌"])


class MeOut(Schema):
    username: str
    display_name: str
    roles: dict[str, list[int]] = Field(description="角色代码 → 授予该角色的组织 id")
    member_id: int | None = Field(description="本人的党员记录 id（如有）")


class TokenOut(Schema):
    id: int
    name: str = Field(title="名称")
    prefix: str = Field(title="令牌前缀", description="令牌的前 8 个字符，用于识别")
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenIn(Schema):
    name: str = Field(title="令牌名称", min_length=1, max_length=100, description="用途说明，如“党费系统对接”")


class TokenCreatedOut(TokenOut):
    token: str = Field(title="令牌", description="完整令牌，只显示这一次；平台只保存其哈希值，请立即妥善保存")


def _token_dict(token: ApiToken) -> dict[str, Any]:
    return {f: getattr(token, f) for f in ("id", "name", "prefix", "created_at", "last_used_at", "revoked_at")}


@router.get("/me", response=MeOut, summary="当前用户及其角色")
def me(request: HttpRequest) -> dict[str, Any]:
    """当前调用者（登录会话或令牌）的用户名、姓名、各角色所在组织，以及本人的党员记录。"""
    scope = request.scope  # type: ignore[attr-defined]
    return {
        "username": request.user.username,
        "display_name": getattr(request.user, "display_name", ""),
        "roles": {k: list(v) for k, v in scope.role_org_ids.items()},
        "member_id": scope.member_id,
    }


@router.get("/tokens", response=list[TokenOut], summary="我的 API 令牌")
def list_tokens(request: HttpRequest) -> Any:
    """本人的全部令牌（含已撤销的），只显示前缀，不显示完整令牌。"""
    return ApiToken.objects.filter(user=request.user).order_by("-created_at", "-pk")


@router.post("/tokens", response={201: TokenCreatedOut}, summary="新建 API 令牌")
def create_token(request: HttpRequest, payload: TokenIn) -> Any:
    """为本人新建令牌。完整令牌只在本次响应中出现一次，平台只保存其哈希值。"""
    token, key = services.issue_api_token(user=request.user, name=payload.name, ip=client_ip(request))
    return Status(201, {**_token_dict(token), "token": key})


@router.delete("/tokens/{int:token_id}", response={204: None}, summary="撤销 API 令牌")
def revoke_token(request: HttpRequest, token_id: int) -> Any:
    """撤销本人的一个令牌；撤销后使用它的请求一律返回 401。他人的令牌返回 404。"""
    get_object_or_404(ApiToken, pk=token_id, user=request.user)
    services.revoke_api_token(actor=request.user, token_id=token_id, ip=client_ip(request))
    return Status(204, None)
