from django.urls import path

from . import views

app_name = "meetings"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("my/", views.my, name="my"),
    path("checkin/", views.code_entry, name="code"),
    path("c/<str:token>/", views.scan, name="scan"),
    path("compliance/", views.compliance, name="compliance"),
    path("compliance/export/", views.compliance_export, name="compliance_export"),
    path("compliance/<int:org_id>/", views.compliance_branch, name="compliance_branch"),
    path("reads/", views.reads, name="reads"),
    path("settings/", views.settings_page, name="settings"),
    path("reminders/<int:org_id>/", views.reminder_pdf, name="reminder_pdf"),
    path("files/<int:file_id>/", views.file_download, name="file"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/amend/", views.amend, name="amend"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/approve/", views.approve, name="approve"),
    path("<int:pk>/return/", views.return_, name="return"),
    path("<int:pk>/files/", views.upload, name="upload"),
    path("<int:pk>/checkin/", views.checkin, name="checkin"),
    path("<int:pk>/proxy/", views.proxy, name="proxy"),
]
