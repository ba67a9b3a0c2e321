"""Reading the audit log, always from a Scope."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet

from dangjian.core.scope import Scope, path_range

from .models import AuditEvent


def audit_events_visible_to(scope: Scope) -> QuerySet[AuditEvent]:
    """District admins see everything; nobody else browses the audit log."""
    if not scope.is_district_admin:
        return AuditEvent.objects.none()
    return AuditEvent.objects.select_related("actor")


def filter_audit_events(
    events: QuerySet[AuditEvent],
    *,
    action: str = "",
    actor: str = "",
    object_type: str = "",
    org_path: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEvent]:
    filters: dict[str, Any] = {}
    if action:
        filters["action"] = action
    if actor:
        filters["actor_name__icontains"] = actor
    if object_type:
        filters["object_type"] = object_type
    if org_path:
        filters["org_path__range"] = path_range(org_path)
    if since:
        filters["at__date__gte"] = since
    if until:
        filters["at__date__lte"] = until
    return events.filter(**filters)
