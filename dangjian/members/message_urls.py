from django.urls import path

from . import message_views

app_name = "messages"
urlpatterns = [
    path("", message_views.message_list, name="list"),
    path("<int:pk>/resend/", message_views.resend, name="resend"),
]
