"""Reads of organisational life, always from a Scope (404 outside the caller's subtree)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from dangjian.core.scope import Scope, path_range
from dangjian.members.models import Member
from dangjian.organisations.choices import GROUP_KINDS
from dangjian.organisations.models import Organisation

from .choices import MeetingKind, Presence
from .models import Attendance, Meeting, MeetingFile, MeetingKindEntry, SuperiorRead


def meetings_visible_to(scope: Scope) -> QuerySet[Meeting]:
    """Records of branches in the caller's subtrees, plus the caller's own branch's records (members)."""
    if scope.is_superuser:
        return Meeting.objects.all()
    query = scope.orgs_q(prefix="organisation__")
    if scope.member_id:
        org_id = Member.objects.filter(pk=scope.member_id).values_list("organisation_id", flat=True).first()
        if org_id:
            query |= Q(organisation_id=org_id)
    return Meeting.objects.filter(query)


def with_kinds(qs: QuerySet[Meeting]) -> QuerySet[Meeting]:
    return qs.select_related("organisation", "group").prefetch_related(
        Prefetch("kind_entries", queryset=MeetingKindEntry.objects.order_by("id"))
    )


def get_meeting_for(scope: Scope, pk: int) -> Meeting:
    meeting = with_kinds(meetings_visible_to(scope)).filter(pk=pk).first()
    if meeting is None:
        raise Http404("未找到该组织生活记录")
    return meeting


def get_file_for(scope: Scope, pk: int) -> MeetingFile:
    found = MeetingFile.objects.select_related("meeting__organisation").filter(pk=pk, meeting__in=meetings_visible_to(scope)).first()
    if found is None:
        raise Http404("未找到该附件")
    return found


def kinds_of(meeting: Meeting) -> list[str]:
    return [e.kind for e in meeting.kind_entries.all()]


def kind_labels(meeting: Meeting) -> str:
    return "、".join(MeetingKind(k).label for k in kinds_of(meeting))


def filter_meetings(scope: Scope, *, status: str = "", kind: str = "", org: Organisation | None = None, q: str = "") -> QuerySet[Meeting]:
    qs = with_kinds(meetings_visible_to(scope))
    if org is not None:
        qs = qs.filter(organisation__path__range=path_range(org.path))
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind_entries__kind=kind)
    if q.strip():
        qs = qs.filter(Q(topic__icontains=q.strip()) | Q(organisation__name__icontains=q.strip()))
    return qs.order_by("-starts_at", "-id")


def branch_groups(branch: Organisation) -> list[Organisation]:
    return list(
        Organisation.objects.filter(
            path__range=path_range(branch.path), depth=branch.depth + 1, kind__in=list(GROUP_KINDS), dissolved_on__isnull=True
        ).order_by("path")
    )


def branch_members(branch: Organisation) -> list[Member]:
    """Current members of the branch, for the attendance list (masked data is not needed here)."""
    return list(
        Member.objects.filter(organisation=branch, left_on__isnull=True).select_related("group").order_by("group__path", "name", "pk")
    )


@dataclass
class AttendanceSummary:
    """应到/实到/缺席 of a record; exempt (LIFE-010) and flowing (LIFE-011) members never count as absent."""

    expected: int = 0
    present: int = 0
    absent: int = 0
    not_counted: int = 0  # exempt or flowing members absent: not counted
    unrecorded: int = 0
    rows: list[dict[str, Any]] = field(default_factory=list)


def attendance_summary(meeting: Meeting) -> AttendanceSummary:
    """Attendance of every branch member (or group member for a 党小组会 only) with how it counts."""
    members = branch_members(meeting.organisation)
    kinds = set(kinds_of(meeting))
    if meeting.group_id and kinds == {MeetingKind.GROUP_MEETING}:
        members = [m for m in members if m.group_id == meeting.group_id]
    rows = {a.member_id: a for a in meeting.attendances.select_related("recorded_by")}
    listed = {m.pk for m in members}
    extra = Member.objects.filter(pk__in=[pk for pk in rows if pk not in listed]).select_related("group")
    summary = AttendanceSummary()
    for member in [*members, *extra]:
        row = rows.get(member.pk)
        excused = member.is_exempt or member.is_flowing
        presence = row.presence if row else ""
        if presence == Presence.PRESENT:
            summary.present += 1
            summary.expected += 1
        elif excused:
            summary.not_counted += 1
        else:
            summary.expected += 1
            if presence == Presence.ABSENT:
                summary.absent += 1
            else:
                summary.unrecorded += 1
        summary.rows.append({"member": member, "attendance": row, "excused": excused})
    return summary


def upcoming_for_member(member: Member, *, now: datetime | None = None) -> list[Meeting]:
    """My branch's planned meetings (not yet ended), soonest first; a 党小组会 only for my group."""
    now = now or timezone.now()
    qs = with_kinds(Meeting.objects.filter(organisation_id=member.organisation_id, ends_at__gte=now)).order_by("starts_at")
    return [m for m in qs[:20] if not (m.group_id and set(kinds_of(m)) == {MeetingKind.GROUP_MEETING} and m.group_id != member.group_id)]


def attendance_history(member: Member) -> QuerySet[Attendance]:
    return (
        Attendance.objects.filter(member=member)
        .select_related("meeting", "meeting__organisation")
        .prefetch_related("meeting__kind_entries")
        .order_by("-meeting__starts_at")
    )


def reads_in(scope: Scope, root: Organisation, *, start: date, end: date) -> QuerySet[SuperiorRead]:
    """调阅 events on records of ``root``'s subtree in [start, end] (STAT-008), inside the caller's scope."""
    low, high = path_range(root.path)
    since = timezone.make_aware(datetime.combine(start, time.min))
    until = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min))
    qs = SuperiorRead.objects.filter(org_path__range=(low, high), at__gte=since, at__lt=until)
    if not scope.is_superuser:
        qs = qs.filter(scope.orgs_q(prefix="meeting__organisation__"))
    return qs.select_related("user", "meeting", "meeting__organisation").order_by("-at", "-id")


def read_counts(reads: QuerySet[SuperiorRead]) -> dict[str, int]:
    """LIFE-016/STAT-008: events (the seed's 调阅三会一课记录X条) and distinct records beside."""
    totals = reads.order_by().aggregate(events=Count("id"), records=Count("meeting_id", distinct=True))
    return {"events": totals["events"] or 0, "records": totals["records"] or 0}


def awaiting_review(scope: Scope) -> QuerySet[Meeting]:
    from .permissions import SUPERIOR_ROLES

    paths = scope.paths_for(*SUPERIOR_ROLES)
    if not paths and not scope.is_superuser:
        return Meeting.objects.none()
    qs = with_kinds(meetings_visible_to(scope)).filter(status="submitted")
    return qs.order_by("submitted_at", "id")
