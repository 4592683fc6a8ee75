from django.urls import path

from . import views

app_name = "fhir"

urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    path("Patient", views.patient_search, name="patient_search"),
    path("Patient/<int:resident_id>", views.patient_read, name="patient_read"),
    path("Patient/<int:resident_id>/$everything", views.everything, name="everything"),
    path("$export", views.export_system, name="export"),
    path("Patient/$export", views.export_patients, name="export_patients"),
    path("$export-status/<str:key>", views.export_status, name="export_status"),
    path("$export-file/<str:key>/<str:type_name>.ndjson", views.export_file, name="export_file"),
    path("<str:type_name>", views.search, name="search"),
    path("<str:type_name>/<str:resource_id>", views.read, name="read"),
]
