"""Writes of organisational life: record, edit, submit, review, amend, files, check-in, 调阅.

Every function is one ``atomic()``; a broken rule raises ``RuleViolation`` and writes nothing.
Status changes are conditional UPDATEs on the expected status (STACK.md §5): when two reviewers
act at once, exactly one UPDATE matches and the other gets LIFE-015 “已被他人处理”.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from dangjian.accounts.scopes import build_scope
from dangjian.audit.models import AuditAction
from dangjian.audit.services import record_event
from dangjian.core.rules import RuleViolation
from dangjian.core.scope import Scope
from dangjian.core.uploads import IMAGE_TYPES, check_upload
from dangjian.members.models import Member
from dangjian.organisations.choices import GROUP_KINDS
from dangjian.organisations.models import Organisation
from dangjian.venues.choices import BookingStatus
from dangjian.venues.models import Booking

from . import rules
from .choices import (
    COUNTED_STATUSES,
    EDITABLE_STATUSES,
    LOCKED_STATUSES,
    AbsenceReason,
    AttendanceAction,
    AttendanceSource,
    EventAction,
    FileKind,
    MeetingKind,
    MeetingStatus,
    Presence,
)
from .models import Amendment, Attendance, AttendanceLog, LifeSettings, Meeting, MeetingEvent, MeetingFile, MeetingKindEntry, SuperiorRead
from .notices import tell_secretaries_of_review
from .permissions import can_record, can_review, superior_path

CHECKIN_SALT = "dangjian.meetings.checkin"
NO_RECORD = "只有本支部的党支部书记可以登记、修改和提交组织生活记录。"
NO_REVIEW = "只有上级党组织（社区党委、街道党工委、区委组织部）的管理员可以审核组织生活记录。"
TEXT_FIELDS = ("topic", "place", "host", "recorder", "agenda", "minutes", "decisions", "joint_with", "guests")
FIELD_LABELS = {
    "topic": "主题",
    "place": "地点",
    "host": "主持人",
    "recorder": "记录人",
    "agenda": "议程",
    "minutes": "会议记录",
    "decisions": "决定事项",
    "joint_with": "联合开展",
    "guests": "列席人员",
    "starts_at": "开始时间",
    "ends_at": "结束时间",
    "kinds": "会议类型",
    "group": "党小组",
}


@dataclass
class MeetingInput:
    """What the one record form (and the API) submits."""

    kinds: list[str]
    starts_at: datetime
    ends_at: datetime
    topic: str
    place: str
    host: str
    recorder: str
    group_id: int | None = None
    agenda: str = ""
    minutes: str = ""
    decisions: str = ""
    joint_with: str = ""
    guests: str = ""
    booking_id: int | None = None
    # member id -> (presence "present"/"absent"/"" for not recorded, absence reason)
    attendance: dict[int, tuple[str, str]] = field(default_factory=dict)


def _scope(actor: Any) -> Scope:
    return build_scope(actor)


def lecture_months() -> int:
    """LIFE-004: the district's 党课 frequency in months (default quarterly)."""
    value = LifeSettings.objects.values_list("lecture_months", flat=True).first()
    return int(value or 3)


def update_settings(*, actor: Any, lecture_months: int) -> LifeSettings:
    """Change the district's 党课 frequency (LIFE-004); only tighter than once a year is allowed by the choices."""
    if lecture_months not in (1, 2, 3, 6, 12):
        raise RuleViolation(
            rules.LIFE_004, "党课频次只能是每月、每两个月、每季度、每半年或每年一次（每年至少一次，LIFE-004）", field="lecture_months"
        )
    with transaction.atomic():
        current, _ = LifeSettings.objects.select_for_update().get_or_create(pk=1)
        before = current.lecture_months
        current.lecture_months = lecture_months
        current.updated_by = actor
        current.save()
        record_event(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=current,
            before={"lecture_months": before},
            after={"lecture_months": lecture_months},
        )
    return current


# --- recording -------------------------------------------------------------------------------------


def _branch_members(branch: Organisation) -> dict[int, Member]:
    return {m.pk: m for m in Member.objects.filter(organisation=branch, left_on__isnull=True)}


