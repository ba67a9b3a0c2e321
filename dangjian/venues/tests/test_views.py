"""Pages: register a base, browse the calendar, book (once per click), decide, check in, statistics."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from dangjian.venues import services
from dangjian.venues.choices import BookingStatus
from dangjian.venues.models import Booking, OpenBase
from dangjian.venues.views import SCAN_SALT

from .factories import make_activity, make_base

pytestmark = pytest.mark.django_db


@pytest.fixture
def base(world):
    return make_base(world.community_a1, name="甲一社区红色驿站", keepers=(world.grace,))


@pytest.fixture
def activity(base):
    return make_activity(base, name="主题党日活动", minutes=120, capacity=20)


def _day() -> datetime:
    return timezone.make_aware(datetime.combine(timezone.localdate() + timedelta(days=3), time(9)))


def _form(activity, **extra):
    start = _day()
    return {
        "activity": activity.pk,
        "day": start.date().isoformat(),
        "start": "09:00",
        "headcount": 8,
        "contact_name": "查理",
        "contact_phone": "13900001111",
        "request_key": "k-1",
        **extra,
    }


def test_admin_registers_a_base_and_sets_up_its_menu_and_hours(world, login):
    client = login(world.bob)
    response = client.post(
        reverse("venues:create"),
        {
            "name": "甲街道党建馆",
            "host_unit": "甲街道",
            "site": "甲街道和平路8号",
            "location": world.street_a.pk,
            "contact_name": "李老师",
            "contact_phone": "13812345678",
            "capacity": 40,
            "slot_minutes": 30,
            "min_notice_hours": 24,
            "max_notice_days": 60,
            "monthly_quota": 2,
            "needs_approval": "on",
            "cancel_cutoff_hours": 12,
            "checkin_window_minutes": 60,
            "is_active": "on",
            "keepers": [world.grace.pk],
        },
    )
    base = OpenBase.objects.get(name="甲街道党建馆")
    assert response.status_code == 302 and response["Location"] == reverse("venues:setup", args=[base.pk])
    assert base.contact_phone == "13812345678" and list(base.keepers.all()) == [world.grace]
    client.post(
        reverse("venues:activity_add", args=[base.pk]), {"name": "红色教育参观", "duration_minutes": 90, "capacity": 30, "is_active": "on"}
    )
    client.post(reverse("venues:hours_add", args=[base.pk]), {"weekday": 5, "opens_at": "09:00", "closes_at": "12:00"})
    bad = client.post(reverse("venues:hours_add", args=[base.pk]), {"weekday": 5, "opens_at": "11:00", "closes_at": "13:00"})
    assert bad.status_code == 422 and "BASE-001" in bad.content.decode()
    assert base.activities.count() == 1 and base.hours.count() == 1
    # the phone is masked on the page
    page = client.get(reverse("venues:detail", args=[base.pk])).content.decode()
    assert "138****5678" in page and "13812345678" not in page


def test_a_keeper_cannot_register_bases_or_manage_another_base(world, login, base):
    other = make_base(world.community_a1, name="另一个基地")
    client = login(world.grace)
    assert client.get(reverse("venues:create")).status_code == 403
    assert client.get(reverse("venues:setup", args=[base.pk])).status_code == 200
    assert client.get(reverse("venues:setup", args=[other.pk])).status_code in {403, 404}


def test_secretary_books_from_the_calendar_and_a_double_click_books_once(world, login, base, activity):
    client = login(world.charlie)
    # the calendar shows free places and links to the booking form
    page = client.get(reverse("venues:detail", args=[base.pk]), {"activity": activity.pk, "week": _day().date().isoformat()})
    assert "余 20" in page.content.decode()
    form = client.get(reverse("venues:book", args=[base.pk]), {"activity": activity.pk, "start": _day().isoformat()})
    assert form.status_code == 200 and "甲一社区第一网格党支部" in form.content.decode()
    data = _form(activity, organisation=world.branch_a1_1.pk, participants=[world.dave_member.pk])
    first = client.post(reverse("venues:book", args=[base.pk]), data)
    second = client.post(reverse("venues:book", args=[base.pk]), data)
    booking = Booking.objects.get()
    assert first["Location"] == second["Location"] == reverse("venues:booking", args=[booking.pk])
    assert booking.headcount == 8 and list(booking.participants.all()) == [world.dave_member]
    assert booking.status == BookingStatus.PENDING
    # the calendar now shows 12 left
    page = client.get(reverse("venues:detail", args=[base.pk]), {"activity": activity.pk, "week": _day().date().isoformat()})
    assert "余 12" in page.content.decode()


def test_a_broken_rule_comes_back_on_the_form(world, login, base, activity):
    client = login(world.charlie)
    response = client.post(reverse("venues:book", args=[base.pk]), _form(activity, organisation=world.branch_a1_1.pk, headcount=0))
    assert response.status_code == 422
    assert "预约人数须至少1人" in response.content.decode() and "BASE-002" in response.content.decode()
    assert not Booking.objects.exists()


def test_recurring_booking_lists_what_could_not_be_booked(world, login, base, activity):
    base.monthly_quota = 1
    base.save()
    client = login(world.charlie)
    response = client.post(
        reverse("venues:book", args=[base.pk]),
        _form(activity, organisation=world.branch_a1_1.pk, repeat="weekly", until=(_day().date() + timedelta(days=70)).isoformat()),
    )
    text = response.content.decode()
    assert response.status_code == 200 and "定期预约结果" in text
    # eleven weeks, one booking a month: the other weeks of each month are listed with the reason
    booked = Booking.objects.count()
    assert 2 <= booked <= 4 and f"已预约 <strong>{booked}</strong> 次" in text
    assert "未预约" in text and "每月1次的上限" in text


def test_keeper_approves_declines_and_checks_in_by_code(world, login, base, activity):
    booking = services.book_slot(
        actor=world.charlie,
        base_id=base.pk,
        activity_id=activity.pk,
        organisation_id=world.branch_a1_1.pk,
        starts_at=_day(),
        headcount=5,
        participant_ids=[world.dave_member.pk],
    )
    other = services.book_slot(
        actor=world.erin, base_id=base.pk, activity_id=activity.pk, organisation_id=world.branch_a1_2.pk, starts_at=_day(), headcount=5
    )
    client = login(world.grace)
    desk = client.get(reverse("venues:desk", args=[base.pk])).content.decode()
    assert "待审核" in desk and world.branch_a1_1.name in desk
    client.post(reverse("venues:approve", args=[booking.pk]))
    empty = client.post(reverse("venues:decline", args=[other.pk]), {"reason": ""})
    assert empty.status_code == 422
    client.post(reverse("venues:decline", args=[other.pk]), {"reason": "同一时段已安排检查"})
    booking.refresh_from_db()
    other.refresh_from_db()
    assert booking.status == BookingStatus.APPROVED and other.status == BookingStatus.DECLINED
    # check-in by the short code is refused outside the window, then works within it
    found = client.post(reverse("venues:checkin_by_code", args=[base.pk]), {"code": booking.check_code.lower()})
    assert found.status_code == 302  # not today's booking: back to the desk with the reason
    assert found["Location"] == reverse("venues:desk", args=[base.pk])
    Booking.objects.filter(pk=booking.pk).update(starts_at=timezone.now(), ends_at=timezone.now() + timedelta(hours=2))
    found = client.post(reverse("venues:checkin_by_code", args=[base.pk]), {"code": booking.check_code.lower()})
    assert found["Location"].endswith(f"/bookings/{booking.pk}/#checkin")
    client.post(reverse("venues:checkin", args=[booking.pk]), {"attended": ""})
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CHECKED_IN and booking.attended == 1


def test_the_qr_code_leads_the_keeper_to_the_booking(world, login, base, activity):
    booking = services.book_slot(
        actor=world.charlie, base_id=base.pk, activity_id=activity.pk, organisation_id=world.branch_a1_1.pk, starts_at=_day(), headcount=5
    )
    services.approve_booking(actor=world.grace, booking_id=booking.pk)
    slip = login(world.charlie).get(reverse("venues:booking", args=[booking.pk])).content.decode()
    assert "<svg" in slip and booking.check_code in slip
    token = signing.dumps(booking.pk, salt=SCAN_SALT)
    response = login(world.grace).get(reverse("venues:scan"), {"c": token})
    assert response["Location"].endswith(f"/bookings/{booking.pk}/#checkin")
    assert login(world.grace).get(reverse("venues:scan"), {"c": token + "x"}).status_code == 404
    # a keeper of another base cannot use it
    assert login(world.frank).get(reverse("venues:scan"), {"c": token}).status_code == 404


def test_secretary_cancels_and_only_the_branch_side_may(world, login, base, activity):
    booking = services.book_slot(
        actor=world.charlie, base_id=base.pk, activity_id=activity.pk, organisation_id=world.branch_a1_1.pk, starts_at=_day(), headcount=5
    )
    assert login(world.erin).post(reverse("venues:cancel", args=[booking.pk])).status_code == 404
    assert login(world.grace).post(reverse("venues:cancel", args=[booking.pk])).status_code == 403
    login(world.charlie).post(reverse("venues:cancel", args=[booking.pk]), {"reason": "改期"})
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


def test_statistics_page_shows_the_stat_009_line(world, login, base, activity):
    booking = services.book_slot(
        actor=world.charlie, base_id=base.pk, activity_id=activity.pk, organisation_id=world.branch_a1_1.pk, starts_at=_day(), headcount=5
    )
    services.approve_booking(actor=world.grace, booking_id=booking.pk)
    today = timezone.localdate()
    response = login(world.bob).get(
        reverse("venues:stats"), {"org": world.street_a.pk, "first": today.isoformat(), "last": (today + timedelta(days=10)).isoformat()}
    )
    text = response.content.decode()
    assert "受理开放式组织生活基地网上预约1批" in text and "甲一社区红色驿站" in text
    assert login(world.dave).get(reverse("venues:stats")).status_code == 403


def test_index_lists_bases_with_the_keeper_pending_count(world, login, base, activity):
    services.book_slot(
        actor=world.charlie, base_id=base.pk, activity_id=activity.pk, organisation_id=world.branch_a1_1.pk, starts_at=_day(), headcount=5
    )
    text = login(world.grace).get(reverse("venues:index")).content.decode()
    assert "甲一社区红色驿站" in text and "待审核 1" in text


def _queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_lists_run_the_same_number_of_queries_for_one_row_and_many(world, login, base, activity):
    base.monthly_quota = 0
    base.save()
    client = login(world.charlie)
    services.book_slot(
        actor=world.charlie, base_id=base.pk, activity_id=activity.pk, organisation_id=world.branch_a1_1.pk, starts_at=_day(), headcount=1
    )
    one = (_queries(client, reverse("venues:index")), _queries(client, reverse("venues:bookings")))
    for n in range(6):
        extra = make_base(world.community_a1, name=f"基地{n}", monthly_quota=0)
        make_activity(extra)
        services.book_slot(
            actor=world.charlie,
            base_id=base.pk,
            activity_id=activity.pk,
            organisation_id=world.branch_a1_1.pk,
            starts_at=_day() + timedelta(days=1 + n),
            headcount=1,
        )
    many = (_queries(client, reverse("venues:index")), _queries(client, reverse("venues:bookings")))
    assert one == many


def test_admin_moves_a_base_and_a_keeper_edits_only_the_rules(world, login, base):
    data = {f: getattr(base, f) for f in services.BASE_FIELDS if getattr(base, f) is not None}
    data.update(needs_approval="on", is_active="on", location=world.street_a.pk, keepers=[world.grace.pk], capacity=25)
    data.pop("description", None)
    response = login(world.bob).post(reverse("venues:edit", args=[base.pk]), data)
    assert response.status_code == 302
    base.refresh_from_db()
    assert base.location == world.street_a and base.capacity == 25
    # the keeper's form has no location or keepers; a posted location is ignored
    login(world.grace).post(
        reverse("venues:edit", args=[base.pk]), {**data, "location": world.community_a1.pk, "capacity": 22, "keepers": []}
    )
    base.refresh_from_db()
    assert base.location == world.street_a and base.capacity == 22 and list(base.keepers.all()) == [world.grace]
