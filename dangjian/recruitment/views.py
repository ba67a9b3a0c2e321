"""Pages of the development pipeline (发展党员): pipeline overview, register, per-person dossier with
timeline, step recording, materials with online review, working-day calendar, Excel export.

Every view with an id loads the object through a scoped selector first (404 outside the caller's
subtree), then checks the role (403 with the reason).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.audit.models import AuditAction
from dangjian.audit.services import client_ip, record_event
from dangjian.core.masking import mask_id_number, mask_phone
from dangjian.core.rules import RuleViolation
from dangjian.core.uploads import file_response
from dangjian.core.views import paginate
from dangjian.members.models import Member
from dangjian.organisations.selectors import branches_visible_to, get_organisation_for, organisation_choices

from . import exporting, rules, selectors, services
from .choices import MaterialStatus, Stage
from .forms import CalendarForm, CandidateForm, MaterialForm, PipelineFilterForm, ReviewForm, StepForm, StopForm, UnmaskForm
from .models import Candidate, WorkCalendar
from .permissions import NO_CALENDAR, NO_MANAGE, NO_SUPERIOR, NO_VIEW, can_edit_calendar, can_manage, can_view_pipeline, is_superior


def _require(allowed: bool, reason: str) -> None:
    if not allowed:
        raise PermissionDenied(reason)


def _add_violation(form: Any, exc: RuleViolation) -> None:
    for problem in getattr(exc, "problems", None) or [exc]:
        form.add_error(problem.field if problem.field in form.fields else None, problem.message)


def _today() -> date:
    return timezone.localdate()


# --- pipeline ----------------------------------------------------------------------------------------------


def _filters(request: HttpRequest, scope: Any) -> tuple[PipelineFilterForm, selectors.PipelineFilters]:
    form = PipelineFilterForm(request.GET, organisations=organisation_choices(scope, depth__lte=4))
    filters = selectors.PipelineFilters()
    if form.is_valid():
        org_id = form.cleaned_data.get("org")
        if org_id:
            filters.org_path = get_organisation_for(scope, org_id).path
        filters.stage = form.cleaned_data.get("stage") or ""
        filters.q = form.cleaned_data.get("q") or ""
        filters.due = form.cleaned_data.get("due") or ""
    return form, filters


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """Pipeline for the caller's branch/community/street/district: counts per stage, upcoming and
    overdue steps, the year's development figures, and the people."""
    scope = request.scope  # type: ignore[attr-defined]
    _require(can_view_pipeline(scope), NO_VIEW)
    today = _today()
    form, filters = _filters(request, scope)
    summary = selectors.pipeline_summary(scope, org_path=filters.org_path, today=today)
    page = paginate(request, selectors.filter_candidates(scope, filters, today=today))
    rows = [_row(c, today) for c in page]
    return render(
        request,
        "recruitment/index.html",
        {
            "form": form,
            "summary": summary,
            "page": page,
            "rows": rows,
            "today": today,
            "can_create": bool(scope.is_superuser or scope.paths_for("district_admin", "org_admin", "branch_secretary")),
            "reviews": selectors.pending_reviews(scope).count(),
            "can_calendar": can_edit_calendar(scope),
            "query": request.GET.urlencode(),
        },
    )


def _row(candidate: Candidate, today: date) -> dict[str, Any]:
    state = ""
    if candidate.next_due and candidate.stage in (Stage.APPLICANT, Stage.ACTIVIST, Stage.TARGET, Stage.PROBATIONARY):
        days = (candidate.next_due - today).days
        state = "overdue" if days < 0 else "due_soon" if days <= rules.DUE_SOON_DAYS else ""
    return {
        "candidate": candidate,
        "next_label": rules.STEPS[candidate.next_step].label if candidate.next_step else "",
        "state": state,
    }


@require_GET
def export(request: HttpRequest) -> HttpResponse:
    """The filtered pipeline as Excel (masked ID numbers); the export itself is audited."""
    scope = request.scope  # type: ignore[attr-defined]
    _require(can_view_pipeline(scope), NO_VIEW)
    today = _today()
    _form, filters = _filters(request, scope)
    candidates = selectors.filter_candidates(scope, filters, today=today)
    data, count = exporting.pipeline_xlsx(candidates, scope=scope, org_path=filters.org_path, today=today)
    record_event(
        actor=request.user,
        action=AuditAction.EXPORT,
        object_type="recruitment.Candidate",
        detail={"rows": count, "query": request.GET.urlencode()},
    )
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=f"发展党员工作台账{today:%Y%m%d}.xlsx")
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def reviews(request: HttpRequest) -> HttpResponse:
    """Materials waiting for the superior's online review (线上审核)."""
    scope = request.scope  # type: ignore[attr-defined]
    _require(can_view_pipeline(scope), NO_VIEW)
    page = paginate(request, selectors.pending_reviews(scope))
    rows = [{"material": m, "can_review": is_superior(scope, m.candidate.organisation.path)} for m in page]
    return render(request, "recruitment/reviews.html", {"page": page, "rows": rows, "review_form": ReviewForm()})


