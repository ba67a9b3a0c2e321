"""Transfer rules (DOMAIN.md §6), each with its boundary case."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from freezegun import freeze_time

from dangjian.core.rules import RuleViolation
from dangjian.members.choices import MemberStatus
from dangjian.members.models import Member, MemberEvent
from dangjian.members.tests.factories import make_member
from dangjian.transfers import rules, services, workflow
from dangjian.transfers.choices import IN_CODES, OUT_CODES, Action, TransferScope, TransferState
from dangjian.transfers.models import Transfer, TransferLetter

from .helpers import authority_on_street_a, place, scope_of, user_with

TODAY = date(2026, 11, 20)


def _values(**extra):
    return {"reason": "工作调动", "dues_paid_up_to": date(2026, 10, 1), "contact_phone": "13812345678", **extra}


def _apply(world, user=None, member=None, **values):
    user = user or world.charlie
    member = member or world.dave_member
    return services.apply(actor=user, scope=scope_of(user), member_id=member.pk, values=_values(**values), today=TODAY)


def _act(world, user, transfer, action, reason="", **values):
    return services.act(actor=user, scope=scope_of(user), transfer_id=transfer.pk, action=action, reason=reason, values=values, today=TODAY)


def test_XFER_003_each_kind_maps_to_a_national_change_code_and_abroad_is_refused(world):
    """XFER-003: 241 out to another province, 251 inside it; 141/151 in; abroad is no transfer."""
    assert OUT_CODES[TransferScope.OTHER_PROVINCE] == "241"
    assert OUT_CODES[TransferScope.CITY_OTHER_DISTRICT] == "251"
    assert IN_CODES[TransferScope.OTHER_PROVINCE] == "141"
    assert IN_CODES[TransferScope.SAME_PROVINCE] == "151"
    transfer = _apply(world, external_scope=TransferScope.OTHER_PROVINCE, external_org_name="某省某市某区某街道党工委")
    assert transfer.change_type_code == "241"
    transfer.state = TransferState.WITHDRAWN
    transfer.save()
    with pytest.raises(RuleViolation) as exc:
        _apply(world, external_scope=TransferScope.ABROAD, external_org_name="某国某城市")
    assert exc.value.rule_id == "XFER-003"


def test_XFER_004_approver_is_the_committee_itself_within_one_committee(world):
    """XFER-004: inside community A1 the community approves; beyond it, the nearest committee with authority."""
    assert workflow.approver_for(world.branch_a1_1, world.branch_a1_2) == world.community_a1
    assert workflow.approver_for(world.branch_a1_1, world.branch_b1_1) == world.district  # no authority anywhere: the root
    authority_on_street_a(world)
    assert workflow.approver_for(world.branch_a1_1, world.branch_b1_1) == world.street_a
    assert workflow.approver_for(world.branch_a1_1, None) == world.street_a


def test_XFER_004_approval_by_someone_outside_the_approving_org_is_refused(world):
    """XFER-004: alice (district, above) and a community admin (below) cannot approve for street A."""
    authority_on_street_a(world)
    transfer = place(world, TransferState.BRANCH_CONFIRMED, approver=world.street_a)
    community_admin = user_with("cora", "org_admin", world.community_a1)
    for outsider in (world.alice, community_admin, world.charlie):
        with pytest.raises(RuleViolation) as exc:
            _act(world, outsider, transfer, Action.APPROVE)
        assert exc.value.rule_id == "XFER-004"
        assert "甲街道党工委" in exc.value.message
    assert _act(world, world.bob, transfer, Action.APPROVE).state == TransferState.COMMITTEE_APPROVED


def test_XFER_005_refusal_and_return_need_a_reason(world):
    """XFER-005: refusing without a reason is blocked; one character is not a reason, two are."""
    transfer = place(world, TransferState.APPLIED)
    for reason in ("", " ", "否"):
        with pytest.raises(RuleViolation) as exc:
            _act(world, world.charlie, transfer, Action.REFUSE, reason=reason)
        assert exc.value.rule_id == "XFER-005"
    assert Transfer.objects.get(pk=transfer.pk).state == TransferState.APPLIED
    assert _act(world, world.charlie, transfer, Action.RETURN, reason="地址不全").state == TransferState.RETURNED


def test_XFER_006_second_open_transfer_is_refused(world):
    """XFER-006: a second open transfer is refused; after withdrawal a new one is allowed."""
    first = _apply(world, destination_org=world.branch_a1_2)
    with pytest.raises(RuleViolation) as exc:
        _apply(world, destination_org=world.branch_b1_1)
    assert exc.value.rule_id == "XFER-006"
    _act(world, world.dave, first, Action.WITHDRAW)
    assert _apply(world, destination_org=world.branch_b1_1).state == TransferState.APPLIED


def test_XFER_006_the_database_refuses_a_second_open_transfer_too(world):
    """XFER-006: the partial unique index holds even if two applications race past the check."""
    place(world, TransferState.APPLIED)
    with pytest.raises(IntegrityError), transaction.atomic():
        place(world, TransferState.BRANCH_CONFIRMED)


def test_XFER_006_destination_equal_to_current_org_or_not_holding_members(world):
    """XFER-006 / ORG-017: the member's own branch and a committee are refused as destinations."""
    with pytest.raises(RuleViolation) as exc:
        _apply(world, destination_org=world.branch_a1_1)
    assert exc.value.rule_id == "XFER-006" and "就是" in exc.value.message
    with pytest.raises(RuleViolation) as exc:
        _apply(world, destination_org=world.community_b1)
    assert exc.value.rule_id == "XFER-006" and "社区党委" in exc.value.message
    assert not Transfer.objects.exists()


