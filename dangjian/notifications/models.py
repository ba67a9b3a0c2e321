"""Messages (one row per recipient, channel and purpose), templates, preferences, settings, study topics."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dangjian.core.fields import EncryptedTextField

from .choices import Channel, ChannelChoice, MessageKind, MessageStatus


class MessageTemplate(models.Model):
    """The text of one message kind, edited by the district admin; placeholders are checked on save."""

    kind = models.CharField("消息类型", max_length=40, choices=MessageKind.choices, unique=True)
    title = models.CharField("标题", max_length=100, blank=True)
    body = models.TextField("正文")
    # Aliyun / Tencent SMS need a pre-approved template id; its parameters are the placeholders
    sms_template_code = models.CharField("短信模板编号", max_length=64, blank=True)
    wechat_template_id = models.CharField("微信模板编号", max_length=64, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "消息模板"

    def __str__(self) -> str:
        return self.get_kind_display()


class Message(models.Model):
    """One notification to one recipient by one channel. ``dedup_key`` makes every send idempotent."""

    kind = models.CharField("消息类型", max_length=40, choices=MessageKind.choices, db_index=True)
    channel = models.CharField("渠道", max_length=20, choices=Channel.choices)
    status = models.CharField("状态", max_length=20, choices=MessageStatus.choices, default=MessageStatus.PENDING, db_index=True)
    dedup_key = models.CharField(max_length=200, unique=True)
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages", verbose_name="接收账号"
    )
    recipient_member = models.ForeignKey(
        "members.Member", null=True, blank=True, on_delete=models.SET_NULL, related_name="messages", verbose_name="接收党员"
    )
    recipient_name = models.CharField("接收人", max_length=50)
    # copied at creation so a send needs no other app; encrypted like the registry's (PII-001)
    phone = EncryptedTextField("手机号", blank=True)
    wechat_openid = models.CharField(max_length=64, blank=True)
    # organisation path of the recipient, for subtree filtering by admins
    org_path = models.CharField(max_length=255, blank=True, db_index=True)
    title = models.CharField("标题", max_length=200, blank=True)
    body = models.TextField("内容")
    link = models.CharField("链接", max_length=300, blank=True)
    context = models.JSONField(default=dict, blank=True)
    is_essential = models.BooleanField("必要通知", default=False)
    send_after = models.DateTimeField("计划发送时间", db_index=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField("发送次数", default=0)
    provider = models.CharField("服务商", max_length=30, blank=True)
    provider_message_id = models.CharField("服务商消息编号", max_length=100, blank=True, db_index=True)
    last_error = models.CharField("错误", max_length=500, blank=True)
    skip_reason = models.CharField("跳过原因", max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)
    delivered_at = models.DateTimeField("送达时间", null=True, blank=True)
    read_at = models.DateTimeField("阅读时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "消息"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient_user", "channel", "read_at"]),
            models.Index(fields=["status", "send_after"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient_name}（{self.get_channel_display()}）"


class NotificationPreference(models.Model):
    """A member's (or user's) channel choice and opt-out of non-essential messages."""

    member = models.OneToOneField("members.Member", null=True, blank=True, on_delete=models.CASCADE, related_name="notification_preference")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="notification_preference"
    )
    channel = models.CharField("接收方式", max_length=20, choices=ChannelChoice.choices, default=ChannelChoice.SMS)
    opt_out_non_essential = models.BooleanField("不接收非必要通知（如政治生日祝福、学习专题提醒）", default=False)
    wechat_openid = models.CharField("微信 OpenID", max_length=64, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "通知偏好"
        constraints = [
            models.CheckConstraint(condition=models.Q(member__isnull=False) | models.Q(user__isnull=False), name="preference_has_owner")
        ]

    def __str__(self) -> str:
        return f"{self.member or self.user}：{self.get_channel_display()}"


class NotificationSettings(models.Model):
    """District-wide settings (one row): quiet hours that hold SMS until the morning."""

    quiet_start = models.TimeField("免打扰开始", default="21:00")
    quiet_end = models.TimeField("免打扰结束", default="08:00")
    birthday_send_time = models.TimeField("政治生日短信发送时间", default="09:00")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "通知设置"

    def __str__(self) -> str:
        return f"免打扰 {self.quiet_start:%H:%M}–{self.quiet_end:%H:%M}"


class JobRun(models.Model):
    """A daily job done for one day; a missed day is caught up once, a rerun does nothing."""

    job = models.CharField(max_length=60)
    day = models.DateField()
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "day"], name="one_run_per_job_day")]

    def __str__(self) -> str:
        return f"{self.job} {self.day}"


class StudyTopic(models.Model):
    """推送党建学习专题: an article pushed to the members of a subtree. No study-time measurement."""

    title = models.CharField("标题", max_length=200)
    body = models.TextField("正文")
    links = models.TextField("相关链接", blank=True, help_text="每行一个链接")
    attachment = models.FileField("附件", upload_to="study_topics/%Y/%m/", blank=True)
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="study_topics", verbose_name="推送范围"
    )
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField("推送时间", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "学习专题"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class StudyTopicDelivery(models.Model):
    """One member's copy of a topic: delivered, and opened once (counted per branch only, never per person)."""

    topic = models.ForeignKey(StudyTopic, on_delete=models.CASCADE, related_name="deliveries")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="study_deliveries")
    branch = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+")
    inbox_message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    delivered_at = models.DateTimeField(auto_now_add=True)
    opened_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["topic", "member"], name="one_delivery_per_member")]

    def __str__(self) -> str:
        return f"{self.topic} → {self.member_id}"
