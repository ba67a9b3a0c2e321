from django.urls import path

from . import views

app_name = "transfers"

urlpatterns = [
    path("", views.index, name="index"),
    path("list/", views.transfer_list, name="list"),
    path("apply/", views.apply, name="apply"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/act/", views.act, name="act"),
    path("<int:pk>/letter.pdf", views.letter_pdf, name="letter"),
    path("arrivals/", views.arrival_list, name="arrivals"),
    path("arrivals/new/", views.arrival_new, name="arrival_new"),
    path("arrivals/<int:arrival_pk>/receipt.pdf", views.arrival_receipt, name="arrival_receipt"),
    path("stats/", views.stats, name="stats"),
]
