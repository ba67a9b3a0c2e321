"""Organisation forms: input shape only; the services judge the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from dangjian.core.forms import AccessibleForm, DateInput

from .choices import ALLOWED_PARENTS, Affinity, CommitteePost, OrgKind, Sector


def kinds_allowed_under(parent_kind: str | None) -> list[tuple[str, str]]:
    """Kinds that may sit directly under ``parent_kind`` (ORG-019), in glossary order."""
    return [
        (value, label)
        for value, label in OrgKind.choices
        if (parent_kind in ALLOWED_PARENTS[value]) or (parent_kind is None and not ALLOWED_PARENTS[value])
    ]


class OrganisationForm(AccessibleForm):
    name = forms.CharField(label="组织名称", max_length=120)
    code = forms.CharField(label="组织代码", max_length=40, help_text="全区唯一，如 110101-001")
    kind = forms.ChoiceField(label="组织类别")
    sector = forms.ChoiceField(label="领域", choices=Sector.choices, initial=Sector.COMMUNITY)
    affinity = forms.ChoiceField(
        label="四缘类型", choices=[("", "（无）"), *Affinity.choices], required=False, help_text="功能型党支部填写"
    )
    founded_on = forms.DateField(label="成立日期", required=False, widget=DateInput())
    term_started_on = forms.DateField(label="本届任期开始", required=False, widget=DateInput())
    term_ends_on = forms.DateField(
        label="本届任期届满", required=False, widget=DateInput(), help_text="留空则按法定任期（ORG-011）自动计算"
    )
    grid_area = forms.CharField(label="网格范围", max_length=200, required=False)
    address = forms.CharField(label="办公地址", max_length=200, required=False)
    has_approval_authority = forms.BooleanField(label="具有审批预备党员权限", required=False)

    def __init__(self, *args: Any, parent_kind: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kinds_allowed_under(parent_kind)

    def values(self) -> dict[str, Any]:
        """Service values; an empty term end is left out so the service fills the legal one."""
        data = dict(self.cleaned_data)
        data.pop("comment", None)
        if not data.get("term_ends_on"):
            data.pop("term_ends_on", None)
        return data


class OrganisationEditForm(OrganisationForm):
    comment = forms.CharField(label="修改说明", max_length=500, required=False, help_text="如上级批复文号，记入组织历史")


class MoveForm(AccessibleForm):
    new_parent = forms.TypedChoiceField(label="移动到（新的上级组织）", coerce=int)
    comment = forms.CharField(label="移动原因", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, targets: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_parent"].choices = [("", "请选择"), *targets]


class DissolveForm(AccessibleForm):
    on = forms.DateField(label="撤销日期", initial=timezone.localdate, widget=DateInput())
    comment = forms.CharField(
        label="撤销原因", max_length=500, widget=forms.Textarea(attrs={"rows": 3}), help_text="如上级党组织批复文号；必填"
    )


class SeatForm(AccessibleForm):
    post = forms.ChoiceField(label="职务", choices=CommitteePost.choices)
    member = forms.TypedChoiceField(label="党员", coerce=int, required=False, empty_value=None, help_text="本组织及下级组织的党员")
    person_name = forms.CharField(label="或填写姓名", max_length=50, required=False, help_text="组织关系不在本平台的兼职委员（ORG-021）")
    is_part_time = forms.BooleanField(label="兼职委员", required=False)
    started_on = forms.DateField(label="任职日期", initial=timezone.localdate, widget=DateInput())

    def __init__(self, *args: Any, member_choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = [("", "（不选）"), *member_choices]
