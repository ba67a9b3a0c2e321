"""JSON API of bases and bookings under /api/v1/bases (scoped per ADR 0004).

Every route names a base or a booking by id; both are loaded through ``selectors.get_base_for`` /
``get_booking_for`` first (404 outside the caller's reach), then the role is checked (403). Request
bodies have defaults for every field, so a scope miss answers 404 before any validation. Booking
takes a ``request_key``: a retried request returns the booking the first one made.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from dangjian.core.api import forbid, labelled
from dangjian.core.masking import mask_phone
from dangjian.core.rules import RuleViolation
from dangjian.organisations.selectors import get_organisation_for

from . import permissions, selectors, services
from .choices import BookingStatus
from .models import Booking

router = Router(tags=["开放式组织生活基地"])


class ActivityOut(Schema):
    id: int
    name: str = Field(title="活动名称")
    duration_minutes: int = Field(title="时长（分钟）")
    capacity: int = Field(title="每批最多人数")


class BaseOut(Schema):
    id: int
    name: str = Field(title="基地名称")
    host_unit: str = Field(title="承办单位")
    site: str = Field(title="地址")
    location_id: int = Field(title="所属党组织")
    contact_name: str = Field(title="联系人")
    contact_phone: str = Field(title="联系电话（脱敏）")
    capacity: int = Field(title="容纳人数")
    needs_approval: bool = Field(title="须审核")
    min_notice_hours: int
    max_notice_days: int
    monthly_quota: int
    activities: list[ActivityOut]


class SlotOut(Schema):
    starts_at: datetime = Field(title="开始时间")
    ends_at: datetime = Field(title="结束时间")
    free: int = Field(title="剩余名额")
    bookable: bool = Field(title="可预约")
    reason: str = Field(title="不可预约原因")


class SlotQuery(Schema):
    day: date | None = Field(None, title="日期")
    activity_id: int | None = Field(None, title="活动")


class BookingIn(Schema):
    activity_id: int | None = Field(None, title="活动")
    organisation_id: int | None = Field(None, title="预约党支部")
    starts_at: datetime | None = Field(None, title="开始时间")
    headcount: int | None = Field(None, title="人数")
    contact_name: str = Field("", max_length=50, title="联系人")
    contact_phone: str = Field("", max_length=20, title="联系电话")
    note: str = Field("", max_length=300, title="备注")
    participant_ids: list[int] = Field(default_factory=list, title="参加人员")
    request_key: str = Field("", max_length=80, title="请求标识（重试时不变，防止重复预约）")


class BookingOut(Schema):
    id: int
    base_id: int
    base: str = Field(title="基地")
    activity: str = Field(title="活动")
    organisation_id: int
    organisation: str = Field(title="预约党支部")
    starts_at: datetime
    ends_at: datetime
    headcount: int = Field(title="人数")
    status: str = Field(title="状态代码")
    status_label: str = Field(title="状态")
    contact_name: str
    contact_phone: str = Field(title="联系电话（脱敏）")
    check_code: str = Field(title="签到码（仅预约方和基地管理员）")
    decline_reason: str
    attended: int | None
    replayed: bool = Field(False, title="重复提交，返回已有预约")


class DeclineIn(Schema):
    reason: str = Field("", max_length=300, title="不通过原因")


class CancelIn(Schema):
    reason: str = Field("", max_length=300, title="取消原因")


class CheckInIn(Schema):
    attended: int | None = Field(None, title="实到人数")


def _booking_out(booking: Booking) -> dict[str, Any]:
    return {
        "id": booking.pk,
        "base_id": booking.base_id,
        "base": booking.base.name,
        "activity": booking.activity.name,
        "organisation_id": booking.organisation_id,
        "organisation": booking.organisation.name,
        "starts_at": booking.starts_at,
        "ends_at": booking.ends_at,
        "headcount": booking.headcount,
        "status": booking.status,
        "status_label": labelled(BookingStatus.choices, booking.status),
        "contact_name": booking.contact_name,
        "contact_phone": mask_phone(booking.contact_phone),
        "check_code": booking.check_code,
        "decline_reason": booking.decline_reason,
        "attended": booking.attended,
        "replayed": bool(getattr(booking, "replayed", False)),
    }


@router.get("/{int:base_id}", response=BaseOut, summary="基地详情与活动菜单")
def base_detail(request: HttpRequest, base_id: int) -> dict[str, Any]:
    base = selectors.get_base_for(request.scope, base_id)  # type: ignore[attr-defined]
    return {
        **{f: getattr(base, f) for f in ("id", "name", "host_unit", "site", "location_id", "contact_name", "capacity", "needs_approval")},
        **{f: getattr(base, f) for f in ("min_notice_hours", "max_notice_days", "monthly_quota")},
        "contact_phone": mask_phone(base.contact_phone),
        "activities": list(base.activities.filter(is_active=True)),
    }


@router.get("/{int:base_id}/slots", response=list[SlotOut], summary="某日某活动的时段与剩余名额（实时）")
def slots(request: HttpRequest, base_id: int, query: Query[SlotQuery]) -> list[Any]:
    base = selectors.get_base_for(request.scope, base_id)  # type: ignore[attr-defined]
    activity = (
        base.activities.filter(is_active=True, pk=query.activity_id).first()
        if query.activity_id
        else base.activities.filter(is_active=True).first()
    )
    if activity is None:
        raise RuleViolation(None, f"请从{base.name}的活动菜单中选择活动（activity_id）。", field="activity_id")
    return selectors.day_slots(base, activity, query.day or timezone.localdate())


@router.post(
    "/{int:base_id}/bookings", response={201: BookingOut, 200: BookingOut}, summary="预约一个时段（不会超员；请求标识相同则不重复预约）"
)
def create_booking(request: HttpRequest, base_id: int, payload: BookingIn) -> Status:
    scope = request.scope  # type: ignore[attr-defined]
    base = selectors.get_base_for(scope, base_id)
    if not permissions.can_book(scope):
        raise forbid("只有党支部书记（或上级党组织管理员）可以为党支部预约基地。")
    if payload.organisation_id is None:
        raise RuleViolation(None, "请提供预约党支部 organisation_id。", field="organisation_id")
    org = get_organisation_for(scope, payload.organisation_id)
    if not permissions.can_book_for(scope, org, base):
        raise forbid(f"您不能以“{org.name}”的名义预约{base.name}。")
    if payload.activity_id is None or payload.starts_at is None or payload.headcount is None:
        missing = [
            n
            for n, v in (("activity_id", payload.activity_id), ("starts_at", payload.starts_at), ("headcount", payload.headcount))
            if v is None
        ]
        raise RuleViolation(None, f"缺少必填项：{'、'.join(missing)}。", field=missing[0])
    booking = services.book_slot(
        actor=request.user,
        base_id=base.pk,
        activity_id=payload.activity_id,
        organisation_id=org.pk,
        starts_at=payload.starts_at,
        headcount=payload.headcount,
        contact_name=payload.contact_name,
        contact_phone=payload.contact_phone,
        note=payload.note,
        participant_ids=payload.participant_ids,
        request_key=payload.request_key,
    )
    return Status(200 if getattr(booking, "replayed", False) else 201, _booking_out(booking))


def _booking(request: HttpRequest, booking_id: int, *, keeper: bool) -> Booking:
    scope = request.scope  # type: ignore[attr-defined]
    booking = selectors.get_booking_for(scope, booking_id)
    allowed = permissions.can_decide(scope, booking) if keeper else permissions.can_act_for_branch(scope, booking)
    if not allowed:
        raise forbid("需要本基地的基地管理员角色" if keeper else "需要预约党支部的书记或上级党组织管理员角色")
    return booking


@router.get("/bookings/{int:booking_id}", response=BookingOut, summary="预约详情")
def booking_detail(request: HttpRequest, booking_id: int) -> dict[str, Any]:
    return _booking_out(selectors.get_booking_for(request.scope, booking_id))  # type: ignore[attr-defined]


@router.post("/bookings/{int:booking_id}/approve", response=BookingOut, summary="审核通过（基地管理员）")
def approve(request: HttpRequest, booking_id: int) -> dict[str, Any]:
    booking = _booking(request, booking_id, keeper=True)
    return _booking_out(services.approve_booking(actor=request.user, booking_id=booking.pk))


@router.post("/bookings/{int:booking_id}/decline", response=BookingOut, summary="审核不通过，须写明原因（基地管理员）")
def decline(request: HttpRequest, booking_id: int, payload: DeclineIn) -> dict[str, Any]:
    booking = _booking(request, booking_id, keeper=True)
    return _booking_out(services.decline_booking(actor=request.user, booking_id=booking.pk, reason=payload.reason))


@router.post("/bookings/{int:booking_id}/cancel", response=BookingOut, summary="取消预约（预约党支部，截止时间前）")
def cancel(request: HttpRequest, booking_id: int, payload: CancelIn) -> dict[str, Any]:
    booking = _booking(request, booking_id, keeper=False)
    return _booking_out(services.cancel_booking(actor=request.user, booking_id=booking.pk, reason=payload.reason))


@router.post("/bookings/{int:booking_id}/check-in", response=BookingOut, summary="签到（基地管理员，签到时间内）")
def check_in(request: HttpRequest, booking_id: int, payload: CheckInIn) -> dict[str, Any]:
    booking = _booking(request, booking_id, keeper=True)
    return _booking_out(services.check_in(actor=request.user, booking_id=booking.pk, attended=payload.attended))