def booking_choices(branch: Organisation, *, meeting: Meeting | None = None) -> QuerySet[Booking]:
    """The branch's approved (or checked-in) base bookings not yet used by another record."""
    qs = Booking.objects.filter(organisation=branch, status__in=[BookingStatus.APPROVED, BookingStatus.CHECKED_IN])
    used = Meeting.objects.filter(booking__isnull=False)
    if meeting is not None:
        used = used.exclude(pk=meeting.pk)
    return qs.exclude(pk__in=used.values("booking_id")).order_by("-starts_at")


def _validate(branch: Organisation, values: MeetingInput) -> tuple[Organisation | None, dict[int, tuple[str, str]]]:
    """Kinds, group and attendance checked against the branch; returns the group and clean attendance."""
    kinds = [k for k in dict.fromkeys(values.kinds) if k in MeetingKind.values]
    if not kinds:
        raise RuleViolation(None, "请至少选择一种会议类型。", field="kinds")
    values.kinds = kinds
    group = None
    if MeetingKind.GROUP_MEETING in kinds or values.group_id:
        if not values.group_id:
            raise rules.LIFE_015_GROUP.violation(field="group")
        group = Organisation.objects.filter(
            pk=values.group_id, kind__in=list(GROUP_KINDS), path__startswith=branch.path, depth=branch.depth + 1
        ).first()
        if group is None:
            raise RuleViolation(None, "所选党小组不属于本支部，请重新选择。", field="group")
    if values.ends_at < values.starts_at:
        raise RuleViolation(None, "结束时间不能早于开始时间。", field="ends_at")
    if values.booking_id:
        booking = booking_choices(branch).filter(pk=values.booking_id).select_related("base").first()
        if booking is None:
            raise RuleViolation(None, "所选基地预约不是本支部已通过的预约，请重新选择。", field="booking")
        if timezone.localtime(booking.starts_at).date() != timezone.localtime(values.starts_at).date():
            raise RuleViolation(
                None, f"所选基地预约在{timezone.localtime(booking.starts_at):%m月%d日}，与会议日期不一致。", field="booking"
            )
        if not str(values.place or "").strip():
            values.place = booking.base.name
    for name in ("topic", "place", "host", "recorder"):
        if not str(getattr(values, name) or "").strip():
            raise RuleViolation(None, f"请填写{FIELD_LABELS[name]}。", field=name)
    members = _branch_members(branch)
    only_group = group is not None and set(kinds) == {MeetingKind.GROUP_MEETING}
    clean: dict[int, tuple[str, str]] = {}
    for member_id, (presence, reason) in values.attendance.items():
        if not presence:
            continue
        member = members.get(member_id)
        if member is None:
            name = Member.objects.filter(pk=member_id).values_list("name", flat=True).first() or f"编号{member_id}"
            raise rules.LIFE_015_ATTENDEE.violation(field="attendance", name=name, where=branch.name)
        if only_group and presence == Presence.PRESENT and member.group_id != group.pk:  # type: ignore[union-attr]
            raise rules.LIFE_015_ATTENDEE.violation(field="attendance", name=member.name, where=f"党小组“{group}”")
        if presence not in Presence.values:
            raise RuleViolation(None, f"“{member.name}”的出席情况无效。", field="attendance")
        if presence == Presence.ABSENT:
            if not reason:
                # LIFE-010/011: flowing and exempt members are absent for a reason the registry already knows
                reason = AbsenceReason.FLOWING if member.is_flowing else AbsenceReason.EXEMPT if member.is_exempt else ""
            if reason not in AbsenceReason.values:
                raise rules.LIFE_015_ABSENCE.violation(field="attendance", name=member.name)
        else:
            reason = ""
        clean[member_id] = (presence, reason)
    return group, clean


def _attendance_text(presence: str, reason: str) -> str:
    if not presence:
        return "未登记"
    text = Presence(presence).label
    if reason:
        text += f"（{AbsenceReason(reason).label}）"
    return text


