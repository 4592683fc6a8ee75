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


@require_GET
def dashboard(request):
    policy.require(request.user, Action.VIEW_OUTCOMES)  # before reading what was asked
    filters, errors = _filters(request)
    outcomes, suppressed = aggregates.for_reader(request.user, filters)
    tables = report.build(outcomes, suppressed)
    by_key = {t.key: t for t in tables}
    context = {
        "o": outcomes,
        "suppressed": suppressed,
        "tables": tables,
        "errors": errors,
        "query": request.GET,
        "programs": Program.objects.order_by("name"),
        "charts": [
            charts.bars("admissions", "Admissions per month", by_key["admissions"].bars),
            charts.bars(
                "dispositions",
                "Dispositions (return to duty apart)",
                by_key["dispositions"].bars,
                highlight_first=True,
            ),
            charts.bars(
                "pcl5_change",
                "PCL-5 change, last minus first (lower is better)",
                by_key["pcl5_change"].bars,
            ),
            charts.bars(
                "follow_up", "Follow-up contacts made, % of those due", by_key["follow_up"].bars
            ),
        ],
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
