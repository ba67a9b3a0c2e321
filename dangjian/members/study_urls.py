from django.urls import path

from . import study_views

app_name = "study"
urlpatterns = [
    path("", study_views.topic_list, name="list"),
    path("new/", study_views.publish, name="publish"),
    path("<int:pk>/", study_views.detail, name="detail"),
    path("<int:pk>/attachment/", study_views.attachment, name="attachment"),
]
