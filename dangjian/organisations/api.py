"""JSON API for the organisation tree: the same selectors, permissions and services as the pages.

Every object id (in the path, the query or the body) is looked up through
``selectors.get_organisation_for``: outside the caller's subtree it is 404, like one that does not
exist. Then the role is checked (403 with a Chinese reason), then the service validates (422).
"""

from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from dangjian.audit.models import AuditAction
from dangjian.audit.services import client_ip
from dangjian.core.api import HistoryEventOut, ScopedPagination, forbid, history_rows, labelled
from dangjian.core.rules import RuleViolation
from dangjian.core.scope import path_range

from . import permissions, selectors, services
from .choices import Affinity, CommitteePost, OrgKind, Sector
from .health import health_findings
from .models import Organisation, OrganisationEvent
from .schemas import (
    DissolveIn,
    MoveIn,
    OrganisationCreate,
    OrganisationDetail,
    OrganisationFilters,
    OrganisationPatch,
    OrganisationRow,
)

router = Router(tags=["党组织"])

TREE_ROLE_HINT = "需要区委组织部管理员或党（工）委管理员角色"


def _rows(orgs: list[Organisation]) -> list[dict[str, Any]]:
    """One page of organisations as list rows: parents and member counts in two queries."""
    parent_paths = {o.path[: -Organisation.steplen] for o in orgs if o.depth > 1}
    parents = {p: (pk, code) for p, pk, code in Organisation.objects.filter(path__in=parent_paths).values_list("path", "pk", "code")}
    counts = selectors.direct_member_counts([o.pk for o in orgs if o.holds_members])
    rows = []
    for org in orgs:
        parent_id, parent_code = parents.get(org.path[: -Organisation.steplen], (None, "")) if org.depth > 1 else (None, "")
        total, full = counts.get(org.pk, (0, 0))
        rows.append(
            {
                "id": org.pk,
                "name": org.name,
                "code": org.code,
                "kind": org.kind,
                "kind_label": labelled(OrgKind.choices, org.kind),
                "sector": org.sector,
                "sector_label": labelled(Sector.choices, org.sector),
                "depth": org.depth,
                "parent_id": parent_id,
                "parent_code": parent_code,
                "term_ends_on": org.term_ends_on,
                "dissolved_on": org.dissolved_on,
                "member_total": total,
                "member_full": full,
            }
        )
    return rows


def _detail(org: Organisation) -> dict[str, Any]:
    parent = selectors.parent_of(org)
    total, full = selectors.direct_member_counts([org.pk]).get(org.pk, (0, 0))
    seats = selectors.current_seats([org.pk])[org.pk]
    return {
        "id": org.pk,
        "name": org.name,
        "code": org.code,
        "kind": org.kind,
        "kind_label": labelled(OrgKind.choices, org.kind),
        "sector": org.sector,
        "sector_label": labelled(Sector.choices, org.sector),
        "affinity": org.affinity,
        "affinity_label": labelled(Affinity.choices, org.affinity),
        "depth": org.depth,
        "parent": {"id": parent.pk, "name": parent.name, "code": parent.code} if parent else None,
        "founded_on": org.founded_on,
        "term_started_on": org.term_started_on,
        "term_ends_on": org.term_ends_on,
        "grid_area": org.grid_area,
        "address": org.address,
        "has_approval_authority": org.has_approval_authority,
        "dissolved_on": org.dissolved_on,
        "holds_members": org.holds_members,
        "member_total": total,
        "member_full": full,
        "children": selectors.children_of(org).count(),
        "committee": [
            {
                "id": s.pk,
                "post": s.post,
                "post_label": labelled(CommitteePost.choices, s.post),
                "holder_name": s.holder_name,
                "member_id": s.member_id,
                "is_part_time": s.is_part_time,
                "started_on": s.started_on,
            }
            for s in seats
        ],
        "health": [{"rule": f.rule_id, "severity": f.severity, "message": f.message} for f in health_findings(org)],
    }


def _history_rows(events: list[OrganisationEvent]) -> list[dict[str, Any]]:
    return history_rows(events, action_labels=AuditAction.choices)


def _require_change(request: HttpRequest, org: Organisation, what: str) -> None:
    if not permissions.can_change_organisation(request.scope, org):  # type: ignore[attr-defined]
        raise forbid(f"您没有{what}“{org.name}”的权限：{TREE_ROLE_HINT}，且该组织须在您管理的范围内。")


@router.get("", response=list[OrganisationRow], summary="党组织列表（树序）")
@paginate(ScopedPagination, prepare=_rows, cached_total=True)
def list_organisations(request: HttpRequest, filters: Query[OrganisationFilters]) -> QuerySet[Organisation]:
    """按组织树顺序列出您管理范围内的党组织；可按上级组织、类别、名称或代码筛选，分页（limit/offset）。"""
    scope = request.scope  # type: ignore[attr-defined]
    qs = selectors.organisations_visible_to(scope, include_dissolved=filters.include_dissolved)
    if filters.parent is not None:
        parent = selectors.get_organisation_for(scope, filters.parent)
        qs = qs.filter(path__range=path_range(parent.path), depth=parent.depth + 1)
    if filters.kind:
        qs = qs.filter(kind=filters.kind.value)
    text = " ".join(filters.q.split())
    if text:
        qs = qs.filter(Q(name__icontains=text) | Q(code__iexact=text))
    return qs.order_by("path")