def _write_attendance(meeting: Meeting, wanted: dict[int, tuple[str, str]], *, actor: Any, action: str) -> list[list[str]]:
    """Bring attendance rows to ``wanted`` (members not named keep nothing), logging every change."""
    existing = {a.member_id: a for a in meeting.attendances.select_related("member")}
    names = dict(Member.objects.filter(pk__in=list(wanted) + list(existing)).values_list("pk", "name"))
    changes: list[list[str]] = []
    for member_id in sorted(set(existing) | set(wanted)):
        row = existing.get(member_id)
        before = (row.presence, row.absence_reason) if row else ("", "")
        after = wanted.get(member_id, ("", ""))
        if before == after:
            continue
        if row is None:
            Attendance.objects.create(
                meeting=meeting,
                member_id=member_id,
                presence=after[0],
                absence_reason=after[1],
                source=AttendanceSource.MANUAL,
                recorded_by=actor,
            )
        elif not after[0]:
            row.delete()
        else:
            row.presence, row.absence_reason, row.recorded_by = after[0], after[1], actor
            row.source = AttendanceSource.MANUAL if row.source != AttendanceSource.MANUAL and after[0] != before[0] else row.source
            row.save()
        AttendanceLog.objects.create(
            meeting=meeting,
            member_id=member_id,
            action=action,
            before=_attendance_text(*before),
            after=_attendance_text(*after),
            actor=actor,
        )
        changes.append([f"出席：{names.get(member_id, member_id)}", _attendance_text(*before), _attendance_text(*after)])
    return changes


def _write_kinds(meeting: Meeting, kinds: Iterable[str]) -> None:
    MeetingKindEntry.objects.filter(meeting=meeting).delete()
    MeetingKindEntry.objects.bulk_create(
        MeetingKindEntry(
            meeting=meeting,
            kind=kind,
            organisation_id=meeting.organisation_id,
            group_id=meeting.group_id,
            held_month=meeting.held_on.year * 100 + meeting.held_on.month,
            counted=meeting.status in COUNTED_STATUSES,
        )
        for kind in kinds
    )


def _apply(meeting: Meeting, values: MeetingInput, group: Organisation | None) -> None:
    for name in TEXT_FIELDS:
        setattr(meeting, name, str(getattr(values, name) or "").strip())
    meeting.starts_at, meeting.ends_at = values.starts_at, values.ends_at
    meeting.held_on = timezone.localtime(values.starts_at).date()
    meeting.group = group
    meeting.booking_id = values.booking_id or None


def _event(meeting: Meeting, action: str, actor: Any, comment: str = "") -> MeetingEvent:
    return MeetingEvent.objects.create(meeting=meeting, action=action, actor=actor, comment=comment)


def _tell(meeting: Meeting, actor: Any, action: str, comment: str, event: MeetingEvent, now: datetime) -> None:
    """The branch's secretaries hear of the review (inbox, and SMS/WeChat per preferences)."""
    path = superior_path(_scope(actor), meeting.organisation)
    reviewer = Organisation.objects.filter(path=path).values_list("name", flat=True).first() if path else None
    tell_secretaries_of_review(
        meeting, action=action, comment=comment, reviewer_org=reviewer or "上级党组织", event_id=event.pk, on=timezone.localtime(now).date()
    )


def create_meeting(*, actor: Any, branch: Organisation, values: MeetingInput, uploads: list[Any] | None = None) -> Meeting:
    """A new record of ``branch`` (draft), with its kinds, attendance and files, all or nothing."""
    if not can_record(_scope(actor), branch):
        raise PermissionDenied(NO_RECORD)
    if not branch.holds_members:
        raise RuleViolation(None, f"“{branch.name}”不是党支部，组织生活记录应由党支部登记。", field="organisation")
    group, attendance = _validate(branch, values)
    file_kinds = _check_files(uploads or [])
    with transaction.atomic():
        meeting = Meeting(organisation=branch, created_by=actor)
        _apply(meeting, values, group)
        meeting.save()
        _write_kinds(meeting, values.kinds)
        _write_attendance(meeting, attendance, actor=actor, action=AttendanceAction.SET)
        _event(meeting, EventAction.CREATED, actor)
        _store_files(meeting, uploads or [], file_kinds, actor)
    return meeting


