from django.urls import include, path

from .api import api

urlpatterns = [
    path("api/v1/", api.urls),
    # FHIR R4 (docs/fhir.md): the record in the field's standard, for other health systems.
    path("fhir/R4/", include("homecoming.fhir.urls")),
    path("", include("homecoming.accounts.urls")),
    path("", include("homecoming.residents.urls")),
    path("", include("homecoming.encounters.urls")),
    path("", include("homecoming.measures.urls")),
    path("", include("homecoming.safetyplans.urls")),
    path("", include("homecoming.conversations.urls")),
    path("", include("homecoming.corrections.urls")),
    path("", include("homecoming.consents.urls")),
    path("", include("homecoming.sharing.urls")),
    path("", include("homecoming.safety.urls")),
    path("", include("homecoming.oversight.urls")),
    path("", include("homecoming.medications.urls")),
    path("", include("homecoming.vitals.urls")),
    path("", include("homecoming.timeline.urls")),
    path("", include("homecoming.outcomes.urls")),
    path("", include("homecoming.followup.urls")),
    path("", include("homecoming.discharge.urls")),
    path("alerts/", include("homecoming.alerts.urls")),
    path("ledger/", include("homecoming.ledger.urls")),
    path("", include("homecoming.core.urls")),
]

handler400 = "homecoming.core.errors.bad_request"
handler403 = "homecoming.core.errors.forbidden"
handler404 = "homecoming.core.errors.not_found"
handler500 = "homecoming.core.errors.server_error"
