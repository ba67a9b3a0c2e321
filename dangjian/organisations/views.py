"""Organisation pages: the tree, one organisation with its health and history, tree changes, imports.

Every view that takes an id loads it through ``get_organisation_for`` (404 outside the caller's
subtree) and then checks the role (403 with the reason); writes go through ``services``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django import forms
from django.apps import apps
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.audit.models import AuditAction
from dangjian.audit.services import client_ip
from dangjian.core.forms import UploadForm
from dangjian.core.importing import ImportProblem, ImportReport
from dangjian.core.rules import RuleViolation
from dangjian.core.scope import path_range
from dangjian.core.staging import stage_upload, take_upload
from dangjian.core.views import field_changes, paginate

from . import services
from .choices import ALLOWED_PARENTS, Affinity, CommitteePost, OrgKind, Sector
from .forms import DissolveForm, MoveForm, OrganisationEditForm, OrganisationForm, SeatForm
from .health import ROLLUP_RULES, Rollup, health_findings, health_for_many, level_of, rollup_by_prefix, worse
from .models import CommitteeSeat, Organisation
from .permissions import TREE_ROLES, can_change_organisation, can_import_organisations, can_restructure
from .selectors import (
    ancestors_of,
    children_of,
    current_seats,
    direct_member_counts,
    get_organisation_for,
    live_children_of,
    organisation_history,
    organisations_visible_to,
    parent_of,
    search_organisations,
    secretary_of,
    subtree_member_totals,
    tree_root_paths,
    tree_window,
)

NO_TREE_ROLE = "只有区委组织部管理员和党（工）委管理员可以调整组织设置；党支部书记如需调整，请联系上级党组织。"
NO_RESTRUCTURE = "不能移动或撤销您本人受权管理的组织，请由上级党组织管理员办理。"
IMPORT_KIND = "orgs"


def _add_violation(form: forms.Form, exc: RuleViolation) -> None:
    """Show a broken rule against its field when the form has that field, else above the form."""
    problems = getattr(exc, "problems", None) or [exc]
    for problem in problems:
        form.add_error(problem.field if problem.field in form.fields else None, problem.message)


def _require(allowed: bool, reason: str) -> None:
    if not allowed:
        raise PermissionDenied(reason)


def _health_level(findings: list[Any]) -> str:
    return level_of(findings)


@dataclass
class TreeNode:
    org: Organisation
    findings: list[Any]
    level: str
    root_depth: int
    open: bool = False
    children: list[TreeNode] = field(default_factory=list)
    # what the SQL rollup attributes to this node: its own members, and the organisations below it
    # that the page does not show (their number, how many have findings, the worst level)
    rolled: Rollup = field(default_factory=Rollup)
    total: int = 0  # members held anywhere in the subtree
    orgs_below: int = 0
    # organisations with findings anywhere below, and the worst level among them (shown when folded)
    flagged_below: int = 0
    level_below: str = "green"
    # filled by _build_tree once per page (a reverse() and get_kind_display() per node cost more
    # than the rest of the node's rendering on a 300-node page)
    url: str = ""
    children_url: str = ""
    kind_label: str = ""

    @property
    def full(self) -> int:
        """Full members held by this branch itself (groups below a branch hold none, ORG-017)."""
        return self.rolled.full

    @property
    def lazy(self) -> bool:
        """Children exist but are not on the page: fetched when the node is unfolded."""
        return not self.children and self.rolled.orgs > 0


def _build_tree(rows: list[Organisation], spans: list[tuple[str, int]], *, open_levels: int) -> tuple[list[TreeNode], dict[str, TreeNode]]:
    """Nodes for the shown rows (path order) with their own findings (Python, shown rows only) and
    the rollups of everything below them (SQL, grouped by path prefix): a constant number of queries."""
    on = date.today()
    findings = health_for_many(rows, on=on)
    rollups = rollup_by_prefix(spans, on=on)
    step = Organisation.steplen
    nodes: dict[str, TreeNode] = {}
    roots: list[TreeNode] = []
    detail_url, children_url = _url_for_pk("organisations:detail"), _url_for_pk("organisations:children")
    for org in rows:  # path order: a parent always comes before its children
        parent = nodes.get(org.path[:-step])
        own = findings.get(org.pk, [])
        node = TreeNode(
            org=org,
            findings=own,
            level=level_of(own),
            root_depth=parent.root_depth if parent else org.depth,
            url=detail_url(org.pk),
            children_url=children_url(org.pk),
            kind_label=KIND_LABELS.get(org.kind, org.kind),
        )
        node.open = org.depth - node.root_depth < open_levels
        nodes[org.path] = node
        (parent.children if parent else roots).append(node)
    for prefix, rollup in rollups.items():  # each group belongs to the deepest shown node above it
        for end in range(len(prefix), 0, -step):
            holder = nodes.get(prefix[:end])
            if holder is not None:
                holder.rolled = _add(holder.rolled, rollup)
                break
    for node in reversed(nodes.values()):  # children before parents
        node.total += node.rolled.members
        node.orgs_below += node.rolled.orgs
        node.flagged_below += node.rolled.flagged
        node.level_below = node.rolled.worst
        for child in node.children:
            node.total += child.total
            node.orgs_below += child.orgs_below + 1
            node.flagged_below += child.flagged_below + (1 if child.findings else 0)
            node.level_below = worse(worse(node.level_below, child.level_below), child.level)
    return roots, nodes


KIND_LABELS = dict(OrgKind.choices)
_PK_SENTINEL = 987654321


def _url_for_pk(name: str) -> Any:
    """``pk -> reverse(name, args=[pk])`` with one reverse() per page instead of one per node."""
    pattern = reverse(name, args=[_PK_SENTINEL])
    return lambda pk: pattern.replace(str(_PK_SENTINEL), str(pk))


def _add(a: Rollup, b: Rollup) -> Rollup:
    return Rollup(
        members=a.members + b.members,
        full=a.full + b.full,
        orgs=a.orgs + b.orgs,
        flagged=a.flagged + b.flagged,
        worst=worse(a.worst, b.worst),
    )


@require_GET
def tree(request: HttpRequest) -> HttpResponse:
    """The first levels of the caller's subtrees (as many whole levels as fit in TREE_NODE_BUDGET, at
    least the roots' children), each node with its rolled-up member total, its own health badge and
    the rolled-up findings below it; deeper levels unfold in place (``children``). Constant queries."""
    scope = request.scope  # type: ignore[attr-defined]
    _require(bool(scope.subtree_paths) or scope.is_superuser, "组织体系仅供党组织管理员和党支部书记查看。")
    rows, spans = tree_window(tree_root_paths(scope))
    roots, nodes = _build_tree(rows, spans, open_levels=2)
    return render(
        request,
        "organisations/tree.html",
        {
            "roots": roots,
            "org_count": len(nodes) + sum(n.rolled.orgs for n in nodes.values()),
            "flagged": sum(1 for n in nodes.values() if n.findings) + sum(n.rolled.flagged for n in nodes.values()),
            "folded": any(n.lazy for n in nodes.values()),
            "rollup_rules": "、".join(ROLLUP_RULES),
            "can_import": can_import_organisations(scope),
        },
    )


@require_GET
def children(request: HttpRequest, pk: int) -> HttpResponse:
    """The children of one organisation as tree nodes (the htmx fragment a folded node loads; as a
    page without htmx it redirects to the organisation, whose page lists its children)."""
    scope = request.scope  # type: ignore[attr-defined]
    org = get_organisation_for(scope, pk)
    if not request.headers.get("HX-Request"):
        return redirect("organisations:detail", pk=org.pk)
    rows = live_children_of(org)
    _roots, nodes = _build_tree(rows, [(org.path, len(org.path) + Organisation.steplen)], open_levels=0)
    return render(request, "organisations/_tree_children.html", {"nodes": [nodes[o.path] for o in rows]})


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    scope = request.scope  # type: ignore[attr-defined]
    text = request.GET.get("q", "").strip()
    results = search_organisations(scope, text, limit=50)
    return render(request, "organisations/search.html", {"q": text, "results": results})


@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One organisation: facts, committee, health findings, children with their member totals."""
    scope = request.scope  # type: ignore[attr-defined]
    org = get_organisation_for(scope, pk)
    ancestors = ancestors_of(org)
    post_order = {value: i for i, value in enumerate(CommitteePost.values)}
    seats = sorted(current_seats([org.pk])[org.pk], key=lambda seat: (post_order.get(seat.post, 99), seat.started_on or date.min))
    children = list(children_of(org))
    totals = subtree_member_totals([org, *children])
    child_findings = health_for_many(children)
    child_rows = [
        {
            "org": c,
            "total": totals.get(c.pk, 0),
            "findings": child_findings.get(c.pk, []),
            "level": _health_level(child_findings.get(c.pk, [])),
        }
        for c in children
    ]
    findings = health_findings(org)
    direct_total, direct_full = direct_member_counts([org.pk]).get(org.pk, (0, 0)) if org.holds_members else (0, 0)
    return render(
        request,
        "organisations/detail.html",
        {
            "org": org,
            "ancestors": [(a, scope.covers_path(a.path)) for a in ancestors],
            "seats": seats,
            "secretary": secretary_of(seats),
            "findings": findings,
            "level": _health_level(findings),
            "children": child_rows,
            "subtree_total": totals.get(org.pk, 0),
            "direct_total": direct_total,
            "direct_full": direct_full,
            "units": list(org.units.order_by("name")),
            "can_change": can_change_organisation(scope, org) and not org.is_dissolved,
            "can_restructure": can_restructure(scope, org) and not org.is_dissolved,
            "can_add_child": can_change_organisation(scope, org) and not org.is_dissolved and bool(_child_kinds(org.kind)),
        },
    )


