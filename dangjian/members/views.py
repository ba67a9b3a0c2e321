"""Member registry pages: list with search and filters, record, create/edit, unmask, history, export, import.

Every view that takes an id loads the member through ``get_member_for`` (404 outside the caller's
subtree), then checks the role (403 with the reason). Personal data is masked on every page;
plain values appear only in the response to an audited unmask POST, never in a URL.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.accounts.choices import UNMASK_ROLES
from dangjian.audit.models import AuditAction
from dangjian.audit.services import client_ip
from dangjian.core.idnumber import normalise_id_number
from dangjian.core.importing import ImportProblem, ImportReport
from dangjian.core.masking import mask_id_number, mask_phone
from dangjian.core.rules import RuleViolation
from dangjian.core.staging import discard_upload, stage_upload, take_upload
from dangjian.core.views import field_changes, paginate
from dangjian.organisations.choices import GROUP_KINDS
from dangjian.organisations.selectors import branches_visible_to, get_organisation_for, organisation_choices, organisations_visible_to

from . import services
from .choices import Category, Education, ExemptionReason, Gender, MemberStatus, PartyRepLevel
from .forms import PII_FIELDS, ExportForm, MemberFilterForm, MemberForm, RosterImportForm, UnmaskForm
from .models import Member
from .normalise import normalise_phone
from .permissions import can_manage_members, can_unmask, can_view_registry
from .selectors import (
    blind_lookup,
    filter_members,
    for_list_page,
    get_member_for,
    list_row,
    masked,
    member_flags,
    member_history,
    members_visible_to,
)

NO_REGISTRY = "党员名册仅供党组织管理员和党支部书记查看。您可以在“我的信息”查看本人的党员信息。"
NO_MANAGE = "只有本组织的党组织管理员或党支部书记可以修改党员信息；如本人信息有误，请联系所在党支部书记更正。"
IMPORT_KIND = "roster"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_UNMASK = tuple(str(r) for r in UNMASK_ROLES)


def _add_violation(form: forms.Form, exc: RuleViolation) -> None:
    """Each problem against its own field (MemberInvalid carries several), the rest above the form."""
    for problem in getattr(exc, "problems", None) or [exc]:
        form.add_error(problem.field if problem.field in form.fields else None, problem.message)


def _require(allowed: bool, reason: str) -> None:
    if not allowed:
        raise PermissionDenied(reason)


def _filter_form(request: HttpRequest, scope: Any) -> MemberFilterForm:
    return MemberFilterForm(request.GET, organisations=organisation_choices(scope))


# An ID number or phone typed into the search box must never reach a URL (browser history, proxy
# and server logs): the search form is POSTed and answered with a redirect whose query string
# carries the keyed blind index of the number (as stored beside it) and its masked form instead.
BLIND_KEYS = {"idkey": "id_number", "phonekey": "phone"}
_DIGEST = re.compile(r"^[0-9a-f]{32,128}$")


def _search_redirect(request: HttpRequest, scope: Any) -> HttpResponse:
    """POSTed search and filters → the GET list URL, with ID numbers and phones replaced by their keys."""
    form = MemberFilterForm(request.POST, organisations=organisation_choices(scope))
    form.is_valid()
    params = QueryDict(mutable=True)
    for name in ("org", "status", "category", "gender", "sort"):
        value = request.POST.get(name, "")
        if value and name not in form.errors:
            params[name] = value
    if "flags" not in form.errors:
        params.setlist("flags", request.POST.getlist("flags"))
    text = (request.POST.get("q") or "").strip()
    compact_id, digits = normalise_id_number(text), normalise_phone(text)
    if len(compact_id) == 18 and compact_id[:17].isdigit():
        params.update({"idkey": blind_lookup("id_number", compact_id) or "", "shown": mask_id_number(compact_id)})
    elif len(digits) >= 7 and digits == re.sub(r"[\s+-]", "", text):
        params.update({"phonekey": blind_lookup("phone", digits) or "", "shown": mask_phone(digits)})
    elif text:
        params["q"] = text
    elif request.POST.get("keep") and request.POST.get("shown"):  # other filters changed, number search kept
        for key in BLIND_KEYS:
            if _DIGEST.match(request.POST.get(key, "")):
                params.update({key: request.POST[key], "shown": request.POST["shown"]})
    return redirect(f"{reverse('members:list')}?{params.urlencode()}" if params else reverse("members:list"))


def _number_search(request: HttpRequest) -> tuple[str, str, str] | None:
    """(model field of the blind index, digest, masked number) when the list is searched by number."""
    for key, field in BLIND_KEYS.items():
        digest = request.GET.get(key, "")
        if _DIGEST.match(digest):
            return field, digest, request.GET.get("shown", "")[:30]
    return None


def _listed_members(request: HttpRequest, scope: Any, form: MemberFilterForm) -> QuerySet[Member]:
    """The members the list (and its export) shows for this query string, always inside the scope."""
    members = filter_members(scope, form.filters())
    number = _number_search(request)
    if number is not None:
        field, digest, _ = number
        members = members.filter(**{f"{field}_hash": digest})
    return members


@require_http_methods(["GET", "POST"])
def member_list(request: HttpRequest) -> HttpResponse:
    """Search, filter, sort and page through the members in scope; masked personal data in every row."""
    scope = request.scope  # type: ignore[attr-defined]
    _require(can_view_registry(scope), NO_REGISTRY)
    if request.method == "POST":
        return _search_redirect(request, scope)
    form = _filter_form(request, scope)
    filters = form.filters()
    number = _number_search(request)
    page = paginate(request, for_list_page(_listed_members(request, scope, form)), cached_total=True)
    rows = [list_row(values) for values in page]
    empty_registry = not rows and not form.is_filtered and number is None and not members_visible_to(scope).exists()
    return render(
        request,
        "members/list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "sorts": _sort_links(filters.sort),
            "is_filtered": form.is_filtered or number is not None,
            "number_search": number,
            "empty_registry": empty_registry,
            "can_create": can_view_registry(scope),
            "can_export_full": scope.is_superuser or bool(scope.paths_for(*_UNMASK)),
            "export_form": ExportForm(),
        },
    )


def _sort_links(current: str) -> dict[str, dict[str, str]]:
    """Per sortable column: the sort value its header link sets, and its aria-sort state."""
    links = {}
    for key in ("name", "birth_date", "join_date", "organisation"):
        if current == key:
            links[key] = {"next": f"-{key}", "state": "ascending", "arrow": "↑"}
        elif current == f"-{key}":
            links[key] = {"next": key, "state": "descending", "arrow": "↓"}
        else:
            links[key] = {"next": key, "state": "", "arrow": ""}
    return links


def _detail_context(
    request: HttpRequest, member: Member, *, plain: dict[str, str] | None = None, form: UnmaskForm | None = None
) -> dict[str, Any]:
    scope = request.scope  # type: ignore[attr-defined]
    shown = {**masked(member), **(plain or {})}
    return {
        "member": member,
        "shown": shown,
        "plain": bool(plain),
        "flags": member_flags(member),
        "is_self": scope.member_id == member.pk,
        "can_unmask": can_unmask(scope, member),
        "can_edit": can_manage_members(scope, member.organisation.path),
        "org_visible": scope.covers_path(member.organisation.path),
        "unmask_form": form or UnmaskForm(),
    }


@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_member_for(request.scope, pk)  # type: ignore[attr-defined]
    return render(request, "members/detail.html", _detail_context(request, member))


@require_GET
def me(request: HttpRequest) -> HttpResponse:
    """The caller's own record (a member sees, and may unmask, their own data; PII-008)."""
    scope = request.scope  # type: ignore[attr-defined]
    if not scope.member_id:
        return render(request, "members/me_missing.html")
    member = get_member_for(scope, scope.member_id)
    return render(request, "members/detail.html", _detail_context(request, member))


