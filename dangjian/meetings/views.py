"""Pages of organisational life: records (one form), review, amendments, files, QR check-in, the
member's own view, compliance sheet with Excel export, the 调阅 log, the reminder sheet PDF, settings.

Every view with an id loads its object through the scope first (404 outside the subtree), then
checks the role (403 with the reason), then calls one service.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import segno
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.audit.models import AuditAction
from dangjian.audit.services import client_ip, record_event
from dangjian.core.excel import ColumnSpec, write_xlsx
from dangjian.core.pdf import pdf_response
from dangjian.core.rules import RuleViolation
from dangjian.core.uploads import file_response
from dangjian.core.views import paginate
from dangjian.members.models import Member
from dangjian.organisations.choices import MEMBER_HOLDING_KINDS
from dangjian.organisations.models import Organisation
from dangjian.organisations.selectors import get_organisation_for, organisation_choices, organisations_visible_to, parent_of

from . import permissions, reminders, rules, selectors, services
from .choices import EDITABLE_STATUSES, LOCKED_STATUSES, MeetingKind, MeetingStatus
from .compliance import KIND_ORDER, STATUS_LABELS, Period, compute_sheet, month_index
from .forms import (
    AmendForm,
    CodeForm,
    MeetingForm,
    ReadsForm,
    ReviewForm,
    SettingsForm,
    SheetForm,
    UploadFilesForm,
    default_initial,
    initial_for,
)
from .models import LifeSettings

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NO_ADMIN = "组织生活台账仅供党组织管理员和党支部书记查看。党员请在“我的组织生活”查看本人的会议和签到。"
NO_READS = "调阅记录仅供社区党委、街道党工委和区委组织部的管理员查看。"
NO_SETTINGS = "只有区委组织部管理员可以修改组织生活设置。"


def _scope(request: HttpRequest) -> Any:
    return request.scope  # type: ignore[attr-defined]


def _require(allowed: bool, reason: str) -> None:
    if not allowed:
        raise PermissionDenied(reason)


def _add_violation(form: Any, exc: RuleViolation) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _secretary_branches(scope: Any) -> list[Organisation]:
    if scope.is_superuser:
        return []
    ids = scope.role_org_ids.get("branch_secretary", ())
    return list(Organisation.objects.filter(pk__in=ids, kind__in=list(MEMBER_HOLDING_KINDS), dissolved_on__isnull=True).order_by("path"))


# --- list ------------------------------------------------------------------------------------------


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The module's landing page: the records in scope, what awaits review, the secretary's branches."""
    scope = _scope(request)
    if not (scope.subtree_paths or scope.is_superuser):
        if scope.member_id:
            return redirect("meetings:my")
        raise PermissionDenied(NO_ADMIN)
    status = request.GET.get("status", "")
    kind = request.GET.get("kind", "")
    q = request.GET.get("q", "")[:50]
    page = paginate(
        request,
        selectors.filter_meetings(
            scope, status=status if status in MeetingStatus.values else "", kind=kind if kind in MeetingKind.values else "", q=q
        ),
    )
    rows = [{"meeting": m, "kinds": selectors.kind_labels(m)} for m in page]
    return render(
        request,
        "meetings/index.html",
        {
            "page": page,
            "rows": rows,
            "branches": _secretary_branches(scope),
            "awaiting": selectors.awaiting_review(scope).count(),
            "statuses": MeetingStatus.choices,
            "kinds": MeetingKind.choices,
            "status": status,
            "kind": kind,
            "q": q,
            "can_reads": permissions.can_view_reads(scope),
            "can_settings": permissions.can_change_settings(scope),
        },
    )


# --- record form -----------------------------------------------------------------------------------


def _form(
    request: HttpRequest, branch: Organisation, *, form_class: type[MeetingForm] = MeetingForm, meeting: Any = None, **kwargs: Any
) -> MeetingForm:
    return form_class(
        request.POST or None,
        request.FILES or None,
        members=selectors.branch_members(branch),
        groups=selectors.branch_groups(branch),
        bookings=list(services.booking_choices(branch, meeting=meeting).select_related("base")[:50]),
        **kwargs,
    )


