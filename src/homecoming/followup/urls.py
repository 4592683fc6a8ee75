from django.urls import path

from . import views

app_name = "followup"
urlpatterns = [
    path("follow-ups/", views.worklist, name="worklist"),
    path("follow-ups/<int:contact_id>/", views.contact, name="contact"),
    path("follow-ups/<int:contact_id>/attempts", views.record_attempt, name="record_attempt"),
    path("follow-ups/<int:contact_id>/check-in-link", views.send_link, name="send_link"),
    path(
        "follow-ups/<int:contact_id>/lost/<int:lost_id>/close",
        views.close_lost,
        name="close_lost",
    ),
    path(
        "center/programs/<int:program_id>/follow-up-days/", views.program_days, name="program_days"
    ),
    path("check-in/<str:secret>/", views.check_in, name="check_in"),
]
