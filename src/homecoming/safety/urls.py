from django.urls import path

from . import decision_views, views

app_name = "safety"
urlpatterns = [
    path("residents/<int:resident_id>/adverse-events/", views.resident_events, name="resident"),
    path("my-record/side-effects/", views.my_events, name="mine"),
    path("safety/", views.dashboard, name="dashboard"),
    path("safety/scan/", views.scan_now, name="scan"),
    path("safety/signals/<int:signal_id>/", views.signal, name="signal"),
    path("safety/signals/<int:signal_id>/decision/", decision_views.decide, name="decide"),
]
