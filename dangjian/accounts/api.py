"""API authentication (session + CSRF, or bearer token) and the caller's own profile."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema
from ninja.security import APIKeyHeader, HttpBearer, django_auth

from .models import ApiToken
from .scopes import build_scope


class TokenAuth(HttpBearer):
    """Authorization: Bearer <token>."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=ApiToken.hash_key(token), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if found is None:
            return None
        ApiToken.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
        request.user = found.user
        request.scope = build_scope(found.user)  # type: ignore[attr-defined]
        return found.user


class TokenHeaderAuth(APIKeyHeader):
    """X-API-Key: <token>, for clients that cannot set Authorization."""

    param_name = "X-API-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return TokenAuth().authenticate(request, key or "")


api_auth = [django_auth, TokenAuth(), TokenHeaderAuth()]

router = Router(tags=["账号"])


class MeOut(Schema):
    username: str
    display_name: str
    roles: dict[str, list[int]]
    member_id: int | None


@router.get("/me", response=MeOut, summary="当前用户及其角色")
def me(request: HttpRequest) -> dict[str, Any]:
    scope = request.scope  # type: ignore[attr-defined]
    return {
        "username": request.user.username,
        "display_name": getattr(request.user, "display_name", ""),
        "roles": {k: list(v) for k, v in scope.role_org_ids.items()},
        "member_id": scope.member_id,
    }
