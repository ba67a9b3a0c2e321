"""Reads of the development pipeline, always from a Scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from dangjian.core.scope import Scope, path_range

from . import rules
from .choices import OPEN_STAGES, Stage
from .models import Candidate, DevelopmentStep, Material, WorkCalendar


def candidates_visible_to(scope: Scope) -> QuerySet[Candidate]:
    """Candidates of branches in the caller's subtrees (never the member's own view: no such role)."""
    return scope.filter(Candidate.objects.all(), prefix="organisation__").select_related("organisation")


def get_candidate_for(scope: Scope, pk: int) -> Candidate:
    candidate = candidates_visible_to(scope).filter(pk=pk).first()
    if candidate is None:
        raise Http404("未找到该发展对象档案")
    return candidate


def get_material_for(scope: Scope, pk: int) -> Material:
    material = (
        scope.filter(Material.objects.all(), prefix="candidate__organisation__")
        .select_related("candidate__organisation", "reviewed_by", "uploaded_by")
        .filter(pk=pk)
        .first()
    )
    if material is None:
        raise Http404("未找到该材料")
    return material


def candidate_for_member(scope: Scope, member_pk: int) -> Candidate | None:
    return candidates_visible_to(scope).filter(member_id=member_pk).first()


def step_rows(candidate: Candidate) -> list[DevelopmentStep]:
    return list(candidate.steps.select_related("recorded_by").prefetch_related("people").order_by("on", "id"))


def facts(steps: list[DevelopmentStep]) -> list[rules.StepFact]:
    return [
        rules.StepFact(number=s.number, on=s.on, decision=s.decision, outcome=s.outcome, extension_months=s.extension_months or 0)
        for s in steps
    ]


def history(candidate: Candidate) -> list[rules.StepFact]:
    return facts(list(candidate.steps.order_by("on", "id")))


def notices(candidate: Candidate, history_: list[rules.StepFact]) -> list[str]:
    """Derived warnings on the person's page: DEV-002 (where the application was received)."""
    from dangjian.organisations.models import Unit
    from dangjian.organisations.selectors import ancestors_of

    found: list[str] = []
    applied = next((f.on for f in history_ if f.number == 1), None)
    branch = candidate.organisation
    if applied is not None and candidate.work_unit.strip():
        units = list(Unit.objects.filter(name=" ".join(candidate.work_unit.split())).select_related("party_organisation"))
        party_orgs = [(u.party_organisation.name, u.party_organisation.path) for u in units if u.party_organisation is not None]
        warning = rules.check_application_place(
            work_unit=candidate.work_unit,
            branch_name=branch.name,
            branch_path=branch.path,
            org_names=[branch.name, *(o.name for o in reversed(ancestors_of(branch)))],
            unit_party_orgs=party_orgs if units else None,
            applied_on=applied,
        )
        if warning:
            found.append(warning)
    return found


def workdays(years: list[int] | None = None) -> rules.Workdays:
    """The district's calendars as the rules read them (all years, or only ``years``)."""
    qs = WorkCalendar.objects.all()
    if years is not None:
        qs = qs.filter(year__in=years)
    data: dict[int, tuple[set[date], set[date]]] = {}
    for row in qs:
        data[row.year] = ({date.fromisoformat(d) for d in row.holidays}, {date.fromisoformat(d) for d in row.workdays})
    return rules.Workdays(data)


def current_materials(candidate: Candidate) -> list[Material]:
    return list(candidate.materials.filter(is_current=True).select_related("reviewed_by", "uploaded_by"))


def material_problems(materials: list[Material], step_numbers: list[int], *, need_approval: bool = False) -> list[str]:
    """Required materials missing or returned for the steps given (DOMAIN.md §5: nothing moves on)."""
    by_key = {(m.step_number, m.kind): m for m in materials if m.is_current}
    problems: list[str] = []
    for number in sorted(set(step_numbers)):
        for kind in rules.STEPS[number].materials:
            material = by_key.get((number, kind))
            label = f"第{number}步“{rules.MaterialKind(kind).label}”"
            if material is None:
                problems.append(f"{label}未上传")
            elif material.status == "returned":
                problems.append(f"{label}被退回（{material.review_comment}）")
            elif need_approval and material.status != "approved":
                problems.append(f"{label}尚未审核通过")
    return problems


