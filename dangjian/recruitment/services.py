"""Writes of the development pipeline: register an applicant, record a step, materials and their
online review, the working-day calendar. Each is one transaction; a broken rule saves nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from dangjian.audit.models import AuditAction
from dangjian.audit.services import record_event
from dangjian.core.idnumber import IdNumberError, normalise_id_number, parse_id_number
from dangjian.core.masking import mask_id_number
from dangjian.core.rules import RuleViolation
from dangjian.core.uploads import check_upload
from dangjian.members import services as member_services
from dangjian.members.choices import ExitReason
from dangjian.members.models import Member
from dangjian.members.rules import DEV_027
from dangjian.members.selectors import member_by_id_number
from dangjian.organisations.models import Organisation
from dangjian.organisations.rules import check_holds_members

from . import rules, selectors
from .choices import Decision, MaterialKind, MaterialStatus, Outcome, Stage
from .models import Candidate, DevelopmentStep, Material, WorkCalendar
from .permissions import NO_MANAGE, NO_SUPERIOR, can_manage, is_superior


class StepInvalid(RuleViolation):
    """Several problems at once (each shown against its field)."""

    def __init__(self, problems: list[RuleViolation]) -> None:
        first = problems[0]
        super().__init__(first.rule, "；".join(p.message for p in problems), field=first.field)
        self.problems = problems


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


# --- applicants ----------------------------------------------------------------------------------------


def register_candidate(
    *,
    actor: Any,
    values: dict[str, Any],
    upload: Any = None,
    is_paper: bool = False,
    today: date | None = None,
) -> Candidate:
    """Register an applicant (入党申请人) from a submitted application: the person, step 1 and the
    application letter (uploaded or marked paper original), in one transaction."""
    today = today or timezone.localdate()
    problems: list[RuleViolation] = []
    name = " ".join(str(values.get("name") or "").split())
    if not name:
        problems.append(RuleViolation(None, "姓名不能为空", field="name"))
    raw_id = normalise_id_number(str(values.get("id_number") or ""))
    parsed = None
    try:
        parsed = parse_id_number(raw_id, today=today)
    except IdNumberError as exc:
        problems.append(RuleViolation(None, f"公民身份号码{exc.reason}", field="id_number"))
    organisation: Organisation | None = values.get("organisation")
    if organisation is None:
        problems.append(RuleViolation(None, "请选择接收申请的党支部", field="organisation"))
    else:
        try:
            check_holds_members(kind=organisation.kind, name=organisation.name)
        except RuleViolation as exc:
            problems.append(RuleViolation(exc.rule, exc.message, field="organisation"))
    applied_on: date | None = values.get("applied_on")
    if applied_on is None:
        problems.append(RuleViolation(None, "请填写收到入党申请书的日期", field="applied_on"))
    elif applied_on > today:
        problems.append(DEV_027.violation(field="applied_on", label="收到入党申请书日期", value=applied_on, today=today))
    if parsed is not None and applied_on is not None:
        try:
            rules.check_age(birth_date=parsed.birth_date, applied_on=applied_on)
        except RuleViolation as exc:
            problems.append(exc)
    if parsed is not None:
        holder = member_by_id_number(parsed.value)
        if holder is not None:
            problems.append(
                RuleViolation(
                    DEV_027,
                    f"公民身份号码{mask_id_number(parsed.value)}已是“{holder.organisation.name}”的党员{holder.name}，"
                    f"已经是党员的不能登记为入党申请人（依据{DEV_027.source}，{DEV_027.id}）",
                    field="id_number",
                )
            )
        existing = _candidate_by_id_number(parsed.value)
        if existing is not None:
            problems.append(
                RuleViolation(
                    None,
                    f"公民身份号码{mask_id_number(parsed.value)}已有发展档案（{existing.name}，{existing.organisation.name}），一人只能有一份档案",
                    field="id_number",
                )
            )
    phone = "".join(ch for ch in str(values.get("phone") or "") if ch.isdigit())
    if phone and len(phone) != 11:
        problems.append(RuleViolation(None, f"联系电话“{phone}”不是11位手机号", field="phone"))
    if upload is None and not is_paper:
        problems.append(RuleViolation(None, "请上传入党申请书，或勾选“纸质原件已收存”", field="file"))
    elif upload is not None:
        try:
            check_upload(upload, field="file", what="入党申请书")
        except RuleViolation as exc:
            problems.append(exc)
    if problems:
        raise StepInvalid(problems)
    assert parsed is not None and organisation is not None and applied_on is not None
    try:
        with transaction.atomic():
            candidate = Candidate.objects.create(
                name=name,
                gender=parsed.gender,
                id_number=parsed.value,
                birth_date=parsed.birth_date,
                phone=phone,
                work_unit=str(values.get("work_unit") or "").strip()[:120],
                organisation=organisation,
                created_by=_user(actor),
            )
            _save_material(actor=actor, candidate=candidate, step_number=1, kind=MaterialKind.APPLICATION, upload=upload, is_paper=is_paper)
            step = DevelopmentStep.objects.create(
                candidate=candidate,
                number=1,
                on=applied_on,
                responsible=str(values.get("responsible") or "").strip()[:200],
                notes=str(values.get("notes") or "").strip()[:500],
                rule_version=rules.version_on(applied_on).code,
                recorded_by=_user(actor),
            )
            refresh(candidate, today=today)
            record_event(
                actor=actor,
                action=AuditAction.CREATE,
                obj=candidate,
                org_path=organisation.path,
                after={"name": name, "id_number": mask_id_number(parsed.value), "step": 1, "on": step.on.isoformat()},
            )
    except IntegrityError:  # the same person registered concurrently: the blind index is unique
        raise RuleViolation(
            None, f"公民身份号码{mask_id_number(parsed.value)}已有发展档案，一人只能有一份档案", field="id_number"
        ) from None
    return candidate


def _candidate_by_id_number(id_number: str) -> Candidate | None:
    field = Candidate._meta.get_field("id_number_hash")
    digest = field.index_for(Candidate, id_number)  # type: ignore[attr-defined]
    return Candidate.objects.select_related("organisation").filter(id_number_hash=digest).first() if digest else None


# --- steps -----------------------------------------------------------------------------------------------


STEP_FIELDS = (
    "decision",
    "outcome",
    "extension_months",
    "responsible",
    "basis",
    "entitled",
    "present",
    "votes_yes",
    "votes_no",
    "votes_abstain",
    "written_opinions",
    "ballot_method",
    "training_days",
    "training_hours",
    "notice_from",
    "notice_to",
    "notes",
)


def record_step(
    *, actor: Any, scope: Any, candidate_id: int, number: int, on: date, values: dict[str, Any], today: date | None = None
) -> tuple[DevelopmentStep, list[str]]:
    """Record one step. The rules in force on ``on`` judge it against the person's history; a block
    saves nothing, warnings are saved with the step. At step 17 (approved) the probationary member
    record is created, at step 24 the member becomes full (or the extension/cancellation applies) —
    in the same transaction."""
    today = today or timezone.localdate()
    with transaction.atomic():
        # lock the person: a double click or a second secretary waits, then finds the step done
        candidate = Candidate.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=candidate_id)
        definition = rules.STEPS.get(number)
        if definition is None:
            raise RuleViolation(None, f"没有第{number}步；发展党员共{rules.LAST_STEP}个步骤", field="number")
        if definition.by_superior and not is_superior(scope, candidate.organisation.path):
            raise RuleViolation(None, NO_SUPERIOR, field="number")
        if not definition.by_superior and not can_manage(scope, candidate.organisation.path):
            raise RuleViolation(None, NO_MANAGE, field="number")
        steps = list(candidate.steps.order_by("on", "id"))
        if any(s.number == number and s.on == on for s in steps):
            raise RuleViolation(None, f"第{number}步（{definition.label}）{on}已经记录过了，请勿重复提交", field="number")
        history = selectors.facts(steps)
        people = _people(candidate, values.get("people") or [])
        new = _step_input(number, on, values, people)
        materials = selectors.current_materials(candidate)
        state = rules.progress(history, stopped=candidate.stage == Stage.STOPPED)
        needed = [n for n in state.done if n <= number] + [number]
        problems = selectors.material_problems(materials, needed, need_approval=number == rules.LAST_STEP)
        verdict = rules.check_step(
            new,
            history,
            birth_date=candidate.birth_date,
            today=today,
            workdays=selectors.workdays(),
            stopped=candidate.stage == Stage.STOPPED,
            material_problems=problems,
        )
        if verdict.blocks:
            raise StepInvalid(verdict.blocks)
        step = DevelopmentStep.objects.create(
            candidate=candidate,
            number=number,
            on=on,
            rule_version=verdict.version.code,
            warnings=verdict.warnings,
            provisional=verdict.provisional,
            recorded_by=_user(actor),
            **{k: v for k, v in _model_values(values).items() if k in STEP_FIELDS},
        )
        if people:
            step.people.set([p.pk for p in people])
        history.append(selectors.facts([step])[0])
        _apply_to_registry(actor=actor, candidate=candidate, step=step, history=history, today=today)
        refresh(candidate, today=today, history=history)
        record_event(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=candidate,
            org_path=candidate.organisation.path,
            after={"step": number, "on": on.isoformat(), "decision": step.decision, "outcome": step.outcome, "version": step.rule_version},
            reason="；".join(verdict.warnings)[:500],
        )
    return step, verdict.warnings


def _model_values(values: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in values.items() if k in STEP_FIELDS and v is not None}
    for text_field in ("responsible", "basis", "notes"):
        if text_field in out:
            out[text_field] = " ".join(str(out[text_field]).split())[
                : 300 if text_field == "basis" else 200 if text_field == "responsible" else 500
            ]
    out.setdefault("decision", Decision.AGREED)
    return out


def _people(candidate: Candidate, ids: list[Any]) -> list[Member]:
    """Contacts or introducers: current members of the candidate's branch (the registry's records)."""
    wanted = {int(i) for i in ids if str(i).strip().isdigit()}
    if not wanted:
        return []
    found = list(Member.objects.filter(pk__in=wanted, organisation_id=candidate.organisation_id, left_on__isnull=True))
    if len(found) != len(wanted):
        raise RuleViolation(None, "所选人员须是本党支部在册党员", field="people")
    return found


def _step_input(number: int, on: date, values: dict[str, Any], people: list[Member]) -> rules.StepInput:
    return rules.StepInput(
        number=number,
        on=on,
        decision=values.get("decision") or Decision.AGREED,
        outcome=values.get("outcome") or "",
        extension_months=values.get("extension_months"),
        responsible=str(values.get("responsible") or ""),
        basis=str(values.get("basis") or ""),
        people=[
            rules.PersonFact(name=p.name, status=p.status, join_date=p.join_date, full_date=p.full_date, left_on=p.left_on) for p in people
        ],
        votes=rules.Votes(
            entitled=values.get("entitled"),
            present=values.get("present"),
            yes=values.get("votes_yes"),
            no=values.get("votes_no"),
            abstain=values.get("votes_abstain"),
            written=values.get("written_opinions") or 0,
            method=values.get("ballot_method") or "",
        ),
        training_days=values.get("training_days"),
        training_hours=values.get("training_hours"),
        notice_from=values.get("notice_from"),
        notice_to=values.get("notice_to"),
    )


def _apply_to_registry(*, actor: Any, candidate: Candidate, step: DevelopmentStep, history: list[rules.StepFact], today: date) -> None:
    """Step 17 approved → probationary member record; step 24 approved → full member (DEV-021, DEV-025)."""
    if step.decision == Decision.REFUSED:
        return
    if step.number == 17:
        join = rules.join_date_for(history)
        member = member_services.create_member(
            actor=actor,
            values={
                "name": candidate.name,
                "gender": candidate.gender,
                "id_number": candidate.id_number,
                "birth_date": candidate.birth_date,
                "join_date": join,
                "status": "probationary",
                "organisation": candidate.organisation,
                "phone": candidate.phone,
                "employer": candidate.work_unit,
                "note": f"经发展党员程序接收，上级党委{step.on}批准",
            },
            today=max(today, step.on),
        )
        candidate.member = member
    if step.number == 24 and candidate.member_id:
        state = rules.progress(history)
        previous_outcome = _last_outcome(history)
        if previous_outcome == Outcome.ON_TIME and state.probation_end is not None:
            member_services.update_member(
                actor=actor,
                member_id=candidate.member_id,
                values={"status": "full", "full_date": state.probation_end},
                comment=f"预备党员转正，上级党委{step.on}批准；转正日期为预备期满之日（DEV-025）",
                today=max(today, state.probation_end),
            )
        elif previous_outcome == Outcome.CANCEL:
            member_services.record_exit(
                actor=actor,
                member_id=candidate.member_id,
                on=step.on,
                reason=ExitReason.PROBATION_CANCELLED,
                comment=f"上级党委{step.on}批准取消预备党员资格（DEV-023）",
            )


def _last_outcome(history: list[rules.StepFact]) -> str:
    for fact in reversed(history):
        if fact.number == 23 and fact.counts:
            return fact.outcome
    return ""


def refresh(candidate: Candidate, *, today: date, history: list[rules.StepFact] | None = None) -> None:
    """Recompute the cached stage, next step and its due date from the steps (rules.progress/timeline)."""
    history = history if history is not None else selectors.history(candidate)
    stopped = candidate.stopped_on is not None
    state = rules.progress(history, stopped=stopped)
    windows = rules.timeline(history, today=today, workdays=selectors.workdays(), stopped=stopped)
    pressing = rules.next_due(windows)
    candidate.stage = state.stage
    candidate.next_step = state.expected
    candidate.next_due = pressing.due if pressing else None
    candidate.probation_end = state.probation_end
    candidate.provisional = any(w.provisional for w in windows)
    candidate.save(update_fields=["stage", "next_step", "next_due", "probation_end", "provisional", "member", "updated_at"])


def stop_candidate(*, actor: Any, scope: Any, candidate_id: int, on: date, reason: str, today: date | None = None) -> Candidate:
    """终止培养 (the person withdraws or is not developed further); only before admission (step 17)."""
    today = today or timezone.localdate()
    reason = " ".join((reason or "").split())
    with transaction.atomic():
        candidate = Candidate.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=candidate_id)
        if not can_manage(scope, candidate.organisation.path):
            raise RuleViolation(None, NO_MANAGE)
        if len(reason) < 2:
            raise RuleViolation(None, "请写明终止培养的原因", field="reason")
        if on > today:
            raise DEV_027.violation(field="on", label="终止日期", value=on, today=today)
        if candidate.stage not in (Stage.APPLICANT, Stage.ACTIVIST, Stage.TARGET):
            raise RuleViolation(None, f"“{candidate.get_stage_display()}”阶段不能终止培养", field="reason")
        last = candidate.steps.order_by("-on", "-id").first()
        if last is not None and on < last.on:
            raise RuleViolation(None, f"终止日期{on}早于最近一步（第{last.number}步，{last.on}）", field="on")
        candidate.stopped_on, candidate.stop_reason = on, reason[:200]
        candidate.save(update_fields=["stopped_on", "stop_reason", "updated_at"])
        refresh(candidate, today=today)
        record_event(actor=actor, action=AuditAction.UPDATE, obj=candidate, org_path=candidate.organisation.path, reason=reason[:500])
    return candidate


def move_candidate(*, actor: Any, scope: Any, candidate_id: int, organisation: Organisation, today: date | None = None) -> Candidate:
    """An activist whose work or study unit changes moves to another branch; every step and date
    stays with the person, so the cultivation time carries on (DEV-008)."""
    today = today or timezone.localdate()
    with transaction.atomic():
        candidate = Candidate.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=candidate_id)
        if not can_manage(scope, candidate.organisation.path) or not can_manage(scope, organisation.path):
            raise RuleViolation(None, NO_MANAGE, field="organisation")
        check_holds_members(kind=organisation.kind, name=organisation.name)
        if candidate.member_id:
            raise RuleViolation(None, "已接收为预备党员的，请通过组织关系转接办理", field="organisation")
        before = candidate.organisation
        candidate.organisation = organisation
        candidate.save(update_fields=["organisation", "updated_at"])
        refresh(candidate, today=today)
        record_event(
            actor=actor,
            action=AuditAction.MOVE,
            obj=candidate,
            org_path=organisation.path,
            before={"organisation": before.name},
            after={"organisation": organisation.name},
        )
    return candidate


def unmask_candidate(*, actor: Any, scope: Any, candidate: Candidate, reason: str, ip: str | None = None) -> dict[str, str]:
    """Plain ID number and phone for the branch or its superiors, with a reason; one audit row (PII-001)."""
    if not can_manage(scope, candidate.organisation.path):
        raise RuleViolation(None, NO_MANAGE)
    reason = " ".join((reason or "").split())
    if len(reason) < 2:
        raise RuleViolation(None, "查看完整个人信息须说明事由（如：填写政审材料需核对身份）。", field="reason")
    record_event(
        actor=actor,
        action=AuditAction.UNMASK,
        obj=candidate,
        org_path=candidate.organisation.path,
        reason=reason,
        detail={"fields": ["id_number", "phone"]},
        ip=ip,
    )
    return {"id_number": candidate.id_number, "phone": candidate.phone}


# --- materials -------------------------------------------------------------------------------------------


def _save_material(*, actor: Any, candidate: Candidate, step_number: int, kind: str, upload: Any, is_paper: bool) -> Material:
    Material.objects.filter(candidate=candidate, step_number=step_number, kind=kind, is_current=True).update(is_current=False)
    material = Material(
        candidate=candidate, step_number=step_number, kind=kind, is_paper=is_paper and upload is None, uploaded_by=_user(actor)
    )
    if upload is not None:
        material.original_name = str(getattr(upload, "name", "") or "")[-200:]
        material.file.save(material.original_name or "file", upload, save=False)
    material.save()
    return material


def add_material(
    *, actor: Any, scope: Any, candidate_id: int, step_number: int, kind: str, upload: Any = None, is_paper: bool = False
) -> Material:
    """Upload a step's document (type and size checked) or mark it as a paper original; it replaces a
    returned or earlier version, which stays in the dossier, and waits for the superior's review."""
    if step_number not in rules.STEPS:
        raise RuleViolation(None, f"没有第{step_number}步", field="step_number")
    if kind not in MaterialKind.values:
        raise RuleViolation(None, "请选择材料类别", field="kind")
    if upload is None and not is_paper:
        raise RuleViolation(None, "请选择要上传的文件，或勾选“纸质原件已收存”", field="file")
    if upload is not None:
        check_upload(upload, field="file", what=MaterialKind(kind).label)
    with transaction.atomic():
        candidate = Candidate.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=candidate_id)
        if not can_manage(scope, candidate.organisation.path):
            raise RuleViolation(None, NO_MANAGE)
        material = _save_material(actor=actor, candidate=candidate, step_number=step_number, kind=kind, upload=upload, is_paper=is_paper)
        record_event(
            actor=actor,
            action=AuditAction.CREATE,
            obj=material,
            org_path=candidate.organisation.path,
            after={"candidate": candidate.pk, "step": step_number, "kind": kind, "paper": material.is_paper},
        )
    return material


