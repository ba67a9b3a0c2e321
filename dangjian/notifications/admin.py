"""Read-only admin registrations; failed messages can be re-sent (audited) from the message list."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from dangjian.core.masking import mask_phone
from dangjian.core.rules import RuleViolation

from .choices import MessageStatus
from .models import JobRun, Message, MessageTemplate, NotificationSettings
from .services import resend_message


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    """The phone is shown masked only (PII-004); the text is what the recipient got."""

    list_display = ("created_at", "kind", "channel", "recipient_name", "masked_phone", "status", "attempts", "send_after", "last_error")
    list_filter = ("status", "channel", "kind")
    search_fields = ("recipient_name", "provider_message_id")
    fields = (
        "kind",
        "channel",
        "status",
        "recipient_name",
        "masked_phone",
        "org_path",
        "title",
        "body",
        "send_after",
        "attempts",
        "next_attempt_at",
        "provider",
        "provider_message_id",
        "last_error",
        "skip_reason",
        "sent_at",
        "delivered_at",
        "read_at",
        "dedup_key",
    )
    readonly_fields = fields
    actions = ["resend_failed"]

    @admin.display(description="手机号")
    def masked_phone(self, obj: Message) -> str:
        return mask_phone(obj.phone)

    @admin.action(description="重新发送选中的失败消息")
    def resend_failed(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        done = 0
        for message in queryset.filter(status=MessageStatus.FAILED):
            try:
                resend_message(actor=request.user, message_id=message.pk)
                done += 1
            except RuleViolation as exc:
                self.message_user(request, exc.message, messages.WARNING)
        self.message_user(request, f"已重新排队发送{done}条失败消息（只有失败的消息会重新发送）。")


@admin.register(MessageTemplate)
class MessageTemplateAdmin(ReadOnlyAdmin):
    list_display = ("kind", "title", "updated_at", "updated_by")
    fields = ("kind", "title", "body", "sms_template_code", "wechat_template_id", "updated_at", "updated_by")
    readonly_fields = fields


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(ReadOnlyAdmin):
    list_display = ("quiet_start", "quiet_end", "birthday_send_time", "updated_at")


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    list_display = ("job", "day", "started_at", "finished_at")
    list_filter = ("job",)
    readonly_fields = ("job", "day", "started_at", "finished_at", "summary")
