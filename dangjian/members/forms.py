"""Member forms: input shape and choices narrowed to the caller's scope; the services judge the rules."""

from __future__ import annotations

from typing import Any

from django import forms

from dangjian.core.forms import AccessibleForm, DateInput, UploadForm

from .choices import ETHNICITY_CHOICES, Category, Education, ExemptionReason, Gender, MemberStatus, PartyRepLevel
from .selectors import FLAG_LABELS, SORTS, MemberFilters

PII_FIELDS = ("id_number", "phone", "address")


def _blank(label: str, choices: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [("", label), *choices]


class MemberForm(AccessibleForm):
    """Create or edit a member. On edit the three personal-data fields start empty (never shown in
    clear) and are only changed when something is typed into them."""

    name = forms.CharField(label="姓名", max_length=50)
    id_number = forms.CharField(label="公民身份号码", max_length=25, help_text="18 位；出生日期和性别可由号码自动识别")
    gender = forms.ChoiceField(label="性别", choices=_blank("按身份证号识别", Gender.choices), required=False)
    ethnicity = forms.ChoiceField(label="民族", choices=ETHNICITY_CHOICES, initial="汉族")
    birth_date = forms.DateField(label="出生日期", required=False, widget=DateInput(), help_text="可留空，按身份证号填写")
    education = forms.ChoiceField(label="学历", choices=_blank("（未填写）", Education.choices), required=False)
    category = forms.ChoiceField(label="人员类别", choices=_blank("（未填写）", Category.choices), required=False)
    status = forms.ChoiceField(label="党员状态", choices=MemberStatus.choices, initial=MemberStatus.FULL)
    join_date = forms.DateField(label="入党日期", widget=DateInput(), help_text="即政治生日")
    full_date = forms.DateField(label="转正日期", required=False, widget=DateInput(), help_text="预备党员不填")
    organisation = forms.TypedChoiceField(label="所在党支部", coerce=int, empty_value=None)
    group = forms.TypedChoiceField(label="所在党小组", coerce=int, required=False, empty_value=None)
    phone = forms.CharField(
        label="联系电话", max_length=30, required=False, widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"})
    )
    address = forms.CharField(label="家庭住址", max_length=200, required=False, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    employer = forms.CharField(label="工作单位", max_length=120, required=False)
    post = forms.CharField(label="职务", max_length=60, required=False)
    is_in_service = forms.BooleanField(label="在职党员", required=False, help_text="在职党员请填写上面的工作单位")
    is_flowing = forms.BooleanField(label="流动党员", required=False)
    whereabouts = forms.CharField(label="流动去向", max_length=200, required=False)
    lost_contact_since = forms.DateField(
        label="失联日期", required=False, widget=DateInput(), help_text="失联党员填写失去联系的日期，否则留空"
    )
    is_party_rep = forms.BooleanField(label="党代表", required=False)
    party_rep_level = forms.ChoiceField(label="党代表级别", choices=_blank("请选择", PartyRepLevel.choices), required=False)
    is_part_time_committee = forms.BooleanField(label="兼职委员", required=False)
    is_exempt = forms.BooleanField(label="不作硬性要求（年老、体弱、患病）", required=False)
    exemption_reason = forms.ChoiceField(label="原因", choices=_blank("请选择", ExemptionReason.choices), required=False)
    exemption_approved_by = forms.CharField(label="批准人", max_length=50, required=False)
    exemption_since = forms.DateField(label="批准日期", required=False, widget=DateInput())
    note = forms.CharField(label="备注", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    comment = forms.CharField(label="修改说明", max_length=500, required=False, help_text="记入党员信息变更记录")

    def __init__(
        self,
        *args: Any,
        organisations: list[tuple[int, str]],
        groups: list[tuple[int, str]],
        masked: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.editing = masked is not None
        self.fields["organisation"].choices = _blank("请选择党支部", organisations)  # type: ignore[attr-defined]
        self.fields["group"].choices = _blank("（不属于党小组）", groups)  # type: ignore[attr-defined]
        if self.editing:
            for name in PII_FIELDS:
                field = self.fields[name]
                field.required = False
                current = (masked or {}).get(name) or "（未填写）"
                field.widget.attrs["placeholder"] = current
                field.help_text = f"现为 {current}；留空表示不修改，填写则替换"
        else:
            del self.fields["comment"]

    def values(self) -> dict[str, Any]:
        """Service values; on edit, empty personal-data fields are left out (unchanged)."""
        data = dict(self.cleaned_data)
        data.pop("comment", None)
        if self.editing:
            for name in PII_FIELDS:
                if not data.get(name):
                    data.pop(name, None)
        return data


class MemberFilterForm(AccessibleForm):
    """The member list's search and filters (GET); an unknown value is ignored, never an error page."""

    q = forms.CharField(
        label="搜索", required=False, widget=forms.TextInput(attrs={"type": "search", "placeholder": "姓名、完整身份证号或手机号"})
    )
    org = forms.TypedChoiceField(label="组织", coerce=int, required=False, empty_value=None, help_text="含下级组织")
    status = forms.ChoiceField(label="党员状态", choices=_blank("全部", MemberStatus.choices), required=False)
    category = forms.ChoiceField(label="人员类别", choices=_blank("全部", Category.choices), required=False)
    gender = forms.ChoiceField(label="性别", choices=_blank("全部", Gender.choices), required=False)
    flags = forms.MultipleChoiceField(label="标记", choices=list(FLAG_LABELS.items()), required=False, widget=forms.CheckboxSelectMultiple)
    sort = forms.ChoiceField(choices=[(k, k) for k in SORTS], required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, organisations: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].choices = _blank("全部（我的管理范围）", organisations)  # type: ignore[attr-defined]

    def filters(self) -> MemberFilters:
        """The valid part of the query: a tampered value is dropped, the rest still applies."""
        self.is_valid()
        data = {name: self.cleaned_data.get(name) for name in self.fields if name not in self.errors}
        return MemberFilters(
            q=data.get("q") or "",
            org_id=data.get("org"),
            status=data.get("status") or "",
            category=data.get("category") or "",
            gender=data.get("gender") or "",
            flags=tuple(data.get("flags") or ()),
            sort=data.get("sort") or "name",
        )

    @property
    def is_filtered(self) -> bool:
        filters = self.filters()
        return bool(filters.q or filters.org_id or filters.status or filters.category or filters.gender or filters.flags)


class UnmaskForm(AccessibleForm):
    reason = forms.CharField(
        label="查看事由",
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "如：办理组织关系转接需核对身份"}),
        help_text="必填；本次查看将记入审计日志",
    )


class ExportForm(AccessibleForm):
    reason = forms.CharField(
        label="导出事由",
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "如：报送上级党组织年度统计"}),
        help_text="导出完整身份证号、电话、住址须说明事由，并记入审计日志",
    )


class RosterImportForm(UploadForm):
    organisation = forms.TypedChoiceField(
        label="导入到",
        coerce=int,
        empty_value=None,
        help_text="花名册“所在党支部”一列按名称在该组织及其下级中查找；只有一个支部时直接选择该支部",
    )

    def __init__(self, *args: Any, organisations: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = _blank("请选择组织", organisations)  # type: ignore[attr-defined]
        self.order_fields(["organisation", "file"])