@never_cache
@require_POST
def unmask(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the plain personal data once, in this response only; the service writes one audit row."""
    scope = request.scope  # type: ignore[attr-defined]
    member = get_member_for(scope, pk)
    _require(can_unmask(scope, member), "您的角色不能查看该党员的完整个人信息。")
    form = UnmaskForm(request.POST)
    plain = None
    if form.is_valid():
        try:
            plain = services.unmask_member(actor=request.user, member=member, reason=form.cleaned_data["reason"], ip=client_ip(request))
        except RuleViolation as exc:
            _add_violation(form, exc)
    response = render(
        request, "members/detail.html", _detail_context(request, member, plain=plain, form=form), status=200 if plain else 422
    )
    response["Cache-Control"] = "no-store"
    return response


def _organisation_choices(scope: Any) -> list[tuple[int, str]]:
    return [(o.pk, f"{o.name}（{o.code}）") for o in branches_visible_to(scope).order_by("path")]


def _group_choices(scope: Any) -> list[tuple[int, str]]:
    groups = organisations_visible_to(scope, include_dissolved=False).filter(kind__in=[str(k) for k in GROUP_KINDS]).order_by("path")
    return [(o.pk, o.name) for o in groups]


def _with_organisations(scope: Any, values: dict[str, Any]) -> dict[str, Any]:
    """Replace the chosen ids by organisations, looked up inside the caller's scope only."""
    ids = [values.get("organisation"), values.get("group")]
    found = {o.pk: o for o in organisations_visible_to(scope, include_dissolved=False).filter(pk__in=[i for i in ids if i])}
    values["organisation"] = found.get(values.get("organisation"))  # type: ignore[arg-type]
    values["group"] = found.get(values.get("group")) if values.get("group") else None  # type: ignore[arg-type]
    return values


@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    scope = request.scope  # type: ignore[attr-defined]
    _require(can_view_registry(scope), "只有党组织管理员和党支部书记可以登记党员。")
    organisations = _organisation_choices(scope)
    initial = {}
    if len(organisations) == 1:  # a branch secretary's only branch
        initial["organisation"] = organisations[0][0]
    elif request.GET.get("org", "").isdigit() and int(request.GET["org"]) in dict(organisations):
        initial["organisation"] = int(request.GET["org"])
    form = MemberForm(request.POST or None, initial=initial, organisations=organisations, groups=_group_choices(scope))
    if request.method == "POST" and form.is_valid():
        values = _with_organisations(scope, form.values())
        try:
            member = services.create_member(actor=request.user, values=values, ip=client_ip(request))
        except RuleViolation as exc:
            _add_violation(form, exc)
        else:
            messages.success(request, f"已登记党员{member.name}（{member.organisation.name}）。")
            return redirect("members:detail", pk=member.pk)
    return render(request, "members/form.html", {"form": form, "title": "登记党员"})


@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    scope = request.scope  # type: ignore[attr-defined]
    member = get_member_for(scope, pk)
    _require(can_manage_members(scope, member.organisation.path), NO_MANAGE)
    initial = {f: getattr(member, f) for f in services.MEMBER_FIELDS if f not in PII_FIELDS and f not in {"organisation", "group"}}
    initial.update(organisation=member.organisation_id, group=member.group_id)
    form = MemberForm(
        request.POST or None,
        initial=initial,
        organisations=_organisation_choices(scope),
        groups=_group_choices(scope),
        masked=masked(member),
    )
    if request.method == "POST" and form.is_valid():
        values = _with_organisations(scope, form.values())
        try:
            services.update_member(
                actor=request.user, member_id=member.pk, values=values, comment=form.cleaned_data["comment"], ip=client_ip(request)
            )
        except RuleViolation as exc:
            _add_violation(form, exc)
        else:
            messages.success(request, f"已保存{form.cleaned_data['name']}的信息修改，变更已记入党员信息变更记录。")
            return redirect("members:detail", pk=member.pk)
    return render(request, "members/form.html", {"form": form, "member": member, "title": f"修改{member.name}的信息"})


MEMBER_VALUES: dict[str, dict[Any, str]] = {
    "gender": dict(Gender.choices),
    "status": dict(MemberStatus.choices),
    "education": dict(Education.choices),
    "category": dict(Category.choices),
    "exemption_reason": dict(ExemptionReason.choices),
    "party_rep_level": dict(PartyRepLevel.choices),
}


@require_GET
def history(request: HttpRequest, pk: int) -> HttpResponse:
    scope = request.scope  # type: ignore[attr-defined]
    member = get_member_for(scope, pk)
    page = paginate(request, member_history(member))
    org_ids = {v for e in page for d in (e.before or {}, e.after or {}) for k, v in d.items() if k in {"organisation", "group"} and v}
    org_names = dict(organisations_visible_to(scope).filter(pk__in=org_ids).values_list("pk", "name")) if org_ids else {}
    values = {**MEMBER_VALUES, "organisation": org_names, "group": org_names}
    actions = dict(AuditAction.choices)
    for event in page:
        event.action_label = actions.get(event.action, event.action)  # type: ignore[attr-defined]
        event.changes = field_changes(event.before, event.after, model=Member, values=values)  # type: ignore[attr-defined]
    return render(request, "members/history.html", {"member": member, "page": page})


@require_http_methods(["GET", "POST"])
def export(request: HttpRequest) -> HttpResponse:
    """The filtered list (same query string as the page) as Excel; masked unless a reason is POSTed."""
    from .exporting import export_members_xlsx  # written alongside; imported late so the pages load without it

    scope = request.scope  # type: ignore[attr-defined]
    _require(can_view_registry(scope), "只有党组织管理员和党支部书记可以导出党员名册。")
    members = _listed_members(request, scope, _filter_form(request, scope))
    unmasked, reason = False, ""
    if request.method == "POST":
        _require(scope.is_superuser or bool(scope.paths_for(*_UNMASK)), "您的角色不能导出完整个人信息。")
        form = ExportForm(request.POST)
        if not form.is_valid():
            messages.error(request, "导出完整信息须填写导出事由，请填写后重新导出。")
            return redirect(f"{reverse('members:list')}?{request.GET.urlencode()}")
        unmasked, reason = True, form.cleaned_data["reason"]
    try:
        data = export_members_xlsx(
            actor=request.user, scope=scope, members=members, unmasked=unmasked, reason=reason, ip=client_ip(request)
        )
    except RuleViolation as exc:
        messages.error(request, exc.message)
        return redirect(f"{reverse('members:list')}?{request.GET.urlencode()}")
    name = "党员名册（完整信息）.xlsx" if unmasked else "党员名册.xlsx"
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    response["Cache-Control"] = "no-store"
    return response


# --- roster import (ISSUE 3 point 7): upload → dry run preview → confirm ------------------------


def _import_roster(**kwargs: Any) -> Any:
    from .importing import import_roster  # written alongside; imported late so the pages load without it

    try:
        return import_roster(**kwargs)
    except RuleViolation as exc:  # refused as a whole (rights, dissolved target): shown like a file problem
        return ImportReport(dry_run=kwargs.get("dry_run", False), errors=[ImportProblem(0, exc.field or "", exc.message)])


def _import_choices(scope: Any) -> list[tuple[int, str]]:
    return organisation_choices(scope)


@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest) -> HttpResponse:
    """Upload a roster and see the dry run: what would be created/updated, or every row error."""
    scope = request.scope  # type: ignore[attr-defined]
    _require(can_view_registry(scope), "只有党组织管理员和党支部书记可以导入花名册。")
    organisations = _import_choices(scope)
    initial = {}
    if len(organisations) == 1:
        initial["organisation"] = organisations[0][0]
    elif request.GET.get("org", "").isdigit():
        initial["organisation"] = int(request.GET["org"])
    form = RosterImportForm(request.POST or None, request.FILES or None, initial=initial, organisations=organisations)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        org = get_organisation_for(scope, form.cleaned_data["organisation"])
        _require(can_manage_members(scope, org.path), f"您不能向“{org.name}”导入党员。")
        upload = form.cleaned_data["file"]
        data = upload.read()
        report = _import_roster(
            actor=request.user, scope=scope, org=org, data=data, filename=upload.name, dry_run=True, ip=client_ip(request)
        )
        context.update(report=report, filename=upload.name, org=org)
        if not report.errors:
            context["token"] = stage_upload(
                kind=IMPORT_KIND, user_id=request.user.pk, data=data, filename=upload.name, meta={"org": org.pk}
            )
    return render(request, "members/import.html", context)