# --- register ---------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    """Register an applicant (入党申请人) from a submitted application."""
    scope = request.scope  # type: ignore[attr-defined]
    _require(can_view_pipeline(scope), NO_MANAGE)
    organisations = [(o.pk, o.name) for o in branches_visible_to(scope).order_by("path")]
    form = CandidateForm(request.POST or None, request.FILES or None, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        org = get_organisation_for(scope, data["organisation"])
        _require(can_manage(scope, org.path), NO_MANAGE)
        try:
            candidate = services.register_candidate(
                actor=request.user,
                values={**data, "organisation": org},
                upload=data.get("file"),
                is_paper=data.get("is_paper", False),
                today=_today(),
            )
        except RuleViolation as exc:
            _add_violation(form, exc)
        else:
            messages.success(request, f"已登记入党申请人{candidate.name}，下一步：派人谈话。")
            return redirect("recruitment:detail", pk=candidate.pk)
    return render(request, "recruitment/create.html", {"form": form}, status=422 if form.errors else 200)


# --- the dossier -----------------------------------------------------------------------------------------


def _people_choices(candidate: Candidate) -> list[tuple[int, str]]:
    members = Member.objects.filter(organisation_id=candidate.organisation_id, left_on__isnull=True).order_by("name", "pk")
    return [(m.pk, f"{m.name}（{m.get_status_display()}）") for m in members]


def _dossier(
    request: HttpRequest,
    candidate: Candidate,
    *,
    step_form: StepForm | None = None,
    material_form: MaterialForm | None = None,
    plain: dict[str, str] | None = None,
    unmask_form: UnmaskForm | None = None,
) -> dict[str, Any]:
    scope = request.scope  # type: ignore[attr-defined]
    today = _today()
    steps = selectors.step_rows(candidate)
    facts = selectors.facts(steps)
    stopped = candidate.stopped_on is not None
    state = rules.progress(facts, stopped=stopped)
    windows = rules.timeline(facts, today=today, workdays=selectors.workdays(), stopped=stopped)
    materials = list(
        candidate.materials.select_related("reviewed_by", "uploaded_by").order_by("step_number", "kind", "-uploaded_at", "-id")
    )
    current = {(m.step_number, m.kind): m for m in materials if m.is_current}
    manage = can_manage(scope, candidate.organisation.path)
    superior = is_superior(scope, candidate.organisation.path)
    recorded: dict[int, list[Any]] = {}
    for step in steps:
        recorded.setdefault(step.number, []).append(step)
    timeline_rows = []
    for number, definition in rules.STEPS.items():
        needed = [
            {"kind": kind, "label": rules.MaterialKind(kind).label, "material": current.get((number, kind))}
            for kind in definition.materials
        ]
        timeline_rows.append(
            {
                "number": number,
                "label": rules.step_label(number, recorded[number][-1].on if number in recorded else today),
                "phase": definition.phase,
                "by_superior": definition.by_superior,
                "steps": recorded.get(number, []),
                "is_next": number in state.allowed,
                "windows": [w for w in windows if w.step == number],
                "materials": needed,
                "rules": [(rule_id, _source(rule_id, today)) for rule_id in definition.rules],
            }
        )
    requested = request.GET.get("step")
    chosen = int(requested) if requested and requested.isdigit() and int(requested) in state.allowed else None
    allowed = list(state.allowed)
    form = step_form or StepForm(
        allowed=allowed,
        people=_people_choices(candidate),
        step=chosen,
        initial={"on": today, "number": chosen or (allowed[0] if allowed else None)},
    )
    next_definition = form.definition
    can_record = bool(next_definition) and (superior if next_definition and next_definition.by_superior else manage)
    return {
        "candidate": candidate,
        "masked_id": plain["id_number"] if plain else mask_id_number(candidate.id_number),
        "masked_phone": plain["phone"] if plain else mask_phone(candidate.phone),
        "plain": bool(plain),
        "unmask_form": unmask_form or UnmaskForm(),
        "state": state,
        "timeline": timeline_rows,
        "windows": windows,
        "pressing": rules.next_due(windows),
        "notices": selectors.notices(candidate, facts),
        "dues": rules.dues_notice(facts),  # DEV-026
        "version": rules.version_on(today),
        "versions": rules.VERSIONS,
        "step_form": form,
        "shown": form.shown(),
        "next_definition": next_definition,
        "can_record": can_record,
        "can_manage": manage,
        "is_superior": superior,
        "material_form": material_form or MaterialForm(),
        "history_materials": [m for m in materials if not m.is_current],
        "review_form": ReviewForm(),
        "stop_form": StopForm(initial={"on": today}, prefix="stop"),
        "can_stop": manage and candidate.stage in (Stage.APPLICANT, Stage.ACTIVIST, Stage.TARGET),
        "today": today,
        "pending_count": sum(1 for m in materials if m.is_current and m.status == MaterialStatus.PENDING),
    }


def _source(rule_id: str, today: date) -> str:
    rule = rules.rule_for(rule_id, rules.version_on(today))
    if rule is not None:
        return rule.source
    from dangjian.members.rules import DEV_001, DEV_021

    return {"DEV-001": DEV_001.source, "DEV-021": DEV_021.source}.get(rule_id, "")


@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = selectors.get_candidate_for(request.scope, pk)  # type: ignore[attr-defined]
    return render(request, "recruitment/detail.html", _dossier(request, candidate))


@require_GET
def for_member(request: HttpRequest, member_pk: int) -> HttpResponse:
    """The development record of a member (from the member page): the dossier, or 404."""
    from dangjian.members.selectors import get_member_for

    scope = request.scope  # type: ignore[attr-defined]
    member = get_member_for(scope, member_pk)
    candidate = selectors.candidate_for_member(scope, member.pk)
    if candidate is None:
        return render(request, "recruitment/no_record.html", {"member": member})
    return redirect("recruitment:detail", pk=candidate.pk)


@require_POST
def record(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the next step; a broken rule is shown on the form, naming the rule and its article."""
    scope = request.scope  # type: ignore[attr-defined]
    candidate = selectors.get_candidate_for(scope, pk)
    _require(can_manage(scope, candidate.organisation.path) or is_superior(scope, candidate.organisation.path), NO_MANAGE)
    state = rules.progress(selectors.history(candidate), stopped=candidate.stopped_on is not None)
    number = request.POST.get("number", "")
    step = int(number) if number.isdigit() else None
    form = StepForm(request.POST, allowed=list(state.allowed) or [0], people=_people_choices(candidate), step=step)
    if state.allowed and form.is_valid():
        definition = rules.STEPS[form.cleaned_data["number"]]
        _require(
            is_superior(scope, candidate.organisation.path) if definition.by_superior else can_manage(scope, candidate.organisation.path),
            NO_SUPERIOR if definition.by_superior else NO_MANAGE,
        )
        try:
            saved, warnings = services.record_step(
                actor=request.user,
                scope=scope,
                candidate_id=candidate.pk,
                number=form.cleaned_data["number"],
                on=form.cleaned_data["on"],
                values=form.values(),
                today=_today(),
            )
        except RuleViolation as exc:
            _add_violation(form, exc)
        else:
            messages.success(request, f"已记录第{saved.number}步（{rules.STEPS[saved.number].label}），{saved.on:%Y-%m-%d}。")
            for warning in warnings:
                messages.warning(request, f"提示：{warning}")
            return redirect("recruitment:detail", pk=candidate.pk)
    elif not state.allowed:
        form.add_error(None, "发展程序已结束，不能再记录步骤。")
    return render(request, "recruitment/detail.html", _dossier(request, candidate, step_form=form), status=422)


@require_POST
def unmask(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the plain ID number and phone once, in this response only; one audit row."""
    scope = request.scope  # type: ignore[attr-defined]
    candidate = selectors.get_candidate_for(scope, pk)
    _require(can_manage(scope, candidate.organisation.path), NO_MANAGE)
    form = UnmaskForm(request.POST)
    plain = None
    if form.is_valid():
        try:
            plain = services.unmask_candidate(
                actor=request.user, scope=scope, candidate=candidate, reason=form.cleaned_data["reason"], ip=client_ip(request)
            )
        except RuleViolation as exc:
            _add_violation(form, exc)
    response = render(
        request, "recruitment/detail.html", _dossier(request, candidate, plain=plain, unmask_form=form), status=200 if plain else 422
    )
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def upload(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload a step's document or mark its paper original."""
    scope = request.scope  # type: ignore[attr-defined]
    candidate = selectors.get_candidate_for(scope, pk)
    _require(can_manage(scope, candidate.organisation.path), NO_MANAGE)
    form = MaterialForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            material = services.add_material(
                actor=request.user,
                scope=scope,
                candidate_id=candidate.pk,
                step_number=form.cleaned_data["step_number"],
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data.get("file"),
                is_paper=form.cleaned_data.get("is_paper", False),
            )
        except RuleViolation as exc:
            _add_violation(form, exc)
        else:
            how = "已登记纸质原件" if material.is_paper else "已上传"
            messages.success(request, f"{how}：{material.get_kind_display()}（第{material.step_number}步），等待上级党委审核。")
            return redirect(f"{reverse('recruitment:detail', args=[candidate.pk])}#materials")
    messages.error(request, "材料未保存：" + "；".join(e for errors in form.errors.values() for e in errors))
    return render(request, "recruitment/detail.html", _dossier(request, candidate, material_form=form), status=422)


@require_POST
def stop(request: HttpRequest, pk: int) -> HttpResponse:
    scope = request.scope  # type: ignore[attr-defined]
    candidate = selectors.get_candidate_for(scope, pk)
    _require(can_manage(scope, candidate.organisation.path), NO_MANAGE)
    form = StopForm(request.POST, prefix="stop")
    if form.is_valid():
        try:
            services.stop_candidate(
                actor=request.user,
                scope=scope,
                candidate_id=candidate.pk,
                on=form.cleaned_data["on"],
                reason=form.cleaned_data["reason"],
                today=_today(),
            )
        except RuleViolation as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"已终止对{candidate.name}的培养，档案保留。")
    else:
        messages.error(request, "请填写终止日期和原因。")
    return redirect("recruitment:detail", pk=candidate.pk)


@require_GET
def material_file(request: HttpRequest, material_pk: int) -> HttpResponse:
    """A material's file, served after the scope check (never from MEDIA_URL)."""
    material = selectors.get_material_for(request.scope, material_pk)  # type: ignore[attr-defined]
    if not material.file:
        return render(request, "recruitment/no_file.html", {"material": material}, status=404)
    ext = material.file.name.rsplit(".", 1)[-1]
    name = f"{material.candidate.name}-{material.get_kind_display()}.{ext}"
    return file_response(material.file, download_name=name, inline=ext in ("pdf", "jpg", "jpeg", "png"))


@require_POST
def review(request: HttpRequest, material_pk: int) -> HttpResponse:
    """线上审核: the superior approves a material or returns it with a comment."""
    scope = request.scope  # type: ignore[attr-defined]
    material = selectors.get_material_for(scope, material_pk)
    _require(is_superior(scope, material.candidate.organisation.path), NO_SUPERIOR)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            services.review_material(
                actor=request.user,
                scope=scope,
                material_id=material.pk,
                approve=form.cleaned_data["approve"],
                comment=form.cleaned_data["comment"],
            )
        except RuleViolation as exc:
            messages.error(request, exc.message)
        else:
            verb = "审核通过" if form.cleaned_data["approve"] else "退回"
            messages.success(request, f"已{verb}：{material.candidate.name}的{material.get_kind_display()}。")
    else:
        messages.error(request, "请选择通过或退回。")
    target = request.POST.get("next", "")
    if target == "reviews":
        return redirect("recruitment:reviews")
    return redirect(f"{reverse('recruitment:detail', args=[material.candidate_id])}#materials")


# --- working-day calendar -------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def calendar(request: HttpRequest) -> HttpResponse:
    """The district's holiday / 调休 calendar per year (DEV-010 working days); district admin edits."""
    scope = request.scope  # type: ignore[attr-defined]
    _require(can_view_pipeline(scope), NO_VIEW)
    today = _today()
    raw_year = request.GET.get("year") or request.POST.get("year") or str(today.year)
    year = int(raw_year) if raw_year.isdigit() and 2000 <= int(raw_year) <= 2100 else today.year
    existing = WorkCalendar.objects.filter(year=year).first()
    initial = {
        "year": year,
        "holidays": "\n".join(existing.holidays) if existing else "",
        "workdays": "\n".join(existing.workdays) if existing else "",
    }
    form = CalendarForm(request.POST or None, initial=initial)
    if request.method == "POST":
        _require(can_edit_calendar(scope), NO_CALENDAR)
        if form.is_valid():
            try:
                services.save_calendar(
                    actor=request.user,
                    scope=scope,
                    year=form.cleaned_data["year"],
                    holidays=form.cleaned_data["holidays"],
                    workdays=form.cleaned_data["workdays"],
                )
            except RuleViolation as exc:
                _add_violation(form, exc)
            else:
                messages.success(request, f"已保存{form.cleaned_data['year']}年工作日历。")
                return redirect(f"{reverse('recruitment:calendar')}?year={form.cleaned_data['year']}")
    years = list(WorkCalendar.objects.values_list("year", flat=True))
    return render(
        request,
        "recruitment/calendar.html",
        {
            "form": form,
            "year": year,
            "existing": existing,
            "years": years,
            "can_edit": can_edit_calendar(scope),
            "nearby": [year - 1, year, year + 1],
        },
        status=422 if form.errors else 200,
    )
