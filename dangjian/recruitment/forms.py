"""Forms of the development pipeline: input shape and scoped choices; the services judge the rules."""

from __future__ import annotations

from typing import Any

from django import forms

from dangjian.core.forms import AccessibleForm, DateInput

from . import rules
from .choices import BallotMethod, Decision, MaterialKind, Outcome, Stage


def _blank(label: str, choices: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [("", label), *choices]


class CandidateForm(AccessibleForm):
    """Register an applicant from a submitted application (step 1)."""

    name = forms.CharField(label="姓名", max_length=50)
    id_number = forms.CharField(
        label="公民身份号码",
        max_length=25,
        help_text="18 位；出生日期、性别和年龄由号码自动计算",
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    phone = forms.CharField(
        label="手机号", max_length=20, required=False, widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"})
    )
    work_unit = forms.CharField(label="工作（学习）单位", max_length=120, required=False)
    organisation = forms.TypedChoiceField(label="接收申请的党支部", coerce=int, empty_value=None)
    applied_on = forms.DateField(label="收到入党申请书日期", widget=DateInput())
    responsible = forms.CharField(label="接收人", max_length=200, required=False)
    file = forms.FileField(label="入党申请书（扫描件或照片）", required=False, help_text="PDF、Word、JPG 或 PNG，不超过 10 MB")
    is_paper = forms.BooleanField(label="纸质原件已收存（不上传文件）", required=False)
    notes = forms.CharField(label="备注", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, organisations: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = _blank("请选择党支部", organisations)  # type: ignore[attr-defined]


class StepForm(AccessibleForm):
    """Record one step; which fields show depends on the step (rules.STEPS)."""

    number = forms.TypedChoiceField(label="步骤", coerce=int)
    on = forms.DateField(label="日期", widget=DateInput())
    responsible = forms.CharField(label="负责人", max_length=200, required=False)
    decision = forms.ChoiceField(label="结论", choices=Decision.choices, initial=Decision.AGREED, required=False, widget=forms.RadioSelect)
    basis = forms.CharField(label="党员推荐、群团推优情况", max_length=300, required=False)
    people = forms.TypedMultipleChoiceField(label="人员", coerce=int, required=False, widget=forms.CheckboxSelectMultiple)
    training_days = forms.IntegerField(label="培训天数", min_value=0, max_value=365, required=False)
    training_hours = forms.IntegerField(label="培训学时", min_value=0, max_value=2000, required=False)
    notice_from = forms.DateField(label="公示开始日期", required=False, widget=DateInput())
    notice_to = forms.DateField(label="公示结束日期", required=False, widget=DateInput())
    entitled = forms.IntegerField(label="应到会有表决权人数", min_value=0, max_value=10000, required=False)
    present = forms.IntegerField(label="实到人数", min_value=0, max_value=10000, required=False)
    votes_yes = forms.IntegerField(label="赞成票", min_value=0, max_value=10000, required=False, help_text="含未到会党员书面表示赞成的")
    votes_no = forms.IntegerField(label="反对票", min_value=0, max_value=10000, required=False)
    votes_abstain = forms.IntegerField(label="弃权票", min_value=0, max_value=10000, required=False)
    written_opinions = forms.IntegerField(label="书面意见（份）", min_value=0, max_value=10000, required=False)
    ballot_method = forms.ChoiceField(label="表决方式", choices=_blank("请选择", BallotMethod.choices), required=False)
    outcome = forms.ChoiceField(label="讨论结果", choices=_blank("请选择", Outcome.choices), required=False)
    extension_months = forms.IntegerField(label="延长预备期（月）", min_value=0, max_value=24, required=False)
    notes = forms.CharField(label="备注", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, allowed: list[int], people: list[tuple[int, str]], step: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["number"].choices = [(n, f"第{n}步 {rules.STEPS[n].label}") for n in allowed]  # type: ignore[attr-defined]
        self.fields["people"].choices = people  # type: ignore[attr-defined]
        step = step or (allowed[0] if allowed else None)
        self.definition = rules.STEPS.get(step) if step else None
        if self.definition is not None:
            self.fields["number"].initial = step
            if self.definition.responsible_hint:
                self.fields["responsible"].label = self.definition.responsible_hint
            if self.definition.people == "contacts":
                self.fields["people"].label = "培养联系人（1至2名正式党员）"
            elif self.definition.people == "introducers":
                self.fields["people"].label = "入党介绍人（2名正式党员）"
            if self.definition.decision == "decision" and self.definition.number == 10:
                self.fields["decision"].choices = [(Decision.AGREED, "合格"), (Decision.REFUSED, "不合格")]
            elif self.definition.decision == "vote":
                self.fields["decision"].choices = [(Decision.AGREED, "通过"), (Decision.REFUSED, "未通过")]

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("number", None)
        data.pop("on", None)
        data["people"] = list(data.get("people") or [])
        data["written_opinions"] = data.get("written_opinions") or 0
        data["decision"] = data.get("decision") or Decision.AGREED
        return data

    def shown(self) -> list[str]:
        """The field names this step's form shows (the rest stay hidden and empty)."""
        d = self.definition
        if d is None:
            return []
        names = ["on", "responsible"]
        if d.number == 3:
            names.append("basis")
        if d.people:
            names.append("people")
        if d.number == 7:
            names += ["notice_from", "notice_to"]
        if d.number == 11:
            names += ["training_days", "training_hours"]
        if d.decision == "outcome":
            names += ["outcome", "extension_months"]
        if d.decision in ("vote", "outcome"):
            names += ["entitled", "present", "votes_yes", "votes_no", "votes_abstain", "written_opinions", "ballot_method"]
        if d.decision in ("decision", "vote"):
            names.append("decision")
        names.append("notes")
        return names


class MaterialForm(AccessibleForm):
    step_number = forms.TypedChoiceField(label="步骤", coerce=int)
    kind = forms.ChoiceField(label="材料", choices=MaterialKind.choices)
    file = forms.FileField(label="文件", required=False, help_text="PDF、Word、Excel、JPG 或 PNG，不超过 10 MB")
    is_paper = forms.BooleanField(label="纸质原件已收存（不上传文件）", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["step_number"].choices = [(n, f"第{n}步 {s.label}") for n, s in rules.STEPS.items()]  # type: ignore[attr-defined]


class ReviewForm(AccessibleForm):
    approve = forms.TypedChoiceField(label="审核", coerce=lambda v: v == "yes", choices=[("yes", "通过"), ("no", "退回")])
    comment = forms.CharField(label="审核意见", max_length=500, required=False)


class StopForm(AccessibleForm):
    on = forms.DateField(label="终止日期", widget=DateInput())
    reason = forms.CharField(label="终止原因", max_length=200)


class CalendarForm(AccessibleForm):
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    holidays = forms.CharField(
        label="放假日期（工作日放假）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="每行一个日期，如 2026-10-01；周末本来休息的不用填",
    )
    workdays = forms.CharField(
        label="调休上班日期（周末上班）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="每行一个日期，如 2026-10-10",
    )


class PipelineFilterForm(forms.Form):
    q = forms.CharField(label="姓名", required=False)
    org = forms.TypedChoiceField(label="党组织", coerce=int, required=False, empty_value=None)
    stage = forms.ChoiceField(label="阶段", choices=_blank("全部阶段", Stage.choices), required=False)
    due = forms.ChoiceField(
        label="期限", choices=[("", "全部"), ("overdue", "已逾期"), ("soon", f"{rules.DUE_SOON_DAYS}天内到期")], required=False
    )

    def __init__(self, *args: Any, organisations: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].choices = _blank("全部（本人管辖范围）", organisations)  # type: ignore[attr-defined]


class UnmaskForm(AccessibleForm):
    reason = forms.CharField(
        label="查看事由",
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "如：填写政审材料需核对身份"}),
        help_text="必填；本次查看将记入审计日志",
    )
