"""Writes to accounts: API tokens (issued once, stored only as a SHA-256 hash)."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone

from dangjian.audit.models import AuditAction
from dangjian.audit.services import record_event
from dangjian.core.rules import RuleViolation

from .models import ApiToken

TOKEN_PREFIX = "dj_"


def issue_api_token(*, user: Any, name: str, ip: str | None = None) -> tuple[ApiToken, str]:
    """Create a token for ``user``; the plain key is returned once and never stored."""
    name = " ".join((name or "").split())
    if not name:
        raise RuleViolation(None, "请为令牌填写名称（如“党费系统对接”），便于日后识别和撤销。", field="name")
    if len(name) > 100:
        raise RuleViolation(None, f"令牌名称不能超过100个字符（现为{len(name)}个）。", field="name")
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, name=name, key_hash=ApiToken.hash_key(key), prefix=key[:8])
        record_event(
            actor=user,
            action=AuditAction.CREATE,
            obj=token,
            object_repr=f"API 令牌“{name}”（{token.prefix}…）",
            after={"name": name, "prefix": token.prefix},
            ip=ip,
        )
    return token, key


def revoke_api_token(*, actor: Any, token_id: int, ip: str | None = None) -> ApiToken:
    """Revoke one of the actor's own tokens; a revoked token authenticates nothing."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token_id, user=actor)
        if token.revoked_at is not None:
            raise RuleViolation(None, f"令牌“{token.name}”已于{timezone.localtime(token.revoked_at):%Y-%m-%d %H:%M}撤销。")
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record_event(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=token,
            object_repr=f"API 令牌“{token.name}”（{token.prefix}…）",
            before={"revoked_at": None},
            after={"revoked_at": token.revoked_at.isoformat()},
            reason="撤销 API 令牌",
            ip=ip,
        )
    return token
