from django.urls import path

from . import views

app_name = "recruitment"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("export/", views.export, name="export"),
    path("reviews/", views.reviews, name="reviews"),
    path("calendar/", views.calendar, name="calendar"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/record/", views.record, name="record"),
    path("<int:pk>/materials/", views.upload, name="upload"),
    path("<int:pk>/unmask/", views.unmask, name="unmask"),
    path("<int:pk>/stop/", views.stop, name="stop"),
    path("materials/<int:material_pk>/", views.material_file, name="material_file"),
    path("materials/<int:material_pk>/review/", views.review, name="review"),
    path("member/<int:member_pk>/", views.for_member, name="for_member"),
]