@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    """A secretary plans or records a meeting of the branch: one form, usable on a phone."""
    scope = _scope(request)
    org_id = request.GET.get("org") or request.POST.get("org")
    if org_id and str(org_id).isdigit():
        branch = get_organisation_for(scope, int(org_id))
    else:
        branches = _secretary_branches(scope)
        _require(bool(branches), services.NO_RECORD)
        branch = branches[0]
    _require(permissions.can_record(scope, branch) and branch.holds_members, services.NO_RECORD)
    form = _form(request, branch, initial=default_initial(today=timezone.localdate(), secretary_name=request.user.display_name))  # type: ignore[union-attr]
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.create_meeting(
                actor=request.user, branch=branch, values=form.to_input(), uploads=form.cleaned_data.get("files") or []
            )
        except RuleViolation as exc:
            _add_violation(form, exc)
        else:
            messages.success(request, "已保存为草稿。会后核对出席情况，再“提交审核”。")
            return redirect("meetings:detail", pk=meeting.pk)
    return render(request, "meetings/form.html", {"form": form, "branch": branch, "title": "新建组织生活记录", "meeting": None})


@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    scope = _scope(request)
    meeting = selectors.get_meeting_for(scope, pk)
    _require(permissions.can_record(scope, meeting.organisation), services.NO_RECORD)
    if meeting.status not in EDITABLE_STATUSES:
        messages.error(request, "该记录已提交或已通过审核，不能直接修改（LIFE-015）。")
        return redirect("meetings:detail", pk=meeting.pk)
    form = _form(request, meeting.organisation, meeting=meeting, initial=initial_for(meeting, selectors.kinds_of(meeting)))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_meeting(
                actor=request.user, meeting_id=meeting.pk, values=form.to_input(), uploads=form.cleaned_data.get("files") or []
            )
        except RuleViolation as exc:
            _add_violation(form, exc)
        else:
            messages.success(request, "已保存修改。")
            return redirect("meetings:detail", pk=meeting.pk)
    return render(
        request, "meetings/form.html", {"form": form, "branch": meeting.organisation, "title": "修改组织生活记录", "meeting": meeting}
    )


@require_http_methods(["GET", "POST"])
def amend(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct an approved record: the change is kept as a numbered amendment everyone can see."""
    scope = _scope(request)
    meeting = selectors.get_meeting_for(scope, pk)
    _require(permissions.can_record(scope, meeting.organisation), services.NO_RECORD)
    if meeting.status not in LOCKED_STATUSES:
        messages.error(request, "只有审核通过的记录才需要“更正”；草稿或被退回的记录请直接修改。")
        return redirect("meetings:detail", pk=meeting.pk)
    form = _form(
        request, meeting.organisation, form_class=AmendForm, with_files=False, initial=initial_for(meeting, selectors.kinds_of(meeting))
    )
    if request.method == "POST" and form.is_valid():
        try:
            amendment = services.amend_meeting(
                actor=request.user, meeting_id=meeting.pk, values=form.to_input(), reason=form.cleaned_data["reason"]
            )
        except RuleViolation as exc:
            _add_violation(form, exc)
        else:
            messages.success(request, f"已生成第{amendment.number}次更正，更正内容在记录页公开显示。")
            return redirect("meetings:detail", pk=meeting.pk)
    return render(
        request,
        "meetings/form.html",
        {"form": form, "branch": meeting.organisation, "title": "更正已审核的记录", "meeting": meeting, "amend": True},
    )


# --- detail and workflow ---------------------------------------------------------------------------


@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The record; a superior's read of it is an audited 调阅 (LIFE-016)."""
    scope = _scope(request)
    meeting = selectors.get_meeting_for(scope, pk)
    branch = meeting.organisation
    is_member_only = not scope.covers_path(branch.path) and not scope.is_superuser
    services.record_read(user=request.user, scope=scope, meeting=meeting, ip=client_ip(request))
    can_record = permissions.can_record(scope, branch)
    context = {
        "meeting": meeting,
        "kinds": selectors.kind_labels(meeting),
        "summary": selectors.attendance_summary(meeting),
        "files": list(meeting.files.all()),
        "events": list(meeting.events.select_related("actor")),
        "amendments": list(meeting.amendments.select_related("actor")),
        "logs": list(meeting.attendance_logs.select_related("member", "actor")[:200]),
        "can_edit": can_record and meeting.status in EDITABLE_STATUSES,
        "can_submit": can_record and meeting.status in EDITABLE_STATUSES,
        "can_amend": can_record and meeting.status in LOCKED_STATUSES,
        "can_review": permissions.can_review(scope, branch) and meeting.status == MeetingStatus.SUBMITTED,
        "can_checkin": can_record and meeting.status in EDITABLE_STATUSES,
        "is_member_only": is_member_only,
        "review_form": ReviewForm(),
        "upload_form": UploadFilesForm(),
    }
    return render(request, "meetings/detail.html", context)


def _workflow(request: HttpRequest, pk: int, call: Any, done: str) -> HttpResponse:
    scope = _scope(request)
    meeting = selectors.get_meeting_for(scope, pk)
    try:
        call(meeting)
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("meetings:detail", pk=meeting.pk)


@require_POST
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _workflow(request, pk, lambda m: services.submit_meeting(actor=request.user, meeting_id=m.pk), "已提交上级党组织审核。")


@require_POST
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    comment = request.POST.get("comment", "")[:2000]
    return _workflow(
        request, pk, lambda m: services.approve_meeting(actor=request.user, meeting_id=m.pk, comment=comment), "已审核通过，记录已锁定。"
    )


@require_POST
def return_(request: HttpRequest, pk: int) -> HttpResponse:
    comment = request.POST.get("comment", "")[:2000]
    return _workflow(
        request,
        pk,
        lambda m: services.return_meeting(actor=request.user, meeting_id=m.pk, comment=comment),
        "已退回，党支部修改后可重新提交。",
    )


@require_POST
def upload(request: HttpRequest, pk: int) -> HttpResponse:
    scope = _scope(request)
    meeting = selectors.get_meeting_for(scope, pk)
    _require(permissions.can_record(scope, meeting.organisation), services.NO_RECORD)
    form = UploadFilesForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "请选择要上传的照片或文件。")
    else:
        try:
            created = services.add_files(actor=request.user, meeting_id=meeting.pk, uploads=form.cleaned_data["files"])
        except RuleViolation as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"已上传{len(created)}个附件。")
    return redirect("meetings:detail", pk=meeting.pk)


