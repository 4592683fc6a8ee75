from django.urls import path

from . import views

app_name = "fhir"

urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    path("Patient", views.patient_search, name="patient_search"),
    path("Patient/<int:resident_id>", views.patient_read, name="patient_read"),
    path("Patient/<int:resident_id>/$everything", views.everything, name="everything"),
    path("<str:type_name>", views.search, name="search"),
    path("<str:type_name>/<str:resource_id>", views.read, name="read"),
]
