"""QR check-in at a held meeting (LIFE-022): once per member, own branch only, inside the window;
expired, forged and reused codes refused; 代签到 logged with who did it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from dangjian.core.rules import RuleViolation
from dangjian.meetings import services
from dangjian.meetings.choices import MeetingStatus
from dangjian.meetings.models import Attendance, AttendanceLog, Meeting

from .factories import make_meeting

pytestmark = pytest.mark.django_db


@pytest.fixture
def live_meeting(world):
    """A draft meeting of A1-1 that started 10 minutes ago and lasts an hour, check-in opened."""
    now = timezone.now()
    meeting = make_meeting(world.branch_a1_1, status=MeetingStatus.DRAFT, day=timezone.localdate())
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=now - timedelta(minutes=10), ends_at=now + timedelta(minutes=50))
    return services.open_checkin(actor=world.charlie, meeting_id=meeting.pk, now=now)


def test_LIFE_022_member_checks_in_once_by_the_signed_token(world, live_meeting):
    """LIFE-022: a member of the branch checks in; one attendance, logged."""
    meeting = services.meeting_for_token(services.checkin_token(live_meeting))
    row = services.check_in(member=world.dave_member, meeting=meeting)
    assert row.presence == "present" and row.source == "checkin"
    assert AttendanceLog.objects.filter(meeting=live_meeting, member=world.dave_member, action="checkin").count() == 1


def test_LIFE_022_a_reused_code_for_the_same_member_is_refused(world, live_meeting):
    """LIFE-022: scanning again does not make a second attendance."""
    services.check_in(member=world.dave_member, meeting=live_meeting)
    with pytest.raises(RuleViolation) as refused:
        services.check_in(member=world.dave_member, meeting=live_meeting)
    assert refused.value.rule.key == "LIFE-022:reused"
    assert Attendance.objects.filter(meeting=live_meeting, member=world.dave_member).count() == 1


def test_LIFE_022_an_expired_code_is_refused_one_minute_after_the_window(world, live_meeting):
    """LIFE-022: the window closes 30 minutes after the end; at the limit it is still open."""
    closes = live_meeting.ends_at + timedelta(minutes=30)
    services.check_in(member=world.a1_1_members[0], meeting=live_meeting, now=closes)
    with pytest.raises(RuleViolation) as refused:
        services.check_in(member=world.a1_1_members[1], meeting=live_meeting, now=closes + timedelta(minutes=1))
    assert refused.value.rule.key == "LIFE-022:expired"


def test_LIFE_022_no_check_in_before_the_meeting_window(world, live_meeting):
    """LIFE-022: no 打卡 outside a held meeting: more than 30 minutes before the start is refused."""
    with pytest.raises(RuleViolation) as refused:
        services.check_in(member=world.dave_member, meeting=live_meeting, now=live_meeting.starts_at - timedelta(minutes=31))
    assert refused.value.rule.key == "LIFE-022:not_open"


def test_LIFE_022_forged_or_altered_tokens_and_wrong_codes_are_refused(world, live_meeting):
    """LIFE-022: a token not signed by the server, or naming another nonce, is refused."""
    token = services.checkin_token(live_meeting)
    payload = {"m": live_meeting.pk, "n": live_meeting.checkin_nonce}
    other_key = signing.dumps(payload, key="not-the-server-key", salt=services.CHECKIN_SALT)
    wrong_nonce = signing.dumps({**payload, "n": "f" * 32}, salt=services.CHECKIN_SALT)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    for forged in (tampered, "abc:def", other_key, wrong_nonce):
        with pytest.raises(RuleViolation) as refused:
            services.meeting_for_token(forged)
        assert refused.value.rule.key == "LIFE-022:forged"
    # a token of the same meeting from before check-in was reopened with another nonce
    Meeting.objects.filter(pk=live_meeting.pk).update(checkin_nonce="0" * 32)
    with pytest.raises(RuleViolation):
        services.meeting_for_token(token)
    with pytest.raises(RuleViolation):
        services.meeting_for_code("12345")


def test_LIFE_022_a_member_of_another_branch_is_refused(world, live_meeting):
    """LIFE-022: only members of the meeting's branch check in."""
    outsider = world.a1_2_members[0]
    with pytest.raises(RuleViolation) as refused:
        services.check_in(member=outsider, meeting=live_meeting)
    assert refused.value.rule.key == "LIFE-022:other_branch"
    assert not Attendance.objects.filter(member=outsider).exists()


def test_LIFE_022_the_short_code_finds_the_open_meeting(world, live_meeting):
    """LIFE-022: the six-digit code is an alternative to scanning, during the window only."""
    assert services.meeting_for_code(live_meeting.checkin_code) == live_meeting


def test_LIFE_022_proxy_check_in_by_the_secretary_is_logged_with_who_did_it(world, live_meeting):
    """LIFE-022: 代签到 for a member without a smartphone, recorded with the secretary's name."""
    member = world.a1_1_members[0]
    row = services.proxy_check_in(actor=world.charlie, meeting_id=live_meeting.pk, member_id=member.pk)
    assert row.source == "proxy" and row.recorded_by == world.charlie
    log = AttendanceLog.objects.get(meeting=live_meeting, member=member)
    assert log.action == "proxy" and log.actor == world.charlie
    with pytest.raises(RuleViolation):
        services.proxy_check_in(actor=world.charlie, meeting_id=live_meeting.pk, member_id=world.a1_2_members[0].pk)


def test_LIFE_022_scan_page_confirms_then_checks_in(world, live_meeting, login):
    """LIFE-022: the member's phone opens the QR link, confirms, and is checked in."""
    client = login(world.dave)
    url = reverse("meetings:scan", kwargs={"token": services.checkin_token(live_meeting)})
    assert "确认签到" in client.get(url).content.decode()
    response = client.post(url)
    assert "签到成功" in response.content.decode()
    assert "每人每次会议只签到一次" in client.post(url).content.decode()
    # the secretary scanning his own code lands on the check-in page
    assert login(world.charlie).get(url).status_code == 302


def test_LIFE_022_scan_by_a_member_of_another_branch_answers_404_with_the_reason(world, live_meeting, login):
    """LIFE-022: refused, and answered like any record outside the member's reach."""
    from dangjian.accounts.models import User

    outsider_user = User.objects.create_user(username="wai", password="x")
    outsider = world.a1_2_members[0]
    outsider.user = outsider_user
    outsider.save()
    response = login(outsider_user).get(reverse("meetings:scan", kwargs={"token": services.checkin_token(live_meeting)}))
    assert response.status_code == 404 and "LIFE-022" in response.content.decode()


def test_LIFE_022_code_entry_redirects_to_the_scan_page(world, live_meeting, login):
    """LIFE-022: typing the code leads to the same confirmation."""
    response = login(world.dave).post(reverse("meetings:code"), {"code": live_meeting.checkin_code})
    assert response.status_code == 302 and "/meetings/c/" in response["Location"]
    response = login(world.dave).post(reverse("meetings:code"), {"code": "000000"})
    assert "签到码无效" in response.content.decode()
