"""The message log (消息记录): every notification sent to recipients in the caller's subtrees, with the
political-birthday count (STAT-010) and a resend of failed ones.

It lives in members because its organisation filter needs the tree (organisations selectors), which
notifications may not import; the messages themselves are read through ``notifications.listing``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from dangjian.audit.services import client_ip
from dangjian.core.masking import mask_phone
from dangjian.core.rules import RuleViolation
from dangjian.core.views import paginate
from dangjian.notifications.choices import MessageStatus
from dangjian.notifications.forms import MessageFilterForm
from dangjian.notifications.listing import LOG_ROLES, MessageFilters, can_view_message_log, filter_messages, get_message_for
from dangjian.notifications.selectors import political_birthday_sms_count
from dangjian.notifications.services import resend_message
from dangjian.organisations.selectors import get_organisation_for, organisations_visible_to

NO_LOG = "消息记录仅供区委组织部、党（工）委管理员和党支部书记查看本组织及下级的发送情况；党员本人的消息请在“站内信”查看。"


def _require(allowed: bool, reason: str) -> None:
    if not allowed:
        raise PermissionDenied(reason)


def _organisations(scope: Any) -> list[tuple[int, str, str]]:
    """(pk, indented name, path) of the live organisations whose message log the caller may see."""
    rows = (
        organisations_visible_to(scope, include_dissolved=False)
        .filter(scope.orgs_q(roles=LOG_ROLES))
        .order_by("path")
        .values_list("pk", "name", "depth", "path")
    )
    return [(pk, "　" * max(depth - 1, 0) + name, path) for pk, name, depth, path in rows]


def _month_start(today: date) -> date:
    return today.replace(day=1)


@require_GET
def message_list(request: HttpRequest) -> HttpResponse:
    """Filter by subtree, date range (this month by default), kind, channel and status; 50 a page."""
    scope = request.scope  # type: ignore[attr-defined]
    _require(can_view_message_log(scope), NO_LOG)
    organisations = _organisations(scope)
    today = timezone.localdate()
    data = request.GET.copy()
    # an empty date means the default range: this month up to today
    data["since"] = data.get("since") or _month_start(today).isoformat()
    data["until"] = data.get("until") or today.isoformat()
    form = MessageFilterForm(data, organisations=[(pk, name) for pk, name, _ in organisations])
    values = form.filter_values()
    org = get_organisation_for(scope, values["org"]) if values.get("org") else None
    filters = MessageFilters(
        org_path=org.path if org else "",
        since=values.get("since") or _month_start(today),
        until=values.get("until") or today,
        kind=values.get("kind") or "",
        channel=values.get("channel") or "",
        status=values.get("status") or "",
    )
    page = paginate(request, filter_messages(scope, filters))
    rows = [{"message": m, "phone": mask_phone(m.phone) if m.phone else ""} for m in page]
    roots = [org.path] if org else ([""] if scope.is_superuser else list(scope.paths_for(*LOG_ROLES)))
    birthday_count = sum(political_birthday_sms_count(org_path=path, since=filters.since, until=filters.until) for path in roots)
    return render(
        request,
        "notifications/message_list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "org": org,
            "filters": filters,
            "birthday_count": birthday_count,
            "is_filtered": any(request.GET.get(k) for k in ("org", "kind", "channel", "status", "since", "until")),
            "failed": MessageStatus.FAILED,
        },
    )


@require_POST
def resend(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue a failed message again (attempts start over); one audit row. Outside the subtree: 404."""
    scope = request.scope  # type: ignore[attr-defined]
    message = get_message_for(scope, pk)
    try:
        resend_message(actor=request.user, message_id=message.pk, ip=client_ip(request))
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"已重新安排发送给{message.recipient_name}的{message.get_channel_display()}（{message.get_kind_display()}），"
            "免打扰时段内的短信将在时段结束后发出。",
        )
    return redirect(_back(request))


def _back(request: HttpRequest) -> str:
    """The list with the filters it was sent from (only our own query string is kept)."""
    query = QueryDict(request.POST.get("back", ""), mutable=False)
    allowed = QueryDict(mutable=True)
    for key in ("org", "since", "until", "kind", "channel", "status", "page"):
        if query.get(key):
            allowed[key] = query[key]
    url = reverse("messages:list")
    return f"{url}?{allowed.urlencode()}" if allowed else url