def _locked(meeting_id: int) -> Meeting:
    return Meeting.objects.select_for_update().select_related("organisation").get(pk=meeting_id)


def update_meeting(*, actor: Any, meeting_id: int, values: MeetingInput, uploads: list[Any] | None = None) -> Meeting:
    """Edit a draft or returned record; a submitted or approved one is refused (LIFE-015)."""
    file_kinds = _check_files(uploads or [])
    with transaction.atomic():
        meeting = _locked(meeting_id)
        if not can_record(_scope(actor), meeting.organisation):
            raise PermissionDenied(NO_RECORD)
        if meeting.status not in EDITABLE_STATUSES:
            hint = (
                "如需更正，请使用“更正记录”，更正内容将公开留痕"
                if meeting.status in LOCKED_STATUSES
                else "请等待上级审核；如被退回，可修改后重新提交"
            )
            raise rules.LIFE_015_LOCKED.violation(status=f"{meeting.get_status_display()}", hint=hint)
        group, attendance = _validate(meeting.organisation, values)
        _apply(meeting, values, group)
        meeting.save()
        _write_kinds(meeting, values.kinds)
        _write_attendance(meeting, attendance, actor=actor, action=AttendanceAction.CORRECT)
        _event(meeting, EventAction.UPDATED, actor)
        _store_files(meeting, uploads or [], file_kinds, actor)
    return meeting


# --- review workflow -------------------------------------------------------------------------------

# (from status, action) -> (to status, who): the whole state machine of LIFE-015
TRANSITIONS: dict[tuple[str, str], tuple[str, str]] = {
    (MeetingStatus.DRAFT, "submit"): (MeetingStatus.SUBMITTED, "secretary"),
    (MeetingStatus.RETURNED, "submit"): (MeetingStatus.SUBMITTED, "secretary"),
    (MeetingStatus.SUBMITTED, "approve"): (MeetingStatus.APPROVED, "superior"),
    (MeetingStatus.SUBMITTED, "return"): (MeetingStatus.RETURNED, "superior"),
    (MeetingStatus.APPROVED, "amend"): (MeetingStatus.AMENDED, "secretary"),
    (MeetingStatus.AMENDED, "amend"): (MeetingStatus.AMENDED, "secretary"),
}
ACTION_LABELS = {"submit": "提交审核", "approve": "审核通过", "return": "退回", "amend": "更正"}


def _may(scope: Scope, branch: Organisation, who: str) -> bool:
    return can_record(scope, branch) if who == "secretary" else can_review(scope, branch)


def _transition(*, actor: Any, meeting: Meeting, action: str, extra: dict[str, Any]) -> Meeting:
    """Move ``meeting`` by ``action`` with a conditional UPDATE on the status it was read with."""
    scope = _scope(actor)
    who_for_action = {"submit": "secretary", "amend": "secretary", "approve": "superior", "return": "superior"}[action]
    if not _may(scope, meeting.organisation, who_for_action):
        raise PermissionDenied(NO_RECORD if who_for_action == "secretary" else NO_REVIEW)
    step = TRANSITIONS.get((meeting.status, action))
    if step is None:
        raise rules.LIFE_015_TRANSITION.violation(status=meeting.get_status_display(), action=ACTION_LABELS[action])
    target = step[0]
    changed = Meeting.objects.filter(pk=meeting.pk, status=meeting.status).update(status=target, updated_at=timezone.now(), **extra)
    if changed != 1:
        current = Meeting.objects.filter(pk=meeting.pk).values_list("status", flat=True).first() or ""
        label = MeetingStatus(current).label if current else "已删除"
        raise rules.LIFE_015_TAKEN.violation(status=label, action=ACTION_LABELS[action])
    MeetingKindEntry.objects.filter(meeting_id=meeting.pk).update(counted=target in COUNTED_STATUSES)
    meeting.status = target
    for key, value in extra.items():
        setattr(meeting, key, value)
    return meeting


