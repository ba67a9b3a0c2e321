"""The audit log page: district admins browse and filter every audited act (PII-007)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dangjian.core.forms import AccessibleForm, DateInput
from dangjian.core.views import field_changes, paginate

from .models import AuditAction
from .selectors import audit_events_visible_to, filter_audit_events

OBJECT_TYPES = {
    "members.Member": "党员",
    "organisations.Organisation": "党组织",
    "accounts.User": "用户账号",
    "accounts.RoleGrant": "角色授权",
}


class AuditFilterForm(AccessibleForm):
    action = forms.ChoiceField(label="操作", choices=[("", "全部"), *AuditAction.choices], required=False)
    actor = forms.CharField(label="操作人", max_length=150, required=False)
    object_type = forms.ChoiceField(label="对象类型", choices=[("", "全部"), *OBJECT_TYPES.items()], required=False)
    org = forms.TypedChoiceField(label="组织（含下级）", coerce=int, required=False, empty_value=None)
    since = forms.DateField(label="起始日期", required=False, widget=DateInput())
    until = forms.DateField(label="截止日期", required=False, widget=DateInput())

    def __init__(self, *args: Any, organisations: list[tuple[int, str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.paths = {pk: path for pk, _, path in organisations}
        self.fields["org"].choices = [("", "全部"), *((pk, name) for pk, name, _ in organisations)]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", f"截止日期 {data['until']} 早于起始日期 {data['since']}，请调整。")
        return data


def _organisation_rows() -> list[tuple[int, str, str]]:
    """(pk, indented name, path) of every live organisation; district admins see the whole tree.

    audit sits below organisations, so the model is read through the app registry.
    """
    model = apps.get_model("organisations", "Organisation")
    rows = model.objects.filter(dissolved_on__isnull=True).order_by("path").values_list("pk", "name", "depth", "path")
    return [(pk, "　" * max(depth - 1, 0) + name, path) for pk, name, depth, path in rows]


def _model_for(label: str) -> Any:
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


DETAIL_LABELS = {
    "fields": "涉及字段",
    "rows": "行数",
    "count": "条数",
    "filename": "文件",
    "unmasked": "未脱敏",
    "filters": "筛选条件",
    "format": "格式",
    "member_ids": "党员",
    "created": "新增",
    "updated": "更新",
}


def _detail_lines(detail: Any, model: Any) -> list[str]:
    """An event's detail as short Chinese lines; lists of field names read as their labels."""
    if not isinstance(detail, dict):
        return [str(detail)] if detail else []
    lines = []
    for key, value in detail.items():
        if key == "fields" and isinstance(value, list):
            value = "、".join(str(f.verbose_name) if (f := _field(model, name)) is not None else name for name in value)
        elif isinstance(value, bool):
            value = "是" if value else "否"
        elif isinstance(value, list | dict):
            value = f"共 {len(value)} 项" if len(value) > 5 else "、".join(map(str, value))
        lines.append(f"{DETAIL_LABELS.get(key, key)}：{value}")
    return lines


def _field(model: Any, name: str) -> Any:
    try:
        return model._meta.get_field(name) if model is not None else None
    except Exception:  # FieldDoesNotExist
        return None


@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    scope = request.scope  # type: ignore[attr-defined]
    if not scope.is_district_admin:
        raise PermissionDenied("审计日志仅供区委组织部管理员查看。")
    form = AuditFilterForm(request.GET, organisations=_organisation_rows())
    form.is_valid()
    data = {k: v for k, v in form.cleaned_data.items() if k not in form.errors}
    events = filter_audit_events(
        audit_events_visible_to(scope),
        action=data.get("action") or "",
        actor=data.get("actor") or "",
        object_type=data.get("object_type") or "",
        org_path=form.paths.get(data.get("org"), "") if data.get("org") else "",
        since=data.get("since"),
        until=data.get("until"),
    )
    page = paginate(request, events)
    for event in page:
        event.type_label = OBJECT_TYPES.get(event.object_type, event.object_type)  # type: ignore[attr-defined]
        model = _model_for(event.object_type)
        event.changes = field_changes(event.before, event.after, model=model)  # type: ignore[attr-defined]
        event.details = _detail_lines(event.detail, model)  # type: ignore[attr-defined]
    filtered = any(data.get(k) for k in ("action", "actor", "object_type", "org", "since", "until"))
    return render(request, "audit/list.html", {"form": form, "page": page, "filtered": filtered})
