"""JSON API for the member registry: the same selectors, permissions and services as the pages.

Members are read through ``selectors.members_visible_to`` / ``get_member_for`` (404 outside the
subtree); organisations named in a request (``org_id``, ``organisation_id``, ``group_id``) through
``organisations.selectors.get_organisation_for`` (404 as well). Personal data leaves masked
(``selectors.masked``) except from ``unmask``, which writes one audit row per call.
"""

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from dangjian.audit.models import AuditAction
from dangjian.audit.services import client_ip
from dangjian.core.api import HistoryEventOut, ScopedPagination, forbid, history_rows, json_response, labelled, page_of
from dangjian.core.masking import mask_address, mask_id_number, mask_phone
from dangjian.core.rules import RuleViolation
from dangjian.core.scope import Scope
from dangjian.organisations.models import Organisation
from dangjian.organisations.selectors import get_organisation_for

from . import permissions, selectors, services
from .choices import Category, Education, Gender, MemberStatus
from .models import Member, MemberEvent
from .schemas import MemberCreate, MemberDetail, MemberPage, MemberPatch, MemberQuery, UnmaskIn, UnmaskOut

router = Router(tags=["党员"])

REGISTRY_HINT = "需要该党员所在组织（或其上级）的党支部书记、党（工）委管理员或区委组织部管理员角色"
# choice fields stored as '' when not given
_BLANK_CHOICES = ("education", "category", "party_rep_level", "exemption_reason")
_TEXT_FIELDS = ("phone", "address", "employer", "post", "whereabouts", "exemption_approved_by", "note")
_NOT_NULL_ON_PATCH = {
    "name": "姓名",
    "id_number": "公民身份号码",
    "organisation_id": "所在党支部",
    "join_date": "入党日期",
    "status": "党员状态",
    "gender": "性别",
    "birth_date": "出生日期",
    "ethnicity": "民族",
    "is_in_service": "在职党员",
    "is_flowing": "流动党员",
    "is_party_rep": "党代表",
    "is_part_time_committee": "兼职委员",
    "is_exempt": "不作硬性要求",
}


# labels of the list's choice fields, built once (Choices.choices builds a new list on every access)
_GENDER_LABELS = dict(Gender.choices)
_STATUS_LABELS = dict(MemberStatus.choices)
_CATEGORY_LABELS = dict(Category.choices)
# what a list row reads (``_list_row``), as values: the rest of the record stays in the database
LIST_VALUES = (
    *("id", "name", "gender", "birth_date", "status", "category", "join_date"),
    *selectors.ENCRYPTED_FIELDS,
    *selectors.FLAG_FIELDS,
    *("organisation_id", "organisation__name", "organisation__code"),
)


def _list_row(values: dict[str, Any]) -> dict[str, Any]:
    """A member as the list shows it (``MemberRow``), from ``LIST_VALUES``: L3 fields masked (PII-004)."""
    return {
        "id": values["id"],
        "name": values["name"],
        "gender": values["gender"],
        "gender_label": _GENDER_LABELS.get(values["gender"], ""),
        "birth_date": values["birth_date"],
        "status": values["status"],
        "status_label": _STATUS_LABELS.get(values["status"], ""),
        "category": values["category"],
        "category_label": _CATEGORY_LABELS.get(values["category"], "") if values["category"] else "",
        "join_date": values["join_date"],
        "organisation": {"id": values["organisation_id"], "name": values["organisation__name"], "code": values["organisation__code"]},
        "id_number": mask_id_number(values["id_number"]),
        "phone": mask_phone(values["phone"]),
        "address": mask_address(values["address"]),
        "flags": [flag for flag, key in selectors.FLAG_KEYS.items() if values[key]],
    }


def _flags(member: Member) -> list[str]:
    return [flag for flag, key in selectors.FLAG_KEYS.items() if getattr(member, key)]


def _org_ref(org: Organisation | None) -> dict[str, Any] | None:
    return {"id": org.pk, "name": org.name, "code": org.code} if org else None


