"""Booking states, weekdays and repeat patterns, with Chinese labels."""

from django.db import models


class BookingStatus(models.TextChoices):
    PENDING = "pending", "待审核"
    APPROVED = "approved", "已通过"
    DECLINED = "declined", "未通过"
    CANCELLED = "cancelled", "已取消"
    CHECKED_IN = "checked_in", "已签到"
    NO_SHOW = "no_show", "未到场"


# states that hold places in the slot (a declined or cancelled booking gives its places back)
HOLDING_STATUSES = (BookingStatus.PENDING, BookingStatus.APPROVED, BookingStatus.CHECKED_IN, BookingStatus.NO_SHOW)
# states after an approval (STAT-009 "approved" batches)
APPROVED_OUTCOMES = (BookingStatus.APPROVED, BookingStatus.CHECKED_IN, BookingStatus.NO_SHOW)


class Weekday(models.IntegerChoices):
    MONDAY = 0, "星期一"
    TUESDAY = 1, "星期二"
    WEDNESDAY = 2, "星期三"
    THURSDAY = 3, "星期四"
    FRIDAY = 4, "星期五"
    SATURDAY = 5, "星期六"
    SUNDAY = 6, "星期日"


class Repeat(models.TextChoices):
    WEEKLY = "weekly", "每周一次"
    FORTNIGHTLY = "fortnightly", "每两周一次"
    MONTHLY = "monthly", "每月一次（同一日期）"


class BookingAction(models.TextChoices):
    BOOKED = "booked", "提交预约"
    APPROVED = "approved", "审核通过"
    DECLINED = "declined", "审核未通过"
    CANCELLED = "cancelled", "取消预约"
    CHECKED_IN = "checked_in", "签到"
    NO_SHOW = "no_show", "记为未到场"
    PARTICIPANTS = "participants", "更新参加人员"
