"""URL wiring; no domain code."""

from django.contrib import admin
from django.urls import include, path

from dangjian.core import views as core_views

from .api import api

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("accounts/", include("dangjian.accounts.urls")),
    path("orgs/", include("dangjian.organisations.urls")),
    path("members/", include("dangjian.members.urls")),
    path("audit/", include("dangjian.audit.urls")),
    path("notifications/messages/", include("dangjian.members.message_urls")),
    path("notifications/", include("dangjian.notifications.urls")),
    path("study/", include("dangjian.members.study_urls")),
    path("meetings/", include("dangjian.meetings.urls")),
    path("transfers/", include("dangjian.transfers.urls")),
    path("bases/", include("dangjian.venues.urls")),
    path("development/", include("dangjian.recruitment.urls")),
    path("api/v1/", api.urls),
    path("django-admin/", admin.site.urls),
]

handler404 = "dangjian.core.views.page_not_found"
handler403 = "dangjian.core.views.permission_denied"
handler500 = "dangjian.core.views.server_error"
