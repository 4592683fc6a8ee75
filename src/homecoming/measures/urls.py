from django.urls import path

from . import views

app_name = "measures"
urlpatterns = [
    path("residents/<int:resident_id>/questionnaires/", views.resident, name="resident"),
    path(
        "residents/<int:resident_id>/questionnaires/<str:instrument>/new",
        views.administer,
        name="administer",
    ),
    path("my-record/questionnaires/", views.mine, name="mine"),
    path("my-record/questionnaires/<str:instrument>/", views.self_complete, name="self"),
]
