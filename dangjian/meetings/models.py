"""Meeting records (三会一课 …), their kinds, attendance, files, review events, amendments and 调阅 reads."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from dangjian.core.uploads import UploadTo

from .choices import (
    AbsenceReason,
    AttendanceAction,
    AttendanceSource,
    EventAction,
    FileKind,
    LectureFrequency,
    MeetingKind,
    MeetingStatus,
    Presence,
)


class LifeSettings(models.Model):
    """District policy for organisational life (one row): how often 党课 is due (LIFE-004)."""

    lecture_months = models.PositiveSmallIntegerField("党课频次", choices=LectureFrequency.choices, default=LectureFrequency.QUARTERLY)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "组织生活设置"

    def __str__(self) -> str:
        return f"党课{self.get_lecture_months_display()}"


class Meeting(models.Model):
    """One organisational-life record of a branch; may be several kinds at once (LIFE-015)."""

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="meetings", verbose_name="党支部")
    group = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="group_meetings",
        verbose_name="党小组",
    )
    topic = models.CharField("主题", max_length=200)
    starts_at = models.DateTimeField("开始时间")
    ends_at = models.DateTimeField("结束时间")
    # local date of starts_at, kept by the services; compliance buckets by it
    held_on = models.DateField("日期", db_index=True)
    place = models.CharField("地点", max_length=200)
    # an approved booking of an open organisational-life base (开放式组织生活基地) on the meeting's day
    booking = models.OneToOneField(
        "venues.Booking", null=True, blank=True, on_delete=models.SET_NULL, related_name="meeting", verbose_name="基地预约"
    )
    host = models.CharField("主持人", max_length=50)
    recorder = models.CharField("记录人", max_length=50)
    agenda = models.TextField("议程", blank=True)
    minutes = models.TextField("会议记录", blank=True)
    decisions = models.TextField("决定事项", blank=True)
    joint_with = models.CharField("联合开展", max_length=200, blank=True, help_text="与其他支部或共建单位联合开展时填写")
    guests = models.TextField("列席人员", blank=True, help_text="非本支部党员，每行一人")
    status = models.CharField("状态", max_length=20, choices=MeetingStatus.choices, default=MeetingStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    review_comment = models.TextField("审核意见", blank=True)
    # QR check-in (LIFE-022): a nonce inside the signed token and a short code to type instead
    checkin_nonce = models.CharField(max_length=32, blank=True)
    checkin_code = models.CharField(max_length=8, blank=True, db_index=True)
    checkin_opened_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "组织生活记录"
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["organisation", "held_on"]), models.Index(fields=["status"])]
        constraints = [models.CheckConstraint(condition=models.Q(ends_at__gte=models.F("starts_at")), name="meeting_ends_after_start")]

    def __str__(self) -> str:
        return f"{self.held_on:%Y-%m-%d} {self.topic}"

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at < self.starts_at:
            raise ValidationError({"ends_at": "结束时间不能早于开始时间。"})

    @property
    def guest_list(self) -> list[str]:
        return [line.strip() for line in self.guests.splitlines() if line.strip()]


class MeetingKindEntry(models.Model):
    """One kind of one record (a record lists its kinds explicitly), denormalised for the compliance
    GROUP BY: branch, group, month and whether the record counts (submitted or reviewed)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="kind_entries")
    kind = models.CharField("类型", max_length=32, choices=MeetingKind.choices)
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+")
    group = models.ForeignKey("organisations.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    held_month = models.PositiveIntegerField()  # yyyymm
    counted = models.BooleanField(default=False)

    class Meta:
        verbose_name = verbose_name_plural = "会议类型"
        constraints = [models.UniqueConstraint(fields=["meeting", "kind"], name="meeting_kind_once")]
        indexes = [models.Index(fields=["organisation", "held_month", "kind"], name="meeting_kind_compliance")]

    def __str__(self) -> str:
        return f"{self.meeting_id} {self.get_kind_display()}"


class Attendance(models.Model):
    """A member's attendance at a record: from check-in, 代签到 or the secretary's entry."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendances")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="meeting_attendances")
    presence = models.CharField("出席情况", max_length=10, choices=Presence.choices)
    absence_reason = models.CharField("缺席原因", max_length=20, choices=AbsenceReason.choices, blank=True)
    source = models.CharField("来源", max_length=10, choices=AttendanceSource.choices, default=AttendanceSource.MANUAL)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "出席登记"
        constraints = [models.UniqueConstraint(fields=["meeting", "member"], name="attendance_once_per_member")]
        indexes = [models.Index(fields=["member", "meeting"])]

    def __str__(self) -> str:
        return f"{self.meeting_id} {self.member_id} {self.presence}"


class AttendanceLog(models.Model):
    """Every change of attendance: check-in, 代签到 (who did it), entries and corrections."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance_logs")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=10, choices=AttendanceAction.choices)
    before = models.CharField(max_length=60, blank=True)
    after = models.CharField(max_length=60, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.member_id}"


class MeetingEvent(models.Model):
    """One step in a record's life: created, edited, submitted, returned (with comment), approved, amended."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=20, choices=EventAction.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.meeting_id}"


class Amendment(models.Model):
    """A visible correction of an approved record (LIFE-015): what changed, why, by whom."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="amendments")
    number = models.PositiveSmallIntegerField("更正序号")
    reason = models.CharField("更正原因", max_length=500)
    changes = models.JSONField("更正内容", default=list)  # [[label, before, after], ...]
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["meeting", "number"], name="amendment_number_once")]

    def __str__(self) -> str:
        return f"{self.meeting_id} 更正{self.number}"


class MeetingFile(models.Model):
    """A photo or document of a record, stored under a server-generated name, served only through a scoped view."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField("类别", max_length=10, choices=FileKind.choices)
    file = models.FileField(upload_to=UploadTo("meetings"), max_length=200)
    original_name = models.CharField("文件名", max_length=200)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class SuperiorRead(models.Model):
    """One 调阅 (LIFE-016, STAT-008): a read of a branch record by a user acting for a superior org."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="superior_reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # the record's branch path at the time of the read: counts by subtree use a path range on it
    org_path = models.CharField(max_length=255)
    reader_path = models.CharField(max_length=255)  # the superior organisation the reader acted for
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["org_path", "at"], name="superior_read_subtree")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_id} 调阅 {self.meeting_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("调阅 records are append-only")
        super().save(*args, **kwargs)
