"""JSON API of the development pipeline under /api/v1/development (scoped per ADR 0004).

Lists hang under an organisation (``/orgs/{org_id}/candidates``: that organisation's subtree, 404
outside the caller's); a person, a material is loaded through the scoped selectors (404 outside).
Every body field has a default, so the scope is judged before the content. ID numbers and phones
leave masked. Broken rules answer 422 ``{rule, message, field}`` naming the rule and its article.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from dangjian.core.api import ScopedPagination, forbid
from dangjian.core.masking import mask_id_number, mask_phone
from dangjian.organisations.selectors import get_organisation_for

from . import rules, selectors, services
from .models import Candidate
from .permissions import NO_MANAGE, NO_SUPERIOR, NO_VIEW, can_manage, can_view_pipeline, is_superior

router = Router(tags=["发展党员"])


class CandidateRow(Schema):
    id: int
    name: str = Field(title="姓名")
    organisation_id: int
    organisation: str = Field(title="所在党支部")
    stage: str = Field(title="阶段代码")
    stage_label: str = Field(title="阶段")
    next_step: int | None = Field(None, title="下一步")
    next_step_label: str = Field("", title="下一步名称")
    next_due: date | None = Field(None, title="下一期限")
    provisional: bool = Field(False, title="暂算")


class StepOut(Schema):
    number: int
    label: str
    on: date
    decision: str
    outcome: str
    responsible: str
    rule_version: str
    warnings: list[str]
    provisional: bool


class WindowOut(Schema):
    step: int
    label: str
    rule_id: str
    source: str
    earliest: date | None
    flag_at: date | None
    latest: date | None
    state: str
    provisional: bool
    note: str


class MaterialOut(Schema):
    id: int
    step_number: int
    kind: str
    kind_label: str
    is_paper: bool
    status: str
    review_comment: str


class CandidateDetail(CandidateRow):
    gender: str
    birth_date: date
    id_number: str = Field(title="公民身份号码（脱敏）")
    phone: str = Field(title="手机号（脱敏）")
    work_unit: str
    probation_end: date | None
    member_id: int | None
    steps: list[StepOut]
    windows: list[WindowOut]
    materials: list[MaterialOut]


class CandidateIn(Schema):
    name: str = Field("", title="姓名", max_length=50)
    id_number: str = Field("", title="公民身份号码", max_length=25)
    applied_on: date | None = Field(None, title="收到入党申请书日期")
    phone: str = Field("", title="手机号", max_length=20)
    work_unit: str = Field("", title="工作（学习）单位", max_length=120)
    responsible: str = Field("", title="接收人", max_length=200)
    application_on_paper: bool = Field(False, title="入党申请书纸质原件已收存")


class StepIn(Schema):
    number: int = Field(0, title="步骤", ge=0, le=25)
    on: date | None = Field(None, title="日期")
    decision: str = Field("agreed", title="结论（agreed/refused）")
    outcome: str = Field("", title="转正讨论结果（on_time/extend/cancel）")
    extension_months: int | None = Field(None, title="延长预备期（月）", ge=0, le=24)
    responsible: str = Field("", title="负责人", max_length=200)
    basis: str = Field("", title="推荐情况", max_length=300)
    people: list[int] = Field(default_factory=list, title="培养联系人／入党介绍人（党员id）")
    entitled: int | None = Field(None, title="应到会有表决权人数", ge=0)
    present: int | None = Field(None, title="实到人数", ge=0)
    votes_yes: int | None = Field(None, title="赞成", ge=0)
    votes_no: int | None = Field(None, title="反对", ge=0)
    votes_abstain: int | None = Field(None, title="弃权", ge=0)
    written_opinions: int = Field(0, title="书面意见", ge=0)
    ballot_method: str = Field("", title="表决方式（secret/hands）")
    training_days: int | None = Field(None, title="培训天数", ge=0)
    training_hours: int | None = Field(None, title="培训学时", ge=0)
    notice_from: date | None = Field(None, title="公示开始")
    notice_to: date | None = Field(None, title="公示结束")
    notes: str = Field("", title="备注", max_length=500)


class ReviewIn(Schema):
    approve: bool = Field(False, title="审核通过")
    comment: str = Field("", title="审核意见", max_length=500)


def _row(c: Candidate) -> dict[str, Any]:
    return {
        "id": c.pk,
        "name": c.name,
        "organisation_id": c.organisation_id,
        "organisation": c.organisation.name,
        "stage": c.stage,
        "stage_label": c.get_stage_display(),
        "next_step": c.next_step,
        "next_step_label": rules.STEPS[c.next_step].label if c.next_step else "",
        "next_due": c.next_due,
        "provisional": c.provisional,
    }


def _detail(c: Candidate) -> dict[str, Any]:
    today = timezone.localdate()
    steps = selectors.step_rows(c)
    windows = rules.timeline(selectors.facts(steps), today=today, workdays=selectors.workdays(), stopped=c.stopped_on is not None)
    return {
        **_row(c),
        "gender": c.get_gender_display(),
        "birth_date": c.birth_date,
        "id_number": mask_id_number(c.id_number),
        "phone": mask_phone(c.phone),
        "work_unit": c.work_unit,
        "probation_end": c.probation_end,
        "member_id": c.member_id,
        "steps": [
            {
                "number": s.number,
                "label": rules.step_label(s.number, s.on),
                "on": s.on,
                "decision": s.decision,
                "outcome": s.outcome,
                "responsible": s.responsible,
                "rule_version": s.rule_version,
                "warnings": s.warnings,
                "provisional": s.provisional,
            }
            for s in steps
        ],
        "windows": [
            {
                "step": w.step,
                "label": w.label,
                "rule_id": w.rule_id,
                "source": w.source,
                "earliest": w.earliest,
                "flag_at": w.flag_at,
                "latest": w.latest,
                "state": w.state,
                "provisional": w.provisional,
                "note": w.note,
            }
            for w in windows
        ],
        "materials": [
            {
                "id": m.pk,
                "step_number": m.step_number,
                "kind": m.kind,
                "kind_label": m.get_kind_display(),
                "is_paper": m.is_paper,
                "status": m.status,
                "review_comment": m.review_comment,
            }
            for m in selectors.current_materials(c)
        ],
    }


@router.get("/orgs/{org_id}/candidates", response=list[CandidateRow], summary="某组织及其下级的发展对象档案")
@paginate(ScopedPagination, prepare=lambda rows: [_row(c) for c in rows])
def list_candidates(request: HttpRequest, org_id: int, stage: str = "") -> Any:
    scope = request.scope  # type: ignore[attr-defined]
    org = get_organisation_for(scope, org_id)
    if not can_view_pipeline(scope):
        raise forbid(NO_VIEW)
    filters = selectors.PipelineFilters(org_path=org.path, stage=stage)
    return selectors.filter_candidates(scope, filters, today=timezone.localdate())


@router.post("/orgs/{org_id}/candidates", response={201: CandidateDetail}, summary="登记入党申请人（入党申请书为纸质原件）")
def create_candidate(request: HttpRequest, org_id: int, payload: CandidateIn) -> Any:
    scope = request.scope  # type: ignore[attr-defined]
    org = get_organisation_for(scope, org_id)
    if not can_manage(scope, org.path):
        raise forbid(NO_MANAGE)
    candidate = services.register_candidate(
        actor=request.user,
        values={**payload.dict(), "organisation": org},
        is_paper=payload.application_on_paper,
        today=timezone.localdate(),
    )
    return Status(201, _detail(candidate))


@router.get("/candidates/{candidate_id}", response=CandidateDetail, summary="发展档案：步骤、时间窗口与依据、材料")
def get_candidate(request: HttpRequest, candidate_id: int) -> Any:
    return _detail(selectors.get_candidate_for(request.scope, candidate_id))  # type: ignore[attr-defined]


@router.post("/candidates/{candidate_id}/steps", response={201: CandidateDetail}, summary="记录一个步骤")
def record_step(request: HttpRequest, candidate_id: int, payload: StepIn) -> Any:
    scope = request.scope  # type: ignore[attr-defined]
    candidate = selectors.get_candidate_for(scope, candidate_id)
    definition = rules.STEPS.get(payload.number)
    path = candidate.organisation.path
    if definition is not None and definition.by_superior and not is_superior(scope, path):
        raise forbid(NO_SUPERIOR)
    if not (can_manage(scope, path) or is_superior(scope, path)):
        raise forbid(NO_MANAGE)
    values = payload.dict(exclude={"number", "on"})
    if payload.on is None:
        from dangjian.core.rules import RuleViolation

        raise RuleViolation(None, "日期：必填，请按 YYYY-MM-DD 填写。", field="on")
    services.record_step(
        actor=request.user,
        scope=scope,
        candidate_id=candidate.pk,
        number=payload.number,
        on=payload.on,
        values=values,
        today=timezone.localdate(),
    )
    candidate.refresh_from_db()
    return Status(201, _detail(candidate))


@router.post("/materials/{material_id}/review", response=MaterialOut, summary="线上审核一份材料：通过，或写明意见退回")
def review_material(request: HttpRequest, material_id: int, payload: ReviewIn) -> Any:
    scope = request.scope  # type: ignore[attr-defined]
    material = selectors.get_material_for(scope, material_id)
    if not is_superior(scope, material.candidate.organisation.path):
        raise forbid(NO_SUPERIOR)
    m = services.review_material(actor=request.user, scope=scope, material_id=material.pk, approve=payload.approve, comment=payload.comment)
    return {
        "id": m.pk,
        "step_number": m.step_number,
        "kind": m.kind,
        "kind_label": m.get_kind_display(),
        "is_paper": m.is_paper,
        "status": m.status,
        "review_comment": m.review_comment,
    }
