"""Recordings: upload to a session, the player, and the audio it streams."""

from django.urls import path

from . import views_recordings as views

urlpatterns = [
    path(
        "sessions/<int:session_id>/recordings/new",
        views.recording_upload,
        name="recording_upload",
    ),
    path("recordings/<int:recording_id>/", views.recording, name="recording"),
    path("recordings/<int:recording_id>/audio", views.recording_audio, name="recording_audio"),
]