def _row(member: Member) -> dict[str, Any]:
    """A member as every list shows it: L3 fields masked (PII-004)."""
    return {
        "id": member.pk,
        "name": member.name,
        "gender": member.gender,
        "gender_label": _GENDER_LABELS.get(member.gender, ""),
        "birth_date": member.birth_date,
        "status": member.status,
        "status_label": _STATUS_LABELS.get(member.status, ""),
        "category": member.category,
        "category_label": _CATEGORY_LABELS.get(member.category, "") if member.category else "",
        "join_date": member.join_date,
        "organisation": _org_ref(member.organisation),
        **selectors.masked(member),
        "flags": _flags(member),
    }


def _detail(member: Member, scope: Scope) -> dict[str, Any]:
    return {
        **_row(member),
        "ethnicity": member.ethnicity,
        "education": member.education,
        "education_label": labelled(Education.choices, member.education),
        "full_date": member.full_date,
        "group": _org_ref(member.group),
        "employer": member.employer,
        "post": member.post,
        "is_in_service": member.is_in_service,
        "is_flowing": member.is_flowing,
        "whereabouts": member.whereabouts,
        "lost_contact_since": member.lost_contact_since,
        "is_party_rep": member.is_party_rep,
        "party_rep_level": member.party_rep_level,
        "is_part_time_committee": member.is_part_time_committee,
        "is_exempt": member.is_exempt,
        "exemption_reason": member.exemption_reason,
        "exemption_approved_by": member.exemption_approved_by,
        "exemption_since": member.exemption_since,
        "note": member.note,
        "can_unmask": permissions.can_unmask(scope, member),
    }


def _history_rows(events: list[MemberEvent]) -> list[dict[str, Any]]:
    return history_rows(events, action_labels=AuditAction.choices)


def _managed_organisation(scope: Scope, org_id: int) -> Organisation:
    """An organisation named in a request: 404 outside the subtree, 403 without a registry role."""
    org = get_organisation_for(scope, org_id)
    if not permissions.can_manage_members(scope, org.path):
        raise forbid(f"您没有管理“{org.name}”党员的权限：{REGISTRY_HINT}。")
    return org


def _values(scope: Scope, data: dict[str, Any]) -> dict[str, Any]:
    """Request fields → service values: ids become in-scope organisations, enums their codes."""
    values = {k: (v.value if hasattr(v, "value") else v) for k, v in data.items()}
    if "organisation_id" in values:
        values["organisation"] = _managed_organisation(scope, values.pop("organisation_id"))
    if "group_id" in values:
        group_id = values.pop("group_id")
        values["group"] = get_organisation_for(scope, group_id) if group_id else None
    for key in _BLANK_CHOICES + _TEXT_FIELDS:
        if key in values and values[key] is None:
            values[key] = ""
    return values


@router.get("", response=MemberPage, summary="党员列表")
def list_members(request: HttpRequest, filters: Query[MemberQuery], page: Query[ScopedPagination.Input]) -> HttpResponse:
    """您范围内的党员，个人信息已脱敏。可按姓名（包含）、公民身份号码或手机号（完全相同）搜索，按组织、状态、类别、标记筛选并排序；分页（limit/offset）。"""
    scope = request.scope  # type: ignore[attr-defined]
    org_id = None
    if filters.org_id is not None:
        org_id = get_organisation_for(scope, filters.org_id).pk
    members = selectors.filter_members(
        scope,
        selectors.MemberFilters(
            q=filters.q,
            org_id=org_id,
            status=filters.status.value if filters.status else "",
            category=filters.category.value if filters.category else "",
            gender=filters.gender.value if filters.gender else "",
            flags=tuple(filters.flags),
            sort=filters.sort,
        ),
    ).values(*LIST_VALUES)
    # rows read as values and built by _list_row (test_api checks them against MemberRow): the hot list
    # of the API skips the schema's field-by-field validation of 50 rows (issue 9, P7)
    return json_response(page_of(members, page, lambda rows: [_list_row(values) for values in rows]))


