from django.urls import path

from . import views

app_name = "residents"
urlpatterns = [
    path("residents/", views.search, name="search"),
    path("residents/intake/", views.intake, name="intake"),
    path("residents/<int:resident_id>/", views.chart, name="chart"),
    path("residents/<int:resident_id>/edit/", views.edit, name="edit"),
    path("residents/<int:resident_id>/bed/", views.bed, name="bed"),
    path("residents/<int:resident_id>/stay/", views.open_stay, name="open_stay"),
    path("residents/<int:resident_id>/care-team/", views.care_team, name="care_team"),
    path("residents/<int:resident_id>/portal-access/", views.portal_access, name="portal_access"),
    path("residents/<int:resident_id>/break-glass/", views.break_glass, name="break_glass"),
    path("beds/", views.bed_board, name="bed_board"),
    path("my-record/", views.my_record, name="my_record"),
]
