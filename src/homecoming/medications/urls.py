from django.urls import path

from . import views

app_name = "medications"
urlpatterns = [
    path("medications/round/", views.medication_round, name="round"),
    path("medications/orders/<int:order_id>/give/", views.give, name="give"),
    path("medications/formulary/", views.formulary_list, name="formulary"),
    path(
        "medications/formulary/interactions/",
        views.add_interaction,
        name="add_interaction",
    ),
    path(
        "medications/formulary/<int:protocol_id>/retire/",
        views.retire,
        name="retire",
    ),
    path(
        "residents/<int:resident_id>/medications/",
        views.resident_medications,
        name="record",
    ),
    path(
        "residents/<int:resident_id>/medications/orders/",
        views.prescribe,
        name="prescribe",
    ),
    path(
        "residents/<int:resident_id>/medications/orders/<int:order_id>/discontinue/",
        views.discontinue,
        name="discontinue",
    ),
    path("my-record/medications/", views.my_medications, name="mine"),
]
