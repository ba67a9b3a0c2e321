"""Forms of bases and bookings (no side effects: the services judge the rules)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.utils import timezone

from dangjian.core.forms import AccessibleForm, DateInput

from .choices import Repeat, Weekday
from .models import SLOT_MINUTE_CHOICES

PHONE_HELP = "仅基地管理员和预约方可见，页面上脱敏显示"


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self) -> None:
        super().__init__(format="%H:%M")


class BaseForm(AccessibleForm):
    name = forms.CharField(label="基地名称", max_length=120)
    host_unit = forms.CharField(label="承办单位", max_length=120)
    site = forms.CharField(label="地址", max_length=200)
    location = forms.TypedChoiceField(label="所属党组织", coerce=int, help_text="基地向该组织及其下级党支部开放")
    contact_name = forms.CharField(label="联系人", max_length=50)
    contact_phone = forms.CharField(
        label="联系电话", max_length=20, required=False, help_text=PHONE_HELP, widget=forms.TextInput(attrs={"type": "tel"})
    )
    capacity = forms.IntegerField(label="容纳人数", min_value=1, help_text="同一时段最多容纳的人数")
    description = forms.CharField(label="基地简介", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    slot_minutes = forms.TypedChoiceField(label="时段长度", choices=SLOT_MINUTE_CHOICES, coerce=int, initial=30)
    min_notice_hours = forms.IntegerField(label="最少提前（小时）", min_value=0, initial=24)
    max_notice_days = forms.IntegerField(label="最多提前（天）", min_value=1, initial=90)
    monthly_quota = forms.IntegerField(label="每个党组织每月最多预约（次）", min_value=0, initial=4, help_text="填 0 表示不限")
    needs_approval = forms.BooleanField(label="预约须基地管理员审核", required=False, initial=True)
    cancel_cutoff_hours = forms.IntegerField(label="开始前多少小时内不能在线取消", min_value=0, initial=12)
    checkin_window_minutes = forms.IntegerField(
        label="开始后多少分钟内可签到", min_value=10, initial=60, help_text="超过后未签到的预约自动记为未到场"
    )
    is_active = forms.BooleanField(label="开放预约", required=False, initial=True)
    keepers = forms.TypedMultipleChoiceField(
        label="基地管理员",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="只列出本范围内有“基地管理员”角色的账号",
    )

    def __init__(
        self, *args: Any, locations: list[tuple[int, str]], keepers: list[tuple[int, str]], admin: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].choices = locations
        self.fields["keepers"].choices = keepers
        if not admin:  # a keeper manages its base, never where it sits or who keeps it
            del self.fields["location"]
            del self.fields["keepers"]


class ActivityForm(AccessibleForm):
    name = forms.CharField(label="活动名称", max_length=80, help_text="如 红色教育参观、主题党日活动、党课讲授、志愿服务")
    duration_minutes = forms.IntegerField(label="时长（分钟）", min_value=1)
    capacity = forms.IntegerField(label="每批最多人数", min_value=1)
    description = forms.CharField(label="活动说明", max_length=300, required=False)
    is_active = forms.BooleanField(label="可预约", required=False, initial=True)


class HoursForm(AccessibleForm):
    weekday = forms.TypedChoiceField(label="星期", choices=Weekday.choices, coerce=int)
    opens_at = forms.TimeField(label="开放时间", widget=TimeInput())
    closes_at = forms.TimeField(label="关闭时间", widget=TimeInput())


class ClosedDateForm(AccessibleForm):
    day = forms.DateField(label="闭馆日期", widget=DateInput())
    reason = forms.CharField(label="原因", max_length=100, help_text="如 国庆假期、设备检修")


class PhotoForm(AccessibleForm):
    image = forms.FileField(label="照片（JPG 或 PNG）")
    caption = forms.CharField(label="说明", max_length=100, required=False)


REPEAT_CHOICES = [("", "不重复"), *Repeat.choices]


class BookingForm(AccessibleForm):
    organisation = forms.TypedChoiceField(label="预约党支部", coerce=int)
    activity = forms.TypedChoiceField(label="活动", coerce=int)
    day = forms.DateField(label="日期", widget=DateInput())
    start = forms.ChoiceField(label="开始时间")
    headcount = forms.IntegerField(label="人数", help_text="含带队人员")
    contact_name = forms.CharField(label="联系人", max_length=50)
    contact_phone = forms.CharField(label="联系电话", max_length=20, required=False, widget=forms.TextInput(attrs={"type": "tel"}))
    participants = forms.TypedMultipleChoiceField(
        label="参加人员（可以以后再填，签到前须填写）", coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(label="备注", max_length=300, required=False)
    repeat = forms.ChoiceField(label="重复预约", choices=REPEAT_CHOICES, required=False)
    until = forms.DateField(
        label="重复截止日期", required=False, widget=DateInput(), help_text="最多预约26次；已满或不符合规则的日期会逐一列出原因"
    )
    request_key = forms.CharField(widget=forms.HiddenInput, max_length=40)

    def __init__(
        self,
        *args: Any,
        organisations: list[tuple[int, str]],
        activities: list[tuple[int, str]],
        starts: list[str],
        members: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = organisations
        self.fields["activity"].choices = activities
        self.fields["start"].choices = [(s, s) for s in starts]
        self.fields["participants"].choices = members
        self.fields["headcount"].widget.attrs.update({"inputmode": "numeric", "min": "1"})

    def starts_at(self) -> datetime:
        day: date = self.cleaned_data["day"]
        hour, minute = (int(p) for p in self.cleaned_data["start"].split(":"))
        return timezone.make_aware(datetime.combine(day, time(hour, minute)))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("repeat") and not data.get("until"):
            self.add_error("until", "选择了重复预约，请填写重复截止日期。")
        if data.get("repeat") and data.get("until") and data.get("day") and data["until"] > data["day"] + timedelta(days=366):
            self.add_error("until", "重复预约最长一年，请把截止日期提前。")
        return data


class DeclineForm(AccessibleForm):
    reason = forms.CharField(label="不通过的原因", max_length=300, widget=forms.Textarea(attrs={"rows": 2}), help_text="会告知预约的党支部")


class CancelForm(AccessibleForm):
    reason = forms.CharField(label="取消原因（可不填）", max_length=300, required=False)


class CheckInForm(AccessibleForm):
    attended = forms.IntegerField(label="实到人数", min_value=1, required=False, help_text="不填则按登记的参加人数")


class CodeForm(AccessibleForm):
    code = forms.CharField(label="签到码", max_length=12, help_text="预约单上的 6 位签到码，不区分大小写")


class ParticipantsForm(AccessibleForm):
    participants = forms.TypedMultipleChoiceField(label="参加的党员", coerce=int, required=False, widget=forms.CheckboxSelectMultiple)
    guest_count = forms.IntegerField(label="其他参加人数", min_value=0, initial=0, help_text="如入党积极分子、群众")

    def __init__(self, *args: Any, members: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["participants"].choices = members


class StatsForm(AccessibleForm):
    org = forms.TypedChoiceField(label="党组织（含下级）", coerce=int)
    first = forms.DateField(label="开始日期", widget=DateInput())
    last = forms.DateField(label="结束日期", widget=DateInput())

    def __init__(self, *args: Any, organisations: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].choices = organisations

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("first") and data.get("last") and data["last"] < data["first"]:
            self.add_error("last", "结束日期不能早于开始日期。")
        return data