def _child_kinds(kind: str) -> list[str]:
    return [k for k, parents in ALLOWED_PARENTS.items() if kind in parents]


@require_http_methods(["GET", "POST"])
def create_child(request: HttpRequest, pk: int) -> HttpResponse:
    scope = request.scope  # type: ignore[attr-defined]
    parent = get_organisation_for(scope, pk)
    _require(can_change_organisation(scope, parent), NO_TREE_ROLE)
    if parent.is_dissolved:
        raise PermissionDenied(f"“{parent.name}”已撤销，不能在其下新建组织。")
    form = OrganisationForm(request.POST or None, parent_kind=parent.kind)
    if request.method == "POST" and form.is_valid():
        try:
            org = services.create_organisation(actor=request.user, parent_id=parent.pk, values=form.values(), ip=client_ip(request))
        except RuleViolation as exc:
            _add_violation(form, exc)
        else:
            messages.success(request, f"已在“{parent.name}”下新建“{org.name}”（{org.code}）。")
            return redirect("organisations:detail", pk=org.pk)
    return render(request, "organisations/form.html", {"form": form, "parent": parent, "title": f"在“{parent.name}”下新建组织"})


@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    scope = request.scope  # type: ignore[attr-defined]
    org = get_organisation_for(scope, pk)
    _require(can_change_organisation(scope, org), NO_TREE_ROLE)
    if org.is_dissolved:
        raise PermissionDenied(f"“{org.name}”已于{org.dissolved_on}撤销，不能再修改。")
    parent = parent_of(org)
    initial = {f: getattr(org, f) for f in services.EDITABLE_FIELDS}
    form = OrganisationEditForm(request.POST or None, initial=initial, parent_kind=parent.kind if parent else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_organisation(
                actor=request.user,
                organisation_id=org.pk,
                values=form.values(),
                comment=form.cleaned_data["comment"],
                ip=client_ip(request),
            )
        except RuleViolation as exc:
            _add_violation(form, exc)
        else:
            messages.success(request, f"已保存“{form.cleaned_data['name']}”的修改，变更已记入组织历史。")
            return redirect("organisations:detail", pk=org.pk)
    return render(request, "organisations/form.html", {"form": form, "org": org, "title": f"修改“{org.name}”"})


def _move_targets(scope: Any, org: Organisation) -> list[tuple[int, str]]:
    """Organisations the caller administers where ``org``'s kind may sit (ORG-019), outside its own subtree."""
    current_parent = org.path[: -Organisation.steplen]
    rows = (
        organisations_visible_to(scope, include_dissolved=False)
        .filter(scope.orgs_q(roles=TREE_ROLES), kind__in=[str(k) for k in ALLOWED_PARENTS.get(org.kind, ())])
        .exclude(path__range=path_range(org.path))
        .exclude(path=current_parent)
        .order_by("path")
        .values_list("pk", "name", "code", "depth", "kind")
    )
    return [(pk, f"{'　' * max(depth - 1, 0)}{name}（{OrgKind(kind).label}，{code}）") for pk, name, code, depth, kind in rows]


@require_http_methods(["GET", "POST"])
def move(request: HttpRequest, pk: int) -> HttpResponse:
    scope = request.scope  # type: ignore[attr-defined]
    org = get_organisation_for(scope, pk)
    _require(can_change_organisation(scope, org), NO_TREE_ROLE)
    _require(can_restructure(scope, org), NO_RESTRUCTURE)
    form = MoveForm(request.POST or None, targets=_move_targets(scope, org))
    if request.method == "POST" and form.is_valid():
        try:
            services.move_organisation(
                actor=request.user,
                organisation_id=org.pk,
                new_parent_id=form.cleaned_data["new_parent"],
                comment=form.cleaned_data["comment"],
                ip=client_ip(request),
            )
        except RuleViolation as exc:
            _add_violation(form, exc)
        else:
            target = dict(form.fields["new_parent"].choices)[form.cleaned_data["new_parent"]].strip()
            messages.success(request, f"已将“{org.name}”连同其下级组织和党员移动到{target}之下。")
            return redirect("organisations:detail", pk=org.pk)
    subtree_orgs = Organisation.objects.filter(path__range=path_range(org.path)).count() - 1
    return render(
        request,
        "organisations/move.html",
        {
            "form": form,
            "org": org,
            "parent": parent_of(org),
            "subtree_orgs": subtree_orgs,
            "subtree_members": subtree_member_totals([org])[org.pk],
        },
    )


@require_http_methods(["GET", "POST"])
def dissolve(request: HttpRequest, pk: int) -> HttpResponse:
    scope = request.scope  # type: ignore[attr-defined]
    org = get_organisation_for(scope, pk)
    _require(can_change_organisation(scope, org), NO_TREE_ROLE)
    _require(can_restructure(scope, org), NO_RESTRUCTURE)
    form = DissolveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.dissolve_organisation(
                actor=request.user,
                organisation_id=org.pk,
                on=form.cleaned_data["on"],
                comment=form.cleaned_data["comment"],
                ip=client_ip(request),
            )
        except RuleViolation as exc:
            _add_violation(form, exc)
        else:
            messages.success(request, f"已撤销“{org.name}”，撤销记录已记入组织历史。")
            return redirect("organisations:detail", pk=org.pk)
    return render(
        request, "organisations/dissolve.html", {"form": form, "org": org, "subtree_members": subtree_member_totals([org])[org.pk]}
    )


ORG_LABELS = {"parent_code": "上级组织代码", "committee": "委员", "dissolved_on": "撤销日期"}
ORG_VALUES = {"kind": dict(OrgKind.choices), "sector": dict(Sector.choices), "affinity": dict(Affinity.choices)}


@require_GET
def history(request: HttpRequest, pk: int) -> HttpResponse:
    scope = request.scope  # type: ignore[attr-defined]
    org = get_organisation_for(scope, pk)
    page = paginate(request, organisation_history(org))
    actions = dict(AuditAction.choices)
    for event in page:
        event.action_label = actions.get(event.action, event.action)  # type: ignore[attr-defined]
        event.changes = field_changes(event.before, event.after, model=Organisation, labels=ORG_LABELS, values=ORG_VALUES)  # type: ignore[attr-defined]
    return render(request, "organisations/history.html", {"org": org, "page": page})


def _seat_member_choices(org: Organisation) -> list[tuple[int, str]]:
    """Members held in ``org``'s subtree (inside the caller's scope, since ``org`` is)."""
    member_model = apps.get_model("members", "Member")
    rows = (
        member_model.objects.filter(organisation__path__range=path_range(org.path))
        .order_by("organisation__path", "name", "pk")
        .values_list("pk", "name", "organisation__name")
    )
    return [(pk, f"{name}（{org_name}）") for pk, name, org_name in rows]


@require_http_methods(["GET", "POST"])
def seat_add(request: HttpRequest, pk: int) -> HttpResponse:
    scope = request.scope  # type: ignore[attr-defined]
    org = get_organisation_for(scope, pk)
    _require(can_change_organisation(scope, org), NO_TREE_ROLE)
    if org.is_dissolved:
        raise PermissionDenied(f"“{org.name}”已撤销，不能再任命委员。")
    form = SeatForm(request.POST or None, member_choices=_seat_member_choices(org))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            seat = services.appoint_seat(
                actor=request.user,
                organisation_id=org.pk,
                post=data["post"],
                member_id=data["member"],
                person_name=data["person_name"],
                is_part_time=data["is_part_time"],
                started_on=data["started_on"],
                ip=client_ip(request),
            )
        except RuleViolation as exc:
            _add_violation(form, exc)
        else:
            messages.success(request, f"已任命{seat.holder_name}为“{org.name}”{seat.get_post_display()}。")
            return redirect("organisations:detail", pk=org.pk)
    return render(request, "organisations/seat_form.html", {"form": form, "org": org})


@require_POST
def seat_end(request: HttpRequest, seat_pk: int) -> HttpResponse:
    scope = request.scope  # type: ignore[attr-defined]
    seat = scope.filter(CommitteeSeat.objects.select_related("organisation", "member"), prefix="organisation__").filter(pk=seat_pk).first()
    if seat is None:
        raise Http404("未找到该委员任职记录")
    _require(can_change_organisation(scope, seat.organisation), NO_TREE_ROLE)
    try:
        on = date.fromisoformat(request.POST["on"]) if request.POST.get("on") else None
    except ValueError:
        on = None
        messages.error(request, f"离任日期“{request.POST['on']}”格式不正确，应为 年-月-日。")
        return redirect("organisations:detail", pk=seat.organisation_id)
    try:
        services.end_seat(actor=request.user, seat_id=seat.pk, on=on, ip=client_ip(request))
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{seat.holder_name}已从“{seat.organisation.name}”{seat.get_post_display()}职务离任。")
    return redirect("organisations:detail", pk=seat.organisation_id)


# --- organisation import (ISSUE 3 point 8): upload → dry run preview → confirm -----------------


def _import_organisations(**kwargs: Any) -> Any:
    from .importing import import_organisations  # written alongside; imported late so the pages load without it

    try:
        return import_organisations(**kwargs)
    except RuleViolation as exc:  # refused as a whole (rights, dissolved target): shown like a file problem
        return ImportReport(dry_run=kwargs.get("dry_run", False), errors=[ImportProblem(0, exc.field or "", exc.message)])


@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest) -> HttpResponse:
    """Upload → preview (nothing written) → "确认导入" posts the staged token back here."""
    scope = request.scope  # type: ignore[attr-defined]
    _require(can_import_organisations(scope), "只有区委组织部管理员和党（工）委管理员可以导入组织。")
    user_id = request.user.pk
    if request.method == "POST" and request.POST.get("token"):
        staged = take_upload(kind=IMPORT_KIND, user_id=user_id, token=request.POST["token"])
        if staged is None:
            messages.error(request, "该导入已确认过或已超过 2 小时未确认，请重新上传文件。")
            return redirect("organisations:import")
        report = _import_organisations(
            actor=request.user, scope=scope, data=staged.data, filename=staged.filename, dry_run=False, ip=client_ip(request)
        )
        if report.errors:
            return render(request, "organisations/import.html", {"form": UploadForm(), "report": report, "filename": staged.filename})
        messages.success(request, f"组织导入完成：新增 {report.created} 个，更新 {report.updated} 个，无变化 {report.unchanged} 个。")
        return redirect("organisations:tree")
    form = UploadForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        report = _import_organisations(
            actor=request.user, scope=scope, data=data, filename=upload.name, dry_run=True, ip=client_ip(request)
        )
        context.update(report=report, filename=upload.name)
        if not report.errors:
            context["token"] = stage_upload(kind=IMPORT_KIND, user_id=user_id, data=data, filename=upload.name)
    return render(request, "organisations/import.html", context)