@router.get("/{int:member_id}", response=MemberDetail, summary="党员详情（脱敏）")
def get_member(request: HttpRequest, member_id: int) -> dict[str, Any]:
    """一名党员的登记信息；公民身份号码、联系电话、家庭住址只返回脱敏值。"""
    scope = request.scope  # type: ignore[attr-defined]
    return _detail(selectors.get_member_for(scope, member_id), scope)


@router.post("", response={201: MemberDetail}, summary="登记党员")
def create_member(request: HttpRequest, payload: MemberCreate) -> Any:
    """在 organisation_id 指定的党支部登记党员。按 PII-005/006、DEV-001/021/027 等规则校验，违反时返回 422 并注明规则编号；同一公民身份号码只能登记一次。"""
    scope = request.scope  # type: ignore[attr-defined]
    values = _values(scope, payload.model_dump())
    member = services.create_member(actor=request.user, values=values, ip=client_ip(request))
    return Status(201, _detail(selectors.get_member_for(scope, member.pk), scope))


@router.patch("/{int:member_id}", response=MemberDetail, summary="修改党员信息")
def update_member(request: HttpRequest, member_id: int, payload: MemberPatch) -> dict[str, Any]:
    """只修改请求中出现的字段；改动（脱敏后）记入党员历史。转到其他党支部时，新党支部也须在您的管理范围内。"""
    scope = request.scope  # type: ignore[attr-defined]
    member = selectors.get_member_for(scope, member_id)
    if not permissions.can_manage_members(scope, member.organisation.path):
        raise forbid(f"您没有修改{member.name}的党员记录的权限：{REGISTRY_HINT}。")
    data = payload.model_dump(exclude_unset=True)
    comment = data.pop("comment", "")
    for key, label in _NOT_NULL_ON_PATCH.items():
        if key in data and data[key] is None:
            raise RuleViolation(None, f"{label}不能清空；不修改该项时请不要在请求中包含它。", field=key)
    values = _values(scope, data)
    services.update_member(actor=request.user, member_id=member.pk, values=values, comment=comment, ip=client_ip(request))
    return _detail(selectors.get_member_for(scope, member.pk), scope)


@router.post("/{int:member_id}/unmask", response=UnmaskOut, summary="查看完整个人信息（须说明事由，记入审计）")
def unmask_member(request: HttpRequest, member_id: int, payload: UnmaskIn, response: HttpResponse) -> dict[str, Any]:
    """返回公民身份号码、联系电话、家庭住址的完整值。仅限该党员所在组织的书记或管理员（及党员本人），须填写事由；每次调用写一条审计记录（PII-001）。"""
    scope = request.scope  # type: ignore[attr-defined]
    member = selectors.get_member_for(scope, member_id)
    if not permissions.can_unmask(scope, member):
        raise forbid(
            f"您的角色无权查看{member.name}的完整个人信息（公民身份号码、联系电话、家庭住址）："
            "须为该党员所在组织（或其上级）的党支部书记、党（工）委管理员或区委组织部管理员（PII-001）。"
        )
    plain = services.unmask_member(
        actor=request.user, member=member, reason=payload.reason, fields=tuple(dict.fromkeys(payload.fields)), ip=client_ip(request)
    )
    response["Cache-Control"] = "no-store"
    return {"id": member.pk, **plain}


@router.get("/{int:member_id}/history", response=list[HistoryEventOut], summary="党员信息变更历史")
@paginate(ScopedPagination, prepare=_history_rows)
def member_history(request: HttpRequest, member_id: int) -> Any:
    """党员记录的每一次变更（个人信息为脱敏值）：时间、操作人、变更前后和说明，最新的在前。"""
    return selectors.member_history(selectors.get_member_for(request.scope, member_id))  # type: ignore[attr-defined]
