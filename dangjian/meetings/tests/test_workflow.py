"""The record's state machine (LIFE-015) for every role, its refusals, the quorum (ORG-016) and races."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone

from dangjian.core.rules import RuleViolation
from dangjian.meetings import services
from dangjian.meetings.choices import MeetingKind, MeetingStatus, Presence
from dangjian.meetings.models import Amendment, Attendance, Meeting, MeetingEvent, MeetingKindEntry
from dangjian.members.tests.factories import make_member
from dangjian.organisations.choices import OrgKind
from dangjian.organisations.tests.factories import make_org

from .factories import make_meeting, meeting_input

S = MeetingStatus
SECRETARY_ACTIONS = {"submit", "amend"}
LEGAL = {
    (S.DRAFT, "submit"): S.SUBMITTED,
    (S.RETURNED, "submit"): S.SUBMITTED,
    (S.SUBMITTED, "approve"): S.APPROVED,
    (S.SUBMITTED, "return"): S.RETURNED,
    (S.APPROVED, "amend"): S.AMENDED,
    (S.AMENDED, "amend"): S.AMENDED,
}
ALLOWED = {"secretary": {"charlie"}, "superior": {"bob", "alice"}}
PERSONAS = ("charlie", "bob", "alice", "dave", "erin", "frank")


def act(action, actor, meeting):
    if action == "submit":
        return services.submit_meeting(actor=actor, meeting_id=meeting.pk)
    if action == "approve":
        return services.approve_meeting(actor=actor, meeting_id=meeting.pk, comment="同意")
    if action == "return":
        return services.return_meeting(actor=actor, meeting_id=meeting.pk, comment="请补充会议记录")
    return services.amend_meeting(actor=actor, meeting_id=meeting.pk, values=meeting_input(topic="更正后的主题"), reason="主题笔误")


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("action", ["submit", "approve", "return", "amend"])
@pytest.mark.parametrize("status", list(S.values))
def test_LIFE_015_every_transition_for_every_role(world, status, action, persona):
    """LIFE-015: draft → submitted → returned → resubmitted → approved → amended; everything else refused."""
    # given a record of branch A1-1 in ``status``
    meeting = make_meeting(world.branch_a1_1, status=status)
    actor = world.persona(persona)
    who = "secretary" if action in SECRETARY_ACTIONS else "superior"
    legal = (status, action) in LEGAL and persona in ALLOWED[who]
    # when the persona tries the action
    if legal:
        act(action, actor, meeting)
        # then the record moves as the table says, with an event
        assert Meeting.objects.get(pk=meeting.pk).status == LEGAL[(status, action)]
        assert MeetingEvent.objects.filter(meeting=meeting).exists()
    else:
        with pytest.raises((PermissionDenied, RuleViolation)) as refused:
            act(action, actor, meeting)
        # then nothing changed; a rule refusal names LIFE-015
        assert Meeting.objects.get(pk=meeting.pk).status == status
        if isinstance(refused.value, RuleViolation):
            assert "LIFE-015" in refused.value.message


@pytest.mark.django_db
def test_LIFE_015_full_cycle_keeps_counting_in_step(world):
    """LIFE-015: counted for compliance once submitted, not while returned, again when approved and amended."""
    meeting = services.create_meeting(actor=world.charlie, branch=world.branch_a1_1, values=meeting_input())
    counted = lambda: set(MeetingKindEntry.objects.filter(meeting=meeting).values_list("counted", flat=True))  # noqa: E731
    assert counted() == {False}
    services.submit_meeting(actor=world.charlie, meeting_id=meeting.pk)
    assert counted() == {True}
    services.return_meeting(actor=world.bob, meeting_id=meeting.pk, comment="缺少会议记录")
    assert counted() == {False}
    services.update_meeting(actor=world.charlie, meeting_id=meeting.pk, values=meeting_input(minutes="补充的会议记录"))
    services.submit_meeting(actor=world.charlie, meeting_id=meeting.pk)
    services.approve_meeting(actor=world.bob, meeting_id=meeting.pk)
    amendment = services.amend_meeting(
        actor=world.charlie, meeting_id=meeting.pk, values=meeting_input(minutes="更正后的记录"), reason="错字"
    )
    assert counted() == {True}
    assert amendment.number == 1 and ["会议记录", "补充的会议记录", "更正后的记录"] in amendment.changes
    actions = list(MeetingEvent.objects.filter(meeting=meeting).values_list("action", flat=True))
    assert actions == ["created", "submitted", "returned", "updated", "resubmitted", "approved", "amended"]


@pytest.mark.django_db
def test_LIFE_015_a_submitted_or_approved_record_cannot_be_edited(world):
    """LIFE-015: edits only through return or amendment."""
    for status in (S.SUBMITTED, S.APPROVED):
        meeting = make_meeting(world.branch_a1_1, status=status)
        with pytest.raises(RuleViolation) as refused:
            services.update_meeting(actor=world.charlie, meeting_id=meeting.pk, values=meeting_input(topic="悄悄修改"))
        assert "LIFE-015" in refused.value.message
        assert Meeting.objects.get(pk=meeting.pk).topic != "悄悄修改"


@pytest.mark.django_db
def test_LIFE_015_a_future_record_cannot_be_submitted_as_held(world):
    """LIFE-015: submitting a record that starts in the future is refused; one minute ago is accepted."""
    now = timezone.now()
    soon = services.create_meeting(
        actor=world.charlie,
        branch=world.branch_a1_1,
        values=meeting_input(starts_at=now + timedelta(minutes=5), ends_at=now + timedelta(hours=1)),
    )
    with pytest.raises(RuleViolation) as refused:
        services.submit_meeting(actor=world.charlie, meeting_id=soon.pk, now=now)
    assert refused.value.rule.key == "LIFE-015:future"
    assert "尚未召开" in refused.value.message
    services.submit_meeting(actor=world.charlie, meeting_id=soon.pk, now=now + timedelta(minutes=5))
    assert Meeting.objects.get(pk=soon.pk).status == S.SUBMITTED


@pytest.mark.django_db
def test_LIFE_015_attendees_must_be_members_of_the_branch(world):
    """LIFE-015: a member of another branch cannot be recorded as present; guests go in 列席人员."""
    outsider = world.a1_2_members[0]
    with pytest.raises(RuleViolation) as refused:
        services.create_meeting(
            actor=world.charlie,
            branch=world.branch_a1_1,
            values=meeting_input(attendance={outsider.pk: (Presence.PRESENT, "")}),
        )
    assert refused.value.rule.key == "LIFE-015:attendee" and outsider.name in refused.value.message
    assert not Meeting.objects.exists()
    # a guest marked as such is accepted
    meeting = services.create_meeting(actor=world.charlie, branch=world.branch_a1_1, values=meeting_input(guests="共建单位 张三\n"))
    assert meeting.guest_list == ["共建单位 张三"]


@pytest.mark.django_db
def test_LIFE_015_a_group_meeting_needs_its_group_and_only_group_members_attend(world):
    """LIFE-015: 党小组会 names its group; attendees of a group-only meeting come from that group."""
    group = make_org(world.branch_a1_1, "第一党小组", OrgKind.PARTY_GROUP)
    in_group, other = world.a1_1_members[0], world.a1_1_members[1]
    in_group.group = group
    in_group.save()
    with pytest.raises(RuleViolation) as refused:
        services.create_meeting(actor=world.charlie, branch=world.branch_a1_1, values=meeting_input(kinds=[MeetingKind.GROUP_MEETING]))
    assert refused.value.rule.key == "LIFE-015:group"
    with pytest.raises(RuleViolation) as refused:
        services.create_meeting(
            actor=world.charlie,
            branch=world.branch_a1_1,
            values=meeting_input(kinds=[MeetingKind.GROUP_MEETING], group_id=group.pk, attendance={other.pk: (Presence.PRESENT, "")}),
        )
    assert "第一党小组" in refused.value.message
    meeting = services.create_meeting(
        actor=world.charlie,
        branch=world.branch_a1_1,
        values=meeting_input(kinds=[MeetingKind.GROUP_MEETING], group_id=group.pk, attendance={in_group.pk: (Presence.PRESENT, "")}),
    )
    assert meeting.group_id == group.pk


@pytest.mark.django_db
def test_LIFE_015_absences_need_a_reason_except_flowing_and_exempt_members(world):
    """LIFE-015 (with LIFE-010/011): an absence needs a reason; flowing/exempt members get theirs."""
    away = make_member(world.branch_a1_1, "外出党员", is_flowing=True)
    with pytest.raises(RuleViolation) as refused:
        services.create_meeting(
            actor=world.charlie, branch=world.branch_a1_1, values=meeting_input(attendance={world.dave_member.pk: ("absent", "")})
        )
    assert refused.value.rule.key == "LIFE-015:absence"
    meeting = services.create_meeting(
        actor=world.charlie, branch=world.branch_a1_1, values=meeting_input(attendance={away.pk: ("absent", "")})
    )
    assert Attendance.objects.get(meeting=meeting, member=away).absence_reason == "flowing"


@pytest.mark.django_db
def test_LIFE_015_return_needs_a_comment_and_amendment_a_reason_and_a_change(world):
    """LIFE-015: 退回 with comments; 更正 with a reason and at least one change, visible as an Amendment."""
    submitted = make_meeting(world.branch_a1_1, status=S.SUBMITTED)
    with pytest.raises(RuleViolation) as refused:
        services.return_meeting(actor=world.bob, meeting_id=submitted.pk, comment="  ")
    assert refused.value.rule.key == "LIFE-015:comment"
    approved = services.create_meeting(actor=world.charlie, branch=world.branch_a1_1, values=meeting_input())
    Meeting.objects.filter(pk=approved.pk).update(status=S.APPROVED)
    with pytest.raises(RuleViolation) as refused:
        services.amend_meeting(actor=world.charlie, meeting_id=approved.pk, values=meeting_input(topic="新"), reason="")
    assert refused.value.rule.key == "LIFE-015:reason"
    with pytest.raises(RuleViolation) as refused:
        services.amend_meeting(actor=world.charlie, meeting_id=approved.pk, values=meeting_input(), reason="核对")
    assert refused.value.rule.key == "LIFE-015:no_change"
    assert not Amendment.objects.exists()


@pytest.mark.django_db
def test_ORG_016_general_meeting_decisions_need_more_than_half_of_the_voting_members(world):
    """ORG-016: 4 full members → 3 needed; 2 present refused, 3 accepted; probationary members don't vote."""
    make_member(world.branch_a1_1, "预备党员甲", status="probationary")
    members = world.a1_1_members  # 4 full members
    two = {m.pk: (Presence.PRESENT, "") for m in members[:2]} | {m.pk: ("absent", "sick") for m in members[2:]}
    meeting = services.create_meeting(
        actor=world.charlie,
        branch=world.branch_a1_1,
        values=meeting_input(kinds=[MeetingKind.BRANCH_GENERAL_MEETING], decisions="同意接收张三为预备党员", attendance=two),
    )
    with pytest.raises(RuleViolation) as refused:
        services.submit_meeting(actor=world.charlie, meeting_id=meeting.pk)
    assert "ORG-016" in refused.value.message and "应到4人，实到2人" in refused.value.message
    three = two | {members[2].pk: (Presence.PRESENT, "")}
    services.update_meeting(
        actor=world.charlie,
        meeting_id=meeting.pk,
        values=meeting_input(kinds=[MeetingKind.BRANCH_GENERAL_MEETING], decisions="同意接收张三为预备党员", attendance=three),
    )
    services.submit_meeting(actor=world.charlie, meeting_id=meeting.pk)
    assert Meeting.objects.get(pk=meeting.pk).status == S.SUBMITTED


