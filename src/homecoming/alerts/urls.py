from django.urls import path

from . import views

app_name = "alerts"
urlpatterns = [path("<int:alert_id>/read", views.mark_read, name="mark_read")]
