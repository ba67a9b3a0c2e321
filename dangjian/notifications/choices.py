"""Channels, statuses and message kinds."""

from django.db import models


class Channel(models.TextChoices):
    SMS = "sms", "短信"
    WECHAT = "wechat", "微信"
    INBOX = "inbox", "站内信"


class MessageStatus(models.TextChoices):
    PENDING = "pending", "待发送"
    SENDING = "sending", "发送中"
    SENT = "sent", "已发送"
    DELIVERED = "delivered", "已送达"
    FAILED = "failed", "失败"
    SKIPPED = "skipped", "已跳过"


class ChannelChoice(models.TextChoices):
    """What a member chose to receive non-inbox notices by."""

    SMS = "sms", "短信"
    WECHAT = "wechat", "微信"
    INBOX_ONLY = "inbox_only", "仅站内信"


class MessageKind(models.TextChoices):
    """Every kind another module may send; each has a template with its own placeholders."""

    POLITICAL_BIRTHDAY = "political_birthday", "政治生日祝福"
    STUDY_TOPIC = "study_topic", "党建学习专题"
    GENERAL = "general", "一般通知"
    MEETING_REMINDER = "meeting_reminder", "组织生活提醒"
    TRANSFER_REMINDER = "transfer_reminder", "组织关系接转提醒"
    BOOKING_REMINDER = "booking_reminder", "基地预约提醒"
    TASK_REMINDER = "task_reminder", "任务到期提醒"
