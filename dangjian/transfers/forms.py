"""Forms of the transfer pages. Services judge the rules; forms parse input and show each problem at its field."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django import forms

from dangjian.core.forms import AccessibleForm, DateInput
from dangjian.members.choices import ETHNICITY_CHOICES, MemberStatus

from .choices import EXTERNAL_CHOICES, Action, ArrivalScope

_MONTH = re.compile(r"^\s*(\d{4})\s*[-年/.]\s*(\d{1,2})\s*月?\s*$")


class MonthField(forms.CharField):
    """A month typed as 2026-11 (or picked with <input type=month>), cleaned to its first day."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "例如 2026-11", "inputmode": "numeric"})

    def to_python(self, value: Any) -> date | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        match = _MONTH.match(text)
        if not match:
            raise forms.ValidationError("请按“年-月”填写，例如 2026-11")
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12 or year < 1921:
            raise forms.ValidationError("月份应为1至12，例如 2026-11")
        return date(year, month, 1)


DESTINATION_CHOICES = [("internal", "转到本区平台内的党支部"), ("external", "转到本区以外（本市外区、外市、外省）")]


class ApplyForm(AccessibleForm):
    member = forms.TypedChoiceField(label="转出党员", coerce=int, required=False)
    destination_kind = forms.ChoiceField(label="转往哪里", choices=DESTINATION_CHOICES, widget=forms.RadioSelect, initial="internal")
    destination_org = forms.TypedChoiceField(
        label="转入党支部", coerce=int, required=False, help_text="先在上方输入党支部名称中的几个字查找，再从结果中选择"
    )
    external_scope = forms.ChoiceField(label="转往地区", choices=[("", "请选择"), *EXTERNAL_CHOICES], required=False)
    external_org_name = forms.CharField(
        label="接收党组织全称", max_length=120, required=False, help_text="写全称，如“某某市某某区某某街道某某社区党委”"
    )
    external_org_location = forms.CharField(label="接收党组织地址", max_length=200, required=False)
    reason = forms.CharField(label="转接原因", max_length=200, help_text="例如：工作调动、搬家、退休后回原籍")
    dues_paid_up_to = MonthField(label="党费交到（年月）", help_text="例如 2026-11，按党费记录填写")
    contact_phone = forms.CharField(
        label="联系电话", max_length=20, required=False, widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"})
    )
    probation_note = forms.CharField(label="预备期说明（预备党员填写，如延长预备期）", max_length=200, required=False)

    def __init__(
        self, *args: Any, members: list[tuple[int, str]] | None = None, destinations: list[tuple[int, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if members is None:
            del self.fields["member"]
        else:
            self.fields["member"].choices = [("", "请选择党员"), *members]
            self.fields["member"].required = True
        self.fields["destination_org"].choices = [("", "请先查找")] + (destinations or [])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("destination_kind") == "internal" and not data.get("destination_org"):
            self.add_error("destination_org", "请查找并选择转入的党支部")
        if data.get("destination_kind") == "external":
            if not data.get("external_scope"):
                self.add_error("external_scope", "请选择转往地区")
            if not data.get("external_org_name"):
                self.add_error("external_org_name", "请填写接收党组织全称")
        return data


class StepForm(AccessibleForm):
    action = forms.ChoiceField(choices=Action.choices, widget=forms.HiddenInput)
    reason = forms.CharField(label="理由或意见", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    valid_days = forms.IntegerField(label="介绍信有效期（天）", required=False, min_value=1, max_value=999)
    receipt_on = forms.DateField(label="回执收回日期", required=False, widget=DateInput())
    receipt_org_name = forms.CharField(label="寄回回执的党组织", max_length=120, required=False)
    # resubmitting a returned application: the fields the applicant may correct (blank = unchanged)
    new_reason = forms.CharField(label="转接原因", max_length=200, required=False)
    dues_paid_up_to = MonthField(label="党费交到（年月）", required=False)
    contact_phone = forms.CharField(label="联系电话", max_length=20, required=False)
    external_org_name = forms.CharField(label="接收党组织全称", max_length=120, required=False)
    external_org_location = forms.CharField(label="接收党组织地址", max_length=200, required=False)

    RESUBMIT_FIELDS = {
        "new_reason": "reason",
        "dues_paid_up_to": "dues_paid_up_to",
        "contact_phone": "contact_phone",
        "external_org_name": "external_org_name",
        "external_org_location": "external_org_location",
    }

    def step_values(self) -> dict[str, Any]:
        """What the chosen step needs from the form (blank fields left out)."""
        cd = self.cleaned_data
        keys = ("valid_days", "receipt_on", "receipt_org_name")
        values = {k: cd[k] for k in keys if cd.get(k) not in (None, "")}
        if cd.get("action") == Action.RESUBMIT:
            values.update({target: cd[name] for name, target in self.RESUBMIT_FIELDS.items() if cd.get(name) not in (None, "")})
        return values


class ArrivalForm(AccessibleForm):
    organisation = forms.TypedChoiceField(label="接收党支部", coerce=int)
    letter_number = forms.CharField(label="介绍信编号", max_length=40)
    from_org_name = forms.CharField(label="开具介绍信的党组织（全称）", max_length=120)
    scope = forms.ChoiceField(label="转入类型", choices=[("", "请选择"), *list(ArrivalScope.choices)])
    arrived_on = forms.DateField(label="报到日期", widget=DateInput())
    name = forms.CharField(label="姓名", max_length=50)
    id_number = forms.CharField(label="公民身份号码", max_length=18, help_text="18位，用于核对身份，加密保存")
    ethnicity = forms.ChoiceField(label="民族", choices=ETHNICITY_CHOICES, initial="汉族")
    status = forms.ChoiceField(label="党员状态", choices=MemberStatus.choices)
    join_date = forms.DateField(label="入党日期", widget=DateInput())
    full_date = forms.DateField(label="转正日期", required=False, widget=DateInput())
    phone = forms.CharField(
        label="联系电话", max_length=20, required=False, widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"})
    )

    def __init__(self, *args: Any, organisations: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = organisations


class StatsForm(AccessibleForm):
    org = forms.TypedChoiceField(label="统计范围", coerce=int, required=False)
    start = forms.DateField(label="起始日期", required=False, widget=DateInput())
    end = forms.DateField(label="截止日期", required=False, widget=DateInput())

    def __init__(self, *args: Any, organisations: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].choices = organisations
