"""Telling the applicant member when the next move is theirs: an application returned for correction,
a letter ready to collect. Sent after the step commits (a failed send never undoes a step), once per
step (the dedup key names the transfer and the log row)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from dangjian.members.models import Member
from dangjian.members.notices import recipient_for_member
from dangjian.notifications.choices import MessageKind
from dangjian.notifications.services import notify

from . import rules
from .choices import Action, TransferState
from .models import Transfer, TransferStep

logger = logging.getLogger(__name__)


def notify_member_after(step_id: int) -> None:
    """Called on commit of a step; only steps that hand the next move to the member send anything."""
    try:
        step = TransferStep.objects.select_related("transfer", "transfer__from_org", "transfer__approver_org").get(pk=step_id)
        transfer: Transfer = step.transfer
        today = timezone.localdate()
        if step.action == Action.RETURN and step.to_state == TransferState.RETURNED:
            due = rules.step_due(TransferState.RETURNED, today) or today + timedelta(days=15)
            title = f"您的组织关系转接申请已退回修改（{step.reason}）"
            org = transfer.from_org.name
        elif step.action in (Action.ISSUE_LETTER, Action.REISSUE):
            letter = transfer.letters.filter(voided_on__isnull=True).first()
            if letter is None:
                return
            due = letter.valid_until
            title = f"您的组织关系介绍信已开具，请领取后到{transfer.external_org_name}报到"
            org = transfer.approver_org.name
        else:
            return
        member = Member.objects.get(pk=transfer.member_id)
        notify(
            recipients=[recipient_for_member(member, on=today)],
            kind=MessageKind.TRANSFER_REMINDER,
            context={"title": title[:120], "deadline": f"{due.month}月{due.day}日", "org": org},
            dedup_key=f"transfer:{transfer.pk}:step:{step.pk}",
            link=reverse("transfers:detail", args=[transfer.pk]),
        )
    except Exception:  # a notice must never break the workflow; the step is already committed
        logger.exception("transfer notice for step %s failed", step_id)
