"""Bases (开放式组织生活基地), their activity menu, hours and closed dates; bookings and slot loads."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from dangjian.core.fields import EncryptedTextField
from dangjian.core.uploads import UploadTo

from .choices import BookingAction, BookingStatus, Weekday

SLOT_MINUTE_CHOICES = [(30, "30 分钟"), (60, "60 分钟")]


class OpenBase(models.Model):
    """A bookable venue for organisational life (BASE-001), placed on the organisation tree.

    Its ``location`` decides who sees it: branches below that organisation (and admins above or
    inside it). ``capacity`` is the most people in the base at any one time (BASE-002).
    """

    name = models.CharField("基地名称", max_length=120)
    host_unit = models.CharField("承办单位", max_length=120)
    # a public venue address, not a person's: plain text on purpose (PII-001 is about people)
    site = models.CharField("地址", max_length=200)
    location = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="open_bases", verbose_name="所属党组织"
    )
    contact_name = models.CharField("联系人", max_length=50)
    contact_phone = EncryptedTextField("联系电话", blank=True)
    capacity = models.PositiveIntegerField("容纳人数")
    description = models.TextField("基地简介", blank=True)
    slot_minutes = models.PositiveSmallIntegerField("时段长度", choices=SLOT_MINUTE_CHOICES, default=30)
    # booking rules (BASE-002)
    min_notice_hours = models.PositiveIntegerField("最少提前（小时）", default=24)
    max_notice_days = models.PositiveIntegerField("最多提前（天）", default=90)
    monthly_quota = models.PositiveIntegerField("每个组织每月最多预约（次，0 为不限）", default=4)
    needs_approval = models.BooleanField("预约须基地管理员审核", default=True)
    cancel_cutoff_hours = models.PositiveIntegerField("开始前多少小时内不能取消", default=12)
    checkin_window_minutes = models.PositiveIntegerField("开始后多少分钟内可签到", default=60)
    keepers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="kept_bases", verbose_name="基地管理员")
    is_active = models.BooleanField("开放预约", default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "开放式组织生活基地"
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gt=0), name="venues_base_capacity_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def slot(self) -> timedelta:
        return timedelta(minutes=self.slot_minutes)


class BaseActivity(models.Model):
    """One item of the base's 活动菜单 (e.g. 红色教育参观), with its duration and group size."""

    base = models.ForeignKey(OpenBase, on_delete=models.CASCADE, related_name="activities", verbose_name="基地")
    name = models.CharField("活动名称", max_length=80)
    duration_minutes = models.PositiveIntegerField("时长（分钟）")
    capacity = models.PositiveIntegerField("每批最多人数")
    description = models.CharField("活动说明", max_length=300, blank=True)
    is_active = models.BooleanField("可预约", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "活动菜单"
        ordering = ["base_id", "name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gt=0) & Q(duration_minutes__gt=0), name="venues_activity_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class OpeningHours(models.Model):
    """One opening period of a weekday (a day may have a morning and an afternoon period)."""

    base = models.ForeignKey(OpenBase, on_delete=models.CASCADE, related_name="hours", verbose_name="基地")
    weekday = models.PositiveSmallIntegerField("星期", choices=Weekday.choices)
    opens_at = models.TimeField("开放时间")
    closes_at = models.TimeField("关闭时间")

    class Meta:
        verbose_name = verbose_name_plural = "开放时间"
        ordering = ["base_id", "weekday", "opens_at"]
        constraints = [models.CheckConstraint(condition=Q(closes_at__gt=F("opens_at")), name="venues_hours_order")]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}–{self.closes_at:%H:%M}"


class ClosedDate(models.Model):
    """A day the base is closed (holiday, maintenance) although its weekday is open."""

    base = models.ForeignKey(OpenBase, on_delete=models.CASCADE, related_name="closed_dates", verbose_name="基地")
    day = models.DateField("闭馆日期")
    reason = models.CharField("原因", max_length=100)

    class Meta:
        verbose_name = verbose_name_plural = "闭馆日期"
        ordering = ["base_id", "day"]
        constraints = [models.UniqueConstraint(fields=["base", "day"], name="venues_closed_once_per_day")]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.reason}"


