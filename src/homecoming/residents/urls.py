from django.urls import path

from . import setup_views as setup
from . import views

app_name = "residents"
urlpatterns = [
    path("residents/", views.search, name="search"),
    path("residents/intake/", views.intake, name="intake"),
    path("residents/intake/from-fhir/", views.intake_from_fhir, name="intake_from_fhir"),
    path("residents/<int:resident_id>/", views.chart, name="chart"),
    path("residents/<int:resident_id>/edit/", views.edit, name="edit"),
    path("residents/<int:resident_id>/bed/", views.bed, name="bed"),
    path("residents/<int:resident_id>/stay/", views.open_stay, name="open_stay"),
    path("residents/<int:resident_id>/arrival/", views.arrival, name="arrival"),
    path(
        "residents/<int:resident_id>/planned-admission/cancel/",
        views.cancel_admission,
        name="cancel_admission",
    ),
    path("residents/<int:resident_id>/care-team/", views.care_team, name="care_team"),
    path("residents/<int:resident_id>/portal-access/", views.portal_access, name="portal_access"),
    path("residents/<int:resident_id>/photo/", views.photo, name="photo"),
    path("residents/<int:resident_id>/photo/new/", views.photo_new, name="photo_new"),
    path("residents/<int:resident_id>/break-glass/", views.break_glass, name="break_glass"),
    path("beds/", views.bed_board, name="bed_board"),
    path("my-record/", views.my_record, name="my_record"),
    # The resident's copy of their record, as files beside the page (not pages of the portal)
    path("my-record.pdf", views.my_record_download, {"fmt": "pdf"}, name="my_record_pdf"),
    path("my-record.json", views.my_record_download, {"fmt": "json"}, name="my_record_json"),
    path("my-record.fhir.json", views.my_record_download, {"fmt": "fhir"}, name="my_record_fhir"),
    # The program director's set-up pages (issue 12, part 2)
    path("center/", setup.overview, name="setup"),
    path("center/edit/", setup.center_edit, name="center_edit"),
    path("center/programs/new/", setup.program_new, name="program_new"),
    path("center/programs/<int:program_id>/", setup.program_edit, name="program_edit"),
    path(
        "center/programs/<int:program_id>/retire/",
        setup.program_active,
        {"active": False},
        name="program_retire",
    ),
    path(
        "center/programs/<int:program_id>/reinstate/",
        setup.program_active,
        {"active": True},
        name="program_reinstate",
    ),
    path("center/rooms/new/", setup.room_new, name="room_new"),
    path("center/rooms/<int:room_id>/", setup.room_edit, name="room_edit"),
    path("center/rooms/<int:room_id>/beds/new/", setup.bed_new, name="bed_new"),
    path(
        "center/rooms/<int:room_id>/out-of-service/",
        setup.room_out_of_service,
        name="room_out_of_service",
    ),
    path("center/rooms/<int:room_id>/in-service/", setup.room_in_service, name="room_in_service"),
    path("center/beds/<int:bed_id>/", setup.bed_edit, name="bed_edit"),
    path(
        "center/beds/<int:bed_id>/out-of-service/",
        setup.bed_out_of_service,
        name="bed_out_of_service",
    ),
    path("center/beds/<int:bed_id>/in-service/", setup.bed_in_service, name="bed_in_service"),
]
