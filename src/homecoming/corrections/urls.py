from django.urls import path

from . import views

app_name = "corrections"
urlpatterns = [
    path("my-record/corrections/", views.mine, name="mine"),
    path("my-record/corrections/ask/", views.ask, name="ask"),
    path("my-record/corrections/<int:request_id>/disagree", views.disagree, name="disagree"),
    path("residents/<int:resident_id>/corrections/", views.resident, name="resident"),
    path(
        "residents/<int:resident_id>/corrections/<int:request_id>/answer",
        views.answer,
        name="answer",
    ),
]
