"""JSON API of meetings under /api/v1/meetings (scoped per ADR 0004): the same selectors and services
as the pages. A superior's read of a record through the API is an audited 调阅 like a page read."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from dangjian.audit.services import client_ip
from dangjian.core.api import ScopedPagination
from dangjian.core.rules import RuleViolation
from dangjian.organisations.selectors import get_organisation_for

from . import permissions, selectors, services
from .choices import MeetingKind, MeetingStatus
from .compliance import Period, compute_sheet

router = Router(tags=["组织生活"])


class AttendanceIn(Schema):
    member_id: int = Field(title="党员编号")
    presence: str = Field(title="出席情况", description="present 出席 / absent 缺席")
    absence_reason: str = Field("", title="缺席原因", description="sick/personal/business/flowing/exempt/other")


class MeetingIn(Schema):
    kinds: list[str] = Field(
        default_factory=list, title="会议类型", description="、".join(f"{v} {label}" for v, label in MeetingKind.choices)
    )
    group_id: int | None = Field(None, title="党小组编号")
    starts_at: datetime | None = Field(None, title="开始时间")
    ends_at: datetime | None = Field(None, title="结束时间")
    topic: str = Field("", title="主题", max_length=200)
    place: str = Field("", title="地点", max_length=200)
    host: str = Field("", title="主持人", max_length=50)
    recorder: str = Field("", title="记录人", max_length=50)
    agenda: str = Field("", title="议程")
    minutes: str = Field("", title="会议记录")
    decisions: str = Field("", title="决定事项")
    joint_with: str = Field("", title="联合开展", max_length=200)
    guests: str = Field("", title="列席人员（每行一人）")
    booking_id: int | None = Field(None, title="基地预约编号", description="本支部已通过的开放式组织生活基地预约，须与会议同一天")
    attendance: list[AttendanceIn] = Field(default_factory=list, title="出席情况")


class CommentIn(Schema):
    comment: str = Field("", title="审核意见", max_length=2000)


class MeetingRow(Schema):
    id: int
    organisation_id: int
    organisation: str = Field(title="党支部")
    topic: str = Field(title="主题")
    kinds: list[str] = Field(title="会议类型")
    starts_at: datetime
    ends_at: datetime
    place: str
    status: str
    status_label: str


class AttendanceOut(Schema):
    member_id: int
    name: str
    presence: str
    absence_reason: str
    source: str
    counted_absent: bool


class MeetingOut(MeetingRow):
    group_id: int | None
    booking_id: int | None = Field(title="基地预约编号")
    host: str
    recorder: str
    agenda: str
    minutes: str
    decisions: str
    joint_with: str
    guests: list[str]
    review_comment: str
    expected: int = Field(title="应到")
    present: int = Field(title="实到")
    absent: int = Field(title="缺席（不含不计缺席者）")
    attendance: list[AttendanceOut]
    amendments: list[dict[str, Any]]


class ComplianceCell(Schema):
    rule: str
    kind: str
    status: str
    required: int
    done: int
    findings: list[str]


class ComplianceRow(Schema):
    branch_id: int
    branch: str
    status: str
    cells: list[ComplianceCell]


class ComplianceOut(Schema):
    period: str
    rows: list[ComplianceRow]


class ReadsOut(Schema):
    organisation: str
    start: date
    end: date
    events: int = Field(title="调阅三会一课记录（条）")
    records: int = Field(title="涉及记录（条）")


def _row(meeting: Any) -> dict[str, Any]:
    return {
        "id": meeting.pk,
        "organisation_id": meeting.organisation_id,
        "organisation": meeting.organisation.name,
        "topic": meeting.topic,
        "kinds": selectors.kinds_of(meeting),
        "starts_at": meeting.starts_at,
        "ends_at": meeting.ends_at,
        "place": meeting.place,
        "status": meeting.status,
        "status_label": MeetingStatus(meeting.status).label,
    }


def _detail(meeting: Any) -> dict[str, Any]:
    summary = selectors.attendance_summary(meeting)
    return {
        **_row(meeting),
        "group_id": meeting.group_id,
        "host": meeting.host,
        "recorder": meeting.recorder,
        "agenda": meeting.agenda,
        "minutes": meeting.minutes,
        "decisions": meeting.decisions,
        "joint_with": meeting.joint_with,
        "booking_id": meeting.booking_id,
        "guests": meeting.guest_list,
        "review_comment": meeting.review_comment,
        "expected": summary.expected,
        "present": summary.present,
        "absent": summary.absent,
        "attendance": [
            {
                "member_id": r["member"].pk,
                "name": r["member"].name,
                "presence": r["attendance"].presence if r["attendance"] else "",
                "absence_reason": r["attendance"].absence_reason if r["attendance"] else "",
                "source": r["attendance"].source if r["attendance"] else "",
                "counted_absent": bool(r["attendance"] and r["attendance"].presence == "absent" and not r["excused"]),
            }
            for r in summary.rows
        ],
        "amendments": [
            {"number": a.number, "reason": a.reason, "changes": a.changes, "at": a.at.isoformat()} for a in meeting.amendments.all()
        ],
    }


def _input(payload: MeetingIn) -> services.MeetingInput:
    if payload.starts_at is None:
        raise RuleViolation(None, "开始时间：必填，请提供该项。", field="starts_at")
    ends = payload.ends_at or payload.starts_at
    if timezone.is_naive(payload.starts_at) or timezone.is_naive(ends):
        raise RuleViolation(None, "开始时间和结束时间须带时区（如 2026-11-28T14:30:00+08:00）。", field="starts_at")
    return services.MeetingInput(
        kinds=payload.kinds,
        group_id=payload.group_id,
        starts_at=payload.starts_at,
        ends_at=ends,
        topic=payload.topic,
        place=payload.place,
        host=payload.host,
        recorder=payload.recorder,
        agenda=payload.agenda,
        minutes=payload.minutes,
        decisions=payload.decisions,
        joint_with=payload.joint_with,
        guests=payload.guests,
        booking_id=payload.booking_id,
        attendance={a.member_id: (a.presence, a.absence_reason) for a in payload.attendance},
    )


@router.get("/orgs/{int:org_id}/records", response=list[MeetingRow], summary="组织生活记录列表")
@paginate(ScopedPagination, prepare=lambda rows: [_row(m) for m in rows])
def list_records(request: HttpRequest, org_id: int, status: str = "", kind: str = "") -> Any:
    """该组织及其下级党支部的组织生活记录（在您的范围内），可按状态、类型筛选。"""
    scope = request.scope  # type: ignore[attr-defined]
    org = get_organisation_for(scope, org_id)
    return selectors.filter_meetings(
        scope, org=org, status=status if status in MeetingStatus.values else "", kind=kind if kind in MeetingKind.values else ""
    )


@router.post("/orgs/{int:org_id}/records", response={201: MeetingOut}, summary="登记组织生活记录（草稿）")
def create_record(request: HttpRequest, org_id: int, payload: MeetingIn) -> Any:
    """党支部书记登记一次会议或活动，保存为草稿；出席人员须为本支部党员（LIFE-015）。"""
    scope = request.scope  # type: ignore[attr-defined]
    branch = get_organisation_for(scope, org_id)
    if not permissions.can_record(scope, branch):
        raise PermissionDenied(services.NO_RECORD)
    meeting = services.create_meeting(actor=request.user, branch=branch, values=_input(payload))
    return Status(201, _detail(selectors.get_meeting_for(scope, meeting.pk)))


@router.get("/{int:meeting_id}", response=MeetingOut, summary="组织生活记录详情（上级查看记为调阅）")
def get_record(request: HttpRequest, meeting_id: int) -> dict[str, Any]:
    """一条记录；上级党组织管理员查看时记一次调阅（LIFE-016），本支部查看不计。"""
    scope = request.scope  # type: ignore[attr-defined]
    meeting = selectors.get_meeting_for(scope, meeting_id)
    services.record_read(user=request.user, scope=scope, meeting=meeting, ip=client_ip(request))
    return _detail(meeting)


@router.post("/{int:meeting_id}/submit", response=MeetingOut, summary="提交审核")
def submit_record(request: HttpRequest, meeting_id: int) -> dict[str, Any]:
    scope = request.scope  # type: ignore[attr-defined]
    meeting = selectors.get_meeting_for(scope, meeting_id)
    services.submit_meeting(actor=request.user, meeting_id=meeting.pk)
    return _detail(selectors.get_meeting_for(scope, meeting.pk))


@router.post("/{int:meeting_id}/approve", response=MeetingOut, summary="审核通过")
def approve_record(request: HttpRequest, meeting_id: int, payload: CommentIn) -> dict[str, Any]:
    scope = request.scope  # type: ignore[attr-defined]
    meeting = selectors.get_meeting_for(scope, meeting_id)
    services.approve_meeting(actor=request.user, meeting_id=meeting.pk, comment=payload.comment)
    return _detail(selectors.get_meeting_for(scope, meeting.pk))


@router.post("/{int:meeting_id}/return", response=MeetingOut, summary="退回修改（须填写审核意见）")
def return_record(request: HttpRequest, meeting_id: int, payload: CommentIn) -> dict[str, Any]:
    scope = request.scope  # type: ignore[attr-defined]
    meeting = selectors.get_meeting_for(scope, meeting_id)
    services.return_meeting(actor=request.user, meeting_id=meeting.pk, comment=payload.comment)
    return _detail(selectors.get_meeting_for(scope, meeting.pk))


class SheetQuery(Schema):
    period: str = Field("month", title="周期", description="month / quarter / year")
    year: int | None = Field(None, title="年份", ge=2000, le=2100)
    number: int | None = Field(None, title="月份或季度", ge=1, le=12)


@router.get("/orgs/{int:org_id}/compliance", response=ComplianceOut, summary="组织生活落实情况")
def compliance(request: HttpRequest, org_id: int, filters: Query[SheetQuery]) -> dict[str, Any]:
    """该组织下每个党支部在所选周期内各项组织生活的应开、已开、逾期情况，每项注明规则编号（LIFE-001…008）。"""
    scope = request.scope  # type: ignore[attr-defined]
    root = get_organisation_for(scope, org_id)
    if not permissions.can_view_compliance(scope):
        raise PermissionDenied("组织生活落实情况仅供党组织管理员和党支部书记查看。")
    today = timezone.localdate()
    kind = filters.period if filters.period in ("month", "quarter", "year") else "month"
    year = filters.year or today.year
    number = filters.number or (today.month if kind == "month" else (today.month - 1) // 3 + 1)
    period = Period(kind, year, 0 if kind == "year" else min(number, 4) if kind == "quarter" else number)
    sheet = compute_sheet(root, period, today=today, lecture_months=services.lecture_months())
    return {
        "period": period.label,
        "rows": [
            {
                "branch_id": row.id,
                "branch": row.name,
                "status": row.status,
                "cells": [
                    {
                        "rule": c.rule.id,
                        "kind": c.kind,
                        "status": c.status,
                        "required": c.required,
                        "done": c.done,
                        "findings": [b.message for b in c.findings],
                    }
                    for c in row.cells
                ],
            }
            for row in sheet.rows
        ],
    }


class ReadsQuery(Schema):
    start: date | None = Field(None, title="起始日期")
    end: date | None = Field(None, title="截止日期")


@router.get("/orgs/{int:org_id}/reads", response=ReadsOut, summary="调阅三会一课记录条数")
def reads(request: HttpRequest, org_id: int, filters: Query[ReadsQuery]) -> dict[str, Any]:
    """该组织范围内、所选期间的调阅次数（STAT-008：调阅三会一课记录X条）和涉及的记录数。"""
    scope = request.scope  # type: ignore[attr-defined]
    root = get_organisation_for(scope, org_id)
    if not permissions.can_view_reads(scope):
        raise PermissionDenied("调阅记录仅供社区党委、街道党工委和区委组织部的管理员查看。")
    today = timezone.localdate()
    start = filters.start or date(today.year, 1, 1)
    end = filters.end or today
    counts = selectors.read_counts(selectors.reads_in(scope, root, start=start, end=end))
    return {"organisation": root.name, "start": start, "end": end, **counts}
