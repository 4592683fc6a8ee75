from django.urls import path

from . import views

app_name = "vitals"
urlpatterns = [
    path("residents/<int:resident_id>/vitals/", views.resident_vitals, name="resident"),
    path(
        "residents/<int:resident_id>/vitals/<int:vitals_id>/entered-in-error/",
        views.entered_in_error,
        name="entered_in_error",
    ),
    path("my-record/vitals/", views.my_vitals, name="mine"),
]
