from django.urls import path

from . import views

app_name = "alerts"
urlpatterns = [
    path("", views.alert_list, name="list"),
    path("acknowledge", views.acknowledge, name="acknowledge"),
    path("preferences", views.preferences, name="preferences"),
    path("<int:alert_id>/read", views.mark_read, name="mark_read"),
]
