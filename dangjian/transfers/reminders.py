"""Daily transfer job: overdue steps (XFER-018), receipts not back (XFER-009) and letters about to expire are sent as TRANSFER_REMINDER to the people of the
responsible organisation (inbox) and, for an expiring letter, to the member. One message per
condition and step: the dedup key names the transfer, the state entered and the condition, so a
rerun or a second runner sends nothing twice."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from django.db.models import Q

from dangjian.accounts.models import RoleGrant
from dangjian.members.notices import recipient_for_member
from dangjian.notifications.choices import Channel, MessageKind
from dangjian.notifications.recipients import Recipient
from dangjian.notifications.services import notify
from dangjian.organisations.choices import MEMBER_HOLDING_KINDS
from dangjian.organisations.models import Organisation

from . import rules, workflow
from .choices import OPEN_STATES, Party, TransferState
from .models import Transfer, TransferLetter
from .selectors import letter_todos, step_todo

JOB_NAME = "transfer_reminders"


def staff_of(org: Organisation) -> list[Recipient]:
    """Who acts for ``org``: its secretary (branches) or its admins (committees), inbox only."""
    roles = ["branch_secretary"] if org.kind in MEMBER_HOLDING_KINDS else ["org_admin", "district_admin"]
    grants = RoleGrant.objects.filter(organisation=org, role__in=roles).select_related("user")
    seen: dict[int, Recipient] = {}
    for grant in grants:
        user = grant.user
        if user.is_active and user.pk not in seen:
            seen[user.pk] = Recipient(
                name=user.display_name or user.username, user_id=user.pk, org_path=org.path, channel_choice="inbox_only"
            )
    return list(seen.values())


def _org_for(transfer: Transfer) -> Organisation | None:
    party, _ = workflow.responsible(transfer)
    return {
        Party.OUT_BRANCH: transfer.from_org,
        Party.APPLICANT: transfer.from_org,
        Party.COMMITTEE: transfer.approver_org,
        Party.RECEIVING: transfer.destination_org,
    }.get(party)


def send_transfer_reminders(*, day: date) -> dict[str, Any]:
    """The daily job (AppConfig.daily_jobs)."""
    sent: Counter[str] = Counter()
    open_transfers = (
        Transfer.objects.filter(state__in=OPEN_STATES)
        .select_related("member", "from_org", "approver_org", "destination_org")
        .order_by("pk")
    )
    for transfer in open_transfers:
        since = transfer.state_since.date().isoformat()
        if transfer.state in (TransferState.LETTER_ISSUED, TransferState.REISSUED, TransferState.EXPIRED):
            letter = TransferLetter.objects.filter(transfer=transfer, voided_on__isnull=True).first()
            if letter is None:
                continue
            for item in letter_todos(transfer, letter, day):
                if item.kind == "receipt" and item.overdue:
                    _send(
                        staff_of(transfer.approver_org),
                        transfer,
                        f"{letter.number}:receipt",
                        "组织关系介绍信回执逾期未回",
                        item.due,
                        transfer.approver_org.name,
                    )
                    sent["receipt"] += 1
                elif item.kind == "expiring":
                    recipients = [recipient_for_member(transfer.member, on=day)]
                    title = f"您的组织关系介绍信将于{letter.valid_until:%m月%d日}到期"
                    _send(
                        recipients,
                        transfer,
                        f"{letter.number}:expiring",
                        title,
                        letter.valid_until,
                        transfer.external_org_name,
                        channels=None,
                    )
                    _send(
                        staff_of(transfer.approver_org),
                        transfer,
                        f"{letter.number}:expiring",
                        f"{transfer.member.name}的介绍信即将到期",
                        letter.valid_until,
                        transfer.approver_org.name,
                    )
                    sent["expiring"] += 1
            continue
        item = step_todo(transfer, day)
        org = _org_for(transfer)
        if item.overdue and org is not None:
            title = f"{transfer.member.name}的组织关系转接“{transfer.get_state_display()}”已超过办理时限"
            _send(staff_of(org), transfer, f"{transfer.state}:{since}:overdue", title, day, org.name)
            sent["overdue"] += 1
    return {"day": day.isoformat(), **sent}


def _send(
    recipients: list[Recipient],
    transfer: Transfer,
    key: str,
    title: str,
    deadline: date | None,
    org: str,
    *,
    channels: list[str] | None = None,
) -> None:
    if not recipients:
        return
    deadline_text = f"{deadline.month}月{deadline.day}日" if deadline else "尽快"
    notify(
        recipients=recipients,
        kind=MessageKind.TRANSFER_REMINDER,
        context={"title": title, "deadline": deadline_text, "org": org},
        dedup_key=f"transfer:{transfer.pk}:{key}",
        link=f"/transfers/{transfer.pk}/",
        channels=channels
        if channels is not None
        else ([Channel.INBOX] if all(r.user_id and not r.member_id for r in recipients) else None),
    )


__all__ = ["Q", "rules", "send_transfer_reminders", "staff_of"]
