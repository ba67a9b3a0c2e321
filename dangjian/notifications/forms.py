"""Notification forms: input shape only; placeholders, quiet hours and preferences are judged by the writes."""

from __future__ import annotations

from typing import Any

from django import forms

from dangjian.core.forms import AccessibleForm, DateInput
from dangjian.core.rules import RuleViolation

from .attachments import ALLOWED_TEXT, check_attachment
from .choices import Channel, ChannelChoice, MessageKind, MessageStatus


class TimeInput(forms.TimeInput):
    """A native time picker (``type=time``), 24-hour on Chinese locales."""

    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%H:%M")


class TemplateForm(AccessibleForm):
    """The text of one message kind; ``{占位符}`` are filled per recipient when sending."""

    title = forms.CharField(label="标题", max_length=100, required=False, help_text="站内信和微信通知的标题；短信不显示标题")
    body = forms.CharField(
        label="正文",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text="用大括号写占位符，如 {name}；只能使用“可用占位符”中列出的",
    )
    sms_template_code = forms.CharField(
        label="短信模板编号",
        max_length=64,
        required=False,
        help_text="阿里云或腾讯云短信控制台审核通过的模板编号（如 SMS_123456789）；使用控制台模式时可留空",
    )
    wechat_template_id = forms.CharField(
        label="微信模板编号", max_length=64, required=False, help_text="公众号模板消息的模板 ID；不发微信时可留空"
    )


class PreviewForm(AccessibleForm):
    """The editor's current text, posted for a preview (nothing is saved)."""

    kind = forms.CharField(max_length=40)
    title = forms.CharField(max_length=100, required=False)
    body = forms.CharField(max_length=1000, required=False)


def _all(choices: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [("", "全部"), *choices]


class MessageFilterForm(AccessibleForm):
    """The message log's filters (GET); a tampered value is dropped, the rest still applies."""

    org = forms.TypedChoiceField(label="组织（含下级）", coerce=int, required=False, empty_value=None)
    since = forms.DateField(label="起始日期", required=False, widget=DateInput())
    until = forms.DateField(label="截止日期", required=False, widget=DateInput())
    kind = forms.ChoiceField(label="消息类型", choices=_all(MessageKind.choices), required=False)
    channel = forms.ChoiceField(label="渠道", choices=_all(Channel.choices), required=False)
    status = forms.ChoiceField(label="状态", choices=_all(MessageStatus.choices), required=False)

    def __init__(self, *args: Any, organisations: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].choices = [("", "全部（我的管理范围）"), *organisations]  # type: ignore[attr-defined]
        self.fields["org"].error_messages["invalid_choice"] = "所选组织不在您的管理范围内，已按全部组织显示。"
        for name in ("since", "until"):
            self.fields[name].error_messages["invalid"] = f"{self.fields[name].label}不是有效日期，请按 年-月-日 填写，如 2026-07-01。"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", f"截止日期 {until} 早于起始日期 {since}，请调整。")
        return data

    def filter_values(self) -> dict[str, Any]:
        """The valid part of the query."""
        self.is_valid()
        return {name: self.cleaned_data.get(name) for name in self.fields if name not in self.errors}


class SettingsForm(AccessibleForm):
    quiet_start = forms.TimeField(label="免打扰开始", widget=TimeInput(), help_text="从这个时间起不发短信（默认 21:00）")
    quiet_end = forms.TimeField(label="免打扰结束", widget=TimeInput(), help_text="到这个时间恢复发送，期间的短信此时补发（默认 08:00）")
    birthday_send_time = forms.TimeField(
        label="政治生日短信发送时间", widget=TimeInput(), help_text="每天在这个时间给当天政治生日的党员发送祝福短信（默认 09:00）"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.error_messages.update(
                required=f"请填写{field.label}。", invalid=f"{field.label}不是有效时间，请按“时:分”填写，如 21:00。"
            )


class PreferenceForm(AccessibleForm):
    channel = forms.ChoiceField(
        label="通知发送方式",
        choices=ChannelChoice.choices,
        widget=forms.RadioSelect,
        help_text="所有通知都会出现在站内信中；这里选择是否同时用短信或微信提醒您",
    )
    opt_out_non_essential = forms.BooleanField(
        label="不接收非必要通知（政治生日祝福、学习专题提醒）",
        required=False,
        help_text="组织关系转接、组织生活等必要通知仍会发送",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channel"].error_messages.update(required="请选择通知发送方式。", invalid_choice="请从短信、微信、仅站内信中选择一种。")


class StudyTopicForm(AccessibleForm):
    """推送党建学习专题: the organisation choices are the caller's subtree, narrowed by the view."""

    organisation = forms.TypedChoiceField(
        label="推送范围", coerce=int, empty_value=None, help_text="该组织及其全部下级组织的在册党员都会收到"
    )
    title = forms.CharField(label="标题", max_length=200)
    body = forms.CharField(label="正文", max_length=20000, widget=forms.Textarea(attrs={"rows": 10}))
    links = forms.CharField(
        label="相关链接",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "https://www.12371.cn/...", "spellcheck": "false"}),
        help_text="每行一个，以 http:// 或 https:// 开头；可不填",
    )
    attachment = forms.FileField(
        label="附件",
        required=False,
        help_text=f"可不传；最多一个文件，不超过 10 MB，限 {ALLOWED_TEXT}",
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.docx,.xlsx,.pptx,.jpg,.jpeg,.png"}),
    )

    def __init__(self, *args: Any, organisations: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [("", "请选择组织"), *organisations]  # type: ignore[attr-defined]
        self.fields["organisation"].error_messages.update(
            required="请选择推送范围。", invalid_choice="所选组织不在您的管理范围内，请重新选择。"
        )
        self.fields["title"].error_messages.update(required="请填写标题。", max_length="标题最多 200 字。")
        self.fields["body"].error_messages.update(required="请填写正文。", max_length="正文最多 20000 字；较长的材料请作为附件上传。")

    def clean_attachment(self) -> Any:
        upload = self.cleaned_data.get("attachment")
        if upload:
            try:
                check_attachment(upload)
            except RuleViolation as exc:
                raise forms.ValidationError(exc.message) from None
        return upload
