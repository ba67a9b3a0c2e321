"""Pages of bases and bookings under /bases/ (namespace ``venues``)."""

from django.urls import path

from . import views

app_name = "venues"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.base_create, name="create"),
    path("bookings/", views.bookings, name="bookings"),
    path("stats/", views.stats, name="stats"),
    path("scan/", views.scan, name="scan"),
    path("<int:pk>/", views.base_detail, name="detail"),
    path("<int:pk>/edit/", views.base_edit, name="edit"),
    path("<int:pk>/setup/", views.base_setup, name="setup"),
    path("<int:pk>/activities/", views.activity_add, name="activity_add"),
    path("<int:pk>/activities/<int:activity_pk>/toggle/", views.activity_toggle, name="activity_toggle"),
    path("<int:pk>/hours/", views.hours_add, name="hours_add"),
    path("<int:pk>/hours/<int:hours_pk>/delete/", views.hours_delete, name="hours_delete"),
    path("<int:pk>/closed/", views.closed_add, name="closed_add"),
    path("<int:pk>/closed/<int:closed_pk>/delete/", views.closed_delete, name="closed_delete"),
    path("<int:pk>/photos/", views.photo_add, name="photo_add"),
    path("<int:pk>/photos/<int:photo_pk>/", views.photo, name="photo"),
    path("<int:pk>/photos/<int:photo_pk>/delete/", views.photo_delete, name="photo_delete"),
    path("<int:pk>/book/", views.book, name="book"),
    path("<int:pk>/desk/", views.desk, name="desk"),
    path("<int:pk>/desk/checkin/", views.checkin_by_code, name="checkin_by_code"),
    path("bookings/<int:booking_pk>/", views.booking_detail, name="booking"),
    path("bookings/<int:booking_pk>/approve/", views.approve, name="approve"),
    path("bookings/<int:booking_pk>/decline/", views.decline, name="decline"),
    path("bookings/<int:booking_pk>/cancel/", views.cancel, name="cancel"),
    path("bookings/<int:booking_pk>/participants/", views.participants, name="participants"),
    path("bookings/<int:booking_pk>/checkin/", views.checkin, name="checkin"),
]