@require_GET
def file_download(request: HttpRequest, file_id: int) -> HttpResponse:
    stored = selectors.get_file_for(_scope(request), file_id)
    return file_response(stored.file, download_name=stored.original_name, inline=stored.kind == "photo")


# --- QR check-in (LIFE-022) ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def checkin(request: HttpRequest, pk: int) -> HttpResponse:
    """The secretary's phone: open check-in, show the QR code and short code, tick 代签到."""
    scope = _scope(request)
    meeting = selectors.get_meeting_for(scope, pk)
    _require(permissions.can_record(scope, meeting.organisation), services.NO_RECORD)
    if request.method == "POST":
        try:
            services.open_checkin(actor=request.user, meeting_id=meeting.pk)
        except RuleViolation as exc:
            messages.error(request, exc.message)
        return redirect("meetings:checkin", pk=meeting.pk)
    qr_svg = url = ""
    if meeting.checkin_nonce:
        url = request.build_absolute_uri(reverse("meetings:scan", kwargs={"token": services.checkin_token(meeting)}))
        qr_svg = segno.make(url, micro=False).svg_inline(scale=7, omitsize=True, title="签到二维码")
    opens, closes = services.checkin_window(meeting)
    summary = selectors.attendance_summary(meeting)
    return render(
        request,
        "meetings/checkin.html",
        {"meeting": meeting, "qr_svg": qr_svg, "url": url, "summary": summary, "opens": opens, "closes": closes, "now": timezone.now()},
    )


@require_POST
def proxy(request: HttpRequest, pk: int) -> HttpResponse:
    """代签到 for a member without a smartphone, recorded with the secretary's name."""
    scope = _scope(request)
    meeting = selectors.get_meeting_for(scope, pk)
    _require(permissions.can_record(scope, meeting.organisation), services.NO_RECORD)
    member_id = request.POST.get("member", "")
    try:
        row = services.proxy_check_in(actor=request.user, meeting_id=meeting.pk, member_id=int(member_id) if member_id.isdigit() else 0)
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已为{row.member.name}代签到。")
    return redirect("meetings:checkin", pk=meeting.pk)


def _own_member(request: HttpRequest) -> Member | None:
    scope = _scope(request)
    if not scope.member_id:
        return None
    return Member.objects.select_related("organisation").filter(pk=scope.member_id).first()


@require_http_methods(["GET", "POST"])
def scan(request: HttpRequest, token: str) -> HttpResponse:
    """What a member's phone opens from the QR code: confirm, then one attendance (LIFE-022)."""
    scope = _scope(request)
    try:
        meeting = services.meeting_for_token(token)
    except RuleViolation as exc:
        return render(request, "meetings/scan.html", {"error": exc.message}, status=400)
    member = _own_member(request)
    if member is None or member.organisation_id != meeting.organisation_id:
        if permissions.can_record(scope, meeting.organisation):
            return redirect("meetings:checkin", pk=meeting.pk)
        if member is None:
            raise Http404("未找到该会议")
        # a member of another branch is refused (LIFE-022), answered as for any record outside the scope
        refusal = rules.LIFE_022_OTHER_BRANCH.format(branch=meeting.organisation.name)
        return render(request, "meetings/scan.html", {"meeting": None, "error": refusal}, status=404)
    done, error = None, ""
    if request.method == "POST":
        try:
            done = services.check_in(member=member, meeting=meeting, actor=request.user)
        except RuleViolation as exc:
            error = exc.message
    return render(request, "meetings/scan.html", {"meeting": meeting, "member": member, "done": done, "error": error})


