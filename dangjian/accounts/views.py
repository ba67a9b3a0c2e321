"""Login, logout and the large-font switch."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from .forms import LoginForm


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


@require_POST
def toggle_large_font(request: HttpRequest) -> HttpResponse:
    """Switch large-font mode; stored on the user so it stays on across devices and sessions."""
    user = request.user
    user.large_font = not user.large_font  # type: ignore[union-attr]
    user.save(update_fields=["large_font"])  # type: ignore[union-attr]
    messages.success(request, "已开启大字模式。" if user.large_font else "已关闭大字模式。")  # type: ignore[union-attr]
    target = request.POST.get("next") or request.META.get("HTTP_REFERER") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    response = redirect(target)
    response.set_cookie("large_font", "1" if user.large_font else "0", max_age=365 * 24 * 3600, samesite="Lax")  # type: ignore[union-attr]
    return response
