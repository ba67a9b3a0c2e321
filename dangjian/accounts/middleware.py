"""request.scope for every request; login required everywhere but the API, login and static."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from .scopes import build_scope

# /notifications/callbacks/: the SMS and WeChat vendors' delivery reports (each URL checks its own secret)
PUBLIC_PREFIXES = ("/accounts/login/", "/api/", "/static/", "/healthz", "/readyz", "/notifications/callbacks/")


class ScopeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.scope = SimpleLazyObject(lambda: build_scope(request.user))  # type: ignore[attr-defined]
        return self.get_response(request)


class LoginRequiredExceptApiMiddleware:
    """Anonymous page requests go to the login page; /api/ answers 401 itself (STACK.md §8)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated and not request.path.startswith(PUBLIC_PREFIXES):
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        return self.get_response(request)
