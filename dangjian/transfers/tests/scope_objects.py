"""Objects for the isolation walker (tests/test_scope_isolation.py): transfers and arrivals under
branch B1-1 (outside charlie's and bob's subtrees) and under branch A1-1 (inside)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone

from dangjian.transfers.choices import OUT_CODES, TransferScope, TransferState
from dangjian.transfers.models import Arrival, Transfer, TransferLetter

KWARG_KINDS = {
    ("transfers", "pk"): "transfer",
    ("transfers", "arrival_pk"): "arrival",
    ("api", "transfer_id"): "transfer",
}


def _transfer(member: Any, from_org: Any, approver: Any, **extra: Any) -> Transfer:
    scope = extra.pop("scope", TransferScope.OTHER_PROVINCE)
    return Transfer.objects.create(
        member=member,
        from_org=from_org,
        approver_org=approver,
        scope=scope,
        change_type_code=OUT_CODES[scope],
        reason="工作调动",
        dues_paid_up_to=date(2026, 10, 1),
        state_since=timezone.now(),
        **extra,
    )


def build(world: Any) -> dict[str, tuple[list[int], int]]:
    # outside: a B1-1 member leaving the district with a letter (nothing of it touches street A)
    outside = _transfer(
        world.b1_1_members[1],
        world.branch_b1_1,
        world.community_b1,
        external_org_name="外省某市某街道党工委",
        state=TransferState.LETTER_ISSUED,
    )
    TransferLetter.objects.create(
        transfer=outside, number="ISO-B-0001", issued_on=date(2026, 11, 1), valid_days=30, valid_until=date(2026, 12, 1)
    )
    # inside: an A1-1 member moving to A1-2, within community A1
    inside = _transfer(
        world.a1_1_members[1],
        world.branch_a1_1,
        world.community_a1,
        scope=TransferScope.SAME_COMMITTEE,
        destination_org=world.branch_a1_2,
        state=TransferState.APPLIED,
    )
    arrivals = {
        side: Arrival.objects.create(
            member=member,
            organisation=org,
            letter_number=f"ISO-{side}",
            from_org_name="外省某市某区某社区党委",
            scope="other_province",
            change_type_code="141",
            arrived_on=date(2026, 11, 1),
        )
        for side, member, org in (("B", world.b1_1_members[2], world.branch_b1_1), ("A", world.a1_1_members[2], world.branch_a1_1))
    }
    return {"transfer": ([outside.pk], inside.pk), "arrival": ([arrivals["B"].pk], arrivals["A"].pk)}
