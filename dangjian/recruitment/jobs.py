"""The daily deadline job: warn the branch and its superior before a development step falls due, and
flag the overdue ones (inbox, TASK_REMINDER), once per person, step and day (dedup key)."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any, NamedTuple

from dangjian.accounts.models import RoleGrant
from dangjian.notifications.choices import Channel, MessageKind
from dangjian.notifications.recipients import Recipient
from dangjian.notifications.services import notify

from . import rules
from .choices import OPEN_STAGES
from .models import Candidate

WARN_DAYS = 7  # warn this many days before a step's due date
JOB_NAME = "development_deadlines"


class Due(NamedTuple):
    """What a reminder needs of a person: no personal data, no model instance (a tuple: thousands a day)."""

    pk: int
    name: str
    next_step: int | None
    next_due: date | None
    org_path: str
    org_name: str


def due_candidates(day: date) -> list[Due]:
    """People with a step due within WARN_DAYS or already overdue (one indexed range on next_due)."""
    rows = (
        Candidate.objects.filter(stage__in=OPEN_STAGES, next_due__isnull=False, next_due__lte=day + timedelta(days=WARN_DAYS))
        .order_by("next_due", "pk")
        .values_list("pk", "name", "next_step", "next_due", "organisation__path", "organisation__name")
    )
    return list(map(Due._make, rows))


def _responsible(paths: set[str]) -> dict[str, list[Any]]:
    """Per branch path: the users to tell — its secretaries and the org admins of the organisations above it."""
    ancestors = {p[:i] for p in paths for i in range(4, len(p) + 1, 4)}
    grants = RoleGrant.objects.filter(organisation__path__in=ancestors, role__in=("branch_secretary", "org_admin")).select_related(
        "user", "organisation"
    )
    out: dict[str, list[Any]] = {p: [] for p in paths}
    for grant in grants:
        org_path = grant.organisation.path
        for path in paths:
            own = grant.role == "branch_secretary" and org_path == path
            above = grant.role == "org_admin" and path.startswith(org_path) and path != org_path
            if (own or above) and grant.user not in out[path] and grant.user.is_active:
                out[path].append(grant.user)
    return out


def warn_deadlines(*, day: date) -> dict[str, Any]:
    """Daily job (apps.daily_jobs): one inbox reminder per person, step, recipient and day."""
    people = due_candidates(day)
    users_by_path = _responsible({c.org_path for c in people})
    counts: Counter[str] = Counter()
    for candidate in people:
        step = candidate.next_step
        if step is None or candidate.next_due is None:
            continue
        overdue = candidate.next_due < day
        task = f"{candidate.name}：第{step}步“{rules.STEPS[step].label}”{'已逾期' if overdue else '即将到期'}"
        recipients = [Recipient(name=str(u), user_id=u.pk, org_path=candidate.org_path) for u in users_by_path.get(candidate.org_path, [])]
        if not recipients:
            counts["no_recipient"] += 1
            continue
        messages = notify(
            recipients=recipients,
            kind=MessageKind.TASK_REMINDER,
            context={
                "task": task,
                "deadline": f"{candidate.next_due.month}月{candidate.next_due.day}日",
                "org": candidate.org_name,
            },
            dedup_key=f"development:{candidate.pk}:{step}:{day.isoformat()}",
            title=f"发展党员提醒：{task}",
            link=f"/development/{candidate.pk}/",
            channels=[Channel.INBOX],
        )
        counts["overdue" if overdue else "due_soon"] += 1
        counts["messages"] += len(messages)
    return {"day": day.isoformat(), "people": len(people), **counts}
