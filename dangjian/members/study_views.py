"""Study topic pages (推送党建学习专题): publish to a subtree, the admins' list with delivered / opened
per branch, a member's reading page, and the attachment served behind a permission check.

Reading a topic records only that it was opened, once; there is no timer, study time, check-in or
screenshot anywhere (LIFE-020, LIFE-022, LIFE-024), and the counts are per branch only (LIFE-023).
"""

from __future__ import annotations

import os

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from dangjian.audit.services import client_ip
from dangjian.core.rules import RuleViolation
from dangjian.core.views import paginate
from dangjian.notifications.attachments import CONTENT_TYPES, TYPE_NAMES, extension
from dangjian.notifications.forms import StudyTopicForm
from dangjian.organisations.selectors import organisations_visible_to

from . import study

NO_PUBLISH = "只有党组织管理员和党支部书记可以推送学习专题；党员可以在这里阅读收到的学习专题。"


def _organisation_choices(scope: object) -> list[tuple[int, str]]:
    """Live organisations the caller may publish to, indented in tree order."""
    rows = (
        organisations_visible_to(scope, include_dissolved=False)  # type: ignore[arg-type]
        .filter(scope.orgs_q(roles=study.PUBLISH_ROLES))  # type: ignore[attr-defined]
        .order_by("path")
        .values_list("pk", "name", "depth")
    )
    return [(pk, "　" * max(depth - 1, 0) + name) for pk, name, depth in rows]


@require_GET
def topic_list(request: HttpRequest) -> HttpResponse:
    """Admins: topics of their subtrees with delivered / opened there. Members: topics they received."""
    scope = request.scope  # type: ignore[attr-defined]
    can_publish = study.can_publish_study_topic(scope)
    context: dict[str, object] = {"can_publish": can_publish}
    if can_publish:
        page = paginate(request, study.study_topics_administered_by(scope).select_related("organisation").order_by("-published_at", "-pk"))
        totals = study.topic_totals([t.pk for t in page], scope)
        context["page"] = page
        context["rows"] = [{"topic": t, "delivered": totals.get(t.pk, (0, 0))[0], "opened": totals.get(t.pk, (0, 0))[1]} for t in page]
    if scope.member_id:
        mine = list(study.study_topics_for_member(scope.member_id).select_related("organisation")[:50])
        context["mine"] = mine
    if not can_publish and not scope.member_id:
        raise PermissionDenied(NO_PUBLISH)
    return render(request, "notifications/study_list.html", context)


@require_http_methods(["GET", "POST"])
def publish(request: HttpRequest) -> HttpResponse:
    scope = request.scope  # type: ignore[attr-defined]
    if not study.can_publish_study_topic(scope):
        raise PermissionDenied(NO_PUBLISH)
    organisations = _organisation_choices(scope)
    initial = {"organisation": organisations[0][0]} if len(organisations) == 1 else {}
    form = StudyTopicForm(request.POST or None, request.FILES or None, initial=initial, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            topic = study.publish_study_topic(
                actor=request.user,
                scope=scope,
                organisation_id=data["organisation"],
                title=data["title"],
                body=data["body"],
                links=data["links"],
                attachment=data["attachment"],
                ip=client_ip(request),
            )
        except RuleViolation as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            counts = study.study_topic_counts(topic, scope)
            messages.success(
                request, f"已向“{topic.organisation.name}”推送学习专题《{topic.title}》，共 {sum(c.delivered for c in counts)} 名党员。"
            )
            return redirect("study:detail", pk=topic.pk)
    return render(request, "notifications/study_form.html", {"form": form}, status=422 if form.errors else 200)


@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The topic; a recipient's first opening is recorded (once), an admin sees the per-branch counts."""
    scope = request.scope  # type: ignore[attr-defined]
    access = study.get_study_topic_for(scope, pk)
    if access.delivery is not None and access.delivery.opened_at is None:
        study.open_study_topic(member=scope.member_id, topic_id=access.topic.pk)
    topic = access.topic
    counts = study.study_topic_counts(topic, scope) if access.is_admin else []
    attachment = None
    if topic.attachment:
        name = os.path.basename(topic.attachment.name)
        attachment = {"name": name, "type": TYPE_NAMES.get(extension(name), "文件"), "size": _size(topic)}
    return render(
        request,
        "notifications/study_detail.html",
        {
            "topic": topic,
            "links": [line for line in topic.links.splitlines() if line.strip()],
            "attachment": attachment,
            "is_admin": access.is_admin,
            "counts": counts,
            "total_delivered": sum(c.delivered for c in counts),
            "total_opened": sum(c.opened for c in counts),
        },
    )


def _size(topic: object) -> str:
    try:
        size = topic.attachment.size  # type: ignore[attr-defined]
    except OSError:
        return ""
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{max(size // 1024, 1)} KB"


@require_GET
def attachment(request: HttpRequest, pk: int) -> HttpResponse:
    """The attachment, only to recipients and admins of the topic (never a public media URL)."""
    access = study.get_study_topic_for(request.scope, pk)  # type: ignore[attr-defined]
    topic = access.topic
    if not topic.attachment:
        raise Http404("该学习专题没有附件")
    try:
        handle = topic.attachment.open("rb")
    except OSError:
        raise Http404("附件文件已不存在，请联系推送该专题的管理员") from None
    name = os.path.basename(topic.attachment.name)
    response = FileResponse(
        handle, as_attachment=True, filename=name, content_type=CONTENT_TYPES.get(extension(name), "application/octet-stream")
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