@require_http_methods(["GET", "POST"])
def code_entry(request: HttpRequest) -> HttpResponse:
    """Type the six-digit code instead of scanning."""
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_for_code(form.cleaned_data["code"])
        except RuleViolation as exc:
            form.add_error("code", exc.message)
        else:
            return redirect("meetings:scan", token=services.checkin_token(meeting))
    return render(request, "meetings/code.html", {"form": form})


@require_GET
def my(request: HttpRequest) -> HttpResponse:
    """The member's view: my upcoming meetings, my attendance history, check-in."""
    member = _own_member(request)
    if member is None:
        return render(request, "meetings/my.html", {"member": None})
    history = paginate(request, selectors.attendance_history(member), per_page=30)
    return render(
        request,
        "meetings/my.html",
        {"member": member, "upcoming": selectors.upcoming_for_member(member), "history": history, "code_form": CodeForm()},
    )


# --- compliance ------------------------------------------------------------------------------------


def _period(data: dict[str, Any], *, default: str) -> Period:
    """The period a sheet's query string names (cleaned SheetForm data); the current one by default."""
    today = timezone.localdate()
    kind = data.get("period") or default
    year = data.get("year") or today.year
    number = data.get("number") or (today.month if kind == "month" else (today.month - 1) // 3 + 1)
    if kind == "quarter":
        number = min(number, 4)
    return Period(kind, year, number if kind != "year" else 0)


def _sheet_request(request: HttpRequest) -> tuple[SheetForm, Organisation, Period, str, str]:
    scope = _scope(request)
    _require(permissions.can_view_compliance(scope), NO_ADMIN)
    choices = organisation_choices(scope, depth__lte=4)
    form = SheetForm(request.GET or None, organisations=choices)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    period = _period(data, default="month")
    org_id = data.get("org")
    if org_id:
        root = get_organisation_for(scope, org_id)
    else:
        roots = organisations_visible_to(scope).order_by("depth", "path").first()
        if roots is None:
            raise PermissionDenied(NO_ADMIN)
        root = roots
    return form, root, period, data.get("status") or "", (data.get("q") or "").strip()


def _sheet_rows(root: Organisation, period: Period, status: str, q: str) -> tuple[Any, list[Any]]:
    today = timezone.localdate()
    last_month = month_index(today) - 1
    sheet = compute_sheet(root, period, today=today, lecture_months=services.lecture_months(), silent_month=last_month)
    rows = sheet.rows
    if q:
        rows = [r for r in rows if q in r.name]
    if status == "silent":
        rows = [r for r in rows if r.silent]
    elif status:
        rows = [r for r in rows if r.status == status]
    return sheet, rows


@require_GET
def compliance(request: HttpRequest) -> HttpResponse:
    """The compliance sheet of all branches of a community/street/district, filterable (LIFE-001..008)."""
    form, root, period, status, q = _sheet_request(request)
    sheet, rows = _sheet_rows(root, period, status, q)
    page = paginate(request, rows, per_page=100)
    return render(
        request,
        "meetings/compliance.html",
        {
            "form": form,
            "sheet": sheet,
            "root": root,
            "period": period,
            "page": page,
            "kinds": [(k, MeetingKind(k).label) for k in KIND_ORDER],
            "totals": sheet.totals(),
            "silent": sum(1 for r in sheet.rows if r.silent),
            "shown": len(rows),
            "labels": STATUS_LABELS,
        },
    )


@require_GET
def compliance_export(request: HttpRequest) -> HttpResponse:
    """The same sheet as Excel (audited export)."""
    _form, root, period, status, q = _sheet_request(request)
    _sheet, rows = _sheet_rows(root, period, status, q)
    columns = [ColumnSpec("党支部", width=30), ColumnSpec("上级党组织", width=24), ColumnSpec("总体", width=10)]
    columns += [ColumnSpec(f"{MeetingKind(k).label}", width=16) for k in KIND_ORDER]
    columns += [ColumnSpec("逾期事项", width=80), ColumnSpec("上月未报送", width=12)]
    data = []
    for row in rows:
        cells = [f"{c.status_label} {c.done}/{c.required}" if c.required else c.status_label for c in row.cells]
        overdue = "；".join(f"{c.rule.id} {b.message}" for c in row.cells for b in c.blocks if b.status == "overdue")
        data.append([row.name, row.parent_name, row.status_label, *cells, overdue, "是" if row.silent else ""])
    content = write_xlsx(title=f"{period.label}组织生活情况", columns=columns, rows=data)
    record_event(
        actor=request.user,
        action=AuditAction.EXPORT,
        object_type="meetings.compliance",
        object_repr=f"{root.name}{period.label}组织生活情况表",
        org_path=root.path,
        detail={"rows": len(data), "period": period.label},
        ip=client_ip(request),
    )
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, f"{root.name}{period.label}组织生活情况.xlsx") or ""
    return response