def test_ORG_017_a_group_cannot_receive_a_transfer(world):
    """ORG-017: only branch kinds hold 组织关系, so a 党小组 is no destination."""
    from dangjian.organisations.choices import OrgKind
    from dangjian.organisations.tests.factories import make_org

    group = make_org(world.branch_b1_1, "乙一第一党小组", OrgKind.PARTY_GROUP)
    with pytest.raises(RuleViolation, match="党小组"):
        _apply(world, destination_org=group)


def test_XFER_006_someone_not_a_member_of_the_out_branch_is_refused(world):
    """XFER-006: a member who left, or one of another branch, cannot be transferred out of A1-1."""
    with pytest.raises(RuleViolation) as exc:
        services.apply(
            actor=world.charlie,
            scope=scope_of(world.charlie),
            member_id=world.a1_2_members[0].pk,
            values=_values(destination_org=world.branch_b1_1),
            from_org=world.branch_a1_1,
            today=TODAY,
        )
    assert exc.value.rule_id == "XFER-006"
    Member.objects.filter(pk=world.dave_member.pk).update(left_on=date(2026, 1, 1))
    with pytest.raises(RuleViolation) as exc:
        _apply(world, destination_org=world.branch_b1_1)
    assert exc.value.rule_id == "XFER-006"


def test_XFER_007_dues_paid_up_to_is_mandatory(world):
    """XFER-007: the letter must say up to which month dues are paid."""
    with pytest.raises(RuleViolation) as exc:
        _apply(world, destination_org=world.branch_b1_1, dues_paid_up_to=None)
    assert exc.value.rule_id == "XFER-007"


def test_DUES_011_paid_up_to_is_a_month_not_beyond_the_current_one(world):
    """DUES-011: paid up to 2026-11 on 20 Nov passes; 2026-12 (advance payment) is refused."""
    with pytest.raises(RuleViolation) as exc:
        _apply(world, destination_org=world.branch_b1_1, dues_paid_up_to=date(2026, 12, 1))
    assert exc.value.rule_id == "DUES-011"
    assert _apply(world, destination_org=world.branch_b1_1, dues_paid_up_to=date(2026, 11, 1)).warnings == []


def test_XFER_011_dues_before_last_month_warn_but_save(world):
    """XFER-011: paid to 2026-10 on 20 Nov is fine; to 2026-09 is saved with a warning."""
    assert rules.dues_warning(date(2026, 10, 1), TODAY) == ""
    transfer = _apply(world, destination_org=world.branch_b1_1, dues_paid_up_to=date(2026, 9, 1))
    assert transfer.pk and "XFER-011" in transfer.warnings[0]
    # month ends: on 31 March the expected month is February
    assert rules.dues_expected(date(2027, 3, 31)) == date(2027, 2, 1)


def test_XFER_008_validity_boundary_three_calendar_months(world):
    """XFER-008: from 30 Nov 2026 the maximum runs to 28 Feb 2027 (90 days); 91 is refused."""
    assert rules.max_validity_days(date(2026, 11, 30)) == 90
    assert rules.check_validity(90, date(2026, 11, 30)) == date(2027, 2, 28)
    with pytest.raises(RuleViolation) as exc:
        rules.check_validity(91, date(2026, 11, 30))
    assert exc.value.rule_id == "XFER-008"
    assert rules.max_validity_days(date(2027, 1, 1)) == 90  # to 1 April
    assert rules.max_validity_days(date(2027, 12, 1)) == 91  # to 1 March 2028 (leap February)


