"""The calendar's pages: weeks, booking, a session and the changes made to it."""

from django.urls import path

from . import views_sessions as views

urlpatterns = [
    path("sessions/week/", views.week, name="week"),
    path("sessions/calendar-link/", views.calendar_link, name="calendar_link"),
    path("calendar/<str:secret>.ics", views.calendar_feed_ics, name="calendar_feed"),
    path("sessions/new/", views.session_new, name="session_new"),
    path("sessions/<int:session_id>/", views.session, name="session"),
    path("sessions/<int:session_id>/held/", views.held, name="session_held"),
    path("sessions/<int:session_id>/cancel/", views.cancel, name="session_cancel"),
    path("sessions/<int:session_id>/move/", views.reschedule, name="session_move"),
    path(
        "sessions/<int:session_id>/attendees/<int:attendee_id>/check-in/",
        views.check_in,
        name="session_check_in",
    ),
    path(
        "sessions/<int:session_id>/attendees/<int:attendee_id>/no-show/",
        views.no_show,
        name="session_no_show",
    ),
    path("residents/<int:resident_id>/sessions/", views.resident_week, name="resident_week"),
    path(
        "residents/<int:resident_id>/sessions/new/", views.session_new_for, name="session_new_for"
    ),
]