@require_GET
def compliance_branch(request: HttpRequest, org_id: int) -> HttpResponse:
    """One branch's findings for the period, each naming its rule ID."""
    scope = _scope(request)
    branch = get_organisation_for(scope, org_id)
    _require(permissions.can_view_compliance(scope), NO_ADMIN)
    if not branch.holds_members:
        return redirect(f"{reverse('meetings:compliance')}?org={branch.pk}")
    today = timezone.localdate()
    # the period of the sheet the link came from (period, year, number), the current year otherwise
    form = SheetForm(request.GET or None, organisations=[])
    period = _period(form.cleaned_data if form.is_bound and form.is_valid() else {}, default="year")
    sheet = compute_sheet(branch, period, today=today, lecture_months=services.lecture_months())
    row = next((r for r in sheet.rows if r.id == branch.pk), None)
    if row is None:
        raise Http404("该支部在此期间不存在")
    return render(request, "meetings/compliance_branch.html", {"branch": branch, "row": row, "period": period, "labels": STATUS_LABELS})


# --- 调阅 log, reminder sheet, settings ------------------------------------------------------------


@require_GET
def reads(request: HttpRequest) -> HttpResponse:
    """调阅 log and the count “调阅三会一课记录X条” for a chosen subtree and period (STAT-008)."""
    scope = _scope(request)
    _require(permissions.can_view_reads(scope), NO_READS)
    form = ReadsForm(request.GET or None, organisations=organisation_choices(scope, depth__lte=4))
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    today = timezone.localdate()
    start = data.get("start") or date(today.year, 1, 1)
    end = data.get("end") or today
    root = (
        get_organisation_for(scope, data["org"]) if data.get("org") else organisations_visible_to(scope).order_by("depth", "path").first()
    )
    if root is None:
        raise PermissionDenied(NO_READS)
    qs = selectors.reads_in(scope, root, start=start, end=end)
    counts = selectors.read_counts(qs)
    page = paginate(request, qs)
    return render(request, "meetings/reads.html", {"form": form, "root": root, "start": start, "end": end, "counts": counts, "page": page})


@require_GET
def reminder_pdf(request: HttpRequest, org_id: int) -> HttpResponse:
    """The printable A4 重点工作提醒单 of a branch for a month (LIFE-017)."""
    scope = _scope(request)
    branch = get_organisation_for(scope, org_id)
    _require(permissions.can_view_compliance(scope), NO_ADMIN)
    if not branch.holds_members:
        raise Http404("提醒单按党支部生成")
    today = timezone.localdate()
    month = date(today.year, today.month, 1)
    text = request.GET.get("month", "")
    if len(text) == 7 and text[4] == "-" and text[:4].isdigit() and text[5:].isdigit() and 1 <= int(text[5:]) <= 12:
        month = date(int(text[:4]), int(text[5:]), 1)
    sheet = reminders.sheet_for_branch(branch, month)
    parent = parent_of(branch)
    content = reminders.draw_sheet(sheet, parent_name=parent.name if parent else "")
    return pdf_response(content, filename=f"{branch.name}{sheet.month_label}重点工作提醒单.pdf")


@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    """District policy: 党课 frequency (LIFE-004)."""
    scope = _scope(request)
    _require(permissions.can_change_settings(scope), NO_SETTINGS)
    current = LifeSettings.objects.filter(pk=1).first()
    form = SettingsForm(request.POST or None, initial={"lecture_months": current.lecture_months if current else 3})
    if request.method == "POST" and form.is_valid():
        try:
            services.update_settings(actor=request.user, lecture_months=form.cleaned_data["lecture_months"])
        except RuleViolation as exc:
            _add_violation(form, exc)
        else:
            messages.success(request, "已保存组织生活设置。")
            return redirect("meetings:settings")
    return render(request, "meetings/settings.html", {"form": form})
