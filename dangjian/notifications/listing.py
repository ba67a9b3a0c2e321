"""The admins' message log: messages of recipients inside the caller's subtrees, filtered.

``Message.org_path`` is the recipient's organisation path copied at creation, so the subtree filter
is the same path-range helper every scoped read uses (ADR 0004), without a join to the tree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from dangjian.core.scope import Scope, path_range, subtree_q

from .models import Message

# roles that see the message log of their subtree: those who manage its members (a branch
# secretary follows up a failed notice to his own members)
LOG_ROLES = ("district_admin", "org_admin", "branch_secretary")


def can_view_message_log(scope: Scope) -> bool:
    return scope.is_superuser or bool(scope.paths_for(*LOG_ROLES))


def messages_visible_to(scope: Scope) -> QuerySet[Message]:
    """Messages whose recipient belongs to an organisation in the caller's admin subtrees."""
    if scope.is_superuser:
        return Message.objects.all()
    return Message.objects.filter(subtree_q(list(scope.paths_for(*LOG_ROLES)), prefix="org_"))


def get_message_for(scope: Scope, pk: int) -> Message:
    """One message in the caller's subtrees, or 404 (same as one that does not exist)."""
    message = messages_visible_to(scope).filter(pk=pk).first()
    if message is None:
        raise Http404("未找到该消息")
    return message


@dataclass(frozen=True)
class MessageFilters:
    org_path: str = ""  # a subtree root the caller may see, already checked by the caller
    since: date | None = None
    until: date | None = None
    kind: str = ""
    channel: str = ""
    status: str = ""


def day_bounds(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    """Aware datetimes from the start of ``since`` to the start of the day after ``until`` (local time)."""
    zone = timezone.get_current_timezone()
    start = datetime.combine(since, time.min, tzinfo=zone) if since else None
    end = datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone) if until else None
    return start, end


def filter_messages(scope: Scope, filters: MessageFilters) -> QuerySet[Message]:
    """The message log for the filters, newest first, inside the caller's scope only."""
    qs = messages_visible_to(scope)
    if filters.org_path:
        qs = qs.filter(org_path__range=path_range(filters.org_path))
    start, end = day_bounds(filters.since, filters.until)
    if start:
        qs = qs.filter(created_at__gte=start)
    if end:
        qs = qs.filter(created_at__lt=end)
    for name in ("kind", "channel", "status"):
        value = getattr(filters, name)
        if value:
            qs = qs.filter(**{name: value})
    return qs.order_by("-created_at", "-id")