@require_POST
def import_confirm(request: HttpRequest) -> HttpResponse:
    """Run the staged roster for real (all or nothing) and report the counts."""
    scope = request.scope  # type: ignore[attr-defined]
    _require(can_view_registry(scope), "只有党组织管理员和党支部书记可以导入花名册。")
    token = request.POST.get("token", "")
    if request.POST.get("cancel"):
        discard_upload(kind=IMPORT_KIND, user_id=request.user.pk, token=token)
        messages.info(request, "已放弃本次导入，没有写入任何数据。")
        return redirect("members:import")
    staged = take_upload(kind=IMPORT_KIND, user_id=request.user.pk, token=token)
    if staged is None:
        messages.error(request, "该导入已确认过或已超过 2 小时未确认，请重新上传花名册。")
        return redirect("members:import")
    try:
        org = get_organisation_for(scope, int(staged.meta.get("org") or 0))
    except Http404:
        messages.error(request, "导入目标组织已不在您的管理范围内，没有写入任何数据。")
        return redirect("members:import")
    _require(can_manage_members(scope, org.path), f"您不能向“{org.name}”导入党员。")
    report = _import_roster(
        actor=request.user, scope=scope, org=org, data=staged.data, filename=staged.filename, dry_run=False, ip=client_ip(request)
    )
    if report.errors:
        form = RosterImportForm(initial={"organisation": org.pk}, organisations=_import_choices(scope))
        return render(request, "members/import.html", {"form": form, "report": report, "filename": staged.filename, "org": org}, status=422)
    messages.success(
        request, f"花名册导入完成（{org.name}）：新增 {report.created} 人，更新 {report.updated} 人，无变化 {report.unchanged} 人。"
    )
    return redirect(f"{reverse('members:list')}?org={org.pk}")


@require_GET
def import_template(request: HttpRequest) -> HttpResponse:
    from .exporting import roster_template_xlsx

    _require(can_view_registry(request.scope), "只有党组织管理员和党支部书记可以导入花名册。")  # type: ignore[attr-defined]
    response = HttpResponse(roster_template_xlsx(), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename="党员花名册模板.xlsx")
    return response