def expected_voters(meeting: Meeting) -> tuple[int, int]:
    """ORG-016: (voting members expected, voting members present) of the branch at this record.

    Full members vote (probationary members do not); exempt (LIFE-010) and flowing (LIFE-011)
    members are out of the denominator unless they came."""
    full = list(
        Member.objects.filter(organisation_id=meeting.organisation_id, left_on__isnull=True, status="full").values(
            "pk", "is_exempt", "is_flowing"
        )
    )
    present = set(meeting.attendances.filter(presence=Presence.PRESENT).values_list("member_id", flat=True))
    expected = sum(1 for m in full if not (m["is_exempt"] or m["is_flowing"]) or m["pk"] in present)
    came = sum(1 for m in full if m["pk"] in present)
    return expected, came


def submit_meeting(*, actor: Any, meeting_id: int, now: datetime | None = None) -> Meeting:
    """Submit (or resubmit) a held record for the superior's review."""
    now = now or timezone.now()
    with transaction.atomic():
        meeting = _locked(meeting_id)
        if not can_record(_scope(actor), meeting.organisation):
            raise PermissionDenied(NO_RECORD)
        if meeting.status in EDITABLE_STATUSES:
            rules.check_not_future(starts_at=meeting.starts_at, now=now)
            kinds = set(meeting.kind_entries.values_list("kind", flat=True))
            if MeetingKind.BRANCH_GENERAL_MEETING in kinds and meeting.decisions.strip():
                expected, present = expected_voters(meeting)
                rules.check_quorum(expected=expected, present=present)
        resubmit = meeting.status == MeetingStatus.RETURNED
        _transition(actor=actor, meeting=meeting, action="submit", extra={"submitted_at": now})
        _event(meeting, EventAction.RESUBMITTED if resubmit else EventAction.SUBMITTED, actor)
    return meeting


def approve_meeting(*, actor: Any, meeting_id: int, comment: str = "", now: datetime | None = None) -> Meeting:
    """线上审核: approve a submitted record; it is locked from now on."""
    now = now or timezone.now()
    with transaction.atomic():
        meeting = Meeting.objects.select_related("organisation").get(pk=meeting_id)
        _transition(
            actor=actor,
            meeting=meeting,
            action="approve",
            extra={"reviewed_at": now, "reviewed_by": actor, "review_comment": comment.strip()},
        )
        event = _event(meeting, EventAction.APPROVED, actor, comment.strip())
        record_event(actor=actor, action=AuditAction.UPDATE, obj=meeting, org_path=meeting.organisation.path, after={"status": "approved"})
        _tell(meeting, actor, "approved", comment.strip(), event, now)
    return meeting


def return_meeting(*, actor: Any, meeting_id: int, comment: str, now: datetime | None = None) -> Meeting:
    """线上审核: return a submitted record with comments; the secretary corrects and resubmits."""
    now = now or timezone.now()
    with transaction.atomic():
        meeting = Meeting.objects.select_related("organisation").get(pk=meeting_id)
        if not comment.strip() and can_review(_scope(actor), meeting.organisation):
            raise rules.LIFE_015_COMMENT.violation(field="comment")
        _transition(
            actor=actor,
            meeting=meeting,
            action="return",
            extra={"reviewed_at": now, "reviewed_by": actor, "review_comment": comment.strip()},
        )
        event = _event(meeting, EventAction.RETURNED, actor, comment.strip())
        record_event(actor=actor, action=AuditAction.UPDATE, obj=meeting, org_path=meeting.organisation.path, after={"status": "returned"})
        _tell(meeting, actor, "returned", comment.strip(), event, now)
    return meeting


