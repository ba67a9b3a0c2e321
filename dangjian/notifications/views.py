"""Notification pages: the inbox of every user, one's own preferences, and the district admin's
message templates (with a preview) and notification settings.

These pages need only notifications and core. Pages that need the organisation tree or the
registry (the message log with its subtree filter, study topics) live in members (layers: members →
… → notifications).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.audit.services import client_ip
from dangjian.core.rules import RuleViolation
from dangjian.core.views import paginate

from . import configuration, inbox, templates_text
from .choices import MessageKind
from .forms import PreferenceForm, PreviewForm, SettingsForm, TemplateForm
from .models import MessageTemplate
from .quiet_hours import as_time, current_settings
from .services import validate_template

# A Chinese SMS is one message up to 70 characters; a longer text goes in parts of 67.
SMS_SINGLE, SMS_PART = 70, 67

NO_TEMPLATES = "消息模板（政治生日祝福等短信和通知的文字）由区委组织部管理员统一维护；如需修改，请联系区委组织部。"
NO_SETTINGS = "通知设置（免打扰时段、政治生日短信发送时间）由区委组织部管理员统一维护。"


def _require(allowed: bool, reason: str) -> None:
    if not allowed:
        raise PermissionDenied(reason)


def _user_id(request: HttpRequest) -> int:
    return int(request.user.pk)


# --- inbox ------------------------------------------------------------------------------------


@require_GET
def inbox_list(request: HttpRequest) -> HttpResponse:
    """The caller's 站内信, newest first; unread ones are marked."""
    page = paginate(request, inbox.inbox_for(user_id=_user_id(request)), per_page=20)
    return render(request, "notifications/inbox.html", {"page": page})


@require_GET
def inbox_message(request: HttpRequest, pk: int) -> HttpResponse:
    """One own message; opening it marks it read (another user's message is 404)."""
    message = inbox.mark_read(user_id=_user_id(request), message_id=pk)
    # only links inside the platform are followed (a path, never another site)
    link = message.link if message.link.startswith("/") and not message.link.startswith("//") else ""
    return render(request, "notifications/message.html", {"message": message, "link": link})


@require_POST
def inbox_mark_all(request: HttpRequest) -> HttpResponse:
    count = inbox.mark_all_read(user_id=_user_id(request))
    messages.success(request, f"已将 {count} 条未读消息标为已读。" if count else "没有未读消息。")
    return redirect("notifications:inbox")


# --- own preferences --------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    """A member chooses SMS / WeChat / inbox only and may opt out of non-essential messages."""
    member_id = request.scope.member_id  # type: ignore[attr-defined]
    if not member_id:
        return render(request, "notifications/preferences.html", {"no_member": True})
    current = configuration.preference_for(member_id=member_id)
    form = PreferenceForm(
        request.POST or None, initial={"channel": current.channel, "opt_out_non_essential": current.opt_out_non_essential}
    )
    if request.method == "POST" and form.is_valid():
        try:
            configuration.save_preference(member_id=member_id, **form.cleaned_data)
        except RuleViolation as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "已保存您的通知设置。")
            return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form, "preference": current})


# --- district admin: templates and settings ---------------------------------------------------


def _is_district_admin(request: HttpRequest) -> bool:
    return bool(request.scope.is_district_admin)  # type: ignore[attr-defined]


def _kind_from(value: str) -> str:
    return value if value in MessageKind.values else MessageKind.POLITICAL_BIRTHDAY


@require_http_methods(["GET", "POST"])
def templates(request: HttpRequest) -> HttpResponse:
    """Every message kind with its text; the chosen kind (``?kind=``) in the editor beside its placeholders.

    "预览" posts the text back and shows it filled with sample data (htmx swaps only the preview,
    without JavaScript the page comes back with it); "保存" saves it after the placeholder check.
    """
    _require(_is_district_admin(request), NO_TEMPLATES)
    kind = _kind_from(request.POST.get("kind") or request.GET.get("kind", ""))
    saved = {t.kind: t for t in MessageTemplate.objects.select_related("updated_by")}
    template = saved.get(kind)
    default_title, default_body = templates_text.default_text(kind)
    initial = (
        {f: getattr(template, f) for f in configuration.TEMPLATE_FIELDS} if template else {"title": default_title, "body": default_body}
    )
    form = TemplateForm(request.POST or None, initial=initial)
    preview: dict[str, Any] | None = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if request.POST.get("action") == "preview":
                preview = _preview(kind, data["title"], data["body"])
            else:
                configuration.save_template(actor=request.user, kind=kind, ip=client_ip(request), **data)
        except RuleViolation as exc:
            form.add_error(exc.field if exc.field in form.fields else "body", exc.message)
        else:
            if preview is None:
                messages.success(request, f"已保存“{MessageKind(kind).label}”的模板，之后发送的消息使用新文字。")
                return redirect(f"{reverse('notifications:templates')}?kind={kind}")
    if request.method == "GET":
        preview = _preview(kind, initial["title"], initial["body"])
    context = {
        "rows": [{"kind": value, "label": label, "template": saved.get(value)} for value, label in MessageKind.choices],
        "kind": kind,
        "kind_label": MessageKind(kind).label,
        "template": template,
        "form": form,
        "placeholders": templates_text.placeholders_for(kind),
        "preview": preview,
    }
    return render(request, "notifications/templates.html", context, status=422 if form.errors else 200)


def _preview(kind: str, title: str, body: str) -> dict[str, Any]:
    """The text filled with the kind's sample data; RuleViolation for an unknown placeholder."""
    validate_template(kind, body, title)
    samples = templates_text.sample_values(kind)
    text = templates_text.render(body, samples)
    segments = 1 if len(text) <= SMS_SINGLE else -(-len(text) // SMS_PART)
    return {"title": templates_text.render(title, samples), "body": text, "length": len(text), "segments": segments}


@require_POST
def template_preview(request: HttpRequest) -> HttpResponse:
    """The editor's current text with sample data (the htmx partial); nothing is saved."""
    _require(_is_district_admin(request), NO_TEMPLATES)
    form = PreviewForm(request.POST)
    if not form.is_valid():
        return render(request, "notifications/_preview.html", {"error": "预览内容过长或不完整：正文最多 1000 字，标题最多 100 字。"})
    kind = _kind_from(form.cleaned_data["kind"])
    try:
        preview = _preview(kind, form.cleaned_data["title"], form.cleaned_data["body"])
    except RuleViolation as exc:
        return render(request, "notifications/_preview.html", {"error": exc.message})
    return render(request, "notifications/_preview.html", {"preview": preview})


@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    """Quiet hours (SMS held until they end) and the political-birthday send time."""
    _require(_is_district_admin(request), NO_SETTINGS)
    current = current_settings()
    fields = ("quiet_start", "quiet_end", "birthday_send_time")
    form = SettingsForm(request.POST or None, initial={f: as_time(getattr(current, f)) for f in fields})
    if request.method == "POST" and form.is_valid():
        try:
            configuration.save_settings(actor=request.user, ip=client_ip(request), **form.cleaned_data)
        except RuleViolation as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "已保存通知设置。")
            return redirect("notifications:settings")
    return render(request, "notifications/settings.html", {"form": form, "current": current}, status=422 if form.errors else 200)
