"""Transfer pages: the member's own status (phone first), the to-do list, applying, the transfer
record with its steps, the letter PDF, arrivals with their receipt, and counts.

Every page with an id loads through ``selectors.get_*_for`` (404 outside the caller's subtree);
who may take which step comes from the transition table (``workflow``), never from the page.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.audit.services import client_ip  # noqa: F401  (kept for symmetry with other apps' views)
from dangjian.core.masking import mask_phone
from dangjian.core.pdf import pdf_response
from dangjian.core.rules import RuleViolation
from dangjian.core.views import paginate
from dangjian.members.models import Member
from dangjian.members.selectors import get_member_for, members_visible_to
from dangjian.organisations.choices import MEMBER_HOLDING_KINDS
from dangjian.organisations.models import Organisation
from dangjian.organisations.selectors import branches_visible_to, get_organisation_for, organisation_choices

from . import rules, selectors, services, workflow
from .choices import CODE_LABELS, STATE_SHORT, Action, Party, TransferState
from .forms import ApplyForm, ArrivalForm, StatsForm, StepForm
from .models import Transfer

STAFF_ROLES = ("branch_secretary", "org_admin", "district_admin")
POSITIVE = {Action.CONFIRM, Action.APPROVE, Action.ACCEPT, Action.ISSUE_LETTER, Action.RECORD_RECEIPT, Action.RESUBMIT}
ACTION_HELP = {
    Action.CONFIRM: "确认该党员的转出申请，报审批党委",
    Action.APPROVE: "同意转出",
    Action.ACCEPT: "接收后，该党员的组织关系立即转入本组织",
    Action.ISSUE_LETTER: "开具后请打印介绍信，盖章后交党员本人",
    Action.RECORD_RECEIPT: "接收党组织寄回的回执已收到",
    Action.RETURN: "退回上一步修改，须写明理由",
    Action.REFUSE: "不同意转接，须写明理由",
    Action.WITHDRAW: "撤回后，可以重新申请",
    Action.RESUBMIT: "按退回意见修改后重新提交",
    Action.REISSUE: "介绍信遗失或过期时补开，原编号作废，须写明原因",
    Action.EXPIRE: "介绍信已过有效期仍未报到",
    Action.REVOKE: "撤销已完成的转接，党员恢复到原党支部，须写明理由",
}
# revoking a letter transfer that is not completed: the letter is voided, the member restored
REVOKE_LETTER_HELP = "撤销该转接，介绍信作废，党员恢复到原党支部，须写明理由"


def _scope(request: HttpRequest) -> Any:
    return request.scope  # type: ignore[attr-defined]


def _is_staff(scope: Any) -> bool:
    return scope.is_superuser or bool(scope.paths_for(*STAFF_ROLES))


def _add_violation(form: forms.Form, exc: RuleViolation) -> None:
    for problem in getattr(exc, "problems", None) or [exc]:
        form.add_error(problem.field if problem.field in form.fields else None, problem.message)


def _today() -> date:
    return timezone.localdate()


# --- landing: my transfers and my to-do list --------------------------------------------------------


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    today = _today()
    mine = [_card(t) for t in selectors.own_transfers(scope)[:10]]
    todo = selectors.todo_for(scope, today) if _is_staff(scope) else []
    context = {
        "mine": mine,
        "todo": todo,
        "is_staff": _is_staff(scope),
        "is_member": bool(scope.member_id),
        "has_open": any(c["open"] for c in mine),
        "overdue": sum(1 for i in todo if i.overdue),
    }
    return render(request, "transfers/index.html", context)


def _card(transfer: Transfer) -> dict[str, Any]:
    party, org = workflow.responsible(transfer)
    return {
        "t": transfer,
        "short": STATE_SHORT.get(transfer.state, transfer.get_state_display()),
        "party": dict(Party.choices).get(party, ""),
        "next_org": org,
        "open": transfer.state
        not in {
            str(s)
            for s in (
                TransferState.COMPLETED,
                TransferState.RECEIPT_RETURNED,
                TransferState.WITHDRAWN,
                TransferState.REFUSED,
                TransferState.REVOKED,
            )
        },
    }


@require_GET
def transfer_list(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    if not _is_staff(scope):
        raise PermissionDenied("转接记录列表仅供党组织书记和管理员查看；您本人的转接请在“组织关系转接”首页查看。")
    qs = selectors.with_related(selectors.transfers_visible_to(scope))
    state = request.GET.get("state", "")
    if state in TransferState.values:
        qs = qs.filter(state=state)
    q = " ".join(request.GET.get("q", "").split())
    if q:
        qs = qs.filter(Q(member__name__icontains=q) | Q(external_org_name__icontains=q) | Q(letters__number=q)).distinct()
    page = paginate(request, qs.order_by("-applied_at", "-id"))
    return render(
        request, "transfers/list.html", {"page": page, "states": TransferState.choices, "state": state, "q": q, "short": STATE_SHORT}
    )


# --- applying -----------------------------------------------------------------------------------


def _destination_choices(q: str, selected: Any) -> list[tuple[int, str]]:
    """Live member-holding organisations of the platform matching ``q`` (any street: a destination
    may be anywhere in the district), plus the one already chosen."""
    base = Organisation.objects.filter(kind__in=[str(k) for k in MEMBER_HOLDING_KINDS], dissolved_on__isnull=True)
    found: list[Organisation] = []
    q = " ".join((q or "").split())
    if len(q) >= 2:
        found = list(base.filter(Q(name__icontains=q) | Q(code__iexact=q)).order_by("path")[:20])
    try:
        chosen = int(selected) if selected else None
    except (TypeError, ValueError):
        chosen = None
    if chosen and all(o.pk != chosen for o in found):
        found += list(base.filter(pk=chosen))
    parents = {o.path[: -Organisation.steplen] for o in found}
    names = dict(Organisation.objects.filter(path__in=parents).values_list("path", "name"))
    return [(o.pk, f"{o.name}（{names.get(o.path[: -Organisation.steplen], '')}）") for o in found]


def _member_choices(scope: Any) -> list[tuple[int, str]] | None:
    """Members a secretary/admin may apply for; None for a member applying for themself."""
    if not _is_staff(scope):
        return None
    rows = (
        members_visible_to(scope).filter(left_on__isnull=True).select_related("organisation").order_by("organisation__path", "name")[:2000]
    )
    return [(m.pk, f"{m.name}（{m.organisation.name}）") for m in rows]


@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    if not _is_staff(scope) and not scope.member_id:
        raise PermissionDenied("只有党员本人或党支部书记可以申请组织关系转接。")
    members = _member_choices(scope)
    data = request.POST if request.method == "POST" else None
    q = (request.POST.get("q") if data is not None else request.GET.get("q")) or ""
    selected = (data or request.GET).get("destination_org")
    initial: dict[str, Any] = {"destination_kind": request.GET.get("destination_kind", "internal")}
    if request.GET.get("member"):
        initial["member"] = request.GET.get("member")
    if scope.member_id and members is None:
        own = get_member_for(scope, scope.member_id)
        initial.setdefault("contact_phone", "")
        member_for_page: Member | None = own
    else:
        member_for_page = None
    form = ApplyForm(data, initial=initial, members=members, destinations=_destination_choices(q, selected))
    if data is not None and request.POST.get("find"):
        # the search button: show the matches, keep what was typed, judge nothing yet
        found = _destination_choices(q, selected)
        form = ApplyForm(initial={**initial, **request.POST.dict()}, members=members, destinations=found)
        return render(
            request,
            "transfers/apply.html",
            {"form": form, "q": q, "me": member_for_page, "searched": True, "found": len(found), "is_staff": _is_staff(scope)},
        )
    if data is not None and form.is_valid():
        cd = form.cleaned_data
        member_id = cd.get("member") or scope.member_id
        try:
            member = get_member_for(scope, member_id)
            if not services.can_apply_for(scope, member):
                raise RuleViolation(None, "您只能为本人或本支部党员申请转接", field="member")
            destination = None
            if cd["destination_kind"] == "internal":
                destination = Organisation.objects.filter(pk=cd["destination_org"]).first()
                if destination is None:
                    raise RuleViolation(None, "请重新查找并选择转入党支部", field="destination_org")
            values = {
                "destination_org": destination,
                "external_scope": cd.get("external_scope") if destination is None else "",
                "external_org_name": cd.get("external_org_name"),
                "external_org_location": cd.get("external_org_location"),
                "reason": cd["reason"],
                "dues_paid_up_to": cd["dues_paid_up_to"],
                "contact_phone": cd.get("contact_phone"),
                "probation_note": cd.get("probation_note"),
            }
            transfer = services.apply(actor=request.user, scope=scope, member_id=member.pk, values=values, today=_today())
        except RuleViolation as exc:
            _add_violation(form, exc)
        else:
            messages.success(request, f"已提交{transfer.member.name}的组织关系转接申请，下一步由“{transfer.from_org.name}”确认。")
            for warning in transfer.warnings:
                messages.warning(request, warning)
            return redirect("transfers:detail", transfer.pk)
    status = 422 if data is not None and form.errors else 200
    return render(
        request, "transfers/apply.html", {"form": form, "q": q, "me": member_for_page, "is_staff": _is_staff(scope)}, status=status
    )


# --- one transfer -------------------------------------------------------------------------------


def _detail_context(request: HttpRequest, transfer: Transfer, *, form: StepForm | None = None, failed_action: str = "") -> dict[str, Any]:
    scope = _scope(request)
    parties = workflow.parties_of(scope, transfer)
    route = workflow.route_of(transfer)
    options = []
    for row in workflow.actions_from(transfer.state, route):
        if row.party in parties:
            options.append(
                {
                    "action": row.action,
                    "label": Action(row.action).label,
                    "help": REVOKE_LETTER_HELP
                    if row.action == Action.REVOKE and transfer.state != TransferState.COMPLETED
                    else ACTION_HELP.get(row.action, ""),
                    "needs_reason": row.needs_reason,
                    "positive": row.action in POSITIVE,
                    "form": form if form is not None and failed_action == row.action else None,
                }
            )
    party, next_org = workflow.responsible(transfer)
    letter = services.live_letter(transfer)
    staff_view = bool(parties - {Party.APPLICANT}) or _is_staff(scope)
    return {
        "t": transfer,
        "card": _card(transfer),
        "steps": selectors.steps_of(transfer),
        "options": options,
        "has_positive": any(o["positive"] for o in options),
        "has_other": any(not o["positive"] for o in options),
        "next_org": next_org,
        "next_party": dict(Party.choices).get(party, ""),
        "letter": letter,
        "letters": list(transfer.letters.all()),
        "can_print": letter is not None and (Party.COMMITTEE in parties or scope.is_district_admin),
        "phone": mask_phone(transfer.contact_phone),
        "code_label": CODE_LABELS.get(transfer.change_type_code, ""),
        "default_days": services.default_validity_days(transfer),
        "max_days": rules.max_validity_days(_today()),
        "staff_view": staff_view,
        "todo": [i for i in selectors.todo_for(scope, _today()) if i.transfer.pk == transfer.pk] if staff_view else [],
        "is_internal": transfer.is_internal,
        "errors": [str(e) for errors in (form.errors.values() if form is not None else []) for e in errors],
    }


@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    transfer = selectors.get_transfer_for(_scope(request), pk)
    return render(request, "transfers/detail.html", _detail_context(request, transfer))


@require_POST
def act(request: HttpRequest, pk: int) -> HttpResponse:
    scope = _scope(request)
    transfer = selectors.get_transfer_for(scope, pk)
    form = StepForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "transfers/detail.html",
            _detail_context(request, transfer, form=form, failed_action=request.POST.get("action", "")),
            status=422,
        )
    cd = form.cleaned_data
    values = form.step_values()
    try:
        transfer = services.act(
            actor=request.user,
            scope=scope,
            transfer_id=transfer.pk,
            action=cd["action"],
            reason=cd["reason"],
            values=values,
            today=_today(),
        )
    except RuleViolation as exc:
        _add_violation(form, exc)
        transfer = selectors.get_transfer_for(scope, pk)
        return render(
            request, "transfers/detail.html", _detail_context(request, transfer, form=form, failed_action=cd["action"]), status=422
        )
    messages.success(request, f"已{Action(cd['action']).label}。当前状态：{transfer.get_state_display()}。")
    return redirect("transfers:detail", transfer.pk)


@require_GET
def letter_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    scope = _scope(request)
    transfer = selectors.get_transfer_for(scope, pk)
    try:
        content, letter = services.print_letter(actor=request.user, scope=scope, transfer=transfer)
    except RuleViolation as exc:
        raise PermissionDenied(exc.message) from exc
    return pdf_response(content, filename=f"组织关系介绍信-{letter.number}.pdf")


# --- arrivals -----------------------------------------------------------------------------------


def _branch_choices(scope: Any) -> list[tuple[int, str]]:
    return [(o.pk, o.name) for o in branches_visible_to(scope).order_by("path")]


@require_GET
def arrival_list(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    if not _is_staff(scope):
        raise PermissionDenied("转入登记仅供党组织书记和管理员查看。")
    page = paginate(request, selectors.arrivals_visible_to(scope).order_by("-arrived_on", "-id"))
    return render(request, "transfers/arrivals.html", {"page": page})


@require_http_methods(["GET", "POST"])
def arrival_new(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    if not _is_staff(scope):
        raise PermissionDenied("只有接收党支部的书记或上级党组织管理员可以登记转入。")
    choices = _branch_choices(scope)
    form = ArrivalForm(request.POST or None, organisations=choices, initial={"arrived_on": _today()})
    if request.method == "POST" and form.is_valid():
        cd = dict(form.cleaned_data)
        try:
            org = get_organisation_for(scope, cd.pop("organisation"))
            arrival = services.register_arrival(actor=request.user, scope=scope, organisation=org, values=cd, today=_today())
        except RuleViolation as exc:
            _add_violation(form, exc)
        else:
            messages.success(
                request, f"已登记{arrival.member.name}转入“{arrival.organisation.name}”。请打印回执，盖章后寄回“{arrival.from_org_name}”。"
            )
            return redirect(f"{reverse('transfers:arrivals')}#arrival-{arrival.pk}")
    status = 422 if request.method == "POST" else 200
    return render(request, "transfers/arrival_form.html", {"form": form}, status=status)


@require_GET
def arrival_receipt(request: HttpRequest, arrival_pk: int) -> HttpResponse:
    arrival = selectors.get_arrival_for(_scope(request), arrival_pk)
    content = services.print_arrival_receipt(actor=request.user, arrival=arrival)
    return pdf_response(content, filename=f"组织关系介绍信回执-{arrival.letter_number}.pdf")


# --- counts ------------------------------------------------------------------------------------


@require_GET
def stats(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    if not _is_staff(scope):
        raise PermissionDenied("转接统计仅供党组织书记和管理员查看。")
    choices = organisation_choices(scope)
    today = _today()
    form = StatsForm(request.GET or None, organisations=choices)
    org = None
    start, end = date(today.year, 1, 1), today
    if form.is_bound and form.is_valid():
        cd = form.cleaned_data
        if cd.get("org"):
            org = get_organisation_for(scope, cd["org"])
        start = cd.get("start") or start
        end = cd.get("end") or end
    if org is None and choices:
        org = get_organisation_for(scope, choices[0][0])
    result = selectors.counts(org, start, end) if org is not None and start <= end else None
    if start > end:
        form.add_error("end", "截止日期不能早于起始日期")
    rows = []
    if result is not None:
        from .choices import TransferScope

        for value, label in TransferScope.choices:
            out = result.out_by_scope.get(value, {})
            inn = result.in_by_scope.get(value, {})
            if out or inn:
                rows.append(
                    {
                        "label": label,
                        "out": sum(out.values()),
                        "in": sum(inn.values()),
                        "out_states": _states(out),
                        "in_states": _states(inn),
                    }
                )
    step_rows = [
        {"label": TransferState(k).label, "days": v, "n": result.step_samples.get(k, 0)}
        for k, v in (result.step_days.items() if result else [])
        if k in TransferState.values
    ]
    return render(
        request,
        "transfers/stats.html",
        {"form": form, "result": result, "rows": rows, "step_rows": step_rows, "start": start, "end": end, "org": org},
    )


def _states(counter: Any) -> str:
    return "，".join(f"{STATE_SHORT.get(k, k)}{n}" for k, n in sorted(counter.items()))
