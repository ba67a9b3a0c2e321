"""Every legal and illegal transition for every role, generated from workflow.TABLE (issue 6).

For each route (inside / outside the platform) and persona, every (state, action) pair is tried on a
transfer placed in that state: it succeeds exactly when the table has the row and the persona is the
row's party; otherwise it is refused and nothing changes. Each case runs in a rolled-back savepoint.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from dangjian.core.rules import RuleViolation
from dangjian.transfers import services, workflow
from dangjian.transfers.choices import Action, Party, TransferState
from dangjian.transfers.models import Transfer, TransferStep

from .helpers import authority_on_street_a, place, scope_of

# Who each persona is for a transfer of dave from A1-1 to branch B1-1 (or outside), approved by
# street A (which holds 审批预备党员权限 here). Written by hand, not derived from workflow.parties_of.
EXPECTED_PARTIES = {
    "dave": {Party.APPLICANT},
    "charlie": {Party.APPLICANT, Party.OUT_BRANCH},
    "bob": {Party.COMMITTEE},
    "frank": {Party.RECEIVING},  # street B admin: the destination B1-1 is in his subtree
    "alice": {Party.DISTRICT, Party.RECEIVING},
    "erin": set(),  # secretary of A1-2: no part in this transfer
    "ivan": set(),
}
EXTERNAL_PARTIES = {**EXPECTED_PARTIES, "frank": set(), "alice": {Party.DISTRICT}}


def _try(world, persona, state, action, internal):
    user = world.persona(persona)
    past = timezone.localdate() - timedelta(days=2)  # an expiry is recorded only after the letter's last day
    transfer = place(world, state, internal=internal, valid_until=past if action == Action.EXPIRE else None)
    with transaction.atomic():
        sid = transaction.savepoint()
        try:
            result = services.act(
                actor=user, scope=scope_of(user), transfer_id=transfer.pk, action=action, reason="测试理由", values={"valid_days": 30}
            )
        except RuleViolation as exc:
            transaction.savepoint_rollback(sid)
            return None, exc
        return result, None


@pytest.mark.parametrize("internal", [True, False], ids=["inside", "outside"])
@pytest.mark.parametrize("persona", sorted(EXPECTED_PARTIES))
def test_every_state_and_action_for_every_role(world, persona, internal):
    """XFER-004, XFER-005, XFER-006: legal rows succeed for their party only; everything else is refused."""
    authority_on_street_a(world)
    expected = (EXPECTED_PARTIES if internal else EXTERNAL_PARTIES)[persona]
    route = workflow.INTERNAL if internal else workflow.EXTERNAL
    checked = 0
    for state in TransferState.values:
        for action in Action.values:
            if action == Action.SUBMIT:
                continue
            row = workflow.transition_for(state, action, route)
            legal = row is not None and row.party in expected
            with transaction.atomic():
                result, error = _try(world, persona, state, action, internal)
                transfer = Transfer.objects.filter(member=world.dave_member).order_by("-pk").first()
                if legal:
                    assert error is None, f"{persona} {state}+{action}: refused: {error}"
                    assert result.state == row.next_state
                    step = TransferStep.objects.get(transfer=transfer)
                    assert (step.from_state, step.to_state, step.action) == (state, row.next_state, action)
                else:
                    assert error is not None, f"{persona} {state}+{action} ({route}) should be refused"
                    assert transfer.state == state, "a refused step changed the state"
                    assert not TransferStep.objects.filter(transfer=transfer).exists()
                transaction.set_rollback(True)
            checked += 1
    assert checked == len(TransferState.values) * (len(Action.values) - 1)


def test_the_table_has_no_duplicate_keys_and_reaches_every_state():
    keys = [(r.state, r.action, r.route) for r in workflow.TABLE]
    assert len(keys) == len(set(keys))
    for route in (workflow.INTERNAL, workflow.EXTERNAL):
        for state in {r.state for r in workflow.TABLE}:
            assert len({r.action for r in workflow.actions_from(state, route)}) == len(workflow.actions_from(state, route))
    reached = {r.next_state for r in workflow.TABLE} | {TransferState.APPLIED}
    assert reached == set(TransferState.values)
