from django.urls import path

from . import views

app_name = "safetyplans"
urlpatterns = [
    path("residents/<int:resident_id>/safety-plan/", views.plan, name="plan"),
    path(
        "residents/<int:resident_id>/risk-flags/<int:flag_id>/clear",
        views.clear_flag,
        name="clear_flag",
    ),
    path("my-record/safety-plan/", views.mine, name="mine"),
]
