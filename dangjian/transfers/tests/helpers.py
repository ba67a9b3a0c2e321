"""Test helpers: extra personas, a transfer placed directly in any state, and the world's approvers."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from dangjian.accounts.models import RoleGrant, User
from dangjian.accounts.scopes import build_scope
from dangjian.members.choices import ExitReason
from dangjian.members.models import Member
from dangjian.transfers.choices import LETTER_OUT_STATES, OUT_CODES, TransferScope, TransferState
from dangjian.transfers.models import Transfer, TransferLetter

PASSWORD = "Dangjian!2026"


def user_with(username: str, role: str, org: Any, display: str = "") -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, display_name=display or username)
    RoleGrant.objects.create(user=user, role=role, organisation=org)
    return user


def scope_of(user: User) -> Any:
    return build_scope(user)


def authority_on_street_a(world: Any) -> None:
    """Street A gets 审批预备党员权限 (ORG-023): it approves transfers leaving community A1."""
    world.street_a.has_approval_authority = True
    world.street_a.save(update_fields=["has_approval_authority"])


def place(
    world: Any,
    state: str,
    *,
    internal: bool = True,
    member: Member | None = None,
    destination: Any = None,
    approver: Any = None,
    valid_until: date | None = None,
) -> Transfer:
    """A transfer of ``member`` (dave) from branch A1-1 put straight into ``state``, with the member
    where that state leaves them and a live letter for the letter states."""
    member = member or world.dave_member
    dest = (destination or world.branch_b1_1) if internal else None
    scope = TransferScope.DISTRICT if internal else TransferScope.OTHER_PROVINCE
    transfer = Transfer.objects.create(
        member=member,
        from_org=world.branch_a1_1,
        approver_org=approver or world.street_a,
        scope=scope,
        change_type_code=OUT_CODES[scope],
        destination_org=dest,
        external_org_name="" if internal else "某省某市某区某街道某社区党委",
        reason="工作调动",
        dues_paid_up_to=date(2026, 10, 1),
        state=state,
        state_since=timezone.now(),
    )
    if state == TransferState.COMPLETED and dest is not None:
        Member.objects.filter(pk=member.pk).update(organisation=dest)
    if state in (*LETTER_OUT_STATES, TransferState.RECEIPT_RETURNED):
        today = timezone.localdate()
        until = valid_until or (today - timedelta(days=1) if state == TransferState.EXPIRED else today + timedelta(days=20))
        TransferLetter.objects.create(
            transfer=transfer,
            number=f"T-{transfer.pk:06d}",
            issued_on=until - timedelta(days=30),
            valid_days=30,
            valid_until=until,
        )
        Member.objects.filter(pk=member.pk).update(left_on=until - timedelta(days=30), exit_reason=ExitReason.TRANSFERRED_OUT)
    return transfer