def test_XFER_008_issuing_a_letter_beyond_the_maximum_is_refused_and_nothing_saved(world):
    """XFER-008: Block above maximum; the transfer stays approved, no letter, the member still on the roll."""
    authority_on_street_a(world)
    transfer = place(world, TransferState.COMMITTEE_APPROVED, internal=False)
    with pytest.raises(RuleViolation) as exc:
        _act(world, world.bob, transfer, Action.ISSUE_LETTER, valid_days=120)
    assert exc.value.rule_id == "XFER-008"
    assert Transfer.objects.get(pk=transfer.pk).state == TransferState.COMMITTEE_APPROVED
    assert not TransferLetter.objects.exists()
    assert Member.objects.get(pk=world.dave_member.pk).left_on is None
    done = _act(world, world.bob, transfer, Action.ISSUE_LETTER, valid_days=30)
    letter = done.letters.get()
    assert letter.valid_until == TODAY + timedelta(days=30)
    assert Member.objects.get(pk=world.dave_member.pk).left_on == TODAY


def test_XFER_009_receipt_due_one_month_after_expiry_with_month_ends(world):
    """XFER-009: expiry 31 Jan → receipt due 28 Feb (29 in a leap year); overdue the day after."""
    from dangjian.transfers.selectors import letter_todos

    assert rules.receipt_due(date(2027, 1, 31)) == date(2027, 2, 28)
    assert rules.receipt_due(date(2028, 1, 31)) == date(2028, 2, 29)
    transfer = place(world, TransferState.LETTER_ISSUED, internal=False, valid_until=date(2027, 1, 31))
    letter = transfer.letters.get()
    with freeze_time("2027-02-28 10:00"):
        assert not any(i.overdue for i in letter_todos(transfer, letter, timezone.localdate()))
    with freeze_time("2027-03-01 10:00"):
        items = letter_todos(transfer, letter, timezone.localdate())
        assert items and items[0].overdue and "XFER-009" in items[0].rule_text


def test_XFER_010_reissue_voids_the_old_number_and_needs_a_reason(world):
    """XFER-010: re-issue without reason is refused; with one, the old number is void and a new one live."""
    authority_on_street_a(world)
    transfer = place(world, TransferState.EXPIRED, internal=False)
    old = transfer.letters.get()
    with pytest.raises(RuleViolation) as exc:
        _act(world, world.bob, transfer, Action.REISSUE)
    assert exc.value.rule_id == "XFER-010"
    done = _act(world, world.bob, transfer, Action.REISSUE, reason="介绍信过期未报到，党支部出具证明申请补开", valid_days=30)
    assert done.state == TransferState.REISSUED
    old.refresh_from_db()
    assert old.voided_on == TODAY
    live = services.live_letter(done)
    assert live.number != old.number and live.valid_until == TODAY + timedelta(days=30)


def test_XFER_012_probationary_transfer_carries_the_probation_dates(world):
    """XFER-012 / DEV-021: a probationary member's transfer carries step-15 date and probation end."""
    member = make_member(world.branch_a1_1, "钱预备", status=MemberStatus.PROBATIONARY, join_date=date(2026, 2, 28))
    transfer = _apply(world, member=member, destination_org=world.branch_b1_1, probation_note="")
    assert transfer.is_probationary
    assert (transfer.probation_start, transfer.probation_end) == (date(2026, 2, 28), date(2027, 2, 28))
    assert not _apply(world, destination_org=world.branch_b1_1).is_probationary


def test_DEV_021_probation_end_clamps_at_month_end():
    """DEV-021: 29 Feb 2024 + 1 year = 28 Feb 2025."""
    assert rules.probation_end(date(2024, 2, 29)) == date(2025, 2, 28)


def test_XFER_018_a_step_is_overdue_the_day_after_its_limit(world, settings):
    """XFER-018: applied on 24 Dec with a 7-day limit: due 31 Dec, overdue on 1 Jan; the limit is a setting."""
    from dangjian.transfers.selectors import step_todo

    with freeze_time("2026-12-24 09:00"):
        transfer = place(world, TransferState.APPLIED)
    assert step_todo(transfer, date(2026, 12, 31)).overdue is False
    item = step_todo(transfer, date(2027, 1, 1))
    assert item.overdue and item.due == date(2026, 12, 31) and "XFER-018" in item.rule_text
    settings.TRANSFER_STEP_LIMIT_DAYS = {"applied": 3}
    assert step_todo(transfer, date(2026, 12, 28)).overdue


def test_XFER_005_sender_stays_responsible_until_the_receipt(world):
    """XFER-005: with the letter out, the approving committee tracks the receipt; recording it ends the transfer."""
    authority_on_street_a(world)
    transfer = place(world, TransferState.LETTER_ISSUED, internal=False)
    _party, org = workflow.responsible(transfer)
    assert "甲街道党工委" in org
    done = _act(world, world.bob, transfer, Action.RECORD_RECEIPT, receipt_on=TODAY, receipt_org_name="某社区党委")
    assert done.state == TransferState.RECEIPT_RETURNED
    assert workflow.responsible(done) == ("", "")


