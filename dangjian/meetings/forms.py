"""Forms of organisational life (no side effects; services judge the rules)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django import forms
from django.utils import timezone

from dangjian.core.forms import AccessibleForm, DateInput

from .choices import AbsenceReason, LectureFrequency, MeetingKind, Presence
from .services import MeetingInput


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> Any:
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%H:%M")


PRESENCE_CHOICES = [("", "未登记"), (Presence.PRESENT, "出席"), (Presence.ABSENT, "缺席")]


class MeetingForm(AccessibleForm):
    """The one record form: kinds, when and where, who, content, attendance, files."""

    kinds = forms.MultipleChoiceField(label="会议类型（可多选）", choices=MeetingKind.choices, widget=forms.CheckboxSelectMultiple)
    group = forms.TypedChoiceField(label="党小组（党小组会必选）", required=False, coerce=int, empty_value=None)
    day = forms.DateField(label="日期", widget=DateInput())
    start = forms.TimeField(label="开始时间", widget=TimeInput())
    end = forms.TimeField(label="结束时间", widget=TimeInput())
    booking = forms.TypedChoiceField(label="开放式组织生活基地预约（可选）", required=False, coerce=int, empty_value=None)
    place = forms.CharField(label="地点", max_length=200, required=False, help_text="选了基地预约可不填，默认为基地名称")
    topic = forms.CharField(label="主题", max_length=200)
    host = forms.CharField(label="主持人", max_length=50)
    recorder = forms.CharField(label="记录人", max_length=50)
    agenda = forms.CharField(label="议程", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    minutes = forms.CharField(label="会议记录", required=False, widget=forms.Textarea(attrs={"rows": 6}))
    decisions = forms.CharField(
        label="决定事项",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="支部党员大会作出决定时，须半数以上有表决权的党员到会",
    )
    joint_with = forms.CharField(label="联合开展（其他支部或共建单位）", required=False, max_length=200)
    guests = forms.CharField(label="列席人员（非本支部党员，每行一人）", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    files = MultipleFileField(
        label="照片和文件（可不上传）", required=False, help_text="PDF、Word、Excel、PowerPoint、JPG 或 PNG，每个不超过 10 MB"
    )

    def __init__(
        self, *args: Any, members: list[Any], groups: list[Any], bookings: list[Any] | None = None, with_files: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.members = members
        self.fields["booking"].choices = [("", "（不使用基地预约）")] + [
            (b.pk, f"{timezone.localtime(b.starts_at):%Y-%m-%d %H:%M} {b.base.name}") for b in bookings or []
        ]
        if not bookings:
            self.fields["booking"].help_text = "本支部暂无已通过的基地预约"
        self.fields["group"].choices = [("", "（不是党小组会）"), *[(g.pk, g.name) for g in groups]]
        if not groups:
            self.fields["group"].help_text = "本支部未设党小组"
        if not with_files:
            del self.fields["files"]
        for member in members:
            self.fields[f"att_{member.pk}"] = forms.ChoiceField(
                label=member.name, choices=PRESENCE_CHOICES, required=False, widget=forms.RadioSelect
            )
            self.fields[f"reason_{member.pk}"] = forms.ChoiceField(
                label=f"{member.name}缺席原因", choices=[("", "缺席原因"), *AbsenceReason.choices], required=False
            )

    @property
    def attendance_rows(self) -> list[dict[str, Any]]:
        return [{"member": m, "presence": self[f"att_{m.pk}"], "reason": self[f"reason_{m.pk}"]} for m in self.members]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", "结束时间不能早于开始时间。")
        if not (data.get("place") or "").strip() and not data.get("booking"):
            self.add_error("place", "请填写地点，或选择一个基地预约。")
        return data

    def to_input(self) -> MeetingInput:
        data = self.cleaned_data
        tz = timezone.get_current_timezone()
        day: date = data["day"]
        return MeetingInput(
            kinds=list(data["kinds"]),
            group_id=data.get("group"),
            starts_at=datetime.combine(day, data["start"], tzinfo=tz),
            ends_at=datetime.combine(day, data["end"], tzinfo=tz),
            topic=data["topic"],
            place=data["place"],
            host=data["host"],
            recorder=data["recorder"],
            agenda=data["agenda"],
            minutes=data["minutes"],
            decisions=data["decisions"],
            joint_with=data["joint_with"],
            guests=data["guests"],
            booking_id=data.get("booking"),
            attendance={m.pk: (data.get(f"att_{m.pk}") or "", data.get(f"reason_{m.pk}") or "") for m in self.members},
        )


def initial_for(meeting: Any, kinds: list[str]) -> dict[str, Any]:
    local_start, local_end = timezone.localtime(meeting.starts_at), timezone.localtime(meeting.ends_at)
    initial: dict[str, Any] = {
        "kinds": kinds,
        "group": meeting.group_id,
        "booking": meeting.booking_id,
        "day": local_start.date(),
        "start": local_start.time().replace(second=0, microsecond=0),
        "end": local_end.time().replace(second=0, microsecond=0),
    }
    for name in ("place", "topic", "host", "recorder", "agenda", "minutes", "decisions", "joint_with", "guests"):
        initial[name] = getattr(meeting, name)
    for row in meeting.attendances.all():
        initial[f"att_{row.member_id}"] = row.presence
        initial[f"reason_{row.member_id}"] = row.absence_reason
    return initial


def default_initial(*, today: date, secretary_name: str) -> dict[str, Any]:
    return {"day": today, "start": time(14, 30), "end": time(16, 0), "host": secretary_name, "recorder": ""}


class AmendForm(MeetingForm):
    reason = forms.CharField(label="更正原因（必填，将公开显示）", max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class ReviewForm(AccessibleForm):
    comment = forms.CharField(label="审核意见", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class UploadFilesForm(AccessibleForm):
    files = MultipleFileField(label="添加照片或文件", help_text="PDF、Word、Excel、PowerPoint、JPG 或 PNG，每个不超过 10 MB")


class CodeForm(AccessibleForm):
    code = forms.CharField(
        label="签到码（6位数字）", max_length=12, widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"})
    )


class SettingsForm(AccessibleForm):
    lecture_months = forms.TypedChoiceField(label="党课频次", choices=LectureFrequency.choices, coerce=int)


PERIOD_CHOICES = [("month", "按月"), ("quarter", "按季度"), ("year", "按年")]
STATUS_FILTERS = [("", "全部"), ("overdue", "有逾期"), ("due", "有待完成"), ("done", "全部完成"), ("silent", "上月未报送（沉默支部）")]


class SheetForm(forms.Form):
    org = forms.TypedChoiceField(label="组织", required=False, coerce=int, empty_value=None)
    period = forms.ChoiceField(label="周期", choices=PERIOD_CHOICES, required=False)
    year = forms.IntegerField(label="年份", required=False, min_value=2000, max_value=2100)
    number = forms.IntegerField(label="月份/季度", required=False, min_value=1, max_value=12)
    status = forms.ChoiceField(label="状态", choices=STATUS_FILTERS, required=False)
    q = forms.CharField(label="支部名称", required=False, max_length=50)

    def __init__(self, *args: Any, organisations: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].choices = organisations


class ReadsForm(forms.Form):
    org = forms.TypedChoiceField(label="组织", required=False, coerce=int, empty_value=None)
    start = forms.DateField(label="起始日期", required=False, widget=DateInput())
    end = forms.DateField(label="截止日期", required=False, widget=DateInput())

    def __init__(self, *args: Any, organisations: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].choices = organisations
