from django.urls import path

from . import views

app_name = "discharge"
urlpatterns = [
    path("residents/<int:resident_id>/discharge/", views.plan_page, name="plan"),
    path("residents/<int:resident_id>/discharge/new/", views.new_plan, name="new"),
    path(
        "residents/<int:resident_id>/discharge/against-advice/",
        views.against_advice,
        name="against_advice",
    ),
    path("discharges/<int:plan_id>/edit/", views.edit_plan, name="edit"),
    path("discharges/<int:plan_id>/sign/", views.sign, name="sign"),
    path("discharges/<int:plan_id>/fitness/", views.fitness, name="fitness"),
    path("discharges/<int:plan_id>/cancel/", views.cancel, name="cancel"),
    path("discharges/<int:plan_id>/discharge/", views.carry_out, name="carry_out"),
    path("discharges/<int:plan_id>/summary/", views.summary, name="summary"),
    path("discharges/<int:plan_id>/summary.pdf", views.summary_pdf, name="summary_pdf"),
    path("my-record/discharge/", views.mine, name="mine"),
    path("my-record/discharge/<int:plan_id>/acknowledge/", views.acknowledge, name="acknowledge"),
]
