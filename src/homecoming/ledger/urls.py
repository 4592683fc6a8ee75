from django.urls import path

from . import views, views_kept

app_name = "ledger"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("checkpoints.ndjson", views.download_history, name="history"),
    path("ledger.vkey", views.download_vkey, name="vkey"),
    # For everyone logged in (the resident's record page links them): to keep.
    path("keep/checkpoint.txt", views_kept.kept_checkpoint, name="kept_checkpoint"),
    path("keep/ledger.vkey", views_kept.kept_vkey, name="kept_vkey"),
]
