from django.urls import path

from . import views

app_name = "sharing"
urlpatterns = [
    path("consents/documents/<slug:code>/export/", views.export, name="export"),
]
