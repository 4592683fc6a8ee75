"""Pages for sessions, notes and recordings, one module of routes each."""

from django.urls import include, path

app_name = "encounters"
urlpatterns = [
    path("", include("homecoming.encounters.urls_sessions")),
    path("", include("homecoming.encounters.urls_notes")),
    path("", include("homecoming.encounters.urls_recordings")),
]
