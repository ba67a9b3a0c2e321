"""seed_demo creates transfers in many states around the demo secretary's branch, and arrivals, once."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.management import call_command

from dangjian.accounts.models import User
from dangjian.accounts.scopes import build_scope
from dangjian.transfers.choices import TransferState
from dangjian.transfers.models import Arrival, Transfer, TransferStep
from dangjian.transfers.selectors import todo_for

TODAY = date(2026, 11, 28)


@pytest.mark.django_db
def test_seed_demo_creates_transfers_in_many_states_and_a_second_run_adds_nothing():
    out = io.StringIO()
    call_command("seed_demo", members=300, today=TODAY, force=True, stdout=out)
    states = set(Transfer.objects.values_list("state", flat=True))
    expected = {
        TransferState.APPLIED,
        TransferState.RETURNED,
        TransferState.BRANCH_CONFIRMED,
        TransferState.COMMITTEE_APPROVED,
        TransferState.COMPLETED,
        TransferState.LETTER_ISSUED,
        TransferState.RECEIPT_RETURNED,
        TransferState.REISSUED,
        TransferState.REFUSED,
        TransferState.WITHDRAWN,
    }
    assert expected <= states, expected - states
    assert Arrival.objects.count() == 2
    assert TransferStep.objects.count() > Transfer.objects.count()
    # the secretary and the community admin have to-dos, some overdue
    shuji = User.objects.get(username="shuji")
    items = todo_for(build_scope(shuji), TODAY)
    assert items and any(i.overdue for i in items)
    shequ = todo_for(build_scope(User.objects.get(username="shequ")), TODAY)
    assert any(i.kind == "receipt" and i.overdue for i in shequ)
    count = Transfer.objects.count()
    call_command("seed_demo", members=300, today=TODAY, force=True, stdout=io.StringIO())
    assert Transfer.objects.count() == count and Arrival.objects.count() == 2


@pytest.mark.django_db
def test_demo_accounts_open_the_transfer_pages(client):
    call_command("seed_demo", members=300, today=TODAY, force=True, stdout=io.StringIO())
    for username in ("quwei", "jiedao", "shequ", "shuji", "dangyuan", "lianluo", "jidi"):
        client.force_login(User.objects.get(username=username))
        assert client.get("/transfers/").status_code == 200, username
        assert client.get("/transfers/stats/").status_code in {200, 403}, username
        assert client.get("/transfers/list/").status_code in {200, 403}, username
        assert client.get("/transfers/apply/").status_code in {200, 403}, username
    client.force_login(User.objects.get(username="shequ"))
    page = client.get("/transfers/").content.decode()
    assert "已超时" in page and "回执逾期未回" in page
    for transfer in Transfer.objects.all():
        assert client.get(f"/transfers/{transfer.pk}/").status_code == 200
