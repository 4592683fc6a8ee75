"""The program's outcomes over JSON: the same figures and the same suppression as the page."""

from django.core.exceptions import ValidationError
from ninja import Field, Query, Router, Schema

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.core.schemas import Error

from . import aggregates, report

router = Router(tags=["outcomes"])

Cell = int | float | str | None


class OutcomeTable(Schema):
    key: str = Field(
        description="admissions, occupancy, length_of_stay, pcl5_change, "
        "dispositions, follow_up, lost, adverse_events, signals or complaints"
    )
    title: str
    columns: list[str]
    rows: list[list[Cell]] = Field(
        description="The first cell names the row; a count from 1 to 10, and any cell that "
        'would give one away, is "<11" in a suppressed answer; null: nothing to compute'
    )


class OutcomesOut(Schema):
    suppressed: bool = Field(description="true for the contractor, and with for=sponsor")
    as_of: str
    period_from: str | None
    period_to: str | None
    program: str | None
    notes: list[str]
    tables: list[OutcomeTable]


@router.get("/outcomes", response={200: OutcomesOut, 400: Error, 403: Error})
def get_outcomes(
    request,
    period_from: str | None = None,
    period_to: str | None = None,
    program: str | None = None,
    for_: str | None = Query(None, alias="for"),
):
    """Read the program's outcomes: counts, rates and medians, never a resident. The program
    director and the oversight body get them unsuppressed, the contractor with every count
    under 11 (and any cell that would give one away) suppressed; `for=sponsor` asks for the
    suppressed figures whoever asks. `period_from` and `period_to` (YYYY-MM-DD) and `program`
    narrow them. Each call is a ledger entry. Errors: 400 `invalid` (a date that is not one, a
    period that ends before it starts, an unknown program, a `for` other than sponsor), 403
    `forbidden` (any other role, on the ledger)."""
    policy.require(request.auth, Action.VIEW_OUTCOMES)
    if for_ not in (None, "", "sponsor"):
        raise ValidationError({"for": 'Leave "for" out, or ask for=sponsor.'})
    filters = aggregates.parse_filters(period_from, period_to, program)
    o, suppressed = aggregates.for_reader(request.auth, filters, sponsor=for_ == "sponsor")
    return report.as_dict(o, suppressed, report.build(o, suppressed))