def amend_meeting(*, actor: Any, meeting_id: int, values: MeetingInput, reason: str) -> Amendment:
    """Correct an approved record: a numbered, visible Amendment lists every change (LIFE-015)."""
    with transaction.atomic():
        meeting = _locked(meeting_id)
        scope = _scope(actor)
        if not can_record(scope, meeting.organisation):
            raise PermissionDenied(NO_RECORD)
        if (meeting.status, "amend") not in TRANSITIONS:
            raise rules.LIFE_015_TRANSITION.violation(status=meeting.get_status_display(), action=ACTION_LABELS["amend"])
        if not reason.strip():
            raise rules.LIFE_015_REASON.violation(field="reason")
        group, attendance = _validate(meeting.organisation, values)
        before = {name: getattr(meeting, name) for name in TEXT_FIELDS}
        before_times = (meeting.starts_at, meeting.ends_at)
        before_kinds = sorted(meeting.kind_entries.values_list("kind", flat=True))
        before_group = meeting.group
        before_booking = meeting.booking
        _apply(meeting, values, group)
        changes: list[list[str]] = [
            [FIELD_LABELS[name], before[name], getattr(meeting, name)] for name in TEXT_FIELDS if before[name] != getattr(meeting, name)
        ]
        for label, old, new in (("开始时间", before_times[0], meeting.starts_at), ("结束时间", before_times[1], meeting.ends_at)):
            if old != new:
                changes.append([label, f"{timezone.localtime(old):%Y-%m-%d %H:%M}", f"{timezone.localtime(new):%Y-%m-%d %H:%M}"])
        if sorted(values.kinds) != before_kinds:
            changes.append(["会议类型", _kinds_text(before_kinds), _kinds_text(values.kinds)])
        if before_group != group:
            changes.append(["党小组", str(before_group or "（无）"), str(group or "（无）")])
        if (before_booking.pk if before_booking else None) != meeting.booking_id:
            after_booking = Booking.objects.filter(pk=meeting.booking_id).first() if meeting.booking_id else None
            changes.append(["基地预约", str(before_booking or "（无）"), str(after_booking or "（无）")])
        changes += _write_attendance(meeting, attendance, actor=actor, action=AttendanceAction.AMEND)
        if not changes:
            raise rules.LIFE_015_NO_CHANGE.violation()
        meeting.save()
        _transition(actor=actor, meeting=meeting, action="amend", extra={})
        _write_kinds(meeting, values.kinds)
        number = (meeting.amendments.aggregate(n=Max("number"))["n"] or 0) + 1
        amendment = Amendment.objects.create(meeting=meeting, number=number, reason=reason.strip(), changes=changes, actor=actor)
        _event(meeting, EventAction.AMENDED, actor, reason.strip())
        record_event(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=meeting,
            org_path=meeting.organisation.path,
            reason=reason,
            detail={"amendment": number},
        )
    return amendment


def _kinds_text(kinds: Iterable[str]) -> str:
    return "、".join(MeetingKind(k).label for k in kinds) or "（无）"


# --- files -----------------------------------------------------------------------------------------


def _check_files(uploads: list[Any]) -> list[str]:
    """Each upload's kind after ``check_upload`` (type by content, size limit); refuses the first bad one."""
    kinds = []
    for upload in uploads:
        ext = check_upload(upload, field="files", what="附件")
        kinds.append(FileKind.PHOTO if ext in IMAGE_TYPES else FileKind.DOCUMENT)
    return kinds


def _store_files(meeting: Meeting, uploads: list[Any], kinds: list[str], actor: Any) -> list[MeetingFile]:
    created = []
    for upload, kind in zip(uploads, kinds, strict=True):
        shown = str(upload.name).rsplit("/", 1)[-1][:200]
        created.append(
            MeetingFile.objects.create(meeting=meeting, kind=kind, file=upload, original_name=shown, size=upload.size, uploaded_by=actor)
        )
        _event(meeting, EventAction.FILE_ADDED, actor, shown)
    return created


