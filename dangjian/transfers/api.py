"""JSON API of transfers under /api/v1/transfers (scoped per ADR 0004).

Transfers are read through ``selectors.get_transfer_for`` (404 outside the caller's subtree), members
through ``members.selectors.get_member_for`` and organisations through ``get_organisation_for``.
Steps go through ``services.act`` and the transition table, exactly like the pages; a broken rule
answers 422 with the rule ID and a Chinese message.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from dangjian.core.api import ScopedPagination
from dangjian.core.masking import mask_phone
from dangjian.core.rules import RuleViolation
from dangjian.core.scope import subtree_q
from dangjian.members.selectors import get_member_for
from dangjian.organisations.models import Organisation
from dangjian.organisations.selectors import get_organisation_for

from . import selectors, services, workflow
from .choices import Action, Party, TransferState
from .models import Transfer

router = Router(tags=["组织关系接转"])


class StepOut(Schema):
    at: datetime
    actor: str
    party: str
    action: str
    from_state: str
    to_state: str
    reason: str


class LetterOut(Schema):
    number: str
    issued_on: date
    valid_days: int
    valid_until: date
    print_count: int
    voided_on: date | None
    receipt_returned_on: date | None
    receipt_org_name: str


class TransferOut(Schema):
    id: int
    member_id: int
    member_name: str
    from_org: str
    destination_org_id: int | None
    destination: str
    scope: str = Field(title="转接类型")
    change_type_code: str = Field(title="变动类型代码")
    state: str
    state_label: str
    next_party: str = Field(title="下一步办理方")
    next_org: str = Field(title="下一步办理组织")
    approver_org: str
    reason: str
    dues_paid_up_to: str
    contact_phone: str = Field(title="联系电话（脱敏）")
    is_probationary: bool
    probation_start: date | None
    probation_end: date | None
    warnings: list[str]
    applied_at: datetime
    available_actions: list[str] = Field(title="您可以办理的步骤")
    letters: list[LetterOut]


class TransferIn(Schema):
    destination_org_id: int | None = Field(None, title="平台内转入党支部ID")
    external_scope: str = Field("", title="平台外去向：city_other_district / same_province / other_province")
    external_org_name: str = Field("", title="接收党组织全称")
    external_org_location: str = ""
    reason: str = Field("", title="转接原因")
    dues_paid_up_to: str = Field("", title="党费交到（YYYY-MM）")
    contact_phone: str = ""
    probation_note: str = ""


class ActionIn(Schema):
    action: str = Field("", title="步骤", description="、".join(f"{a.value}（{a.label}）" for a in Action))
    reason: str = ""
    valid_days: int | None = None
    receipt_on: date | None = None
    receipt_org_name: str = ""
    # resubmit only: corrected application fields (left out = unchanged)
    new_reason: str = ""
    dues_paid_up_to: str = Field("", title="党费交到（YYYY-MM，重新提交时）")
    contact_phone: str = ""
    external_org_name: str = ""
    external_org_location: str = ""


class StatsOut(Schema):
    org_id: int
    start: date
    end: date
    online_transfers: int = Field(title="在线接转组织关系人次（STAT-007）")
    arrivals: int
    out_by_scope: dict[str, dict[str, int]]
    in_by_scope: dict[str, dict[str, int]]
    average_days_per_state: dict[str, float]


def _out(request: HttpRequest, transfer: Transfer) -> dict[str, Any]:
    scope = request.scope  # type: ignore[attr-defined]
    party, org = workflow.responsible(transfer)
    parties = workflow.parties_of(scope, transfer)
    return {
        "id": transfer.pk,
        "member_id": transfer.member_id,
        "member_name": transfer.member.name,
        "from_org": transfer.from_org.name,
        "destination_org_id": transfer.destination_org_id,
        "destination": transfer.destination_name,
        "scope": transfer.scope,
        "change_type_code": transfer.change_type_code,
        "state": transfer.state,
        "state_label": transfer.get_state_display(),
        "next_party": dict(Party.choices).get(party, ""),
        "next_org": org,
        "approver_org": transfer.approver_org.name,
        "reason": transfer.reason,
        "dues_paid_up_to": f"{transfer.dues_paid_up_to:%Y-%m}",
        "contact_phone": mask_phone(transfer.contact_phone),
        "is_probationary": transfer.is_probationary,
        "probation_start": transfer.probation_start,
        "probation_end": transfer.probation_end,
        "warnings": transfer.warnings,
        "applied_at": transfer.applied_at,
        "available_actions": [r.action for r in workflow.actions_from(transfer.state, workflow.route_of(transfer)) if r.party in parties],
        "letters": list(transfer.letters.all()),
    }


def _month(text: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        year, month = text.split("-")[:2]
        return date(int(year), int(month), 1)
    except ValueError:
        raise RuleViolation(None, "党费交到请按 YYYY-MM 填写，例如 2026-11", field="dues_paid_up_to") from None


@router.post("/members/{int:member_id}", response={201: TransferOut}, summary="为党员申请组织关系转接")
def apply_transfer(request: HttpRequest, member_id: int, payload: TransferIn) -> Any:
    """党员本人或其党支部书记（及上级管理员）发起转接：平台内给出 destination_org_id，平台外给出 external_scope 和 external_org_name。违反 XFER 规则时返回 422。"""
    scope = request.scope  # type: ignore[attr-defined]
    member = get_member_for(scope, member_id)
    if not services.can_apply_for(scope, member):
        raise RuleViolation(None, "您只能为本人或本支部党员申请转接", field="member_id")
    destination = None
    if payload.destination_org_id is not None:
        destination = Organisation.objects.filter(pk=payload.destination_org_id).first()
        if destination is None:
            raise RuleViolation(None, "转入党支部不存在", field="destination_org_id")
    values = {**payload.model_dump(), "destination_org": destination, "dues_paid_up_to": _month(payload.dues_paid_up_to)}
    transfer = services.apply(actor=request.user, scope=scope, member_id=member.pk, values=values)
    return Status(201, _out(request, selectors.get_transfer_for(scope, transfer.pk)))


@router.get("/orgs/{int:org_id}", response=list[TransferOut], summary="某组织（含下级）转出和转入的转接")
@paginate(ScopedPagination)
def org_transfers(request: HttpRequest, org_id: int, state: str = "") -> Any:
    """转出党支部或转入党支部在该组织之下的转接，最新的在前；state 可按状态筛选。"""
    scope = request.scope  # type: ignore[attr-defined]
    org = get_organisation_for(scope, org_id)
    qs = selectors.with_related(selectors.transfers_visible_to(scope)).filter(
        subtree_q([org.path], prefix="from_org__") | subtree_q([org.path], prefix="destination_org__")
    )
    if state in TransferState.values:
        qs = qs.filter(state=state)
    rows = list(qs.order_by("-applied_at", "-id")[:1000])
    return [_out(request, t) for t in rows]


@router.get("/orgs/{int:org_id}/stats", response=StatsOut, summary="转接统计（含在线接转人次）")
def org_stats(request: HttpRequest, org_id: int, start: date | None = Query(None), end: date | None = Query(None)) -> Any:  # noqa: B008
    """按申请日期统计转出、转入（按类型和状态）与各环节平均天数；online_transfers 为 STAT-007“在线接转组织关系X人次”。"""
    scope = request.scope  # type: ignore[attr-defined]
    org = get_organisation_for(scope, org_id)
    today = date.today()
    start = start or date(today.year, 1, 1)
    end = end or today
    if start > end:
        raise RuleViolation(None, "截止日期不能早于起始日期", field="end")
    result = selectors.counts(org, start, end)
    return {
        "org_id": org.pk,
        "start": start,
        "end": end,
        "online_transfers": result.online_total,
        "arrivals": result.arrivals,
        "out_by_scope": {k: dict(v) for k, v in result.out_by_scope.items()},
        "in_by_scope": {k: dict(v) for k, v in result.in_by_scope.items()},
        "average_days_per_state": result.step_days,
    }


@router.get("/{int:transfer_id}", response=TransferOut, summary="转接详情与下一步办理组织")
def transfer_detail(request: HttpRequest, transfer_id: int) -> Any:
    return _out(request, selectors.get_transfer_for(request.scope, transfer_id))  # type: ignore[attr-defined]


@router.get("/{int:transfer_id}/steps", response=list[StepOut], summary="转接办理记录（流转日志）")
def transfer_steps(request: HttpRequest, transfer_id: int) -> Any:
    transfer = selectors.get_transfer_for(request.scope, transfer_id)  # type: ignore[attr-defined]
    return [
        {
            "at": s.at,
            "actor": s.actor_name,
            "party": s.party,
            "action": s.action,
            "from_state": s.from_state,
            "to_state": s.to_state,
            "reason": s.reason,
        }
        for s in selectors.steps_of(transfer)
    ]


@router.post(
    "/{int:transfer_id}/actions", response=TransferOut, summary="办理一步（确认、审批、接收、退回、不同意、撤回、开信、回执、补开、撤销）"
)
def transfer_action(request: HttpRequest, transfer_id: int, payload: ActionIn) -> Any:
    """按流转表办理；不是您负责的步骤、状态已变（重复提交）或缺少理由时返回 422 并注明规则编号。"""
    scope = request.scope  # type: ignore[attr-defined]
    transfer = selectors.get_transfer_for(scope, transfer_id)
    if payload.action not in Action.values:
        raise RuleViolation(None, f"未知的步骤“{payload.action}”", field="action")
    values = {
        k: v for k, v in payload.model_dump().items() if k in ("valid_days", "receipt_on", "receipt_org_name") and v not in (None, "")
    }
    transfer = services.act(
        actor=request.user, scope=scope, transfer_id=transfer.pk, action=payload.action, reason=payload.reason, values=values
    )
    return _out(request, selectors.get_transfer_for(scope, transfer.pk))