ORG_TEMPLATE_COLUMNS = ("组织名称", "组织代码", "上级组织代码", "组织类别", "成立日期")


@require_GET
def import_template(request: HttpRequest) -> HttpResponse:
    """The organisation import template: the five columns, an example row, the kinds to choose from."""
    scope = request.scope  # type: ignore[attr-defined]
    _require(can_import_organisations(scope), "只有区委组织部管理员和党（工）委管理员可以导入组织。")
    try:
        from .importing import organisations_template_xlsx as builder  # type: ignore[attr-defined]
    except ImportError:  # the import module keeps no template of its own: build the five columns here
        builder = _template_xlsx
    data = builder()
    return _xlsx_response(data, "组织导入模板.xlsx")


def _template_xlsx() -> bytes:
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "组织"
    sheet.append(list(ORG_TEMPLATE_COLUMNS))
    sheet.append(["示例社区党委", "110101-001-01", "110101-001", OrgKind.COMMUNITY_COMMITTEE.label, "2015-07-01"])
    for column, width in zip("ABCDE", (28, 18, 18, 16, 14), strict=True):
        sheet.column_dimensions[column].width = width
    kinds = book.create_sheet("组织类别")
    kinds.append(["组织类别（填写以下名称之一）"])
    for _, label in OrgKind.choices:
        kinds.append([label])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_response(data: bytes, filename: str) -> HttpResponse:
    from django.utils.http import content_disposition_header

    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response
