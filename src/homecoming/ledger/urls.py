from django.urls import path

from . import views

app_name = "ledger"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("checkpoints.ndjson", views.download_history, name="history"),
    path("ledger.vkey", views.download_vkey, name="vkey"),
]
