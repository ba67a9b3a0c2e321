from django.urls import path

from . import callbacks, views

app_name = "notifications"
urlpatterns = [
    path("inbox/", views.inbox_list, name="inbox"),
    path("inbox/read-all/", views.inbox_mark_all, name="inbox_mark_all"),
    path("inbox/<int:pk>/", views.inbox_message, name="inbox_message"),
    path("preferences/", views.preferences, name="preferences"),
    path("templates/", views.templates, name="templates"),
    path("templates/preview/", views.template_preview, name="template_preview"),
    path("settings/", views.settings_page, name="settings"),
    # delivery reports from the vendors: no login (public prefix), secret token in the path
    path("callbacks/aliyun/<str:token>/", callbacks.aliyun_report, name="callback_aliyun"),
    path("callbacks/tencent/<str:token>/", callbacks.tencent_report, name="callback_tencent"),
    path("callbacks/wechat/<str:token>/", callbacks.wechat_events, name="callback_wechat"),
]
