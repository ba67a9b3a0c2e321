"""Races (issue 6): two accepts at once → one move, one refusal; two applications at once → one transfer.

Marked postgres: run with DATABASE_URL=postgres://… (SQLite serialises writers with IMMEDIATE
transactions, so the race cannot happen there; the double-click test in test_rules covers it).
"""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connection

from dangjian.core.rules import RuleViolation
from dangjian.members.models import Member, MemberEvent
from dangjian.transfers import services
from dangjian.transfers.choices import Action, TransferState
from dangjian.transfers.models import Transfer, TransferStep

from .helpers import authority_on_street_a, place, scope_of


def _race(n: int, attempt) -> tuple[list[object], list[str]]:
    gate = threading.Barrier(n)
    wins: list[object] = []
    refusals: list[str] = []

    def run(i: int) -> None:
        gate.wait()
        try:
            wins.append(attempt(i))
        except RuleViolation as exc:
            refusals.append(exc.message)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return wins, refusals


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_XFER_006_two_accepts_in_parallel_move_the_member_once(world):
    """XFER-006: frank and alice accept the same transfer at the same moment: one move, one refusal."""
    authority_on_street_a(world)
    transfer = place(world, TransferState.COMMITTEE_APPROVED)
    people = [world.frank, world.alice]
    wins, refusals = _race(
        2, lambda i: services.act(actor=people[i], scope=scope_of(people[i]), transfer_id=transfer.pk, action=Action.ACCEPT)
    )
    assert len(wins) == 1 and len(refusals) == 1, (wins, refusals)
    assert Transfer.objects.get(pk=transfer.pk).state == TransferState.COMPLETED
    assert Member.objects.get(pk=world.dave_member.pk).organisation_id == world.branch_b1_1.pk
    assert MemberEvent.objects.filter(member=world.dave_member, comment__contains="组织关系转接至").count() == 1
    assert TransferStep.objects.filter(transfer=transfer, action=Action.ACCEPT).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_XFER_006_parallel_applications_make_one_open_transfer(world):
    """XFER-006: the member and the secretary apply at once: one transfer, one refusal."""
    people = [world.dave, world.charlie]
    values = {"destination_org": world.branch_a1_2, "reason": "搬家", "dues_paid_up_to": date(2026, 10, 1)}
    wins, refusals = _race(
        2,
        lambda i: services.apply(
            actor=people[i], scope=scope_of(people[i]), member_id=world.dave_member.pk, values=dict(values), today=date(2026, 11, 20)
        ),
    )
    assert len(wins) == 1 and len(refusals) == 1
    assert Transfer.objects.filter(member=world.dave_member).count() == 1