class BasePhoto(models.Model):
    """A photo of the base shown to bookers (never demanded as proof of anything)."""

    base = models.ForeignKey(OpenBase, on_delete=models.CASCADE, related_name="photos", verbose_name="基地")
    image = models.FileField("照片", upload_to=UploadTo("bases"))
    caption = models.CharField("说明", max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "基地照片"
        ordering = ["base_id", "id"]

    def __str__(self) -> str:
        return self.caption or f"照片{self.pk}"


class SlotLoad(models.Model):
    """Places taken in one slot unit of a base: the database's own guard against overbooking.

    ``booked <= capacity`` is a CHECK constraint on both SQLite and PostgreSQL, so even a code path
    that forgot the base lock cannot commit an overbooked slot (STACK.md §5, ADR 0006).
    """

    base = models.ForeignKey(OpenBase, on_delete=models.CASCADE, related_name="loads")
    starts_at = models.DateTimeField()
    capacity = models.PositiveIntegerField()
    booked = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["base", "starts_at"], name="venues_one_load_per_slot"),
            models.CheckConstraint(condition=Q(booked__lte=F("capacity")), name="venues_load_within_capacity"),
            models.CheckConstraint(condition=Q(booked__gte=0), name="venues_load_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.base_id}@{self.starts_at:%Y-%m-%d %H:%M} {self.booked}/{self.capacity}"


class Booking(models.Model):
    """One branch's booking of one slot of a base for an activity and a headcount (BASE-002)."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="base_bookings", verbose_name="预约党组织"
    )
    base = models.ForeignKey(OpenBase, on_delete=models.PROTECT, related_name="bookings", verbose_name="基地")
    activity = models.ForeignKey(BaseActivity, on_delete=models.PROTECT, related_name="bookings", verbose_name="活动")
    starts_at = models.DateTimeField("开始时间")
    ends_at = models.DateTimeField("结束时间")
    headcount = models.PositiveIntegerField("人数")
    status = models.CharField("状态", max_length=16, choices=BookingStatus.choices, default=BookingStatus.PENDING)
    contact_name = models.CharField("联系人", max_length=50)
    contact_phone = EncryptedTextField("联系电话", blank=True)
    note = models.CharField("备注", max_length=300, blank=True)
    participants = models.ManyToManyField("members.Member", blank=True, related_name="base_bookings", verbose_name="参加人员")
    guest_count = models.PositiveIntegerField("非本支部参加人数", default=0)
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="base_bookings")
    # one key per form submission: a double click finds the booking the first click made
    request_key = models.CharField(max_length=80, blank=True)
    series_key = models.CharField("周期预约批号", max_length=40, blank=True)
    check_code = models.CharField("签到码", max_length=8, unique=True)
    decided_at = models.DateTimeField("审核时间", null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decline_reason = models.CharField("未通过原因", max_length=300, blank=True)
    cancelled_at = models.DateTimeField("取消时间", null=True, blank=True)
    cancel_reason = models.CharField("取消原因", max_length=300, blank=True)
    checked_in_at = models.DateTimeField("签到时间", null=True, blank=True)
    attended = models.PositiveIntegerField("实到人数", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "基地预约"
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["request_key"], condition=~Q(request_key=""), name="venues_booking_once_per_request"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="venues_booking_order"),
            models.CheckConstraint(condition=Q(headcount__gt=0), name="venues_booking_headcount_positive"),
        ]
        indexes = [
            models.Index(fields=["base", "starts_at"]),
            models.Index(fields=["organisation", "starts_at"]),
            models.Index(fields=["status", "starts_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.base} {self.starts_at:%Y-%m-%d %H:%M}"


class BookingEvent(models.Model):
    """One step in a booking's history: who did what, when, with which comment."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=20, choices=BookingAction.choices)
    comment = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.booking_id} {self.action}"