@pytest.mark.django_db
def test_ORG_016_exempt_members_absent_are_out_of_the_quorum_denominator(world):
    """ORG-016 with LIFE-010: 4 full + 2 exempt absent → still 3 of 4 needed, not 4 of 6."""
    olds = [make_member(world.branch_a1_1, f"老党员{n}", is_exempt=True, exemption_reason="age") for n in range(2)]
    members = world.a1_1_members
    attendance = {m.pk: (Presence.PRESENT, "") for m in members[:3]} | {o.pk: ("absent", "exempt") for o in olds}
    meeting = services.create_meeting(
        actor=world.charlie,
        branch=world.branch_a1_1,
        values=meeting_input(kinds=[MeetingKind.BRANCH_GENERAL_MEETING], decisions="决定", attendance=attendance),
    )
    services.submit_meeting(actor=world.charlie, meeting_id=meeting.pk)
    assert Meeting.objects.get(pk=meeting.pk).status == S.SUBMITTED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_LIFE_015_concurrent_approve_and_return_leave_exactly_one_result(world):
    """LIFE-015: 10 reviewers approving and returning the same record at once: exactly one wins."""
    meeting = make_meeting(world.branch_a1_1, status=S.SUBMITTED)
    gate = threading.Barrier(10)
    wins: list[str] = []
    refusals: list[str] = []

    def attempt(n: int) -> None:
        gate.wait()
        try:
            if n % 2:
                services.approve_meeting(actor=world.bob, meeting_id=meeting.pk)
                wins.append("approved")
            else:
                services.return_meeting(actor=world.alice, meeting_id=meeting.pk, comment="请补充")
                wins.append("returned")
        except RuleViolation as exc:
            refusals.append(exc.rule.key)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(wins) == 1 and len(refusals) == 9
    assert set(refusals) <= {"LIFE-015:taken", "LIFE-015:transition"}
    assert Meeting.objects.get(pk=meeting.pk).status == wins[0]
    assert MeetingEvent.objects.filter(meeting=meeting, action__in=["approved", "returned"]).count() == 1


@pytest.mark.django_db
def test_LIFE_015_the_secretary_hears_of_a_return_with_the_comment(world):
    """LIFE-015: 退回 reaches the branch's secretary in the inbox with the reviewer's comment and a link."""
    from dangjian.notifications.models import Message

    meeting = make_meeting(world.branch_a1_1, status=S.SUBMITTED)
    services.return_meeting(actor=world.bob, meeting_id=meeting.pk, comment="请补充会议记录")
    note = Message.objects.get(recipient_user=world.charlie, channel="inbox")
    assert "请补充会议记录" in note.body and "甲街道党工委" in note.body and note.link.endswith(f"/meetings/{meeting.pk}/")
    services.submit_meeting(actor=world.charlie, meeting_id=meeting.pk)
    services.approve_meeting(actor=world.bob, meeting_id=meeting.pk)
    assert Message.objects.filter(recipient_user=world.charlie, channel="inbox").count() == 2