def add_files(*, actor: Any, meeting_id: int, uploads: list[Any]) -> list[MeetingFile]:
    """Photos and documents of an editable record: type checked by content, size limited, server names.
    Never required (LIFE-024: no photo proof unless a rule asks for evidence)."""
    kinds = _check_files(uploads)
    with transaction.atomic():
        meeting = _locked(meeting_id)
        if not can_record(_scope(actor), meeting.organisation):
            raise PermissionDenied(NO_RECORD)
        if meeting.status not in EDITABLE_STATUSES:
            raise rules.LIFE_015_LOCKED.violation(status=meeting.get_status_display(), hint="已提交的记录不能再添加附件")
        created = []
        for upload, kind in zip(uploads, kinds, strict=True):
            shown = str(upload.name).rsplit("/", 1)[-1][:200]
            created.append(
                MeetingFile.objects.create(
                    meeting=meeting, kind=kind, file=upload, original_name=shown, size=upload.size, uploaded_by=actor
                )
            )
            _event(meeting, EventAction.FILE_ADDED, actor, shown)
    return created


# --- QR check-in (LIFE-022) ------------------------------------------------------------------------


def checkin_window(meeting: Meeting) -> tuple[datetime, datetime]:
    return (
        meeting.starts_at - timedelta(minutes=rules.CHECKIN_OPENS_BEFORE_MINUTES),
        meeting.ends_at + timedelta(minutes=rules.CHECKIN_CLOSES_AFTER_MINUTES),
    )


def _check_window(meeting: Meeting, now: datetime) -> None:
    opens, closes = checkin_window(meeting)
    if now > closes or meeting.status not in EDITABLE_STATUSES:
        raise rules.LIFE_022_EXPIRED.violation(ended=f"{timezone.localtime(meeting.ends_at):%m月%d日 %H:%M}")
    if now < opens:
        raise rules.LIFE_022_NOT_OPEN.violation(
            before=rules.CHECKIN_OPENS_BEFORE_MINUTES,
            after=rules.CHECKIN_CLOSES_AFTER_MINUTES,
            when=f"{timezone.localtime(meeting.starts_at):%m月%d日 %H:%M}开始",
        )


def open_checkin(*, actor: Any, meeting_id: int, now: datetime | None = None) -> Meeting:
    """The secretary opens QR check-in at a held meeting: a fresh nonce and a six-digit code."""
    now = now or timezone.now()
    with transaction.atomic():
        meeting = _locked(meeting_id)
        if not can_record(_scope(actor), meeting.organisation):
            raise PermissionDenied(NO_RECORD)
        _check_window(meeting, now)
        if not meeting.checkin_nonce:
            meeting.checkin_nonce = secrets.token_hex(16)
            meeting.checkin_code = _free_code(now)
            meeting.checkin_opened_at = now
            meeting.save(update_fields=["checkin_nonce", "checkin_code", "checkin_opened_at"])
            _event(meeting, EventAction.CHECKIN_OPENED, actor)
    return meeting


def _free_code(now: datetime) -> str:
    """Six digits not used by another meeting whose check-in window is still open."""
    while True:
        code = f"{secrets.randbelow(1_000_000):06d}"
        clash = Meeting.objects.filter(checkin_code=code, ends_at__gte=now - timedelta(minutes=rules.CHECKIN_CLOSES_AFTER_MINUTES))
        if not clash.exists():
            return code


def checkin_token(meeting: Meeting) -> str:
    """The signed token inside the QR code (meeting id + nonce); forging one needs the server key."""
    return signing.dumps({"m": meeting.pk, "n": meeting.checkin_nonce}, salt=CHECKIN_SALT, compress=False)


