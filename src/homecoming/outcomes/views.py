"""The outcomes page and its CSV: thin, the figures come from aggregates, the shown values
(suppressed for the contractor) from report."""

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.residents.models import Program

from . import aggregates, charts, report


def _filters(request):
    """(filters, errors): a bad filter shows the whole center with the errors beside the form."""
    q = request.GET
    try:
        return aggregates.parse_filters(q.get("from"), q.get("to"), q.get("program")), {}
    except ValidationError as exc:
        return aggregates.Filters(), {f: e[0] for f, e in exc.message_dict.items()}


CHARTS = (
    ("admissions", "Admissions per month, the last 12 months", {}),
    ("dispositions", "Dispositions (return to duty drawn apart)", {"highlight_first": True}),
    ("pcl5_change", "PCL-5 change in points, last minus first (lower is better)", {}),
    ("follow_up", "Follow-up contacts made, % of those due", {"top": 100}),
)


@require_GET
def dashboard(request):
    policy.require(request.user, Action.VIEW_OUTCOMES)  # before reading what was asked
    filters, errors = _filters(request)
    outcomes, suppressed = aggregates.for_reader(request.user, filters)
    tables = report.build(outcomes, suppressed)
    by_key = {t.key: t for t in tables}
    # Each chart is drawn above the table with its figures (the table is its text alternative).
    for key, title, extra in CHARTS:
        by_key[key].chart = charts.bars(key, title, by_key[key].bars, **extra)
    context = {
        "o": outcomes,
        "suppressed": suppressed,
        "tables": tables,
        "errors": errors,
        "query": request.GET,
        "programs": Program.objects.order_by("name"),
        "csv_query": request.GET.urlencode(),
    }
    return render(request, "outcomes/dashboard.html", context, status=400 if errors else 200)


@require_GET
def export_csv(request):
    policy.require(request.user, Action.VIEW_OUTCOMES)
    filters, errors = _filters(request)
    if errors:
        return HttpResponse(
            " ".join(errors.values()), status=400, content_type="text/plain; charset=utf-8"
        )
    sponsor = request.GET.get("for") == "sponsor"
    outcomes, suppressed = aggregates.for_reader(
        request.user, filters, action=aggregates.EXPORT, sponsor=sponsor
    )
    text = report.csv_text(
        outcomes, suppressed, report.build(outcomes, suppressed), sponsor=sponsor
    )
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    name = f"outcomes-{'sponsor-' if sponsor else ''}{outcomes.today}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
