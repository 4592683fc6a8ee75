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
    path(
        "residents/<int:resident_id>/allergies/",
        views.resident_allergies,
        name="allergies",
    ),
    path(
        "residents/<int:resident_id>/allergies/none/",
        views.no_known_allergies,
        name="no_known_allergies",
    ),
    path(
        "residents/<int:resident_id>/allergies/<int:allergy_id>/confirm/",
        views.verify_allergy,
        name="verify_allergy",
    ),
    path(
        "residents/<int:resident_id>/allergies/<int:allergy_id>/rule-out/",
        views.rule_out_allergy,
        name="rule_out_allergy",
    ),
    path("my-record/medications/", views.my_medications, name="mine"),
]
