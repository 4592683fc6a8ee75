"""/fhir/R4/: the capability statement, Patient read and search, $everything, and read and
search of every type the mappings serve.

A thin layer: reads.py reads through the access policy and writes the ledger as the pages do
(one look per resident per request, naming the sections shown; one LIST entry per page of a
Patient search; a denied entry per refusal), and resources.py shapes Bundles. Every answer is
application/fhir+json; every error an OperationOutcome naming what was wrong (each parameter,
for a bad search).

Integrations authenticate as on the JSON API: a bearer token (`homecoming token create`), or a
fully logged-in browser session. The capability statement needs neither, as FHIR expects."""

import functools
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_not_required
from django.db.models import Q
from django.http import FileResponse, HttpResponse, JsonResponse
from django.views.decorators.http import require_http_methods

from homecoming.access.policy import AccessDenied
from homecoming.accounts import tokens
from homecoming.accounts.middleware import fully_logged_in
from homecoming.residents import selectors
from homecoming.residents.models import Resident

from . import bulk, capability, exports, params, reads, resources, sources
from .models import ExportStatus
from .params import Problem

CONTENT_TYPE = "application/fhir+json; charset=utf-8"
FORMATS = {"json", "application/json", "application/fhir+json"}
PATIENT_SEARCH = capability.PATIENT_SEARCH


def _answer(body: dict, status: int = 200, headers=None) -> JsonResponse:
    return JsonResponse(
        body,
        status=status,
        content_type=CONTENT_TYPE,
        headers=headers,
        json_dumps_params={"ensure_ascii": False},
    )


def _refused(problem: Problem) -> JsonResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="homecoming"'} if problem.status == 401 else None
    return _answer(resources.operation_outcome_of(problem.issues), problem.status, headers)


def _who(request):
    """The user a request acts for: its bearer token's, or its fully logged-in session's."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        user = tokens.authenticate(header.removeprefix("Bearer ").strip(), request.method)
    else:
        user = request.user if request.user.is_authenticated else None
        if user is not None and not fully_logged_in(user):
            user = None
    if user is None:
        raise Problem(401, "login", "Authenticate with a bearer token or a logged-in session.")
    return user


def _format_checked(request):
    asked = request.GET.get("_format")
    if asked is not None and asked not in FORMATS:
        raise Problem(406, "not-supported", "Only JSON is served.", "_format")


def fhir_view(view=None, *, methods=("GET",)):
    """GET only (unless `methods` says), outside the pages' log-in redirect, every problem an
    OperationOutcome."""
    if view is None:
        return functools.partial(fhir_view, methods=methods)

    @login_not_required
    @require_http_methods(list(methods))
    def wrapped(request, *args, **kwargs):
        try:
            _format_checked(request)
            return view(request, *args, **kwargs)
        except Problem as problem:
            return _refused(problem)
        except AccessDenied as exc:
            return _refused(Problem(403, "forbidden", str(exc)))
        except Resident.DoesNotExist as exc:
            return _refused(Problem(404, "not-found", str(exc)))

    wrapped.__doc__ = view.__doc__
    return wrapped


def _base(request) -> str:
    return request.build_absolute_uri("/fhir/R4/")


def _bundle(request, path: str, query, found: reads.Found, count: int, offset: int) -> dict:
    """A searchset Bundle of `found`, with self, next and previous links that keep the query."""
    base = _base(request)
    kept = {k: v for k, v in query.lists() if k not in ("_offset", "_count")}

    def page_at(at: int) -> str:
        return f"{base}{path}?{urlencode({**kept, '_count': count, '_offset': at}, doseq=True)}"

    links = {"self": page_at(offset)}
    if offset + count < found.total:
        links["next"] = page_at(offset + count)
    if offset > 0:
        links["previous"] = page_at(max(offset - count, 0))
    return resources.searchset(found.resources, base, found.total, links, found.withheld)


@fhir_view
def metadata(request):
    """The CapabilityStatement: what this server serves, and nothing it does not."""
    return _answer(capability.statement(_base(request)))


@fhir_view
def patient_read(request, resident_id: int):
    """One resident as a Patient: the policy's VIEW decision, recorded like the chart's."""
    actor = _who(request)
    chart = selectors.chart(actor, resident_id)
    return _answer(resources.patient(chart.resident))


def _patients(qs, found: params.Criteria, query):
    if found.ids:
        qs = qs.filter(pk__in=[i for i in found.ids if i.isdigit()])
    if "name" in query:
        words = query["name"].strip()
        qs = qs.filter(
            Q(given_name__istartswith=words)
            | Q(family_name__istartswith=words)
            | Q(preferred_name__istartswith=words)
        )
    for span in found.dates:  # `birthdate`
        qs = qs.filter(**span.lookups("date_of_birth", is_day=True))
    return qs


@fhir_view
def patient_search(request):
    """Residents the actor may see, as a searchset Bundle paged by `_count` with next links;
    the page is one LIST entry naming the residents shown, as every list of residents."""
    actor = _who(request)
    found = params.criteria(request.GET, PATIENT_SEARCH)
    qs = _patients(Resident.objects.order_by("family_name", "pk"), found, request.GET)
    shown, total = selectors.window(actor, qs, found.offset, found.count)
    page = reads.Found([resources.patient(r) for r in shown], total)
    return _answer(_bundle(request, "Patient", request.GET, page, found.count, found.offset))


@fhir_view
def everything(request, resident_id: int):
    """Patient/{id}/$everything: the resident's record as the reader may see it, paged."""
    actor = _who(request)
    query = request.GET.copy()
    if "_since" in query:  # what changed from then on: _lastUpdated=ge<_since>
        query.setlist("_lastUpdated", [f"ge{v}" for v in query.pop("_since")])
    wanted = params.types_asked(query, ["Patient", *sources.resident_types()])
    found = params.criteria(query, capability.EVERYTHING)
    page = reads.everything(actor, resident_id, found, wanted)
    path = f"Patient/{resident_id}/$everything"
    return _answer(_bundle(request, path, request.GET, page, found.count, found.offset))


