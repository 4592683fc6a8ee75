"""The program director downloads a de-identified export from the consent documents page."""

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.views.decorators.http import require_POST

from homecoming.core import errors

from . import exports

NDJSON = "application/x-ndjson"


def attachment(export: exports.Export) -> HttpResponse:
    response = HttpResponse(export.ndjson(), content_type=NDJSON)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["Cache-Control"] = "no-store"
    return response


@require_POST  # it writes ledger entries, one per resident included: never a link to prefetch
def export(request, code):
    try:
        result = exports.export(request.user, code)
    except ValidationError as exc:
        return errors.bad_request(request, " ".join(exc.messages))
    return attachment(result)
