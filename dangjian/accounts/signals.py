"""Audit of logins, failures and lockouts (security events, not domain behaviour)."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from dangjian.audit.models import AuditAction
from dangjian.audit.services import client_ip, record_event


@receiver(user_logged_in)
def on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record_event(actor=user, action=AuditAction.LOGIN, obj=user, ip=client_ip(request))


@receiver(user_logged_out)
def on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record_event(actor=user, action=AuditAction.LOGOUT, obj=user, ip=client_ip(request))


@receiver(user_login_failed)
def on_login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    record_event(
        actor=None,
        action=AuditAction.LOGIN_FAILED,
        object_type="accounts.User",
        object_repr=str(credentials.get("username", ""))[:150],
        ip=client_ip(request),
    )


@receiver(user_locked_out)
def on_lockout(sender: Any, request: Any, username: str, ip_address: str, **kwargs: Any) -> None:
    record_event(actor=None, action=AuditAction.LOCKOUT, object_type="accounts.User", object_repr=username[:150], ip=ip_address)
