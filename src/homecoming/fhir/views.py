"""/fhir/R4/: the capability statement, and Patient read and search.

A thin layer over the selectors every page uses: they check the access policy and write the
ledger (one LIST entry per resident a search shows, one VIEW entry per read, a denied entry per
refusal), and resources.py maps what they return. Every answer is application/fhir+json; every
error an OperationOutcome naming what was wrong (the parameter, for a bad search).

Integrations authenticate as on the JSON API: a bearer token (`homecoming token create`), or a
fully logged-in browser session. The capability statement needs neither, as FHIR expects."""

import datetime as dt
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_not_required
from django.db.models import Q
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from homecoming.access.policy import AccessDenied
from homecoming.accounts import tokens
from homecoming.accounts.middleware import has_second_factor
from homecoming.residents import selectors
from homecoming.residents.models import Resident

from . import resources

CONTENT_TYPE = "application/fhir+json; charset=utf-8"
FORMATS = {"json", "application/json", "application/fhir+json"}
DEFAULT_COUNT, MAX_COUNT = 20, 100
PATIENT_SEARCH = {
    "_id": ("token", "The resident's id on this server."),
    "name": ("string", "Any part of a legal or preferred name, from its start."),
    "birthdate": ("date", "The date of birth: YYYY-MM-DD, with eq, ge, le, gt or lt before it."),
}
# Paging and format: understood by every search, never a filter.
CONTROL = {"_count", "_offset", "_format"}
DATE_PREFIXES = {"eq": "", "ge": "__gte", "le": "__lte", "gt": "__gt", "lt": "__lt"}


class Problem(Exception):
    """An error to answer as an OperationOutcome."""

    def __init__(self, status: int, code: str, diagnostics: str, expression: str | None = None):
        super().__init__(diagnostics)
        self.status, self.code, self.expression = status, code, expression


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
    outcome = resources.operation_outcome(problem.code, str(problem), problem.expression)
    return _answer(outcome, problem.status, headers)


def _who(request):
    """The user a request acts for: its bearer token's, or its fully logged-in session's."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        found = tokens.find(header.removeprefix("Bearer ").strip())
        user = tokens.authenticate(header.removeprefix("Bearer ").strip()) if found else None
    else:
        user = request.user if request.user.is_authenticated else None
        if user is not None and (not has_second_factor(user) or user.must_change_password):
            user = None
    if user is None:
        raise Problem(401, "login", "Authenticate with a bearer token or a logged-in session.")
    return user


def _format_checked(request):
    asked = request.GET.get("_format")
    if asked is not None and asked not in FORMATS:
        raise Problem(406, "not-supported", "Only JSON is served.", "_format")


def fhir_view(view):
    """GET only, outside the pages' log-in redirect, every problem an OperationOutcome."""

    @login_not_required
    @require_GET
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


@fhir_view
def metadata(request):
    """The CapabilityStatement: what this server serves, and nothing it does not."""
    return _answer(
        {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": "2026-12-06",
            "kind": "instance",
            "software": {"name": "Homecoming"},
            "implementation": {"description": "Homecoming", "url": _base(request)},
            "fhirVersion": resources.FHIR_VERSION,
            "format": ["application/fhir+json", "json"],
            "rest": [
                {
                    "mode": "server",
                    "security": {
                        "description": "A bearer token (homecoming token create) or a logged-in "
                        "session. The center's access policy applies to every read, and each "
                        "is written to its audit ledger."
                    },
                    "resource": [
                        {
                            "type": "Patient",
                            "interaction": [{"code": "read"}, {"code": "search-type"}],
                            "searchParam": [
                                {"name": name, "type": kind, "documentation": words}
                                for name, (kind, words) in PATIENT_SEARCH.items()
                            ]
                            + [
                                {
                                    "name": "_count",
                                    "type": "number",
                                    "documentation": f"Entries per page, 1 to {MAX_COUNT}.",
                                }
                            ],
                        }
                    ],
                }
            ],
        }
    )


@fhir_view
def patient_read(request, resident_id: int):
    """One resident as a Patient: the policy's VIEW decision, recorded like the chart's."""
    actor = _who(request)
    chart = selectors.chart(actor, resident_id)
    return _answer(resources.patient(chart.resident))


def _count(params) -> tuple[int, int]:
    problems = []
    numbers = {}
    for name, low, high, default in (
        ("_count", 1, MAX_COUNT, DEFAULT_COUNT),
        ("_offset", 0, None, 0),
    ):
        text = params.get(name)
        if text is None:
            numbers[name] = default
            continue
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < low or (high is not None and value > high):
            span = f"{low} to {high}" if high else f"{low} or more"
            problems.append((name, f"{name} is a whole number, {span} (got {text!r})."))
        numbers[name] = value
    if problems:
        raise Problem(400, "invalid", " ".join(p for _, p in problems), problems[0][0])
    return numbers["_count"], numbers["_offset"]


def _filtered(qs, params):
    unknown = sorted(set(params) - set(PATIENT_SEARCH) - CONTROL)
    if unknown:
        raise Problem(
            400,
            "not-supported",
            f"Not a Patient search parameter here: {', '.join(unknown)}. "
            f"Supported: {', '.join([*PATIENT_SEARCH, *sorted(CONTROL)])}.",
            unknown[0],
        )
    if "_id" in params:
        ids = [i for i in params["_id"].split(",") if i.isdigit()]
        qs = qs.filter(pk__in=ids)
    if "name" in params:
        words = params["name"].strip()
        qs = qs.filter(
            Q(given_name__istartswith=words)
            | Q(family_name__istartswith=words)
            | Q(preferred_name__istartswith=words)
        )
    if "birthdate" in params:
        text = params["birthdate"]
        prefix = text[:2] if text[:2] in DATE_PREFIXES else "eq"
        day_text = text[2:] if text[:2] in DATE_PREFIXES else text
        try:
            day = dt.date.fromisoformat(day_text)
        except ValueError:
            raise Problem(
                400,
                "invalid",
                f"birthdate is a date, YYYY-MM-DD, optionally after eq, ge, le, gt or lt "
                f"(got {text!r}).",
                "birthdate",
            ) from None
        qs = qs.filter(**{f"date_of_birth{DATE_PREFIXES[prefix]}": day})
    return qs


@fhir_view
def patient_search(request):
    """Residents the actor may see, as a searchset Bundle paged by `_count` with next links;
    each resident shown is one LIST entry, as in every list of residents."""
    actor = _who(request)
    params = {k: request.GET.get(k) for k in request.GET}
    count, offset = _count(params)
    qs = _filtered(Resident.objects.visible_to(actor), params).order_by("family_name", "pk")
    total = qs.count()
    shown = list(qs[offset : offset + count])
    selectors.record_listing(actor, shown)
    base = _base(request)

    def page_at(at: int) -> str:
        kept = {k: v for k, v in params.items() if k not in ("_offset", "_count")}
        return f"{base}Patient?{urlencode({**kept, '_count': count, '_offset': at})}"

    links = {"self": page_at(offset)}
    if offset + count < total:
        links["next"] = page_at(offset + count)
    if offset > 0:
        links["previous"] = page_at(max(offset - count, 0))
    return _answer(resources.searchset([resources.patient(r) for r in shown], base, total, links))
