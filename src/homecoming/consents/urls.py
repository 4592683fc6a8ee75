from django.urls import path

from . import views

app_name = "consents"
urlpatterns = [
    path(
        "residents/<int:resident_id>/consents/",
        views.resident_consents,
        name="resident_consents",
    ),
    path("my-record/consents/", views.my_consents, name="my_consents"),
    path("my-record/consents/<int:document_id>/", views.sign_own, name="sign_own"),
    path("my-record/consents/waiting/<int:consent_id>/", views.confirm_own, name="confirm_own"),
    path("consents/documents/", views.documents, name="documents"),
]