def review_material(*, actor: Any, scope: Any, material_id: int, approve: bool, comment: str = "") -> Material:
    """线上审核 by the superior: approve, or return with a comment. A conditional UPDATE on the
    pending status: a second click or a second reviewer finds it already reviewed."""
    comment = " ".join((comment or "").split())
    with transaction.atomic():
        material = Material.objects.select_related("candidate__organisation").get(pk=material_id)
        if not is_superior(scope, material.candidate.organisation.path):
            raise RuleViolation(None, NO_SUPERIOR)
        if not approve and len(comment) < 2:
            raise RuleViolation(None, "退回材料须写明退回意见（需要补充或修改什么）", field="comment")
        status = MaterialStatus.APPROVED if approve else MaterialStatus.RETURNED
        changed = Material.objects.filter(pk=material.pk, status=MaterialStatus.PENDING, is_current=True).update(
            status=status, review_comment=comment[:500], reviewed_by=_user(actor), reviewed_at=timezone.now()
        )
        if changed == 0:
            raise RuleViolation(None, "该材料已被审核或已被替换，请刷新页面查看最新状态", field="comment")
        material.refresh_from_db()
        record_event(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=material,
            org_path=material.candidate.organisation.path,
            after={"status": status, "comment": comment[:200]},
        )
    return material


