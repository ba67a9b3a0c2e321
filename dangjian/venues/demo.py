"""Demo records for the venues module: three bases with menus and hours, bookings in every state.

Called by ``manage.py seed_demo`` inside its transaction, after the demo district and accounts
exist. Idempotent: if any base already sits under the demo root, nothing is created. Deterministic
for the seed. Bookings go through the services (the same rules and slot loads as real ones); past
ones are made with ``now`` set before their start, then decided, checked in or marked no-show.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from dangjian.accounts.choices import Role
from dangjian.accounts.models import RoleGrant, User
from dangjian.core.scope import path_range
from dangjian.members.models import Member
from dangjian.organisations.choices import MEMBER_HOLDING_KINDS
from dangjian.organisations.models import Organisation

from . import services
from .choices import BookingStatus
from .models import BaseActivity, ClosedDate, OpenBase, OpeningHours

BASES = (
    # (location code suffix, name, host unit, address, capacity, needs approval, menu)
    (
        "",
        "区党群服务中心党建馆",
        "区委组织部",
        "示范区人民路100号",
        60,
        True,
        (("红色教育参观", 90, 60), ("党课讲授", 120, 60), ("主题党日活动", 120, 40)),
    ),
    ("-S01", "和平街道红色驿站", "和平街道党工委", "和平街道建设路18号", 30, True, (("主题党日活动", 120, 30), ("志愿服务", 180, 20))),
    ("-S01-C01", "社区党员活动室", "社区党委", "社区服务中心二楼", 20, False, (("主题党日活动", 120, 20), ("党小组学习", 60, 12))),
)


def _aware(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _user(username: str) -> Any:
    return User.objects.filter(username=username).first()


def seed_demo(*, root: Organisation, today: date, seed: int) -> dict[str, int]:
    if OpenBase.objects.filter(location__path__range=path_range(root.path)).exists():
        return {}
    rng = random.Random(seed * 7 + 6)
    admin = _user("quwei") or User.objects.filter(is_superuser=True).first()
    keeper = _user("jidi")
    secretary = _user("shuji")
    bases: list[OpenBase] = []
    for suffix, name, host, site, capacity, approval, menu in BASES:
        location = Organisation.objects.filter(code=f"{root.code}{suffix}").first() or root
        base = OpenBase.objects.create(
            name=name,
            host_unit=host,
            site=site,
            location=location,
            contact_name="王老师",
            contact_phone=f"1380000{rng.randint(1000, 9999)}",
            capacity=capacity,
            description=f"{host}开放的组织生活基地，可开展{'、'.join(m[0] for m in menu)}。",
            needs_approval=approval,
            min_notice_hours=24,
            max_notice_days=60,
            monthly_quota=4,
        )
        if keeper is not None and suffix == "-S01-C01":
            base.keepers.add(keeper)
        for weekday in range(6):
            OpeningHours.objects.create(base=base, weekday=weekday, opens_at=time(9), closes_at=time(12))
            OpeningHours.objects.create(base=base, weekday=weekday, opens_at=time(14), closes_at=time(17, 30))
        for activity, minutes, most in menu:
            BaseActivity.objects.create(base=base, name=activity, duration_minutes=minutes, capacity=min(most, capacity))
        ClosedDate.objects.create(base=base, day=today + timedelta(days=10 + len(bases)), reason="设备检修")
        bases.append(base)

    branch_ids = list(
        Organisation.objects.filter(path__range=path_range(root.path), kind__in=[k.value for k in MEMBER_HOLDING_KINDS])
        .order_by("path")
        .values_list("pk", "path")
    )
    own = (
        RoleGrant.objects.filter(user=secretary, role=Role.BRANCH_SECRETARY).values_list("organisation_id", flat=True).first()
        if secretary
        else None
    )
    made: Counter[str] = Counter()
    plan = [
        # (days from today, hour, outcome)
        (-40, 9, "checked_in"),
        (-33, 14, "checked_in"),
        (-26, 9, "no_show"),
        (-19, 14, "declined"),
        (-12, 9, "checked_in"),
        (-5, 14, "cancelled"),
        (3, 9, "approved"),
        (4, 14, "pending"),
        (6, 9, "pending"),
        (8, 14, "approved"),
    ]
    for n, (offset, hour, outcome) in enumerate(plan):
        base = bases[n % len(bases)]
        day = today + timedelta(days=offset)
        while day.weekday() == 6 or base.closed_dates.filter(day=day).exists():
            day += timedelta(days=1)
        start = _aware(day, hour)
        candidates = [pk for pk, path in branch_ids if path.startswith(base.location.path)]
        if not candidates:
            continue
        org_id = own if own in candidates and n % 2 == 0 else rng.choice(candidates)
        activity = base.activities.order_by("pk").first()
        assert activity is not None
        booker = secretary if org_id == own and secretary else admin
        members = list(Member.objects.filter(organisation_id=org_id, left_on__isnull=True).order_by("pk").values_list("pk", flat=True)[:6])
        headcount = max(len(members), 3) + rng.randint(0, 3)
        headcount = min(headcount, activity.capacity)
        members = members[:headcount]
        booked_at = start - timedelta(days=5)
        booking = services.book_slot(
            actor=booker,
            base_id=base.pk,
            activity_id=activity.pk,
            organisation_id=org_id,
            starts_at=start,
            headcount=headcount,
            contact_name=getattr(booker, "display_name", "") or "联系人",
            participant_ids=members if outcome in ("checked_in", "no_show", "approved") else [],
            note="演示数据",
            # the seed's own day is "now" (seed_demo --today may be another day than the real one)
            now=booked_at if offset < 0 else _aware(today, 8),
            send_notices=False,
        )
        decider = keeper if keeper is not None and base.keepers.filter(pk=keeper.pk).exists() else admin
        if outcome != "pending" and booking.status == BookingStatus.PENDING:
            if outcome == "declined":
                services.decline_booking(
                    actor=decider, booking_id=booking.pk, reason="当天已安排其他活动，请改约", now=booked_at, send_notices=False
                )
            else:
                services.approve_booking(actor=decider, booking_id=booking.pk, now=booked_at, send_notices=False)
        if outcome == "checked_in":
            if not members:
                services.set_participants(actor=booker, booking_id=booking.pk, member_ids=[], guest_count=headcount)
            services.check_in(actor=decider, booking_id=booking.pk, now=start + timedelta(minutes=5))
        elif outcome == "cancelled":
            services.cancel_booking(actor=booker, booking_id=booking.pk, reason="支部活动改期", now=booked_at, send_notices=False)
        elif outcome == "no_show":
            services.mark_no_shows(day=day, now=start + timedelta(minutes=base.checkin_window_minutes + 1))
        made[outcome] += 1
    return {"开放式组织生活基地": len(bases), "基地预约": sum(made.values())}