def test_XFER_006_double_click_makes_one_transition(world):
    """XFER-006: the second identical click finds the state gone and is refused; one log row."""
    transfer = place(world, TransferState.APPLIED)
    _act(world, world.charlie, transfer, Action.CONFIRM)
    with pytest.raises(services.StaleTransition):
        _act(world, world.charlie, transfer, Action.CONFIRM)
    assert transfer.steps.count() == 1


def test_completion_moves_the_member_with_history_on_both_sides(world):
    """Accepting moves the member in the same transaction; member history and audit on both sides."""
    from dangjian.audit.models import AuditEvent

    authority_on_street_a(world)
    transfer = place(world, TransferState.COMMITTEE_APPROVED)
    done = _act(world, world.frank, transfer, Action.ACCEPT)
    assert done.state == TransferState.COMPLETED and done.done_at
    member = Member.objects.get(pk=world.dave_member.pk)
    assert member.organisation == world.branch_b1_1
    assert MemberEvent.objects.filter(member=member, comment__contains="组织关系转接至").exists()
    paths = set(AuditEvent.objects.filter(object_id=str(member.pk), object_type="members.Member").values_list("org_path", flat=True))
    assert {world.branch_a1_1.path, world.branch_b1_1.path} <= paths
    # the district admin revokes: the member returns
    back = _act(world, world.alice, done, Action.REVOKE, reason="接收单位信息有误")
    assert back.state == TransferState.REVOKED
    assert Member.objects.get(pk=member.pk).organisation == world.branch_a1_1


def test_a_crash_mid_acceptance_leaves_the_member_in_the_old_org(world, monkeypatch):
    """One transaction: if the move fails after the member row changed, nothing stays changed."""
    authority_on_street_a(world)
    transfer = place(world, TransferState.COMMITTEE_APPROVED)

    def boom(*args, **kwargs):
        raise RuntimeError("power cut")

    monkeypatch.setattr(services, "_log", boom)
    with pytest.raises(RuntimeError):
        _act(world, world.frank, transfer, Action.ACCEPT)
    assert Member.objects.get(pk=world.dave_member.pk).organisation == world.branch_a1_1
    assert Transfer.objects.get(pk=transfer.pk).state == TransferState.COMMITTEE_APPROVED


def test_STAT_007_counts_online_transfers_and_arrivals_once_revoked_excluded(world):
    """STAT-007: completed + letter_issued (one per transfer) + arrivals; revoked excluded; either side counts."""
    from dangjian.transfers.models import Arrival
    from dangjian.transfers.selectors import counts, online_transfer_count

    authority_on_street_a(world)
    now = timezone.now()
    done = place(world, TransferState.COMPLETED)
    Transfer.objects.filter(pk=done.pk).update(done_at=now)
    out = place(world, TransferState.RECEIPT_RETURNED, internal=False, member=world.a1_1_members[0])
    Transfer.objects.filter(pk=out.pk).update(done_at=now)
    revoked = place(world, TransferState.REVOKED, member=world.a1_1_members[1])
    Transfer.objects.filter(pk=revoked.pk).update(done_at=now)
    Arrival.objects.create(
        member=world.a1_2_members[0],
        organisation=world.branch_a1_2,
        letter_number="X1",
        from_org_name="外省某党委",
        scope="other_province",
        change_type_code="141",
        arrived_on=timezone.localdate(),
    )
    today = timezone.localdate()
    assert online_transfer_count(world.community_a1, today, today) == 3
    assert online_transfer_count(world.community_b1, today, today) == 1  # the completed move into B1-1
    assert online_transfer_count(world.district, today - timedelta(days=400), today - timedelta(days=1)) == 0
    assert counts(world.district, today, today).out_by_scope[TransferScope.DISTRICT][TransferState.COMPLETED] == 1


def test_DUES_009_no_advance_payment_in_paid_up_to(world):
    """DUES-009: "paid up to" may not run ahead of the current month (no advance payment)."""
    assert rules.check_dues_month(date(2026, 11, 1), TODAY) == date(2026, 11, 1)
    with pytest.raises(RuleViolation):
        rules.check_dues_month(date(2026, 12, 1), TODAY)


def test_STAT_006_counts_are_live_for_any_subtree_and_period(world):
    """STAT-006: counts come from the records for the subtree and period asked, nothing typed in."""
    from dangjian.transfers.selectors import counts

    today = timezone.localdate()
    assert counts(world.branch_a1_1, today, today).out_by_scope == {}
    place(world, TransferState.APPLIED)
    assert counts(world.branch_a1_1, today, today).out_by_scope[TransferScope.DISTRICT][TransferState.APPLIED] == 1
    assert counts(world.branch_a1_2, today, today).out_by_scope == {}
    assert counts(world.branch_b1_1, today, today).in_by_scope[TransferScope.DISTRICT][TransferState.APPLIED] == 1