@router.get("/{int:org_id}", response=OrganisationDetail, summary="党组织详情（含健康检查）")
def get_organisation(request: HttpRequest, org_id: int) -> dict[str, Any]:
    """组织的基本信息、上级组织、任期、现任委员，以及按 ORG 规则的健康检查结果（每条注明规则编号和原因）。"""
    return _detail(selectors.get_organisation_for(request.scope, org_id))  # type: ignore[attr-defined]


@router.post("", response={201: OrganisationDetail}, summary="新建党组织")
def create_organisation(request: HttpRequest, payload: OrganisationCreate) -> Any:
    """在 parent_id 指定的上级组织下新建组织。上级组织须在您的范围内（否则 404），且您须为区委或党（工）委管理员（否则 403）。"""
    parent = selectors.get_organisation_for(request.scope, payload.parent_id)  # type: ignore[attr-defined]
    _require_change(request, parent, "在其下新建组织：")
    values = payload.model_dump(exclude={"parent_id"})
    values["affinity"] = values["affinity"] or ""
    values = {k: (v.value if isinstance(v, OrgKind | Sector | Affinity) else v) for k, v in values.items()}
    org = services.create_organisation(actor=request.user, parent_id=parent.pk, values=values, ip=client_ip(request))
    return Status(201, _detail(org))


_REQUIRED_ON_PATCH = {"name": "组织名称", "code": "组织代码", "kind": "组织类别", "sector": "领域", "has_approval_authority": "审批权限"}


@router.patch("/{int:org_id}", response=OrganisationDetail, summary="修改党组织")
def update_organisation(request: HttpRequest, org_id: int, payload: OrganisationPatch) -> dict[str, Any]:
    """只修改请求中出现的字段；修改前后的值记入组织历史。"""
    org = selectors.get_organisation_for(request.scope, org_id)  # type: ignore[attr-defined]
    _require_change(request, org, "修改")
    values = payload.model_dump(exclude_unset=True)
    comment = values.pop("comment", "")
    for key, label in _REQUIRED_ON_PATCH.items():
        if key in values and values[key] is None:
            raise RuleViolation(None, f"{label}不能清空；不修改该项时请不要在请求中包含它。", field=key)
    for key in ("affinity", "grid_area", "address"):
        if key in values and values[key] is None:
            values[key] = ""
    values = {k: (v.value if isinstance(v, OrgKind | Sector | Affinity) else v) for k, v in values.items()}
    org = services.update_organisation(actor=request.user, organisation_id=org.pk, values=values, comment=comment, ip=client_ip(request))
    return _detail(org)


@router.post("/{int:org_id}/move", response=OrganisationDetail, summary="移动党组织（连同下级）")
def move_organisation(request: HttpRequest, org_id: int, payload: MoveIn) -> dict[str, Any]:
    """把组织连同其全部下级移到 parent_id 之下。两个组织都须在您的范围内（否则 404）；不能移动您本人所管理的顶层组织。"""
    scope = request.scope  # type: ignore[attr-defined]
    org = selectors.get_organisation_for(scope, org_id)
    if not permissions.can_restructure(scope, org):
        raise forbid(f"您没有移动“{org.name}”的权限：{TREE_ROLE_HINT}，且只能移动您所管理组织的下级组织。")
    if payload.parent_id is None:
        raise RuleViolation(None, "请指定新的上级组织（parent_id）。", field="parent_id")
    target = selectors.get_organisation_for(scope, payload.parent_id)
    _require_change(request, target, "把组织移入")
    org = services.move_organisation(
        actor=request.user, organisation_id=org.pk, new_parent_id=target.pk, comment=payload.comment, ip=client_ip(request)
    )
    return _detail(org)


@router.post("/{int:org_id}/dissolve", response=OrganisationDetail, summary="撤销党组织")
def dissolve_organisation(request: HttpRequest, org_id: int, payload: DissolveIn) -> dict[str, Any]:
    """撤销组织（须写明原因）。组织及其下级仍有党员或未撤销的下级组织时拒绝。"""
    scope = request.scope  # type: ignore[attr-defined]
    org = selectors.get_organisation_for(scope, org_id)
    if not permissions.can_restructure(scope, org):
        raise forbid(f"您没有撤销“{org.name}”的权限：{TREE_ROLE_HINT}，且只能撤销您所管理组织的下级组织。")
    org = services.dissolve_organisation(
        actor=request.user, organisation_id=org.pk, on=payload.on, comment=payload.reason, ip=client_ip(request)
    )
    return _detail(org)


@router.get("/{int:org_id}/history", response=list[HistoryEventOut], summary="党组织变更历史")
@paginate(ScopedPagination, prepare=_history_rows)
def organisation_history(request: HttpRequest, org_id: int) -> QuerySet[OrganisationEvent]:
    """组织的每一次变更：时间、操作人、操作、变更前后的值和说明，最新的在前。"""
    org = selectors.get_organisation_for(request.scope, org_id)  # type: ignore[attr-defined]
    return selectors.organisation_history(org)
