"""The daily transfer job: expiry, overdue steps, receipts and expiring letters → TRANSFER_REMINDER, once."""

from __future__ import annotations

from datetime import date

from django.utils import timezone
from freezegun import freeze_time

from dangjian.notifications.models import Message
from dangjian.transfers.choices import TransferState
from dangjian.transfers.models import Transfer
from dangjian.transfers.reminders import send_transfer_reminders

from .helpers import authority_on_street_a, place, user_with


def test_XFER_018_overdue_step_reminds_the_responsible_secretary_once(world):
    """XFER-018: applied 24 Dec, limit 7 days: nothing on 31 Dec; charlie reminded on 1 Jan; a rerun sends nothing new."""
    with freeze_time("2026-12-24 09:00"):
        place(world, TransferState.APPLIED)
    assert send_transfer_reminders(day=date(2026, 12, 31)).get("overdue", 0) == 0
    summary = send_transfer_reminders(day=date(2027, 1, 1))
    assert summary["overdue"] == 1
    messages = Message.objects.filter(kind="transfer_reminder", recipient_user=world.charlie)
    assert messages.count() == 1 and "超过办理时限" in messages.get().body
    send_transfer_reminders(day=date(2027, 1, 2))
    assert Message.objects.filter(kind="transfer_reminder", recipient_user=world.charlie).count() == 1


def test_XFER_009_letter_expiry_and_receipt_reminders_with_month_end(world):
    """XFER-009: a letter valid to 31 Jan expires on 1 Feb; receipt reminder to street A on 1 Mar (due 28 Feb)."""
    authority_on_street_a(world)
    clerk = user_with("sa_clerk", "org_admin", world.street_a)
    transfer = place(world, TransferState.LETTER_ISSUED, internal=False, valid_until=date(2027, 1, 31))
    summary = send_transfer_reminders(day=date(2027, 1, 28))
    assert summary.get("expiring") == 1  # within 7 days of expiry: the member and the committee are told
    assert Message.objects.filter(kind="transfer_reminder", recipient_member=world.dave_member).exists()
    # past its validity the receipt may still be in the post for a month: no reminder until it is late
    assert send_transfer_reminders(day=date(2027, 2, 28)).get("receipt", 0) == 0
    assert Transfer.objects.get(pk=transfer.pk).state == TransferState.LETTER_ISSUED
    assert send_transfer_reminders(day=date(2027, 3, 1))["receipt"] == 1
    assert Message.objects.filter(kind="transfer_reminder", recipient_user=clerk, title__contains="回执").exists()


def test_the_daily_job_is_declared_on_the_app():
    from django.apps import apps

    assert apps.get_app_config("transfers").daily_jobs == {"transfer_reminders": "dangjian.transfers.reminders.send_transfer_reminders"}
    assert timezone.now()


def test_the_member_is_told_when_the_next_move_is_theirs(world, django_capture_on_commit_callbacks):
    """A returned application and an issued letter each send the member one notice after commit."""
    from dangjian.transfers import services
    from dangjian.transfers.choices import Action

    from .helpers import scope_of

    transfer = place(world, TransferState.APPLIED)
    with django_capture_on_commit_callbacks(execute=True):
        services.act(
            actor=world.charlie, scope=scope_of(world.charlie), transfer_id=transfer.pk, action=Action.RETURN, reason="请补充新单位名称"
        )
    message = Message.objects.get(kind="transfer_reminder", recipient_member=world.dave_member, channel="inbox")
    assert "退回修改" in message.body and "请补充新单位名称" in message.body and "甲一社区第一网格党支部" in message.body
    with django_capture_on_commit_callbacks(execute=True):
        services.act(actor=world.dave, scope=scope_of(world.dave), transfer_id=transfer.pk, action=Action.WITHDRAW)
    assert Message.objects.filter(kind="transfer_reminder", recipient_member=world.dave_member, channel="inbox").count() == 1
