"""Reads of transfers, always from the caller's Scope: a transfer is visible to whoever sees its
sending branch or its destination, and to the member it concerns. Outside: 404."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from dangjian.core.scope import Scope, subtree_q
from dangjian.organisations.models import Organisation

from . import rules, workflow
from .choices import INTERNAL_SCOPES, OPEN_STATES, Party, TransferScope, TransferState
from .models import Arrival, Transfer, TransferLetter, TransferStep


def transfers_visible_to(scope: Scope) -> QuerySet[Transfer]:
    if scope.is_superuser:
        return Transfer.objects.all()
    paths = list(scope.subtree_paths)
    query = subtree_q(paths, prefix="from_org__") | subtree_q(paths, prefix="destination_org__")
    if scope.member_id:
        query |= Q(member_id=scope.member_id)
    return Transfer.objects.filter(query)


def with_related(qs: QuerySet[Transfer]) -> QuerySet[Transfer]:
    return qs.select_related("member", "from_org", "approver_org", "destination_org")


def get_transfer_for(scope: Scope, pk: int) -> Transfer:
    transfer = with_related(transfers_visible_to(scope)).filter(pk=pk).first()
    if transfer is None:
        raise Http404("未找到该转接记录")
    return transfer


def own_transfers(scope: Scope) -> QuerySet[Transfer]:
    if not scope.member_id:
        return Transfer.objects.none()
    return with_related(Transfer.objects.filter(member_id=scope.member_id))


def arrivals_visible_to(scope: Scope) -> QuerySet[Arrival]:
    return Arrival.objects.filter(scope.orgs_q(prefix="organisation__")).select_related("member", "organisation")


def get_arrival_for(scope: Scope, pk: int) -> Arrival:
    arrival = arrivals_visible_to(scope).filter(pk=pk).first()
    if arrival is None:
        raise Http404("未找到该转入登记")
    return arrival


def steps_of(transfer: Transfer) -> QuerySet[TransferStep]:
    return transfer.steps.select_related("organisation").all()


# --- the to-do list (XFER-018 time limits, XFER-009 receipts, letters about to expire) -------------


@dataclass
class TodoItem:
    transfer: Transfer
    what: str
    due: date | None
    overdue: bool
    kind: str  # step | receipt | expiring
    rule_text: str = ""
    letter: TransferLetter | None = None


def _local_date(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def step_todo(transfer: Transfer, today: date) -> TodoItem:
    since = _local_date(transfer.state_since)
    due = rules.step_due(transfer.state, since)
    overdue = due is not None and today > due
    _, org = workflow.responsible(transfer)
    text = ""
    if overdue and due is not None:
        text = rules.XFER_018.format(step=transfer.get_state_display(), days=(today - since).days, limit=(due - since).days)
    return TodoItem(
        transfer=transfer, what=f"{transfer.get_state_display()}（{org}）", due=due, overdue=overdue, kind="step", rule_text=text
    )


def letter_todos(transfer: Transfer, letter: TransferLetter, today: date) -> list[TodoItem]:
    items: list[TodoItem] = []
    if letter.receipt_returned_on is not None:
        return items
    due = rules.receipt_due(letter.valid_until)
    if today > due:
        text = rules.XFER_009.format(number=letter.number, valid_until=f"{letter.valid_until:%Y年%m月%d日}", due=f"{due:%Y年%m月%d日}")
        items.append(TodoItem(transfer, f"回执逾期未回（介绍信{letter.number}）", due, True, "receipt", text, letter))
    elif today <= letter.valid_until <= today + timedelta(days=rules.EXPIRY_WARNING_DAYS):
        items.append(
            TodoItem(
                transfer, f"介绍信{letter.number}将于{letter.valid_until:%m月%d日}到期", letter.valid_until, False, "expiring", "", letter
            )
        )
    elif letter.valid_until < today:
        items.append(TodoItem(transfer, f"介绍信{letter.number}已过有效期，回执未回", due, False, "receipt", "", letter))
    return items


def todo_for(scope: Scope, today: date) -> list[TodoItem]:
    """Steps waiting for an organisation the caller acts for, with overdue marks; letters to watch."""
    candidates = with_related(transfers_visible_to(scope) | _approving(scope)).filter(state__in=OPEN_STATES).distinct()
    items: list[TodoItem] = []
    for transfer in candidates.order_by("state_since"):
        parties = workflow.parties_of(scope, transfer)
        party, _ = workflow.responsible(transfer)
        if transfer.state in (TransferState.LETTER_ISSUED, TransferState.REISSUED):
            if Party.COMMITTEE in parties:
                letter = transfer.letters.filter(voided_on__isnull=True).first()
                if letter is not None:
                    items.extend(letter_todos(transfer, letter, today))
            continue
        if party and party in parties and not (party == Party.APPLICANT and scope.member_id == transfer.member_id and len(parties) == 1):
            items.append(step_todo(transfer, today))
    items.sort(key=lambda i: (not i.overdue, i.due or date.max))
    return items


def _approving(scope: Scope) -> QuerySet[Transfer]:
    ids: list[int] = []
    for role in workflow.COMMITTEE_ROLES:
        ids.extend(scope.role_org_ids.get(role, ()))
    return Transfer.objects.filter(approver_org_id__in=ids)


# --- counts (point 6, STAT-006/STAT-007) ------------------------------------------------------------


@dataclass
class Counts:
    org: Organisation
    start: date
    end: date
    out_by_scope: dict[str, Counter[str]] = field(default_factory=dict)
    in_by_scope: dict[str, Counter[str]] = field(default_factory=dict)
    arrivals: int = 0
    online_total: int = 0  # STAT-007
    step_days: dict[str, float] = field(default_factory=dict)
    step_samples: dict[str, int] = field(default_factory=dict)


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return datetime.combine(start, time.min, tzinfo=tz), datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz)


def counts(org: Organisation, start: date, end: date) -> Counts:
    """Transfers applied in [start, end] out of / into ``org``'s subtree by kind and state; STAT-007
    (reaching completed or letter_issued in the period, revoked excluded, either side in the subtree,
    plus arrivals registered in the period); average days per step from the transition log."""
    lo, hi = _bounds(start, end)
    result = Counts(org=org, start=start, end=end)
    result.out_by_scope = out_counts(org, start, end)
    inbound = Transfer.objects.filter(applied_at__gte=lo, applied_at__lt=hi).filter(subtree_q([org.path], prefix="destination_org__"))
    for scope_value, state in inbound.exclude(subtree_q([org.path], prefix="from_org__")).values_list("scope", "state"):
        result.in_by_scope.setdefault(scope_value, Counter())[state] += 1
    result.arrivals = arrival_count(org, start, end)
    result.online_total = online_transfer_count(org, start, end, arrivals=result.arrivals)
    applied = Transfer.objects.filter(subtree_q([org.path], prefix="from_org__"), applied_at__gte=lo, applied_at__lt=hi)
    result.step_days, result.step_samples = step_durations(applied)
    return result


def out_counts(org: Organisation, start: date, end: date) -> dict[str, Counter[str]]:
    """Transfers applied in the period out of ``org``'s subtree: kind -> state -> number (one GROUP BY)."""
    lo, hi = _bounds(start, end)
    rows = (
        Transfer.objects.filter(subtree_q([org.path], prefix="from_org__"), applied_at__gte=lo, applied_at__lt=hi)
        .values_list("scope", "state")
        .annotate(n=Count("id"))
        .order_by()
    )
    out: dict[str, Counter[str]] = {}
    for scope_value, state, n in rows:
        out.setdefault(scope_value, Counter())[state] += n
    return out