def pending_reviews(scope: Scope) -> QuerySet[Material]:
    """Materials waiting for the caller's online review (线上审核)."""
    return (
        scope.filter(Material.objects.filter(is_current=True, status="pending"), prefix="candidate__organisation__")
        .select_related("candidate", "candidate__organisation")
        .order_by("uploaded_at", "id")
    )


@dataclass
class PipelineFilters:
    org_path: str = ""
    stage: str = ""
    q: str = ""
    due: str = ""  # "overdue" | "soon"


def filter_candidates(scope: Scope, filters: PipelineFilters, *, today: date) -> QuerySet[Candidate]:
    qs = candidates_visible_to(scope)
    if filters.org_path:
        qs = qs.filter(organisation__path__range=path_range(filters.org_path))
    if filters.stage:
        qs = qs.filter(stage=filters.stage)
    if filters.q.strip():
        qs = qs.filter(name__icontains=filters.q.strip())
    if filters.due == "overdue":
        qs = qs.filter(next_due__lt=today, stage__in=OPEN_STAGES)
    elif filters.due == "soon":
        qs = qs.filter(next_due__gte=today, next_due__lte=today + timedelta(days=rules.DUE_SOON_DAYS), stage__in=OPEN_STAGES)
    # lists never show the encrypted fields: skip fetching and decrypting them
    return qs.defer("id_number", "phone").order_by("next_due", "name", "pk")


# annual development figures: the step whose date counts a person into the figure
ANNUAL_STEPS = {1: "递交入党申请", 3: "列为入党积极分子", 7: "确定为发展对象", 17: "发展党员（接收预备党员）", 24: "转正审批"}


def pipeline_summary(scope: Scope, *, org_path: str = "", today: date, year: int | None = None) -> dict[str, Any]:
    """Counts per stage, overdue and due-soon steps, and the year's development figures, in one query.

    The subtree is read once (it is the costly part). A figure of the year counts the people having
    at least one such step in the year, not refused; each person is in one stage, so the per-stage
    rows add up to the number of people per step. Overdue and due soon count open stages only.
    """
    year = year or today.year
    qs = candidates_visible_to(scope)
    if org_path:
        qs = qs.filter(organisation__path__range=path_range(org_path))
    soon_until = today + timedelta(days=rules.DUE_SOON_DAYS)
    # one small uncorrelated subquery per figure: PostgreSQL hashes it once, SQLite materialises it
    counted = DevelopmentStep.objects.filter(on__year=year).exclude(decision="refused").values("candidate_id")
    figures = {f"step_{number}": Count("pk", filter=Q(pk__in=counted.filter(number=number))) for number in ANNUAL_STEPS}
    rows = (
        qs.order_by()
        .values("stage")
        .annotate(
            n=Count("pk"),
            overdue=Count("pk", filter=Q(next_due__lt=today)),
            soon=Count("pk", filter=Q(next_due__gte=today, next_due__lte=soon_until)),
            **figures,
        )
    )
    open_stages = {str(stage) for stage in OPEN_STAGES}
    by_stage: dict[str, int] = {}
    overdue = soon = 0
    annual = dict.fromkeys(ANNUAL_STEPS, 0)
    for row in rows:
        by_stage[row["stage"]] = row["n"]
        if row["stage"] in open_stages:
            overdue += row["overdue"]
            soon += row["soon"]
        for number in ANNUAL_STEPS:
            annual[number] += row[f"step_{number}"]
    return {
        "stages": [(stage, by_stage.get(stage.value, 0)) for stage in Stage],
        "total": sum(by_stage.values()),
        "overdue": overdue,
        "soon": soon,
        "year": year,
        "annual": [(label, annual[number]) for number, label in ANNUAL_STEPS.items()],
    }
