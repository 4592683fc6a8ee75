"""De-identified exports over the API, for the program director's integrations."""

from ninja import Router

from homecoming.core.schemas import Error

from . import exports
from .views import attachment

router = Router(tags=["sharing"])


@router.post(
    "/sharing/{code}/export",
    response={200: None, 400: Error, 403: Error},
    openapi_extra={
        "responses": {
            200: {
                "description": "NDJSON: a header line, a line per participant, a line per "
                "questionnaire (see docs/using.md)",
                "content": {"application/x-ndjson": {}},
            }
        }
    },
)
def export_deidentified(request, code: str):
    """Export, de-identified, what residents consenting to `code` agreed to share. NDJSON:
    everything the residents whose consent to the sharing purpose `code` counts now have agreed
    to share, without names or dates. Only the program director, the center's data custodian.
    Consent is checked at this moment; each resident included is on the ledger. Errors: 400
    `invalid` (no consent document with that code, one that is not about sharing data, or one
    past its ethics approval), 403 `forbidden` (on the ledger)."""
    return attachment(exports.export(request.auth, code))