def arrival_count(org: Organisation, start: date, end: date) -> int:
    return Arrival.objects.filter(subtree_q([org.path], prefix="organisation__"), arrived_on__gte=start, arrived_on__lte=end).count()


def step_durations(transfers: QuerySet[Transfer]) -> tuple[dict[str, float], dict[str, int]]:
    """Average days each state lasted (from entering it to the next logged step), over ``transfers``."""
    totals: dict[str, float] = defaultdict(float)
    samples: dict[str, int] = defaultdict(int)
    previous: dict[int, tuple[str, datetime]] = {}
    for transfer_id, to_state, at in (
        TransferStep.objects.filter(transfer__in=transfers).order_by("transfer_id", "at", "id").values_list("transfer_id", "to_state", "at")
    ):
        if transfer_id in previous:
            state, since = previous[transfer_id]
            totals[state] += (at - since).total_seconds() / 86400
            samples[state] += 1
        previous[transfer_id] = (to_state, at)
    return {k: round(totals[k] / samples[k], 1) for k in totals}, dict(samples)


def online_transfer_count(org: Organisation, start: date, end: date, *, arrivals: int | None = None) -> int:
    """STAT-007 在线接转组织关系X人次 for ``org``'s subtree and the period: transfers that reached
    completed or letter_issued in it (one each, revoked excluded, either side in the subtree) plus
    arrivals registered with a paper letter."""
    lo, hi = _bounds(start, end)
    touching = subtree_q([org.path], prefix="from_org__") | subtree_q([org.path], prefix="destination_org__")
    online = Transfer.objects.filter(touching, done_at__gte=lo, done_at__lt=hi).exclude(state=TransferState.REVOKED).count()
    return online + (arrival_count(org, start, end) if arrivals is None else arrivals)


INTERNAL = tuple(str(s) for s in INTERNAL_SCOPES)
SCOPE_LABELS = dict(TransferScope.choices)
