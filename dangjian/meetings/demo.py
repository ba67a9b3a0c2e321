"""Demo records of organisational life for ``seed_demo``: six months of 三会一课 per branch of the demo
district, in every state (approved, amended, submitted, returned with a comment, draft, planned), with
attendance, a few 调阅 reads by the street and community admins, and some silent branches and gaps so
the compliance sheet and the reminder sheet have something to show. Deterministic for the seed;
idempotent (nothing is added when the district already has records)."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from dangjian.accounts.models import RoleGrant
from dangjian.core.dates import add_months
from dangjian.core.scope import path_range
from dangjian.members.models import Member
from dangjian.organisations.choices import GROUP_KINDS, MEMBER_HOLDING_KINDS, CommitteePost
from dangjian.organisations.models import CommitteeSeat, Organisation

from .choices import COUNTED_STATUSES, AbsenceReason, AttendanceSource, EventAction, MeetingKind, MeetingStatus, Presence
from .models import Amendment, Attendance, Meeting, MeetingEvent, MeetingKindEntry, SuperiorRead
from .rules import COMMITTEE_MIN_SEATS

TOPICS = {
    MeetingKind.THEMED_DAY: (
        "学习党的二十届四中全会精神",
        "重温入党誓词",
        "走访慰问困难党员",
        "社区环境整治志愿服务",
        "学习党章党规",
        "参观红色教育基地",
    ),
    MeetingKind.BRANCH_GENERAL_MEETING: ("讨论本季度支部工作", "通报党费收缴情况", "讨论发展党员工作"),
    MeetingKind.PARTY_LECTURE: ("书记讲党课：传承红色基因", "党课：基层治理与党员作用"),
    MeetingKind.COMMITTEE_MEETING: ("研究本月支部工作安排", "研究党员教育管理工作"),
    MeetingKind.GROUP_MEETING: ("楼院党小组学习交流", "党小组传达上级精神"),
    MeetingKind.TALK: ("书记与党员谈心谈话",),
}
PLACES = ("社区党群服务中心二楼会议室", "网格党建活动室", "社区新时代文明实践站", "小区议事厅")
HISTORY_MONTHS = 11  # so that this year's sheet is mostly filled, with some gaps
RETURN_COMMENTS = ("请补充会议记录和决定事项。", "出席人数与签到不一致，请核对。", "请补充缺席党员的缺席原因。")


def seed_demo(*, root: Organisation, today: date, seed: int) -> dict[str, int]:
    """Create the demo district's meeting records; {} when it already has some."""
    low, high = path_range(root.path)
    if Meeting.objects.filter(organisation__path__range=(low, high)).exists():
        return {}
    rng = random.Random(seed * 7 + 5)
    tz = timezone.get_current_timezone()
    branches = list(
        Organisation.objects.filter(path__range=(low, high), kind__in=list(MEMBER_HOLDING_KINDS), dissolved_on__isnull=True).order_by(
            "path"
        )
    )
    groups: dict[str, list[Organisation]] = {}
    for group in Organisation.objects.filter(path__range=(low, high), kind__in=list(GROUP_KINDS)).order_by("path"):
        groups.setdefault(group.path[: -Organisation.steplen], []).append(group)
    seat_counts: dict[int, int] = {}
    for org_id in (
        CommitteeSeat.objects.filter(organisation__in=branches, ended_on__isnull=True)
        .exclude(post=CommitteePost.GROUP_LEADER)
        .values_list("organisation_id", flat=True)
    ):
        seat_counts[org_id] = seat_counts.get(org_id, 0) + 1
    members: dict[int, list[Member]] = {}
    for member in Member.objects.filter(organisation__in=branches, left_on__isnull=True).order_by("pk"):
        members.setdefault(member.organisation_id, []).append(member)
    secretary_grant = (
        RoleGrant.objects.filter(user__username="shuji", role="branch_secretary").select_related("user", "organisation").first()
    )
    story_branch = secretary_grant.organisation if secretary_grant else (branches[0] if branches else None)
    secretary = secretary_grant.user if secretary_grant else None
    last_month = add_months(date(today.year, today.month, 1), -1)
    silent = {b.pk for b in branches if rng.random() < 0.15 and b != story_branch}

    planned: list[dict[str, Any]] = []
    for branch in branches:
        for back in range(HISTORY_MONTHS, 0, -1):
            month = add_months(date(today.year, today.month, 1), -back)
            if month == last_month and branch.pk in silent:
                continue
            # 主题党日 most months; with 支部党员大会 + 党课 in the last month of a quarter
            if rng.random() < 0.88:
                kinds = [MeetingKind.THEMED_DAY]
                if month.month % 3 == 0:
                    kinds += [MeetingKind.BRANCH_GENERAL_MEETING, MeetingKind.PARTY_LECTURE]
                planned.append({"branch": branch, "kinds": kinds, "day": month.replace(day=rng.randint(5, 25)), "month": month})
            if seat_counts.get(branch.pk, 0) >= COMMITTEE_MIN_SEATS and rng.random() < 0.8:
                planned.append(
                    {
                        "branch": branch,
                        "kinds": [MeetingKind.COMMITTEE_MEETING],
                        "day": month.replace(day=rng.randint(1, 6)),
                        "month": month,
                    }
                )
            for group in groups.get(branch.path, [])[:3]:
                if rng.random() < 0.7:
                    planned.append(
                        {
                            "branch": branch,
                            "kinds": [MeetingKind.GROUP_MEETING],
                            "group": group,
                            "day": month.replace(day=rng.randint(8, 27)),
                            "month": month,
                        }
                    )
    if story_branch is not None:
        planned.append({"branch": story_branch, "kinds": [MeetingKind.TALK], "day": add_months(today, -2).replace(day=15), "month": None})
        planned.append(
            {"branch": story_branch, "kinds": [MeetingKind.THEMED_DAY], "day": today + timedelta(days=7), "month": None, "future": True}
        )

    rows = []
    for plan in planned:
        day: date = plan["day"]
        kind = plan["kinds"][0]
        status = _status(rng, plan, last_month, today)
        starts = datetime.combine(day, time(rng.choice((9, 14, 15)), rng.choice((0, 30))), tzinfo=tz)
        rows.append(
            Meeting(
                organisation=plan["branch"],
                group=plan.get("group"),
                topic=rng.choice(TOPICS[kind]),
                starts_at=starts,
                ends_at=starts + timedelta(minutes=rng.choice((60, 90, 120))),
                held_on=day,
                place=rng.choice(PLACES),
                host="支部书记",
                recorder="组织委员",
                agenda="一、学习有关文件；二、交流发言；三、部署下阶段工作。",
                minutes="" if plan.get("future") else "会议由支部书记主持，与会党员围绕主题逐一发言，会议明确了下阶段工作安排。",
                decisions="",
                status=status,
                created_by=secretary,
                submitted_at=starts + timedelta(days=1) if status != MeetingStatus.DRAFT else None,
                reviewed_at=starts + timedelta(days=3)
                if status in (MeetingStatus.APPROVED, MeetingStatus.AMENDED, MeetingStatus.RETURNED)
                else None,
                review_comment=rng.choice(RETURN_COMMENTS) if status == MeetingStatus.RETURNED else "",
            )
        )
    created = Meeting.objects.bulk_create(rows, batch_size=500)
    MeetingKindEntry.objects.bulk_create(
        [
            MeetingKindEntry(
                meeting=meeting,
                kind=kind,
                organisation_id=meeting.organisation_id,
                group_id=meeting.group_id,
                held_month=meeting.held_on.year * 100 + meeting.held_on.month,
                counted=meeting.status in COUNTED_STATUSES,
            )
            for meeting, plan in zip(created, planned, strict=True)
            for kind in plan["kinds"]
        ],
        batch_size=1000,
    )
    attendances = []
    events = []
    for meeting, plan in zip(created, planned, strict=True):
        events.append(MeetingEvent(meeting=meeting, action=EventAction.CREATED, actor=secretary))
        if meeting.status != MeetingStatus.DRAFT:
            events.append(MeetingEvent(meeting=meeting, action=EventAction.SUBMITTED, actor=secretary))
        if meeting.status == MeetingStatus.RETURNED:
            events.append(MeetingEvent(meeting=meeting, action=EventAction.RETURNED, comment=meeting.review_comment))
        if meeting.status in (MeetingStatus.APPROVED, MeetingStatus.AMENDED):
            events.append(MeetingEvent(meeting=meeting, action=EventAction.APPROVED))
        if plan.get("future"):
            continue
        people = members.get(meeting.organisation_id, [])
        if plan.get("group"):
            people = [m for m in people if m.group_id == plan["group"].pk] or people[:6]
        if MeetingKind.TALK in plan["kinds"]:
            people = people[: max(1, len(people) * 2 // 3)]
        for member in people:
            if member.is_flowing:
                attendances.append(
                    Attendance(meeting=meeting, member=member, presence=Presence.ABSENT, absence_reason=AbsenceReason.FLOWING)
                )
            elif member.is_exempt:
                attendances.append(
                    Attendance(meeting=meeting, member=member, presence=Presence.ABSENT, absence_reason=AbsenceReason.EXEMPT)
                )
            elif rng.random() < 0.9:
                source = AttendanceSource.CHECKIN if rng.random() < 0.7 else AttendanceSource.PROXY
                attendances.append(
                    Attendance(meeting=meeting, member=member, presence=Presence.PRESENT, source=source, recorded_by=secretary)
                )
            else:
                reason = rng.choice((AbsenceReason.SICK, AbsenceReason.PERSONAL, AbsenceReason.BUSINESS))
                attendances.append(Attendance(meeting=meeting, member=member, presence=Presence.ABSENT, absence_reason=reason))
    Attendance.objects.bulk_create(attendances, batch_size=2000)
    MeetingEvent.objects.bulk_create(events, batch_size=2000)
    amendments = 0
    for meeting in created:
        if meeting.status == MeetingStatus.AMENDED:
            Amendment.objects.create(
                meeting=meeting, number=1, reason="记录人笔误", changes=[["地点", "社区会议室", meeting.place]], actor=secretary
            )
            amendments += 1
    reads = _reads(rng, [m for m in created if m.status in COUNTED_STATUSES], root)
    return {"组织生活记录": len(created), "出席登记": len(attendances), "调阅记录": reads, "更正记录": amendments}


def _status(rng: random.Random, plan: dict[str, Any], last_month: date, today: date) -> str:
    if plan.get("future"):
        return MeetingStatus.DRAFT
    if plan["month"] == last_month:
        return rng.choices(
            (MeetingStatus.SUBMITTED, MeetingStatus.RETURNED, MeetingStatus.APPROVED, MeetingStatus.DRAFT), weights=(5, 2, 3, 1)
        )[0]
    return MeetingStatus.AMENDED if rng.random() < 0.03 else MeetingStatus.APPROVED


def _reads(rng: random.Random, meetings: list[Meeting], root: Organisation) -> int:
    """A few 调阅 by the street and community admins (LIFE-016), on records of their subtrees."""
    readers = []
    for grant in RoleGrant.objects.filter(
        user__username__in=("jiedao", "shequ", "quwei"), role__in=("org_admin", "district_admin")
    ).select_related("user", "organisation"):
        readers.append((grant.user, grant.organisation.path))
    rows = []
    for user, path in readers:
        mine = [m for m in meetings if m.organisation.path.startswith(path) and m.organisation.path != path]
        for meeting in rng.sample(mine, min(len(mine), 12)):
            rows.append(SuperiorRead(meeting=meeting, user=user, org_path=meeting.organisation.path, reader_path=path))
    SuperiorRead.objects.bulk_create(rows)
    return len(rows)