def _known_type(type_name: str) -> list:
    found = sources.of_type(type_name)
    if not found:
        raise Problem(
            404,
            "not-supported",
            f"{type_name} is not served here. Served: {', '.join(['Patient', *sources.types()])}.",
        )
    return found


@fhir_view
def search(request, type_name: str):
    """A page of one type's resources for one resident (`patient`), or of the center's
    reference data (rooms and beds, staff, questionnaires, medicines)."""
    actor = _who(request)
    _known_type(type_name)
    found = params.criteria(request.GET, capability.search_params(type_name))
    page = reads.search(actor, type_name, found)
    return _answer(_bundle(request, type_name, request.GET, page, found.count, found.offset))


@fhir_view
def read(request, type_name: str, resource_id: str):
    """One resource by its id."""
    actor = _who(request)
    _known_type(type_name)
    return _answer(reads.read(actor, type_name, resource_id))


# Bulk Data $export (FHIR Bulk Data Access IG v2): kick-off, status, files, cancellation.

OUTPUT_FORMATS = {bulk.NDJSON, "application/ndjson", "ndjson"}
KICK_OFF = {"_type", "_since", "_outputFormat"}


def _kick_off(request, system: bool):
    actor = _who(request)
    issues = []
    if "respond-async" not in request.headers.get("Prefer", ""):
        issues.append(("required", "An export answers later: send Prefer: respond-async.", None))
    unknown = sorted(set(request.GET) - KICK_OFF - {"_format"})
    if unknown:
        issues.append(
            (
                "not-supported",
                f"Not an export parameter here: {', '.join(unknown)}. "
                f"Supported: {', '.join(sorted(KICK_OFF))}.",
                unknown[0],
            )
        )
    asked_format = request.GET.get("_outputFormat", bulk.NDJSON)
    if asked_format not in OUTPUT_FORMATS:
        issues.append(("not-supported", "Only NDJSON is written.", "_outputFormat"))
    since = request.GET.get("_since", "")
    if since:
        try:
            params.span(since)
        except ValueError:
            issues.append(("invalid", f"_since is an instant (got {since!r}).", "_since"))
    query = request.GET.copy()
    try:
        types = params.types_asked(query, bulk.served(system))
    except Problem as problem:
        issues.extend(problem.issues)
        types = None
    if issues:
        raise Problem.many(400, issues)
    export = exports.kick_off(actor, system=system, types=types, since=since)
    location = f"{_base(request)}$export-status/{export.key}"
    body = resources.operation_outcome_of(
        [("informational", "Accepted: poll the Content-Location for the files.", None)],
        "information",
    )
    return _answer(body, 202, {"Content-Location": location})


@fhir_view
def export_system(request):
    """/$export: every resident the director may read, and the center's reference data."""
    return _kick_off(request, system=True)


@fhir_view
def export_patients(request):
    """Patient/$export: every resident the director may read, their records only."""
    return _kick_off(request, system=False)


def _export_problems(view):
    """The export views' own errors, as OperationOutcomes (inside fhir_view's)."""

    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except exports.NotFound as exc:
            raise Problem(404, "not-found", str(exc)) from None

    wrapped.__doc__ = view.__doc__
    return wrapped


def _manifest(request, export) -> dict:
    base = _base(request)
    return {
        "transactionTime": resources.instant(export.requested_at),
        "request": f"{base}{'' if export.system else 'Patient/'}$export",
        "requiresAccessToken": True,
        "output": [
            {"type": t, "url": f"{base}$export-file/{export.key}/{t}.ndjson", "count": n}
            for t, n in sorted(export.counts.items())
        ],
        "error": [],
    }


@fhir_view(methods=("GET", "DELETE"))
@_export_problems
def export_status(request, key: str):
    """Poll an export (202 with X-Progress while it is written, then the manifest), or cancel
    it or delete its files (DELETE, 202)."""
    actor = _who(request)
    if request.method == "DELETE":
        exports.cancel(actor, key)
        return _answer(
            resources.operation_outcome_of([("informational", "Cancelled.", None)], "information"),
            202,
        )
    export = exports.mine(actor, key)
    if export.status in exports.UNFINISHED:
        done, of = export.residents_done, export.residents_total
        progress = f"{done} of {of} residents" if of else "waiting for the worker"
        return HttpResponse(status=202, headers={"X-Progress": progress, "Retry-After": "5"})
    if export.status == ExportStatus.COMPLETE:
        return JsonResponse(_manifest(request, export))
    if export.status == ExportStatus.FAILED:
        raise Problem(500, "exception", f"The export failed: {export.error}")
    raise Problem(404, "not-found", "This export was cancelled or deleted.")


@fhir_view
@_export_problems
def export_file(request, key: str, type_name: str):
    """One type's NDJSON file of a finished export, streamed: the requester's only."""
    actor = _who(request)
    path = exports.file_of(actor, key, type_name)
    response = FileResponse(path.open("rb"), content_type=bulk.NDJSON)
    response["Cache-Control"] = "no-store"
    return response