# --- working-day calendar ------------------------------------------------------------------------------


def parse_days(text: str, *, year: int, field: str) -> list[str]:
    """Dates one per line (or separated by commas/spaces), each inside ``year``; ISO strings, sorted."""
    days: set[str] = set()
    for token in text.replace("，", ",").replace("、", ",").replace(",", " ").split():
        try:
            day = date.fromisoformat(token.strip())
        except ValueError:
            raise RuleViolation(None, f"“{token}”不是有效日期，请按 YYYY-MM-DD 填写（如 {year}-10-01）", field=field) from None
        if day.year != year:
            raise RuleViolation(None, f"{day}不在{year}年内", field=field)
        days.add(day.isoformat())
    return sorted(days)


def save_calendar(*, actor: Any, scope: Any, year: int, holidays: str, workdays: str) -> WorkCalendar:
    """The district admin keeps one calendar per year: weekday holidays and 调休 working weekends."""
    if not scope.is_district_admin:
        raise RuleViolation(None, "工作日历由区委组织部管理员维护。")
    if not 2000 <= year <= 2100:
        raise RuleViolation(None, f"年度{year}不在2000—2100之间", field="year")
    off = parse_days(holidays, year=year, field="holidays")
    on = parse_days(workdays, year=year, field="workdays")
    weekend_holidays = [d for d in off if date.fromisoformat(d).weekday() >= 5]
    if weekend_holidays:
        raise RuleViolation(None, f"{'、'.join(weekend_holidays)}本来就是周末，放假日期只需填写工作日（周一至周五）", field="holidays")
    weekday_workdays = [d for d in on if date.fromisoformat(d).weekday() < 5]
    if weekday_workdays:
        raise RuleViolation(None, f"{'、'.join(weekday_workdays)}本来就是工作日，调休上班只需填写周末日期", field="workdays")
    with transaction.atomic():
        calendar, created = WorkCalendar.objects.select_for_update().get_or_create(year=year, defaults={"updated_by": _user(actor)})
        before = {"holidays": calendar.holidays, "workdays": calendar.workdays}
        calendar.holidays, calendar.workdays, calendar.updated_by = off, on, _user(actor)
        calendar.save()
        record_event(
            actor=actor,
            action=AuditAction.CREATE if created else AuditAction.UPDATE,
            obj=calendar,
            before=None if created else before,
            after={"holidays": off, "workdays": on},
        )
    return calendar