def meeting_for_token(token: str) -> Meeting:
    """The meeting a token names, or LIFE-022 “签到码无效” for anything forged, altered or closed."""
    try:
        data = signing.loads(token, salt=CHECKIN_SALT)
        meeting = Meeting.objects.select_related("organisation").get(pk=int(data["m"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError, Meeting.DoesNotExist):
        raise rules.LIFE_022_FORGED.violation(field="code") from None
    if not meeting.checkin_nonce or not secrets.compare_digest(str(data.get("n", "")), meeting.checkin_nonce):
        raise rules.LIFE_022_FORGED.violation(field="code")
    return meeting


def meeting_for_code(code: str, *, now: datetime | None = None) -> Meeting:
    now = now or timezone.now()
    code = "".join(ch for ch in code if ch.isdigit())
    meeting = (
        Meeting.objects.select_related("organisation")
        .filter(checkin_code=code, ends_at__gte=now - timedelta(minutes=rules.CHECKIN_CLOSES_AFTER_MINUTES))
        .exclude(checkin_nonce="")
        .first()
        if len(code) == 6
        else None
    )
    if meeting is None:
        raise rules.LIFE_022_FORGED.violation(field="code")
    return meeting


def check_in(*, member: Member, meeting: Meeting, now: datetime | None = None, actor: Any = None) -> Attendance:
    """A member's own QR check-in: once per member, own branch only, inside the meeting window."""
    now = now or timezone.now()
    with transaction.atomic():
        meeting = _locked(meeting.pk)
        if member.organisation_id != meeting.organisation_id or member.left_on is not None:
            raise rules.LIFE_022_OTHER_BRANCH.violation(branch=meeting.organisation.name)
        if not meeting.checkin_nonce:
            raise rules.LIFE_022_FORGED.violation(field="code")
        _check_window(meeting, now)
        return _mark_present(meeting, member, source=AttendanceSource.CHECKIN, actor=actor or member.user, action=AttendanceAction.CHECKIN)


def proxy_check_in(*, actor: Any, meeting_id: int, member_id: int, now: datetime | None = None) -> Attendance:
    """代签到: the secretary ticks a member without a smartphone; logged with who did it."""
    now = now or timezone.now()
    with transaction.atomic():
        meeting = _locked(meeting_id)
        if not can_record(_scope(actor), meeting.organisation):
            raise PermissionDenied(NO_RECORD)
        if meeting.status not in EDITABLE_STATUSES:
            raise rules.LIFE_015_LOCKED.violation(status=meeting.get_status_display(), hint="已提交的记录请通过退回或更正修改出席情况")
        if now < checkin_window(meeting)[0]:
            _check_window(meeting, now)
        member = Member.objects.filter(pk=member_id, organisation_id=meeting.organisation_id, left_on__isnull=True).first()
        if member is None:
            name = Member.objects.filter(pk=member_id).values_list("name", flat=True).first() or f"编号{member_id}"
            raise rules.LIFE_015_ATTENDEE.violation(field="member", name=name, where=meeting.organisation.name)
        return _mark_present(meeting, member, source=AttendanceSource.PROXY, actor=actor, action=AttendanceAction.PROXY)


def _mark_present(meeting: Meeting, member: Member, *, source: str, actor: Any, action: str) -> Attendance:
    row = Attendance.objects.filter(meeting=meeting, member=member).first()
    if row is not None and row.presence == Presence.PRESENT:
        raise rules.LIFE_022_REUSED.violation(at=f"{timezone.localtime(row.recorded_at):%H:%M}（{row.get_source_display()}）")
    before = _attendance_text(row.presence, row.absence_reason) if row else "未登记"
    if row is None:
        row = Attendance.objects.create(meeting=meeting, member=member, presence=Presence.PRESENT, source=source, recorded_by=actor)
    else:
        row.presence, row.absence_reason, row.source, row.recorded_by = Presence.PRESENT, "", source, actor
        row.save()
    AttendanceLog.objects.create(meeting=meeting, member=member, action=action, before=before, after="出席", actor=actor)
    return row


# --- 调阅 (LIFE-016) -------------------------------------------------------------------------------


def record_read(*, user: Any, scope: Scope, meeting: Meeting, ip: str | None = None) -> SuperiorRead | None:
    """Log a superior's read of a branch record: one SuperiorRead row + one audit event; own reads none."""
    reader_path = superior_path(scope, meeting.organisation)
    if reader_path is None or user is None or not getattr(user, "pk", None):
        return None
    with transaction.atomic():
        read = SuperiorRead.objects.create(meeting=meeting, user=user, org_path=meeting.organisation.path, reader_path=reader_path)
        record_event(
            actor=user,
            action=AuditAction.SUPERIOR_READ,
            obj=meeting,
            object_repr=f"{meeting.organisation.name} {meeting}"[:200],
            org_path=meeting.organisation.path,
            detail={"reader_path": reader_path},
            ip=ip,
        )
    return read
